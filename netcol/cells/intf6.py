"""Binding of the NetcolIntf6 mechanism (``mod/netcolintf6.mod``): its hoc name, NetCon
weight-slot layout (documented in the mod file's header, named by :data:`SLOT`), the
schemas of its per-cell parameters and module-wide settings, cell classes, the state a
checkpoint saves, the state a probe may read, and the integration it needs.
"""
from dataclasses import dataclass
from pathlib import Path

from ..config.schema import Field, ParamError, read_toml, validate

#: The mechanism's hoc name.
HOC_NAME = "NetcolIntf6"
#: How NEURON integrates it: an event-driven ARTIFICIAL_CELL, run on a fixed step DT.
INTEGRATION = "event"
#: Fixed time step (ms).  All cells are artificial, so every event is still handled at
#: its exact time; the step only sets how often NEURON checks the queue, and a step
#: that is exact in binary keeps h.t free of rounding.  (Global CVODE gives the same
#: spikes but costs about 5x more per event.)  Every protocol time lies on its grid, and
#: no connection delay is shorter.
DT = 0.5

#: NetCon weight slots of NetcolIntf6 (see the mod file's header).
SLOT = dict(AM=0, NM=1, GA=2, GB=3, AM2=4, NM2=5, GA2=6, KIND=7, WGAIN=8, PLINC=9,
            PLTAU=10, PLMAX=11, DELAY=12, TPRE=13, TDONE=14, CUT=15, PRE=16, GROUP=17)
N_SLOTS = 18
#: Values of the KIND slot.
KIND_EXTERNAL, KIND_FROM_E, KIND_FROM_I, KIND_CONTROL = 0, 1, 2, 3
#: Operations of a control event (slot 0 of a KIND_CONTROL NetCon).
CONTROL_REREAD_PLAYBACK, CONTROL_RESEND_PENDING = 2, 3
#: Event flag of an arrival deferred to its time in the presynaptic cell's delivery chain.
FLAG_DEFERRED_ARRIVAL = 5
#: Receptor names usable for external drive, with their slot.
RECEPTORS = ("AM", "NM", "GA", "GB", "AM2", "NM2", "GA2")

_POS_MS = dict(kind=float, low=0.0, low_open=True)
#: Per-cell parameters of NetcolIntf6 with the mechanism defaults (intf6.md §3.1).
CELL_FIELDS = {
    "RMP": Field(float, -65.0, "resting potential (mV)", low=-200.0, high=0.0),
    "VTH": Field(float, -45.0, "resting spike threshold (mV)", low=-200.0, high=0.0),
    "Vblock": Field(float, -20.0, "depolarisation-block level (mV)", low=-200.0, high=100.0),
    "refrac": Field(float, 5.0, "absolute refractory period (ms)", low=0.0),
    "tauRR": Field(doc="threshold relaxation time constant (ms)", default=6.0, **_POS_MS),
    "RRWght": Field(float, 0.75, "threshold jump after a spike as a fraction of (Vblock - VTH)"),
    "ahpwt": Field(float, 0.0, "AHP increment per spike (mV)", low=0.0),
    "tauahp": Field(doc="AHP decay time constant (ms)", default=10.0, **_POS_MS),
    "AHP2REF": Field(float, 0.0, "refractory extension per mV of AHP (ms/mV)", low=0.0),
    "tauAM": Field(doc="proximal AMPA decay (ms)", default=10.0, **_POS_MS),
    "tauNM": Field(doc="proximal NMDA decay (ms)", default=300.0, **_POS_MS),
    "tauGA": Field(doc="proximal GABA-A decay (ms)", default=10.0, **_POS_MS),
    "tauAM2": Field(doc="distal AMPA decay (ms)", default=20.0, **_POS_MS),
    "tauNM2": Field(doc="distal NMDA decay (ms)", default=300.0, **_POS_MS),
    "tauGA2": Field(doc="distal GABA-A decay (ms)", default=20.0, **_POS_MS),
    "mg0": Field(doc="Mg-block sensitivity (mM)", default=3.57, **_POS_MS),
    "maxnmc": Field(float, 1.0, "maximal NMDA block factor", low=0.0),
}
CLASS_FIELDS = dict(CELL_FIELDS, inhib=Field(bool, None, "true for interneurons"))

#: Module-wide settings of NetcolIntf6 (intf6.md §3.2, §3.3) with the paper's values.
MECHANISM_FIELDS = {
    "EAM": Field(float, 65.0, "AMPA reversal as a deviation above RMP (mV)"),
    "ENM": Field(float, 90.0, "NMDA reversal as a deviation above RMP (mV)"),
    "EGA": Field(float, -15.0, "GABA-A reversal as a deviation from RMP (mV)"),
    "mg": Field(float, 1.6, "extracellular Mg2+ (mM)", low=0.0),
    "act_tau": Field(doc="activity-sensor time constant (ms)", default=100000.0, **_POS_MS),
    "beta": Field(float, 4e-8, "proportional scaling gain (per event per spikes/ms)", low=0.0),
    "gamma": Field(float, 1e-10, "integral scaling gain (per event per spike)", low=0.0),
    "iscaling": Field(bool, False, "scale inhibitory cells too"),
    "maxplastt": Field(float, 120.0, "largest spike-time difference STDP considers (ms)", low=0.0),
    "soft_stdp": Field(bool, True, "soft STDP weight bounds"),
    "potw": Field(float, 1.0, "potentiation multiplier", low=0.0),
    "depw": Field(float, 1.0, "depression multiplier", low=0.0),
    "reset_plast": Field(bool, True, "reset every STDP gain to 1 at initialisation"),
    "exp_table": Field(bool, False, "original's exp lookup table for the decays (reference mode)"),
    "quirk_stale_activity_tau": Field(
        bool, False, "original bug Q1: the sensor decays with tau 100000 ms whatever act_tau is"),
}
_ORIGINAL_ACT_TAU = 100000.0


@dataclass(frozen=True)
class CellClass:
    """A named set of intrinsic parameters (for the column: RS, FS or LTS).

    Parameters
    ----------
    name : str
    inhib : bool
        True for interneurons (decides the direction of synaptic scaling).
    params : dict
        Every entry of :data:`CELL_FIELDS` with its value.
    """

    name: str
    inhib: bool
    params: dict

    def create(self, gid, drive_seed=None):
        """Make one NetcolIntf6 with this class's parameters.

        Parameters
        ----------
        gid : int
            Global cell id; also keys the cell's random streams.
        drive_seed : int, optional
            Seed of the cell's Poisson drive streams (Random123 ids gid, stream, seed).

        Returns
        -------
        hoc.HocObject
        """
        from ..engine.runtime import neuron_h
        h = neuron_h()
        cell = h.NetcolIntf6()
        cell.gid = gid
        cell.inhib = 1 if self.inhib else 0
        for key, value in self.params.items():
            setattr(cell, key, value)
        if drive_seed is not None:
            key_drive_streams(cell, gid, drive_seed)
        return cell


def key_drive_streams(cell, gid, seed):
    """Key the cell's four Poisson drive streams by (gid, purpose, seed) and rewind them,
    as the cell core keys them (nc::key_streams; trials re-key them there too).

    Parameters
    ----------
    cell : hoc.HocObject
    gid : int
        The gid keying the streams (the cell's gid from now on).
    seed : int
    """
    cell.gid = int(gid)
    cell.drive_seed = int(seed)
    cell.key_drive_streams()


def load_cell_classes(path):
    """Read and check a file of cell classes (a table of :data:`CELL_FIELDS` each).

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    dict of str to CellClass
    """
    path = Path(path)
    raw = read_toml(path)
    classes = {}
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise ParamError(f"{path}: '{name}' must be a table of cell parameters")
        checked = validate(values, CLASS_FIELDS, f"{path} [{name}]")
        inhib = checked.pop("inhib")
        classes[name] = CellClass(name, inhib, checked)
    return classes


def cell_class(name, classes):
    """Return the CellClass called name, or raise ParamError naming the known ones."""
    if name not in classes:
        raise ParamError(f"unknown cell class {name!r}; known: {', '.join(sorted(classes))}")
    return classes[name]


def apply_mechanism_settings(h, settings):
    """Set NetcolIntf6's module-wide parameters from a checked settings dict.

    Parameters
    ----------
    h : hoc.HocObject
    settings : dict
        Keys of :data:`MECHANISM_FIELDS` (missing ones take their defaults).
    """
    s = validate(settings, MECHANISM_FIELDS, "mechanism settings")
    for key in ("EAM", "ENM", "EGA", "mg", "act_tau", "beta", "gamma", "maxplastt", "potw", "depw"):
        setattr(h, f"{key}_NetcolIntf6", s[key])
    for key in ("iscaling", "soft_stdp", "reset_plast", "exp_table"):
        setattr(h, f"{key}_NetcolIntf6", 1 if s[key] else 0)
    decay_tau = _ORIGINAL_ACT_TAU if s["quirk_stale_activity_tau"] else s["act_tau"]
    h.act_tau_decay_NetcolIntf6 = decay_tau


#: Names of the state components a probe may read (:func:`read_state`).
STATE_NAMES = ("VAM", "VNM", "VGA", "VAM2", "VNM2", "VGA2", "AHP", "VTHC")


class State:
    """A NetcolIntf6's state, whose variables are attributes: ``state(cell).sfac``,
    ``state(cell).act = 0.02``.  The state lives in the cell's core (``nc::Cell`` in
    ``mod/netcol_intf6_core.hpp``), not in RANGE variables; the mechanism gives it by name
    (``state_value``, ``set_state_value``; the names are ``nc::state_get``'s: the scalars
    of :data:`CELL_SCALARS` but ``xgain``, a RANGE parameter, and ``cvalid``).  Arrays
    (:data:`CELL_ARRAYS`) read with :meth:`array`.

    Parameters
    ----------
    cell : hoc.HocObject
        A NetcolIntf6.
    """

    __slots__ = ("_cell",)

    def __init__(self, cell):
        object.__setattr__(self, "_cell", cell)

    def __getattr__(self, name):
        if name not in STATE_SCALARS:
            raise AttributeError(f"NetcolIntf6 has no state {name!r}")
        return self._cell.state_value(name)

    def __setattr__(self, name, value):
        if name not in STATE_SCALARS:
            raise AttributeError(f"NetcolIntf6 has no state {name!r}")
        self._cell.set_state_value(name, float(value))

    def array(self, name):
        """The state array name as a list of floats."""
        return [self._cell.state_value(name, i) for i in range(int(self._cell.state_size(name)))]

    def set_array(self, name, values):
        """Set the state array name from values (its whole length)."""
        for i, v in enumerate(values):
            self._cell.set_state_value(name, i, float(v))


def state(cell):
    """The state of a NetcolIntf6 as attributes (a :class:`State`)."""
    return State(cell)


def read_state(cell):
    """Every state component of a cell, decayed to the current time (call between runs,
    not inside a timeline callback, where h.t is the integration step's time).

    Parameters
    ----------
    cell : hoc.HocObject
        A NetcolIntf6.

    Returns
    -------
    dict
        Membrane contributions (mV deviations) VAM, VNM, VGA, VAM2, VNM2, VGA2, AHP;
        threshold VTHC (mV); ``V`` the unclipped absolute potential (mV);
        ``refractory``; scaling state ``activity`` (spikes/ms), ``goal``,
        ``integral``, ``scale``; ``dead``; ``spikes`` (count since initialisation).
    """
    from ..engine.runtime import neuron_h
    cell.catch_up(neuron_h().t)   # apply buffered drive inputs first (outside a run only)
    st = State(cell)
    out = {name: cell.component(i) for i, name in enumerate(STATE_NAMES)}
    out.update(V=cell.vm(), refractory=st.refractory, activity=cell.activity(), goal=st.goal, integral=st.interr,
               scale=st.sfac, dead=st.dead, spikes=st.spkcnt)
    return out


#: What a recording ([[record]], docs/recording.md) reads of a cell at a record time, exact
#: at any time (the cell caught up to it first): name -> (unit, meaning).  A deleted cell
#: reads NaN.
RECORDABLE = {
    "V": ("mV", "membrane potential (unclipped: RMP plus every component below but the threshold)"),
    "VAM": ("mV", "proximal AMPA state (its deviation of V)"),
    "VNM": ("mV", "proximal NMDA state"),
    "VGA": ("mV", "proximal GABA-A state"),
    "VAM2": ("mV", "distal AMPA state"),
    "VNM2": ("mV", "distal NMDA state"),
    "VGA2": ("mV", "distal GABA-A state"),
    "AHP": ("mV", "after-hyperpolarisation"),
    "threshold": ("mV", "spike threshold (with its relative refractoriness)"),
    "activity": ("Hz", "activity sensor of synaptic scaling"),
    "goal": ("Hz", "activity goal of synaptic scaling (NaN until scaling sets it)"),
    "scale": ("1", "synaptic scale factor"),
}
#: The mechanism's value_at codes of :data:`RECORDABLE`.
VALUE_CODES = {"VAM": 0, "VNM": 1, "VGA": 2, "VAM2": 3, "VNM2": 4, "VGA2": 5, "AHP": 6, "threshold": 7, "V": 8,
               "activity": 9, "goal": 10, "scale": 11}


def to_recorded_units(values, variables):
    """Sensor and goal from 1/ms to Hz (a goal not set yet, -1, as NaN), in place; values
    is (cells x variables)."""
    for j, name in enumerate(variables):
        if name == "goal":
            values[:, j] = [v * 1000.0 if v >= 0 else float("nan") for v in values[:, j]]
        elif name == "activity":
            values[:, j] *= 1000.0
    return values


class CellSampler:
    """Reads variables of some NetcolIntf6 cells at a time t (ms): each is caught up to t
    (its buffered drive inputs before t applied, as a probe or checkpoint does, which
    leaves its course unchanged) and read at t without changing it (value_at)."""

    def __init__(self, cells, variables):
        self.cells, self.variables = list(cells), list(variables)
        self.codes = [VALUE_CODES[v] for v in variables]

    def __call__(self, t):
        import numpy as np
        out = np.empty((len(self.cells), len(self.codes)))
        for i, cell in enumerate(self.cells):
            cell.catch_up(t)
            out[i] = [cell.value_at(k, t) for k in self.codes]
        return to_recorded_units(out, self.variables)


def sampler(assembly, gids, variables):
    """Reads variables of this rank's cells gids at a record time: per cell on NetcolIntf6,
    or from the rank's NetcolColumn (:func:`netcol.cells.intf6rank.sampler`) when the
    assembly's cells are its (they carry their ``engine``)."""
    local = assembly.local
    engine = getattr(next(iter(local.values()), None), "engine", None)
    if engine is not None:
        from .intf6rank import sampler as rank_sampler
        return rank_sampler(engine, gids, variables)
    return CellSampler([local[int(g)] for g in gids], variables)


def mark_dead(cell):
    """Delete a cell: from now on it ignores every event, so it neither integrates,
    spikes, learns nor changes its scaling state.

    Parameters
    ----------
    cell : hoc.HocObject
    """
    cell.set_state_value("dead", 1.0)


def cut(netcon):
    """Drop every later arrival through a NetCon whose presynaptic cell was deleted,
    including spikes already in flight.

    Parameters
    ----------
    netcon : hoc.HocObject
    """
    netcon.weight[SLOT["CUT"]] = 1


def uncut(netcon):
    """Deliver arrivals through a NetCon again (its presynaptic cell restored for a new run).

    Parameters
    ----------
    netcon : hoc.HocObject
    """
    netcon.weight[SLOT["CUT"]] = 0


# ---------------------------------------------------------------- state for checkpoints

#: Per-cell scalar state of NetcolIntf6 saved in a checkpoint: the core's state by name
#: (:class:`State`) and the RANGE parameter xgain (the drive's gain, which deletion
#: rounds change during a run).
CELL_SCALARS = ("VAM", "VNM", "VGA", "VAM2", "VNM2", "VGA2", "AHP", "VTHC", "VTHR", "refractory", "t0", "trrs",
                "dead", "spkcnt", "blkcnt", "act", "goal", "interr", "sfac", "tu", "tev", "xt0", "xt1", "xt2",
                "xt3", "xnext", "drivegen", "pbi", "pbt", "trial_k", "tref", "xgain", "nspk", "npend", "nb", "bi",
                "xplan", "xh0", "xh1", "xh2", "xh3", "xl0", "xl1", "xl2", "xl3")
#: Those of CELL_SCALARS that are RANGE variables.
RANGE_SCALARS = ("xgain",)
#: Its arrays (saved whole; their lengths are the core's).
CELL_ARRAYS = ("ring", "pend", "pendk", "bt", "bs")
#: The scalar state :class:`State` reads and sets (tests/test_core.py checks that the
#: core knows each).
STATE_SCALARS = frozenset(CELL_SCALARS) - set(RANGE_SCALARS) | {"cvalid"}
#: Module-wide settings of NetcolIntf6 saved in a checkpoint.
GLOBALS = ("EAM", "ENM", "EGA", "mg", "eps", "scaling", "iscaling", "scaling_ton", "act_tau", "act_tau_decay",
           "beta", "gamma", "stdp_on", "plast_start", "plast_end", "maxplastt", "soft_stdp", "potw", "depw",
           "reset_plast", "exp_table", "delmin", "plan_horizon", "chained", "capped", "callbacks_always",
           "sensor_every_event", "summed_corrections")


def cell_state(cell):
    """Everything a cell needs to continue exactly (a plain dict)."""
    st = State(cell)
    s = {k: getattr(cell if k in RANGE_SCALARS else st, k) for k in CELL_SCALARS}
    for k in CELL_ARRAYS:
        s[k] = st.array(k)
    s["rx"] = [(list(getattr(cell, f"rx{k}").get_ids()), getattr(cell, f"rx{k}").get_seq()) for k in range(4)]
    s["stream_counts"] = [cell.stream_count(k) for k in range(4)]
    return s


def restore_cell(cell, s):
    """Set a cell's state from :func:`cell_state` output."""
    st = State(cell)
    for k in CELL_SCALARS:
        setattr(cell if k in RANGE_SCALARS else st, k, s[k])
    for k in CELL_ARRAYS:
        st.set_array(k, s[k])
    for k, (ids, seq) in enumerate(s["rx"]):
        r = getattr(cell, f"rx{k}")
        r.set_ids(*[int(x) for x in ids])
        r.set_seq(seq)
    for k, c in enumerate(s["stream_counts"]):
        cell.set_stream_count(k, c)


def module_settings(h):
    """The mechanism's module-wide values."""
    return {k: getattr(h, f"{k}_NetcolIntf6") for k in GLOBALS}


def restore_module_settings(h, values):
    """Set the module-wide values saved by :func:`module_settings`."""
    for k, v in values.items():
        setattr(h, f"{k}_NetcolIntf6", v)


def finitialize_without_events(h):
    """Initialise without the cells' start-up events (a resume restores them instead)."""
    h.init_events_NetcolIntf6 = 0
    h.finitialize()
    h.init_events_NetcolIntf6 = 1
