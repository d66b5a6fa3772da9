"""``state.h5`` of a sadeh2015 run (written by rank 0).

Layout (times in ms):

- ``/protocol/{t0,length,orientation,plastic,reset,phase,index}``: the protocol's
  segments (orientation in degrees; phase codes index the ``phases`` attribute);
- ``/weights/{pre,post,kind}``: every synapse (target-major, sources ascending), kind as in
  :mod:`netcol.cells.lifmap`;
- ``/weights/time`` (m) and ``/weights/values`` (m x synapses, mV, float32): snapshots at
  the start and after every learning block (time = the block boundary);
- ``/rates/{t0,t1,e,i}``: the mean E and I rate (Hz) of every test, tuning run and
  learning block, [t0, t1) in ms.

SWMR forbids creating objects once writing has started, so everything is created here.
"""
import numpy as np

from ...io.record import LIBVER, RUN_ID_ATTR, AppendFile, StateFileWriter, reopen_truncated
from .protocol import PHASES


class StateWriter(StateFileWriter):
    """Append weight snapshots and rates to state.h5 (held and written together, see StateFileWriter)."""

    GROWING = ("weights/time", "weights/values", "rates/t0", "rates/t1", "rates/e", "rates/i")

    def __init__(self, path, segments, pre, post, kind, run_id="", keep=None):
        """Create the file, or (resume) reopen it keeping the first keep[name] rows of each
        growing dataset."""
        import h5py
        if keep is not None:
            self.f = reopen_truncated(path, keep)
            return
        f = h5py.File(path, "w", libver=LIBVER)
        f.attrs[RUN_ID_ATTR] = run_id
        g = f.create_group("protocol")
        g.attrs["phases"] = np.array(PHASES, dtype="S")
        for name, values, unit in (("t0", [s.t0 for s in segments], "ms"),
                                   ("length", [s.length for s in segments], "ms"),
                                   ("orientation", [s.theta_deg for s in segments], "degree")):
            g.create_dataset(name, data=np.asarray(values, "f8")).attrs["units"] = unit
        g["plastic"] = np.array([s.plastic for s in segments], "i1")
        g["reset"] = np.array([s.reset for s in segments], "i1")
        g["phase"] = np.array([PHASES.index(s.phase) for s in segments], "i1")
        g["index"] = np.array([s.index for s in segments], "i4")
        w = f.create_group("weights")
        w["pre"], w["post"], w["kind"] = (np.asarray(pre, "i8"), np.asarray(post, "i8"), np.asarray(kind, "i1"))
        w.create_dataset("time", shape=(0,), maxshape=(None,), dtype="f8", chunks=(64,)).attrs["units"] = "ms"
        r = f.create_group("rates")
        for name, unit in (("t0", "ms"), ("t1", "ms"), ("e", "Hz"), ("i", "Hz")):
            r.create_dataset(name, shape=(0,), maxshape=(None,), dtype="f8", chunks=(64,)).attrs["units"] = unit
        n = len(pre)
        w.create_dataset("values", shape=(0, n), maxshape=(None, n), dtype="f4",
                         chunks=(1, max(n, 1))).attrs["units"] = "mV"
        self.f = AppendFile(f)

    def append_weights(self, t_ms, values):
        """Append one snapshot of every weight."""
        self.append_row("weights", dict(time=t_ms, values=values))

    def rates(self, t0, t1, e, i):
        """Append the rates of one part of the protocol."""
        self.append_row("rates", dict(t0=t0, t1=t1, e=e, i=i))
