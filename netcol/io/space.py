"""A run's writes on a file system that fills up: never a write that fails midway.

HDF5 cannot recover a file from a write that failed midway (its rows past the failure
hold zeros, it may not close, and it crashed the process at exit), and an exception
raised by a write inside a timeline event ends NEURON with "Python Callback failed".
So while a run is under way (:func:`activate`), every write of its files goes through
the run's :class:`SpaceGuard`:

- before each write the free space is checked (:func:`netcol.io.rundir.low_disk`); below
  the margin the write is skipped and the guard stops every later one;
- a write that fails all the same (another process filled the disk in between) stops
  the guard instead of raising; each growing HDF5 file (:class:`netcol.io.record.AppendFile`)
  is cut back to the rows of its last successful flush when it is closed;
- the run loop asks the guard between blocks (on every rank) and ends the run
  ``failed`` with one message, its files closed (the reserve file released first, to
  make room for HDF5's last metadata) and readable, resumable from its last checkpoint
  (no checkpoint is written once the guard has stopped).
"""
import errno
import functools
import os
import re
import sys
from pathlib import Path

#: errno values of a full file system and of an exhausted quota.
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def is_disk_full(err):
    """True if err is a failed write on a full file system (also HDF5's errors, which
    h5py raises as RuntimeError or OSError with the errno only in their text)."""
    if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
        return True
    text = str(err)
    return any(s in text for s in ("No space left on device", "Disk quota exceeded",
                                   f"errno = {errno.ENOSPC},", f"errno = {errno.EDQUOT},"))


class SpaceGuard:
    """Watches the file system of a run folder for one run (see the module's description).

    Attributes
    ----------
    message : str or None
        Why writes stopped (set once).
    unclosed : list of str
        Files that could not be closed even after the reserve was released.
    """

    def __init__(self, out):
        self.out = Path(out)
        self.message = None
        self.unclosed = []
        self.broken = False   # a write failed (rather than being skipped)
        self.gone = False     # the run folder was deleted during the run

    def ok(self):
        """True if a write may go ahead: writes have not stopped, the run folder is still
        there and its disk has room."""
        if self.message is None:
            from .rundir import low_disk
            if not self.out.is_dir():
                self.gone = True
                self.message = f"the run folder {self.out} is gone (deleted or moved while the run went on)"
            else:
                self.message = low_disk(self.out)
        return self.message is None

    def failed(self, err):
        """A write failed for a full disk: stop every later write.  HDF5 reports the
        failure again as h5py lets go of the objects of the failed write ("Exception
        ignored" tracebacks, not printed during a run: see :func:`activate`), and its
        library may crash when the process ends (see :func:`end_process`)."""
        if self.message is None:
            found = re.search(r"error message = '([^']*)'", str(err))
            reason = found.group(1) if found else (str(err).splitlines() or [type(err).__name__])[0]
            self.message = f"no space left on the device of {self.out} (a write failed: {reason})"
        self.broken = True

    def attempt(self, write, *args, **kwargs):
        """Call write(*args, **kwargs) if there is room; True if it was done, False if it
        was skipped or failed for a full disk (other errors are raised)."""
        if not self.ok():
            return False
        try:
            write(*args, **kwargs)
            return True
        except Exception as err:
            if not is_disk_full(err):
                raise
            self.failed(err)
            return False


_active = None


def activate(out):
    """Start guarding the writes of a run into folder out (one run per process)."""
    global _active
    _active = SpaceGuard(out)
    # HDF5 repeating a failed write as h5py lets go of its objects: Cython prints it
    # through both hooks
    unraisable, excepthook = sys.unraisablehook, sys.excepthook

    def quiet_unraisable(u):
        if not is_disk_full(u.exc_value):
            unraisable(u)

    def quiet_excepthook(kind, value, tb):
        if not is_disk_full(value):
            excepthook(kind, value, tb)
    sys.unraisablehook, sys.excepthook = quiet_unraisable, quiet_excepthook
    return _active


def end_process(code):
    """End the process with code at once if a write of its run failed on a full disk:
    HDF5's clean-up at exit may crash on what the failed write left in its caches (a
    segmentation fault after everything was recorded).  Otherwise return."""
    if _active is None or not _active.broken:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    from ..engine.runtime import launched_under_mpi
    if launched_under_mpi():
        from mpi4py import MPI
        MPI.COMM_WORLD.Barrier()
        MPI.Finalize()
    os._exit(code)


def active():
    """The guard of the run under way in this process, or None."""
    return _active


def stopped():
    """True if a run is under way and its writes have stopped for a full disk."""
    return _active is not None and _active.message is not None


def guarded(method):
    """Decorator of a writer's method: during a run, skipped once the disk is (nearly)
    full, and a full disk during the write stops the run's writes instead of raising."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if _active is None:
            return method(*args, **kwargs)
        _active.attempt(method, *args, **kwargs)
    return wrapper
