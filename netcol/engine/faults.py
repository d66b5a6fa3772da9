"""Fault injection for the reliability tests.

``NETCOL_FAULT="ACTION@T"`` or ``"ACTION@T@RANK"`` makes the run loop act once the
simulation has reached T simulated seconds, at the end of a block (outside any
scheduled event), on rank RANK (default 0):

- ``sigterm``: the process sends itself SIGTERM (as a cluster's time limit would);
- ``sigkill``: the process sends itself SIGKILL (as a crash or the OOM killer would);
- ``raise``: an exception (as a failing write would);
- ``fill``: the file system of the run folder is filled to its last byte (as another
  user's job would), by a file ``netcol-fault-fill`` beside the run folder, right after
  the check of the free space at the end of that block, so that the next block's writes
  meet a full disk; refused on a file system with more than :data:`FILL_AT_MOST` free
  (a test's small tmpfs, never a real disk).

Nothing happens when the variable is unset; a malformed value is an error at start.
"""
import os
import signal
from pathlib import Path

from ..config.schema import ParamError

ACTIONS = ("sigterm", "sigkill", "raise", "fill")
#: The most free space the fill action fills (bytes).
FILL_AT_MOST = 256 * 2**20
#: The file the fill action writes, beside the run folder.
FILL_FILE = "netcol-fault-fill"


class InjectedFault(RuntimeError):
    """The exception of the ``raise`` action."""


def planned_fault(rank):
    """(action, t in ms) planned for this rank by NETCOL_FAULT, or None."""
    spec = os.environ.get("NETCOL_FAULT", "")
    if not spec:
        return None
    parts = spec.split("@")
    try:
        action, t_s = parts[0], float(parts[1])
        on_rank = int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError):
        raise ParamError(f"NETCOL_FAULT={spec!r}: expected ACTION@SECONDS[@RANK]") from None
    if action not in ACTIONS or len(parts) > 3:
        raise ParamError(f"NETCOL_FAULT={spec!r}: ACTION must be one of {', '.join(ACTIONS)}")
    return (action, t_s * 1000.0) if on_rank == rank else None


def fill(folder):
    """Fill the file system of folder to its last byte (see the fill action)."""
    path = Path(folder).resolve().parent / FILL_FILE
    st = os.statvfs(path.parent)
    if st.f_bavail * st.f_frsize > FILL_AT_MOST:
        raise InjectedFault(f"NETCOL_FAULT=fill: {path.parent} has more than {FILL_AT_MOST >> 20} MB free; "
                            f"only a small test file system is filled")
    with open(path, "ab", buffering=0) as f:
        for size in (65536, 512, 1):   # the last bytes in smaller pieces
            try:
                while f.write(b"\0" * size):
                    pass
            except OSError:
                pass


def inject(fault, t_ms, out_dir=None, after_check=False):
    """Carry out a planned fault once t_ms has reached its time; return the fault still
    pending (None once it has happened).  The run loop calls it at the end of each block
    before its check for a stop (after_check False: sigterm, sigkill, raise) and after it
    (after_check True: fill)."""
    if fault is None or t_ms < fault[1] or after_check != (fault[0] == "fill"):
        return fault
    action = fault[0]
    if action == "fill":
        fill(out_dir)
        return None
    if action == "raise":
        raise InjectedFault(f"injected fault at t = {t_ms / 1000:g} s")
    os.kill(os.getpid(), signal.SIGTERM if action == "sigterm" else signal.SIGKILL)
    return None
