"""The akil2021 network assembled for a run on this rank: one NetcolEif population holding
the rank's cells (gid % ranks == rank), a relay per cell, one listening NetCon per
remote source with targets here, the external spikes queued a block ahead, and what the
generic run loop (:mod:`netcol.engine.simulate`) asks of a model (see
:mod:`netcol.models.rowan2013.assembly` for the interface).

Records are sums computed per cell and added on rank 0 in gid order, so they are the
same bit for bit on any number of ranks.
"""
import numpy as np

from ...cells import eif
from ...cells.population import (EI_EDGE_TYPES, PopulationAssemblyBase, RankWiring, ei_edge_types, finitialize_at_step,
                                 set_weights)
from ...engine.gather import gather_by_gid
from ...engine.runtime import filled, neuron_h, parallel_context, scratch_vectors
from .inputs import external_spikes
from .network import incoming, initial_v, n_excitatory, pathway_weight
from .protocol import active_rules, pathway_rules, steps, timeline
from .samples import choose_samples
from .staterec import StateWriter

#: The SONATA population of the cells.
POPULATION = "akil2021"
#: The edge type (netcol.cells.population.ei_edge_types) of each recurrent pathway.
TYPE_OF_PATHWAY = {eif.EE: 101, eif.EI: 102, eif.IE: 201, eif.II: 202}


class AkilAssembly(PopulationAssemblyBase):
    """The network built on this rank, ready to run.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    """

    binding = eif
    population = POPULATION

    def __init__(self, experiment):
        h, pc = neuron_h(), parallel_context()
        p = self.p = experiment.params
        self.network = experiment.network
        self.n_e = n_excitatory(p)
        eif.apply_mechanism_settings(h, experiment.mechanism_settings())
        rank, nhost = int(pc.id()), int(pc.nhost())
        self.gids = list(range(rank, p["n"], nhost))
        self.pop = eif.new_population(h, p["n"], self.n_e, p["n_x"], steps(p))
        self.rules = pathway_rules(p, self.network)
        pathway_w = self.pathway_w = np.array([pathway_weight(p, k) for k in range(len(eif.PATHWAYS))])
        for k in range(len(eif.PATHWAYS)):
            eta, pre, post = self.rules.get(k, (0.0, (0, 0, 0, 0), (0, 0, 0, 0)))
            eif.set_pathway(self.pop, k, pathway_w[k], eta, pre, post)
        self.wiring = RankWiring(h, pc, self.pop)
        self.delay_steps = np.array([self.network.pathways[name].steps for name in eif.PATHWAYS])
        self.longest_delay_ms = float(self.delay_steps.max()) * eif.STEP_DT
        self.weight_counts, plastic_by_gid = {}, {}   # the latter only for the set-up
        sources = []
        for gid in self.gids:
            self.pop.add_cell(gid, self.wiring.relay(gid), initial_v(p, self.network, gid))
            src, pathway = incoming(p, self.network, gid)
            eif.add_synapses(h, self.pop, src, pathway, pathway_w[pathway], self.delay_steps[pathway])
            plastic = np.isin(pathway, list(self.rules))
            plastic_by_gid[gid] = (src[plastic].astype(np.int32), pathway[plastic].astype(np.int8))
            self.weight_counts[gid] = int(plastic.sum())
            sources.append(src[src < p["n"]])
        if p["quirks"] == "reference":
            self.pop.route_first_i_as_e()
        # the NetCons' delay, just under one step, sets how often ranks exchange spikes: once
        # a step, within the shortest pathway delay (one step at least), as the cells'
        # traces need every spike in the step after it; the pathways' delays are the
        # mechanism's
        self.wiring.listen(np.concatenate(sources) if sources else np.zeros(0, int), eif.DELAY)
        self.pop.index()   # frees the set-up order before the samples are chosen
        self.synapse_table = self.gather_synapse_table({g: src for g, (src, _) in plastic_by_gid.items()})
        self.samples, self.sample_index = choose_samples(plastic_by_gid, p["seed"], p["weight_samples"])
        self.pathway_counts = count_pathways(plastic_by_gid)
        self.prepare_weight_gather()
        self.writer, self.last_counts, self.last_record, self.x_queued = None, (0.0, 0.0), 0.0, 0

    # ------------------------------------------------------------------ what the loop reads
    @property
    def n(self):
        """Cells in the network."""
        return self.p["n"]

    @property
    def excitatory(self):
        """Per gid: True for excitatory cells."""
        return np.arange(self.n) < self.n_e

    def timeline(self, checkpoint_every=None):
        """The run's timeline as (time in ms, action name), sorted by time."""
        return timeline(self.p, checkpoint_every)

    def actions(self):
        """Action name -> action(t) for the scheduler."""
        return {"record": self.record}

    # ------------------------------------------------------------------ protocol actions
    def record(self, t):
        """Rates, mean currents and weights over the last interval (collective)."""
        h = neuron_h()
        if t == 0.0:
            values = self.gathered_weights()
            if values is not None:
                self.writer.snapshot("initial", t, values)
        cur, n_steps = eif.currents(h, self.pop, len(self.gids))
        sums = eif.weight_sums(h, self.pop, len(self.gids))
        columns = np.array(sorted(self.sample_index), np.int64)
        sampled = eif.weights_at(h, self.pop, [self.sample_index[j] for j in columns])
        counts = (self.pop.count_spikes(0, self.n_e), self.pop.count_spikes(self.n_e, self.n))
        # one gather per record (the ranks wait for each other at every collective)
        parts = parallel_context().py_gather((np.array(self.gids, np.int64), cur, sums, columns, sampled, counts), 0)
        if self.writer is None:
            return
        # per-cell sums in gid order, added on rank 0: the same bits on any number of ranks
        cur, ws, w_samples = np.zeros((self.n, 3)), np.zeros((self.n, 2)), np.zeros(len(self.samples[0]))
        for gids, c, s, cols, vals, _ in parts:
            cur[gids], ws[gids], w_samples[cols] = c, s, vals
        e, i = sum(p[5][0] for p in parts), sum(p[5][1] for p in parts)
        span = (t - self.last_record) / 1000.0
        rates = ((e - self.last_counts[0]) / self.n_e / span, (i - self.last_counts[1]) / (self.n - self.n_e) / span) \
            if span > 0 else (0.0, 0.0)
        self.last_counts, self.last_record = (e, i), t
        steps_ = max(n_steps, 1)
        current_e = cur[:self.n_e].sum(axis=0) / self.n_e / steps_
        current_i = cur[self.n_e:].sum(axis=0) / (self.n - self.n_e) / steps_
        # (E->E, E->I, I->E, I->I): sums from E / I sources onto E / I targets
        totals = np.array([ws[:self.n_e, 0].sum(), ws[self.n_e:, 0].sum(), ws[:self.n_e, 1].sum(),
                           ws[self.n_e:, 1].sum()])
        with np.errstate(invalid="ignore", divide="ignore"):
            w_mean = np.where(self.pathway_counts > 0, totals / self.pathway_counts, np.nan)
        self.writer.record(t, *rates, current_e, current_i, w_mean, w_samples)

    # ------------------------------------------------------------------ outputs
    def edge_rows(self, gid):
        """The recurrent synapses onto one cell, sources ascending: (sources, edge types,
        weights J / sqrt(N) of their pathways, delays in ms).  The external sources are not
        nodes of the circuit: their synapses are left out."""
        src, pathway = incoming(self.p, self.network, gid)
        keep = src < self.n
        src, pathway = src[keep], pathway[keep]
        return src, ei_edge_types(src, gid, self.n_e), self.pathway_w[pathway], self.delay_steps[pathway] * eif.STEP_DT

    def edge_types(self):
        """edge_types.csv: the four recurrent pathways and the rule acting on each."""
        rules = {TYPE_OF_PATHWAY[pw]: name for pw, name in active_rules(self.p, "experiment").items()
                 if pw in TYPE_OF_PATHWAY}
        return (["edge_type_id", "pre_type", "post_type", "rule", "plastic"],
                [(tid, pre, post, rules.get(tid, "none"), int(tid in rules)) for tid, pre, post in EI_EDGE_TYPES])

    def open_outputs(self, out_dir, run_id, resume=None):
        """Write edges.h5 (the weights as set up) and open state.h5 (rank 0), fresh or
        truncated to a checkpoint's counts."""
        self.write_edges(out_dir)
        pre, post = self.synapse_table
        self.writer = StateWriter(out_dir / "state.h5", pre, post, self.samples, run_id=run_id,
                                  keep=resume["file_counts"] if resume else None,
                                  t_keep=resume["t"] if resume else None)

    # ------------------------------------------------------------------ running
    def initialize(self, resume=None):
        """Start at step 0, or continue from a checkpoint taken between two steps."""
        h = neuron_h()
        if resume is None:
            finitialize_at_step(h, self.pop, 0)
            return
        ck, t = resume, resume["t"]
        k = int(round(t / eif.STEP_DT))
        finitialize_at_step(h, self.pop, k)
        h.t = t
        self.x_queued = k
        rows = np.array([ck["cells"][g] for g in self.gids])
        eif.restore_state(h, self.pop, rows, ck["shared"], ck["traces"])
        set_weights(h, self.pop, np.concatenate([ck["weights"][g] for g in self.gids] or [np.zeros(0)]))
        self.last_counts, self.last_record = tuple(ck["last_counts"]), ck["last_record"]
        self.wiring.redeliver(ck["recent_spikes"], t)

    def before_block(self, t_next):
        """Queue the external spikes of the steps up to t_next (ms)."""
        k1 = int(round(t_next / eif.STEP_DT))
        if k1 > self.x_queued:
            eif.queue_external(neuron_h(), self.pop, *external_spikes(self.p, self.x_queued, k1, eif.STEP_DT))
            self.x_queued = k1

    def restart(self):
        """Back to the state as set up, from step 0, with the external spikes to tstop queued
        (the GUI's init)."""
        h = neuron_h()
        self.pop.restart(filled(scratch_vectors(1)[0], [initial_v(self.p, self.network, g) for g in self.gids]))
        self.x_queued = 0
        self.before_block(h.tstop)

    def checkpoint_state(self, t):
        """The model's part of a checkpoint at t (collective; on rank 0, None elsewhere):
        every cell's state and plastic weights by gid, the population's shared values, the
        per-source traces (each rank holds those of its cells and of the remote sources of
        its plastic synapses), the record counters."""
        h, pc = neuron_h(), parallel_context()
        rows, shared, traces = eif.state(h, self.pop, len(self.gids))
        cells = gather_by_gid({g: rows[i] for i, g in enumerate(self.gids)})
        weights = gather_by_gid(self.local_weights())
        # a rank keeps the traces of its own cells and of the remote sources of its plastic
        # synapses (flagged 1 by the mechanism)
        merged = self.merge_held_rows(traces, np.flatnonzero(traces[:, 1] > 0).tolist(), (0.0, 0.0))
        if pc.id() != 0:
            return None
        return dict(cells=cells, weights=weights, shared=shared, traces=merged,
                    last_counts=list(self.last_counts), last_record=self.last_record)


def count_pathways(plastic_by_gid):
    """Plastic synapses of each recurrent pathway in the network (collective).

    Parameters
    ----------
    plastic_by_gid : dict
        This rank's gids -> (sources, pathways) of their plastic synapses.
    """
    local = np.bincount(np.concatenate([pw for _, pw in plastic_by_gid.values()] or [np.zeros(0, np.int8)]),
                        minlength=4)[:4].astype(float)
    return np.array(parallel_context().py_allgather(local.tolist())).sum(axis=0)
