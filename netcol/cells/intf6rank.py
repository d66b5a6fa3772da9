"""Binding of the NetcolColumn mechanism (``mod/netcolcolumn.mod``): all of a rank's
NetcolIntf6 cells in one mechanism with its own event queue.  Both mechanisms run the same
cell core (``mod/netcol_intf6_core.hpp``), so it computes the same spikes as one
NetcolIntf6 per cell, bit for bit: the Poisson drive, synapses, spikes, activity sensors,
synaptic scaling, deletion with the external scale-down, trials, STDP, played-back input
(the training signal), recording any variable, and reference mode's MCellRan4 streams,
stream caps and chained arrival times with the settings' quirks; its checkpoints hold each
cell's state as :func:`netcol.cells.intf6.cell_state` gives a NetcolIntf6's.
"""
import numpy as np

from ..engine.runtime import filled, scratch_vectors
from .intf6 import CELL_ARRAYS, CELL_SCALARS, KIND_FROM_E, KIND_FROM_I, RECORDABLE, VALUE_CODES, \
    module_settings, to_recorded_units

#: The mechanism's hoc name.
HOC_NAME = "NetcolColumn"
#: The parameters of a cell in the order set_cells takes them: NcPar's 19 fields
#: (netcol_intf6_math.hpp; a leading * marks a module-wide setting, read from
#: NetcolIntf6's), then refrac, RRWght, ahpwt, AHP2REF, inhib.
_NCPAR = ("tauAM", "tauNM", "tauGA", "tauAM2", "tauNM2", "tauGA2", "tauahp", "RMP", "VTH", "Vblock", "tauRR",
          "*EAM", "*ENM", "*EGA", "*mg", "mg0", "maxnmc", "*eps", "*exp_table")
_AFTER = ("refrac", "RRWght", "ahpwt", "AHP2REF")
#: NetcolIntf6's module-wide settings in the order of the core's nc::settings_from
#: (``mod/netcol_intf6_core.hpp``), which set_settings takes.
SETTINGS = ("scaling", "iscaling", "scaling_ton", "act_tau", "act_tau_decay", "beta", "gamma", "stdp_on", "plast_start",
            "plast_end", "maxplastt", "soft_stdp", "potw", "depw", "reset_plast", "plan_horizon", "chained", "capped",
            "callbacks_always", "sensor_every_event", "summed_corrections")
#: Receptor weights a synapse carries: NetcolIntf6's weight slots 0 .. 6 (AM, NM, GA,
#: GB, AM2, NM2, GA2).
N_RECEPTORS = 7
#: What cell_value reads.
ACT, TU, GOAL, SFAC, DEAD = 0, 1, 2, 3, 4


class RankEngine:
    """One rank's NetcolColumn.

    Parameters
    ----------
    h : hoc.HocObject
    n_cells : int
        Cells in the whole network (gids 0 .. n_cells - 1).
    epoch : float
        Window length (ms): the shortest synaptic delay in whole steps, NEURON's exchange interval.
    """

    def __init__(self, h, n_cells, epoch):
        self.pop = getattr(h, HOC_NAME)()
        self.pop.epoch = self.epoch = epoch
        self.pop.setup(n_cells)
        self.index = {}
        self.plastic = False   # whether the synapses have STDP state (set_plastic)
        self.read_settings(h)

    def read_settings(self, h):
        """Take NetcolIntf6's module-wide values (set before the build, or restored from
        a checkpoint) as the engine's settings; the plan horizon is set apart."""
        self.module = module_settings(h)
        self.pop.set_settings(filled(scratch_vectors(1)[0], [float(self.module[k]) for k in SETTINGS]))

    def add_cell(self, gid, relay):
        """Add a local cell (its parameters come with :meth:`set_cells`).

        Parameters
        ----------
        gid : int
        relay : hoc.HocObject
            The cell's NetcolRelay (its spike source for ParallelContext).
        """
        self.index[gid] = len(self.index)
        self.pop.add_cell(gid, relay)

    def cell_row(self, params, inhib):
        """A cell's row of parameters for :meth:`set_cells`.

        Parameters
        ----------
        params : dict
            Every entry of :data:`netcol.cells.intf6.CELL_FIELDS`.
        inhib : bool
            An interneuron (scaled the other way, and only with iscaling).

        Returns
        -------
        list of float
        """
        module = self.module
        values = [module[k[1:]] if k.startswith("*") else params[k] for k in _NCPAR]
        values += [params[k] for k in _AFTER]
        return values + [float(inhib)]

    def set_cells(self, rows, streams, drive_seed, outgoing_delays):
        """Every local cell's parameters, in the order of :meth:`add_cell`.

        Parameters
        ----------
        rows : array, shape (cells, 24)
            Each cell's :meth:`cell_row`.
        streams : array, shape (cells, 4, 3)
            Its four drive streams' (rate Hz, weight, receptor slot), in stream order,
            keyed by drive_seed as :func:`netcol.cells.intf6.key_drive_streams` keys them.
        drive_seed : int
        outgoing_delays : list of arrays
            Each cell's synapse delays (ms), for the scaling steps of its delivery
            callbacks.
        """
        counts = np.array([len(d) for d in outgoing_delays], dtype=float)
        flat = np.concatenate(outgoing_delays) if len(outgoing_delays) else np.empty(0)
        vectors = scratch_vectors(4)
        self.pop.set_cells(drive_seed, self.module["delmin"],
                           *(filled(v, np.ravel(a)) for v, a in zip(vectors, (rows, streams, counts, flat))))

    def set_original(self, seeds, sources):
        """Reference mode's drive streams for every local cell, in the order of
        :meth:`add_cell`: stream k is the original's NetStim of index sources[i][k] seeded
        seeds[i][k] at construction (NetcolIntf6's set_original_streams).

        Parameters
        ----------
        seeds, sources : array, shape (cells, 4)
        """
        self.pop.set_original(filled(scratch_vectors(1)[0], np.hstack([seeds, sources]).ravel().astype(float)))

    def set_caps(self, caps):
        """Every local cell's stream caps, in the order of :meth:`add_cell` (an array of
        shape (cells, 4); negative: none): stream k ends after caps[i][k] events while the
        module-wide capped is set (NetcolIntf6's set_caps)."""
        self.pop.set_caps(filled(scratch_vectors(1)[0], np.asarray(caps, dtype=float).ravel()))

    def set_chain(self, pre, steps):
        """The delivery chain of presynaptic cell pre: each callback's delay minus the
        previous one's (ms), from the second on (NetcolIntf6's set_chain)."""
        self.pop.set_chain(pre, filled(scratch_vectors(1)[0], steps))

    def set_groups(self, groups):
        """Each synapse's group in its presynaptic cell's delivery chain, in the order of
        :meth:`add_synapses` (-1: none): an arrival of group g > 0 is deferred from the
        chain's first callback to its g-th (chained arrival times)."""
        self.pop.set_groups(filled(scratch_vectors(1)[0], np.asarray(groups, dtype=float)))

    def add_synapses(self, cells, pres, delays, weights, from_e):
        """Synapses, in the order given: synapse k from gid pres[k] onto the local cell
        cells[k] (its index in the order of :meth:`add_cell`), with delays[k] (ms), the
        :data:`N_RECEPTORS` receptor weights weights[k] in NetcolIntf6's slot order, and
        from_e[k] true when its presynaptic cell is excitatory."""
        vectors = scratch_vectors(5)
        kinds = np.where(np.asarray(from_e, dtype=bool), KIND_FROM_E, KIND_FROM_I)
        arrays = (cells, pres, delays, np.ascontiguousarray(weights, dtype=float).ravel(), kinds)
        self.pop.add_synapses(*(filled(v, np.asarray(a, dtype=float)) for v, a in zip(vectors, arrays)))

    def set_plastic(self, rules, delays):
        """Every synapse's STDP rule, in the order of :meth:`add_synapses` (after them all);
        without it no synapse has STDP state.

        Parameters
        ----------
        rules : array, shape (synapses, 3)
            Each synapse's increment (0: not plastic), time constant (ms) and bound, as
            NetcolIntf6's weight slots PLINC, PLTAU and PLMAX.
        delays : array
            Each synapse's connection delay (ms; its slot DELAY: an arrival's time less it
            is the presynaptic spike's, also when its arrivals are chained).
        """
        rules = np.asarray(rules, dtype=float).reshape(-1, 3)
        self.plastic = True
        vectors = scratch_vectors(4)
        self.pop.set_plastic(*(filled(v, rules[:, j]) for j, v in enumerate(vectors[:3])), filled(vectors[3], delays))

    def plastic_gains(self, synapses):
        """The stored STDP gains of some synapses (1 for one without STDP state).

        Parameters
        ----------
        synapses : array of int
            Their indices in the order of :meth:`add_synapses`.

        Returns
        -------
        numpy.ndarray
        """
        vs, vo = scratch_vectors(2)
        self.pop.plastic_gains(filled(vs, synapses), vo)
        return vo.as_numpy().copy()

    def plastic_state(self):
        """Every synapse's STDP gain, previous presynaptic spike and last paired
        postsynaptic spike, in the order of :meth:`add_synapses` (a synapse without STDP
        state: as initialised).

        Returns
        -------
        numpy.ndarray, shape (synapses, 3)
        """
        vectors = scratch_vectors(3)
        self.pop.plastic_state(*vectors)
        return np.column_stack([v.as_numpy().copy() for v in vectors])

    def set_plastic_state(self, state):
        """Set every synapse's STDP state from :meth:`plastic_state`'s form (after
        :meth:`set_plastic`)."""
        state = np.asarray(state, dtype=float).reshape(-1, 3)
        self.pop.set_plastic_state(*(filled(v, state[:, j]) for j, v in enumerate(scratch_vectors(3))))

    def playback_positions(self):
        """Each local cell's next played-back entry (its index in what :meth:`set_playback`
        gave it last), in the order of :meth:`add_cell`.

        Returns
        -------
        numpy.ndarray of int
        """
        v = scratch_vectors(1)[0]
        self.pop.playback_positions(v)
        return v.as_numpy().astype(int)

    def set_playback(self, t, entries, reread):
        """Every local cell's played-back input, replacing what it had, read from its first
        entry on (NetcolIntf6's set_playback, then pbi = 0).

        Parameters
        ----------
        t : float
            Now (ms).
        entries : list of (times, slots, weights)
            Each cell's entries in the order of :meth:`add_cell` (times absolute, ascending).
        reread : bool
            A cell that had no entry left at t reads its new ones from t on (NetcolIntf6's
            control event CONTROL_REREAD_PLAYBACK); False before initialisation.
        """
        counts = [len(e[0]) for e in entries]
        flat = [np.concatenate([e[j] for e in entries]) if entries else np.empty(0) for j in range(3)]
        vectors = scratch_vectors(4)
        self.pop.set_playback(t, float(reread), *(filled(v, a) for v, a in zip(vectors, (counts, *flat))))

    def advance(self, t):
        """Handle every event before t (ms): the spikes before t are out, and every cell's
        state is at t (its drive inputs before t applied)."""
        self.pop.handle_until(t)

    def set_stdp(self, t, on):
        """STDP on or off from t (ms), every event before t handled first (the synapses
        need their rules, :meth:`set_plastic`)."""
        self.pop.set_stdp(t, float(on))

    def set_scaling(self, t, on, ton):
        """Synaptic scaling on (its steps from ton, ms) or off from t (ms), every event
        before t handled first: NetcolIntf6's module-wide switch set now."""
        self.pop.set_scaling(t, float(on), ton)

    def restart(self):
        """The cells as built, for a new run from t = 0 (before the initialisation, which
        brings the deleted ones back): every synapse uncut, each cell's drive gain 1 and
        its drive streams rewound."""
        self.pop.restart()

    def set_horizon(self, t):
        """The next time (ms) the protocol may change the cells' inputs: they plan their
        drive up to it (NetcolIntf6's plan_horizon)."""
        self.pop.set_horizon(t)

    def set_trials(self, trial_ms):
        """Stimulus trials of trial_ms from t = 0 (0: none; before initialisation)."""
        self.pop.set_trials(trial_ms)

    def kill(self, gids, t, local=True):
        """Delete cells gids at t (ms): the local ones stop for good (caught up to t first;
        local=False: left as they are, for a resume whose states say so), and every
        arrival from any of them is dropped, those in flight too; every event before t is
        handled first."""
        vl, vg = scratch_vectors(2)
        mine = [self.index[g] for g in gids if g in self.index] if local else []
        self.pop.kill(t, filled(vl, [float(i) for i in mine]), filled(vg, [float(g) for g in gids]))

    def set_drive_gain(self, gain):
        """Every local cell's drive gain (call :meth:`advance` first)."""
        self.pop.set_drive_gain(gain)

    def set_outgoing_delays(self, gid, delays):
        """A local cell's outgoing delays (ms), for the scaling steps of its delivery
        callbacks."""
        self.pop.set_outgoing_delays(self.index[gid], filled(scratch_vectors(1)[0], delays))

    def _state_table(self, name):
        """State name of every local cell, a row each (get_state's values)."""
        v = scratch_vectors(1)[0]
        self.pop.get_state(name, v)
        n = len(self.index)
        return v.as_numpy().reshape(n, len(v) // n if n else 0).copy()

    def cell_states(self):
        """Every local cell's state, as :func:`netcol.cells.intf6.cell_state` gives a
        NetcolIntf6's (the same keys and values, so that a checkpoint holds the same
        either way).

        Returns
        -------
        dict of int to dict
        """
        if not self.index:
            return {}
        scalars = {k: self._state_table(k)[:, 0].tolist() for k in CELL_SCALARS}
        arrays = {k: self._state_table(k).tolist() for k in CELL_ARRAYS}
        ids, seqs = self._state_table("rxids").reshape(-1, 4, 3).tolist(), self._state_table("rxseq").tolist()
        counts = self._state_table("count").tolist()
        out = {}
        for gid, i in self.index.items():
            s = {k: v[i] for k, v in scalars.items()}
            s.update({k: v[i] for k, v in arrays.items()})
            s["rx"] = [(ids[i][k], seqs[i][k]) for k in range(4)]
            s["stream_counts"] = counts[i]
            out[gid] = s
        return out

    def stream_counts(self):
        """Each local cell's events drawn per drive stream, in the order of :meth:`add_cell`
        (an array of shape (cells, 4))."""
        return self._state_table("count")

    def cut_flags(self):
        """Whether each synapse's presynaptic cell was deleted, in the order of
        :meth:`add_synapses` (a bool array)."""
        v = scratch_vectors(1)[0]
        self.pop.cut_flags(v)
        return v.as_numpy() != 0

    def start_at(self, t):
        """Make the next initialisation a resume's at t (ms): the cells are left for
        :meth:`resume` to restore, and the windows run from t."""
        self.pop.tstart = t

    def restore_states(self, states):
        """Set every local cell's state (after an initialisation started by
        :meth:`start_at`).

        Parameters
        ----------
        states : dict of int to dict
            Each local cell's :meth:`cell_states` entry (more gids may be given).
        """
        order = sorted(self.index, key=self.index.get)
        cells = [states[g] for g in order]
        v = scratch_vectors(1)[0]
        for k in CELL_SCALARS:
            self.pop.set_state(k, filled(v, [c[k] for c in cells]))
        for k in CELL_ARRAYS:
            self.pop.set_state(k, filled(v, np.ravel([c[k] for c in cells])))
        self.pop.set_state("rxids", filled(v, np.ravel([[ids for ids, _ in c["rx"]] for c in cells])))
        self.pop.set_state("rxseq", filled(v, np.ravel([[seq for _, seq in c["rx"]] for c in cells])))
        self.pop.set_state("count", filled(v, np.ravel([c["stream_counts"] for c in cells])))

    def resume(self, t, dead, spikes):
        """Continue at t (ms), the cells' states restored (:meth:`restore_states`) and the
        module-wide values too (:meth:`read_settings` takes them): every arrival from the
        deleted cells dropped, each cell's own pending events queued, and the arrivals at
        or after t of the spikes in flight.

        Parameters
        ----------
        t : float
        dead : list of int
            Every cell deleted before t.
        spikes : (array, array)
            Times (ms) and gids of every spike that may be in flight at t.
        """
        self.kill(sorted(dead), t, local=False)
        tv, gv = scratch_vectors(2)
        self.pop.resume(t, filled(tv, np.asarray(spikes[0], dtype=float)), filled(gv, np.asarray(spikes[1], dtype=float)))

    def value(self, gid, what):
        """A local cell's activity sensor (:data:`ACT`, 1/ms, as of its time :data:`TU`),
        goal (:data:`GOAL`, 1/ms, -1 until scaling sets it), scale factor (:data:`SFAC`)
        or whether it was deleted (:data:`DEAD`)."""
        return self.pop.cell_value(self.index[gid], what)

    def value_at(self, gid, code, t):
        """What a recording reads of a local cell at t (after :meth:`advance` to t):
        NetcolIntf6's value_at code (netcol.cells.intf6.VALUE_CODES)."""
        return self.pop.value_at(self.index[gid], code, t)


class EngineSampler:
    """Reads variables (netcol.cells.intf6.RECORDABLE) of some of a rank engine's cells at t
    (ms), every event before t handled first (the core's value_at)."""

    def __init__(self, engine, gids, variables):
        self.engine, self.gids, self.variables = engine, [int(g) for g in gids], list(variables)
        self.codes = [VALUE_CODES[v] for v in variables]

    def __call__(self, t):
        out = np.empty((len(self.gids), len(self.variables)))
        if self.gids:
            self.engine.advance(t)
        for i, gid in enumerate(self.gids):
            out[i] = [self.engine.value_at(gid, k, t) for k in self.codes]
        return to_recorded_units(out, self.variables)


def sampler(engine, gids, variables):
    """An :class:`EngineSampler` (variables among netcol.cells.intf6.RECORDABLE)."""
    unknown = [v for v in variables if v not in RECORDABLE]
    if unknown:
        raise ValueError(f"the rank engine cannot record {', '.join(unknown)}")
    return EngineSampler(engine, gids, variables)
