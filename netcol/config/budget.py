"""What a run would ask of the machine, checked before anything is built.

- every protocol time is a whole number of the model's steps (a time inside a step
  would cut it in two, and a run stopped there and resumed would differ);
- the timeline holds a bounded number of events (each is a Python object and a NEURON
  event);
- the network fits in this machine's memory, with an estimate of memory and time in
  the message when it does not.

Each model states which of its parameters are times, its timeline's periodic series and
its cost (peak memory per rank, set-up time, and wall time per simulated second, measured
on its own runs and bench).
"""
import math
import os
import sys

from .schema import ParamError

#: Most timeline events a run may schedule.
MAX_EVENTS = 1_000_000
#: Most ranks per core that --np starts on this machine (see :func:`check_ranks`).
RANKS_PER_CORE = 2
#: What a model's cost() gives (see :func:`check_budget`).
COST_KEYS = ("memory_mb", "setup_s", "wall_per_sim_s", "memory_note")


def off_grid(seconds, step_ms):
    """True if a time in seconds is not a whole number of steps of step_ms (within the few
    units in the last place that converting a decimal time to steps can cost, never a
    sizeable part of a step, however long the run)."""
    steps = seconds * 1000.0 / step_ms
    return abs(steps - round(steps)) > max(1e-9, 8 * sys.float_info.epsilon * abs(steps))


def check_grid(params, time_keys, step_ms, checkpoint_every, source):
    """Reject protocol times (seconds) that are not whole steps of the model.

    Parameters
    ----------
    params : dict
    time_keys : iterable of str
        The parameters that are times in seconds.
    step_ms : float
        The grid of the model's protocol times (netcol.cells.protocol_step).
    checkpoint_every : float or None
    source : str
    """
    times = {k: params[k] for k in time_keys if k in params}
    if checkpoint_every is not None:
        times["--checkpoint-every"] = checkpoint_every
    for key, value in times.items():
        if off_grid(value, step_ms):
            steps = value * 1000.0 / step_ms
            near = sorted({max(1, math.floor(steps)), math.ceil(steps)})
            # 12 digits: the nearest allowed values must be written exactly, not to 6 digits
            allowed = " or ".join(f"{round(n * step_ms / 1000.0, 12):.12g}" for n in near)
            raise ParamError(f"{source}: {key} = {value!r} s is not a multiple of the integration step "
                             f"({step_ms:g} ms); nearest allowed: {allowed} s")


def _count(start, step, end):
    return 0 if start > end else math.floor((end - start) / step + 1e-9) + 1


def event_count(series, duration, checkpoint_every=None):
    """Number of timeline events of a run.

    Parameters
    ----------
    series : list of (str, float, float)
        The timeline's periodic series as (what, first time, period) in seconds.
    duration : float
    checkpoint_every : float or None
    """
    n = sum(_count(start, step, duration) for _, start, step in series)
    if checkpoint_every:
        n += _count(checkpoint_every, checkpoint_every, duration)
    return n + 10   # single events (phase changes) are few


def machine_memory_mb():
    """Physical memory of this machine (MB)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def wall_seconds(cost, duration, ranks=1):
    """Estimated wall time of a run: its set-up and its simulation on ranks ranks.

    Parameters
    ----------
    cost : dict
        The model's estimate (see :func:`check_budget`).
    duration : float
        Simulated seconds.
    ranks : int

    Returns
    -------
    float
        Seconds.
    """
    return cost["setup_s"] + cost["wall_per_sim_s"] * duration / ranks


def describe_cost(cost, duration, ranks=1):
    """The estimate in words: wall time (of which set-up) and memory per rank."""
    return (f"about {human_time(wall_seconds(cost, duration, ranks))} of wall time on {ranks} rank(s) (set-up "
            f"{human_time(cost['setup_s'])}) and {cost['memory_mb']:.0f} MB per rank ({cost['memory_note']})")


def usable_cores():
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0))


def check_ranks(ranks, cores=None):
    """Refuse more ranks than --np can use: it starts them all on this machine, where more
    than two per core only slow each other down (and a thousand would exhaust it).

    Parameters
    ----------
    ranks : int
        The --np value.
    cores : int, optional
        This machine's usable cores (default: :func:`usable_cores`).
    """
    cores = cores or usable_cores()
    if ranks > RANKS_PER_CORE * cores:
        raise ParamError(f"--np {ranks}: this machine has {cores} core(s); --np starts every rank here, at most "
                         f"{RANKS_PER_CORE * cores} ({RANKS_PER_CORE} per core); for more, start netcol under "
                         "mpiexec or srun across machines")


def human_time(seconds):
    """A duration in words: seconds, minutes, hours, days or years."""
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def check_budget(params, series, checkpoint_every, cost, source, memory_mb=None):
    """Reject runs with too many events or a network larger than this machine's memory.

    Parameters
    ----------
    params : dict
        Checked experiment parameters.
    series : list of (str, float, float)
        The timeline's periodic series (see :func:`event_count`).
    checkpoint_every : float or None
        Seconds between checkpoints.
    cost : dict
        The model's estimate: peak ``memory_mb`` per rank, ``setup_s`` (seconds to build
        the network), ``wall_per_sim_s`` on one core, and ``memory_note`` saying what
        memory was estimated for.
    source : str
        Where the parameters came from (for the message).
    memory_mb : float, optional
        The machine's memory (default: this machine's).
    """
    missing = sorted(set(COST_KEYS) - set(cost))
    if missing:   # a model written for an older netcol
        raise ParamError(f"{source}: the model's cost() gives no {', '.join(missing)}; it must give "
                         f"{', '.join(COST_KEYS)} (see netcol.config.budget.check_budget)")
    d = params["duration"]
    wall = human_time(wall_seconds(cost, d))
    n = event_count(series, d, checkpoint_every)
    if n > MAX_EVENTS:
        what = ", ".join(f"{name} every {step:g} s" for name, _, step in series)
        raise ParamError(f"{source}: duration = {d:g} s would schedule {n:.3g} protocol events ({what}"
                         f"{', checkpoints' if checkpoint_every else ''}), more than {MAX_EVENTS:,}; lengthen the "
                         f"intervals or shorten the run (it would take about {wall} on one core)")
    have = memory_mb or machine_memory_mb()
    if cost["memory_mb"] > have:
        raise ParamError(f"{source}: {cost['memory_note']} needs about {cost['memory_mb'] / 1024:.3g} GB of memory "
                         f"per rank and this machine has {have / 1024:.3g} GB; {d:g} s would take about {wall} "
                         "on one core, set-up included")
