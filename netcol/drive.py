"""External input played back into cells (reference-mode background drive).

In reference mode every cell's four background inputs are the original's NetStim
streams: source j (0..4N-1, receptor blocks GA, GA2, AM2, NM2, each in gid order) uses
NEURON's MCellRan4 generator seeded (s, s) with s = inputs_seed + 10 j, whose first
value is discarded when the distribution negexp(1) is set; a NetStim with noise 1 and
start 0 then fires at t1 = I e1, tk = t(k-1) + I ek, with I = 1000/rate ms.  The times
are generated block by block and appended to each cell's playback input, keeping the
part not yet consumed, so memory stays bounded and no pending event is disturbed.
"""
import numpy as np

from .cell import SLOT
from .runtime import neuron_h

#: Creation order of the original's input sources (network.md §6.2).
SOURCE_ORDER = ("GA", "GA2", "AM2", "NM2")


class OriginalDrive:
    """The original's background input streams for this rank's cells.

    Parameters
    ----------
    model : netcol.network.ColumnModel
    """

    def __init__(self, model):
        h = neuron_h()
        column, cells = model.column, model.cells
        base = column.original_seeds["inputs"]
        self.model = model
        self.sources = {}   # gid -> list of [random, interval, next time, slot, weight]
        self.data = {}      # gid -> (times, slots, weights) given to the cell
        for gid in model.local:
            ext = column.external[cells["classes"][gid]]
            srcs = []
            for block, rec in enumerate(SOURCE_ORDER):
                if rec not in ext or ext[rec]["rate"] <= 0:
                    continue
                seed = base + 10 * (block * cells["n"] + gid)
                r = h.Random()
                r.MCellRan4(seed, seed)
                r.negexp(1)   # setting the distribution consumes the first value
                interval = 1000.0 / ext[rec]["rate"]
                srcs.append([r, interval, interval * r.repick(), SLOT[rec], ext[rec]["weight"]])
            self.sources[gid] = srcs
            self.data[gid] = (np.empty(0), np.empty(0), np.empty(0))
        self.generated_to = 0.0

    def _draw(self, src, t_end):
        """Times of one source in [its next time, t_end), advancing it."""
        r, interval, t = src[0], src[1], src[2]
        out = []
        while t < t_end:
            out.append(t)
            t = t + interval * r.repick()
        src[2] = t
        return out

    def extend_to(self, t_end, gain=1.0):
        """Give every local cell its inputs up to t_end (ms), keeping unconsumed ones.

        Parameters
        ----------
        t_end : float
        gain : float
            Multiplies the weights of the new inputs (external scale-down).
        """
        h = neuron_h()
        for gid, cell in self.model.local.items():
            parts_t, parts_s, parts_w = [], [], []
            for src in self.sources[gid]:
                times = self._draw(src, t_end)
                parts_t.append(times)
                parts_s.append(np.full(len(times), src[3], dtype=float))
                parts_w.append(np.full(len(times), src[4] * gain))
            t_new = np.concatenate(parts_t) if parts_t else np.empty(0)
            order = np.argsort(t_new, kind="stable")
            old_t, old_s, old_w = self.data[gid]
            keep = int(cell.pbi)
            times = np.concatenate([old_t[keep:], t_new[order]])
            slots = np.concatenate([old_s[keep:], np.concatenate(parts_s)[order] if parts_s else []])
            weights = np.concatenate([old_w[keep:], np.concatenate(parts_w)[order] if parts_w else []])
            self.data[gid] = (times, slots, weights)
            cell.set_playback(h.Vector(times), h.Vector(slots), h.Vector(weights))
            cell.pbi = 0
        self.generated_to = t_end
