"""Inputs played back into cells at given times: the training signal.

Sources produce, for a time window, per-gid arrays of (times, receptor slots, weights).
:class:`Playback` merges them per cell block by block and appends them to what the
cell has not consumed yet, so memory stays bounded and a pending input event is never
disturbed (the cell's next entry stays first).  It reaches the cells through the network
(``playback_positions`` and ``load_playback``), on either engine.
"""
import numpy as np

from ...cells.intf6 import SLOT
from .protocol import train_types
from ...build.streams import keyed_generator


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
    """The played-back inputs an experiment needs: the training signal when training is on.
    (The background drive is the cells' own in both modes: see the mod file.)"""
    return [TrainingPulses(model, params)] if params["training"] else []


class Playback:
    """Per-cell playback input merged from several sources.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork or .ranknet.RankNetwork
    sources : list
        Objects with ``window(t0, t1)``, ``checkpoint_state()`` and ``restore(state)``.
    """

    def __init__(self, model, sources):
        self.model = model
        self.sources = sources
        self.data = {gid: [np.empty(0)] * 3 for gid in model.local}   # times, slots, weights
        self.generated_to = 0.0
        self.started = False   # set once the cells are initialised

    def extend_to(self, t_end):
        """Give every local cell its inputs up to t_end (ms), keeping unconsumed ones."""
        windows = [src.window(self.generated_to, t_end) for src in self.sources]
        positions = self.model.playback_positions()
        for gid in self.model.local:
            parts = [w[gid] for w in windows if gid in w]
            new = [np.concatenate([p[i] for p in parts]) if parts else np.empty(0) for i in range(3)]
            keep = positions[gid]
            merged = [np.concatenate([old[keep:], n]) for old, n in zip(self.data[gid], new)]
            # a pulse's inputs may reach past the window into the next one's: sort all;
            # the cell's pending entry stays first (the look-ahead exceeds the spread)
            order = np.argsort(merged[0], kind="stable")
            self.data[gid] = [m[order] for m in merged]
        self.model.load_playback(self.data, self.started)
        self.generated_to = t_end

    def checkpoint_state(self):
        """This rank's part of a checkpoint: unconsumed inputs and the sources' positions."""
        positions = self.model.playback_positions()
        tails = {gid: [a[positions[gid]:] for a in self.data[gid]] for gid in self.model.local}
        sources = [src.checkpoint_state() for src in self.sources]
        return dict(tails=tails, sources=sources, generated_to=self.generated_to)

    @staticmethod
    def merge_states(parts):
        """Combine the ranks' states into one keyed by gid."""
        merged = dict(tails={}, sources=[{} for _ in parts[0]["sources"]], generated_to=parts[0]["generated_to"])
        for part in parts:
            merged["tails"].update(part["tails"])
            for k, src in enumerate(part["sources"]):
                merged["sources"][k].update(src)
        return merged

    def restore(self, s):
        """Continue from a checkpoint: reload each cell's unconsumed inputs; a cell with
        none pending reads them anew (at the checkpoint, the refill before it may have
        left that read still to come)."""
        self.generated_to = s["generated_to"]
        for src, st in zip(self.sources, s["sources"]):
            src.restore(st)
        for gid in self.model.local:
            self.data[gid] = s["tails"][gid]
        self.model.load_playback(self.data, True)
