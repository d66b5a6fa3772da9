"""Reliability: repeated interrupt/resume cycles, errors on any rank, off-grid times and
oversized runs, one writer per folder, damaged files, killed files, a full disk, and
kill -9 at random times.  Faults are injected with NETCOL_FAULT (netcol.engine.faults) or with
real signals from outside."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest

from helpers import REPO, NETCOL, run_cli as netcol, same_outputs

QUIET = ["--quiet", "--no-figure"]
#: Every experiment, shortened, with a checkpoint every 4 s.
SHORT = {
    "baseline": ["duration=16"],
    "onlytraining": ["duration=16", "learn_start=2", "learn_end=14", "column.stdp.EE_inc=0.01"],
    "trainingandscaling": ["duration=16", "learn_start=2", "learn_end=14", "scaling_start=2",
                           "column.stdp.EE_inc=0.01"],
    "onlyscaling": ["duration=16", "scaling_start=2", "column.mechanism.beta=4e-5"],
    "onlydeletion": ["duration=16", "segment_length=3", "trial_length=2", "recording_interval=2"],
    "scalingwithdeletion": ["duration=16", "segment_length=3", "trial_length=2", "recording_interval=2",
                            "scaling_start=2", "column.mechanism.beta=4e-5"],
}


def sets(items):
    return [a for s in items for a in ("--set", s)]


def meta(run_dir):
    return json.loads((run_dir / "run.json").read_text())


def wait_for(condition, what, proc, seconds=120):
    """Poll condition() until true while proc runs; fail naming what was awaited if proc
    ends first or after `seconds` (killing proc's process group, started in its own session)."""
    deadline = time.time() + seconds
    while not condition():
        ended = proc.poll() is not None
        if ended or time.time() > deadline:
            if not ended:
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"{what}: {'the run ended first' if ended else f'not after {seconds} s'}\n"
                        f"{(out or '')[-2000:]!r}\n{(err or '')[-2000:]!r}")
        time.sleep(0.02)


def checkpointed(run_dir, after=None):
    """A condition: run.json names a checkpoint (later than `after`, in ms)."""
    def met():
        if not (run_dir / "run.json").exists():
            return False
        t = meta(run_dir).get("last_checkpoint_ms")
        return t is not None and (after is None or t > after)
    return met


def one_line_error(r, *words):
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and r.stderr.startswith("netcol: error"), r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


@pytest.mark.slow
@pytest.mark.mpi
@pytest.mark.parametrize("exp", sorted(SHORT))
def test_three_interrupt_resume_cycles_give_the_uninterrupted_result(tmp_path, exp):
    args = sets(SHORT[exp]) + ["--checkpoint-every", "4"]
    full, cut = tmp_path / "full", tmp_path / "cut"
    r = netcol("run", exp, *args, "--out", str(full), *QUIET)
    assert r.returncode == 0, r.stderr
    # SIGTERM after 5, 9 and 13 s: each resume restarts from the checkpoint before
    r = netcol("run", exp, *args, "--out", str(cut), *QUIET, env={"NETCOL_FAULT": "sigterm@5"})
    assert r.returncode == 130 and meta(cut)["status"] == "interrupted", r.stderr
    for t, np_ in ((9, 2), (13, 1)):
        r = netcol("resume", str(cut), "--np", str(np_), *QUIET, env={"NETCOL_FAULT": f"sigterm@{t}"})
        assert r.returncode == 130 and meta(cut)["status"] == "interrupted", r.stderr
    r = netcol("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0 and meta(cut)["status"] == "complete", r.stderr
    assert same_outputs(full, cut)
    for name in ("spikes.h5", "state.h5"):   # cleanly closed: any reader opens them
        h5py.File(cut / name, "r").close()


@pytest.mark.mpi
@pytest.mark.parametrize("rank", [0, 1])
def test_an_error_on_one_rank_ends_every_rank(tmp_path, rank):
    out = tmp_path / "r"
    start = time.time()
    r = netcol("run", "baseline", "--set", "duration=30", "--out", str(out), "--np", "2", *QUIET,
               env={"NETCOL_FAULT": f"raise@3@{rank}"}, timeout=120)
    assert r.returncode != 0 and time.time() - start < 60
    assert f"netcol: error on rank {rank}: injected fault at t = 3 s" in r.stderr
    m = meta(out)
    assert m["status"] == "failed" and m["failed_on_rank"] == rank and "injected fault" in m["error"]
    with h5py.File(out / "spikes.h5", "r", swmr=True) as f:   # every completed block is there
        assert f["spikes/column/timestamps"].shape[0] > 0
    r = netcol("info", str(out))
    assert r.returncode == 0 and "failed (InjectedFault" in r.stdout


@pytest.mark.parametrize("args,words", [
    (["--set", "duration=1.0003"], ["duration = 1.0003 s", "integration step (0.5 ms)", "1 or 1.0005"]),
    (["--set", "block=0.1003"], ["block = 0.1003", "not a multiple"]),
    (["--set", "recording_interval=0.0001"], ["recording_interval", "not a multiple"]),
    (["--checkpoint-every", "1e-9"], ["--checkpoint-every", "not a multiple"]),
    (["--checkpoint-every", "nan"], ["--checkpoint-every nan", "finite"]),
    (["--checkpoint-every", "inf"], ["--checkpoint-every inf", "finite"]),
    (["--set", "duration=1e12"], ["protocol events", "more than 1,000,000", "years"]),
    (["--set", "size=1e6"], ["size = 1e+06", "GB of memory", "this machine has"]),
    (["--set", "column.external.RS.AM2.rate=1e12"], ["rate", "<= 10000.0"]),
    (["--set", "column.delays.RS.halfwidth=3.8"], ["delays.RS", "shorter than the integration step"]),
    (["--set", "column.delays.FS.mean=0", "--set", "column.delays.FS.halfwidth=0"], ["delays.FS", "= 0 ms"]),
    (["--out", ""], ["--out ''"]),
])
def test_impossible_runs_are_rejected_at_once(tmp_path, args, words):
    args = args if "--out" in args else [*args, "--out", str(tmp_path / "x")]
    start = time.time()
    r = netcol("run", "baseline", *args, *QUIET, timeout=60)
    one_line_error(r, *words)
    assert time.time() - start < 30 and not (tmp_path / "x").exists()


def _running(exp_args, out, env=None):
    proc = subprocess.Popen([*NETCOL, "run", "baseline", *exp_args, "--out", str(out), *QUIET], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env=dict(os.environ, **(env or {})))
    wait_for(checkpointed(out), "a first checkpoint", proc)
    return proc


def test_one_writer_per_run_folder(tmp_path):
    out = tmp_path / "r"
    proc = _running(["--set", "duration=600", "--checkpoint-every", "1"], out)
    try:
        one_line_error(netcol("run", "baseline", "--set", "duration=2", "--out", str(out), "--overwrite", *QUIET),
                       "is in use by pid", str(proc.pid))
        one_line_error(netcol("resume", str(out), *QUIET), "is in use by pid")
        one_line_error(netcol("repair", str(out)), "is in use by pid")
        assert netcol("info", str(out)).stdout.count("status: running") == 1
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    r = netcol("info", str(out))
    assert "stopped without finishing" in r.stdout
    r = netcol("resume", str(out), *QUIET, env={"NETCOL_FAULT": "sigterm@3"})
    assert r.returncode == 130 and "taking over the lock" in r.stderr and f"pid {proc.pid}" in r.stderr


def test_readers_holding_the_files_open_never_stop_the_run(tmp_path):
    """A run closes and reopens its growing files every REOPEN_EVERY flushes. Readers that
    hold them open (a notebook, netcol info; SWMR readers too) lock them in HDF5, which had
    made the reopen fail and the run with it. Here both files are held from the first
    checkpoint to the end: several reopens of each."""
    from netcol.io.runfiles import open_h5
    out = tmp_path / "r"
    proc = _running(["--set", "duration=30", "--set", "block=0.05", "--set", "recording_interval=0.1",
                     "--checkpoint-every", "1"], out)
    readers = [open_h5(out / name) for name in ("spikes.h5", "state.h5")]
    try:
        _, err = proc.communicate(timeout=600)
    finally:
        for f in readers:
            f.close()
    assert proc.returncode == 0, err.decode()
    assert meta(out)["status"] == "complete"


def test_overwrite_removes_the_old_run_and_resume_refuses_a_foreign_checkpoint(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert netcol("run", "baseline", "--set", "duration=4", "--checkpoint-every", "2", "--out", str(d),
                      "--quiet").returncode == 0
    assert (a / "raster.png").exists() and (a / "checkpoint.npz").exists()
    r = netcol("run", "baseline", "--set", "duration=2", "--out", str(a), "--overwrite", *QUIET)
    assert r.returncode == 0
    assert not (a / "raster.png").exists() and not (a / "checkpoint.npz").exists()
    one_line_error(netcol("resume", str(a)), "no checkpoint to resume from")
    shutil.copy(b / "checkpoint.npz", a / "checkpoint.npz")
    one_line_error(netcol("resume", str(a)), "checkpoint belongs to another run")
    c = tmp_path / "c"
    shutil.copytree(b, c)
    shutil.copy(a / "spikes.h5", c / "spikes.h5")
    one_line_error(netcol("resume", str(c)), "spikes.h5 belongs to another run")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("fin") / "run"
    r = netcol("run", "onlyscaling", "--set", "duration=6", "--set", "scaling_start=2", "--checkpoint-every", "2",
               "--out", str(out), *QUIET)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("damage,cmd,words", [
    ("truncate spikes.h5", "info", ["spikes.h5: truncated"]),
    ("truncate state.h5", "report", ["state.h5: truncated"]),
    ("garble run.json", "info", ["run.json: damaged, not valid JSON"]),
    ("garble checkpoint.npz", "resume", ["checkpoint.npz: damaged checkpoint"]),
    ("truncate checkpoint.npz", "resume", ["checkpoint.npz: damaged checkpoint"]),
    ("garble spikes.h5", "plot", ["spikes.h5: damaged, not a readable HDF5 file"]),
    ("delete nodes.h5", "info", ["nodes.h5: missing"]),
])
def test_damaged_files_are_named(finished, tmp_path, damage, cmd, words):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    how, name = damage.split()
    path = run / name
    if how == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif how == "garble":
        path.write_bytes(b"\x00\xff not what it was" * 50)
    else:
        path.unlink()
    extra = {"plot": ["--what", "raster"], "resume": QUIET}.get(cmd, [])
    one_line_error(netcol(cmd, str(run), *extra), *words)


def test_killed_files_open_with_plain_h5py_after_repair(tmp_path):
    out = tmp_path / "r"
    r = netcol("run", "baseline", "--set", "duration=30", "--checkpoint-every", "2", "--out", str(out), *QUIET,
               env={"NETCOL_FAULT": "sigkill@6"})
    assert r.returncode == -signal.SIGKILL
    with pytest.raises(OSError):   # left in SWMR write mode by the killed writer
        h5py.File(out / "spikes.h5", "r")
    with h5py.File(out / "spikes.h5", "r", swmr=True) as f:
        n = f["spikes/column/timestamps"].shape[0]
    r = netcol("info", str(out))
    assert r.returncode == 0 and "stopped without finishing" in r.stdout
    reached = float(r.stdout.split("reached ")[1].split()[0])
    assert 5 <= reached <= 6
    r = netcol("repair", str(out))
    assert r.returncode == 0 and "spikes.h5" in r.stdout and "state.h5" in r.stdout
    with h5py.File(out / "spikes.h5", "r") as f, h5py.File(out / "state.h5", "r") as g:
        assert f["spikes/column/timestamps"].shape[0] == n and g["records/time"].shape[0] >= 1
    assert "nothing to repair" in netcol("repair", str(out)).stdout
    assert netcol("resume", str(out), *QUIET).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


@pytest.mark.mpi
@pytest.mark.parametrize("np_", [1, 2])
def test_a_full_disk_stops_the_run_cleanly(small_disk, np_):
    out = small_disk / "r"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "duration=3000", "--checkpoint-every", "2",
                             "--out", str(out), "--np", str(np_), *QUIET], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for(checkpointed(out), "a first checkpoint", proc)
    free = shutil.disk_usage(small_disk).free
    with open(small_disk / "filler", "wb") as f:   # another user fills the disk
        f.write(b"\0" * (free - 2 * 2**20))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.count("\n") <= 3 and "Traceback" not in err and "left on the device" in err
    m = meta(out)
    assert m["status"] == "failed" and "DiskFullError" in m["error"]
    assert not [p for p in out.iterdir() if p.suffix == ".tmp" or p.name.startswith(".netcol-reserve")]
    for name in ("spikes.h5", "state.h5"):
        h5py.File(out / name, "r").close()
    (small_disk / "filler").unlink()
    r = netcol("resume", str(out), *QUIET, env={"NETCOL_FAULT": "sigterm@2"})
    assert r.returncode == 130


def test_a_signal_during_set_up_marks_the_run_interrupted(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "size=8", "--set", "duration=10",
                             "--out", str(out), *QUIET], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    wait_for((out / "run.json").exists, "run.json", proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    m = meta(out)
    assert proc.returncode == 130 and m["status"] == "interrupted" and m["t_reached_ms"] == 0


def test_resume_from_anywhere_without_the_experiment_file(tmp_path):
    exp = tmp_path / "mine.toml"
    exp.write_text((REPO / "params/rowan2013/experiments/onlydeletion.toml").read_text())
    args = ["--set", "duration=12", "--set", "segment_length=3", "--set", "trial_length=2", "--checkpoint-every", "4"]
    full = tmp_path / "full"
    assert netcol("run", "mine.toml", *args, "--out", "full", *QUIET, cwd=tmp_path).returncode == 0
    r = netcol("run", "mine.toml", *args, "--out", "cut", *QUIET, cwd=tmp_path, env={"NETCOL_FAULT": "sigterm@6"})
    assert r.returncode == 130
    exp.unlink()
    r = netcol("resume", str(tmp_path / "cut"), *QUIET, cwd="/")
    assert r.returncode == 0, r.stderr
    assert same_outputs(full, tmp_path / "cut")


@pytest.mark.parametrize("content,words", [
    (b"duration = = 3\n", ["mine.toml: not valid TOML"]),
    (b"description = '\xff\xfe'\nduration = 3.0\n", ["mine.toml: not a UTF-8 text file"]),
])
def test_broken_experiment_files_are_named(tmp_path, content, words):
    (tmp_path / "mine.toml").write_bytes(content)
    one_line_error(netcol("run", str(tmp_path / "mine.toml"), "--out", str(tmp_path / "x")), *words)


def test_debug_flag_before_the_command_shows_the_traceback(tmp_path):
    r = netcol("--debug", "info", str(tmp_path))
    assert r.returncode == 2 and "Traceback" in r.stderr and "not a netcol run directory" in r.stderr


def test_weights_of_a_run_without_plasticity(finished):
    one_line_error(netcol("plot", str(finished), "--what", "weights"), "STDP was off", "no weights to plot")


#: Prints the cache folder and the build in it that this checkout's runs load (building it
#: first if it is not there, as any first run does).
CURRENT_BUILD = ("from netcol.engine.runtime import neuron_h; neuron_h(); import neuron; "
                 "from netcol.build.mechanisms import build_mechanisms, cache_root; "
                 "lib = build_mechanisms(neuron.__version__); "
                 "print(cache_root(), lib.relative_to(cache_root()).parts[0], sep=chr(10))")


@pytest.mark.timeout(1200)   # compiles the mechanisms (twice on a clean machine)
def test_a_damaged_mechanism_cache_is_rebuilt(tmp_path):
    from netcol.build.mechanisms import _intact_library
    r = subprocess.run([sys.executable, "-c", CURRENT_BUILD], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    root, key = r.stdout.splitlines()[-2:]
    cache = tmp_path / "cache"
    shutil.copytree(Path(root) / key, cache / key)   # a cache of this test's own, with that build only
    libs = list((cache / key).glob("**/libnrnmech.so"))
    assert libs and _intact_library(cache / key) is not None
    for lib in libs:
        os.truncate(lib, 1000)   # loading this would crash NEURON (a bus error in dlopen)
    assert _intact_library(cache / key) is None
    r = netcol("run", "baseline", "--set", "duration=1", "--out", str(tmp_path / "r"), *QUIET,
               env={"NETCOL_CACHE": str(cache)})
    assert r.returncode == 0 and "damaged or incomplete; rebuilding" in r.stderr, r.stderr
    assert _intact_library(cache / key) is not None   # rebuilt in place, under the same key


def test_a_sweep_value_cannot_leave_the_sweep_folder(tmp_path):
    spec = tmp_path / "escape.toml"
    spec.write_text('experiment = "baseline"\n[fixed]\nduration = 1.0\n[vary]\ndescription = ["../../escaped"]\n')
    one_line_error(netcol("sweep", str(spec), "--local", "--out", str(tmp_path / "sw")), "outside the sweep's folder")
    assert not (tmp_path / "escaped_seed2").exists()


@pytest.mark.slow
@pytest.mark.mpi
@pytest.mark.parametrize("np_", [1, 2])
def test_kill_9_at_random_times_three_times(tmp_path, np_):
    """Deletion with trials and scaling, killed with SIGKILL at random wall times after a
    checkpoint, three times, each kill while the run is going (a checkpoint later than
    where it started, before the end), then resumed to the end: identical to an
    uninterrupted run."""
    args = sets(SHORT["scalingwithdeletion"] + ["duration=40", "block=0.5"]) + ["--checkpoint-every", "2"]
    end = 40000.0
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert netcol("run", "scalingwithdeletion", *args, "--out", str(full), "--np", str(np_), *QUIET).returncode == 0
    seed = random.randrange(2**32)   # in every message: a failure can be replayed
    rng = random.Random(seed)
    cmd = [*NETCOL, "run", "scalingwithdeletion", *args, "--out", str(cut), "--np", str(np_), *QUIET]
    start = 0.0
    for cycle in range(3):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        wait_for(checkpointed(cut, after=start if cycle else None), f"seed {seed}, cycle {cycle}: a new checkpoint",
                 proc)
        time.sleep(rng.uniform(0.0, 0.4))
        assert proc.poll() is None, f"seed {seed}, cycle {cycle}: the run ended before the kill"
        os.killpg(proc.pid, signal.SIGKILL)   # every rank and the launcher, without warning
        proc.wait()
        m = meta(cut)
        # killed while going: never finalised, and its last checkpoint strictly inside the run
        assert proc.returncode == -signal.SIGKILL and m["status"] == "running", (seed, cycle, m["status"])
        assert start < m["last_checkpoint_ms"] < end and m["t_reached_ms"] < end, (seed, cycle, m)
        if cycle:
            assert m["resumed_from_ms"] == start, (seed, cycle, m)   # it resumed where the last kill left it
        start = m["last_checkpoint_ms"]
        cmd = [*NETCOL, "resume", str(cut), "--np", str(np_), *QUIET]
    r = netcol(*cmd[len(NETCOL):])
    assert r.returncode == 0, (seed, r.stderr)
    m = meta(cut)
    assert m["status"] == "complete" and m["resumed_from_ms"] == start and m["t_reached_ms"] == end, (seed, m)
    assert same_outputs(full, cut)
