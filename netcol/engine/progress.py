"""Progress of a run on rank 0: a tqdm bar on a terminal, periodic log lines otherwise.

tqdm is used because it already handles terminal width, rate smoothing and ETA."""
import math
import os
import sys
import time

#: Environment variable: seconds of wall time between log lines when not on a terminal
#: (default 30); :func:`netcol.run` sets it to relay a run's progress.
EVERY_VARIABLE = "NETCOL_PROGRESS_EVERY"


def _log_every(default=30.0):
    """Seconds between log lines: NETCOL_PROGRESS_EVERY if it is a number >= 0, else default."""
    try:
        value = float(os.environ.get(EVERY_VARIABLE, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


class Progress:
    """Report simulated time, speed, ETA and the current E and I rates.

    A log line's speed is the one since the previous line, and its ETA assumes that speed
    for the rest of the run; the bar's are tqdm's smoothed ones.

    Parameters
    ----------
    tstop : float
        End of the run (ms).
    t_start : float
        Where the run starts (ms; later than 0 after a resume).
    enabled : bool
        False: report nothing (other ranks, --quiet).
    log_every : float, optional
        Seconds of wall time between log lines when not on a terminal (default
        NETCOL_PROGRESS_EVERY, else 30).
    """

    def __init__(self, tstop, t_start=0.0, enabled=True, log_every=None, stream=None):
        self.tstop = tstop
        self.t_start = t_start
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.t0 = time.time()
        self.last_log = self.t0
        self.last_t = t_start
        self.log_every = _log_every() if log_every is None else log_every
        self.bar = None
        if enabled and self.stream.isatty():
            import shutil
            from tqdm import tqdm
            # some terminals (e.g. a fresh pty) report 0 columns, which would draw nothing
            width = shutil.get_terminal_size((100, 20)).columns or 100
            self.bar = tqdm(total=round(tstop / 1000, 3), initial=round(t_start / 1000, 3), unit="sim-s",
                            file=self.stream, ncols=width,
                            bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}, {rate_fmt}] {postfix}")

    def update(self, t, e_rate, i_rate):
        """Report that the run reached t (ms); e_rate, i_rate: mean E and I rates (Hz)
        over the last block."""
        if not self.enabled:
            return
        rates = f"E {e_rate:.2f} Hz, I {i_rate:.2f} Hz"
        if self.bar is not None:
            self.bar.n = round(t / 1000.0, 3)
            self.bar.set_postfix_str(rates, refresh=True)
            return
        now = time.time()
        if now - self.last_log >= self.log_every or t >= self.tstop:
            # the ETA follows the speed since the last line: a column whose activity jumps
            # (a runaway under STDP) slows tenfold, which a run's mean speed would hide
            speed = ((t - self.last_t) / 1000.0) / max(now - self.last_log, 1e-9)
            eta = (self.tstop - t) / 1000.0 / max(speed, 1e-9)
            print(f"netcol: t = {t / 1000:.1f}/{self.tstop / 1000:g} s  {speed:.3g} sim-s/wall-s  "
                  f"ETA {eta:.0f} s  {rates}", file=self.stream, flush=True)
            self.last_log, self.last_t = now, t

    def close(self):
        """Finish the bar."""
        if self.bar is not None:
            self.bar.close()
