"""What a run would ask of the machine, checked before anything is built.

- every protocol time lies on the integration step's grid (an off-grid end time would
  never be reached);
- the timeline holds a bounded number of events (each is a Python object and a NEURON
  event);
- the network fits in this machine's memory, with an estimate of memory and time in
  the message when it does not.

The memory and speed figures are the column's, measured by ``bench/baseline_speed.py``
(one rank, scale 1 to 8).
"""
import math
import os

from .cell import DT
from .schema import ParamError

#: Protocol times (s) that must be multiples of the integration step.
GRID_PARAMS = ("duration", "block", "learn_start", "learn_end", "scaling_start", "segment_length", "trial_length",
               "recording_interval", "recording_start")
#: Most timeline events a run may schedule.
MAX_EVENTS = 1_000_000
#: Peak memory per rank (MB) = BASE_MB + MB_PER_SCALE * scale (bench/baseline_speed.py).
BASE_MB, MB_PER_SCALE = 65.0, 10.0
#: Wall seconds per simulated second on one core, per unit of scale (the same bench).
WALL_PER_SIM_S_PER_SCALE = 0.09


def off_grid(seconds, dt_ms=DT):
    """True if a time in seconds is not a whole number of steps of dt_ms."""
    steps = seconds * 1000.0 / dt_ms
    return abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps))


def check_grid(params, checkpoint_every, source):
    """Reject protocol times that are not multiples of the integration step."""
    times = {k: params[k] for k in GRID_PARAMS if k in params}
    if checkpoint_every is not None:
        times["--checkpoint-every"] = checkpoint_every
    for key, value in times.items():
        if off_grid(value):
            steps = value * 1000.0 / DT
            near = sorted({max(1, math.floor(steps)), math.ceil(steps)})
            raise ParamError(f"{source}: {key} = {value!r} s is not a multiple of the integration step ({DT:g} ms); "
                             f"nearest allowed: {' or '.join(f'{n * DT / 1000.0:g}' for n in near)} s")


def _count(start, step, end):
    return 0 if start > end else math.floor((end - start) / step + 1e-9) + 1


def event_count(params, checkpoint_every=None):
    """Number of timeline events (records, deletion rounds, trials, checkpoints) of a run."""
    d = params["duration"]
    n = _count(params["recording_start"], params["recording_interval"], d) + 6
    if params.get("deletion"):
        n += _count(params["segment_length"], params["segment_length"], d)
    if params.get("trials"):
        n += _count(0.0, params["trial_length"], d)
    if checkpoint_every:
        n += _count(checkpoint_every, checkpoint_every, d)
    return n


def machine_memory_mb():
    """Physical memory of this machine (MB)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def _human_time(seconds):
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def check_budget(params, checkpoint_every, source, memory_mb=None):
    """Reject runs with too many events or a network larger than this machine's memory.

    Parameters
    ----------
    params : dict
        Checked experiment parameters.
    checkpoint_every : float or None
        Seconds between checkpoints.
    source : str
        Where the parameters came from (for the message).
    memory_mb : float, optional
        The machine's memory (default: this machine's).
    """
    scale, d = params["scale"], params["duration"]
    wall = _human_time(WALL_PER_SIM_S_PER_SCALE * max(scale, 1.0) * d)
    n = event_count(params, checkpoint_every)
    if n > MAX_EVENTS:
        raise ParamError(f"{source}: duration = {d:g} s would schedule {n:.3g} protocol events (records every "
                         f"{params['recording_interval']:g} s, rounds, trials, checkpoints), more than {MAX_EVENTS:,}; "
                         f"lengthen the intervals or shorten the run (it would take about {wall} on one core)")
    need = BASE_MB + MB_PER_SCALE * scale
    have = memory_mb or machine_memory_mb()
    if need > have:
        raise ParamError(f"{source}: scale = {scale:g} needs about {need / 1024:.3g} GB of memory per rank "
                         f"({BASE_MB:g} MB + {MB_PER_SCALE:g} MB per unit of scale) and this machine has "
                         f"{have / 1024:.3g} GB; {d:g} s would take about {wall} on one core")
