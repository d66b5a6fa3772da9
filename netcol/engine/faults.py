"""Fault injection for the reliability tests.

``NETCOL_FAULT="ACTION@T"`` or ``"ACTION@T@RANK"`` makes the run loop act once the
simulation has reached T simulated seconds, at the end of a block (outside any
scheduled event), on rank RANK (default 0):

- ``sigterm``: the process sends itself SIGTERM (as a cluster's time limit would);
- ``sigkill``: the process sends itself SIGKILL (as a crash or the OOM killer would);
- ``raise``: an exception (as a failing write would).

Nothing happens when the variable is unset; a malformed value is an error at start.
"""
import os
import signal

from ..config.schema import ParamError

ACTIONS = ("sigterm", "sigkill", "raise")


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


def inject(fault, t_ms):
    """Carry out a planned fault once t_ms has reached its time; return the fault still
    pending (None once it has happened)."""
    if fault is None or t_ms < fault[1]:
        return fault
    action = fault[0]
    if action == "raise":
        raise InjectedFault(f"injected fault at t = {t_ms / 1000:g} s")
    os.kill(os.getpid(), signal.SIGTERM if action == "sigterm" else signal.SIGKILL)
    return None
