"""The column assembled for a run: cells and connections on this rank, their inputs,
probes and protocol actions, and everything the generic run loop
(:mod:`netcol.engine.simulate`) asks of a model.

The generic loop calls, in order: :meth:`ColumnAssembly.timeline`,
:meth:`~ColumnAssembly.actions` (for the scheduler), :meth:`~ColumnAssembly.open_outputs`
(rank 0), :meth:`~ColumnAssembly.initialize`, then per block
:meth:`~ColumnAssembly.before_block` and, after it has run,
:meth:`~ColumnAssembly.after_block`; at checkpoints
:meth:`~ColumnAssembly.checkpoint_state`; at the end :meth:`~ColumnAssembly.finalize`.
"""
import numpy as np

from ...cells import intf6
from ...engine.gather import gather_by_gid
from .nodes import POPULATION
from ...engine.runtime import neuron_h, parallel_context
from ...engine.scheduler import first_at_or_after
from .actions import ColumnProtocol
from ...io.edges import edges_entry
from .edges import EDGE_POPULATION, write_edges, write_final_gains
from .network import build
from .ranknet import build_rank, use_rank_engine
from .nodes import write_nodes
from .playback import Playback, playback_sources
from .probes import StateRecorder
from .protocol import quirk_on, timeline
from .staterec import StateWriter

#: Milliseconds of playback input generated beyond what the cells need next.
AHEAD_MS = 1000.0
#: Played-back inputs are generated a refill at a time (ms of simulated time), inside the
#: run and not a whole block ahead: the original's background is 280,000 inputs per
#: simulated second, and 10-s blocks held over 3 M of them (550 MB in reference mode).
REFILL_MS = 2000.0


def set_protocol_globals(h, p):
    """Plasticity window, scaling switch and the scaling quirks at the start of a run."""
    h.stdp_on_NetcolIntf6 = 1 if p["plasticity"] else 0
    h.plast_start_NetcolIntf6 = p["learn_start"] * 1000.0
    h.plast_end_NetcolIntf6 = p["learn_end"] * 1000.0
    h.scaling_NetcolIntf6 = 0
    h.scaling_ton_NetcolIntf6 = p["scaling_start"] * 1000.0
    for quirk, name in (("early_callbacks", "callbacks_always"), ("sensor_every_event", "sensor_every_event"),
                        ("summed_corrections", "summed_corrections")):
        setattr(h, f"{name}_NetcolIntf6", 1 if quirk_on(p, quirk) else 0)


class ColumnAssembly:
    """The column built on this rank, ready to run.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    needs : frozenset
        What the caller will use beyond the run (netcol.build.assemble.NEEDS): with the
        GUI, the rank engine's synapses get their STDP rules even without plasticity (its
        field may switch STDP on during a run).
    """

    binding = intf6
    population = POPULATION

    def __init__(self, experiment, needs=frozenset()):
        h = neuron_h()
        p = self.p = experiment.params
        intf6.apply_mechanism_settings(h, experiment.mechanism_settings())
        # before the build: the rank engine takes the module-wide settings when it is made
        set_protocol_globals(h, p)
        self.engine = "rank" if use_rank_engine(p) else "cells"
        common = dict(size=p["size"], seed=p["seed"], rng=p["rng"],
                      trial_ms=p["trial_length"] * 1000.0 if p["trials"] else 0.0,
                      chained=quirk_on(p, "chained_arrivals"),
                      input_tstop_ms=p["duration"] * 1000.0 if quirk_on(p, "input_count") else None)
        if self.engine == "rank":
            # in the GUI, STDP may be switched on during a run
            self.net = build_rank(experiment.network, plastic=p["plasticity"] or "gui" in needs, **common)
        else:
            self.net = build(experiment.network, **common)
        if quirk_on(p, "nearest_dead_callback"):
            self.net.nearest_dead_callback = True
            self.net.update_outgoing_delays()
        sources = playback_sources(self.net, p)
        self.playback = Playback(self.net, sources) if sources else None
        self.connections = self.net.global_connections()   # rank 0: for the files it writes
        self.probes = StateRecorder(self.net, self.connections)
        self.protocol = ColumnProtocol(self.net, p, self.probes)
        self.times = []
        self.lookahead = REFILL_MS + AHEAD_MS
        self._cvode = None

    # ------------------------------------------------------------------ what the loop reads
    @property
    def n(self):
        """Cells in the network."""
        return self.net.n

    @property
    def excitatory(self):
        """Per gid: True for excitatory cells."""
        return self.net.excitatory

    @property
    def local(self):
        """This rank's cells by gid."""
        return self.net.local

    def timeline(self, checkpoint_every=None):
        """The run's timeline as (time in ms, action name), sorted by time."""
        events = timeline(self.p, checkpoint_every)
        self.times = sorted({t for t, _ in events})
        return events

    def actions(self):
        """Action name -> action(t) for the scheduler."""
        return self.protocol.table()

    def after_event(self, t):
        """After the actions at t: the cells may plan up to the next timeline time."""
        self.set_horizon(t + 1e-6)

    def set_horizon(self, from_time):
        """Let the cells plan their drive up to the first timeline time at or after
        from_time (ms), where the protocol may change their inputs (see the mod file)."""
        horizon = first_at_or_after(self.times, from_time)
        neuron_h().plan_horizon_NetcolIntf6 = horizon
        if self.engine == "rank":
            self.net.set_horizon(horizon)

    # ------------------------------------------------------------------ outputs
    def write_nodes(self, path):
        """The node table (nodes.h5 and node_types.csv)."""
        write_nodes(path, self.net)

    def sonata_network(self):
        """The column's nodes and edges for circuit_config.json."""
        return {"nodes": [{"nodes_file": "$BASE_DIR/nodes.h5", "node_types_file": "$BASE_DIR/node_types.csv",
                           "populations": {self.population: {"type": "point_neuron"}}}],
                "edges": [edges_entry([EDGE_POPULATION])]}

    def open_outputs(self, out_dir, run_id, resume=None):
        """Write edges.h5's static part and open state.h5 (rank 0), fresh or truncated to
        a checkpoint's counts.  A resumed run writes edges.h5 again (the same bits; the
        killed part may have left it half rewritten) and its gains at its end."""
        labels = ["learn_start", "learn_end", "final"] if self.p["plasticity"] else []
        rule = self.p["deletion_rule"] if self.p["rng"] != "original" else "original"
        conn, rows = self.connections, self.probes.plastic_rows
        write_edges(out_dir / "edges.h5", self.net, conn)
        self.probes.writer = StateWriter(out_dir / "state.h5", self.net.n, self.probes.pair_names,
                                         conn.pre[rows], conn.post[rows], labels, rule,
                                         run_id=run_id, keep=resume["file_counts"] if resume else None,
                                         t_keep=resume["t"] if resume else None)
        self.connections = None   # written: the rank engine's ranks keep only their own rows

    def output_counts(self):
        """Rows written so far in each growing dataset of state.h5 (rank 0)."""
        return self.probes.writer.counts()

    def close_outputs(self):
        """Close state.h5 (rank 0)."""
        if self.probes.writer is not None:
            self.probes.writer.close()

    # ------------------------------------------------------------------ running
    def initialize(self, resume=None):
        """Initialise the cells at t = 0, or to the state of a checkpoint (every rank)."""
        h = neuron_h()
        if resume is None:
            if self.playback:
                self.playback.extend_to(self.lookahead)
            self.set_horizon(0.0)
            h.finitialize()
            if self.playback:
                self.playback.started = True
                self._schedule_refill(REFILL_MS)
            return
        ck, t = resume, resume["t"]
        if self.engine == "rank":
            self.net.engine.start_at(t)
            h.finitialize()
        else:
            intf6.finitialize_without_events(h)
        intf6.restore_module_settings(h, ck["globals"])
        if self.engine == "rank":
            self.net.engine.read_settings(h)
        # the checkpoint was taken inside the timeline event at t, before the event moved
        # the drive's planning horizon on to the next timeline time: move it as it did
        self.set_horizon(t + 1e-6)
        h.t = t
        self.protocol.restore(ck["scheduler"])
        self.net.restore_cells(ck["cells"])
        self.net.restore_changing_weights(ck["weights"])
        self.net.update_outgoing_delays(dead=ck["scheduler"]["dead"])
        if self.engine == "rank":   # its events from t on (the reads of played-back input below)
            self.net.engine.resume(t, ck["scheduler"]["dead"], ck["recent_spikes"])
        if self.playback:
            self.playback.restore(ck["playback"])
            self.playback.started = True
            # a refill due at t itself may have run before the checkpoint or not: it extends only
            # when the inputs do not reach far enough
            self._schedule_refill(np.ceil(t / REFILL_MS - 1e-9) * REFILL_MS)
        if self.engine == "cells":
            for gid in self.net.local:
                self.net.control(gid, intf6.CONTROL_RESEND_PENDING)
            self._resend_in_flight(ck["recent_spikes"], t)

    def _resend_in_flight(self, recent, t_ck):
        """Recreate the deliveries of spikes emitted before the checkpoint that arrive after it."""
        t_spk, g_spk = recent
        conn = self.net.conn
        by_pre = {}
        for ts, g in zip(t_spk.tolist(), g_spk.tolist()):
            by_pre.setdefault(int(g), []).append(ts)
        for i, row in enumerate(self.net.netcon_rows):
            nc = self.net.netcons[i]
            for ts in by_pre.get(int(conn.pre[row]), ()):
                arrival = ts + nc.delay
                if arrival > t_ck:
                    nc.event(arrival)
                elif self.net.chained and nc.weight[intf6.SLOT["GROUP"]] > 0:
                    # deferred to its place in the delivery chain before the checkpoint
                    chained = self.net.chained_arrival(arrival, int(conn.pre[row]), int(nc.weight[intf6.SLOT["GROUP"]]))
                    if chained > t_ck:
                        nc.event(chained, intf6.FLAG_DEFERRED_ARRIVAL)

    def before_block(self, t_next):
        """Nothing to prepare: played-back inputs are refilled inside the run."""

    def after_block(self, t):
        """Every event before t (ms) handled, so that the block's spikes are out before
        they are gathered (the rank engine's windows lag NEURON's time)."""
        self.net.handle_until(t)

    def _schedule_refill(self, t):
        """Refill the played-back inputs at t (ms), then every REFILL_MS."""
        def refill():
            if self.playback.generated_to < t + AHEAD_MS + REFILL_MS:
                self.playback.extend_to(t + self.lookahead)
            self._schedule_refill(t + REFILL_MS)
        if self._cvode is None:   # one for the run: each h.CVode() made costs memory for good
            self._cvode = neuron_h().CVode()
        self._cvode.event(t, refill)

    def checkpoint_state(self, t):
        """The column's part of a checkpoint at t (collective; the merged state on rank 0,
        None elsewhere): cells, changing weights, playback, protocol decisions, globals."""
        self.net.catch_up(t)
        cells = gather_by_gid(self.net.cell_states())
        weights = gather_by_gid(self.net.changing_weights())
        pc = parallel_context()
        playback = pc.py_gather(self.playback.checkpoint_state() if self.playback else None, 0)
        if pc.id() != 0:
            return None
        return dict(engine=self.engine, globals=intf6.module_settings(neuron_h()), cells=cells, weights=weights,
                    scheduler=self.protocol.checkpoint_state(),
                    playback=Playback.merge_states(playback) if self.playback else None)

    def finalize(self, status, t, out_dir):
        """At the end of a run (collective): the final gain snapshot of a complete learning
        run, and the STDP gains as they are now into edges.h5."""
        if self.p["plasticity"] and status == "complete":
            self.probes.snapshot("final", t)
        if self.net.n_plastic:
            write_final_gains(out_dir / "edges.h5", self.net)

    def summary(self):
        """Headline facts for run.json."""
        return dict(alive_at_end=len(self.protocol.alive), deletion_rounds=self.protocol.round, engine=self.engine)


def assemble(experiment, needs=frozenset()):
    """Build the column of an experiment on this rank (see :class:`ColumnAssembly`)."""
    return ColumnAssembly(experiment, needs)
