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
    r = run_here(workdir, [*NETCOL, *args])
    if args[0] == "sweep-summary":   # no sweep has run here: it must say so, in one line
        assert r.returncode in (0, 2) and "Traceback" not in r.stderr, r.stderr
        return
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
