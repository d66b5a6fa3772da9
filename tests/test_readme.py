"""Every command of the shell blocks of the README and of the documentation's pages works
as written.

A shell block is a fenced block marked sh, bash, shell or console (of a console block,
the lines that start with "$ ").  Each command is classified, explicitly:

- `make TARGET`: the target exists (make -n);
- `.venv/bin/python batch/SCRIPT`: the script answers --help;
- `.venv/bin/python -c CODE`: runs for real, in the folder of the short runs below;
- `netcol run` (also under mpiexec): `netcol run --check` with every setting exactly as
  written (every parameter validated, nothing simulated: some runs take hours); a command
  whose comment says "fails:" must fail with one line, as the page says;
- `netcol gui`: needs a display, so its experiment and settings are checked with
  `netcol run --check` here (tests/test_gui.py opens the GUI under Xvfb);
- `netcol sweep`: its runs are listed with --dry-run, its job scripts written
  (--slurm, --sge, --pbs write a script and submit nothing), under a folder of the test's;
- `netcol sweep-summary`: summarises one shortened run of the sweep (SWEEP_RUNS);
- commands that read run folders (info, plot, report, exports, resume, repair): run for
  real on short runs made here under the pages' own paths (FOLDERS);
- `netcol list`: runs.

A command this file cannot classify fails the test, so a new example cannot go untested.
Experiment and network files that a page shows in a toml block, naming the file in the
paragraph before it (`my_column.toml` ...), are written into a folder of that page, in
which the page's commands that name them run.
"""
import os
import re
import shlex
import subprocess
import sys

import pytest

from helpers import NETCOL, REPO

#: The pages whose shell blocks are tested (the generated reference has none).
PAGES = [REPO / "README.md"] + sorted(p for p in (REPO / "docs").rglob("*.md") if "reference" not in p.parts)
SHELL = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


def page_id(page):
    return str(page.relative_to(REPO))


def page_files(page):
    """{file name: text} of the toml blocks of a page that the paragraph before them names."""
    text, out, end = page.read_text(), {}, 0
    for m in FENCE.finditer(text):
        before = text[end:m.start()].strip().split("\n\n")[-1]
        end = m.end()
        if m.group(1) == "toml":
            names = re.findall(r"`([\w.-]+\.toml)`", before)
            if names:
                out[names[-1]] = m.group(2)
    return out


def page_commands(page):
    """[(line number, command, comment)] of a page's shell blocks: continuation lines
    joined, comments split off."""
    text, out = page.read_text(), []
    for m in FENCE.finditer(text):
        if m.group(1) not in SHELL:
            continue
        first = text[:m.start(2)].count("\n") + 1
        lines = m.group(2).replace("\\\n", " ").splitlines()
        for k, line in enumerate(lines):
            line = line.strip()
            if m.group(1) == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            parts = re.split(r"\s+#\s", line, maxsplit=1)
            cmd = parts[0].strip()
            if cmd and not cmd.startswith("#"):
                out.append((first + k, cmd, parts[1].strip() if len(parts) > 1 else ""))
    return out


def all_commands():
    """pytest params: every command once (a command that names a file of its page, once per
    page), with the page and line where it first appears."""
    seen, params = set(), []
    for page in PAGES:
        files = page_files(page)
        for line, cmd, comment in page_commands(page):
            own = [w for w in shlex.split(cmd) if w in files]
            key = (cmd, comment.startswith("fails:"), page_id(page) if own else None)
            if key in seen:
                continue
            seen.add(key)
            params.append(pytest.param(page, cmd, comment, id=f"{page_id(page)}:{line}"))
    return params


#: Short runs under the pages' paths, for the commands that read run folders. "@PAGE:FILE"
#: names a file a page shows (written into that page's folder).
FOLDERS = {
    "runs/baseline": ["baseline", "--set", "duration=2"],
    "runs/b60": ["baseline", "--set", "duration=2", "--set", "recording_start=0.5", "--set", "recording_interval=0.5"],
    "runs/drive": ["baseline", "--set", "duration=2", "--set", "column.external.RS.AM2.rate=350"],
    "runs/tas": ["trainingandscaling", "--set", "duration=4", "--set", "learn_start=1", "--set", "learn_end=3",
                 "--set", "scaling_start=1", "--set", "recording_start=1", "--set", "recording_interval=1"],
    "runs/fig3": ["onlyscaling", "--set", "duration=4", "--set", "scaling_start=1", "--set", "recording_interval=1",
                  "--checkpoint-every", "2"],
    "runs/paper/onlydeletion": ["onlydeletion", "--set", "duration=12", "--set", "segment_length=4",
                                "--set", "trial_length=2", "--set", "recording_interval=2", "--set", "scaling_start=2"],
    "runs/paper/scalingwithdeletion": ["scalingwithdeletion", "--set", "duration=12", "--set", "segment_length=4",
                                       "--set", "trial_length=2", "--set", "recording_interval=2",
                                       "--set", "scaling_start=2"],
    "runs/traces": ["@docs/recording.md:my_traces.toml", "--set", "duration=1"],
    "runs/sadeh2015": ["sadeh2015", "--set", "blocks=2", "--set", "tuning_orientations=4",
                       "--set", "tuning_length=0.5"],
    "runs/akil2021_istdp": ["akil2021_istdp", "--set", "n=500", "--set", "n_x=100", "--set", "duration=1",
                            "--set", "recording_interval=0.1", "--set", "block=0.5"],
    "runs/vogels2011_long": ["vogels2011_long", "--set", "n_e=800", "--set", "n_i=200", "--set", "p_e=0.2",
                             "--set", "p_ii=0.2", "--set", "p_ie=0.2", "--set", "duration=2",
                             "--set", "recording_interval=0.5"],
}
#: Sweeps the pages summarise, with settings that shorten their runs: the fixture makes the
#: first run of each (its own --set values, then these) where `netcol sweep` would put it.
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
        if w == "netcol" or w.endswith("bin/netcol"):
            return words[k + 1:]
    return None


def page_dir(base, page):
    return base / "pages" / page_id(page).replace("/", "_")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with the pages' run folders, and each page's files in pages/<page>/."""
    base = tmp_path_factory.mktemp("readme")
    for page in PAGES:
        for name, text in page_files(page).items():
            folder = page_dir(base, page)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for folder, args in FOLDERS.items():
        if args[0].startswith("@"):
            page, name = args[0][1:].split(":")
            args = [str(page_dir(base, REPO / page) / name), *args[1:]]
        r = subprocess.run([*NETCOL, "run", *args, "--out", folder, "--quiet", "--no-figure"], cwd=base,
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (folder, r.stderr)
    from netcol.engine.sweep import load_sweep
    summarised = {netcol_args(c)[1] for p in PAGES for _, c, _ in page_commands(p)
                  if (netcol_args(c) or [""])[0] == "sweep-summary"}
    for spec in summarised:
        assert spec in SWEEP_RUNS, f"a page summarises sweep {spec}: give it short runs in SWEEP_RUNS"
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


def test_every_page_is_read():
    """The pages exist and the parser finds the commands of the README and the tutorial."""
    commands = {page_id(p): [c for _, c, _ in page_commands(p)] for p in PAGES}
    assert "make run" in commands["README.md"] and "make run" in commands["docs/tutorial.md"]
    assert any(c.startswith(".venv/bin/netcol sweep") for c in commands["docs/clusters.md"])
    assert "my_column.toml" in page_files(REPO / "README.md")


@pytest.mark.parametrize("page,cmd,comment", all_commands())
def test_command(page, cmd, comment, workdir):
    words = shlex.split(cmd)
    if words[0] == "make":
        r = run_here(REPO, ["make", "-n", *words[1:]])
        assert r.returncode == 0, r.stderr
        return
    if words[0].endswith("bin/python") and words[1:2] == ["-c"]:
        r = run_here(workdir, [sys.executable, "-c", words[2]])
        assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
        return
    if words[0].endswith("bin/python") and words[1].startswith("batch/"):
        r = run_here(REPO, [sys.executable, words[1], "--help"])
        assert r.returncode == 0 and "--out" in r.stdout, r.stderr
        return
    args = netcol_args(cmd)
    assert args is not None, f"{page_id(page)}: command not covered by this test: {cmd}"
    where = workdir
    if any(w in page_files(page) for w in args):   # it names a file the page shows
        where = page_dir(workdir, page)
    if args[0] == "gui":   # needs a display: its experiment and settings are checked as a run's
        args = ["run", *args[1:], "--check"]
    elif args[0] == "run" and "--help" not in args:
        args = [*args, "--check"]
    elif args[0] == "sweep":
        args = [*args, "--out", "sweeps"] + ([] if "--dry-run" in args or "--local" not in args else ["--dry-run"])
    elif args[0] not in READERS + ("run", "sweep-summary", "list"):
        pytest.fail(f"{page_id(page)}: command not covered by this test: {cmd}")
    if args[0] == "sweep-summary":
        assert args[1] in SWEEP_RUNS, f"sweep-summary of a sweep this test does not run: {cmd}"
    r = run_here(where, [*NETCOL, *args])
    if comment.startswith("fails:"):
        assert r.returncode == 2 and r.stderr.startswith("netcol: error") and "Traceback" not in r.stderr, \
            f"{cmd}\n{r.stdout}\n{r.stderr}"
        return
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
