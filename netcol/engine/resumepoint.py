"""Whether a checkpoint's time is one a run can continue from, checked before a resume
starts anything: NEURON aborts at a negative time, and a time past the end (or NaN)
would mark the run complete at once.
"""
import math
import numbers
from pathlib import Path

import numpy as np

from ..cells import protocol_step
from ..config.budget import off_grid
from ..io.rundir import RunFolderError

#: Spike rows read on each side of the checkpoint's count (the spikes of the last blocks
#: before it and of the first after it are enough to place it in time).
ROWS_CHECKED = 100_000
#: Rounding allowed between a spike's time and the checkpoint's (ms).
TOLERANCE_MS = 1e-6


def check_resume_time(ck, experiment, run_dir, checkpoint_file):
    """Refuse a checkpoint whose time a run cannot continue from.

    The time must be a finite number of ms in [0, duration], a whole number of the
    model's steps, and agree with spikes.h5: the spikes the checkpoint counted as written
    come no later than it, those written after it (by the part of the run that went on)
    no earlier.

    Parameters
    ----------
    ck : dict
        The checkpoint as read (netcol.engine.checkpoint.read).
    experiment : netcol.config.experiment.Experiment
        The run's experiment, already checked.
    run_dir : pathlib.Path
        The run folder (its spikes.h5 is read).
    checkpoint_file : pathlib.Path
        The checkpoint's path, named in the error.

    Raises
    ------
    RunFolderError
        One line naming the checkpoint file, its time and what is allowed.
    """
    t, written = ck["t"], ck["spikes_written"]
    duration_ms = experiment.params["duration"] * 1000.0
    step = protocol_step(experiment.package.BINDING)
    where = f"{checkpoint_file}: the checkpoint's time t = {t!r} ms"
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t):
        raise RunFolderError(f"{where} is not a finite number; the file was altered, cannot resume")
    if not 0.0 <= t <= duration_ms:
        raise RunFolderError(f"{where} lies outside the run, 0 to {duration_ms:g} ms; cannot resume")
    if off_grid(t / 1000.0, step):
        raise RunFolderError(f"{where} is not a whole number of the model's {step:g}-ms steps; cannot resume")
    if isinstance(written, bool) or not isinstance(written, numbers.Integral) or written < 0:
        raise RunFolderError(f"{checkpoint_file}: spikes_written = {written!r} is not a count; cannot resume")
    before, after = _spike_times_around(Path(run_dir) / "spikes.h5", int(written))
    if len(before) and before.max() > t + TOLERANCE_MS:
        raise RunFolderError(f"{where} is earlier than the {written} spikes it counted as written (the last at "
                             f"{before.max():g} ms, spikes.h5); cannot resume")
    if len(after) and after.min() < t - TOLERANCE_MS:
        raise RunFolderError(f"{where} is later than spikes.h5's spikes written after it (from "
                             f"{after.min():g} ms); cannot resume")


def _spike_times_around(path, count):
    """Times of up to ROWS_CHECKED spikes before row count of spikes.h5 and after it."""
    import h5py
    from ..io.record import population_of
    with h5py.File(path, "r", swmr=True) as f:
        times = f[f"spikes/{population_of(f, 'spikes')}/timestamps"]
        return (np.asarray(times[max(0, count - ROWS_CHECKED):count]),
                np.asarray(times[count:count + ROWS_CHECKED]))
