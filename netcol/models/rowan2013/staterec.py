"""``state.h5``: the periodic records of a run (written by rank 0, block by block).

Layout (every time in ms; datasets grow along their first axis, chunked, SWMR):

- ``/records/time`` (n) and ``/records/{activity,goal,scale,alive}`` (n x cells):
  activity-sensor value and goal in Hz (goal NaN until scaling sets it), scale factor,
  alive flag, for every cell (column index = gid);
- ``/gains/time`` (m), ``/gains/mean``, ``/gains/sd`` (m x pairs), ``/gains/pairs``: STDP
  gains of the plastic synapses summarised per (pre type, post type);
- ``/gains/snapshots/{pre,post}`` (plastic synapses) and ``/gains/snapshots/<label>``: every
  plastic synapse's gain at a phase end, with ``/gains/snapshots/time`` (ms, NaN until taken);
- ``/deletions/{time,gid}`` (attribute ``rule``); ``/trials/{time,kind,key}``.

SWMR forbids creating objects once writing has started, so everything is created here.
"""
import numpy as np

from ...io.record import LIBVER, RUN_ID_ATTR, AppendFile, reopen_truncated
from ...io.space import guarded


class StateWriter:
    """Append records to state.h5 and flush after each, so the file is always readable."""

    GROWING = ("records/time", "records/activity", "records/goal", "records/scale", "records/alive",
               "gains/time", "gains/mean", "gains/sd", "deletions/time", "deletions/gid", "trials/time",
               "trials/key", "trials/kind")

    def __init__(self, path, n_cells, gain_pairs, plastic_pre, plastic_post, snapshot_labels, deletion_rule,
                 run_id="", keep=None, t_keep=None):
        """Create the file, or (resume) reopen it keeping the first keep[name] rows of each
        growing dataset and forgetting snapshots taken after t_keep."""
        import h5py
        self.snapshot_labels = list(snapshot_labels)
        if keep is not None:
            self.f = reopen_truncated(path, keep, ("gains/snapshots", self.snapshot_labels), t_keep)
            return
        f = h5py.File(path, "w", libver=LIBVER)
        f.attrs[RUN_ID_ATTR] = run_id
        rec = f.create_group("records")
        self._grow(rec, "time", (), "f8", "ms")
        for name, unit, dtype in (("activity", "Hz", "f8"), ("goal", "Hz", "f8"), ("scale", "1", "f8"),
                                  ("alive", "1", "i1")):
            self._grow(rec, name, (n_cells,), dtype, unit)
        gains = f.create_group("gains")
        gains.create_dataset("pairs", data=np.array(gain_pairs, dtype="S"))
        self._grow(gains, "time", (), "f8", "ms")
        for name in ("mean", "sd"):
            self._grow(gains, name, (len(gain_pairs),), "f8", "1")
        snaps = gains.create_group("snapshots")
        snaps.create_dataset("pre", data=np.asarray(plastic_pre, dtype="i8"))
        snaps.create_dataset("post", data=np.asarray(plastic_post, dtype="i8"))
        snaps.create_dataset("labels", data=np.array(snapshot_labels, dtype="S"))
        snaps.create_dataset("time", data=np.full(len(snapshot_labels), np.nan))
        for label in snapshot_labels:
            snaps.create_dataset(label, data=np.full(len(plastic_pre), np.nan))
        dele = f.create_group("deletions")
        dele.attrs["rule"] = deletion_rule
        self._grow(dele, "time", (), "f8", "ms")
        self._grow(dele, "gid", (), "i8", "1")
        tri = f.create_group("trials")
        self._grow(tri, "time", (), "f8", "ms")
        self._grow(tri, "key", (), "i8", "1")
        self._grow(tri, "kind", (), "S8", "unique or repeat")
        self.f = AppendFile(f)

    @staticmethod
    def _grow(group, name, row_shape, dtype, units):
        chunk = (max(1, min(1024, 65536 // max(1, int(np.prod(row_shape) or 1)))),) + row_shape
        ds = group.create_dataset(name, shape=(0,) + row_shape, maxshape=(None,) + row_shape, dtype=dtype,
                                  chunks=chunk)
        ds.attrs["units"] = units

    def _append(self, path, rows):
        ds = self.f[path]
        rows = np.asarray(rows, dtype=ds.dtype)
        n = ds.shape[0]
        ds.resize((n + len(rows),) + ds.shape[1:])
        ds[n:] = rows

    @guarded
    def record(self, t, activity_hz, goal_hz, scale, alive):
        """Append one state record (arrays indexed by gid)."""
        self._append("records/time", [t])
        self._append("records/activity", [activity_hz])
        self._append("records/goal", [goal_hz])
        self._append("records/scale", [scale])
        self._append("records/alive", [alive])
        self.f.flush()

    @guarded
    def gain_summary(self, t, mean, sd):
        """Append one row of per-pair gain means and SDs."""
        self._append("gains/time", [t])
        self._append("gains/mean", [mean])
        self._append("gains/sd", [sd])
        self.f.flush()

    @guarded
    def gain_snapshot(self, label, t, gain):
        """Store every plastic synapse's gain (aligned with snapshots/pre, post) under label."""
        self.f[f"gains/snapshots/{label}"][:] = gain
        self.f["gains/snapshots/time"][self.snapshot_labels.index(label)] = t
        self.f.flush()

    @guarded
    def deletion(self, t, gids):
        """Log one deletion round."""
        self._append("deletions/time", [t] * len(gids))
        self._append("deletions/gid", list(gids))
        self.f.flush()

    @guarded
    def trial(self, t, kind, key):
        """Log the start of a stimulus trial."""
        self._append("trials/time", [t])
        self._append("trials/kind", [kind.encode()])
        self._append("trials/key", [key])
        self.f.flush()

    def counts(self):
        """Rows written so far in each growing dataset (saved in checkpoints)."""
        return {name: self.f[name].shape[0] for name in self.GROWING}

    def close(self):
        """Flush and close."""
        self.f.close()
