"""``state.h5`` of an akil2021 run (written by rank 0).

Layout (times in ms; growing datasets chunked, SWMR):

- ``/records/time`` (n); ``/records/rate_e``, ``/records/rate_i`` (n, Hz: mean rate over
  the interval before each record, 0 at t = 0);
- ``/records/current_e``, ``/records/current_i`` (n x 3: mean I_E, I_I, I_X over the E,
  resp. I, cells and over the steps of the interval before each record: the balance);
- ``/records/w_mean`` (n x 4: mean weight of each recurrent pathway E->E, E->I, I->E,
  I->I at the record; NaN where static);
- ``/records/w_samples`` (n x k: the sampled plastic weights, columns as
  ``/samples/pre``, ``/samples/post``, ``/samples/pathway``; absent without plastic
  pathways);
- ``/snapshots/{pre,post}`` (every plastic synapse, target-major, sources ascending) and
  ``/snapshots/initial``, ``/snapshots/final`` (their weights at 0 and at the end), with
  ``/snapshots/time`` (ms, NaN until taken).
"""
import numpy as np

from ...io.record import LIBVER, RUN_ID_ATTR, AppendFile, StateFileWriter, reopen_truncated

SNAPSHOTS = ("initial", "final")


class StateWriter(StateFileWriter):
    """Append records to state.h5 (held and written together, see StateFileWriter)."""

    SNAPSHOTS = SNAPSHOTS
    GROWING = ("records/time", "records/rate_e", "records/rate_i", "records/current_e", "records/current_i",
               "records/w_mean", "records/w_samples")

    def __init__(self, path, pre, post, samples, run_id="", keep=None, t_keep=None):
        """Create the file, or (resume) reopen it keeping the first keep[name] rows of each
        growing dataset and forgetting snapshots taken after t_keep.  samples is
        (pre, post, pathway) of the sampled synapses."""
        import h5py
        if keep is not None:
            self.f = reopen_truncated(path, keep, ("snapshots", SNAPSHOTS), t_keep)
            return
        f = h5py.File(path, "w", libver=LIBVER)
        f.attrs[RUN_ID_ATTR] = run_id
        rec = f.create_group("records")
        k = len(samples[0])
        growing = (("time", (), "ms"), ("rate_e", (), "Hz"), ("rate_i", (), "Hz"), ("current_e", (3,), "mV/ms"),
                   ("current_i", (3,), "mV/ms"), ("w_mean", (4,), "1")) + ((("w_samples", (k,), "1"),) if k else ())
        for name, shape, unit in growing:
            d = rec.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype="f8",
                                   chunks=(64, *shape))
            d.attrs["units"] = unit
        rec["current_e"].attrs["columns"] = rec["current_i"].attrs["columns"] = np.array([b"I_E", b"I_I", b"I_X"])
        rec["w_mean"].attrs["columns"] = np.array([b"E->E", b"E->I", b"I->E", b"I->I"])
        grp = f.create_group("samples")
        for name, values in zip(("pre", "post", "pathway"), samples):
            grp[name] = np.asarray(values, "i8")
        snaps = f.create_group("snapshots")
        snaps["pre"], snaps["post"] = np.asarray(pre, "i8"), np.asarray(post, "i8")
        for label in SNAPSHOTS:
            snaps.create_dataset(label, data=np.full(len(pre), np.nan))
        snaps.create_dataset("time", data=np.full(len(SNAPSHOTS), np.nan))
        self.f = AppendFile(f)

    def record(self, t_ms, rate_e, rate_i, current_e, current_i, w_mean, w_samples):
        """Append one record."""
        row = dict(time=t_ms, rate_e=rate_e, rate_i=rate_i, current_e=current_e, current_i=current_i, w_mean=w_mean)
        if len(w_samples):
            row["w_samples"] = w_samples
        self.append_row("records", row)
