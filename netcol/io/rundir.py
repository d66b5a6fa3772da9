"""The run folder: preparing it, one writer at a time, the files a run wrote there, and
its status in ``run.json``.

- every file a run writes into its folder is named in the folder's manifest
  (``.netcol-manifest.json``) before it is written, by the run itself (outputs,
  checkpoint) and by the commands that add to a run folder later (figures, reports,
  exports): :func:`claim`, :func:`claim_paths`;
- :func:`prepare_output_dir` checks a folder before anything is built: ``--overwrite``
  removes the files the manifest names, so a resume can never splice two runs, and
  refuses a folder that holds anything else (naming it) unless ``--overwrite-all``
  says to remove every file in it;
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
import re
import socket
import uuid
from pathlib import Path

import numpy as np

from ..config.schema import ParamError

LOCK_FILE = ".netcol.lock"
RESERVE_FILE = ".netcol-reserve"
RESERVE_BYTES = 256 * 1024
#: The files a run (and later commands) wrote into the run folder: {"files": [names]}.
MANIFEST = ".netcol-manifest.json"
#: Written and removed at once by prepare_output_dir, to see that the folder is writable.
PROBE_FILE = ".netcol-write-test"
#: netcol's own files in a run folder, with or without a manifest.
OWN_FILES = (LOCK_FILE, RESERVE_FILE, MANIFEST, PROBE_FILE)
#: A run's last checkpoint (see netcol.engine.checkpoint).
CHECKPOINT_FILE = "checkpoint.npz"
#: Name prefix of exported SONATA reports (report_<quantity>.h5).
REPORT_PREFIX = "report_"
#: Files named in error messages before '... and N more'.
NAMED_AT_MOST = 8


class OutputError(RuntimeError):
    """The output directory cannot be used."""


class ForeignFilesError(OutputError):
    """--overwrite was asked of a folder holding files no netcol run recorded there."""


class RunFolderError(ParamError):
    """A run folder's file is missing, damaged or belongs to another run."""


class DiskFullError(OSError):
    """The output file system is full."""

    def __str__(self):   # the message alone, without '[Errno 28]'
        return self.strerror or super().__str__()


def new_run_id():
    """A fresh identifier, written into every file of a run and its checkpoints."""
    return uuid.uuid4().hex


def _plain_name(name):
    """True for a file name inside a folder (no path, no '.' or '..')."""
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\0" not in name


def read_manifest(folder):
    """The names folder's manifest lists, or None if it has none.

    Raises
    ------
    RunFolderError
        The manifest is damaged or names something other than a file in the folder
        (it is read by ``--overwrite``, which must never remove anything else).
    """
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    try:
        files = json.loads(path.read_text())["files"]
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise RunFolderError(f"{path}: damaged ({type(err).__name__}: {err})") from None
    bad = [f for f in files if not _plain_name(f)] if isinstance(files, list) else [files]
    if bad:
        raise RunFolderError(f"{path}: damaged, names {bad[0]!r}, not a file of {folder}")
    return files


def claim(folder, *names):
    """Name files in folder's manifest (creating it) before they are written there, so
    that --overwrite may remove them later."""
    listed = read_manifest(folder) or []
    new = [n for n in names if n not in listed]
    if new:
        write_json_atomic(Path(folder) / MANIFEST, {"files": sorted({*listed, *new})})


def claim_paths(paths):
    """Name each path in the manifest of its folder, if that folder has one (a run
    folder; figures and exports written elsewhere are not a run's files)."""
    for p in map(Path, paths):
        if (p.parent / MANIFEST).exists():
            claim(p.parent, p.name)


def _temporary_of(name, bases):
    """True if name is NAME.tmp or NAME.<pid>.tmp of one of bases (a write in progress)."""
    m = re.fullmatch(r"(.+?)(\.\d+)?\.tmp", name)
    return bool(m) and m.group(1) in bases


def foreign_entries(out):
    """The entries of folder out that are not netcol's: neither its own files nor named in
    its manifest (nor their temporaries); sub-folders are always foreign."""
    bases = {*OWN_FILES, *(read_manifest(out) or [])}
    return sorted(p.name for p in Path(out).iterdir()
                  if p.is_dir() or not (p.name in bases or _temporary_of(p.name, bases)))


def _named(names):
    shown = ", ".join(names[:NAMED_AT_MOST])
    return shown + (f" and {len(names) - NAMED_AT_MOST} more" if len(names) > NAMED_AT_MOST else "")


def check_overwrite(out):
    """Refuse --overwrite of folder out if it holds anything no netcol run recorded there.

    Raises
    ------
    ForeignFilesError
        Naming the foreign files (and, without a manifest, saying why all are).
    """
    try:
        foreign = foreign_entries(out)
    except RunFolderError as err:
        raise ForeignFilesError(f"{err}; --overwrite cannot tell the run's files from others") from None
    if foreign and read_manifest(out) is None:
        raise ForeignFilesError(f"output directory {out} has no {MANIFEST} (a run folder of an earlier netcol, or "
                                f"not netcol's), so --overwrite cannot tell a run's files from others among its "
                                f"{len(foreign)}: {_named(foreign)}")
    if foreign:
        raise ForeignFilesError(f"output directory {out} holds files no netcol run wrote there: {_named(foreign)}")


def remove_run_files(out, everything=False):
    """Remove the files folder out's manifest names (with their temporaries), then the
    manifest; with everything, every file in out.  Sub-folders and the lock stay."""
    out = Path(out)
    if everything:
        doomed = [p for p in out.iterdir() if p.name != LOCK_FILE and (p.is_symlink() or not p.is_dir())]
    else:
        bases = {*(read_manifest(out) or []), RESERVE_FILE, PROBE_FILE}
        doomed = [p for p in out.iterdir() if (p.name in bases or _temporary_of(p.name, bases | {MANIFEST}))
                  and (p.is_symlink() or not p.is_dir())]
    for p in doomed:   # (a symlink itself, never what it points to)
        p.unlink(missing_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)   # last: a kill midway leaves it naming the rest


def prepare_output_dir(path, overwrite=False, overwrite_all=False):
    """Check (and create) the output directory before anything is built.

    Parameters
    ----------
    path : str or pathlib.Path
    overwrite : bool
        Allow a non-empty directory of an earlier run if it holds only files runs
        recorded in its manifest (they are removed by :func:`remove_run_files`).
    overwrite_all : bool
        Allow any non-empty directory (every file in it is removed).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    OutputError
        ForeignFilesError for --overwrite of a folder holding other files.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path {out} exists and is not a directory")
    if out.exists() and any(p.name != LOCK_FILE for p in out.iterdir()):
        if not (overwrite or overwrite_all):
            raise OutputError(f"output directory {out} is not empty; choose another --out or pass --overwrite")
        if not overwrite_all:
            check_overwrite(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / PROBE_FILE
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise DiskFullError(errno.ENOSPC, f"no space left on the device of {out}") from None
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
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(dict(pid=os.getpid(), host=socket.gethostname(),
                                          since=datetime.datetime.now().isoformat(timespec="seconds"))).encode(), 0)
        except OSError as err:   # a full disk: leave no lock file behind
            self.path.unlink(missing_ok=True)
            os.close(fd)
            if err.errno == errno.ENOSPC:
                raise DiskFullError(errno.ENOSPC, f"no space left on the device of {folder}") from None
            raise
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


#: What every run.json holds (written when a run starts), with its type.
RUN_JSON_KEYS = {"command": list, "experiment": str, "params": dict, "status": str}


def read_run_json(run_dir):
    """The run.json of a run folder, or RunFolderError naming the file and the problem:
    missing, not JSON, not a run's record (an object with RUN_JSON_KEYS), or naming a
    model that is not registered."""
    path = Path(run_dir) / "run.json"
    if not path.exists():
        raise RunFolderError(f"{run_dir}: not a netcol run directory (no run.json)")
    if not path.is_file():
        raise RunFolderError(f"{path}: not a file")
    try:
        meta = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path}: damaged, not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise RunFolderError(f"{path}: damaged, a JSON {type(meta).__name__ if meta is not None else 'null'} "
                             f"where a run's record (an object) belongs")
    bad = [k for k, kind in RUN_JSON_KEYS.items() if not isinstance(meta.get(k), kind)]
    if bad:
        raise RunFolderError(f"{path}: damaged, not a complete run record (missing or wrong: {', '.join(bad)})")
    if "model" in meta:
        from ..models import names
        if meta["model"] not in names():
            raise RunFolderError(f"{path}: names model {meta['model']!r}, which is not registered here "
                                 f"(known: {', '.join(names())})")
    return meta


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
