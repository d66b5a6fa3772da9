"""A run folder holds one run: its files are read only as that run's, and netcol never
removes or reads as its own a file it did not write there."""
import json
import shutil

import h5py
import pytest

from helpers import run_cli as netcol

QUIET = ["--quiet", "--no-figure"]


def one_line_error(r, *words):
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stderr.startswith("netcol: error"), r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("fin") / "run"
    r = netcol("run", "onlyscaling", "--set", "duration=4", "--set", "scaling_start=2", "--checkpoint-every", "2",
               "--out", str(out), *QUIET)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def other_runs(tmp_path_factory):
    """Another run of the same model and a run of another model."""
    root = tmp_path_factory.mktemp("other")
    for name, args in (("same_model", ["onlyscaling", "--set", "duration=2", "--set", "scaling_start=1"]),
                       ("other_model", ["akil2021_small", "--set", "duration=0.3"])):
        r = netcol("run", *args, "--out", str(root / name), *QUIET)
        assert r.returncode == 0, r.stderr
    return root


@pytest.mark.parametrize("source,name,strip_id,words", [
    ("same_model", "spikes.h5", False, ["spikes.h5: belongs to another run"]),
    ("same_model", "state.h5", False, ["state.h5: belongs to another run"]),
    ("other_model", "nodes.h5", False, ["nodes.h5: belongs to another run"]),
    # a nodes.h5 written before nodes carried the run id: its population tells
    ("other_model", "nodes.h5", True, ["nodes.h5: the nodes of population 'akil2021'", "another model's run"]),
])
def test_another_runs_files_are_refused_by_name(finished, other_runs, tmp_path, source, name, strip_id, words):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    shutil.copy(other_runs / source / name, run / name)
    if strip_id:
        with h5py.File(run / name, "a") as f:
            del f.attrs["netcol_run_id"]
    for cmd in (["info"], ["report"], ["export-nwb"], ["plot", "--what", "raster"]):
        one_line_error(netcol(cmd[0], str(run), *cmd[1:]), *words)
    assert not (run / "report.png").exists() and not (run / "run.nwb").exists()


@pytest.mark.parametrize("dataset", ["gains/time", "records/time", "spikes/column/timestamps"])
def test_a_live_writer_between_two_appends_is_read_and_a_dead_ones_files_are_damaged(finished, tmp_path, dataset):
    """A running run appends to a group's datasets one after the other; a reader that
    comes in between sees one row more in the first. That is whole while the run holds
    its folder (read as the rows all hold), and damage once nobody does."""
    from netcol.api.result import load
    from netcol.io.rundir import RunLock
    from netcol.models.rowan2013.measures import read_records
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    name = "spikes.h5" if dataset.startswith("spikes") else "state.h5"
    with h5py.File(run / name, "a") as f:
        ds = f[dataset]
        ds.resize((ds.shape[0] + 1,) + ds.shape[1:])
    lock = RunLock(run)
    try:
        r = netcol("info", str(run))
        assert r.returncode == 0 and "status: " in r.stdout, r.stderr
        group = dataset.split("/")[0]
        if group != "spikes":
            rows = load(run).state(group)
            assert len({len(v) for k, v in rows.items() if k not in ("pairs", "snapshots")}) == 1, rows
            assert len({len(v) for v in read_records(run).values()}) == 1
    finally:
        lock.release()
    one_line_error(netcol("info", str(run)), f"{name}: damaged, datasets of unequal length", dataset)


def test_nodes_and_edges_carry_the_run_id(finished):
    run_id = json.loads((finished / "run.json").read_text())["run_id"]
    for name in ("spikes.h5", "state.h5", "nodes.h5", "edges.h5"):
        with h5py.File(finished / name, "r") as f:
            assert f.attrs["netcol_run_id"] == run_id, name


#: Files a user keeps in a run folder, named like netcol's own.
USER_FILES = ("holiday.png", "thesis.pdf", "download.tmp", "report_budget.h5")
SCALING = ["onlyscaling", "--set", "duration=4", "--set", "scaling_start=2", "--set", "recording_start=1",
           "--set", "recording_interval=1"]


def manifest(run):
    return set(json.loads((run / ".netcol-manifest.json").read_text())["files"])


def test_overwrite_removes_only_what_runs_recorded(tmp_path):
    run = tmp_path / "run"
    assert netcol("run", *SCALING, "--checkpoint-every", "2", "--out", str(run), "--quiet").returncode == 0
    for cmd in (["plot", str(run), "--what", "rates"], ["report", str(run)], ["export-reports", str(run)],
                ["export-nwb", str(run)]):
        r = netcol(*cmd)
        assert r.returncode == 0, r.stderr
    own = {".netcol-manifest.json"}
    assert {p.name for p in run.iterdir()} - own <= manifest(run)   # every file written is recorded
    assert {"raster.png", "report.pdf", "report_scale.h5", "run.nwb", "checkpoint.npz"} <= manifest(run)
    for name in USER_FILES:
        (run / name).write_text("mine")
    spikes = (run / "spikes.h5").read_bytes()
    one_line_error(netcol("run", *SCALING, "--out", str(run), "--overwrite", *QUIET),
                   "holds files no netcol run wrote there: download.tmp, holiday.png, report_budget.h5, thesis.pdf",
                   "--overwrite-all")
    assert all((run / name).read_text() == "mine" for name in USER_FILES)
    assert (run / "spikes.h5").read_bytes() == spikes
    for name in USER_FILES:
        (run / name).unlink()
    assert netcol("run", *SCALING, "--out", str(run), "--overwrite", *QUIET).returncode == 0
    left = {p.name for p in run.iterdir()}
    assert not left & {"raster.png", "report.pdf", "report_scale.h5", "run.nwb", "checkpoint.npz"}
    assert left - own <= manifest(run)
    (run / "holiday.png").write_text("mine")
    (run / "notes").mkdir()
    assert netcol("run", *SCALING, "--out", str(run), "--overwrite-all", *QUIET).returncode == 0
    assert not (run / "holiday.png").exists() and (run / "notes").is_dir()


@pytest.mark.parametrize("manifest_text,words", [
    (None, ["has no .netcol-manifest.json", "an earlier netcol", "among its 11: checkpoint.npz, "]),
    ('{"files": ["../outside.txt"]}', [".netcol-manifest.json: damaged, names '../outside.txt'"]),
    ("{not json", [".netcol-manifest.json: damaged"]),
])
def test_overwrite_refuses_a_folder_it_cannot_tell(finished, tmp_path, manifest_text, words):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    (tmp_path / "outside.txt").write_text("mine")
    if manifest_text is None:
        (run / ".netcol-manifest.json").unlink()
    else:
        (run / ".netcol-manifest.json").write_text(manifest_text)
    before = sorted(p.name for p in run.iterdir())
    one_line_error(netcol("run", *SCALING, "--out", str(run), "--overwrite", *QUIET), *words, "--overwrite-all")
    assert sorted(p.name for p in run.iterdir()) == before and (tmp_path / "outside.txt").exists()


def test_a_run_killed_during_set_up_says_so(tmp_path):
    import os
    import signal
    import subprocess
    import time
    from helpers import NETCOL, REPO
    out = tmp_path / "run"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "size=8", "--set", "duration=10", "--out", str(out),
                             *QUIET], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while not (out / "run.json").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "nodes.h5").exists()
    r = netcol("info", str(out))
    assert r.returncode == 0 and "status: killed during set-up" in r.stdout, r.stdout + r.stderr
    one_line_error(netcol("report", str(out)), "killed during set-up")
    assert netcol("run", "baseline", "--set", "duration=1", "--out", str(out), "--overwrite", *QUIET).returncode == 0


def test_resuming_a_complete_run_does_nothing(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    r = netcol("resume", str(run), *QUIET)
    assert r.returncode == 0 and "the run is complete (4 s simulated); nothing to resume" in r.stdout, r.stderr
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_failed_sweep_runs_error_file_is_the_runs(tmp_path):
    """sweep_error.txt is recorded in the run folder's manifest: run --overwrite reuses the folder."""
    spec = tmp_path / "s.toml"
    spec.write_text('experiment = "baseline"\nseeds = [1]\n[fixed]\nduration = 1.0\n[vary]\n'
                    '"column.external.RS.AM2.rate" = [250.0]\n')
    out = tmp_path / "out"
    r = netcol("sweep", str(spec), "--task", "0", "--out", str(out), env={"NETCOL_FAULT": "raise@0.5"})
    run = out / "rate250_seed1"
    assert r.returncode == 1 and (run / "sweep_error.txt").exists(), r.stdout + r.stderr
    assert "sweep_error.txt" in manifest(run)
    r = netcol("run", "baseline", "--set", "duration=1", "--out", str(run), "--overwrite", *QUIET)
    assert r.returncode == 0 and not (run / "sweep_error.txt").exists(), r.stderr
