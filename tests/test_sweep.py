"""Parameter sweeps: local runs, resumability, failures, cluster scripts, summaries, bad input."""
import csv
import os
import subprocess

import h5py
import pytest

from netcol.config.schema import ParamError
from netcol.engine.sweep import load_sweep

from helpers import REPO, run_cli as netcol

SPEC = """experiment = "baseline"
description = "test sweep"
seeds = [1, 2]
[fixed]
duration = 1.0
recording_interval = 0.5
[vary]
"column.external.RS.AM2.rate" = [250.0, 300.0, 350.0]
[resources]
np = {np}
time = "00:10:00"
memory = "2G"
"""


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "mysweep.toml"
    p.write_text(SPEC.format(np=1))
    return p


def test_local_sweep_then_summary_then_nothing_to_do(spec, tmp_path):
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), "--local", "-j", "2", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    dirs = sorted(d.name for d in out.iterdir() if d.is_dir())
    assert dirs == sorted(f"rate{v}_seed{s}" for v in (250, 300, 350) for s in (1, 2))
    stamps = {d: (out / d / "run.json").stat().st_mtime_ns for d in dirs}
    r = netcol("sweep-summary", str(spec), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and all(row["status"] == "complete" for row in rows)
    rates = {(float(row["column.external.RS.AM2.rate"]), int(row["seed"])): float(row["E_rate_Hz"]) for row in rows}
    for s in (1, 2):   # more excitatory drive, more E firing
        assert rates[(250.0, s)] < rates[(300.0, s)] < rates[(350.0, s)]
    with h5py.File(out / "summary.h5", "r") as f:
        assert len(f["E_rate_Hz"]) == 6
    assert (out / "summary.png").exists()
    r = netcol("sweep", str(spec), "--local", "--out", str(out))       # rerun: nothing to do
    assert r.returncode == 0 and r.stdout.count(": complete") == 6
    assert {d: (out / d / "run.json").stat().st_mtime_ns for d in dirs} == stamps


def test_a_failing_run_is_recorded_and_the_others_complete(spec, tmp_path):
    out = tmp_path / "out"
    broken = out / "rate300_seed1"
    (broken / "spikes.h5").mkdir(parents=True)          # the run cannot write its spike file
    r = netcol("sweep", str(spec), "--local", "--out", str(out))
    assert r.returncode == 1 and "5 complete, 1 not" in r.stdout and "rate300_seed1" in r.stdout
    assert "exit code" in (broken / "sweep_error.txt").read_text()
    assert sum((d / "run.json").exists() and d != broken for d in out.iterdir()) == 5
    r = netcol("sweep", str(spec), "--local", "--out", str(out))       # failed runs stay failed...
    assert "rate300_seed1: failed" in r.stdout
    (broken / "spikes.h5").rmdir()
    r = netcol("sweep", str(spec), "--local", "--out", str(out), "--retry-failed")   # ...unless retried
    assert r.returncode == 0 and "6 complete, 0 not" in r.stdout


@pytest.mark.parametrize("kind,directives,env_index", [
    ("slurm", ["#SBATCH --array=0-5", "#SBATCH --ntasks=2", "#SBATCH --time=00:10:00", "#SBATCH --mem=2G",
               "srun"], ("SLURM_ARRAY_TASK_ID", "3", "rate300_seed2")),
    ("sge", ["#$ -S /bin/bash", "#$ -t 1-6", "#$ -pe mpi 2", "#$ -l h_rt=00:10:00", "#$ -l h_vmem=1024M", "mpirun"],
     ("SGE_TASK_ID", "1", "rate250_seed1")),
    ("pbs", ["#PBS -t 0-5", "#PBS -l nodes=1:ppn=2", "#PBS -l walltime=00:10:00", "#PBS -l mem=2g", "mpirun"],
     ("PBS_ARRAYID", "3", "rate300_seed2")),
])
def test_cluster_scripts(tmp_path, kind, directives, env_index):
    spec = tmp_path / "mysweep.toml"
    spec.write_text(SPEC.format(np=2))
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), f"--{kind}", "--out", str(out))
    assert r.returncode == 0, r.stderr
    script = out / f"sweep.{kind}"
    assert ("sbatch " if kind == "slurm" else "qsub ") + str(script) in r.stdout
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    for d in directives:
        assert d in text
    assert "-m netcol.cli sweep" in text and "--task" in text
    # run it as the array task with that index would (no srun/mpirun here)
    var, value, expected = env_index
    res = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, **{var: value, "NETCOL_LAUNCHER": "none"}))
    assert res.returncode == 0, res.stdout + res.stderr
    done = [d.name for d in out.iterdir() if (d / "run.json").exists()]
    assert done == [expected]


def test_dry_run_runs_nothing(spec, tmp_path):
    r = netcol("sweep", str(spec), "--local", "--dry-run", "--out", str(tmp_path / "out"))
    assert r.returncode == 0 and "6 runs in" in r.stdout and "[pending]" in r.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("edit,words", [
    (('"column.external.RS.AM2.rate" = [250.0, 300.0, 350.0]', '"colour" = [1, 2]'), ["unknown parameter", "colour"]),
    (('"column.external.RS.AM2.rate" = [250.0, 300.0, 350.0]', '"column.external.RS.AM2.rate" = []'),
     ["non-empty list"]),
    (('"column.external.RS.AM2.rate" = [250.0, 300.0, 350.0]', '"column.external.RS.AM2.rate" = [1e-10, 1.0e-10]'),
     ["would share the output folder"]),
    (('"column.external.RS.AM2.rate" = [250.0, 300.0, 350.0]', '"column.external.RS.AM2.rate" = [-1.0]'),
     ["rate", "-1"]),
    (("seeds = [1, 2]", "seeds = []"), ["seeds"]),
])
def test_bad_sweeps_are_rejected_before_anything_runs(tmp_path, edit, words):
    p = tmp_path / "bad.toml"
    p.write_text(SPEC.format(np=1).replace(*edit))
    with pytest.raises(ParamError) as err:
        load_sweep(p)
    for w in words:
        assert w in str(err.value)
    r = netcol("sweep", str(p), "--local", "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and not (tmp_path / "out").exists()


def test_every_shipped_sweep_expands_and_checks():
    counts = {p.stem: len(load_sweep(p).runs) for p in sorted((REPO / "batch/rowan2013").glob("*.toml"))}
    assert counts["onlyscaling-activitybeta"] == 8 and counts["onlyscaling-activitygamma"] == 9
    assert counts["onlytraining-plastinc"] == 6 and counts["trainingandscaling-trainrate"] == 8
    assert counts["alz-activitygamma"] == 12 and counts["onlydeletion-deletionstep"] == 5
    assert counts["onlytrainingAllTrainRand-plastinc"] == 6
    assert len(counts) == 16


STAND_INS = {
    # srun inside an allocation: check the PMI, start the ranks with the project's mpiexec
    "srun": """#!{python}
import os, sys
args = sys.argv[1:]
assert args[0] == "--mpi=pmi2" and args[1] == "-n", args
n, cmd = args[2], args[3:]
os.execv({mpiexec!r}, [{mpiexec!r}, "-n", n, *cmd])
""",
    # sbatch / qsub: run every array task of the script here, one after the other
    **{submit: """#!{{python}}
import os, re, subprocess, sys
text = open(sys.argv[1]).read()
first, last = map(int, re.search(r"{pattern}", text).groups())
for i in range(first, last + 1):
    subprocess.run(["bash", sys.argv[1]], check=True, env=dict(os.environ, {variable}=str(i)))
print("submitted")
""".format(pattern=pattern, variable=variable)
       for submit, pattern, variable in (("sbatch", r"#SBATCH --array=(\d+)-(\d+)", "SLURM_ARRAY_TASK_ID"),
                                         ("qsub", r"#\$ -t (\d+)-(\d+)", "SGE_TASK_ID"))},
}


@pytest.mark.mpi
@pytest.mark.slow
@pytest.mark.parametrize("kind,submit", [("slurm", "sbatch"), ("sge", "qsub")])
def test_job_scripts_run_through_stand_in_schedulers(tmp_path, kind, submit):
    """The generated script, submitted to a stand-in sbatch/qsub that runs its array tasks
    here, runs every run of the sweep on the requested 2 ranks."""
    import json
    import shutil
    import sys
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    for name, text in STAND_INS.items():
        (bin_dir / name).write_text(text.format(python=sys.executable, mpiexec=mpiexec))
        (bin_dir / name).chmod(0o755)
    spec = tmp_path / "mysweep.toml"
    spec.write_text(SPEC.format(np=2).replace("seeds = [1, 2]", "seeds = [1]"))
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), f"--{kind}", "--out", str(out), "--throttle", "2")
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    res = subprocess.run([submit, str(out / f"sweep.{kind}")], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    runs = sorted(d for d in out.iterdir() if (d / "run.json").exists())
    assert [d.name for d in runs] == ["rate250_seed1", "rate300_seed1", "rate350_seed1"]
    for d in runs:
        meta = json.loads((d / "run.json").read_text())
        assert meta["status"] == "complete" and meta["ranks"] == 2


def test_dry_run_prints_the_exact_commands(spec, tmp_path):
    r = netcol("sweep", str(spec), "--slurm", "--dry-run", "--out", str(tmp_path / "out"))
    assert r.returncode == 0
    first = r.stdout.splitlines()[0]
    assert "srun --mpi=pmi2 -n 1" in first and " run baseline --out " in first and "--set seed=1" in first
    # the script it would write, and what it asks for: 6 runs x 1 rank x 10 minutes
    assert "#SBATCH --array=0-5" in r.stdout and "trap requeue TERM" in r.stdout
    assert "at most 1.0 core-hours (6 runs x 1 ranks x 00:10:00)" in r.stdout
    assert not (tmp_path / "out").exists()


def test_slurm_script_loads_modules_before_strict_mode(tmp_path):
    """Module scripts read unset variables: `module load` comes before `set -u`, after the
    last #SBATCH line (sbatch stops reading directives at the first command)."""
    spec = tmp_path / "m.toml"
    spec.write_text(SPEC.format(np=2).replace('memory = "2G"', 'memory = "2G"\nmodules = "gcc openmpi"'))
    r = netcol("sweep", str(spec), "--slurm", "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "out" / "sweep.slurm").read_text().splitlines()
    load, strict = lines.index("module load gcc openmpi"), lines.index("set -euo pipefail")
    assert load < strict and max(i for i, line in enumerate(lines) if line.startswith("#SBATCH")) < load
    assert "#SBATCH --nodes=1" in lines and "#SBATCH --signal=B:TERM@300" in lines


@pytest.mark.parametrize("experiment, vary, fixed, columns", [
    ("vogels2011_small", '"target_rate" = [2.0, 8.0]', "duration = 0.6\nplasticity_start = 0.2\nrecording_interval = 0.1",
     ("IE_weight_end_nS", "E_isi_cv")),
    ("akil2021_small", '"recording_interval" = [0.1, 0.2]', "duration = 0.4",
     ("EE_weight_end", "IE_weight_end", "E_current_balance")),
    ("sadeh2015", '"blocks" = [1, 2]', "", ("EE_weight_similar_mV", "EE_weight_dissimilar_mV")),
])
def test_sweep_summary_names_each_models_measures(tmp_path, experiment, vary, fixed, columns):
    """sweep-summary works for every model: the E and I rates of every run and the model's
    own headline numbers (its SWEEP_MEASURES)."""
    spec = tmp_path / "s.toml"
    spec.write_text(f'experiment = "{experiment}"\nseeds = [1]\n[fixed]\n{fixed}\n[vary]\n{vary}\n'
                    '[resources]\nnp = 1\ntime = "00:10:00"\nmemory = "2G"\n')
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), "--local", "--out", str(out), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    r = netcol("sweep-summary", str(spec), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and all(row["status"] == "complete" for row in rows)
    for row in rows:
        assert float(row["E_rate_Hz"]) > 0 and float(row["I_rate_Hz"]) > 0
        assert all(c in row for c in columns)
        assert any(row[c] not in ("", "nan") for c in columns)


REQUEUE_STAND_INS = {
    # scontrol requeue: note the request (the stand-in sbatch runs the task again)
    "scontrol": """#!/bin/bash
echo "$@" >> {log}
""",
    # sbatch: run array task 0; once its run has a checkpoint, send the batch shell TERM as
    # --signal=B:TERM does before the time limit; run it again if it asked for a requeue
    "sbatch": """#!{python}
import json, os, signal, subprocess, sys, time
env = dict(os.environ, SLURM_ARRAY_TASK_ID="0", SLURM_ARRAY_JOB_ID="77", NETCOL_LAUNCHER="none")
task = subprocess.Popen(["bash", sys.argv[1]], env=env)
run = {run!r}
deadline = time.time() + 300
while time.time() < deadline and task.poll() is None:
    try:
        meta = json.load(open(os.path.join(run, "run.json")))
    except (OSError, ValueError):
        meta = {{}}
    if os.path.exists(os.path.join(run, "checkpoint.npz")) and meta.get("t_reached_ms", 0) >= 2000:
        break
    time.sleep(0.05)
assert task.poll() is None, "the task ended before its first checkpoint"
task.send_signal(signal.SIGTERM)
assert task.wait(timeout=300) == 0
if "requeue 77_0" in open({log!r}).read():
    subprocess.run(["bash", sys.argv[1]], env=env, check=True)
print("submitted")
""",
}


@pytest.mark.slow
def test_a_slurm_task_stopped_before_its_time_limit_is_requeued_and_resumes_exactly(tmp_path):
    """The SLURM script's trap: TERM (sent by --signal=B:TERM before the time limit) stops the
    run at the end of its block and requeues the task, which resumes from the checkpoint;
    the result equals an uninterrupted run's."""
    import json
    import sys
    from helpers import same_outputs
    spec = tmp_path / "long.toml"
    spec.write_text('experiment = "baseline"\nseeds = [1]\n[fixed]\nduration = 8.0\nrecording_interval = 1.0\n'
                    '[vary]\n"column.external.RS.AM2.rate" = [300.0]\n'
                    '[resources]\nnp = 1\ntime = "00:10:00"\nmemory = "2G"\ncheckpoint_every = 1.0\n')
    out = tmp_path / "out"
    run = out / "rate300_seed1"
    bin_dir, log = tmp_path / "bin", tmp_path / "scontrol.log"
    bin_dir.mkdir()
    log.write_text("")
    for name, text in REQUEUE_STAND_INS.items():
        (bin_dir / name).write_text(text.format(python=sys.executable, log=str(log), run=str(run)))
        (bin_dir / name).chmod(0o755)
    r = netcol("sweep", str(spec), "--slurm", "--out", str(out))
    assert r.returncode == 0, r.stderr
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    res = subprocess.run(["sbatch", str(out / "sweep.slurm")], capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    assert log.read_text().split() == ["requeue", "77_0"]
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "complete" and 2000 <= meta["resumed_from_ms"] < 8000
    whole = tmp_path / "whole"
    r = netcol("run", "baseline", "--set", "duration=8", "--set", "recording_interval=1", "--set", "seed=1",
               "--set", "column.external.RS.AM2.rate=300", "--checkpoint-every", "1", "--out", str(whole),
               "--quiet", "--no-figure", timeout=600)
    assert r.returncode == 0, r.stderr
    same_outputs(run, whole)


def test_swept_values_reach_the_run_exactly(tmp_path):
    """A value with more than 6 significant digits runs as given (it ran rounded to
    3.14159), and values alike to 6 digits get folders of their own; values 6 digits
    give exactly keep their short names."""
    import json
    spec = tmp_path / "pi.toml"
    spec.write_text('experiment = "vogels2011_small"\nseeds = [1]\n[fixed]\nduration = 0.1\n'
                    'recording_interval = 0.1\n[vary]\ntarget_rate = [3.14159265, 3.1415926, 2.5]\n')
    sweep = load_sweep(spec)
    assert [run.name for run in sweep.runs] == ["target_rate3.14159265_seed1", "target_rate3.1415926_seed1",
                                                "target_rate2.5_seed1"]
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), "--task", "0", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    meta = json.loads((out / "target_rate3.14159265_seed1" / "run.json").read_text())
    assert meta["params"]["target_rate"] == 3.14159265


@pytest.mark.parametrize("where", ["command line", "spec"])
def test_a_line_break_in_a_resource_is_refused(spec, tmp_path, where):
    """A newline in --partition (or in the spec's resources) added a line to the job script."""
    args = ["--partition", "gpu\n#SBATCH --wrap=x"] if where == "command line" else []
    if where == "spec":
        spec.write_text(SPEC.format(np=1) + 'partition = "gpu\\n#SBATCH --wrap=x"\n')
    r = netcol("sweep", str(spec), "--slurm", *args, "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "partition = 'gpu\\n#SBATCH --wrap=x': a line break" in r.stderr, r.stderr
    assert not (tmp_path / "out" / "sweep.slurm").exists()
