"""The sadeh2015 network assembled for a run on this rank: one NetcolLifMap population
holding the rank's cells (gid % ranks == rank), a relay per cell as its spike source,
one incoming NetCon per source with targets here, the protocol's segments loaded into
the mechanism, and what the generic run loop (:mod:`netcol.engine.simulate`) asks of a model
(see :mod:`netcol.models.rowan2013.assembly` for the interface).
"""
import math

import numpy as np

from ...cells import lifmap
from ...cells.ei_nodes import write_ei_nodes
from ...cells.population import (EI_EDGE_TYPES, PopulationAssemblyBase, RankWiring, ei_edge_types, finitialize_at_step,
                                 set_weights)
from ...engine.gather import gather_by_gid
from ...engine.runtime import neuron_h, parallel_context
from .network import PATHWAYS, incoming
from .protocol import SNAPSHOT_LAG, segments, steps, timeline
from .staterec import StateWriter

#: The SONATA population of the cells.
POPULATION = "sadeh2015"


class SadehAssembly(PopulationAssemblyBase):
    """The network built on this rank, ready to run.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    """

    binding = lifmap
    population = POPULATION
    weight_unit = "mV"
    final_weights = "all"   # the mechanism returns every synapse's weight, static ones too

    def __init__(self, experiment):
        h, pc = neuron_h(), parallel_context()
        p, net = self.p, self.net = experiment.params, experiment.network
        lifmap.apply_mechanism_settings(h, experiment.mechanism_settings())
        rank, nhost = int(pc.id()), int(pc.nhost())
        self.gids = list(range(rank, net.n, nhost))
        self.pop = lifmap.new_population(h, net.n, p["seed"])
        self.wiring = RankWiring(h, pc, self.pop)
        po, mod = net.preferred_orientations(), net.modulations()
        self.delay_steps = np.array([net.pathways[name].steps for name in PATHWAYS])
        self.longest_delay_ms = float(self.delay_steps.max()) * lifmap.MAP_DT
        self.weight_counts, sources = {}, set()
        for gid in self.gids:
            self.pop.add_cell(gid, po[gid], mod[gid], self.wiring.relay(gid))
            pre, w, kind, pathway = incoming(net, p["seed"], gid)
            lifmap.add_synapses(h, self.pop, pre, w, kind, self.delay_steps[pathway])
            self.weight_counts[gid] = len(pre)
            sources.update(pre.tolist())
        # the NetCons' delay, half a map step, sets how often ranks exchange spikes: within
        # the shortest pathway delay (one step at least), as the sources' traces need every
        # spike in the step after it; the pathways' delays are the mechanism's
        self.wiring.listen(sources, lifmap.DELAY)
        self.prepare_weight_gather()
        self.segments = segments(p)
        end = steps(p["duration"])
        for s in self.segments:
            k0 = steps(s.t0 / 1000.0)
            if k0 >= end:
                break
            lifmap.add_segment(self.pop, k0, min(steps(s.length / 1000.0), end - k0), math.radians(s.theta_deg),
                               s.plastic, s.reset, s.stream, s.offset)
        self.writer, self.synapses, self.last_rates = None, None, (0.0, 0.0, 0.0)

    # ------------------------------------------------------------------ what the loop reads
    @property
    def n(self):
        """Cells in the network."""
        return self.net.n

    @property
    def excitatory(self):
        """Per gid: True for excitatory cells."""
        return self.net.excitatory

    def timeline(self, checkpoint_every=None):
        """The run's timeline as (time in ms, action name), sorted by time."""
        return timeline(self.p, checkpoint_every)

    def actions(self):
        """Action name -> action(t) for the scheduler."""
        # the phase and block starts are markers: the inputs follow the protocol's own steps
        markers = {name: None for _, name in timeline(self.p) if name not in ("weights", "rates")}
        return {**markers, "weights": self.snapshot, "rates": self.record_rates}

    # ------------------------------------------------------------------ weights
    def all_synapses(self):
        """Every synapse of the network as (pre, post, kind), target-major, sources ascending
        (the order of gathered_weights; drawn again here: cheap, and the same on every rank)."""
        parts = [incoming(self.net, self.p["seed"], g) for g in range(self.net.n)]
        post = np.repeat(np.arange(self.net.n), [len(x[0]) for x in parts])
        return np.concatenate([x[0] for x in parts]), post, np.concatenate([x[2] for x in parts])

    def snapshot(self, t):
        """Timeline action: every weight into state.h5, stamped with the block boundary."""
        values = self.gathered_weights()
        if values is not None:
            self.writer.append_weights(t - SNAPSHOT_LAG if t > 0 else 0.0, values)

    def record_rates(self, t):
        """Timeline action: the E and I rates since the last record (collective)."""
        e, i = self.spike_counts()
        span = (t - self.last_rates[0]) / 1000.0
        n_e = self.net.cells["n_e"]
        if self.writer is not None:
            self.writer.rates(self.last_rates[0], t, (e - self.last_rates[1]) / n_e / span,
                              (i - self.last_rates[2]) / (self.n - n_e) / span)
        self.last_rates = (t, e, i)

    # ------------------------------------------------------------------ outputs
    def write_nodes(self, path):
        """nodes.h5 (SONATA): type E/I, excitatory, preferred orientation, input modulation;
        and node_types.csv."""
        net = self.net
        write_ei_nodes(path, POPULATION, net.excitatory, lifmap.HOC_NAME,
                       {"preferred_orientation": (np.degrees(net.preferred_orientations()), "degree"),
                        "input_modulation": (net.modulations(), None)})

    def edge_rows(self, gid):
        """The synapses onto one cell, sources ascending: (sources, edge types, weights in mV,
        delays in ms)."""
        pre, w, _, pathway = incoming(self.net, self.p["seed"], gid)
        return pre, ei_edge_types(pre, gid, self.net.cells["n_e"]), w, self.delay_steps[pathway] * lifmap.MAP_DT

    def edge_types(self):
        """edge_types.csv: the four E/I pathways, the rule of each (the voltage-based rule
        on E synapses, its sign-inverted form on I -> E) where the network makes it
        plastic."""
        pl = self.net.plasticity
        rules = {101: "voltage" if pl["ee"] else "none", 102: "voltage" if pl["ei"] else "none",
                 201: "voltage_inverted" if pl["ie"] else "none", 202: "none"}
        return (["edge_type_id", "pre_type", "post_type", "rule", "plastic"],
                [(tid, pre, post, rules[tid], int(rules[tid] != "none")) for tid, pre, post in EI_EDGE_TYPES])

    def open_outputs(self, out_dir, run_id, resume=None):
        """Write edges.h5 (the weights as set up) and open state.h5 (rank 0), fresh or
        truncated to a checkpoint's counts."""
        self.write_edges(out_dir)
        pre, post, kind = self.all_synapses()
        self.synapses = len(pre)
        self.writer = StateWriter(out_dir / "state.h5", self.segments, pre, post, kind, run_id=run_id,
                                  keep=resume["file_counts"] if resume else None)

    # ------------------------------------------------------------------ running
    def initialize(self, resume=None):
        """Start at step 0, or continue from a checkpoint taken at a whole map step."""
        h = neuron_h()
        if resume is None:
            finitialize_at_step(h, self.pop, 0)
            return
        ck, t = resume, resume["t"]
        finitialize_at_step(h, self.pop, steps(t / 1000.0))
        h.t = t
        rows = np.array([ck["cells"][g] for g in self.gids]).reshape(-1)
        lifmap.restore_state(h, self.pop, np.concatenate([rows, ck["shared"]]))
        set_weights(h, self.pop, np.concatenate([ck["weights"][g] for g in self.gids]))
        self.wiring.redeliver(ck["recent_spikes"], t)
        self.last_rates = tuple(ck["last_rates"])

    def checkpoint_state(self, t):
        """The model's part of a checkpoint at t (collective; on rank 0, None elsewhere):
        every cell's state and incoming weights by gid, and the shared tail (block
        bookkeeping, the traces of every source: each rank holds those it listens to)."""
        h, pc = neuron_h(), parallel_context()
        navg = int(self.net.mechanism["avg_steps"])
        rows, shared = lifmap.per_cell(lifmap.state(h, self.pop), len(self.gids), navg)
        cells = gather_by_gid({g: rows[i] for i, g in enumerate(self.gids)})
        weights = gather_by_gid(self.local_weights())
        tails = pc.py_gather(shared, 0)
        if pc.id() != 0:
            return None
        shared = np.array(tails[0])
        shared[3:] = np.max([tl[3:] for tl in tails], axis=0)   # traces are >= 0, 0 where not listened to
        return dict(cells=cells, weights=weights, shared=shared, last_rates=list(self.last_rates))

    def summary(self):
        """Headline facts for run.json."""
        return dict(synapses=self.synapses)
