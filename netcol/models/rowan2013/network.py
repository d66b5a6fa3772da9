"""Build the column on NEURON's ParallelContext.

Every rank holds the same description (positions, connections: plain arrays,
identical on all ranks; in the default mode each rank draws its own cells' afferent
connections and the ranks share them), then creates only its own cells (gid % nhost ==
rank) and their incoming connections with ``pc.gid_connect``.
"""
from dataclasses import dataclass, field

import numpy as np

from ...cells.intf6 import (CONTROL_REREAD_PLAYBACK, CONTROL_RESEND_PENDING, KIND_CONTROL, KIND_FROM_E,
                            KIND_FROM_I, N_SLOTS, SLOT, State, cell_state, cut, key_drive_streams, mark_dead,
                            restore_cell, uncut)
from .column import cell_table, class_pair
from ...engine.runtime import filled, neuron_h, parallel_context, scratch_vectors
from .wiring import keyed_connectivity, keyed_positions, merged, original_connectivity, original_positions

#: Receptor slots of internal synapses by presynaptic class: (weight 1 slot, weight 2 slot).
SYNAPSE_SLOTS = {"RS": (SLOT["AM2"], SLOT["NM2"]), "FS": (SLOT["GA"], None), "LTS": (SLOT["GA2"], None)}


class CellLayout:
    """What a built column says of its cells from its layout (``self.cells``, see
    :func:`netcol.models.rowan2013.column.cell_table`), and what both engines do alike with
    it (``self.local``, ``self.dead``, ``self.nearest_dead_callback``, ``self.chained``,
    ``self.chain_group``, ``self.chain_steps``; ``efferent``, ``presynaptic_to``,
    ``give_outgoing_delays``, ``chain_scope``, ``give_chain`` and ``give_chain_groups``
    are each engine's)."""

    @property
    def n(self):
        """Number of cells in the column."""
        return self.cells["n"]

    @property
    def excitatory(self):
        """Per gid: True for excitatory cells."""
        return self.cells["excitatory"]

    def type_name(self, gid):
        """Cell type of a gid."""
        return self.cells["pops"][self.cells["type_index"][gid]].name

    def update_outgoing_delays(self, dead=()):
        """Tell each local cell the distinct delays of its synapses onto live targets
        (for the delivery-callback scaling steps, see the mod file); with
        nearest_dead_callback, also the delay to its nearest target, dead or not, whose
        callback the original runs anyway (the quirk "nearest dead callback")."""
        new = set(dead) - self.dead
        self.dead |= new
        dead_arr = np.array(sorted(self.dead), dtype=np.int64)
        pres = None
        if new:   # only cells with synapses onto a newly deleted cell change
            pres = self.presynaptic_to(new)
            todo = [g for g in self.local if g in pres]
        else:
            todo = list(self.local)
        for gid in todo:
            all_delays, posts = self.efferent(gid)
            delays = all_delays[~np.isin(posts, dead_arr)] if dead_arr.size else all_delays
            if self.nearest_dead_callback and len(all_delays):
                delays = np.append(delays, all_delays.min())
            self.give_outgoing_delays(gid, delays)
        self.update_chains(pres)

    def update_chains(self, changed=None):
        """With chained arrival times (reference mode, see the mod file): each presynaptic
        cell's delivery chain as the original walks it past the dead targets, given to the
        engine (its delay differences, ``give_chain``) with each local synapse's group in
        it (``give_chain_groups``, from ``chain_group``).

        Parameters
        ----------
        changed : set of int, optional
            The presynaptic cells whose targets died since the last call: only their
            chains change.  None: every chain (at set-up and after a restart).
        """
        if not self.chained:
            return
        conn, pres = self.chain_scope()
        dead = np.zeros(self.n, dtype=bool)
        dead[list(self.dead)] = True
        starts = np.searchsorted(conn.pre, np.arange(self.n + 1))
        if changed is None or self.chain_group is None:
            self.chain_group = np.full(len(conn.pre), -1)
            changed = None
        for g in pres.tolist():
            if changed is not None and g not in changed:
                continue
            rows = np.arange(starts[g], starts[g + 1])
            rows = rows[np.argsort(conn.delay[rows], kind="stable")]
            self.chain_group[rows], steps = delivery_chain(conn.delay[rows], dead[conn.post[rows]])
            self.chain_steps[g] = steps
            self.give_chain(g, steps)
        self.give_chain_groups()


@dataclass
class ColumnNetwork(CellLayout):
    """A built column on this rank.

    Attributes
    ----------
    column : netcol.column.Column
    cells : dict
        The layout (see :func:`netcol.column.cell_table`).
    xyz : numpy.ndarray
        Positions of all cells (um), indexed by gid.
    conn : netcol.wiring.Connectivity
        All connections of the column (same on every rank).
    local : dict of int to hoc object
        This rank's cells by gid.
    states : dict of int to netcol.cells.intf6.State
        Their states (what the probes read: act, tu, goal, sfac, dead), by gid.
    netcons : list
        This rank's incoming NetCons, aligned with ``netcon_rows``.
    netcon_rows : numpy.ndarray
        Row of ``conn`` for each local NetCon.
    chained : bool
        Arrival times summed along the original's delivery chains (reference mode).
    chain_group : numpy.ndarray
        With ``chained``: per row of ``conn``, the callback of its presynaptic cell's
        chain that delivers it (-1: none, its target is dead).
    plastic_rows : numpy.ndarray
        Rows of ``conn`` that carry STDP (all ranks), ascending.
    plastic_local : numpy.ndarray
        Indices into ``netcons`` of this rank's plastic synapses.
    """

    column: object
    cells: dict
    xyz: np.ndarray
    conn: object
    size: float
    local: dict = field(default_factory=dict)
    states: dict = field(default_factory=dict)
    netcons: list = field(default_factory=list)
    netcon_rows: np.ndarray = None
    chained: bool = False
    chain_steps: dict = field(default_factory=dict)
    chain_group: np.ndarray = None
    spike_sources: list = field(default_factory=list)
    out_rows: dict = field(default_factory=dict)
    dead: set = field(default_factory=set)
    controls: dict = field(default_factory=dict)
    weight_handles: list = field(default_factory=list)
    plastic_rows: np.ndarray = None
    plastic_local: np.ndarray = None
    nearest_dead_callback: bool = False

    #: NetCon weight slots that change during a run (all others are set by the build).
    CHANGING_SLOTS = (SLOT["WGAIN"], SLOT["TPRE"], SLOT["TDONE"], SLOT["CUT"])

    def cell_states(self):
        """Every local cell's state as a checkpoint holds it
        (:func:`netcol.cells.intf6.cell_state`), by gid."""
        return {gid: cell_state(cell) for gid, cell in self.local.items()}

    def restore_cells(self, states):
        """Set every local cell's state from :meth:`cell_states` output (any rank layout)."""
        for gid, cell in self.local.items():
            restore_cell(cell, states[gid])

    def changing_weights(self):
        """The changing slots of every local NetCon, {row: [values]} (for checkpoints)."""
        if len(self.weight_handles) != len(self.netcons):   # each .weight makes a new hoc object
            self.weight_handles = [nc.weight for nc in self.netcons]
        slots = self.CHANGING_SLOTS
        return {int(row): [w[k] for k in slots] for row, w in zip(self.netcon_rows, self.weight_handles)}

    def restore_changing_weights(self, saved):
        """Set the changing slots from :meth:`changing_weights` output (any rank layout)."""
        for row, nc in zip(self.netcon_rows, self.netcons):
            for k, v in zip(self.CHANGING_SLOTS, saved[int(row)]):
                nc.weight[k] = v

    @property
    def local_w1(self):
        """The primary weight of each local synapse (aligned with ``netcon_rows``)."""
        return self.conn.w1[self.netcon_rows]

    @property
    def n_plastic(self):
        """Plastic synapses in the whole column."""
        return len(self.plastic_rows)

    def global_connections(self):
        """The whole column's connections on rank 0 (None on the others): every rank
        holds them already."""
        return self.conn if int(parallel_context().id()) == 0 else None

    def scaling_on(self, t):
        """Synaptic scaling from t (ms) on."""
        self.set_scaling(t, True, t)

    def set_stdp(self, t, on):
        """STDP on or off from t (ms): NetcolIntf6's module-wide switch, which the GUI's
        field sets itself."""

    def set_scaling(self, t, on, ton):
        """Synaptic scaling on (its steps from ton, ms) or off from now, t (ms): every
        cell's inputs before t first, with the old setting (as the rank engine's), then
        the module-wide switch, which every NetcolIntf6 reads at its next event."""
        self.catch_up(t)
        set_module_scaling(on, ton)

    def local_plastic_gains(self):
        """The stored STDP gains of this rank's plastic synapses (rows
        netcon_rows[plastic_local])."""
        if len(self.weight_handles) != len(self.netcons):   # each .weight makes a new hoc object
            self.weight_handles = [nc.weight for nc in self.netcons]
        return np.array([self.weight_handles[i][SLOT["WGAIN"]] for i in self.plastic_local])

    @property
    def drive_rates(self):
        """Each local cell's drive streams' rates (Hz), by gid."""
        return {gid: [getattr(cell, f"xr{k}") for k in range(4)] for gid, cell in self.local.items()}

    def cap_drive(self, tstop_ms):
        """End each local cell's drive streams as the original's NetStims of a run of
        tstop_ms end (:func:`stream_caps`)."""
        for cell in self.local.values():
            cap_streams(cell, tstop_ms)

    def stream_counts(self):
        """Each local cell's events drawn per drive stream (counted against its cap).

        Returns
        -------
        dict of int to list of float
        """
        return {gid: [cell.stream_count(k) for k in range(4)] for gid, cell in self.local.items()}

    def playback_positions(self):
        """Each local cell's next played-back entry (its index in what it was given last).

        Returns
        -------
        dict of int to int
        """
        return {gid: int(st.pbi) for gid, st in self.states.items()}

    def load_playback(self, entries, reread):
        """Give every local cell its played-back input, replacing what it had, read from its
        first entry on.

        Parameters
        ----------
        entries : dict of int to (times, slots, weights)
            By gid (times absolute, ascending).
        reread : bool
            A cell that had no entry left reads its new ones from now on (a control event);
            False before the cells are initialised.
        """
        vt, vs, vw = scratch_vectors(3)
        for gid, cell in self.local.items():
            t, s, w = entries[gid]
            st = self.states[gid]
            idle = st.pbt > 1e19
            cell.set_playback(filled(vt, t), filled(vs, s), filled(vw, w))
            st.pbi = 0
            if idle and len(t) and reread:
                self.control(gid, CONTROL_REREAD_PLAYBACK)

    def control(self, gid, op):
        """Send a drive-control event (netcol.cell.CONTROL_*) to a local cell now.

        Now is h.t: inside a timeline callback h.t is the integration step's time,
        at or after the callback's own time, never before it."""
        self.controls[(gid, op)].event(neuron_h().t)

    def make_controls(self):
        """One control NetCon per local cell and operation (weights are read at delivery,
        so operations need their own NetCons); made before the run starts."""
        h = neuron_h()
        for gid, cell in self.local.items():
            for op in (CONTROL_REREAD_PLAYBACK, CONTROL_RESEND_PENDING):
                nc = h.NetCon(None, cell)
                nc.weight[SLOT["KIND"]] = KIND_CONTROL
                nc.weight[0] = op
                self.controls[(gid, op)] = nc

    def handle_until(self, t):
        """Every event before t (ms) handled, its spikes recorded: NEURON has delivered
        them (an engine with its own queue, the rank engine's, handles them here)."""

    def catch_up(self, t):
        """Bring every local cell's state to time t (ms): apply its buffered drive inputs
        before t (see the mod file).  Needed before Python reads or changes cells."""
        for cell in self.local.values():
            cell.catch_up(t)

    def scale_drive(self, gain):
        """Every local cell's drive gain from now on (catch_up first: the inputs before now
        keep the old one)."""
        for cell in self.local.values():
            cell.xgain = gain

    def delete(self, gids, t):
        """Delete cells at time t (ms): they stop integrating, spiking and learning, and
        every arrival from them after t is dropped (on every rank).

        Parameters
        ----------
        gids : iterable of int
        t : float
            The current simulation time (a timeline event's own time inside callbacks).
        """
        gids = set(int(g) for g in gids)
        # every cell's inputs before t first: the scaling steps they run replay delivery
        # callbacks with the outgoing delays of before the round (as the rank engine, whose
        # cells are always up to date)
        self.catch_up(t)
        for g in gids & set(self.local):
            mark_dead(self.local[g])
        pre = self.conn.pre[self.netcon_rows]
        for i in np.flatnonzero(np.isin(pre, list(gids))):
            cut(self.netcons[i])
        self.update_outgoing_delays(dead=gids)

    def restart(self):
        """The column as built, for a new run from t = 0 (the GUI's init, before the cells'
        INITIAL blocks): deleted cells back (arrivals from them flow again and their
        targets count them in the delay tables), external input at full weight, drive
        streams rewound so that every run draws the same inputs."""
        for gid, cell in self.local.items():
            cell.xgain = 1.0
            key_drive_streams(cell, gid, int(cell.drive_seed))
        if not self.dead:
            return
        revived = sorted(self.dead)
        pre = self.conn.pre[self.netcon_rows]
        for i in np.flatnonzero(np.isin(pre, revived)):
            uncut(self.netcons[i])
        self.dead = set()
        pres = set(self.conn.pre[np.isin(self.conn.post, revived)].tolist())
        for gid in pres & set(self.local):
            self.local[gid].set_outgoing_delays(filled(scratch_vectors(1)[0], self.conn.delay[self.out_rows[gid]]))
        self.update_chains()

    def chained_arrival(self, first, pre, group):
        """Arrival time (ms) of group ``group`` of cell ``pre``'s delivery chain whose first
        callback is at ``first``, summed as the mechanism sums it."""
        t = first
        for step in self.chain_steps[pre][:group]:
            t = t + step
        return t

    def efferent(self, gid):
        """A local cell's efferent connections: (delays in ms, postsynaptic gids)."""
        rows = self.out_rows[gid]
        return self.conn.delay[rows], self.conn.post[rows]

    def presynaptic_to(self, gids):
        """Every cell (local or not) with a synapse onto any of gids."""
        return set(self.conn.pre[np.isin(self.conn.post, list(gids))].tolist())

    def give_outgoing_delays(self, gid, delays):
        """Hand a local cell its outgoing delays (ms), for the scaling steps of its delivery
        callbacks."""
        self.local[gid].set_outgoing_delays(filled(scratch_vectors(1)[0], delays))

    def chain_scope(self):
        """The whole column's connections and the presynaptic cells of the local synapses
        (for :meth:`update_chains`)."""
        return self.conn, np.unique(self.conn.pre[self.netcon_rows])

    def give_chain(self, pre, steps):
        """Hand the mechanism a presynaptic cell's delivery chain (its delay differences)."""
        next(iter(self.local.values())).set_chain(pre, filled(scratch_vectors(1)[0], steps))

    def give_chain_groups(self):
        """Write each local NetCon's group in its presynaptic cell's chain into its weights."""
        for nc, row in zip(self.netcons, self.netcon_rows):
            nc.weight[SLOT["GROUP"]] = self.chain_group[row]


def set_module_scaling(on, ton):
    """NetcolIntf6's module-wide scaling switch: on (its steps from ton, ms) or off."""
    h = neuron_h()
    h.scaling_NetcolIntf6 = 1 if on else 0
    h.scaling_ton_NetcolIntf6 = ton


#: Delays closer than this are delivered by one callback of the original (intf6.md §7.2).
DELMIN = 1e-5


def delivery_chain(delays, dead):
    """The original's delivery chain of one cell's spike (intf6.md §7.2): the first
    callback delivers to the synapse with the shortest delay and to every later one
    within DELMIN of it; the next callback goes to the first synapse after them whose
    target is alive, and so on.

    Parameters
    ----------
    delays : numpy.ndarray
        The cell's synapse delays (ms) in the original's list order (ascending).
    dead : numpy.ndarray of bool
        Whether each synapse's target is dead.

    Returns
    -------
    group : numpy.ndarray of int
        The callback that delivers each synapse (-1: none, its target is dead).
    steps : list of float
        Each callback's delay minus the previous one's, from the second callback on.
    """
    n = len(delays)
    group = np.full(n, -1)
    steps = []
    head, m = 0, 0
    while n:
        j = head
        while j < n and delays[j] - delays[head] <= DELMIN:
            group[j] = m
            j += 1
        while j < n and dead[j]:
            j += 1
        if j >= n:
            break
        steps.append(delays[j] - delays[head])
        head, m = j, m + 1
    return group, steps


def draw(column, size, seed, rng):
    """Positions and connections of the column, identical on every rank.

    With keyed streams each rank draws the afferent connections of its own cells (gid %
    nhost == rank), which the streams make independent of the number of ranks, and the
    ranks then share them; in reference mode every rank replays the original's draws.

    Parameters
    ----------
    column : netcol.column.Column
    size : float
    seed : int
        Seed of the keyed streams (ignored in reference mode).
    rng : {'keyed', 'original'}

    Returns
    -------
    (cells, xyz, conn)
    """
    cells = cell_table(column, size)
    if rng == "original":
        xyz = original_positions(column, cells)
        return cells, xyz, original_connectivity(column, cells, xyz, size)
    xyz = keyed_positions(column, cells, seed)
    pc = parallel_context()
    rank, nhost = int(pc.id()), int(pc.nhost())
    mine = keyed_connectivity(column, cells, xyz, seed, size, targets=np.arange(rank, cells["n"], nhost))
    return cells, xyz, merged(pc.py_allgather(mine) if nhost > 1 else [mine])


def build(column, size=1.0, seed=2, rng="keyed", drive=True, trial_ms=0.0, chained=False, input_tstop_ms=None):
    """Create this rank's cells and incoming connections.

    Parameters
    ----------
    column : netcol.column.Column
    size : float
    seed : int
    rng : {'keyed', 'original'}
    drive : bool
        Give each cell its background drive: Poisson streams keyed by gid, or in reference
        mode the original's NetStim streams (:func:`set_original_background`).
    trial_ms : float
        Length of the repeat/unique stimulus trials (0: no trials).
    chained : bool
        Spike arrival times summed along the original's delivery chains (the quirk
        "chained arrivals", see the mod file).
    input_tstop_ms : float or None
        With a value, each drive stream ends as the original's NetStim of a run of this
        length does (the quirk "input count", :func:`cap_streams`); None: never.

    Returns
    -------
    ColumnNetwork
    """
    h = neuron_h()
    pc = parallel_context()
    rank, nhost = int(pc.id()), int(pc.nhost())
    cells, xyz, conn = draw(column, size, seed, rng)
    model = ColumnNetwork(column, cells, xyz, conn, size, chained=chained)
    set_delivery_switches(h, chained, input_tstop_ms)
    pops = cells["pops"]
    for gid in range(rank, cells["n"], nhost):
        pop = pops[cells["type_index"][gid]]
        cls = column.cell_classes[pop.cls]
        cell = cls.create(gid)
        if drive:
            if rng == "original":
                set_original_background(cell, gid, cells["n"], column.external[pop.cls],
                                        column.original_seeds["inputs"])
            else:
                key_drive_streams(cell, gid, seed)
                set_background(cell, column.external[pop.cls])
            cell.trial_len = trial_ms
            if input_tstop_ms is not None:
                cap_streams(cell, input_tstop_ms)
        pc.set_gid2node(gid, rank)
        src = h.NetCon(cell, None)
        pc.cell(gid, src)
        model.local[gid] = cell
        model.states[gid] = State(cell)
        model.spike_sources.append(src)
    _connect(model, pc)
    starts = np.searchsorted(conn.pre, np.arange(cells["n"] + 1))
    model.out_rows = {g: np.arange(starts[g], starts[g + 1]) for g in model.local}
    model.update_outgoing_delays()
    model.make_controls()
    return model


def set_delivery_switches(h, chained, input_tstop_ms):
    """The module-wide switches of the quirks "chained arrivals" and "input count" (both
    engines read them as settings).

    Parameters
    ----------
    h : hoc.HocObject
    chained : bool
    input_tstop_ms : float or None
        None: the stream caps do not act.
    """
    h.chained_NetcolIntf6 = 1 if chained else 0
    h.capped_NetcolIntf6 = 1 if input_tstop_ms is not None else 0


def first_delays(conn, n):
    """Each cell's shortest outgoing delay (ms; inf: none), where its chain's first
    callback comes: every arrival of a chained spike is sent with it (the quirk
    "chained arrivals").

    Parameters
    ----------
    conn : netcol.models.rowan2013.wiring.Connectivity
        The whole column's connections.
    n : int
        Cells in the column.

    Returns
    -------
    numpy.ndarray
    """
    first = np.full(n, np.inf)
    np.minimum.at(first, conn.pre, conn.delay)
    return first


def drive_streams(inputs):
    """A cell class's Poisson drive streams, in stream order, from {receptor: {rate,
    weight}}: a list of (rate Hz, weight, receptor slot)."""
    return [(spec["rate"], spec["weight"], SLOT[rec]) for rec, spec in inputs.items()]


def set_background(cell, inputs, gain=1.0):
    """Set a cell's four Poisson drive streams from {receptor: {rate, weight}}."""
    for k in range(4):
        setattr(cell, f"xr{k}", 0.0)
    for k, (rate, weight, slot) in enumerate(drive_streams(inputs)):
        setattr(cell, f"xr{k}", rate)
        setattr(cell, f"xw{k}", weight)
        setattr(cell, f"xs{k}", slot)
    cell.xgain = gain


def receptor_weight_table(pre_classes, w1, w2, n_slots):
    """Synapses' weight slots: one row of n_slots per synapse, the receptors' weights at
    their NetcolIntf6 slots (:data:`SYNAPSE_SLOTS`, by presynaptic class) and the rest 0.

    Parameters
    ----------
    pre_classes : array of str
        Each synapse's presynaptic class.
    w1, w2 : array of float
        Its two weights (w2 unused for classes with one receptor).
    n_slots : int

    Returns
    -------
    numpy.ndarray, shape (synapses, n_slots)
    """
    pre_classes, w1, w2 = np.asarray(pre_classes), np.asarray(w1, dtype=float), np.asarray(w2, dtype=float)
    table = np.zeros((len(w1), n_slots))
    for cls, (s1, s2) in SYNAPSE_SLOTS.items():
        rows = np.flatnonzero(pre_classes == cls)
        table[rows, s1] = w1[rows]
        if s2 is not None:
            table[rows, s2] = w2[rows]
    return table


#: The original's input sources in creation order (network.md §6.2); in reference mode
#: source k is the cell's drive stream k.
ORIGINAL_SOURCES = ("GA", "GA2", "AM2", "NM2")


def original_streams(gid, n_cells, inputs, seed):
    """A cell's four drive streams as the original's NetStims (reference mode): the stream
    of source k (:data:`ORIGINAL_SOURCES`) has index j = k n_cells + gid and is seeded with
    seed + 10 j; the mechanism draws it as MCellRan4 with negexp(1) does, and re-seeds it
    at trial starts as the original's deletion protocol does.

    Parameters
    ----------
    gid : int
    n_cells : int
        Cells in the network.
    inputs : dict
        {receptor: {rate, weight}} of the cell's class.
    seed : int
        The original's input seed (column.toml, original_seeds.inputs).

    Returns
    -------
    streams : list of (float, float, int)
        Each stream's (rate Hz, weight, receptor slot).
    seeds : list of int
        Each stream's construction seed.
    sources : list of int
        Each stream's index j.
    """
    sources = [k * n_cells + gid for k in range(len(ORIGINAL_SOURCES))]
    streams = []
    for rec in ORIGINAL_SOURCES:
        spec = inputs.get(rec, {"rate": 0.0, "weight": 0.0})
        streams.append((max(spec["rate"], 0.0), spec["weight"], SLOT[rec]))
    return streams, [seed + 10 * j for j in sources], sources


def set_original_background(cell, gid, n_cells, inputs, seed):
    """Make a cell's four drive streams the original's NetStims (reference mode,
    :func:`original_streams`).

    Parameters
    ----------
    cell : hoc.HocObject
    gid : int
    n_cells : int
        Cells in the network.
    inputs : dict
        {receptor: {rate, weight}} of the cell's class.
    seed : int
        The original's input seed (column.toml, original_seeds.inputs).
    """
    cell.xorig = 1
    streams, seeds, sources = original_streams(gid, n_cells, inputs, seed)
    for k, (rate, weight, slot) in enumerate(streams):
        setattr(cell, f"xr{k}", rate)
        setattr(cell, f"xw{k}", weight)
        setattr(cell, f"xs{k}", slot)
    cell.set_original_streams(*seeds, *sources)
    cell.xgain = 1.0


def stream_caps(rates, tstop_ms):
    """The events after which each drive stream ends, as the original's NetStim of the same
    rate does in a run of tstop_ms: its `number`, int(0.5 + rate (tstop + 5000 ms)),
    counted from t = 0 (network.md §6.2 and §13.9: a stream whose Poisson count runs ahead
    stops before tstop).  The caps act while the module-wide ``capped_NetcolIntf6`` is 1
    (:func:`set_delivery_switches`).

    Parameters
    ----------
    rates : sequence of float
        The streams' rates (Hz).
    tstop_ms : float
        The run's length (ms).

    Returns
    -------
    list of int
    """
    return [int(0.5 + max(rate, 0.0) * (tstop_ms + 5000.0) / 1000.0) for rate in rates]


def cap_streams(cell, tstop_ms):
    """End each of a cell's drive streams as the original's NetStims do
    (:func:`stream_caps`; set the rates first).

    Parameters
    ----------
    cell : hoc.HocObject
    tstop_ms : float
        The run's length (ms).
    """
    cell.set_caps(*stream_caps([getattr(cell, f"xr{k}") for k in range(4)], tstop_ms))


def plastic_rows(conn):
    """Rows of the connectivity that carry STDP (the wiring decides per pair: E -> E and
    E -> I pairs whose class increment is positive, unless a pair says otherwise)."""
    return np.flatnonzero(conn.plastic)


def stdp_rules(column, classes, conn, rows):
    """The STDP rule of some connections, as NetcolIntf6's weight slots PLINC, PLTAU and PLMAX
    hold it (both engines take it from here): the increment of the class pair (EE or EI)
    for plastic rows, else 0; the column's time constant; the bound of the class pair (EE
    or EI), else 1.

    Parameters
    ----------
    column : netcol.column.Column
    classes : array of str
        Each cell's class, by gid.
    conn : netcol.models.rowan2013.wiring.Connectivity
    rows : array of int
        Rows of conn.

    Returns
    -------
    numpy.ndarray, shape (len(rows), 3)
        Increment, time constant (ms) and bound of each.
    """
    stdp = column.stdp
    classes = np.asarray(classes)
    pre, post = classes[conn.pre[rows]], classes[conn.post[rows]]
    rules = np.zeros((len(rows), 3))
    rules[:, 1] = stdp["tau"]
    rules[:, 2] = 1.0
    for a in np.unique(pre).tolist():
        for b in np.unique(post).tolist():
            pair = class_pair(column, a, b)
            if pair in ("EE", "EI"):
                sel = (pre == a) & (post == b)
                rules[sel, 0] = np.where(conn.plastic[rows][sel], stdp[f"{pair}_inc"], 0.0)
                rules[sel, 2] = stdp[f"{pair}_max"]
    return rules


def _connect(model, pc):
    conn, column, cells = model.conn, model.column, model.cells
    local = np.isin(conn.post, list(model.local))
    rows = np.flatnonzero(local)
    classes = cells["classes"]
    # chained arrivals: every NetCon from a cell carries the spike to its first callback
    first_delay = first_delays(conn, cells["n"])
    slots = receptor_weight_table(np.asarray(classes)[conn.pre[rows]], conn.w1[rows], conn.w2[rows], N_SLOTS)
    rules = stdp_rules(column, classes, conn, rows)
    for i, w, rule in zip(rows, slots.tolist(), rules.tolist()):
        pre, post = int(conn.pre[i]), int(conn.post[i])
        nc = pc.gid_connect(pre, model.local[post])
        nc.delay = float(first_delay[pre] if model.chained else conn.delay[i])
        excit_pre = cells["excitatory"][pre]
        w[SLOT["KIND"]] = KIND_FROM_E if excit_pre else KIND_FROM_I
        w[SLOT["WGAIN"]] = 1.0
        w[SLOT["PLINC"]], w[SLOT["PLTAU"]], w[SLOT["PLMAX"]] = rule
        w[SLOT["DELAY"]] = float(conn.delay[i])
        w[SLOT["PRE"]] = pre
        for k, v in enumerate(w):
            nc.weight[k] = v
        model.netcons.append(nc)
    model.netcon_rows = rows
    model.plastic_rows = plastic_rows(conn)
    model.plastic_local = np.flatnonzero(np.isin(rows, model.plastic_rows))
