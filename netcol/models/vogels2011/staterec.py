"""``state.h5`` of a vogels2011 run (written by rank 0, record by record).

Layout (times in ms; growing datasets chunked, SWMR):

- ``/records/time`` (n); ``/records/rate_e``, ``/records/rate_i`` (n, Hz: mean rate over
  the interval before each record, 0 at t = 0);
- ``/records/w_mean`` (n), ``/records/w_quantiles`` (n x 5: the 5, 25, 50, 75 and 95 %
  quantiles, attribute ``levels``, within 0.4 %: see :mod:`.weightsummary`),
  ``/records/w_hist`` (n x bins, attribute ``edges``): the plastic I -> E weights (nS) as
  they are at the record (the last step's change is applied at the next step);
- ``/snapshots/{pre,post}`` (the I -> E synapses, target-major, sources ascending) and
  ``/snapshots/<label>`` (every weight at the end of the static phase and at the end of
  the run), with ``/snapshots/time`` (ms, NaN until taken).
"""
import numpy as np

from ...io.record import LIBVER, RUN_ID_ATTR, AppendFile, StateFileWriter, reopen_truncated

from .weightsummary import EDGES, LEVELS

SNAPSHOTS = ("static_end", "final")


class StateWriter(StateFileWriter):
    """Append records to state.h5 (held and written together, see StateFileWriter)."""

    SNAPSHOTS = SNAPSHOTS
    GROWING = ("records/time", "records/rate_e", "records/rate_i", "records/w_mean", "records/w_quantiles",
               "records/w_hist")

    def __init__(self, path, pre, post, run_id="", keep=None, t_keep=None):
        """Create the file, or (resume) reopen it keeping the first keep[name] rows of each
        growing dataset and forgetting snapshots taken after t_keep."""
        import h5py
        if keep is not None:
            self.f = reopen_truncated(path, keep, ("snapshots", SNAPSHOTS), t_keep)
            return
        f = h5py.File(path, "w", libver=LIBVER)
        f.attrs[RUN_ID_ATTR] = run_id
        rec = f.create_group("records")
        for name, shape, unit in (("time", (), "ms"), ("rate_e", (), "Hz"), ("rate_i", (), "Hz"), ("w_mean", (), "nS"),
                                  ("w_quantiles", (len(LEVELS),), "nS"), ("w_hist", (len(EDGES) - 1,), "1")):
            d = rec.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype="f8",
                                   chunks=(64, *shape))
            d.attrs["units"] = unit
        rec["w_quantiles"].attrs["levels"] = np.array(LEVELS)
        rec["w_hist"].attrs["edges"] = EDGES
        snaps = f.create_group("snapshots")
        snaps["pre"], snaps["post"] = np.asarray(pre, "i8"), np.asarray(post, "i8")
        for label in SNAPSHOTS:
            snaps.create_dataset(label, data=np.full(len(pre), np.nan)).attrs["units"] = "nS"
        snaps.create_dataset("time", data=np.full(len(SNAPSHOTS), np.nan))
        self.f = AppendFile(f)

    def record(self, t_ms, rate_e, rate_i, summary):
        """Append one record: the rates and the weight summary (weightsummary.summarise)."""
        self.append_row("records", dict(time=t_ms, rate_e=rate_e, rate_i=rate_i, **summary))
