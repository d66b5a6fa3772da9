"""What every population mechanism (one instance holding all of a rank's cells, such as
NetcolLifMap and NetcolCondLif) needs from ParallelContext: a NetcolRelay per cell as
the spike source of its gid, and one incoming NetCon per source on another rank that
has targets on this rank, whose weight carries the source gid.  Sources on the same
rank need no NetCon: the mechanism passes their spikes on itself.
"""
import numpy as np

RELAY_NAME = "NetcolRelay"


def vector_out(h, method):
    """What a mechanism method writes into a hoc Vector, as a numpy array."""
    v = h.Vector()
    method(v)
    return np.array(v)


def vector_in(h, method, values):
    """Hand a mechanism method a hoc Vector of values."""
    method(h.Vector(np.asarray(values, float)))


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
        self.relays, self.out_ncs, self.in_ncs, self.sources = {}, [], [], []

    def relay(self, gid):
        """A new relay registered as the spike source of gid on this rank (kept alive here:
        a NetCon does not keep its source)."""
        relay = getattr(self.h, RELAY_NAME)()
        self.pc.set_gid2node(gid, self.rank)
        nc = self.h.NetCon(relay, None)
        self.pc.cell(gid, nc)
        self.relays[gid] = relay
        self.out_ncs.append(nc)
        return relay

    def listen(self, sources, delay):
        """One NetCon from each source gid (ascending) on another rank to the population."""
        self.sources = sorted(set(int(s) for s in sources))
        for src in self.sources:
            if src in self.relays:
                continue
            nc = self.pc.gid_connect(src, self.pop)
            nc.weight[0] = src
            nc.delay = delay
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

    def redeliver(self, recent, t, delay):
        """After a resume at t: the spikes in flight at the checkpoint (emitted before t,
        arriving at or after it) reach the population again (arrive() is idempotent)."""
        listening = set(self.sources)
        for ts, g in zip(*recent):
            if ts + delay >= t - 1e-9 and int(g) in listening:
                self.pop.arrive(int(g))


class PopulationAssemblyBase:
    """What every assembly of a population-mechanism model offers the run loop the same way
    (see netcol.models.rowan2013.assembly for the interface): its cells by gid through its
    wiring, a state.h5 writer (rank 0), no work between timeline events or blocks, and the
    nodes-only SONATA circuit.  A model's assembly sets ``wiring``, ``writer`` and
    ``population``."""

    wiring = None
    writer = None
    population = None

    @property
    def local(self):
        """This rank's cells by gid (their relays)."""
        return self.wiring.relays

    def after_event(self, t):
        """Nothing to do after a timeline event: the mechanism holds the protocol."""

    def before_block(self, t_next):
        """Nothing to prepare before a block."""

    def sonata_network(self):
        """The nodes for circuit_config.json (these models write no edges file)."""
        from .ei_nodes import nodes_circuit
        return nodes_circuit(self.population)

    def output_counts(self):
        """Rows written so far in each growing dataset of state.h5 (rank 0)."""
        return self.writer.counts()

    def close_outputs(self):
        """Close state.h5 (rank 0)."""
        if self.writer is not None:
            self.writer.close()
