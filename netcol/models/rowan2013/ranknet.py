"""The column on one NetcolColumn per rank (:mod:`netcol.cells.intf6rank`): the same cells,
drive and connections as :func:`.network.build`, the same spikes bit for bit, at about
two thirds of the time per simulated second; for runs that need none of what the
per-cell mechanism alone does yet (see :func:`use_rank_engine`).
"""
import numpy as np

from ...cells.intf6 import DT
from ...cells.intf6rank import ACT, DEAD, GOAL, N_RECEPTORS, SFAC, TU, RankEngine
from ...cells.population import RankWiring
from ...engine.runtime import neuron_h, parallel_context
from ...config.schema import ParamError
from .network import CellLayout, draw, drive_streams, plastic_rows, receptor_weight_table
from .protocol import QUIRKS

#: What the rank engine does not do yet, as (parameter, value that needs the per-cell one).
NEEDS_CELLS = (("rng", "original"), ("plasticity", True), ("training", True),
               *((f"quirk_{name}", "on") for name in QUIRKS))


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


def use_rank_engine(params, needs):
    """Whether a run goes on the rank engine: engine = 'rank', or 'auto' when the
    experiment has nothing :func:`rank_engine_misses` and the caller needs neither
    checkpoints nor the GUI.

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
        engine = 'rank' and the caller needs checkpoints or the GUI.
    """
    if params["engine"] == "rank":
        if needs:
            raise ParamError(f"engine = 'rank' cannot serve {' or '.join(sorted(needs))} yet; use engine = "
                             "'cells' or 'auto'")
        return True
    return params["engine"] == "auto" and not needs and not rank_engine_misses(params)


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


class RankNetwork(CellLayout):
    """The column built on this rank's NetcolColumn; offers what the run loop, the
    probes and the edge writer read of :class:`.network.ColumnNetwork` (``local`` and
    ``states`` both map each gid to its :class:`RankCell`)."""

    chained = False
    nearest_dead_callback = False

    def __init__(self, column, cells, xyz, conn, size, engine, wiring, rows, out_rows):
        self.column, self.cells, self.xyz, self.conn, self.size = column, cells, xyz, conn, size
        self.engine, self.wiring = engine, wiring
        self.local = {gid: RankCell(engine, gid) for gid in wiring.relays}
        self.states = self.local
        self.netcon_rows = rows
        self.out_rows = out_rows
        self.plastic_rows = plastic_rows(conn)
        self.plastic_local = np.flatnonzero(np.isin(rows, self.plastic_rows))
        self.dead = set()

    def catch_up(self, t):
        """Every event before t (ms) handled and each cell's drive brought to t."""
        self.engine.catch_up(t)

    def scaling_on(self, t):
        """Synaptic scaling from t (ms) on."""
        self.engine.scaling_on(t)

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

    def give_outgoing_delays(self, gid, delays):
        """Hand a local cell its outgoing delays (ms)."""
        self.engine.set_outgoing_delays(gid, delays)

    def local_plastic_gains(self):
        """The STDP gains of this rank's plastic synapses (rows netcon_rows[plastic_local]):
        1, as set up, since the rank engine runs without plasticity."""
        return np.ones(len(self.plastic_local))


def build_rank(column, size=1.0, seed=2, trial_ms=0.0):
    """Create this rank's cells (gid % nhost == rank) and their incoming connections on a
    NetcolColumn, in the default mode.

    Parameters
    ----------
    column : netcol.column.Column
    size : float
    seed : int
    trial_ms : float
        Length of the repeat/unique stimulus trials (0: no trials).

    Returns
    -------
    RankNetwork
    """
    h, pc = neuron_h(), parallel_context()
    rank, nhost = int(pc.id()), int(pc.nhost())
    cells, xyz, conn = draw(column, size, seed, "keyed")
    epoch = window(conn.delay)
    engine = RankEngine(h, cells["n"], epoch)
    wiring = RankWiring(h, pc, engine.pop)
    classes, pops = cells["classes"], cells["pops"]
    local = np.arange(rank, cells["n"], nhost)
    out_starts = np.searchsorted(conn.pre, np.arange(cells["n"] + 1))   # rows are sorted by pre
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
                     [conn.delay[out_starts[g]:out_starts[g + 1]] for g in local])
    engine.set_trials(trial_ms)
    # each cell's synapses in connection order, the cells in the order they were added
    rows = np.flatnonzero(conn.post % nhost == rank)
    rows = rows[np.argsort(conn.post[rows] // nhost, kind="stable")]
    engine.add_synapses(conn.post[rows] // nhost, conn.pre[rows], conn.delay[rows],
                        receptor_weight_table(np.asarray(classes)[conn.pre[rows]], conn.w1[rows], conn.w2[rows], N_RECEPTORS),
                        cells["excitatory"][conn.pre[rows]])
    rows = np.sort(np.flatnonzero(np.isin(conn.post, local)))
    wiring.listen(conn.pre[rows], epoch)
    out_rows = {int(g): np.arange(out_starts[g], out_starts[g + 1]) for g in local}
    return RankNetwork(column, cells, xyz, conn, size, engine, wiring, rows, out_rows)


def window(delays):
    """The rank engine's window: the whole steps of DT in the shortest delay, NEURON's
    spike-exchange interval on the fixed step (see the mod file).

    Parameters
    ----------
    delays : numpy.ndarray
        Every connection's delay (ms).

    Returns
    -------
    float
        The window (ms).
    """
    shortest = float(delays.min()) if len(delays) else DT
    if shortest < DT:
        raise ParamError(f"the shortest synaptic delay, {shortest:g} ms, is below the step, {DT:g} ms")
    return DT * np.floor(shortest / DT + 1e-9)

