"""Reading a run folder's HDF5 files safely: opening them also after a kill, finding
damaged or truncated files before anything is read from them, and repairing files
that a killed writer left in SWMR write mode.

A writer killed with SIGKILL leaves its HDF5 file complete up to the last flushed block
but still marked as open for SWMR writing: netcol's readers open it in SWMR read mode,
while a plain ``h5py.File(path, "r")`` (and other SONATA readers) refuse it until
``netcol repair`` (or ``netcol resume``) has rewritten it.
"""
from pathlib import Path

from .rundir import RunFolderError

#: Datasets each HDF5 file of a run must hold, and the groups of datasets of equal length.
SPIKE_SETS = ("spikes/column/timestamps", "spikes/column/node_ids")
RECORD_SETS = ("records/time", "records/activity", "records/goal", "records/scale", "records/alive")
HINT = "a run's files are damaged when a disk fills or a copy is cut short; rerun, or resume from a checkpoint"


def open_h5(path):
    """Open a run's HDF5 file for reading (SWMR read mode, so that files of running or
    killed runs open too).

    Raises
    ------
    RunFolderError
        The file is missing or not a readable HDF5 file, naming it.
    """
    import h5py
    path = Path(path)
    if not path.exists():
        raise RunFolderError(f"{path}: missing")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        if "truncated file" in str(err):   # SWMR read mode would not notice, and read zeros
            raise RunFolderError(f"{path}: truncated, {path.stat().st_size} bytes of a longer file") from None
    try:   # a file being written, or left by a killed writer
        return h5py.File(path, "r", swmr=True)
    except OSError as err:
        raise RunFolderError(f"{path}: damaged, not a readable HDF5 file ({err})") from None


def _check_sets(f, path, names):
    """Every named dataset exists, all have one length, and their last rows can be read."""
    missing = [n for n in names if n not in f]
    if missing:
        raise RunFolderError(f"{path}: damaged, missing {', '.join(missing)}")
    lengths = {n: f[n].shape[0] for n in names}
    if len(set(lengths.values())) > 1:
        raise RunFolderError(f"{path}: damaged, datasets of unequal length: "
                         + ", ".join(f"{n} {k}" for n, k in lengths.items()))
    for n in names:
        try:
            if lengths[n]:
                f[n][lengths[n] - 1]
        except (OSError, RuntimeError) as err:
            raise RunFolderError(f"{path}: damaged, {n} cannot be read to its end ({err})") from None
    return lengths[names[0]]


def check_run_files(run_dir, meta=None):
    """Check that a run folder's files are whole; raise RunFolderError naming the first
    damaged file and what is wrong with it.

    Parameters
    ----------
    run_dir : path
    meta : dict, optional
        The run's run.json (read here if not given).
    """
    from .checkpoint import read as read_checkpoint
    from .rundir import read_run_json
    run_dir = Path(run_dir)
    meta = meta if meta is not None else read_run_json(run_dir)
    with open_h5(run_dir / "nodes.h5") as f:
        if "nodes/column/node_id" not in f:
            raise RunFolderError(f"{run_dir / 'nodes.h5'}: damaged, missing nodes/column/node_id")
    with open_h5(run_dir / "spikes.h5") as f:
        n = _check_sets(f, run_dir / "spikes.h5", SPIKE_SETS)
    if meta.get("status") in ("complete", "interrupted") and meta.get("spikes") is not None and n < meta["spikes"]:
        raise RunFolderError(f"{run_dir / 'spikes.h5'}: truncated, holds {n} spikes where run.json counted "
                         f"{meta['spikes']}")
    with open_h5(run_dir / "state.h5") as f:
        _check_sets(f, run_dir / "state.h5", RECORD_SETS)
    read_checkpoint(run_dir)


def needs_repair(path):
    """True if an HDF5 file opens in SWMR read mode but not plainly (left by a killed writer)."""
    import h5py
    try:
        h5py.File(path, "r").close()
        return False
    except OSError:
        open_h5(path).close()   # raises RunFolderError if it is damaged beyond that
        return True


def repair(run_dir):
    """Rewrite the HDF5 files a killed writer left in SWMR write mode, keeping every
    flushed row, so that any HDF5 reader opens them; return the repaired paths."""
    from .record import copy_truncated
    done = []
    for name in ("spikes.h5", "state.h5"):
        path = Path(run_dir) / name
        if path.exists() and needs_repair(path):
            copy_truncated(path, {})
            done.append(path)
    return done
