"""What every population mechanism (one instance holding all of a rank's cells, such as
NetcolLifMap, NetcolCondLif and NetcolEif) needs from ParallelContext: a NetcolRelay per
cell as the spike source of its gid, and one listening NetCon per source on another rank
that has targets on this rank, kept inactive, into whose records NEURON writes the
source's spikes at each exchange (RankWiring.listen).  Sources on the same rank need no
NetCon: the mechanism passes their spikes on itself.  And the parts of an assembly that
all these models share (PopulationAssemblyBase).
"""
import numpy as np

from . import protocol_step
from ..engine.runtime import filled, scratch_vectors

RELAY_NAME = "NetcolRelay"


def vector_out(h, method):
    """What a mechanism method writes into a hoc Vector, as a numpy array."""
    v = scratch_vectors(1)[0]
    method(v)
    return np.array(v)


def vector_in(h, method, values):
    """Hand a mechanism method a hoc Vector of values."""
    method(filled(scratch_vectors(1)[0], values))


def weights(h, pop):
    """The weights a population mechanism keeps (get_weights), in its set-up order."""
    return vector_out(h, pop.get_weights)


def set_weights(h, pop, w):
    """Set the weights a population mechanism keeps (set_weights), in its set-up order."""
    vector_in(h, pop.set_weights, w)


def finitialize_at_step(h, pop, kstep):
    """finitialize with the population's next step set to kstep (0 for a fresh run; its
    INITIAL schedules that step)."""
    pop.kstep = kstep
    h.finitialize()


class RankWiring:
    """The relays and incoming NetCons of one population mechanism on this rank.

    Parameters
    ----------
    h, pc : hoc.HocObject
        NEURON and its ParallelContext.
    pop : hoc.HocObject
        The population mechanism (receives every incoming NetCon).
    """

    def __init__(self, h, pc, pop):
        self.h, self.pc, self.pop = h, pc, pop
        self.rank = int(pc.id())
        self.relays, self.in_ncs, self.sources = {}, [], []

    def relay(self, gid):
        """A new relay registered as the spike source of gid on this rank (kept alive here:
        a NetCon does not keep its source).  The NetCon that names the source to
        pc.cell is dropped at once: kept, it sat in the source's list of NetCons, and
        every spike read it (a cache miss per spike, 3 % of an akil2021 run)."""
        relay = getattr(self.h, RELAY_NAME)()
        self.pc.set_gid2node(gid, self.rank)
        self.pc.cell(gid, self.h.NetCon(relay, None))
        self.relays[gid] = relay
        return relay

    def listen(self, sources, delay):
        """Listen to each source gid (ascending) on another rank through one NetCon, kept
        inactive: NEURON records the source's spikes into two vectors at each exchange,
        which the population reads and empties at its next step.  A queue event per
        remote spike (a NetCon delivering to the population) cost more: 0.84 against
        1.00 s per simulated second on 2 ranks (bench/vogels_speed.py, same spikes).
        The delay sets the exchange interval as any NetCon's would: it must stay within
        the shortest delay of the population's synapses (the binding's DELAY, a step or
        less, does: a synapse's delay is one step at least), and the mechanism holds
        back what arrives before its synapses' own delays have passed."""
        self.sources = sorted(set(int(s) for s in sources))
        self.rec_t, self.rec_id = self.h.Vector(), self.h.Vector()
        self.pop.listen_records(self.rec_t, self.rec_id)
        for src in self.sources:
            if src in self.relays:
                continue
            nc = self.pc.gid_connect(src, self.pop)
            nc.delay = delay
            nc.active(False)
            nc.record(self.rec_t, self.rec_id, src)
            self.in_ncs.append(nc)

    def listen_per_synapse(self, sources, delay):
        """One NetCon per synapse instead (sources with repeats, local ones included): the
        design the fan-out replaces, kept to measure it against (bench/vogels_speed.py)."""
        self.sources = sorted(set(int(s) for s in sources))
        for src in sources:
            nc = self.pc.gid_connect(int(src), self.pop)
            nc.weight[0] = int(src)
            nc.delay = delay
            self.in_ncs.append(nc)

    def redeliver(self, recent, t, delay=None):
        """After a resume at t: the spikes emitted before t that the population listens to
        or emitted itself reach it again with their times (arrive_spike); the mechanism
        keeps those still in flight, within its longest delay, and drops the older ones.
        recent must hold every spike of that span (netcol.engine.simulate keeps the last
        max(20 ms, the model's longest_delay_ms + 1 ms) of them).

        Parameters
        ----------
        recent : (numpy.ndarray, numpy.ndarray)
            Spike times (ms) and gids, as a checkpoint's recent_spikes.
        t : float
            The checkpoint's time (ms).
        delay : float, optional
            Not read (the mechanism knows its delays); kept for models written before
            delays.
        """
        listening = set(self.sources) | set(self.relays)
        for ts, g in zip(*recent):
            if ts < t and int(g) in listening:
                self.pop.arrive_spike(int(g), float(ts))


def ei_edge_types(pre, post, n_e):
    """Edge type ids of synapses between the E (gids below n_e) and I cells of a network:
    pre node type x 100 + post node type (E 1, I 2: 101 E->E, 102 E->I, 201 I->E, 202 I->I)."""
    return np.where(np.asarray(pre) < n_e, 100, 200) + np.where(np.asarray(post) < n_e, 1, 2)


#: The edge types of an E/I network: (id, pre type, post type).
EI_EDGE_TYPES = ((101, "E", "E"), (102, "E", "I"), (201, "I", "E"), (202, "I", "I"))


class PopulationAssemblyBase:
    """What every assembly of a population-mechanism model offers the run loop the same way
    (see netcol.models.rowan2013.assembly for the interface): its cells by gid through its
    wiring, a state.h5 writer (rank 0), no work between timeline events or blocks, the
    SONATA circuit (nodes, and the recurrent synapses as edges), spike counts, and its
    weights by gid or gathered in gid order.  A model's assembly sets ``pop``, ``gids``,
    ``wiring``, ``writer``, ``population`` and ``weight_counts`` (per local gid: how many
    of the weights get_weights returns are that cell's), then calls
    :meth:`prepare_weight_gather`; for its edges it gives :meth:`edge_rows`,
    :meth:`edge_types`, ``weight_unit`` and ``final_weights``."""

    pop = gids = wiring = writer = population = weight_counts = None
    gather_order = None
    #: The unit of the edges' weights (None: none stated).
    weight_unit = None
    #: What gathered_weights holds: "plastic" (the plastic synapses' weights, target-major,
    #: each cell's in set-up order) or "all" (every synapse's).
    final_weights = "plastic"
    #: The longest delay of the network's synapses (ms; a model with pathway delays sets it):
    #: a checkpoint keeps the spikes of at least that span for a resume (RankWiring.redeliver).
    longest_delay_ms = 0.0

    @property
    def local(self):
        """This rank's cells by gid (their relays)."""
        return self.wiring.relays

    def after_event(self, t):
        """Nothing to do after a timeline event: the mechanism holds the protocol."""

    def before_block(self, t_next):
        """Nothing to prepare before a block."""

    def after_block(self, t):
        """Nothing to finish after a block: every step's spikes are out."""

    def restart(self):
        """Back to the state as set up, from step 0 (the GUI's init)."""
        self.pop.restart()

    def gather_synapse_table(self, sources_by_gid):
        """Every synapse as (pre, post), target-major, sources in each target's set-up order
        (the order of gathered_weights), on rank 0 (collective; None elsewhere).

        Parameters
        ----------
        sources_by_gid : dict
            This rank's gids -> their synapses' sources.
        """
        from ..engine.gather import gather_by_gid
        merged = gather_by_gid(sources_by_gid)
        if merged is None:
            return None
        pre = [np.asarray(merged[g], np.int64) for g in range(self.n)]
        return np.concatenate(pre), np.repeat(np.arange(self.n), [len(x) for x in pre])

    @staticmethod
    def merge_held_rows(rows, held, fill):
        """Per-source rows (such as traces) merged from the ranks that hold them, on rank 0
        (collective; None elsewhere): each rank sends its rows of the sources it holds.

        Parameters
        ----------
        rows : numpy.ndarray
            One row per source in the network (this rank's values).
        held : list of int
            The sources whose rows this rank keeps up to date.
        fill : sequence
            The row of a source no rank holds.
        """
        from ..engine.runtime import parallel_context
        parts = parallel_context().py_gather((rows, held), 0)
        if parts is None:
            return None
        merged = np.empty_like(rows)
        merged[:] = fill
        for part, where in parts:
            merged[where] = part[where]
        return merged

    def write_nodes(self, path):
        """nodes.h5 (SONATA): type E/I and the excitatory flag; node_types.csv."""
        from .ei_nodes import write_ei_nodes
        write_ei_nodes(path, self.population, self.excitatory, self.binding.HOC_NAME)

    def finalize(self, status, t, out_dir):
        """At the end of a run (collective): the weights as they are now into edges.h5's
        syn_weight_final, and, at the end of a complete run, into the writer's "final"
        snapshot where it has one."""
        from ..io.edges import fill_final
        from ..io.space import guarded
        values = self.gathered_weights()
        if values is None:
            return
        if status == "complete" and "final" in getattr(self.writer, "SNAPSHOTS", ()):
            self.writer.snapshot("final", t, values)
        guarded(fill_final)(out_dir / "edges.h5", self.edge_population, values,
                            None if self.final_weights == "all" else self.plastic_edge_types())

    def summary(self):
        """Headline facts for run.json."""
        return {}

    # ------------------------------------------------------------------ edges
    @property
    def edge_population(self):
        """The SONATA edge population of the recurrent synapses."""
        return f"{self.population}__{self.population}"

    def edge_rows(self, gid):
        """The synapses onto one cell in its set-up order (the order of its weights):
        (sources, edge type ids, weights at the start) and, where synapses have delays of
        their own, their delays (ms; without them, one step of the mechanism each)."""
        raise NotImplementedError

    def edge_types(self):
        """edge_types.csv: (header, rows), each row (edge_type_id, ..., plastic 0 or 1)."""
        raise NotImplementedError

    def plastic_edge_types(self):
        """The ids of the plastic edge types."""
        _, rows = self.edge_types()
        return {int(row[0]) for row in rows if int(row[-1])}

    def write_edges(self, out_dir):
        """edges.h5 (SONATA, see netcol.io.edges) and edge_types.csv with the weights as
        set up (rank 0): rows target-major, each cell's synapses in set-up order;
        syn_weight (at the start), syn_weight_final (the static synapses' weight, NaN for
        the plastic ones until :meth:`finalize`), delay (ms: each synapse's delay, one
        step of the mechanism where edge_rows gives none).  Drawn again cell by cell (the
        wiring is keyed by target gid, so the same on any number of ranks) and written a
        block of rows at a time."""
        from ..io.edges import BLOCK_ROWS, EdgeWriter, write_edge_types
        header, rows = self.edge_types()
        write_edge_types(out_dir / "edge_types.csv", header, rows)
        plastic = np.array(sorted(self.plastic_edge_types()), np.int64)
        unit, step = self.weight_unit, float(protocol_step(self.binding))
        columns = {"syn_weight": unit, "syn_weight_final": unit, "delay": "ms"}
        with EdgeWriter(out_dir / "edges.h5", self.edge_population, self.population, self.population, columns) as w:
            held, count = [], 0
            for gid in range(self.n):
                rows = self.edge_rows(gid)
                if len(rows) == 3:
                    rows = (*rows, np.full(len(rows[0]), step))
                held.append((gid, *rows))
                count += len(held[-1][1])
                if count >= BLOCK_ROWS or gid == self.n - 1:
                    src, types, weight, delay = (np.concatenate([h[i] for h in held]) for i in (1, 2, 3, 4))
                    post = np.repeat([h[0] for h in held], [len(h[1]) for h in held])
                    w.append(src, post, types, syn_weight=weight, delay=np.asarray(delay, float),
                             syn_weight_final=np.where(np.isin(types, plastic), np.nan, weight))
                    held, count = [], 0
            w.close(self.n, self.n)

    def sonata_network(self):
        """The nodes and edges for circuit_config.json."""
        from ..io.edges import edges_entry
        from .ei_nodes import nodes_circuit
        network = nodes_circuit(self.population)
        network["edges"] = [edges_entry([self.edge_population])]
        return network

    def output_counts(self):
        """Rows written so far in each growing dataset of state.h5 (rank 0)."""
        return self.writer.counts()

    def close_outputs(self):
        """Close state.h5 (rank 0)."""
        if self.writer is not None:
            self.writer.close()

    def spike_counts(self):
        """Spikes so far of all E and all I cells (collective; every rank)."""
        from ..engine.runtime import parallel_context
        pc, n_e = parallel_context(), int(np.count_nonzero(self.excitatory))
        return pc.allreduce(self.pop.count_spikes(0, n_e), 1), pc.allreduce(self.pop.count_spikes(n_e, self.n), 1)

    def local_weights(self):
        """This rank's weights by gid (checkpoints: any rank count may resume them)."""
        from ..engine.runtime import neuron_h
        w = weights(neuron_h(), self.pop)
        ends = np.cumsum([self.weight_counts[g] for g in self.gids])
        return {g: part for g, part in zip(self.gids, np.split(w, ends[:-1]))}

    def prepare_weight_gather(self):
        """Collective, once: on rank 0, where each gathered weight (ranks in turn, each in its
        own set-up order) goes in gid order (cells ascending, each cell's weights in its
        set-up order)."""
        from ..engine.gather import gather_by_gid
        from ..engine.runtime import parallel_context
        counts = gather_by_gid(self.weight_counts)
        if counts is None:
            return
        nhost = int(parallel_context().nhost())
        starts = np.concatenate([[0], np.cumsum([counts[g] for g in range(self.n)])])
        self.gather_order = np.concatenate([np.arange(starts[g], starts[g + 1]) for r in range(nhost)
                                            for g in range(r, self.n, nhost)]).astype(np.int64)

    def gathered_weights(self):
        """Every weight in gid order on rank 0 (None elsewhere; collective): one array per
        rank, since records gather them often."""
        from ..engine.runtime import neuron_h, parallel_context
        parts = parallel_context().py_gather(weights(neuron_h(), self.pop), 0)
        if parts is None or self.gather_order is None:
            return None
        out = np.empty(len(self.gather_order))
        out[self.gather_order] = np.concatenate(parts)
        return out
