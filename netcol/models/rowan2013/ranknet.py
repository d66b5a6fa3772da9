"""The column on one NetcolColumn per rank (:mod:`netcol.cells.intf6rank`): the same cells,
drive, connections, STDP and training signal as :func:`.network.build`, the same spikes
and gains bit for bit, at about two thirds of the time per simulated second, in the
default mode and in reference mode (the original's positions, wiring and background
streams, every quirk); the engine of every run unless engine = 'cells'
(:func:`use_rank_engine`).
"""
import numpy as np

from ...cells.intf6 import DT
from ...cells.intf6rank import ACT, DEAD, GOAL, N_RECEPTORS, SFAC, TU, RankEngine
from ...cells.population import RankWiring
from ...engine.runtime import neuron_h, parallel_context
from ...config.schema import ParamError
from .column import cell_table
from .network import CellLayout, draw, drive_streams, first_delays, original_streams, receptor_weight_table, \
    set_delivery_switches, set_module_scaling, stdp_rules, stream_caps
from .wiring import COLUMNS, Connectivity, keyed_connectivity, keyed_positions, merged

def use_rank_engine(params):
    """Whether a run goes on the rank engine: engine = 'rank' or 'auto' (it runs every
    experiment, checkpoints and the GUI); 'cells' keeps the per-cell engine.

    Parameters
    ----------
    params : dict
        Checked experiment parameters.

    Returns
    -------
    bool
    """
    return params["engine"] != "cells"


def _engine_value(what, doc):
    return property(lambda cell: cell.engine.value(cell.gid, what), doc=doc)


class RankCell:
    """What the probes read of a cell on the rank engine."""

    dead = _engine_value(DEAD, "1 once deleted, else 0")
    act = _engine_value(ACT, "activity sensor (1/ms) as of tu")
    tu = _engine_value(TU, "time of the sensor's value (ms)")
    goal = _engine_value(GOAL, "activity goal (1/ms; -1 until scaling sets it)")
    sfac = _engine_value(SFAC, "scale factor")

    def __init__(self, engine, gid):
        self.engine, self.gid = engine, gid


#: Presynaptic cells whose connections rank 0 gathers at a time.
GATHER_CELLS = 8192


class RankNetwork(CellLayout):
    """The column built on this rank's NetcolColumn; offers what the run loop, the
    probes, the edge writer and the GUI use of :class:`.network.ColumnNetwork` (``local``
    and ``states`` both map each gid to its :class:`RankCell`).

    Unlike the per-cell engine's, ``conn`` holds only this rank's cells' afferent
    connections (its memory falls as ranks are added); ``netcon_rows`` numbers them in
    the whole column's connection order and :meth:`global_connections` gathers the whole
    on rank 0 for the files.  ``outgoing`` holds each local cell's efferent connections'
    delays and targets (for the delivery callbacks' scaling steps after deletions);
    ``synapse_order`` the row of ``conn`` of each of the engine's synapses, in its order,
    and ``synapses`` the engine's index of each of conn's rows; ``drive_rates`` each local
    cell's drive streams' rates (Hz), by gid.
    With ``whole`` (reference mode, or chained arrival times: every rank holds the whole
    column's connections, as the per-cell engine's ranks do) the files take it as it is,
    and the delivery chains (``chained``) come from it.
    """

    nearest_dead_callback = False

    def __init__(self, column, cells, xyz, conn, size, engine, wiring, rows, outgoing, synapse_order, whole=None,
                 chained=False):
        self.column, self.cells, self.xyz, self.conn, self.size = column, cells, xyz, conn, size
        self.synapse_order = synapse_order
        self.synapses = np.argsort(synapse_order)
        self.whole, self.chained = whole, chained
        self.chain_group, self.chain_steps = None, {}
        self.engine, self.wiring = engine, wiring
        self.local = {gid: RankCell(engine, gid) for gid in wiring.relays}
        self.states = self.local
        self.netcon_rows = rows
        self.outgoing = outgoing
        self.plastic_local = np.flatnonzero(conn.plastic)
        self.n_plastic = int(parallel_context().allreduce(len(self.plastic_local), 1))
        self.dead = set()

    @property
    def local_w1(self):
        """The primary weight of each local synapse (aligned with ``netcon_rows``)."""
        return self.conn.w1

    def global_connections(self):
        """The whole column's connections on rank 0 (None on the others); collective.

        Returns
        -------
        netcol.models.rowan2013.wiring.Connectivity or None
        """
        pc = parallel_context()
        root = int(pc.id()) == 0
        if self.whole is not None:
            return self.whole if root else None
        total = int(pc.allreduce(len(self.conn), 1))
        whole = Connectivity(*(np.empty(total, dtype=getattr(self.conn, k).dtype) for k in COLUMNS)) if root else None
        # a range of presynaptic cells at a time: rank 0 holds the whole once, not also
        # every rank's part and its pickled copy
        bounds = np.searchsorted(self.conn.pre, np.arange(0, self.n + GATHER_CELLS, GATHER_CELLS))
        filled_to = 0
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            parts = pc.py_gather(Connectivity(*(getattr(self.conn, k)[lo:hi] for k in COLUMNS)), 0)
            if root:
                chunk = merged(parts)
                for k in COLUMNS:
                    getattr(whole, k)[filled_to:filled_to + len(chunk)] = getattr(chunk, k)
                filled_to += len(chunk)
        return whole

    def handle_until(self, t):
        """Every event before t (ms) handled, its spikes recorded (the engine's windows
        lag NEURON's time)."""
        self.engine.advance(t)

    def catch_up(self, t):
        """Every event before t (ms) handled: the engine's cells are then at t."""
        self.engine.advance(t)

    def scaling_on(self, t):
        """Synaptic scaling from t (ms) on."""
        self.set_scaling(t, True, t)

    def set_scaling(self, t, on, ton):
        """Synaptic scaling on (its steps from ton, ms) or off from t (ms), every event
        before t handled with the old setting: the engine's switch and NetcolIntf6's
        module-wide one (which checkpoints save and the GUI shows)."""
        set_module_scaling(on, ton)
        self.engine.set_scaling(t, on, ton)

    def set_stdp(self, t, on):
        """STDP on or off from t (ms): the engine's switch (NetcolIntf6's module-wide one
        is the caller's, the GUI's field)."""
        self.engine.set_stdp(t, on)

    def set_horizon(self, t):
        """The next time (ms) the protocol may change the cells' inputs."""
        self.engine.set_horizon(t)

    def cap_drive(self, tstop_ms):
        """End each local cell's drive streams as the original's NetStims of a run of
        tstop_ms end (:func:`.network.stream_caps`)."""
        self.engine.set_caps([stream_caps(self.drive_rates[g], tstop_ms) for g in self.engine.index])

    def stream_counts(self):
        """Each local cell's events drawn per drive stream (counted against its cap).

        Returns
        -------
        dict of int to list of float
        """
        return dict(zip(self.engine.index, self.engine.stream_counts().tolist()))

    def restart(self):
        """The column as built, for a new run from t = 0 (the GUI's init, before the
        initialisation, which brings the deleted cells back): arrivals from every cell
        flow again and their targets count them in the delay tables, the drive at full
        weight, its streams rewound, and no remote spike of the run before left to read."""
        self.engine.restart()
        self.dead = set()
        self.update_outgoing_delays()
        self.wiring.rec_t.resize(0)
        self.wiring.rec_id.resize(0)

    def delete(self, gids, t):
        """Delete cells at time t (ms), as :meth:`.network.ColumnNetwork.delete` does: they
        stop integrating, spiking and scaling, every arrival from them after t is dropped,
        and their presynaptic cells drop the callbacks to them."""
        gids = sorted(set(int(g) for g in gids))
        self.engine.kill(gids, t)
        self.update_outgoing_delays(dead=gids)

    def scale_drive(self, gain):
        """Every local cell's drive gain from now on (catch_up first)."""
        self.engine.set_drive_gain(gain)

    def efferent(self, gid):
        """A local cell's efferent connections: (delays in ms, postsynaptic gids)."""
        return self.outgoing.get(gid, (np.empty(0), np.empty(0, dtype=np.int64)))

    def presynaptic_to(self, gids):
        """The cells with a synapse onto any of gids: with ``whole``, every one (local or
        not: their chains change), else the local ones (only their delays change)."""
        if self.whole is not None:
            return set(self.whole.pre[np.isin(self.whole.post, list(gids))].tolist())
        gids = np.array(sorted(gids), dtype=np.int64)
        return {g for g, (_, post) in self.outgoing.items() if np.isin(post, gids).any()}

    def give_outgoing_delays(self, gid, delays):
        """Hand a local cell its outgoing delays (ms)."""
        self.engine.set_outgoing_delays(gid, delays)

    def chain_scope(self):
        """The whole column's connections and the presynaptic cells of the local synapses
        (for :meth:`update_chains`)."""
        return self.whole, np.unique(self.conn.pre)

    def give_chain(self, pre, steps):
        """Hand the engine a presynaptic cell's delivery chain (its delay differences)."""
        self.engine.set_chain(pre, steps)

    def give_chain_groups(self):
        """Hand the engine each of its synapses' group in its presynaptic cell's chain."""
        self.engine.set_groups(self.chain_group[self.netcon_rows[self.synapse_order]])

    def cell_states(self):
        """Every local cell's state as a checkpoint holds it, by gid: the per-cell engine's
        names and values (:meth:`netcol.cells.intf6rank.RankEngine.cell_states`)."""
        return self.engine.cell_states()

    def restore_cells(self, states):
        """Set every local cell's state from :meth:`cell_states` output (any rank layout;
        after an initialisation started by the engine's start_at)."""
        self.engine.restore_states(states)

    def changing_weights(self):
        """Each local synapse's changing values by row, {row: [STDP gain, previous
        presynaptic spike, last paired postsynaptic spike, cut]}, as the per-cell engine's
        checkpoints hold its NetCons' changing slots."""
        values = np.column_stack([self.engine.plastic_state(), self.engine.cut_flags()])[self.synapses]
        return dict(zip(self.netcon_rows.tolist(), values.tolist()))

    def restore_changing_weights(self, saved):
        """Set the STDP state from :meth:`changing_weights` output (any rank layout; the
        cut synapses follow from the deleted cells on resume)."""
        if self.engine.plastic:
            state = np.empty((len(self.synapses), 3))
            state[self.synapses] = [saved[row][:3] for row in self.netcon_rows.tolist()]
            self.engine.set_plastic_state(state)

    def local_plastic_gains(self):
        """The stored STDP gains of this rank's plastic synapses (rows
        netcon_rows[plastic_local])."""
        return self.engine.plastic_gains(self.synapses[self.plastic_local])

    def playback_positions(self):
        """Each local cell's next played-back entry (its index in what it was given last).

        Returns
        -------
        dict of int to int
        """
        return dict(zip(self.engine.index, self.engine.playback_positions().tolist()))

    def load_playback(self, entries, reread):
        """Give every local cell its played-back input, replacing what it had, read from its
        first entry on (as :meth:`.network.ColumnNetwork.load_playback`).

        Parameters
        ----------
        entries : dict of int to (times, slots, weights)
            By gid (times absolute, ascending).
        reread : bool
            A cell that had no entry left reads its new ones from now on (h.t); False
            before the cells are initialised.
        """
        self.engine.set_playback(neuron_h().t, [entries[g] for g in self.engine.index], reread)


def build_rank(column, size=1.0, seed=2, trial_ms=0.0, rng="keyed", chained=False, input_tstop_ms=None,
               plastic=False):
    """Create this rank's cells (gid % nhost == rank) and their incoming connections on a
    NetcolColumn, as :func:`.network.build` does on NetcolIntf6s.

    Parameters
    ----------
    column : netcol.column.Column
    size : float
    seed : int
    trial_ms : float
        Length of the repeat/unique stimulus trials (0: no trials).
    rng : {'keyed', 'original'}
        'original': the original's positions, wiring and background streams (reference
        mode).
    chained : bool
        Spike arrival times summed along the original's delivery chains (the quirk
        "chained arrivals").
    input_tstop_ms : float or None
        With a value, each drive stream ends as the original's NetStim of a run of this
        length does (the quirk "input count"); None: never.
    plastic : bool
        Give the synapses their STDP rules and state (else every gain stays 1).

    Returns
    -------
    RankNetwork
    """
    h, pc = neuron_h(), parallel_context()
    rank, nhost = int(pc.id()), int(pc.nhost())
    set_delivery_switches(h, chained, input_tstop_ms)
    local, cells, xyz, conn, rows, outgoing, whole = _connections(column, size, seed, rng, chained, pc)
    epoch = window(pc.allreduce(float(conn.delay.min()) if len(conn) else np.inf, 3))
    engine = RankEngine(h, cells["n"], epoch)
    wiring = RankWiring(h, pc, engine.pop)
    for gid in local:
        engine.add_cell(int(gid), wiring.relay(int(gid)))
    rates = _set_cells(engine, column, cells, local, seed, rng, input_tstop_ms,
                       [outgoing[int(g)][0] if int(g) in outgoing else () for g in local])
    engine.set_trials(trial_ms)
    # each cell's synapses in connection order, the cells in the order they were added;
    # chained, every synapse of a cell carries its spike to the chain's first callback
    order = np.argsort(conn.post // nhost, kind="stable")
    delays = first_delays(whole, cells["n"])[conn.pre[order]] if chained else conn.delay[order]
    engine.add_synapses(conn.post[order] // nhost, conn.pre[order], delays,
                        receptor_weight_table(np.asarray(cells["classes"])[conn.pre[order]], conn.w1[order],
                                              conn.w2[order], N_RECEPTORS),
                        cells["excitatory"][conn.pre[order]])
    if plastic:
        engine.set_plastic(stdp_rules(column, cells["classes"], conn, order), conn.delay[order])
    wiring.listen(conn.pre, epoch)
    net = RankNetwork(column, cells, xyz, conn, size, engine, wiring, rows, outgoing, order, whole=whole,
                      chained=chained)
    net.drive_rates = dict(zip(local.tolist(), rates.tolist()))
    net.update_chains()
    return net


def _connections(column, size, seed, rng, chained, pc):
    """This rank's cells and their afferent connections: in reference mode or with chained
    arrivals every rank holds the whole column's (the per-cell build's draws,
    :func:`.network.draw`) and keeps its rows, else it draws only its own cells' and
    numbers them (:func:`number_rows`).

    Returns
    -------
    (local gids, cells, xyz, conn, rows, outgoing, whole): whole is None unless held.
    """
    rank, nhost = int(pc.id()), int(pc.nhost())
    if rng == "original" or chained:
        cells, xyz, whole = draw(column, size, seed, rng)
        local = np.arange(rank, cells["n"], nhost)
        rows = np.flatnonzero(whole.post % nhost == rank)
        conn = Connectivity(*(getattr(whole, k)[rows] for k in COLUMNS))
        starts = np.searchsorted(whole.pre, np.arange(cells["n"] + 1))
        outgoing = {int(g): (whole.delay[starts[g]:starts[g + 1]], whole.post[starts[g]:starts[g + 1]])
                    for g in local if starts[g + 1] > starts[g]}
        return local, cells, xyz, conn, rows, outgoing, whole
    cells = cell_table(column, size)
    xyz = keyed_positions(column, cells, seed)
    local = np.arange(rank, cells["n"], nhost)
    conn = keyed_connectivity(column, cells, xyz, seed, size, targets=local)
    rows, outgoing = number_rows(pc, conn, cells["n"])
    return local, cells, xyz, conn, rows, outgoing, None


def _set_cells(engine, column, cells, local, seed, rng, input_tstop_ms, outgoing_delays):
    """Give the engine its cells' parameters and drive streams: keyed by gid, or the
    original's (:func:`.network.original_streams`), capped with input_tstop_ms
    (:func:`.network.stream_caps`); return each cell's four streams' rates (Hz)."""
    pops, n = cells["pops"], cells["n"]
    types = cells["type_index"][local]
    by_type = [engine.cell_row(column.cell_classes[pop.cls].params, column.cell_classes[pop.cls].inhib) for pop in pops]
    rows = np.array([by_type[t] for t in types])
    if rng == "original":
        drawn = [original_streams(int(g), n, column.external[pops[t].cls], column.original_seeds["inputs"])
                 for g, t in zip(local, types)]
        streams = np.array([d[0] for d in drawn])
    else:
        keyed = [drive_streams(column.external[pop.cls]) for pop in pops]
        streams = np.array([[keyed[t][k] if k < len(keyed[t]) else (0.0, 0.0, 0) for k in range(4)] for t in types])
    engine.set_cells(rows, streams, seed, outgoing_delays)
    if rng == "original":
        engine.set_original(np.array([d[1] for d in drawn]), np.array([d[2] for d in drawn]))
    if input_tstop_ms is not None:
        engine.set_caps(np.array([stream_caps(s[:, 0], input_tstop_ms) for s in streams]))
    return streams[:, :, 0] if len(streams) else np.empty((0, 4))


def number_rows(pc, conn, n):
    """Each rank's connections numbered in the whole column's connection order (by
    presynaptic gid, then delay, then postsynaptic gid), and its cells' outgoing delays:
    every rank sends its connections' (pre, delay, post) to the rank of the presynaptic
    cell, which orders them, and the ranks share how many each presynaptic cell has.

    Parameters
    ----------
    pc : hoc.HocObject
        The ParallelContext (collective: every rank calls it).
    conn : netcol.models.rowan2013.wiring.Connectivity
        This rank's cells' afferent connections, in connection order.
    n : int
        Cells in the column.

    Returns
    -------
    rows : numpy.ndarray of int
        The whole column's row number of each of conn's rows (ascending).
    outgoing : dict of int to (numpy.ndarray, numpy.ndarray)
        The delays (ms, ascending) and postsynaptic gids of the connections of each of
        this rank's cells that has any.
    """
    nhost = int(pc.nhost())
    owner = conn.pre % nhost
    mine = [np.flatnonzero(owner == r) for r in range(nhost)]
    got = pc.py_alltoall([(conn.pre[k], conn.delay[k], conn.post[k]) for k in mine])
    pre, delay, post = (np.concatenate([g[j] for g in got]) for j in range(3))
    order = np.lexsort((post, delay, pre))
    counts = np.bincount(pre, minlength=n)
    starts = np.concatenate([[0], np.cumsum(np.sum(pc.py_allgather(counts), axis=0))])
    by_pre = pre[order]
    numbered = np.empty(len(pre), dtype=np.int64)
    numbered[order] = starts[by_pre] + np.arange(len(pre)) - np.searchsorted(by_pre, by_pre)
    sizes = np.cumsum([0] + [len(g[0]) for g in got])
    back = pc.py_alltoall([numbered[sizes[r]:sizes[r + 1]] for r in range(nhost)])
    rows = np.empty(len(conn), dtype=np.int64)
    for r in range(nhost):
        rows[mine[r]] = back[r]
    bounds = np.flatnonzero(np.diff(by_pre)) + 1
    outgoing = {int(g[0]): (d, p) for g, d, p in zip(np.split(by_pre, bounds), np.split(delay[order], bounds),
                                                     np.split(post[order], bounds)) if len(g)}
    return rows, outgoing


def window(shortest):
    """The rank engine's window: the whole steps of DT in the shortest delay, NEURON's
    spike-exchange interval on the fixed step (see the mod file).

    Parameters
    ----------
    shortest : float
        The shortest connection delay (ms; inf: no connections).

    Returns
    -------
    float
        The window (ms).
    """
    if not np.isfinite(shortest):
        return DT
    if shortest < DT:
        raise ParamError(f"the shortest synaptic delay, {shortest:g} ms, is below the step, {DT:g} ms")
    return DT * np.floor(shortest / DT + 1e-9)
