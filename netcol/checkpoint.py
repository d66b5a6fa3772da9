"""Checkpoints: the complete state of a run at a time T, keyed by gid and connection row,
so that a run can resume from it on any number of ranks with the same result.

A checkpoint holds every cell's state (membrane, threshold, refractory state and its
end, sensor, goal, integral, scale factor, dead flag, spike ring, pending callback
steps, drive streams' next times, Random123 ids and positions, playback position, trial
index, buffered drive inputs), the NetCon weight slots that change during a run (STDP gain and pairing
bookkeeping, the cut flag of deleted presynaptic cells), the spikes
still in flight, the playback inputs not yet consumed and their sources' positions, the
module-wide settings, the scheduler's position and decisions, and how far each output
file had been written.  It is taken inside a timeline event (exact time order) and
written by rank 0 to ``checkpoint.pkl`` through a temporary file and a rename.
"""
import os
import pickle
from pathlib import Path

import numpy as np

from .rundir import RunFolderError

#: Per-cell scalar state of NetcolIntf6 saved in a checkpoint.
CELL_SCALARS = ("VAM", "VNM", "VGA", "VAM2", "VNM2", "VGA2", "AHP", "VTHC", "VTHR", "refractory", "t0", "trrs",
                "dead", "spkcnt", "blkcnt", "act", "goal", "interr", "sfac", "tu", "tev", "xt0", "xt1", "xt2",
                "xt3", "xnext", "drivegen", "pbi", "pbt", "trial_k", "tref", "xgain", "nspk", "npend", "nb", "bi",
                "xplan")
CELL_ARRAYS = {"ring": 32, "pend": 4, "pendk": 4, "bt": 8, "bs": 8}
#: Module-wide settings of NetcolIntf6 saved in a checkpoint.
GLOBALS = ("EAM", "ENM", "EGA", "mg", "eps", "scaling", "iscaling", "scaling_ton", "act_tau", "act_tau_decay",
           "beta", "gamma", "stdp_on", "plast_start", "plast_end", "maxplastt", "soft_stdp", "potw", "depw",
           "reset_plast", "exp_table", "delmin", "plan_horizon")
FILE = "checkpoint.pkl"


def cell_state(cell):
    """Everything a cell needs to continue exactly (a plain dict)."""
    s = {k: getattr(cell, k) for k in CELL_SCALARS}
    for k, n in CELL_ARRAYS.items():
        arr = getattr(cell, k)
        s[k] = [arr[i] for i in range(n)]
    s["rx"] = [(list(getattr(cell, f"rx{k}").get_ids()), getattr(cell, f"rx{k}").get_seq()) for k in range(4)]
    return s


def restore_cell(cell, s):
    """Set a cell's state from :func:`cell_state` output."""
    for k in CELL_SCALARS:
        setattr(cell, k, s[k])
    for k, n in CELL_ARRAYS.items():
        arr = getattr(cell, k)
        for i in range(n):
            arr[i] = s[k][i]
    for k, (ids, seq) in enumerate(s["rx"]):
        r = getattr(cell, f"rx{k}")
        r.set_ids(*[int(x) for x in ids])
        r.set_seq(seq)


def module_settings(h):
    """The mechanism's module-wide values."""
    return {k: getattr(h, f"{k}_NetcolIntf6") for k in GLOBALS}


def restore_module_settings(h, values):
    for k, v in values.items():
        setattr(h, f"{k}_NetcolIntf6", v)


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
REQUIRED = ("t", "netcol_version", "effective", "globals", "cells", "weights", "recent_spikes", "scheduler",
            "spikes_written", "file_counts")


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
    from .record import RUN_ID_ATTR
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
                    counts = {"spikes": f["spikes/column/timestamps"].shape[0]}
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
