"""The ``netcol`` command line.

Errors are one line plus a hint, with a non-zero exit code; ``--debug`` shows the
traceback.  ``netcol run --np N`` relaunches itself under the project's mpiexec; the
same command also works when a user or a cluster script starts it under mpiexec/srun.
"""
import argparse
import errno
import math
import os
import shutil
import sys
from pathlib import Path

from . import __version__
from .config.schema import ParamError

class DisplayError(RuntimeError):
    """The GUI was asked for without a display."""


class NothingYet(RuntimeError):
    """A summary was asked for before any run has results."""


#: Words of a ParamError about a file or a model package, which the parameter hint would not help.
NO_PARAMETER_HINT = ("file not found", "cannot be imported", " lacks ", "registered twice", "exists twice")
#: The run folder and its lock while a run or resume is under way (for the error path).
_ACTIVE = {}
HINTS = {
    "ParamError": "netcol list --params shows every parameter, its unit and range",
    "OutputError": "pick a new --out directory or add --overwrite",
    "MemoryError": "the run needed more memory than it could get: netcol run --check shows the estimate per rank; "
                   "make the network smaller or spread it over more ranks on more machines",
    "ForeignFilesError": "move those files elsewhere (or pass --overwrite-all to delete every file in the folder)",
    "DiskFullError": "free space on that file system (or pick another --out), then netcol resume from the "
                     "last checkpoint",
    "InjectedFault": "NETCOL_FAULT is set in the environment (fault injection for tests)",
    "RunFolderGone": "nothing of the run is left to resume: run it again",
    "MechanismBuildError": "fix the NMODL error above; netcol rebuilds mod/ on the next run",
    "NothingToPlot": "choose another --what",
    "DisplayError": "start a virtual display first: Xvfb :99 & export DISPLAY=:99",
    "NothingYet": "run the sweep first: netcol sweep SPEC --local, or submit its job-array script",
    "RunFolderError": "netcol info DIR shows what a run folder holds; netcol repair DIR fixes files of a killed run",
    "NewModelError": "pick another NAME or --dir (netcol list shows the models and experiments netcol knows)",
}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults shown in --help, except where a help text states its own."""

    def _get_help_string(self, action):
        return action.help if "(default" in (action.help or "") else super()._get_help_string(action)


def _command(sub, name, help, description):
    """A sub-command with defaults shown in --help and a hidden --debug."""
    cmd = sub.add_parser(name, help=help, description=description, formatter_class=_HelpFormatter)
    # SUPPRESS as default: a sub-command's absent --debug must not hide `netcol --debug CMD`
    cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return cmd


def _dir_command(sub, name, help, description):
    """A sub-command that works on a run folder DIR."""
    cmd = _command(sub, name, help, description)
    cmd.add_argument("run_dir", metavar="DIR", help="a run folder")
    return cmd


def _parser():
    p = argparse.ArgumentParser(prog="netcol", description="Build and run plastic spiking network models on "
                                "NEURON, in parallel over MPI (`netcol list` shows the models and experiments).",
                                formatter_class=_HelpFormatter)
    p.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    p.add_argument("--version", action="version", version=f"netcol {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = _command(sub, "run", "run an experiment",
                   "Run EXPERIMENT (a name that `netcol list` shows, or a .toml path) and write "
                         "spikes.h5 (SONATA), nodes.h5, run.json and raster.png into --out.")
    run.add_argument("experiment", help="experiment name (e.g. baseline) or path to a .toml file")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter (repeatable); network entries as network.<path> (the column's "
                     "also as column.<path>), e.g. --set duration=20 --set column.external.RS.AM2.rate=250")
    run.add_argument("--out", default=None, help="output directory (default: runs/<experiment>)")
    run.add_argument("--np", type=int, default=None, metavar="N",
                     help="run on N MPI ranks with the project's mpiexec (default: 1, or as launched)")
    run.add_argument("--overwrite", action="store_true",
                     help="reuse the output directory of an earlier run: remove the files runs recorded in its "
                     ".netcol-manifest.json; refused, naming them, if it holds other files")
    run.add_argument("--overwrite-all", action="store_true",
                     help="reuse any non-empty output directory: remove every file in it, also those no netcol run "
                     "wrote (sub-folders are kept)")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--checkpoint-every", type=float, default=None, metavar="T",
                     help="save a checkpoint every T simulated seconds (netcol resume continues from it)")
    run.add_argument("--no-figure", action="store_true", help="do not draw raster.png")
    run.add_argument("--check", action="store_true", help="check the experiment and every parameter, say what "
                     "would run (duration, events, estimated wall time and memory) and exit without running")
    res = _dir_command(sub, "resume", "continue a run from its last checkpoint",
                   "Continue the run in DIR from its last checkpoint, on any number of ranks, as often as "
                   "needed. Refused if the experiment file (when it still exists) or the netcol version differ "
                   "from the checkpoint's, if the checkpoint belongs to other files, or while a run holds DIR.")
    res.add_argument("--np", type=int, default=None, metavar="N",
                     help="run on N MPI ranks with the project's mpiexec (default: 1, or as launched; any number, "
                     "whatever the run had)")
    res.add_argument("--quiet", action="store_true", help="no progress output")
    res.add_argument("--no-figure", action="store_true", help="do not draw raster.png")
    info = _dir_command(sub, "info", "what ran, its parameters, progress and headline rates",
                   "Describe the run in DIR (also a running or interrupted one).")
    info.add_argument("--params", action="store_true", help="also list every effective parameter")
    views, figures = _views()
    plot = _dir_command(sub, "plot", "draw a view of a run, or one of the paper's figures",
                   "Draw --what of the run in DIR into DIR/<what>.png and .pdf, or --figure N of the "
                          "paper of DIR's model from the matching runs in DIR (sub-folders named after their "
                          "experiments) into DIR/figureN.png and .pdf.  Views: "
                          + "; ".join(f"{group}: {', '.join(names)}" for group, names in views.items()) + ".")
    group = plot.add_mutually_exclusive_group(required=True)
    group.add_argument("--what", metavar="VIEW", help="view of one run: a generic one (traces: the [[record]] "
                       "tables' reports) or one of the run's model (listed above)")
    group.add_argument("--figure", type=int, metavar="N", help="figure of the model's paper ("
                       + "; ".join(f"{m}: {', '.join(map(str, sorted(f)))}" for m, f in figures.items() if f) + ")")
    plot.add_argument("--window", nargs=2, type=float, metavar=("T0", "T1"),
                      help="with --what: only this time window, in seconds")
    plot.add_argument("--dpi", type=int, default=300, help="resolution of the PNG (the PDF is vector)")
    plot.add_argument("--out", help="with --what: write OUT.png and OUT.pdf instead of DIR/<what>.*")
    plot.add_argument("--model", default=None,
                      help="with --figure: whose paper (default: the model of the run in DIR, else rowan2013)")
    sw = _command(sub, "sweep", "run a parameter sweep locally or write cluster job-array scripts",
                   "Expand SPEC (a sweep's name: batch/<model>/SPEC.toml, or a .toml path) into runs, each in <out>/<parameters>. "
                        "Complete runs are skipped, interrupted ones resumed, failed ones recorded and retried "
                        "only with --retry-failed; a failing run never stops the others.")
    sw.add_argument("spec", help="sweep specification: the name of a file in batch/<model>/ (netcol list shows "
                    "them, e.g. onlytraining-plastinc) or a .toml path")
    how = sw.add_mutually_exclusive_group(required=True)
    how.add_argument("--local", action="store_true", help="run the runs on this machine")
    how.add_argument("--slurm", action="store_true", help="write a SLURM job-array script and print how to submit it")
    how.add_argument("--sge", action="store_true", help="write an SGE job-array script and print how to submit it")
    how.add_argument("--pbs", action="store_true",
                     help="write a PBS/Torque job-array script and print how to submit it")
    how.add_argument("--task", type=int, metavar="I", help="run task I only (what each array task does)")
    sw.add_argument("-j", "--jobs", type=int, default=1, help="with --local: runs at once")
    sw.add_argument("--out", default=None, help="folder of the sweep's runs (default: runs/sweeps/<spec name>)")
    sw.add_argument("--launcher", choices=("none", "srun", "mpirun"), default="none",
                    help="with --task: how to start the ranks")
    sw.add_argument("--retry-failed", action="store_true", help="run previously failed runs again")
    sw.add_argument("--dry-run", action="store_true",
                    help="print each run's status and the exact command it would run now (with --slurm, --sge or "
                         "--pbs: the job script and the core-hours it asks for), run nothing")
    for opt, helptext in (("partition", "SLURM partition or PBS queue (unused by SGE)"),
                          ("account", "SLURM account, SGE project or PBS account"),
                          ("modules", "environment modules to load in each task (space separated)"),
                          ("pe", "SGE parallel environment")):
        sw.add_argument(f"--{opt}", default=None,
                        help=f"with --slurm/--sge/--pbs: {helptext} (default: the spec's)")
    sw.add_argument("--throttle", type=int, default=None, metavar="N",
                    help="with --slurm/--sge/--pbs: at most N array tasks at once (default: the spec's)")
    ss = _command(sub, "sweep-summary", "collect a sweep's headline numbers into a table and figure",
                   "Write <out>/summary.csv, summary.h5 and summary.png/pdf: per run its status, "
                        "parameters, E and I rates and the model's own headline numbers (its SWEEP_MEASURES; "
                        "for the column: final E activity and scale factor, alive cells, mean E4 gain change).")
    ss.add_argument("spec", help="sweep specification: the name of a file in batch/<model>/ or a .toml path")
    ss.add_argument("--out", default=None, help="folder of the sweep's runs (default: runs/sweeps/<spec name>)")
    gui = _command(sub, "gui", "inspect a running model in the NEURON GUI",
                   "Build EXPERIMENT and open NEURON's run control, a live raster and rate "
                         "traces, a cell browser and controls for STDP, scaling and deletion. Needs a display.")
    gui.add_argument("experiment", nargs="?", default="baseline", help="experiment name or .toml path")
    gui.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter")
    gui.add_argument("--run", type=float, default=0.0, metavar="S", help="run this many simulated seconds at once")
    gui.add_argument("--browse", type=int, default=None, metavar="GID", help="open the cell browser on GID")
    gui.add_argument("--hold", type=float, default=None, metavar="S",
                     help="close after S seconds of wall time (default: when every window is closed)")
    exp = _dir_command(sub, "export-reports", "write the per-cell records as SONATA reports",
                   "Write DIR/report_<quantity>.h5 for each per-cell quantity the model records (for the "
                   "column: activity, goal, scale, alive), as SONATA element reports that "
                   "libsonata.ElementReportReader opens.")
    nwb = _dir_command(sub, "export-nwb", "write a run as one NWB 2 file (pynwb)",
                   "Write DIR as an NWB file: session metadata and every parameter, a units table (spike "
                   "times in s; type, class, layer, E/I, position), the model's recorded state as time series, "
                   "the traces of the [[record]] tables (processing module traces) "
                   "and the protocol's events as time intervals. Needs pynwb (pip install pynwb).")
    nwb.add_argument("--out", default=None, help="the NWB file (default: DIR/run.nwb)")
    fix = _dir_command(sub, "repair", "make the files of a killed run readable by any HDF5 reader",
                   "A run killed without warning (SIGKILL, a node failure) leaves spikes.h5 and state.h5 whole "
                   "up to the last block but marked as open for writing; netcol reads them as they are, other "
                   "readers refuse them. This rewrites them, keeping every row. netcol resume does it too.")
    lst = _command(sub, "list", "the models, their experiments and parameters",
                   "List every registered model with its experiments (name, duration, description); "
                   "with --params, every experiment parameter of each model with its meaning, unit, "
                   "default and allowed values.")
    lst.add_argument("--params", action="store_true", help="also list every parameter")
    rep = _dir_command(sub, "report", "one page with all figures and headline numbers",
                   "Draw DIR/report.png and report.pdf: headline numbers, rates, raster, "
                         "activity and scale, spectra.")
    new = _command(sub, "new-model", "write a new model package to start from",
                   "Write DIR/NAME, a Python project holding a small working model NAME: a sparse network of "
                   "excitatory and inhibitory conductance-based LIF cells after Brunel (2000) (fixed in-degree, "
                   "relative inhibition g, a background drive), with one experiment (NAME), a sweep over g "
                   "(NAME_g), views (--what ei_rates, isi_cv) and its contract run. Install it with `pip install "
                   "-e DIR/NAME` (or put DIR/NAME on PYTHONPATH and set NETCOL_MODELS=NAME); then `netcol list` "
                   "shows it and `netcol run NAME` runs it. docs/models/adding.md walks through changing it.")
    new.add_argument("name", metavar="NAME", help="the model's name, also its Python package's (an identifier "
                     "that no registered model, experiment or module has)")
    new.add_argument("--dir", default=".", help="the folder in which DIR/NAME is written (it must not exist)")
    return p


def _views():
    """The views by model, and each model's paper figures (for the help)."""
    from .models import figures, names
    from .views.plots import views_by_model
    return views_by_model(), {m: tuple(figures(m).FIGURE_RUNS) for m in names()}


def _relaunch_under_mpiexec(np_, argv):
    """Replace this process with `mpiexec -n N python -m netcol.cli <argv without --np>`."""
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if mpiexec is None:
        raise ParamError("--np: no mpiexec found next to this Python or on PATH")
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--np":
            skip = True
        elif not a.startswith("--np="):
            rest.append(a)
    os.execv(mpiexec, [mpiexec, "-n", str(np_), sys.executable, "-m", "netcol.cli", *rest])


def _rank():
    from .engine.runtime import launched_under_mpi, neuron_h, parallel_context
    if not launched_under_mpi():
        return 0
    neuron_h()
    return int(parallel_context().id())


def _check_np(np_):
    from .config.budget import check_ranks
    if np_ is not None and np_ < 1:
        raise ParamError(f"--np {np_}: the number of ranks must be >= 1")
    if np_ is not None:
        check_ranks(np_)


def _on_rank0(func):
    """Call func on rank 0 only; if it raises, every rank raises its error, so that a
    check made by rank 0 ends all ranks the same way."""
    from .engine.runtime import launched_under_mpi, parallel_context
    if not launched_under_mpi():
        func()
        return
    pc = parallel_context()
    error = None
    if pc.id() == 0:
        try:
            func()
        except Exception as err:   # shared with the other ranks, raised on all
            error = err
    error = pc.py_broadcast(error, 0)
    if error is not None:
        error.collective = True
        raise error


def _lock_run_folder(out, overwrite=False, prepare=True, overwrite_all=False):
    """Rank 0: check the folder is free, prepare it and hold its lock for the run."""
    from .io.rundir import RunLock, check_unlocked, prepare_output_dir, remove_run_files
    check_unlocked(out)
    if prepare:
        prepare_output_dir(out, overwrite, overwrite_all)
    lock = RunLock(out)
    if lock.previous:
        print(f"netcol: taking over the lock of {out} left by {lock.previous}, no longer running", file=sys.stderr)
    _ACTIVE["lock"] = lock
    if overwrite or overwrite_all:
        remove_run_files(out, everything=overwrite_all)
    from .io.rundir import DiskFullError, low_disk
    low = low_disk(out)
    if low:   # refused before anything is written
        raise DiskFullError(errno.ENOSPC, low.replace("a run stops below", "a run needs at least"))


def _check_out_path(path, option="--out", file=False):
    """Refuse in one line an output path with a name longer than its file system allows
    and (for a file: plot --out, export-nwb --out) one in a folder that does not exist."""
    path = Path(path)
    for part in path.parts:
        limit = 255
        try:
            limit = os.pathconf(next((str(p) for p in path.parents if p.exists()), "."), "PC_NAME_MAX")
        except (OSError, ValueError):
            pass
        if len(os.fsencode(part)) > limit:
            raise ParamError(f"{option} {str(path)[:60]}...: the name {part[:24]}... is {len(os.fsencode(part))} "
                             f"bytes long; the file system allows {limit}")
    if file and not path.parent.is_dir():
        raise ParamError(f"{option} {path}: the folder {path.parent} does not exist")


def _reading(run_dir, read):
    """read() with a file lacking what the model's views read named in one line (a folder
    whose run.json names another model than its files hold)."""
    try:
        return read()
    except KeyError as err:
        from .io.rundir import RunFolderError, read_run_json
        from .models import DEFAULT_MODEL
        name = read_run_json(run_dir).get("model", DEFAULT_MODEL)
        what = err.args[0] if err.args else err
        raise RunFolderError(f"{run_dir}: its files lack what {name}'s views read ({what}); is run.json's model "
                             f"({name}) the one that wrote them?") from None


def _check_fault():
    """A malformed NETCOL_FAULT is refused before anything is written."""
    from .engine.faults import planned_fault
    planned_fault(0)


def _refused_at_set_up(run_dir, err):
    """A fresh run whose set-up refused its parameters (a check only the model's set-up
    makes, such as engine = 'rank' with checkpoints) before it wrote any output: remove
    the run.json it had started (and its other files), as if refused before it began."""
    from .config.schema import ParamError
    from .io.rundir import read_run_json, remove_run_files
    if type(err) is not ParamError or not _ACTIVE.get("fresh") or (Path(run_dir) / "spikes.h5").exists():
        return False
    try:
        if read_run_json(run_dir).get("t_reached_ms"):
            return False
        remove_run_files(run_dir)
        return True
    except (OSError, ParamError):
        return False


def _check_checkpoint_every(value):
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ParamError(f"--checkpoint-every {value:g}: must be a finite number of seconds > 0")


def cmd_run(args, argv):
    """netcol run: check everything, then build, run and record."""
    from .config.experiment import load_experiment, parse_sets
    from .io.rundir import check_unlocked, prepare_output_dir
    from .engine.runtime import launched_under_mpi
    _check_np(args.np)
    _check_checkpoint_every(args.checkpoint_every)
    _check_fault()
    experiment = load_experiment(args.experiment, parse_sets(args.set), checkpoint_every=args.checkpoint_every)
    if args.out is not None and not args.out.strip():
        raise ParamError("--out '': the output directory must be a path")
    if args.out is not None:
        _check_out_path(args.out)
    out = Path(args.out if args.out is not None else Path("runs") / experiment.name)
    if args.check:
        return _print_check(experiment, args)
    if not args.quiet and not launched_under_mpi():   # once, before a relaunch under mpiexec
        _announce_long_run(experiment, args)
    if args.np and args.np > 1 and not launched_under_mpi():
        check_unlocked(out)
        prepare_output_dir(out, args.overwrite, args.overwrite_all)
        _relaunch_under_mpiexec(args.np, argv)
    rank = _rank()
    _on_rank0(lambda: _lock_run_folder(out, args.overwrite, overwrite_all=args.overwrite_all))
    _ACTIVE["run_dir"], _ACTIVE["fresh"] = out, True
    from .engine.simulate import run_experiment
    meta = run_experiment(experiment, out, argv=["netcol", *argv], quiet=args.quiet,
                          checkpoint_every=args.checkpoint_every)
    return _report(meta, out, args, rank)


#: Runs estimated to take longer than this (wall seconds) say so as they start.
LONG_RUN_S = 300.0


def _announce_long_run(experiment, args):
    """Say what a long run will take before it starts (a run of years started without a
    word)."""
    from .config.budget import describe_cost, wall_seconds
    p = experiment.params
    cost, ranks = experiment.package.cost(p, experiment.network), args.np or 1
    if wall_seconds(cost, p["duration"], ranks) > LONG_RUN_S:
        print(f"netcol: {experiment.name}: {p['duration']:g} s simulated, {describe_cost(cost, p['duration'], ranks)}",
              file=sys.stderr, flush=True)


def _print_check(experiment, args):
    """What a run would do, after every check passed (netcol run --check)."""
    from .config.budget import describe_cost, event_count
    p, package = experiment.params, experiment.package
    events = event_count(package.event_series(p), p["duration"], args.checkpoint_every)
    print(f"netcol: {experiment.name} ({experiment.model}) checks out: {p['duration']:g} s simulated, "
          f"about {events} timeline events, {describe_cost(package.cost(p, experiment.network), p['duration'], args.np or 1)}; "
          "nothing run")
    return 0


#: The parts of run.json that define a run (also in its checkpoint and, for the duration,
#: in simulation_config.json): an edit of them would be taken for the run's own.
DEFINING = ("experiment", "model", "params", "sets", "network_overrides")


def _edited_record(out, meta, ck=None):
    """Where run.json's parameters differ from what the run itself wrote: its checkpoint's
    (ck, else read here) and simulation_config.json's tstop; [] if they agree."""
    import json
    from .config.experiment import normalise_effective
    from .engine.checkpoint import differences, read
    from .io.rundir import _jsonable
    diff = []
    try:
        ck = ck if ck is not None else read(out)
    except ParamError:
        ck = None
    recorded = normalise_effective(meta)
    if ck is not None and isinstance(ck.get("effective"), dict):
        saved = json.loads(json.dumps(normalise_effective(ck["effective"]), default=_jsonable))
        diff = differences({k: saved.get(k) for k in DEFINING}, {k: recorded.get(k) for k in DEFINING})
    try:
        tstop = json.loads((Path(out) / "simulation_config.json").read_text())["run"]["tstop"]
        duration = recorded["params"]["duration"] * 1000.0
        if not diff and abs(tstop - duration) > 1e-6 * max(1.0, tstop):
            diff.append(f"params.duration: {tstop / 1000:g} -> {duration / 1000:g}")
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return diff


def _resumable(out):
    """The experiment and checkpoint of run folder out, checked (see `netcol resume --help`)."""
    from . import __version__
    from .engine.checkpoint import FILE as CHECKPOINT_FILE, belongs_to_run, differences, read
    from .engine.resumepoint import check_resume_time
    from .config.experiment import experiment_from_saved, load_experiment, normalise_effective
    from .io.rundir import RunFolderError, read_run_json
    meta = read_run_json(out)
    ck = read(out)
    if ck is None:
        raise RunFolderError(f"{out}: no checkpoint to resume from (run with --checkpoint-every T)")
    belongs_to_run(out, ck, meta)
    edited = _edited_record(out, meta, ck)
    if edited:
        raise RunFolderError(f"{out / 'run.json'}: its parameters differ from those the run wrote into its checkpoint "
                             f"(run's -> run.json's: {'; '.join(edited[:4])}): run.json was edited; put it back (a "
                             f"longer run is a new run: netcol run ... --set duration=...)")
    saved = normalise_effective(ck["effective"])
    if Path(saved["source"]).exists():
        # the experiment file and the model's files as they are now, with the run's own --set values
        experiment = load_experiment(saved["source"], saved["sets"], default_model=saved["model"])
        diff = differences(saved, experiment.effective())
    else:   # the checkpoint holds every parameter
        experiment, diff = experiment_from_saved(saved), []
    if ck["netcol_version"] != __version__:
        diff.append(f"netcol version: {ck['netcol_version']} -> {__version__}")
    if diff:
        raise ParamError(f"{out}: the checkpoint does not match the current parameters or version; "
                         f"refusing to resume. Differences (checkpoint -> now): " + "; ".join(diff))
    check_resume_time(ck, experiment, out, out / CHECKPOINT_FILE)
    return experiment, ck, meta.get("checkpoint_every")


def cmd_resume(args, argv):
    """netcol resume: continue a run from its last checkpoint."""
    from .io.rundir import check_unlocked, read_run_json
    from .engine.runtime import launched_under_mpi
    _check_np(args.np)
    _check_fault()
    out = Path(args.run_dir)
    check_unlocked(out)
    experiment, ck, every = _resumable(out)
    meta = read_run_json(out)
    if meta.get("status") == "complete":   # its checkpoint lies before the end: resuming would redo the tail
        print(f"netcol: {out}: the run is complete ({meta['t_reached_ms'] / 1000:g} s simulated); nothing to resume")
        return 0
    if args.np and args.np > 1 and not launched_under_mpi():
        _relaunch_under_mpiexec(args.np, argv)
    rank = _rank()
    _on_rank0(lambda: _lock_run_folder(out, prepare=False))
    _ACTIVE["run_dir"] = out
    from .engine.simulate import run_experiment
    meta = run_experiment(experiment, out, argv=["netcol", *argv], quiet=args.quiet, checkpoint_every=every,
                          resume=ck)
    return _report(meta, out, args, rank)


def _run_dir(path):
    """A run folder whose files are whole (ParamError naming the damaged file otherwise)."""
    from .io.runfiles import check_run_files
    out = Path(path)
    check_run_files(out)
    return out


def cmd_info(args, argv):
    """netcol info: describe a run."""
    from .models import DEFAULT_MODEL
    from .views.plots import headline
    from .io.rundir import read_run_json
    from .io.runfiles import setup_unfinished
    out = Path(args.run_dir)
    meta = read_run_json(out)
    unfinished = setup_unfinished(out, meta)
    if unfinished:   # nothing to read but run.json
        print(f"run: {out.name}  experiment: {meta['experiment']}  model: {meta.get('model', DEFAULT_MODEL)}\n"
              f"status: {unfinished}")
    else:
        print("\n".join(_reading(out, lambda: headline(_run_dir(out)))))
    edited = _edited_record(out, meta)
    if edited:
        print(f"warning: run.json's parameters differ from those the run wrote (run's -> run.json's: "
              f"{'; '.join(edited[:4])}): run.json was edited; what the files hold is the run's")
    print(f"command: {' '.join(meta['command'])}")
    print(f"started: {meta['started']}  " + (f"last checkpoint at {meta['last_checkpoint_ms'] / 1000:g} s"
                                             if meta.get("last_checkpoint_ms") is not None else "no checkpoint"))
    if args.params:
        for k, v in sorted(meta["params"].items()):
            print(f"  {k} = {v!r}")
        overrides = meta.get("network_overrides", meta.get("column_overrides", {}))
        for k, v in sorted(overrides.items()):
            print(f"  network.{k} = {v!r}")
    return 0


def cmd_plot(args, argv):
    """netcol plot: one view of a run, or a figure of the paper."""
    from .models import DEFAULT_MODEL, figures as figures_of, names
    from .views.plots import plot_what
    from .io.rundir import read_run_json
    if args.dpi < 50 or args.dpi > 2400:
        raise ParamError(f"--dpi {args.dpi}: expected 50 to 2400")
    if args.figure is not None:
        folder_model = (read_run_json(args.run_dir).get("model")
                        if (Path(args.run_dir) / "run.json").exists() else None)
        name = args.model or folder_model or DEFAULT_MODEL
        if name not in names():
            raise ParamError(f"--model {name}: unknown model; known: {', '.join(names())}")
        figures = figures_of(name)
        if args.figure not in figures.FIGURE_RUNS:
            raise ParamError(f"--figure {args.figure}: {name} draws figures "
                             f"{', '.join(str(k) for k in sorted(figures.FIGURE_RUNS))}")
        try:
            paths = figures.paper_figure(Path(args.run_dir), args.figure, dpi=args.dpi)
        except FileNotFoundError as err:
            raise ParamError(str(err)) from None
    else:
        if args.window and not args.window[0] < args.window[1]:
            raise ParamError(f"--window {args.window[0]:g} {args.window[1]:g}: T0 must be before T1 (seconds)")
        if args.out is not None:
            _check_out_path(args.out + ".png", file=True)
        run_dir = _run_dir(args.run_dir)
        if args.window:
            reached = read_run_json(run_dir).get("t_reached_ms", 0.0) / 1000.0
            if args.window[0] >= reached or args.window[1] <= 0:
                raise ParamError(f"--window {args.window[0]:g} {args.window[1]:g}: outside the run, which covers "
                                 f"0 to {reached:g} s; nothing drawn")
        paths = _reading(run_dir, lambda: plot_what(run_dir, args.what, window=args.window, dpi=args.dpi,
                                                    out=args.out))
    print("netcol: wrote " + ", ".join(str(p) for p in paths))
    return 0


def cmd_report(args, argv):
    """netcol report: one page with every figure and the headline numbers."""
    from .views.plots import report
    run_dir = _run_dir(args.run_dir)
    print("netcol: wrote " + ", ".join(str(p) for p in _reading(run_dir, lambda: report(run_dir))))
    return 0


def cmd_list(args, argv):
    """netcol list: models, experiments and (with --params) parameters."""
    from .config.experiment import fields
    from .models import experiments, model, names
    from .config.schema import read_toml
    known = experiments()
    sweeps_of = _sweeps_by_model()
    for name in names():
        print(f"{name}: {model(name).TITLE}")
        for exp, (owner, path) in sorted(known.items()):
            if owner == name:
                raw = read_toml(path)
                duration = raw.get("duration", "?")
                if duration == 0:   # left to the model's protocol
                    from .config.experiment import load_experiment
                    duration = load_experiment(str(path)).params["duration"]
                print(f"  {exp:<22} {duration:>9} s  {raw.get('description', '')}")
        for spec, description in sweeps_of.get(name, []):
            print(f"  sweep {spec:<40} {description}")
        if args.params:
            print(f"  parameters (--set KEY=VALUE; network entries as network.<path> of "
                  f"{model(name).NETWORK_FILE.name}):")
            for key, f in fields(name).items():
                default = "required" if f.default is None else f"default {f.default!r}"
                print(f"    {key:<22} {f.doc}; {default}; {f.allowed()}")
    return 0


def _sweeps_by_model():
    """{model: [(sweep name, description)]} of the sweeps every model ships."""
    from .config.experiment import experiment_path
    from .config.schema import read_toml
    from .models import DEFAULT_MODEL, sweeps
    out = {}
    for spec, path in sorted(sweeps().items()):
        raw = read_toml(path)
        owner = read_toml(experiment_path(raw.get("experiment", ""))).get("model", DEFAULT_MODEL)
        out.setdefault(owner, []).append((spec, raw.get("description", "")))
    return out


def cmd_new_model(args, argv):
    """netcol new-model: write a new model package from netcol's template."""
    from .models.newmodel import new_model
    written = new_model(args.name, args.dir)
    root = Path(args.dir) / args.name
    print(f"netcol: wrote {root} ({len(written)} files); next:\n"
          f"  pip install -e {root}    (or: PYTHONPATH={root} NETCOL_MODELS={args.name})\n"
          f"  netcol list\n  netcol run {args.name} --out runs/{args.name}\n"
          f"  netcol plot runs/{args.name} --what ei_rates")
    return 0


def cmd_export_reports(args, argv):
    """netcol export-reports: the per-cell records as SONATA reports."""
    from .models import DEFAULT_MODEL, reports as reports_of
    from .io.rundir import RunFolderError, read_run_json
    out = _run_dir(args.run_dir)
    name = read_run_json(out).get("model", DEFAULT_MODEL)
    reports = reports_of(name)
    if hasattr(reports, "NO_ELEMENT_REPORTS"):
        raise RunFolderError(f"{out}: {name} {reports.NO_ELEMENT_REPORTS}")
    try:
        paths = reports.export_reports(out)
    except ValueError as err:
        raise RunFolderError(str(err)) from None
    print("netcol: wrote " + ", ".join(str(p) for p in paths))
    return 0


def cmd_export_nwb(args, argv):
    """netcol export-nwb: the run as one NWB file."""
    try:
        import pynwb  # noqa: F401
    except ImportError:
        raise ParamError("netcol export-nwb needs pynwb: pip install pynwb") from None
    from .io.nwb import export_nwb
    if args.out is not None:
        _check_out_path(args.out, file=True)
    print(f"netcol: wrote {export_nwb(_run_dir(args.run_dir), args.out)}")
    return 0


def cmd_repair(args, argv):
    """netcol repair: make files left by a killed run readable by any HDF5 reader."""
    from .io.rundir import RunLock, read_run_json
    from .io.runfiles import repair
    out = Path(args.run_dir)
    read_run_json(out)
    lock = RunLock(out)   # never while a run writes the folder
    try:
        done = repair(out)
    finally:
        lock.release()
    print("netcol: " + (f"repaired {', '.join(str(p) for p in done)}" if done else f"{out}: nothing to repair"))
    return 0


def cmd_sweep(args, argv):
    """netcol sweep: run a sweep locally, one task, or write job-array scripts."""
    import shlex
    from .engine.sweep import (core_hours, job_script, load_sweep, run_local, run_task, status, task_command,
                               write_job_script)
    sweep = load_sweep(args.spec)
    out = sweep.out_dir(args.out)
    kind = "slurm" if args.slurm else "sge" if args.sge else "pbs" if args.pbs else None
    overrides = dict(partition=args.partition, account=args.account, modules=args.modules, pe=args.pe,
                     throttle=args.throttle)
    if args.dry_run:
        launcher = "srun" if args.slurm else "mpirun" if kind in ("sge", "pbs") else args.launcher
        for i, run in enumerate(sweep.runs):
            command = shlex.join(task_command(sweep, i, args.out, launcher))
            print(f"{i:4d} {run.name} [{status(out / run.name)}]: {command}")
        print(f"{len(sweep.runs)} runs in {out}")
        if kind:
            script, text, submit = job_script(sweep, kind, args.out, overrides)
            print(f"--- {script} (not written; submit with {submit}) ---\n{text}--- at most "
                  f"{core_hours(sweep):,.1f} core-hours ({len(sweep.runs)} runs x {sweep.resources['np']} ranks x "
                  f"{sweep.resources['time']})")
        return 0
    if args.task is not None:
        if not 0 <= args.task < len(sweep.runs):
            raise ParamError(f"--task {args.task}: the sweep has runs 0..{len(sweep.runs) - 1}")
        st = run_task(sweep, args.task, args.out, args.launcher, args.retry_failed)
        print(f"netcol: sweep {sweep.name} task {args.task} ({sweep.runs[args.task].name}): {st}")
        return 0 if st == "complete" else 1
    if kind:
        script, submit = write_job_script(sweep, kind, args.out, overrides)
        print(f"netcol: wrote {script} ({len(sweep.runs)} array tasks); submit with:\n  {submit}")
        return 0
    if args.jobs < 1:
        raise ParamError(f"-j {args.jobs}: must be >= 1")
    print(f"netcol: sweep {sweep.name}: {len(sweep.runs)} runs in {out}, {args.jobs} at a time")
    result = run_local(sweep, args.jobs, args.out, args.retry_failed)
    from .engine.sweep import DAMAGED
    failed = [n for n, st in result.items() if st not in ("complete", DAMAGED)]
    damaged = [n for n, st in result.items() if st == DAMAGED]
    print(f"netcol: {len(result) - len(failed) - len(damaged)} complete, {len(failed) + len(damaged)} not"
          + (f" (see sweep_error.txt in: {', '.join(failed)})" if failed else "")
          + (f" (run.json unreadable, left as they are; --retry-failed runs them again: {', '.join(damaged)})"
             if damaged else ""))
    return 0 if not (failed or damaged) else 1


def cmd_sweep_summary(args, argv):
    """netcol sweep-summary: one table and figure of a sweep's headline numbers."""
    from .engine.sweep import load_sweep, status, write_summary
    sweep = load_sweep(args.spec)
    out = sweep.out_dir(args.out)
    if not any(status(out / run.name) in ("complete", "interrupted") for run in sweep.runs):
        raise NothingYet(f"sweep {sweep.name}: no run in {out} is complete or interrupted yet; nothing to summarise")
    rows, paths = write_summary(sweep, args.out)
    print(f"netcol: {len(rows)} runs summarised: " + ", ".join(str(p) for p in paths))
    return 0


def cmd_gui(args, argv):
    """netcol gui: assemble the experiment's model and open its NEURON windows."""
    import json
    import time
    if not os.environ.get("DISPLAY"):
        raise DisplayError("netcol gui needs a display (DISPLAY is not set)")
    os.environ["NETCOL_GUI"] = "1"
    from .build.assemble import assemble
    from .config.experiment import load_experiment, parse_sets
    from .engine.runtime import neuron_h, window_names
    experiment = load_experiment(args.experiment, parse_sets(args.set))
    h = neuron_h()
    window = experiment.package.open_gui(assemble(experiment, needs=("gui",)))
    if args.browse is not None:
        window.browse(args.browse)
    h.stdinit()
    if args.run > 0:
        h.continuerun(args.run * 1000.0)
    print(json.dumps(dict(windows=window_names(), t=h.t, spikes=int(window.tvec.size()),
                          raster_marks=window.marks)), flush=True)
    start = time.time()
    while (args.hold is None and h.PWManager().count() > 0) or (args.hold is not None and time.time() - start < args.hold):
        h.doEvents()
        time.sleep(0.02)
    return 0


def _report(meta, out, args, rank):
    if rank != 0:
        return 0
    lines = [f"netcol: {meta['status']}: {meta['spikes']} spikes in {meta['t_reached_ms'] / 1000:g} s simulated "
             f"({meta['run_seconds']:.1f} s wall, set-up {meta['setup_seconds']:.1f} s)",
             f"  output: {out}/" + ", ".join(n for n in ("spikes.h5", "state.h5", "nodes.h5", "edges.h5",
                                                       "timeline.csv", "run.json") if (out / n).exists())
             + " (a SONATA circuit: circuit_config.json)"]
    from .config.records import report_files
    traces = [n for t in meta["params"].get("record") or () for _, n in report_files(t) if (out / n).exists()]
    if traces:
        lines.append(f"  traces: {', '.join(traces)} (SONATA reports of the [[record]] tables)")
    if not args.no_figure and meta["spikes"]:
        from .views.plots import plot_what
        lines.append(f"  figure: {plot_what(out, 'raster')[0]}")
    print("\n".join(lines))
    return {"complete": 0, "interrupted": 130}.get(meta["status"], 2)


COMMANDS = {"run": cmd_run, "resume": cmd_resume, "info": cmd_info, "list": cmd_list, "plot": cmd_plot,
            "report": cmd_report, "repair": cmd_repair, "export-reports": cmd_export_reports,
            "export-nwb": cmd_export_nwb, "sweep": cmd_sweep,
            "sweep-summary": cmd_sweep_summary, "gui": cmd_gui, "new-model": cmd_new_model}


def _message(err):
    """An error's message; one without (a MemoryError, among others) is named by its type,
    so that no error line is empty."""
    text = str(err).strip()
    kind = getattr(err, "kind", type(err).__name__)
    if text:
        return text
    return f"{kind}: out of memory" if kind == "MemoryError" else f"{kind} (without a message)"


def _setup_interrupted(err):
    """SIGINT or SIGTERM during set-up: one line (rank 0), exit 130; on several ranks the
    job is aborted (a rank may be waiting for another in a collective call of set-up)."""
    from .engine.runtime import launcher_rank_and_size
    rank, size = launcher_rank_and_size()
    run_dir = _ACTIVE.get("run_dir")
    if rank == 0:
        marked = run_dir is not None and (Path(run_dir) / "run.json").exists()
        print(f"netcol: {err}" + (f"; {Path(run_dir) / 'run.json'} marked interrupted (nothing ran: run it again)"
                                  if marked else ""), file=sys.stderr, flush=True)
    if size > 1:
        _ACTIVE["abort"] = True
    return 130


def _fail(err, debug):
    """Report an error and end this process; return the exit status.

    An error before the run starts is the same on every rank (rank 0 reports it), and
    so is an error during the blocks (RunFailed: rank 0 has marked run.json `failed`,
    naming the rank it happened on).  An error elsewhere in a run (set-up, finalising)
    may be on one rank only: that rank marks run.json `failed` and, on several ranks,
    aborts the whole job, so no rank waits forever for it."""
    import traceback
    from .io.rundir import DiskFullError, mark_status
    from .engine.runtime import launcher_rank_and_size
    rank, size = launcher_rank_and_size()
    run_dir = _ACTIVE.get("run_dir")
    during_run = run_dir is not None and not getattr(err, "collective", False)
    kind = getattr(err, "kind", type(err).__name__)   # RunFailed: the failing rank's error
    on_rank = rank if during_run else getattr(err, "rank", None)
    if rank == 0 or during_run:
        where = f" on rank {on_rank}" if size > 1 and on_rank is not None else ""
        if debug:
            traceback.print_exception(err)
            print(getattr(err, "details", ""), end="", file=sys.stderr)
        print(f"netcol: error{where}: {_message(err)}", file=sys.stderr)
        hint = HINTS.get(kind, "run again with --debug for the full traceback")
        if type(err).__name__ == "ParamError" and any(w in str(err) for w in NO_PARAMETER_HINT):
            hint = None   # the parameter list does not help with a missing file or a broken model package
        if hint:
            print(f"  hint: {hint}", file=sys.stderr, flush=True)
    if during_run:
        try:
            if not _refused_at_set_up(run_dir, err):
                mark_status(run_dir, "failed", error=f"{type(err).__name__}: {err}", failed_on_rank=rank)
        except OSError as mark_err:
            print(f"netcol: could not mark {run_dir}/run.json failed: {mark_err}", file=sys.stderr, flush=True)
        if size > 1:
            from mpi4py import MPI
            MPI.COMM_WORLD.Abort(2)
        if isinstance(err, DiskFullError):
            os._exit(2)   # skip HDF5's clean-up at exit, which crashes after a failed write
    return 2


def main(argv=None):
    """Entry point of the ``netcol`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = _parser()   # it lists every model's views: a broken model package fails here
    except Exception as err:
        return _fail(err, "--debug" in argv)
    args = parser.parse_args(argv)
    code = None
    try:
        code = COMMANDS[args.command](args, argv)
        return code
    except BrokenPipeError:
        # the reader of our output went away (`netcol list | head`): nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:   # outside a run (a run stops at its block's end on Ctrl-C itself)
        print("netcol: interrupted (nothing half-made is kept: a mechanism build starts again next time)",
              file=sys.stderr)
        return 130
    except Exception as err:  # one clear line (the traceback too with --debug)
        code = _setup_interrupted(err) if type(err).__name__ == "SetupInterrupted" else _fail(err, args.debug)
        return code
    finally:
        lock = _ACTIVE.pop("lock", None)
        if lock is not None:
            lock.release()
        if code is not None:   # after a write failed on a full disk, HDF5 may crash at exit
            from .io.space import end_process
            end_process(code)
        if _ACTIVE.pop("abort", None):
            from .engine.runtime import launcher_rank_and_size
            import time
            if launcher_rank_and_size()[0] != 0:
                time.sleep(2)   # rank 0 marks run.json first
            from mpi4py import MPI
            MPI.COMM_WORLD.Abort(code)


if __name__ == "__main__":
    sys.exit(main())
