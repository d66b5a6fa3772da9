"""Running an experiment from Python: :func:`run`.

Each run executes in its own process, the ``netcol run`` command line (``python -m
netcol.cli run ...``, under the project's mpiexec with ``np`` > 1): NEURON keeps one
network per process, so one Python session can run as many experiments as it likes, one
after the other.  Everything that can be checked before the run starts (the experiment,
every setting, the output folder) is checked here first and raises the command line's
own error (:class:`netcol.config.schema.ParamError` naming the key,
:class:`netcol.io.rundir.OutputError`); an error during the run raises :class:`RunError`
with the command line's one-line message.
"""
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from ..config.schema import ParamError, parse_scalar

#: A progress line of the run (see :class:`netcol.engine.progress.Progress`).
_PROGRESS_LINE = re.compile(r"^netcol: t = (?P<t>[0-9.]+)/\S+ s\s+(?P<rest>.*)$")
_RATES = re.compile(r"E \S+ Hz, I \S+ Hz")
#: What NEURON prints when it starts under MPI.
_NEURON_BANNER = re.compile(r"^numprocs=\d+$")
#: Seconds of wall time between the run's progress lines: often for a bar, rarely for
#: printed lines.
_EVERY_BAR, _EVERY_LINES = 0.5, 10.0


class RunError(RuntimeError):
    """A run failed or stopped before its end.

    The message is the command line's one-line error (``netcol: error: ...`` without the
    prefix).  The run folder holds what the run wrote until then (``netcol.load(err.folder)``
    opens an interrupted run).

    Attributes
    ----------
    folder : pathlib.Path
        The run folder.
    returncode : int
        Exit status of the run's process (130: interrupted; negative: killed by that signal).
    kind : str or None
        The error's class in netcol (e.g. ``"DiskFullError"``), when the command line's hint
        tells it.
    hint : str or None
        The command line's hint.
    output : str
        The last lines the run printed.
    """

    def __init__(self, message, folder, returncode, hint=None, output=""):
        super().__init__(message)
        self.folder, self.returncode, self.hint, self.output = folder, returncode, hint, output
        from ..cli import HINTS
        self.kind = next((name for name, text in HINTS.items() if text == hint), None) if hint else None


def run(experiment, out=None, *, np=1, settings=None, overwrite=False, checkpoint_every=None, figure=False,
        progress=True, **params):
    """Run an experiment in its own process and return its :class:`~netcol.api.result.Result`.

    Parameters
    ----------
    experiment : str or pathlib.Path
        An experiment's name (``netcol list`` shows them) or the path of a .toml file.
    out : str or pathlib.Path, optional
        The run folder, created if missing (its parents too); default ``runs/<experiment>``
        in the current directory.  It must be empty unless ``overwrite``.
    np : int
        MPI ranks (the project's mpiexec starts them).
    settings : dict, optional
        Overrides as ``netcol run --set`` takes them, by key: run parameters
        (``{"duration": 2}``) and the network's entries by dotted path
        (``{"column.mechanism.beta": 4e-5}``, or ``network.<path>``).  ``record`` takes
        the traces to record as a list of dicts, each a ``[[record]]`` table of an
        experiment file (or one dict, or the TOML text ``--set record=`` takes); they
        replace the experiment's tables.
    overwrite : bool
        Allow a non-empty ``out``; the files of an earlier run in it are removed.
    checkpoint_every : float, optional
        Seconds of simulated time between checkpoints (``netcol resume DIR`` continues from
        the last).
    figure : bool
        Also draw ``raster.png`` into the folder at the end (as ``netcol run`` does).
    progress : bool
        Show the run's progress: a bar in a notebook or on a terminal, else a line now and
        then.  False: nothing, not even the run's warnings.
    **params
        Run parameters as keywords, e.g. ``duration=2, seed=3`` or
        ``record=[{"name": "v", "variables": "V", "gids": [0, 1]}]`` (the same as
        ``settings``; dotted keys only through ``settings``).

    Returns
    -------
    netcol.api.result.Result

    Raises
    ------
    netcol.config.schema.ParamError
        An unknown experiment, an unknown or invalid setting (naming the key), a bad
        ``record`` table (naming the table and the key, as in a file), before the run
        starts.
    netcol.io.rundir.OutputError
        ``out`` is not empty (without ``overwrite``), not writable, or in use by a run.
    RunError
        The run failed or was stopped (the command line's one-line message).
    KeyboardInterrupt
        Interrupted from here (Ctrl-C, a notebook's stop button): the run stops at the end
        of its current block with every file closed and readable; a second interrupt kills it.

    Examples
    --------
    >>> import netcol
    >>> r = netcol.run("baseline", out="runs/b", duration=2, settings={"column.mechanism.beta": 4e-5})
    >>> r.status
    'complete'
    >>> r = netcol.run("vogels2011_small", out="runs/v", duration=0.5, record=[
    ...     {"name": "v", "variables": "v", "gids": [0, 1, 2], "interval": 0.001}])
    >>> r.reports()["v"].data.shape
    (500, 3)
    """
    from ..config.experiment import load_experiment
    from ..io.rundir import check_unlocked, prepare_output_dir
    if isinstance(np, bool) or not isinstance(np, int) or np < 1:
        raise ParamError(f"np = {np!r}: the number of ranks must be an integer >= 1")
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool)
                                         or not isinstance(checkpoint_every, (int, float))
                                         or not (math.isfinite(checkpoint_every) and checkpoint_every > 0)):
        raise ParamError(f"checkpoint_every = {checkpoint_every!r}: must be a finite number of seconds > 0")
    texts = _set_texts(settings, params)
    name = _experiment_arg(experiment)
    # the same checks as the command line's, before anything starts (no NEURON here)
    exp = load_experiment(name, {k: parse_scalar(v) for k, v in texts.items()}, checkpoint_every=checkpoint_every)
    folder = _out_path(out, exp.name)
    check_unlocked(folder)
    prepare_output_dir(folder, overwrite)
    command = [sys.executable, "-m", "netcol.cli", "run", name, "--out", str(folder)]
    for key, text in texts.items():
        command += ["--set", f"{key}={text}"]
    if np > 1:
        command += ["--np", str(np)]
    if checkpoint_every is not None:
        command += ["--checkpoint-every", repr(float(checkpoint_every))]
    command += ["--overwrite"] * bool(overwrite) + ["--no-figure"] * (not figure) + ["--quiet"] * (not progress)
    _execute(command, folder, exp.params["duration"], progress, label=exp.name)
    from .result import Result
    return Result(folder)


def _experiment_arg(experiment):
    """The experiment as the command line takes it: a name, or a .toml file's absolute path."""
    if not isinstance(experiment, (str, os.PathLike)):
        raise ParamError(f"experiment = {experiment!r}: expected an experiment's name or a .toml path")
    path = Path(experiment)
    if path.suffix == ".toml" and path.exists():
        return str(path.resolve())
    return os.fspath(experiment)


def _out_path(out, experiment_name):
    """The run folder as an absolute path (default runs/<experiment>)."""
    if out is None:
        return Path("runs", experiment_name).absolute()
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out).strip():
        raise ParamError(f"out = {out!r}: the run folder must be a path (a str or pathlib.Path)")
    return Path(out).expanduser().absolute()


def _set_texts(settings, params):
    """{key: KEY=VALUE text} of every setting, each value written so that ``--set`` reads
    it back as the same value (ParamError naming the key otherwise)."""
    if settings is not None and not isinstance(settings, dict):
        raise ParamError(f"settings = {settings!r}: expected a dict of key: value")
    out = {}
    for source in (settings or {}, params):
        for key, value in source.items():
            if not isinstance(key, str) or not key.strip() or "=" in key:
                raise ParamError(f"settings: key {key!r} is not a parameter name")
            if key in out:
                raise ParamError(f"settings: '{key}' given twice (as a keyword and in settings)")
            out[key] = _value_text(key, value)
    return out


def _value_text(key, value):
    if key == "record" and not isinstance(value, str):   # tables, not a scalar: they travel as TOML text
        return _record_text(value)
    if hasattr(value, "dtype") and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()   # a NumPy scalar
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ParamError(f"settings: parameter '{key}' = {value!r}: expected a bool, int, float or str")
    back = parse_scalar(text)
    if type(back) is not type(value) or (back != value and not (isinstance(value, float) and math.isnan(value))):
        raise ParamError(f"settings: parameter '{key}' = {value!r}: the command line would read it as {back!r}")
    return text


def _record_text(value):
    """``--set record=`` text of [[record]] tables given in Python (a list of dicts, the
    shape of ``[[record]]`` in a file; or one dict), checked first as a file's tables are.

    Parameters
    ----------
    value : list of dict, tuple of dict or dict
        NumPy arrays and scalars in them (``gids=np.arange(5)``) count as lists and numbers.

    Returns
    -------
    str
        A TOML inline array that the run's process reads back as the same tables.

    Raises
    ------
    ParamError
        The tables' form is wrong: the message a file's tables get (naming the table, the
        key and what is allowed), with ``--set`` as its source.
    """
    from ..config.records import inline_toml, parse_tables
    value = _plain(value)
    # the form is checked on the Python value itself, so that a value TOML cannot write
    # (None in a list, a nested table) gets the file's message, not a TOML one; the model's
    # checks (variables, cell types, the step grid) follow in load_experiment, on the text
    tables = parse_tables(value, "--set")
    text = inline_toml(value)
    if parse_tables(text, "--set") != tables:   # the run's process must read the same tables
        raise ParamError(f"settings: parameter 'record' = {value!r}: the command line would read it as {text!r}")
    return text


def _plain(value):
    """value with NumPy arrays and scalars as Python lists and numbers (nested)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "dtype") and hasattr(value, "tolist"):
        return value.tolist()
    return value


def _in_notebook():
    """True inside a Jupyter kernel."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _Relay:
    """Shows the run's progress: a tqdm bar (widgets in a notebook that has them, text on
    a terminal or in a notebook without them), else the run's own progress lines."""

    def __init__(self, enabled, total, label):
        self.enabled, self.bar = enabled, None
        if not enabled:
            return
        notebook = _in_notebook()
        if notebook or sys.stderr.isatty():
            bar, stream = _bar_class(notebook), (sys.stdout if notebook else sys.stderr)
            self.bar = bar(total=round(float(total), 3), unit="sim-s", desc=label, file=stream,
                           bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}{postfix}]")

    @property
    def every(self):
        """Seconds between the run's progress lines."""
        return _EVERY_BAR if self.bar is not None else _EVERY_LINES

    def progress(self, line, match):
        if not self.enabled:
            return
        if self.bar is None:
            print(line, flush=True)
            return
        self.bar.n = float(match["t"])
        rates = _RATES.search(match["rest"])
        self.bar.set_postfix_str(rates.group(0) if rates else "", refresh=True)

    def other(self, line):
        """A line that is neither progress nor the run's closing summary (a warning)."""
        if self.enabled and not _NEURON_BANNER.match(line):
            print(line, file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _bar_class(notebook):
    """tqdm's widget bar in a notebook with ipywidgets, else its text bar."""
    if notebook:
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm
            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm
    return tqdm


#: Lines of the run's output that the relay keeps to itself: its closing summary (an
#: interrupted run's is the RunError's message).
_SUMMARY = ("netcol: complete:", "netcol: interrupted", "netcol: failed:", "  output:", "  figure:")


def _execute(command, folder, duration_s, progress, label):
    """Run the command, relaying its progress; raise RunError if it does not complete."""
    netcol_root = str(Path(__file__).resolve().parents[2])   # the child imports this same netcol
    env = dict(os.environ, PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [netcol_root, os.environ.get("PYTHONPATH")])))
    relay = _Relay(progress, duration_s, label)
    from ..engine.progress import EVERY_VARIABLE
    env[EVERY_VARIABLE] = str(relay.every)
    error = hint = None
    tail = []
    interrupted = False
    # a session of its own: a terminal's Ctrl-C reaches this process only, which passes it on
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                            env=env, start_new_session=True)
    try:
        while True:
            try:
                for raw in proc.stdout:
                    line = raw.rstrip("\n")
                    tail = (tail + [line])[-40:]
                    match = _PROGRESS_LINE.match(line)
                    if match:
                        relay.progress(line, match)
                    elif line.startswith("netcol: error"):
                        error = line.partition(": ")[2].partition(": ")[2]
                    elif line.startswith("  hint: "):
                        hint = line[len("  hint: "):]
                    elif not line.startswith(_SUMMARY):
                        relay.other(line)
                break
            except KeyboardInterrupt:
                if interrupted:   # the second interrupt: stop at once
                    _signal_group(proc, signal.SIGKILL)
                    raise
                interrupted = True   # the run stops at the end of its block, every file closed
                _signal_group(proc, signal.SIGINT)
        proc.wait()
    finally:
        relay.close()
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    if interrupted:
        raise KeyboardInterrupt(f"the run in {folder} was interrupted; its files are readable (netcol.load)")
    if proc.returncode == 0:
        return
    if error is None:
        last = next((t for t in reversed(tail) if t.strip()), "")
        how = (f"was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"ended with exit status {proc.returncode}")
        error = f"the run in {folder} {how}" + (f": {last.strip()}" if last else "")
        if proc.returncode == 130:
            error = next((t.partition(": ")[2] for t in tail if t.startswith("netcol: interrupted")),
                         f"the run in {folder} was interrupted")
    raise RunError(error, folder, proc.returncode, hint, "\n".join(tail))


def _signal_group(proc, signum):
    """Send a signal to the run's process group (every rank under mpiexec)."""
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
