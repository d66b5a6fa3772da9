"""Inputs played back into cells at given times: the training signal, and in reference
mode the original's background streams.

Sources produce, for a time window, per-gid arrays of (times, receptor slots, weights).
:class:`Playback` merges them per cell block by block and appends them to what the
cell has not consumed yet, so memory stays bounded and a pending input event is never
disturbed (the cell's next entry stays first).
"""
import numpy as np

from ...cells.intf6 import CONTROL_REREAD_PLAYBACK, SLOT
from .protocol import train_types
from ...runtime import filled, neuron_h, scratch_vectors
from ...streams import keyed_generator

#: Creation order of the original's input sources (network.md §6.2).
SOURCE_ORDER = ("GA", "GA2", "AM2", "NM2")
BACKGROUND, TRAINING = 0, 1


class OriginalBackground:
    """The original's NetStim streams: source j (receptor blocks GA, GA2, AM2, NM2, each in
    gid order) uses MCellRan4 seeded (s, s), s = inputs_seed + 10 j, whose first value is
    discarded when negexp(1) is set; the NetStim (noise 1, start 0) fires at
    t1 = I e1, tk = t(k-1) + I ek with I = 1000 / rate ms.

    With trials (experiments.md §4.5), the original's deletion protocol re-seeds every
    source at the start of every trial T (ms): seed T + 1 + j for a unique trial (the
    first, at 0, and every other), 1234 + j for a repeat trial, set the same way; the
    event already scheduled keeps its time, and the intervals after it come from the new
    seed.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork
    trial_ms : float
        Trial length (0: no re-seeding).
    """

    kind = BACKGROUND

    def __init__(self, model, trial_ms=0.0):
        h = neuron_h()
        column, cells = model.column, model.cells
        base = column.original_seeds["inputs"]
        self.trial_ms = trial_ms
        self.draws = h.Vector()   # one for every window: each hoc Vector made costs memory for good
        self.sources = {}
        for gid in model.local:
            ext = column.external[cells["classes"][gid]]
            srcs = []
            for block, rec in enumerate(SOURCE_ORDER):
                if rec not in ext or ext[rec]["rate"] <= 0:
                    continue
                j = block * cells["n"] + gid
                r = h.Random()
                seeded(r, base + 10 * j)
                interval = 1000.0 / ext[rec]["rate"]
                srcs.append([r, interval, interval * r.repick(), SLOT[rec], ext[rec]["weight"], j, base + 10 * j])
            self.sources[gid] = srcs

    def checkpoint_state(self):
        """Per gid: each source's seed, generator position and next time."""
        return {gid: [(src[6], src[0].seq(), src[2]) for src in srcs] for gid, srcs in self.sources.items()}

    def restore(self, s):
        for gid, srcs in self.sources.items():
            for src, (seed, seq, t_next) in zip(srcs, s[gid]):
                seeded(src[0], seed)
                src[6] = seed
                src[0].seq(seq)
                src[2] = t_next

    def trial_starts(self, t0, t1):
        """Trial starts T in [t0, t1) with their kind: True for unique (k even)."""
        if self.trial_ms <= 0:
            return []
        k0 = int(np.ceil(t0 / self.trial_ms - 1e-9))
        return [(k * self.trial_ms, k % 2 == 0) for k in range(k0, int(np.ceil(t1 / self.trial_ms - 1e-9)))]

    def window(self, t0, t1):
        """Inputs in [t0, t1) per local gid (re-seeding at the trial starts within)."""
        out = {}
        draws = self.draws
        starts = self.trial_starts(t0, t1)
        for gid, srcs in self.sources.items():
            ts, ss, ws = [], [], []
            for src in srcs:
                parts = []
                for t_start, unique in starts:
                    parts.append(self._advance(src, t_start, draws))
                    src[6] = round(t_start) + 1 + src[5] if unique else 1234 + src[5]
                    seeded(src[0], src[6])
                parts.append(self._advance(src, t1, draws))
                times = np.concatenate(parts)
                ts.append(times)
                ss.append(np.full(len(times), src[3], dtype=float))
                ws.append(np.full(len(times), src[4]))
            out[gid] = (np.concatenate(ts), np.concatenate(ss), np.concatenate(ws))
        return out

    @staticmethod
    def _advance(src, t1, draws):
        """The NetStim's event times before t1 from its next time on, leaving its generator
        and next time where one draw per event would have (t <- t + I e, e drawn after
        each event).  The draws come a chunk at a time from Vector.setrand (one MCellRan4
        step each, as repick) and are summed in the same order, so the times are the
        original's bit for bit; the generator is then set back to just after the last
        draw used."""
        r, interval, t = src[0], src[1], src[2]
        parts = []
        while t < t1:
            start = r.seq()
            m = int((t1 - t) / interval * 1.25) + 16
            draws.resize(m)
            draws.setrand(r)
            cum = np.cumsum(np.concatenate([[t], interval * np.array(draws)]))
            k = int(np.searchsorted(cum, t1, side="left"))   # events before t1 (each drew once)
            used = min(k, m)
            parts.append(cum[:used])
            t = cum[used]
            r.seq(start + used)
        src[2] = t
        return np.concatenate(parts) if parts else np.zeros(0)


def seeded(r, seed):
    """Seed an hoc Random as the original's NetStims are: MCellRan4(seed, seed), then
    negexp(1), which consumes the first value."""
    r.MCellRan4(seed, seed)
    r.negexp(1)


class TrainingPulses:
    """The training signal (network.md §7): pulses every 1/rate s from learn_start to
    learn_end; each pulse has k = int(percent * N / 100) inputs to cells of the trained
    types drawn with replacement, at times spread uniformly over train_spread ms.  With
    train_random_times (the original's TrainRand) the same number of inputs fall at
    uniformly random times of the learning phase.

    Pulse l draws from a stream keyed by (seed, 'training', l), identical on every rank,
    so building any window is O(number of pulses in it).  (The original drew target and
    time from the same uniform number and its seed came from a memory address, so its
    pulses were not reproducible; here target and time are independent draws.)"""

    kind = TRAINING

    def __init__(self, model, params):
        ms = 1000.0
        self.local = set(model.local)
        pops = {p.name: p for p in model.cells["pops"]}
        self.targets = np.concatenate([np.arange(pops[t].first_gid, pops[t].first_gid + pops[t].count)
                                       for t in train_types(params)])
        self.k = int(params["train_percent"] * len(self.targets) / 100.0)
        self.isi = ms / params["train_rate"]
        self.start, self.stop = params["learn_start"] * ms, params["learn_end"] * ms
        self.n_pulses = int(np.floor((self.stop - self.start) / self.isi + 1e-9))
        self.spread = params["train_spread"]
        self.slot = float(SLOT[params["train_receptor"]])
        self.weight = params["train_weight"]
        self.seed = params["seed"]
        self.random_times = params["train_random_times"]
        if self.random_times:
            # all n_pulses * k inputs uniform over [start, stop): the count in each fixed
            # chunk follows from conditional binomial draws (one stream, computed once)
            n_chunks = max(1, int(np.ceil((self.stop - self.start) / self.CHUNK)))
            g = keyed_generator(self.seed, "training", 2**39)
            left, counts = self.n_pulses * self.k, []
            for c in range(n_chunks):
                lo = self.start + c * self.CHUNK
                frac = min(self.CHUNK, self.stop - lo) / (self.stop - lo)
                counts.append(g.binomial(left, min(frac, 1.0)))
                left -= counts[-1]
            self.chunk_counts = counts

    def checkpoint_state(self):
        """Stateless: pulse l always comes from the stream keyed by l."""
        return {}

    def restore(self, s):
        pass

    CHUNK = 10000.0   # ms: the random-times mode draws its inputs chunk by chunk

    def chunk(self, c):
        """(targets, times) of the random-times inputs in chunk c."""
        g = keyed_generator(self.seed, "training", 2**38 + c)
        n = self.chunk_counts[c]
        lo = self.start + c * self.CHUNK
        width = min(self.CHUNK, self.stop - lo)
        return self.targets[g.integers(0, len(self.targets), n)], lo + width * g.random(n)

    def pulse(self, l):
        """(targets, times) of pulse l."""
        g = keyed_generator(self.seed, "training", l)
        who = self.targets[g.integers(0, len(self.targets), self.k)]
        when = self.start + l * self.isi + self.spread * g.random(self.k)
        return who, when

    def window(self, t0, t1):
        """Inputs of pulses starting in [t0, t1) (random-times mode: inputs in [t0, t1)),
        per local gid."""
        per = {gid: [] for gid in self.local}
        if self.random_times:
            batches = []
            for c in range(len(self.chunk_counts)):
                lo = self.start + c * self.CHUNK
                if lo < t1 and lo + self.CHUNK > t0:
                    who, when = self.chunk(c)
                    keep = (when >= t0) & (when < t1)
                    batches.append((who[keep], when[keep]))
        else:
            first = max(0, int(np.ceil((t0 - self.start) / self.isi - 1e-9)))
            last = min(self.n_pulses, int(np.ceil((t1 - self.start) / self.isi - 1e-9)))
            batches = [self.pulse(l) for l in range(first, last)]
        for who, when in batches:
            for g, t in zip(who.tolist(), when.tolist()):
                if g in per:
                    per[g].append(t)
        return {g: (np.array(ts), np.full(len(ts), self.slot), np.full(len(ts), self.weight))
                for g, ts in per.items()}


def playback_sources(model, params):
    """The played-back inputs an experiment needs: the original's background in reference
    mode, the training signal when training is on."""
    trial_ms = params["trial_length"] * 1000.0 if params["trials"] else 0.0
    return ([OriginalBackground(model, trial_ms)] if params["rng"] == "original" else []) + \
           ([TrainingPulses(model, params)] if params["training"] else [])


class Playback:
    """Per-cell playback input merged from several sources.

    Parameters
    ----------
    model : netcol.network.ColumnModel
    sources : list
        Objects with ``window(t0, t1)`` and ``kind``.
    """

    def __init__(self, model, sources):
        self.model = model
        self.sources = sources
        self.data = {gid: [np.empty(0)] * 4 for gid in model.local}   # times, slots, weights, kinds
        self.generated_to = 0.0
        self.background_gain = 1.0
        self.started = False   # set once the cells are initialised

    def extend_to(self, t_end):
        """Give every local cell its inputs up to t_end (ms), keeping unconsumed ones."""
        windows = [(src.kind, src.window(self.generated_to, t_end)) for src in self.sources]
        for gid, cell in self.model.local.items():
            parts = [(w[gid][0], w[gid][1], w[gid][2] * (self.background_gain if kind == BACKGROUND else 1.0),
                      np.full(len(w[gid][0]), kind, dtype=float)) for kind, w in windows if gid in w]
            new = [np.concatenate([p[i] for p in parts]) if parts else np.empty(0) for i in range(4)]
            keep = int(cell.pbi)
            merged = [np.concatenate([old[keep:], n]) for old, n in zip(self.data[gid], new)]
            # a pulse's inputs may reach past the window into the next one's: sort all;
            # the cell's pending entry stays first (the look-ahead exceeds the spread)
            order = np.argsort(merged[0], kind="stable")
            self.data[gid] = [m[order] for m in merged]
            self._load(gid, cell)
        self.generated_to = t_end

    def set_background_gain(self, gain):
        """Scale the background inputs not yet delivered (external scale-down)."""
        for gid, cell in self.model.local.items():
            t, s, w, kind = self.data[gid]
            keep = int(cell.pbi)
            w = w[keep:].copy()
            bg = kind[keep:] == BACKGROUND
            w[bg] *= gain / self.background_gain
            self.data[gid] = [t[keep:], s[keep:], w, kind[keep:]]
            self._load(gid, cell)
        self.background_gain = gain

    def checkpoint_state(self):
        """This rank's part of a checkpoint: unconsumed inputs and the sources' positions."""
        tails = {gid: [a[int(cell.pbi):] for a in self.data[gid]] for gid, cell in self.model.local.items()}
        sources = [src.checkpoint_state() for src in self.sources]
        return dict(tails=tails, sources=sources, generated_to=self.generated_to, gain=self.background_gain)

    @staticmethod
    def merge_states(parts):
        """Combine the ranks' states into one keyed by gid."""
        merged = dict(tails={}, sources=[{} for _ in parts[0]["sources"]], generated_to=parts[0]["generated_to"],
                      gain=parts[0]["gain"])
        for part in parts:
            merged["tails"].update(part["tails"])
            for k, src in enumerate(part["sources"]):
                merged["sources"][k].update(src)
        return merged

    def restore(self, s):
        """Continue from a checkpoint: reload each cell's unconsumed inputs."""
        self.generated_to, self.background_gain = s["generated_to"], s["gain"]
        for src, st in zip(self.sources, s["sources"]):
            src.restore(st)
        for gid, cell in self.model.local.items():
            self.data[gid] = s["tails"][gid]
            self._load(gid, cell)

    def _load(self, gid, cell):
        t, s, w, _ = self.data[gid]
        idle = cell.pbt > 1e19
        vt, vs, vw = scratch_vectors(3)
        cell.set_playback(filled(vt, t), filled(vs, s), filled(vw, w))
        cell.pbi = 0
        if idle and len(t) and self.started:
            # no playback event pending: have the cell read its new entries from now
            self.model.control(gid, CONTROL_REREAD_PLAYBACK)
