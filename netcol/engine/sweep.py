"""Parameter sweeps: a sweep specification (``batch/*.toml``) expands into runs, each in
its own output directory named from its parameters, run locally or as cluster job-array
tasks, resumably, and summarised into one table.

A specification::

    experiment = "onlyscaling"          # base experiment (name or .toml path)
    description = "..."
    seeds = [2]                         # each combination once per seed
    mode = "grid"                       # "grid": every combination; "zip": lists in step
    [fixed]                             # --set values of every run
    duration = 20000.0
    [vary]                              # the swept parameters (any --set key)
    "column.mechanism.beta" = [4e-5, 4e-6]
    [resources]                         # per run, for the cluster scripts
    np = 2
    time = "48:00:00"
    memory = "4G"
    checkpoint_every = 2000.0

Every run goes through :func:`run_task`: a complete run is skipped, an interrupted one
resumed from its checkpoint, a failing one recorded (``sweep_error.txt`` in its folder)
without stopping the others, and retried only on request.
"""
from dataclasses import dataclass, field
import itertools
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..models import sweeps
from ..config.schema import Field, ParamError, read_toml, validate
from ..io.rundir import CHECKPOINT_FILE, claim

SPEC_FIELDS = {
    "experiment": Field(str, None, "base experiment"),
    "description": Field(str, "", "what the sweep is for"),
    "seeds": Field(list, [2], "seeds; each combination runs once per seed"),
    "mode": Field(str, "grid", "grid: every combination; zip: the value lists in step", choices=("grid", "zip")),
    "fixed": Field(dict, {}, "--set values of every run"),
    "vary": Field(dict, None, "swept parameters and their value lists"),
    "resources": Field(dict, {}, "np, time, memory, checkpoint_every of each run"),
}
RESOURCE_FIELDS = {
    "np": Field(int, 1, "MPI ranks per run", low=1),
    "time": Field(str, "24:00:00", "wall-time limit per run (HH:MM:SS)"),
    "memory": Field(str, "4G", "memory per run (K, M, G or T), shared by its ranks"),
    "checkpoint_every": Field(float, 0.0, "simulated seconds between checkpoints (0: none)", low=0.0),
    "partition": Field(str, "", "SLURM partition or PBS queue, unused by SGE (none: the cluster's default)"),
    "account": Field(str, "", "SLURM account, SGE project or PBS account (none: the default)"),
    "modules": Field(str, "", "environment modules to load before a task, space separated"),
    "throttle": Field(int, 0, "most array tasks running at once (0: no limit)", low=0),
    "pe": Field(str, "mpi", "SGE parallel environment"),
    "grace": Field(int, 300, "seconds before the time limit at which SLURM asks a task to stop and requeue it "
                   "(it resumes from its last checkpoint)", low=10),
}
#: srun's PMI for the MPICH that netcol's environment brings.
SRUN_MPI = "pmi2"
ERROR_FILE = "sweep_error.txt"


@dataclass
class SweepRun:
    """One run of a sweep: its folder name and --set values."""

    name: str
    sets: dict
    varied: dict = field(default_factory=dict)


@dataclass
class Sweep:
    """A checked sweep specification expanded into its runs."""

    name: str
    source: str
    spec: dict
    resources: dict
    runs: list
    model: str

    def out_dir(self, root=None):
        """Folder of the sweep's runs (default runs/sweeps/<name>)."""
        return Path(root) if root else Path("runs") / "sweeps" / self.name


def _name_part(v):
    """A swept value as it appears in a run folder's name: to 6 digits where they give the
    value back exactly, else with every digit it needs, so distinct values never share a
    folder."""
    if isinstance(v, float):
        short = f"{v:g}"
        return short if float(short) == v else repr(v)
    return str(v)


def _arg(v):
    """A value on netcol's command line, read back exactly (repr gives every digit a float
    needs; 6 significant digits ran 3.14159265 as 3.14159)."""
    return repr(v) if isinstance(v, float) else str(v)


def load_sweep(path):
    """Read, expand and check a sweep: every run's parameters are validated as `netcol run`
    would, before anything runs.

    Raises
    ------
    ParamError
        Unknown parameters, empty value lists, zipped lists of unequal length, or runs
        that would share an output folder.
    """
    from ..config.experiment import load_experiment
    path = Path(path)
    if not path.exists() and str(path) in sweeps():
        path = sweeps()[str(path)]
    if not path.exists():
        raise ParamError(f"sweep specification {path} not found")
    spec = validate(read_toml(path), SPEC_FIELDS, str(path))
    resources = validate(spec["resources"], RESOURCE_FIELDS, f"{path} [resources]")
    check_one_line(resources, lambda key: f"{path} [resources] {key}")
    vary = spec["vary"]
    if not vary:
        raise ParamError(f"{path}: [vary] names no parameter")
    for key, values in vary.items():
        if not isinstance(values, list) or not values:
            raise ParamError(f"{path}: vary.{key} must be a non-empty list of values")
    for table in ("vary", "fixed"):
        if "seed" in spec[table]:   # each run's seed comes from seeds (and names its folder)
            raise ParamError(f"{path}: {table}.seed: a sweep's seeds are its top-level list seeds = [...] "
                             f"(each combination runs once per seed), not a {table} parameter")
    if not spec["seeds"] or not all(isinstance(s, int) and not isinstance(s, bool) for s in spec["seeds"]):
        raise ParamError(f"{path}: seeds must be a non-empty list of integers")
    keys = list(vary)
    if spec["mode"] == "zip":
        lengths = {len(v) for v in vary.values()}
        if len(lengths) != 1:
            raise ParamError(f"{path}: mode = 'zip' needs value lists of equal length, got "
                             + ", ".join(f"{k}: {len(v)}" for k, v in vary.items()))
        combos = list(zip(*vary.values()))
    else:
        combos = list(itertools.product(*vary.values()))
    runs, names = [], {}
    for combo in combos:
        for seed in spec["seeds"]:
            varied = dict(zip(keys, combo))
            name = "_".join(f"{k.split('.')[-1]}{_name_part(v)}" for k, v in varied.items()) + f"_seed{seed}"
            if "/" in name or "\\" in name or "\0" in name or name in (".", ".."):
                raise ParamError(f"{path}: the values {varied} would name the run folder {name!r}, outside the "
                                 "sweep's folder; swept values must not contain path separators")
            if name in names:
                raise ParamError(f"{path}: runs {names[name]} and {varied} (seed {seed}) would share the output "
                                 f"folder {name}; make the swept values or parameter names distinct")
            names[name] = dict(varied, seed=seed)
            sets = dict(spec["fixed"], **varied, seed=seed)
            model = load_experiment(spec["experiment"], sets).model   # every run checked before any runs
            runs.append(SweepRun(name, sets, varied))
    return Sweep(path.stem, str(path), spec, resources, runs, model)


#: The status of a run whose run.json cannot be read: neither run again nor resumed
#: (its results may be whole) unless --retry-failed says so.
DAMAGED = "damaged (run.json unreadable)"


def status(run_dir):
    """'complete', 'failed', 'interrupted', 'running', 'pending' or DAMAGED."""
    run_dir = Path(run_dir)
    if (run_dir / ERROR_FILE).exists():
        return "failed"
    meta = run_dir / "run.json"
    if not meta.exists():
        return "pending"
    try:
        data = json.loads(meta.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return DAMAGED
    return data.get("status", "running") if isinstance(data, dict) else DAMAGED


def _mpiexec():
    """The project's own mpiexec (beside this Python), else the one on PATH."""
    import shutil
    return shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")) \
        or "mpiexec"


def _launch(launcher, np_):
    """Command prefix that starts `python -m netcol.cli` on np_ ranks, and netcol's own
    extra arguments."""
    py = [sys.executable, "-m", "netcol.cli"]
    if launcher == "srun":
        return ["srun", f"--mpi={SRUN_MPI}", "-n", str(np_), *py], []
    if launcher == "mpirun":
        return [_mpiexec(), "-n", str(np_), *py], []
    return py, (["--np", str(np_)] if np_ > 1 else [])


def task_command(sweep, index, out_root=None, launcher="none"):
    """The exact command that task `index` runs now: a resume of an interrupted run with a
    checkpoint, else a fresh run."""
    run = sweep.runs[index]
    out = sweep.out_dir(out_root) / run.name
    prefix, np_args = _launch(launcher, sweep.resources["np"])
    every = sweep.resources["checkpoint_every"]
    if status(out) in ("interrupted", "running") and (out / CHECKPOINT_FILE).exists():
        return [*prefix, "resume", str(out), "--quiet", "--no-figure", *np_args]
    cmd = [*prefix, "run", sweep.spec["experiment"], "--out", str(out), "--overwrite", "--quiet", "--no-figure",
           *np_args, *(["--checkpoint-every", _arg(every)] if every > 0 else [])]
    for k, v in run.sets.items():
        cmd += ["--set", f"{k}={_arg(v)}"]
    return cmd


def run_task(sweep, index, out_root=None, launcher="none", retry_failed=False):
    """Run (or skip, or resume) run `index` of a sweep; return its final status.

    Parameters
    ----------
    sweep : Sweep
    index : int
    out_root : path, optional
    launcher : {'none', 'srun', 'mpirun'}
        How to start the ranks: netcol's own --np, srun inside a SLURM allocation, or
        the project's mpiexec (SGE).
    retry_failed : bool
        Run a previously failed run again (otherwise it stays failed).
    """
    out = sweep.out_dir(out_root) / sweep.runs[index].name
    state = status(out)
    if state == "complete" or (state in ("failed", DAMAGED) and not retry_failed):
        return state
    if state == "failed":
        (out / ERROR_FILE).unlink()
    cmd = task_command(sweep, index, out_root, launcher)
    out.mkdir(parents=True, exist_ok=True)
    returncode, stderr = _run_forwarding_term(cmd)
    if returncode != 0 and status(out) != "interrupted":
        claim(out, ERROR_FILE)   # a run folder's file: a later run --overwrite removes it
        (out / ERROR_FILE).write_text(f"command: {' '.join(cmd)}\nexit code: {returncode}\n{stderr[-5000:]}")
        return "failed"
    return status(out)


def _run_forwarding_term(cmd):
    """Run cmd; a SIGTERM to this process (a scheduler's warning before its time limit) is
    passed on to it, so that the run stops at the end of its block and can resume.

    Returns
    -------
    (int, str)
        Its exit code and standard error.
    """
    import signal
    import threading
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # only the main thread may set a handler: run_local's runs come from worker threads
    # (no scheduler's TERM to pass on there; a terminal's Ctrl-C reaches the runs anyway)
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM)) if main else None
    try:
        _, stderr = proc.communicate()
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)
    return proc.returncode, stderr


def run_local(sweep, jobs=1, out_root=None, retry_failed=False, report=print):
    """Run every run of a sweep on this machine, jobs at a time; return {name: status}."""
    def one(i):
        st = run_task(sweep, i, out_root, "none", retry_failed)
        report(f"  {sweep.runs[i].name}: {st}")
        return sweep.runs[i].name, st
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(pool.map(one, range(len(sweep.runs))))


SLURM = """#!/bin/bash
# netcol sweep {name}: {n} runs as a SLURM job array (submit: sbatch {script})
#SBATCH --job-name=netcol-{name}
#SBATCH --array=0-{last}{throttle}
#SBATCH --nodes=1
#SBATCH --ntasks={np}
#SBATCH --time={time}
#SBATCH --mem={memory}
#SBATCH --output={logs}/%A_%a.out
#SBATCH --signal=B:TERM@{grace}
#SBATCH --requeue
{extra}{modules}set -euo pipefail
cd {workdir}
# Each array task runs (or skips, or resumes) one run, its ranks started by srun --mpi={pmi}
# (NETCOL_LAUNCHER=none runs it without srun).  {grace} s before the time limit SLURM sends
# TERM: the run stops at the end of its block and the task is requeued, to resume exactly
# from its last checkpoint.
requeue() {{
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" || true
    scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
    exit 0
}}
trap requeue TERM
{python} -m netcol.cli sweep {spec} --out {out} --task "$SLURM_ARRAY_TASK_ID" --launcher "${{NETCOL_LAUNCHER:-srun}}" &
child=$!
wait "$child"
"""
SGE = """#!/bin/bash
# netcol sweep {name}: {n} runs as an SGE job array (submit: qsub {script})
#$ -S /bin/bash
#$ -N netcol-{name}
#$ -t 1-{n}
{throttle}#$ -pe {pe} {np}
#$ -l h_rt={time}
#$ -l h_vmem={memory}
#$ -o {logs}/
#$ -j y
{extra}{modules}set -euo pipefail
cd {workdir}
# SGE tasks count from 1; the ranks are started by the project's mpiexec;
# NETCOL_LAUNCHER=none runs it without mpiexec
{python} -m netcol.cli sweep {spec} --out {out} --task "$((SGE_TASK_ID - 1))" --launcher "${{NETCOL_LAUNCHER:-mpirun}}"
"""
PBS = """#!/bin/bash
# netcol sweep {name}: {n} runs as a PBS/Torque job array (submit: qsub {script};
# on PBS Pro write -J for -t)
#PBS -N netcol-{name}
#PBS -t 0-{last}{throttle}
#PBS -l nodes=1:ppn={np}
#PBS -l walltime={time}
#PBS -l mem={memory}
#PBS -j oe
#PBS -o {logs}/
{extra}{modules}set -euo pipefail
cd {workdir}
# the array index is PBS_ARRAYID (Torque) or PBS_ARRAY_INDEX (PBS Pro); the ranks are
# started by the project's mpiexec (NETCOL_LAUNCHER=none runs it without mpiexec)
{python} -m netcol.cli sweep {spec} --out {out} --task "${{PBS_ARRAYID:-$PBS_ARRAY_INDEX}}" --launcher "${{NETCOL_LAUNCHER:-mpirun}}"
"""
#: Job-array script per scheduler, and the command that submits it.
SCHEDULERS = {"slurm": (SLURM, "sbatch"), "sge": (SGE, "qsub"), "pbs": (PBS, "qsub")}


def core_hours(sweep):
    """Core-hours the sweep asks for at most: runs x ranks x wall-time limit."""
    h, m, s = (int(x) for x in sweep.resources["time"].split(":")) if sweep.resources["time"].count(":") == 2 \
        else (0, 0, 0)
    return len(sweep.runs) * sweep.resources["np"] * (h + m / 60 + s / 3600)


def memory_per_slot(memory, np_):
    """SGE's h_vmem is per slot: the run's memory divided among its ranks, in MB ("4G", 2
    -> "2048M").

    Raises
    ------
    ParamError
        A memory that is not a number with K, M, G or T.
    """
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    text = memory.strip().upper().rstrip("B")
    if not text or text[-1] not in units:
        raise ParamError(f"resources.memory = {memory!r}: expected a number with K, M, G or T (e.g. 4G)")
    try:
        mb = float(text[:-1]) * units[text[-1]]
    except ValueError:
        raise ParamError(f"resources.memory = {memory!r}: expected a number with K, M, G or T (e.g. 4G)") from None
    return f"{max(1, int(mb // np_))}M"


def check_one_line(values, label):
    """Refuse text values holding a line break or another control character: each goes into
    one line of a job script (a newline in --partition added a line of its own).

    Parameters
    ----------
    values : dict
        Resource name -> value.
    label : callable
        Resource name -> how the message names it.
    """
    for key, value in values.items():
        if isinstance(value, str) and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ParamError(f"{label(key)} = {value!r}: a line break or control character; a job script takes "
                             "the value on one line")


def job_script(sweep, kind, out_root=None, overrides=None):
    """The SLURM, SGE or PBS job-array script of a sweep, without writing it.

    Parameters
    ----------
    sweep : Sweep
    kind : {'slurm', 'sge', 'pbs'}
    out_root : path, optional
    overrides : dict, optional
        Resource values given on the command line (partition, account, modules, throttle,
        pe), which win over the specification's.

    Returns
    -------
    (pathlib.Path, str, str)
        Where the script goes, its text, and the command that submits it.
    """
    given = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
    check_one_line(given, lambda key: f"--{key}")
    res = dict(sweep.resources, **given)
    out = sweep.out_dir(out_root).resolve()
    logs = out / "logs"
    script = out / f"sweep.{kind}"
    if kind == "slurm":
        extra = "".join(f"#SBATCH --{k}={res[k]}\n" for k in ("partition", "account") if res[k])
        throttle = f"%{res['throttle']}" if res["throttle"] else ""
        memory = res["memory"]
    elif kind == "pbs":
        extra = "".join(f"#PBS -{flag} {res[k]}\n" for k, flag in (("partition", "q"), ("account", "A")) if res[k])
        throttle = f"%{res['throttle']}" if res["throttle"] else ""
        memory = res["memory"].strip().lower().rstrip("b") + "b"
    else:
        extra = f"#$ -P {res['account']}\n" if res["account"] else ""
        throttle = f"#$ -tc {res['throttle']}\n" if res["throttle"] else ""
        memory = memory_per_slot(res["memory"], res["np"])
    modules = f"module load {res['modules']}\n" if res["modules"] else ""
    template, submit = SCHEDULERS[kind]
    text = template.format(
        name=sweep.name, n=len(sweep.runs), last=len(sweep.runs) - 1, np=res["np"], time=res["time"],
        memory=memory, logs=logs, workdir=Path.cwd(), python=sys.executable, spec=Path(sweep.source).resolve(),
        out=out, script=script, extra=extra, modules=modules, throttle=throttle, pe=res["pe"], pmi=SRUN_MPI,
        grace=res["grace"])
    return script, text, f"{submit} {script}"


def write_job_script(sweep, kind, out_root=None, overrides=None):
    """Write the job-array script of a sweep (see :func:`job_script`); return (path,
    submit command)."""
    script, text, submit = job_script(sweep, kind, out_root, overrides)
    (script.parent / "logs").mkdir(parents=True, exist_ok=True)
    script.write_text(text)
    os.chmod(script, 0o755)
    return script, submit


#: The headline numbers every model's runs have (a model adds its own: ``SWEEP_MEASURES``).
RATE_HEADLINES = ("E_rate_Hz", "I_rate_Hz")


def summary(sweep, out_root=None):
    """Headline numbers of every run: one row per run (dict), in sweep order.

    Every run gives its E and I rates over its last 100 s (at most its second half); the
    model's ``SWEEP_MEASURES(run_dir)``, where it has one, adds its own columns."""
    from ..analysis import spikes as analysis
    from ..models import model
    measures = getattr(model(sweep.model), "SWEEP_MEASURES", None)
    rows = []
    for run in sweep.runs:
        d = sweep.out_dir(out_root) / run.name
        row = dict(run=run.name, status=status(d), seed=run.sets["seed"], **run.varied)
        if row["status"] in ("complete", "interrupted") and (d / "spikes.h5").exists():
            end = analysis.run_end(d)
            t0 = max(0.0, end - min(100.0, end / 2))
            row["E_rate_Hz"], row["I_rate_Hz"] = analysis.class_rates(d, t0, end)
            if measures:
                row.update(measures(d))
        rows.append(row)
    return rows


def write_summary(sweep, out_root=None):
    """summary.csv, summary.h5 and one figure per headline against the swept parameter."""
    import csv
    import h5py
    import numpy as np
    rows = summary(sweep, out_root)
    out = sweep.out_dir(out_root)
    out.mkdir(parents=True, exist_ok=True)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    with h5py.File(out / "summary.h5", "w") as f:
        for c in cols:
            vals = [r.get(c, float("nan")) for r in rows]
            f[c] = np.array(vals, dtype="S") if any(isinstance(v, str) for v in vals) else np.array(vals, dtype=float)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    key = list(sweep.spec["vary"])[0]
    heads = [c for c in cols if c not in ("run", "status", "seed", *sweep.spec["vary"])
             and all(isinstance(r.get(c, 0.0), (int, float)) for r in rows)]
    fig, axes = plt.subplots(len(heads), 1, figsize=(7, 2.4 * max(len(heads), 1)), squeeze=False)
    x = np.array([r[key] for r in rows], dtype=float)
    for ax, h in zip(axes[:, 0], heads):
        ax.plot(x, [r.get(h, np.nan) for r in rows], "o")
        if np.all(x > 0) and x.max() / x.min() > 50:
            ax.set_xscale("log")
        ax.set_ylabel(h)
    axes[-1, 0].set_xlabel(key)
    axes[0, 0].set_title(f"sweep {sweep.name}: headline numbers")
    fig.tight_layout()
    fig.savefig(out / "summary.png", dpi=110)
    fig.savefig(out / "summary.pdf")
    plt.close(fig)
    return rows, [out / "summary.csv", out / "summary.h5", out / "summary.png"]
