"""The column on one NetcolColumn per rank (:mod:`netcol.cells.intf6rank`): the same cells,
drive, connections, STDP and training signal as :func:`.network.build`, the same spikes
and gains bit for bit, at about two thirds of the time per simulated second; for runs that
need none of what the per-cell mechanism alone does yet (see :func:`use_rank_engine`):
reference mode, its quirks, checkpoints and the GUI.
"""
import numpy as np

from ...cells.intf6 import DT
from ...cells.intf6rank import ACT, DEAD, GOAL, N_RECEPTORS, SFAC, TU, RankEngine
from ...cells.population import RankWiring
from ...engine.runtime import neuron_h, parallel_context
from ...config.schema import ParamError
from .column import cell_table
from .network import CellLayout, drive_streams, receptor_weight_table, set_module_scaling, stdp_rules
from .wiring import COLUMNS, Connectivity, keyed_connectivity, keyed_positions, merged
from .protocol import QUIRKS

#: What the rank engine does not do yet, as (parameter, value that needs the per-cell one).
NEEDS_CELLS = (("rng", "original"), *((f"quirk_{name}", "on") for name in QUIRKS))


def rank_engine_misses(params):
    """What of an experiment the rank engine does not do yet.

    Parameters
    ----------
    params : dict
        Checked experiment parameters.

    Returns
    -------
    list of str
        'name = value' for each parameter that needs the per-cell engine (empty: none).
    """
    return [f"{k} = {v!r}" for k, v in NEEDS_CELLS if params[k] == v]


#: What of the callers' needs (netcol.build.assemble.NEEDS) the rank engine cannot serve:
#: none so far (it takes checkpoints, and the GUI reads its cells from the core).
NEEDS_CELLS_FOR = frozenset()


def use_rank_engine(params, needs):
    """Whether a run goes on the rank engine: engine = 'rank', or 'auto' when the
    experiment has nothing :func:`rank_engine_misses` and the caller needs nothing of
    :data:`NEEDS_CELLS_FOR`.

    Parameters
    ----------
    params : dict
        Checked experiment parameters.
    needs : frozenset
        What the caller will use beyond the run (netcol.build.assemble.NEEDS).

    Returns
    -------
    bool

    Raises
    ------
    ParamError
        engine = 'rank' and the caller needs something of :data:`NEEDS_CELLS_FOR`.
    """
    blocked = sorted(set(needs) & NEEDS_CELLS_FOR)
    if params["engine"] == "rank":
        if blocked:
            raise ParamError(f"engine = 'rank' cannot serve {' or '.join(blocked)} yet; use engine = "
                             "'cells' or 'auto'")
        return True
    return params["engine"] == "auto" and not blocked and not rank_engine_misses(params)


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
    ``synapses`` the engine's index of each of conn's rows (the engine holds them in
    another order: by target cell).
    """

    chained = False
    nearest_dead_callback = False

    def __init__(self, column, cells, xyz, conn, size, engine, wiring, rows, outgoing, synapses):
        self.column, self.cells, self.xyz, self.conn, self.size = column, cells, xyz, conn, size
        self.engine, self.wiring = engine, wiring
        self.local = {gid: RankCell(engine, gid) for gid in wiring.relays}
        self.states = self.local
        self.netcon_rows = rows
        self.outgoing = outgoing
        self.synapses = synapses
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

    def catch_up(self, t):
        """Every event before t (ms) handled and each cell's drive brought to t."""
        self.engine.catch_up(t)

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

    def set_horizon(self, t):
        """The next time (ms) the protocol may change the cells' inputs."""
        self.engine.set_horizon(t)

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
        """The local cells with a synapse onto any of gids (only theirs change: the rank
        engine has no chains to update)."""
        gids = np.array(sorted(gids), dtype=np.int64)
        return {g for g, (_, post) in self.outgoing.items() if np.isin(post, gids).any()}

    def give_outgoing_delays(self, gid, delays):
        """Hand a local cell its outgoing delays (ms)."""
        self.engine.set_outgoing_delays(gid, delays)

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


def build_rank(column, size=1.0, seed=2, trial_ms=0.0, plastic=False):
    """Create this rank's cells (gid % nhost == rank) and their incoming connections on a
    NetcolColumn, in the default mode.

    Parameters
    ----------
    column : netcol.column.Column
    size : float
    seed : int
    trial_ms : float
        Length of the repeat/unique stimulus trials (0: no trials).
    plastic : bool
        Give the synapses their STDP rules and state (else every gain stays 1).

    Returns
    -------
    RankNetwork
    """
    h, pc = neuron_h(), parallel_context()
    rank, nhost = int(pc.id()), int(pc.nhost())
    cells = cell_table(column, size)
    xyz = keyed_positions(column, cells, seed)
    local = np.arange(rank, cells["n"], nhost)
    conn = keyed_connectivity(column, cells, xyz, seed, size, targets=local)
    epoch = window(pc.allreduce(float(conn.delay.min()) if len(conn) else np.inf, 3))
    rows, outgoing = number_rows(pc, conn, cells["n"])
    engine = RankEngine(h, cells["n"], epoch)
    wiring = RankWiring(h, pc, engine.pop)
    classes, pops = cells["classes"], cells["pops"]
    by_type = []
    for pop in pops:
        cls = column.cell_classes[pop.cls]
        streams = drive_streams(column.external[pop.cls])
        by_type.append((engine.cell_row(cls.params, cls.inhib),
                        [streams[k] if k < len(streams) else (0.0, 0.0, 0) for k in range(4)]))
    types = cells["type_index"][local]
    for gid in local:
        engine.add_cell(int(gid), wiring.relay(int(gid)))
    engine.set_cells(np.array([by_type[t][0] for t in types]), np.array([by_type[t][1] for t in types]), seed,
                     [outgoing[int(g)][0] if int(g) in outgoing else () for g in local])
    engine.set_trials(trial_ms)
    # each cell's synapses in connection order, the cells in the order they were added
    order = np.argsort(conn.post // nhost, kind="stable")
    engine.add_synapses(conn.post[order] // nhost, conn.pre[order], conn.delay[order],
                        receptor_weight_table(np.asarray(classes)[conn.pre[order]], conn.w1[order], conn.w2[order],
                                              N_RECEPTORS),
                        cells["excitatory"][conn.pre[order]])
    if plastic:
        engine.set_plastic(stdp_rules(column, classes, conn, order))
    wiring.listen(conn.pre, epoch)
    synapses = np.empty(len(order), dtype=np.int64)
    synapses[order] = np.arange(len(order))
    return RankNetwork(column, cells, xyz, conn, size, engine, wiring, rows, outgoing, synapses)


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
