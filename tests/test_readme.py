"""Every command of the README's shell blocks works as written.

Runs are checked with `netcol run --check` (every parameter validated exactly as written,
nothing simulated: some runs take hours), sweeps with --dry-run, and the commands that
read run folders run for real on short runs made here under the README's own paths.
The Makefile targets must exist (make -n); the batch script answers --help; the GUI
has its own tests.  A README command this file cannot classify fails the test, so a
new example cannot go untested.
"""
import os
import re
import shlex
import subprocess
import sys

import pytest

from helpers import NETCOL, REPO

README = REPO / "README.md"


def readme_commands():
    """The README's shell commands, continuation lines joined, comments removed."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s+#\s", line.strip())[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


#: Short runs under the README's paths, for the commands that read run folders.
FOLDERS = {
    "runs/b60": ["baseline", "--set", "duration=2", "--set", "recording_start=0.5", "--set", "recording_interval=0.5"],
    "runs/fig3": ["onlyscaling", "--set", "duration=4", "--set", "scaling_start=1", "--set", "recording_interval=1",
                  "--checkpoint-every", "2"],
    "runs/paper/onlydeletion": ["onlydeletion", "--set", "duration=12", "--set", "segment_length=4",
                                "--set", "trial_length=2", "--set", "recording_interval=2", "--set", "scaling_start=2"],
    "runs/paper/scalingwithdeletion": ["scalingwithdeletion", "--set", "duration=12", "--set", "segment_length=4",
                                       "--set", "trial_length=2", "--set", "recording_interval=2",
                                       "--set", "scaling_start=2"],
    "runs/sadeh2015": ["sadeh2015", "--set", "blocks=2", "--set", "tuning_orientations=4",
                       "--set", "tuning_length=0.5"],
    "runs/akil2021_istdp": ["akil2021_istdp", "--set", "n=500", "--set", "n_x=100", "--set", "duration=1",
                            "--set", "recording_interval=0.1", "--set", "block=0.5"],
    "runs/vogels2011_long": ["vogels2011_long", "--set", "n_e=800", "--set", "n_i=200", "--set", "p_e=0.2",
                             "--set", "p_ii=0.2", "--set", "p_ie=0.2", "--set", "duration=2",
                             "--set", "recording_interval=0.5"],
}
#: Sweeps the README may summarise, with settings that shorten their runs: for each one it
#: does, the fixture makes the sweep's first run (its own --set values, then these) where
#: `netcol sweep` would put it.
SWEEP_RUNS = {
    "onlytraining-plastinc": ["duration=4", "learn_start=1", "learn_end=3", "recording_start=1",
                              "recording_interval=1"],
}
#: Commands that read run folders (run for real on FOLDERS).
READERS = ("resume", "repair", "info", "plot", "report", "export-reports", "export-nwb")


def netcol_args(cmd):
    """The arguments after netcol in a command (with or without mpiexec/srun before it),
    or None when the command does not run netcol."""
    words = shlex.split(cmd)
    for k, w in enumerate(words):
        if w.endswith("bin/netcol"):
            return words[k + 1:]
    return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with the README's run folders."""
    base = tmp_path_factory.mktemp("readme")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for folder, args in FOLDERS.items():
        r = subprocess.run([*NETCOL, "run", *args, "--out", folder, "--quiet", "--no-figure"], cwd=base,
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (folder, r.stderr)
    from netcol.engine.sweep import load_sweep
    for spec in {netcol_args(c)[1] for c in readme_commands() if (netcol_args(c) or [""])[0] == "sweep-summary"}:
        assert spec in SWEEP_RUNS, f"the README summarises sweep {spec}: give it short runs in SWEEP_RUNS"
        shorter = SWEEP_RUNS[spec]
        sweep = load_sweep(spec)
        first = sweep.runs[0]
        sets = [a for k, v in first.sets.items() for a in ("--set", f"{k}={v}")]
        sets += [a for s in shorter for a in ("--set", s)]
        r = subprocess.run([*NETCOL, "run", sweep.spec["experiment"], *sets, "--out",
                            str(sweep.out_dir() / first.name), "--quiet", "--no-figure"], cwd=base,
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (spec, r.stderr)
    return base


def run_here(base, argv):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(argv, cwd=base, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("cmd", readme_commands())
def test_readme_command(cmd, workdir):
    words = shlex.split(cmd)
    if words[0] == "make":
        r = run_here(REPO, ["make", "-n", *words[1:]])
        assert r.returncode == 0, r.stderr
        return
    if words[0].endswith("bin/python") and words[1].startswith("batch/"):
        r = run_here(REPO, [sys.executable, words[1], "--help"])
        assert r.returncode == 0 and "--out" in r.stdout, r.stderr
        return
    args = netcol_args(cmd)
    assert args is not None, f"README command not covered by this test: {cmd}"
    if args[0] == "gui":
        pytest.skip("the GUI needs a display: tests/test_gui.py runs it under Xvfb")
    if args[0] == "run" and "--help" not in args:
        args = [*args, "--check"]
    elif args[0] == "sweep":
        args = [*args, "--out", "sweeps"] + ([] if "--dry-run" in args or "--local" not in args else ["--dry-run"])
    elif args[0] not in READERS + ("run", "sweep-summary", "list"):
        pytest.fail(f"README command not covered by this test: {cmd}")
    if args[0] == "sweep-summary":
        assert args[1] in SWEEP_RUNS, f"README sweep-summary of a sweep this test does not run: {cmd}"
    r = run_here(workdir, [*NETCOL, *args])
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    if args[0] == "sweep-summary":
        check_sweep_summary(workdir, args[1])


def check_sweep_summary(base, spec):
    """summary.csv has a row per run of the sweep, in order: the one run made here complete
    with its rates and the model's own measures (its SWEEP_MEASURES of that run, if any), the
    others pending without numbers; summary.h5 and the figure are written."""
    import csv
    import math
    from netcol.engine.sweep import load_sweep
    from netcol.models import model
    sweep = load_sweep(spec)
    out = base / sweep.out_dir()
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["run"] for r in rows] == [run.name for run in sweep.runs]
    done, pending = rows[0], rows[1:]
    measures = getattr(model(sweep.model), "SWEEP_MEASURES", None)
    measures = measures(out / done["run"]) if measures else {}
    assert done["status"] == "complete"
    assert float(done["E_rate_Hz"]) > 0 and float(done["I_rate_Hz"]) > 0
    for key, value in measures.items():
        assert float(done[key]) == value or (math.isnan(value) and math.isnan(float(done[key]))), key
    for key in sweep.spec["vary"]:
        assert float(done[key]) == sweep.runs[0].varied[key]
    assert all(r["status"] == "pending" and r["E_rate_Hz"] == "" for r in pending)
    assert (out / "summary.h5").exists() and (out / "summary.png").stat().st_size > 0
