"""Checkpoints: the complete state of a run at a time T, keyed by gid and connection row,
so that a run can resume from it on any number of ranks with the same result.

The run loop saves what every run has (time, version, parameters, run id, the spikes
still in flight, how far each output file had been written); the model adds its own
part (for the column: every cell's state through its binding, the NetCon weight slots
that change, played-back inputs, the protocol's decisions, the mechanism's settings).
It is taken inside a timeline event (exact time order) and written by rank 0 to
``checkpoint.pkl`` through a temporary file and a rename.
"""
import os
import pickle
from pathlib import Path

import numpy as np

from ..io.rundir import RunFolderError

FILE = "checkpoint.pkl"


def write(run_dir, data):
    """Write a checkpoint atomically (the previous one stays valid until the rename; a
    failed write, e.g. on a full disk, leaves no temporary file)."""
    path = Path(run_dir) / FILE
    tmp = path.with_suffix(".tmp")
    try:
        with open(tmp, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Entries every checkpoint holds.
REQUIRED = ("t", "netcol_version", "effective", "recent_spikes", "spikes_written", "file_counts")


def read(run_dir):
    """Read the last checkpoint of a run directory, or None if there is none.

    Raises
    ------
    RunFolderError
        The file is damaged (truncated, not a checkpoint), naming it.
    """
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except Exception as err:   # unpickling a damaged file can raise almost anything
        raise RunFolderError(f"{path}: damaged checkpoint, cannot be read ({type(err).__name__}: {err})") from None
    missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
    if missing:
        raise RunFolderError(f"{path}: not a complete netcol checkpoint (missing {', '.join(missing)})")
    return data


def belongs_to_run(run_dir, ck, meta):
    """Refuse a checkpoint that does not belong to the output files it would continue.

    The run id written into run.json, spikes.h5, state.h5 and the checkpoint must agree,
    and the files must hold at least what the checkpoint counted."""
    import h5py
    from ..io.record import RUN_ID_ATTR, population_of
    run_id = ck.get("run_id")
    if run_id is None:   # written before run ids existed
        return
    if meta.get("run_id") != run_id:
        raise RunFolderError(f"{run_dir}: the checkpoint belongs to another run than run.json (run ids {run_id} "
                         f"and {meta.get('run_id')}); refusing to splice two runs")
    for name in ("spikes.h5", "state.h5"):
        path = Path(run_dir) / name
        try:
            with h5py.File(path, "r", swmr=True) as f:
                file_id = f.attrs.get(RUN_ID_ATTR)
                file_id = file_id.decode() if isinstance(file_id, bytes) else file_id
                if name == "spikes.h5":
                    counts = {"spikes": f[f"spikes/{population_of(f, 'spikes')}/timestamps"].shape[0]}
                    needed = {"spikes": ck["spikes_written"]}
                else:
                    counts = {k: f[k].shape[0] for k in ck["file_counts"]}
                    needed = ck["file_counts"]
        except (OSError, KeyError) as err:
            raise RunFolderError(f"{path}: damaged or missing, cannot resume ({err})") from None
        if file_id != run_id:
            raise RunFolderError(f"{path} belongs to another run than the checkpoint (run ids {file_id} and {run_id}); "
                             "refusing to splice two runs")
        short = [f"{k}: {counts[k]} < {n}" for k, n in needed.items() if counts[k] < n]
        if short:
            raise RunFolderError(f"{path} holds less than the checkpoint counted ({', '.join(short)}); it was truncated")


def differences(saved, current, prefix=""):
    """List of 'key: saved -> current' lines where two nested dicts differ."""
    out = []
    for k in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(k, "<absent>"), current.get(k, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{k}.")
        elif a != b and not (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)):
            out.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return out
