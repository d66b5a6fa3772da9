"""Bad input found in one line (issue 28, weak cases): damaged or foreign run records and
files, impossible output paths, sweeps that cannot name their runs, a full disk before the
start, a run folder deleted during a run, refusals that leave nothing behind, a signal
during a long set-up, a plot window outside the run, an edited run.json."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest

from helpers import NETCOL, REPO, in_fresh_process, run_cli as netcol

QUIET = ["--quiet", "--no-figure"]


def one_line_error(r, *words):
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.splitlines()
    assert "Traceback" not in r.stderr and lines and lines[0].startswith("netcol: error"), r.stderr
    assert sum(line.startswith("netcol: error") for line in lines) == 1 and len(lines) <= 2, r.stderr
    for w in words:
        assert w in lines[0], r.stderr


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("fin") / "run"
    r = netcol("run", "baseline", "--set", "duration=2", "--checkpoint-every", "1", "--out", str(out), *QUIET)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture
def copy(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    return run


def edit_meta(run, **changes):
    m = json.loads((run / "run.json").read_text())
    for k, v in changes.items():
        if v is None:
            del m[k]
        else:
            m[k] = v
    (run / "run.json").write_text(json.dumps(m))


@pytest.mark.parametrize("content,words", [
    ("[]", ["a JSON list"]), ("null", ["a JSON null"]), ("{}", ["not a complete run record", "command"]),
    ("drop command", ["missing or wrong: command"]), ("model nosuch", ["names model 'nosuch'", "rowan2013"]),
])
def test_a_damaged_run_record_is_named(copy, content, words):
    if content.startswith("drop "):
        edit_meta(copy, command=None)
    elif content.startswith("model "):
        edit_meta(copy, model=content.split()[1])
    else:
        (copy / "run.json").write_text(content)
    for cmd in (["info"], ["plot", "--what", "raster"], ["resume"]):
        one_line_error(netcol(*cmd[:1], str(copy), *cmd[1:]), f"{copy / 'run.json'}", *words)


def test_a_run_record_naming_another_model(copy):
    edit_meta(copy, model="vogels2011")
    for cmd in ("info", "report"):
        one_line_error(netcol(cmd, str(copy)), "lack what vogels2011's views read", "run.json's model")


def test_a_node_id_beyond_the_nodes(copy):
    with h5py.File(copy / "spikes.h5", "a") as f:
        f["spikes/column/node_ids"][3] = 10**12
    for cmd in (["info"], ["plot", "--what", "raster"], ["report"]):
        one_line_error(netcol(cmd[0], str(copy), *cmd[1:]), "spikes.h5: damaged", "= 1000000000000 names no node")


def test_a_folder_named_like_a_run_file(copy):
    (copy / "spikes.h5").unlink()
    (copy / "spikes.h5").mkdir()
    one_line_error(netcol("info", str(copy)), "spikes.h5: a folder")


def test_output_paths_that_cannot_be(finished, tmp_path):
    long = tmp_path / ("x" * 300) / "r"
    one_line_error(netcol("run", "baseline", "--set", "duration=1", "--out", str(long), *QUIET),
                   "300 bytes long", "allows 255")
    one_line_error(netcol("export-nwb", str(finished), "--out", str(tmp_path / "no" / "such" / "x.nwb")),
                   "the folder", "does not exist")
    one_line_error(netcol("plot", str(finished), "--what", "raster", "--out", str(tmp_path / "no" / "x")),
                   "the folder", "does not exist")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("table", ["vary", "fixed"])
def test_a_seed_in_a_sweep_table(tmp_path, table):
    spec = tmp_path / "s.toml"
    values = "[1, 2]" if table == "vary" else "3"
    other = "[vary]\nduration = [1.0]\n" if table == "fixed" else "[fixed]\nduration = 1.0\n"
    spec.write_text(f'experiment = "baseline"\n{other}[{table}]\nseed = {values}\n')
    one_line_error(netcol("sweep", str(spec), "--local", "--out", str(tmp_path / "sw")), f"{table}.seed", "seeds = [")


def test_a_garbled_run_record_in_a_sweep(finished, tmp_path):
    """The damaged run is shown as such, left alone by a sweep (its results may be whole)
    and summarised as damaged; the others as they are."""
    spec = tmp_path / "s.toml"
    spec.write_text('experiment = "baseline"\n[fixed]\nduration = 2.0\n[vary]\nblock = [0.5, 1.0]\n')
    sw = tmp_path / "sw"
    shutil.copytree(finished, sw / "block1_seed2")
    shutil.copytree(finished, sw / "block0.5_seed2")
    (sw / "block0.5_seed2" / "run.json").write_text("{garbled")
    r = netcol("sweep", str(spec), "--local", "--out", str(sw), "--dry-run")
    assert r.returncode == 0 and "block0.5_seed2 [damaged (run.json unreadable)]" in r.stdout, r.stderr
    r = netcol("sweep", str(spec), "--local", "--out", str(sw))
    assert r.returncode == 1 and "run.json unreadable, left as they are" in r.stdout, r.stdout + r.stderr
    assert (sw / "block0.5_seed2" / "run.json").read_text() == "{garbled"
    r = netcol("sweep-summary", str(spec), "--out", str(sw))
    assert r.returncode == 0, r.stderr
    assert "block0.5_seed2,damaged" in (sw / "summary.csv").read_text()


@pytest.mark.parametrize("left", [0, 4 * 2**20])
def test_a_full_disk_before_the_start(small_disk, left):
    with open(small_disk / "filler", "wb", buffering=0) as f:
        try:
            f.write(b"\0" * (shutil.disk_usage(small_disk).free - left))
        except OSError:
            pass
    out = small_disk / "r"
    r = netcol("run", "baseline", "--set", "duration=1", "--out", str(out), *QUIET)
    one_line_error(r, "on the device of", str(out))
    assert not out.exists() or not list(out.iterdir())   # nothing written, no lock or stub left


def refused_by_the_models_set_up(out):
    """netcol run into out with the column's set-up refusing the run (as a model's build
    may, after the folder is prepared): the exit code, stderr's first line and the files
    left in out."""
    import contextlib
    import io
    from netcol import cli
    from netcol.config.schema import ParamError
    from netcol.models.rowan2013 import assembly

    def refuse(*args, **kwargs):
        raise ParamError("the model's set-up refuses this run")
    assembly.ColumnAssembly.__init__ = refuse
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = cli.main(["run", "baseline", "--set", "duration=1", "--out", out, "--quiet", "--no-figure"])
        except SystemExit as stop:
            code = stop.code
    return dict(code=code, first=err.getvalue().splitlines()[0], left=sorted(p.name for p in Path(out).iterdir()))


def test_refusals_after_the_folder_is_prepared_leave_no_run_record(tmp_path):
    out = tmp_path / "r"
    one_line_error(netcol("run", "baseline", "--set", "duration=1", "--out", str(out), *QUIET,
                          env={"NETCOL_FAULT": "bogus"}), "NETCOL_FAULT='bogus'")
    assert not (out / "run.json").exists()
    r = in_fresh_process(refused_by_the_models_set_up, out=str(out))
    assert r["code"] == 2 and r["first"] == "netcol: error: the model's set-up refuses this run", r
    assert r["left"] == []


def test_a_run_folder_deleted_during_the_run(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "duration=600", "--checkpoint-every", "1",
                             "--out", str(out), *QUIET], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.time() + 300
        while not (out / "checkpoint.npz").exists():
            assert proc.poll() is None and time.time() < deadline, proc.communicate()
            time.sleep(0.05)
        shutil.rmtree(out)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2 and err.startswith(f"netcol: error: the run folder {out} is gone"), err
    assert "Traceback" not in err and len(err.splitlines()) == 2, err
    assert not out.exists()


def test_a_signal_during_set_up_ends_it_between_set_up_steps(tmp_path):
    """SIGTERM right after run.json appears, while a large column is built: the run ends
    then, marked interrupted, without building the rest or writing its output files."""
    out = tmp_path / "r"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "size=32", "--set", "duration=10", "--out", str(out),
                             *QUIET], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 300
    while not (out / "run.json").exists():
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=300)
    m = json.loads((out / "run.json").read_text())
    assert proc.returncode == 130 and m["status"] == "interrupted" and m["t_reached_ms"] == 0, err
    assert "SIGTERM during set-up" in err and "Traceback" not in err, err
    assert not (out / "spikes.h5").exists() and not (out / "nodes.h5").exists()
    r = netcol("info", str(out))
    assert r.returncode == 0 and "interrupted during set-up" in r.stdout


def test_a_plot_window_outside_the_run(copy):
    before = (copy / "raster.png").stat().st_mtime_ns if (copy / "raster.png").exists() else None
    one_line_error(netcol("plot", str(copy), "--what", "raster", "--window", "50", "60"),
                   "--window 50 60", "covers 0 to 2 s")
    after = (copy / "raster.png").stat().st_mtime_ns if (copy / "raster.png").exists() else None
    assert before == after


def test_an_edited_duration_is_flagged(copy):
    m = json.loads((copy / "run.json").read_text())
    m["params"]["duration"], m["status"] = 5.0, "interrupted"
    (copy / "run.json").write_text(json.dumps(m))
    one_line_error(netcol("resume", str(copy), *QUIET), "run.json: its parameters differ",
                   "params.duration: 2.0 -> 5.0")
    r = netcol("info", str(copy))
    assert r.returncode == 0 and "warning: run.json's parameters differ" in r.stdout and "2.0 -> 5.0" in r.stdout


def test_report_of_a_run_without_spikes(tmp_path):
    """A silent column: the report is drawn, without a warning (its spectra had no
    positive value to put on a log scale)."""
    out = tmp_path / "r"
    silent = [a for k in ("RS", "FS", "LTS") for a in ("--set", f"column.external.{k}.AM2.rate=0")]
    r = netcol("run", "baseline", "--set", "duration=1", *silent, "--out", str(out), *QUIET)
    assert r.returncode == 0 and json.loads((out / "run.json").read_text())["spikes"] == 0, r.stderr
    r = netcol("report", str(out))
    assert r.returncode == 0 and r.stderr == "" and (out / "report.png").exists(), r.stderr
