"""Execute a protocol's timeline as NEURON events.

Each timeline time is a ``CVode.event`` whose callback runs in time order with the
cells' own events; one is pending at a time (each callback schedules the next).  Every
rank runs the same callbacks at the same simulated times and takes the same decisions:
which cells to delete comes from a stream keyed by (seed, 'deletion', round) (or, in
reference mode, from the original's generator), identical on all ranks.
"""
import math

import numpy as np

from .acg import ACG
from .protocol import deletion_step, timeline
from .runtime import neuron_h, parallel_context
from .streams import keyed_generator

#: Random123 trial key of every repeat trial; unique trial k uses 2 + k (0 = the build's),
#: as the mechanism computes them.
REPEAT_KEY = 1


class Scheduler:
    """Runs the timeline of one experiment.

    Parameters
    ----------
    model : netcol.network.ColumnModel
    params : dict
        Checked experiment parameters.
    state : StateRecorder
        Gathers and writes records.
    playback : netcol.playback.Playback or None
    checkpointer : callable or None
        Called as checkpointer(t) at checkpoint ticks.
    checkpoint_every : float or None
        Seconds between checkpoints.
    """

    def __init__(self, model, params, state, playback=None, checkpointer=None, checkpoint_every=None):
        self.model, self.p, self.state, self.playback = model, params, state, playback
        self.checkpointer = checkpointer
        self.events = timeline(params, checkpoint_every)
        self.times = sorted({t for t, _ in self.events})
        self.next_index = 0
        self.round = 0
        self.deletions_over = False
        self.alive = set(range(model.n))
        self.original_picker = ACG(0) if params["rng"] == "original" else None
        self._cv = neuron_h().CVode()

    # ------------------------------------------------------------------ scheduling
    def set_horizon(self, from_time=0.0):
        """Tell the cells how far they may plan their drive: up to the next timeline time at
        or after from_time, where the protocol may change their inputs (see the mod file)."""
        nxt = next((t for t in self.times if t >= from_time - 1e-9), 1e20)
        neuron_h().plan_horizon_NetcolIntf6 = nxt

    def start(self, from_time=0.0):
        """Schedule the first event at or after from_time (ms); call after finitialize."""
        while self.next_index < len(self.times) and self.times[self.next_index] < from_time - 1e-9:
            self.next_index += 1
        self._schedule_next()

    def _schedule_next(self):
        if self.next_index < len(self.times):
            t = self.times[self.next_index]
            self._cv.event(t, lambda: self._fire(t))

    def _fire(self, t):
        self.next_index += 1
        for tt, name in self.events:
            if tt == t:
                self.run_action(name, t)
        self.set_horizon(t + 1e-6)
        self._schedule_next()

    def checkpoint_state(self):
        """What a checkpoint needs to continue the timeline."""
        return dict(round=self.round, deletions_over=self.deletions_over, alive=sorted(self.alive),
                    dead=sorted(self.model.dead), picker=self.original_picker)

    def restore(self, s):
        """Continue from a checkpoint's scheduler state."""
        self.round, self.deletions_over = s["round"], s["deletions_over"]
        self.alive = set(s["alive"])
        self.original_picker = s["picker"]

    # ------------------------------------------------------------------ actions
    def run_action(self, name, t):
        """Carry out one timeline action at time t (ms)."""
        h = neuron_h()
        if name == "scaling on":
            h.scaling_NetcolIntf6 = 1
            h.scaling_ton_NetcolIntf6 = t
        elif name == "deletion round":
            self.deletion_round(t)
        elif name in ("unique trial", "repeat trial"):
            self.trial(t, name.split()[0])
        elif name == "record":
            self.state.record(t)
        elif name == "stdp window opens":
            self.state.snapshot("learn_start", t)
        elif name == "stdp window closes":
            self.state.snapshot("learn_end", t)
        elif name == "checkpoint" and self.checkpointer:
            self.checkpointer(t)

    def pick_deletions(self, t):
        """Gids to delete in this round (same on every rank)."""
        step = deletion_step(self.p)
        alive = sorted(self.alive)
        if self.original_picker is not None:
            return original_picks(self.original_picker, alive, step)
        g = keyed_generator(self.p["seed"], "deletion", self.round)
        if self.p["deletion_rule"] == "scaling":
            scale = self.state.gather_scale(t)
            w = np.array([scale[gid] for gid in alive])
            return sorted(g.choice(alive, size=step, replace=False, p=w / w.sum()).tolist())
        return sorted(g.choice(alive, size=step, replace=False).tolist())

    def deletion_round(self, t):
        """Delete deletion_step alive cells, scale external input down, log the round."""
        step = deletion_step(self.p)
        if self.deletions_over:
            return
        if len(self.alive) <= step:
            self.deletions_over = True
            return
        gids = self.pick_deletions(t)
        self.round += 1
        self.alive -= set(gids)
        self.model.delete(gids, t)
        if self.p["scale_external"]:
            gain = 1.0 - (1.0 - len(self.alive) / self.model.n) * self.p["scale_external_rate"]
            for cell in self.model.local.values():
                cell.xgain = gain
            if self.playback is not None:
                self.playback.set_background_gain(gain)
        self.state.log_deletion(t, gids)
        if len(self.alive) <= step:
            self.deletions_over = True

    def trial(self, t, kind):
        """Log the start of a trial; the cells restart their own drive (see the mod file):
        unique trial k draws with key 2 + k, every repeat trial with key 1."""
        k = int(round(t / (self.p["trial_length"] * 1000.0)))
        self.state.log_trial(t, kind, REPEAT_KEY if kind == "repeat" else 2 + k)


class StateRecorder:
    """Gathers cell states and STDP gains from all ranks; rank 0 writes them."""

    def __init__(self, model, writer=None):
        self.model, self.writer = model, writer
        self.pc = parallel_context()
        conn, cells = model.conn, model.cells
        rows = model.netcon_rows
        self.plastic = [i for i, r in enumerate(rows) if model.netcons[i].weight[9] > 0]
        # weight vectors fetched once: each .weight access makes a new hoc object
        self.plastic_weights = [model.netcons[i].weight for i in self.plastic]
        ti = cells["type_index"]
        names = [p.name for p in cells["pops"]]
        inc = _plastic_rows(model)
        pair_of_row = ti[conn.pre[inc]] * 64 + ti[conn.post[inc]]
        self.pair_codes = sorted(set(pair_of_row.tolist()))
        self.pair_names = [f"{names[c // 64]}->{names[c % 64]}" for c in self.pair_codes]
        self.plastic_rows = inc
        self.pair_index = np.searchsorted(self.pair_codes, pair_of_row)

    def _gather_cells(self, fields):
        local = {gid: [f(c) for f in fields] for gid, c in self.model.local.items()}
        parts = self.pc.py_gather(local, 0)
        if self.pc.id() != 0:
            return None
        out = np.zeros((len(fields), self.model.n))
        for part in parts:
            for gid, vals in part.items():
                out[:, gid] = vals
        return out

    def record(self, t):
        """Gather and write one state record (collective: every rank calls it)."""
        # the sensor is decayed to t itself: inside a callback h.t is the step's time
        self.model.catch_up(t)
        decay = neuron_h().act_tau_decay_NetcolIntf6
        vals = self._gather_cells([lambda c: c.act * math.exp(-(t - c.tu) / decay) * 1000.0, lambda c: c.goal,
                                   lambda c: c.sfac, lambda c: 1.0 - c.dead])
        gains = self._all_gains()
        if self.pc.id() != 0:
            return
        goal = np.where(vals[1] < 0, np.nan, vals[1] * 1000.0)
        self.writer.record(t, vals[0], goal, vals[2], vals[3].astype(np.int8))
        if len(self.pair_codes):
            # summed on rank 0 in connection order: the same numbers on any number of ranks
            mean = np.array([gains[self.pair_index == k].mean() for k in range(len(self.pair_codes))])
            sd = np.array([gains[self.pair_index == k].std() for k in range(len(self.pair_codes))])
            self.writer.gain_summary(t, mean, sd)

    def _all_gains(self):
        """Every plastic synapse's stored gain, in connection-row order, on rank 0."""
        rows = [self.model.netcon_rows[i] for i in self.plastic]
        parts = self.pc.py_gather((rows, self._local_gains().tolist()), 0)
        if self.pc.id() != 0:
            return None
        gain = {}
        for r, g in parts:
            gain.update(zip(r, g))
        return np.array([gain[r] for r in self.plastic_rows])

    def gather_scale(self, t):
        """Every cell's scale factor at time t (ms), on every rank."""
        self.model.catch_up(t)
        local = {gid: c.sfac for gid, c in self.model.local.items()}
        out = {}
        for part in self.pc.py_allgather(local):
            out.update(part)
        return out

    def _local_gains(self):
        return np.array([w[8] for w in self.plastic_weights])

    def snapshot(self, label, t):
        """Every plastic synapse's stored gain at time t, aligned with the snapshot's pre/post
        (pairings of postsynaptic spikes since a synapse's last arrival are applied at its
        next arrival, see the mod file)."""
        gains = self._all_gains()
        if self.pc.id() == 0:
            self.writer.gain_snapshot(label, t, gains)

    def log_deletion(self, t, gids):
        if self.pc.id() == 0:
            self.writer.deletion(t, gids)

    def log_trial(self, t, kind, key):
        if self.pc.id() == 0:
            self.writer.trial(t, kind, key)


def _plastic_rows(model):
    """Rows of the connectivity that carry STDP (E -> E with a positive increment)."""
    stdp = model.column.stdp
    ex = model.cells["excitatory"]
    conn = model.conn
    rows = []
    if stdp["EE_inc"] > 0:
        rows.append(np.flatnonzero(ex[conn.pre] & ex[conn.post]))
    if stdp["EI_inc"] > 0:
        rows.append(np.flatnonzero(ex[conn.pre] & ~ex[conn.post]))
    return np.sort(np.concatenate(rows)) if rows else np.empty(0, dtype=int)


def original_picks(generator, alive, step):
    """The original's deletion round: for each pick, Uniform(0, n_remaining) is set
    (consuming one value), then a fresh draw u picks entry floor(u) of the remaining
    list (ascending gids), which shrinks at once.

    Parameters
    ----------
    generator : netcol.acg.ACG
        The original's ACG(0), carried from round to round.
    alive : list of int
        Remaining gids, ascending; picked ones are removed from it.
    step : int

    Returns
    -------
    list of int
    """
    picked = []
    for _ in range(step):
        generator.uniform(0, len(alive))
        picked.append(alive.pop(int(generator.repick())))
    return picked
