"""The run folder: preparing it, one writer at a time, and its status in ``run.json``.

- :func:`prepare_output_dir` checks a folder before anything is built (``--overwrite``
  removes every file of an earlier run, so a resume can never splice two runs);
- :class:`RunLock` is an advisory lock (``.netcol.lock``, holding the owner's pid, host
  and start time) held by rank 0 for the whole run; a lock left by a dead process is
  taken over with a message;
- :func:`write_json_atomic` and :func:`mark_status` keep ``run.json`` whole at any
  moment, also on a full disk (a small reserve file is released to make room for it).
"""
import datetime
import errno
import fcntl
import json
import os
import socket
import uuid
from pathlib import Path

import numpy as np

from ..config.schema import ParamError

LOCK_FILE = ".netcol.lock"
RESERVE_FILE = ".netcol-reserve"
RESERVE_BYTES = 256 * 1024
#: A run's last checkpoint (see netcol.engine.checkpoint).
CHECKPOINT_FILE = "checkpoint.npz"
#: Files and suffixes a run writes; --overwrite removes exactly these.
RUN_FILES = ("run.json", "spikes.h5", "state.h5", "nodes.h5", "node_types.csv", "edges.h5", "edge_types.csv",
             "circuit_config.json", "simulation_config.json", "timeline.csv", CHECKPOINT_FILE, "checkpoint.pkl",
             RESERVE_FILE)
RUN_SUFFIXES = (".png", ".pdf", ".tmp")
#: Name prefix of exported SONATA reports (report_<quantity>.h5); --overwrite removes them.
REPORT_PREFIX = "report_"


class OutputError(RuntimeError):
    """The output directory cannot be used."""


class RunFolderError(ParamError):
    """A run folder's file is missing, damaged or belongs to another run."""


class DiskFullError(OSError):
    """The output file system is full."""


def new_run_id():
    """A fresh identifier, written into every file of a run and its checkpoints."""
    return uuid.uuid4().hex


def remove_run_files(out):
    """Remove every file an earlier run left in folder out (nothing else)."""
    for p in Path(out).iterdir():
        if p.is_file() and (p.name in RUN_FILES or p.suffix in RUN_SUFFIXES
                            or (p.name.startswith(REPORT_PREFIX) and p.suffix == ".h5")):
            p.unlink()


def prepare_output_dir(path, overwrite=False):
    """Check (and create) the output directory before anything is built.

    Parameters
    ----------
    path : str or pathlib.Path
    overwrite : bool
        Allow an existing, non-empty directory; the files of an earlier run in it
        (outputs, checkpoint, figures) are removed.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path {out} exists and is not a directory")
    if out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()) and not overwrite:
        raise OutputError(f"output directory {out} is not empty; choose another --out or pass --overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".netcol-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise OutputError(f"output directory {out} is not writable: {err.strerror}") from None
    return out


class RunLock:
    """An advisory lock on a run folder, held while the process lives.

    The lock is ``fcntl.flock`` on ``.netcol.lock``: the kernel releases it when its
    holder dies, so a lock file whose lock can be taken belongs to a dead process.

    Parameters
    ----------
    folder : pathlib.Path

    Raises
    ------
    OutputError
        The folder is in use by a live run (its pid and host are named).
    """

    def __init__(self, folder):
        self.path = Path(folder) / LOCK_FILE
        self.previous = None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = _read_owner(fd) or "another process"
            os.close(fd)
            raise in_use(folder, owner)
        self.previous = _read_owner(fd) or None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(dict(pid=os.getpid(), host=socket.gethostname(),
                                      since=datetime.datetime.now().isoformat(timespec="seconds"))).encode(), 0)
        self.fd = fd

    def release(self):
        """Give the lock up and remove the lock file."""
        if self.fd is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None


def _read_owner(fd):
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        return f"pid {data['pid']} on {data['host']} (since {data['since']})"
    except (ValueError, KeyError, UnicodeDecodeError):
        return ""


def in_use(folder, owner):
    """The error for a run folder that a live run holds."""
    return OutputError(f"run folder {folder} is in use by {owner}; wait for that run to end or stop it")


def lock_holder(folder):
    """Who holds folder's run lock ('pid P on H (since ...)'), or None; changes nothing."""
    path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except OSError:
        return _read_owner(fd) or "another process"
    finally:
        os.close(fd)


def check_unlocked(folder):
    """Raise OutputError if a live run holds folder's lock."""
    holder = lock_holder(folder)
    if holder:
        raise in_use(folder, holder)


def _jsonable(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def write_json_atomic(path, data):
    """Write JSON to a temporary file and rename it, so readers never see half a file.

    On a full disk the temporary file is removed and :class:`DiskFullError` raised."""
    tmp = Path(f"{path}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if err.errno == errno.ENOSPC:
            raise DiskFullError(errno.ENOSPC, f"no space left on the device of {path}") from None
        raise


def read_run_json(run_dir):
    """The run.json of a run folder, or ParamError naming the file and the problem."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        raise RunFolderError(f"{run_dir}: not a netcol run directory (no run.json)")
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path}: damaged, not valid JSON ({err})") from None


def run_status(run_dir, meta):
    """run.json's status, with 'running' told apart from a run whose process is gone."""
    status = meta.get("status", "unknown")
    if status == "running":
        if lock_holder(run_dir):
            return "running"
        return "stopped without finishing (killed or crashed; resume from its checkpoint)"
    if status == "failed" and meta.get("error"):
        return f"failed ({meta['error']})"
    return status


#: Free space (bytes) below which a run stops cleanly before its next write, on top of
#: twice the last checkpoint's size: HDF5 cannot recover from a write that fails midway.
MIN_FREE_BYTES = 8 * 2**20


def low_disk(out):
    """A message if the run folder's file system is too full to write another block
    (and checkpoint) safely, else None."""
    ck = Path(out) / CHECKPOINT_FILE
    need = MIN_FREE_BYTES + (2 * ck.stat().st_size if ck.exists() else 0)
    st = os.statvfs(out)
    free = st.f_bavail * st.f_frsize
    if free < need:
        return (f"only {free / 2**20:.1f} MB left on the device of {out} (a run stops below "
                f"{need / 2**20:.1f} MB, before a write could fail midway)")
    return None


def reserve_space(out):
    """Set a little disk space aside so that run.json can still be marked on a full disk."""
    try:
        with open(Path(out) / RESERVE_FILE, "wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
    except OSError as err:
        (Path(out) / RESERVE_FILE).unlink(missing_ok=True)
        if err.errno == errno.ENOSPC:
            raise DiskFullError(errno.ENOSPC, f"no space left on the device of {out}") from None
        raise


def release_space(out):
    """Remove the reserve file (at the end of a run, or to make room on a full disk)."""
    (Path(out) / RESERVE_FILE).unlink(missing_ok=True)


def mark_status(out, status, **fields):
    """Set run.json's status (and other fields), keeping the rest; any rank may call it.

    Used when a run fails or is stopped outside the normal end of a run; on a full disk
    the reserve file makes room first."""
    path = Path(out) / "run.json"
    try:
        meta = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        meta = {}
    meta.update(status=status, **fields)
    release_space(out)
    write_json_atomic(path, meta)
