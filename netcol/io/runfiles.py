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
    if not path.is_file():
        raise RunFolderError(f"{path}: a folder (or other non-file) where the run's HDF5 file belongs")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        if "truncated file" in str(err):   # SWMR read mode would not notice, and read zeros
            raise RunFolderError(f"{path}: truncated, {path.stat().st_size} bytes of a longer file") from None
    try:   # a file being written, or left by a killed writer
        return h5py.File(path, "r", swmr=True)
    except OSError as err:
        raise RunFolderError(f"{path}: damaged, not a readable HDF5 file ({one_line(err)})") from None


def one_line(err):
    """HDF5's message of an error on one line: its 'error message' part where it has one."""
    import re
    found = re.search(r"error message = '([^']*)'", str(err))
    return found.group(1) if found else " ".join(str(err).split())


#: Node ids of spikes.h5 checked at a time against the nodes (values).
CHECK_ROWS = 4_000_000


def read_rows(group, names):
    """The rows that every one of a group's growing datasets holds, read whole.

    A running run's writer appends to them one after the other, so a reader may come
    between two appends and find one dataset a row ahead: the common rows are read.

    Parameters
    ----------
    group : h5py.Group or h5py.File
    names : sequence of str
        Dataset names within group, each growing along its first axis.

    Returns
    -------
    dict of str to numpy.ndarray
    """
    n = min(group[name].shape[0] for name in names)
    return {name: group[name][:n] for name in names}


def _check_node_ids(f, path, dataset, n_nodes):
    """Every spike's node id names a node of nodes.h5 (read a slab at a time)."""
    d = f[dataset]
    for lo in range(0, d.shape[0], CHECK_ROWS):
        ids = d[lo:lo + CHECK_ROWS]
        if len(ids) and ids.max() >= n_nodes:
            row = lo + int(ids.argmax())
            raise RunFolderError(f"{path}: damaged, {dataset}[{row}] = {int(ids.max())} names no node (nodes.h5 "
                                 f"has {n_nodes})")


def _check_sets(f, path, names, live=False):
    """Every named dataset exists, all have one length, and their last rows can be read;
    the common length. A live writer appends to the datasets one after the other, and a
    reader may see it between two: then unequal lengths are whole, and the shortest counts."""
    missing = [n for n in names if n not in f]
    if missing:
        raise RunFolderError(f"{path}: damaged, missing {', '.join(missing)}")
    lengths = {n: f[n].shape[0] for n in names}
    if len(set(lengths.values())) > 1 and not live:
        raise RunFolderError(f"{path}: damaged, datasets of unequal length: "
                             + ", ".join(f"{n} {k}" for n, k in lengths.items()))
    for n in names:
        try:
            if lengths[n]:
                f[n][lengths[n] - 1]
        except (OSError, RuntimeError) as err:
            raise RunFolderError(f"{path}: damaged, {n} cannot be read to its end ({err})") from None
    return min(lengths.values()) if names else 0


def timed_datasets(group):
    """Names of a group's datasets that are rows in time: if it has a growing 'time'
    dataset, it and the datasets beside it that grow along their first axis; else none.

    Parameters
    ----------
    group : h5py.Group

    Returns
    -------
    list of str
    """
    import h5py
    time = group.get("time")
    if not (isinstance(time, h5py.Dataset) and time.maxshape and time.maxshape[0] is None):
        return []
    return [k for k, d in group.items() if isinstance(d, h5py.Dataset) and d.maxshape and d.maxshape[0] is None]


def _timed_groups(f):
    """Every group's timed_datasets (full paths), for the groups that have them."""
    import h5py
    groups = []

    def visit(name, obj):
        timed = timed_datasets(obj) if isinstance(obj, h5py.Group) else []
        if timed:
            groups.append([f"{name}/{k}" for k in timed])
    f.visititems(visit)
    return groups


def _check_run_id(f, path, run_id, required):
    """The file carries the run's id (or, where not required, none: written before nodes
    and edges were tagged)."""
    from .record import file_run_id
    file_id = file_run_id(f)
    if run_id is not None and file_id != run_id and (required or file_id is not None):
        raise RunFolderError(f"{path}: belongs to another run (run id {file_id}, run.json's {run_id}); "
                             f"refusing to read it as this run's")


def setup_unfinished(run_dir, meta):
    """How a run that never finished its set-up ended (its output files are missing), or
    None for a run that wrote them."""
    from .rundir import lock_holder
    run_dir = Path(run_dir)
    written = all((run_dir / name).exists() for name in ("spikes.h5", "nodes.h5"))
    if written or meta.get("status") == "complete" or meta.get("t_reached_ms"):
        return None
    if lock_holder(run_dir):
        return "setting up (no output files yet)"
    if meta.get("status") == "failed":
        return f"failed during set-up ({meta.get('error', 'no error recorded')}), before writing its output files"
    if meta.get("status") == "interrupted":
        return "interrupted during set-up, before writing its output files; run it again (netcol run ... --overwrite)"
    return "killed during set-up, before writing its output files; run it again (netcol run ... --overwrite)"


def check_run_files(run_dir, meta=None):
    """Check that a run folder's files are whole and the run's own; raise RunFolderError
    naming the first damaged or foreign file and what is wrong with it.

    spikes.h5 and state.h5 must carry run.json's run id, nodes.h5 and edges.h5 that id or
    none, and nodes.h5 must hold the population of spikes.h5 (another model's has another).

    Parameters
    ----------
    run_dir : path
    meta : dict, optional
        The run's run.json (read here if not given).
    """
    from ..engine.checkpoint import read as read_checkpoint
    from .record import population_of
    from .rundir import lock_holder, read_run_json
    run_dir = Path(run_dir)
    meta = meta if meta is not None else read_run_json(run_dir)
    unfinished = setup_unfinished(run_dir, meta)
    if unfinished:
        raise RunFolderError(f"{run_dir}: {unfinished}")
    run_id = meta.get("run_id")
    live = lock_holder(run_dir) is not None
    populations, rows = {}, {}
    for name, kind, sets in (("spikes.h5", "spikes", ("timestamps", "node_ids")), ("nodes.h5", "nodes", ("node_id",))):
        with open_h5(run_dir / name) as f:
            _check_run_id(f, run_dir / name, run_id, required=(name == "spikes.h5"))
            try:
                populations[name] = population_of(f, kind)
            except KeyError as err:
                raise RunFolderError(f"{run_dir / name}: damaged, {err.args[0]}") from None
            rows[name] = _check_sets(f, run_dir / name, [f"{kind}/{populations[name]}/{s}" for s in sets], live)
    spikes = rows["spikes.h5"]
    with open_h5(run_dir / "spikes.h5") as f:
        _check_node_ids(f, run_dir / "spikes.h5", f"spikes/{populations['spikes.h5']}/node_ids", rows["nodes.h5"])
    if populations["nodes.h5"] != populations["spikes.h5"]:
        raise RunFolderError(f"{run_dir / 'nodes.h5'}: the nodes of population {populations['nodes.h5']!r}, where "
                             f"spikes.h5's are of {populations['spikes.h5']!r}; it belongs to another model's run")
    if meta.get("status") in ("complete", "interrupted") and meta.get("spikes") is not None and spikes < meta["spikes"]:
        raise RunFolderError(f"{run_dir / 'spikes.h5'}: truncated, holds {spikes} spikes where run.json counted "
                             f"{meta['spikes']}")
    if (run_dir / "state.h5").exists():
        with open_h5(run_dir / "state.h5") as f:
            _check_run_id(f, run_dir / "state.h5", run_id, required=True)
            for names in _timed_groups(f):
                _check_sets(f, run_dir / "state.h5", sorted(names, key=lambda x: not x.endswith("/time")), live)
    if (run_dir / "edges.h5").exists():
        with open_h5(run_dir / "edges.h5") as f:
            _check_run_id(f, run_dir / "edges.h5", run_id, required=False)
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
    for name in ("spikes.h5", "state.h5", *sorted(p.name for p in Path(run_dir).glob("report_*.h5"))):
        path = Path(run_dir) / name
        if path.exists() and needs_repair(path):
            copy_truncated(path, {})
            done.append(path)
    return done
