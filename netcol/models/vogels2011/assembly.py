"""The vogels2011 network assembled for a run on this rank: one NetcolCondLif population
holding the rank's cells (gid % ranks == rank), a relay per cell, one incoming NetCon per
source with targets here, and what the generic run loop (:mod:`netcol.engine.simulate`) asks
of a model (see :mod:`netcol.models.rowan2013.assembly` for the interface).
"""
import numpy as np

from ...cells import condlif
from ...cells.population import (EI_EDGE_TYPES, PopulationAssemblyBase, RankWiring, ei_edge_types, finitialize_at_step,
                                 set_weights, weights)
from ...engine.gather import gather_by_gid
from ...engine.runtime import neuron_h, parallel_context
from .network import PATHWAYS, incoming
from .protocol import alpha, steps, timeline
from .staterec import StateWriter
from .weightsummary import summarise

#: The SONATA population of the cells.
POPULATION = "vogels2011"


class VogelsAssembly(PopulationAssemblyBase):
    """The network built on this rank, ready to run.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    """

    binding = condlif
    population = POPULATION
    weight_unit = "nS"

    def __init__(self, experiment):
        h, pc = neuron_h(), parallel_context()
        p = self.p = experiment.params
        self.n_e, self.n_i = p["n_e"], p["n_i"]
        self.mechanism = experiment.mechanism_settings()
        condlif.apply_mechanism_settings(h, self.mechanism, alpha(p, experiment.network))
        rank, nhost = int(pc.id()), int(pc.nhost())
        self.gids = list(range(rank, self.n, nhost))
        self.pop = condlif.new_population(h, self.n, steps(p))
        self.wiring = RankWiring(h, pc, self.pop)
        self.network = experiment.network
        self.delay_steps = np.array([self.network.pathways[name].steps for name in PATHWAYS])
        self.longest_delay_ms = float(self.delay_steps.max()) * condlif.STEP_DT
        self.weight_counts, self.plastic_sources, sources = {}, {}, []
        for gid in self.gids:
            self.pop.add_cell(gid, self.wiring.relay(gid))
            src, kind, w, pathway = incoming(p, self.network, gid)
            condlif.add_synapses(h, self.pop, src, kind, w, self.delay_steps[pathway])
            self.plastic_sources[gid] = src[kind == condlif.PLASTIC]
            self.weight_counts[gid] = len(self.plastic_sources[gid])
            sources.append(src)
        sources = np.concatenate(sources) if sources else np.zeros(0, int)
        # the NetCons' delay, just under one step, sets how often ranks exchange spikes: once
        # a step, within the shortest pathway delay (one step at least); the pathways'
        # delays themselves are the mechanism's
        if p["delivery"] == "netcon":
            h.local_direct_NetcolCondLif = 0
            self.wiring.listen_per_synapse(sources, condlif.DELAY)
        else:
            h.local_direct_NetcolCondLif = 1
            self.wiring.listen(sources, condlif.DELAY)
        self.synapse_table = self.gather_synapse_table(self.plastic_sources)   # collective; rank 0 writes it
        self.prepare_weight_gather()
        self.cell_of_weight = np.repeat(np.arange(len(self.gids)), [self.weight_counts[g] for g in self.gids])
        self.writer, self.last_counts, self.last_record = None, (0.0, 0.0), 0.0

    # ------------------------------------------------------------------ what the loop reads
    @property
    def n(self):
        """Cells in the network."""
        return self.n_e + self.n_i

    @property
    def excitatory(self):
        """Per gid: True for excitatory cells."""
        return np.arange(self.n) < self.n_e

    def timeline(self, checkpoint_every=None):
        """The run's timeline as (time in ms, action name), sorted by time."""
        return timeline(self.p, checkpoint_every)

    def actions(self):
        """Action name -> action(t) for the scheduler."""
        return {"record": self.record, "plasticity on": self.plasticity_on}

    # ------------------------------------------------------------------ protocol actions
    def plasticity_on(self, t):
        """The end of the static phase: snapshot the weights, switch the rule on."""
        values = self.gathered_weights()
        if values is not None:
            self.writer.snapshot("static_end", t, values)
        condlif.set_eta(neuron_h(), self.p["eta"])

    def record(self, t):
        """Rates over the last interval and the I -> E weight distribution (collective)."""
        e, i = self.spike_counts()
        span = (t - self.last_record) / 1000.0
        rates = ((e - self.last_counts[0]) / self.n_e / span, (i - self.last_counts[1]) / self.n_i / span) \
            if span > 0 else (0.0, 0.0)
        self.last_counts, self.last_record = (e, i), t
        summary = summarise(self.gids, weights(neuron_h(), self.pop), self.cell_of_weight, self.n)
        if summary is not None:
            self.writer.record(t, *rates, summary)

    # ------------------------------------------------------------------ outputs
    def edge_rows(self, gid):
        """The synapses onto one cell, sources ascending: (sources, edge types, conductance
        jumps in nS: w_e, w_ii, or the plastic I -> E synapse's own, delays in ms)."""
        src, kind, w, pathway = incoming(self.p, self.network, gid)
        w = np.where(kind == condlif.EXC, self.mechanism["w_e"], np.where(kind == condlif.INH, self.mechanism["w_ii"], w))
        return src, ei_edge_types(src, gid, self.n_e), w, self.delay_steps[pathway] * condlif.STEP_DT

    def edge_types(self):
        """edge_types.csv: the four E/I pathways; I -> E carries the inhibitory STDP rule."""
        return (["edge_type_id", "pre_type", "post_type", "rule", "plastic"],
                [(tid, pre, post, "istdp" if tid == 201 else "none", int(tid == 201)) for tid, pre, post in EI_EDGE_TYPES])

    def open_outputs(self, out_dir, run_id, resume=None):
        """Write edges.h5 (the weights as set up) and open state.h5 (rank 0), fresh or
        truncated to a checkpoint's counts."""
        self.write_edges(out_dir)
        pre, post = self.synapse_table
        self.writer = StateWriter(out_dir / "state.h5", pre, post, run_id=run_id,
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
        finitialize_at_step(h, self.pop, int(round(t / condlif.STEP_DT)))
        h.t = t
        if t > self.p["plasticity_start"] * 1000.0 - 1e-9:
            condlif.set_eta(h, self.p["eta"])
        rows = np.array([ck["cells"][g] for g in self.gids])
        condlif.restore_state(h, self.pop, rows, ck["pending"], ck["traces"])
        set_weights(h, self.pop, np.concatenate([ck["weights"][g] for g in self.gids]))
        self.last_counts, self.last_record = tuple(ck["last_counts"]), ck["last_record"]
        self.wiring.redeliver(ck["recent_spikes"], t)

    def checkpoint_state(self, t):
        """The model's part of a checkpoint at t (collective; on rank 0, None elsewhere):
        every cell's state and plastic weights by gid, the pending step, the per-source
        traces (each rank holds those of the sources it listens to), the record counters."""
        h, pc = neuron_h(), parallel_context()
        rows, pending, traces = condlif.state(h, self.pop, len(self.gids))
        cells = gather_by_gid({g: rows[i] for i, g in enumerate(self.gids)})
        weights = gather_by_gid(self.local_weights())
        merged = self.merge_held_rows(traces, sorted(self.wiring.sources), (0.0, 0.0))
        if pc.id() != 0:
            return None
        return dict(cells=cells, weights=weights, pending=pending, traces=merged,
                    last_counts=list(self.last_counts), last_record=self.last_record)
