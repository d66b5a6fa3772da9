"""Failures during a run (issue 28): a disk that fills up, an error on one of several
ranks.  Each ends with one error message, run.json `failed` written by rank 0 alone, no
reserve or temporary file left, every HDF5 file closed (plain h5py opens it, no repair)
and, where a checkpoint was written, a run that resumes to the end."""
import json
import os

import h5py
import numpy as np
import pytest

from helpers import run_cli as netcol

QUIET = ["--quiet", "--no-figure"]


def meta(run_dir):
    return json.loads((run_dir / "run.json").read_text())


def closed_cleanly(run_dir):
    """Every HDF5 file of the run opens with plain h5py (no SWMR flag left, no repair)."""
    for path in sorted(run_dir.glob("*.h5")):
        h5py.File(path, "r").close()
    return True


def leftovers(run_dir):
    return [p.name for p in run_dir.iterdir() if p.suffix == ".tmp" or p.name == ".netcol-reserve"]


@pytest.mark.mpi
@pytest.mark.parametrize("np_", [1, 2])
def test_a_disk_filled_during_a_block_fails_the_run_cleanly(small_disk, np_):
    """Another job fills the disk to its last byte during the block after 3 s (in which a
    checkpoint falls, at 4 s, inside a timeline event): the run stops at that block's
    end, failed, with one disk-full message; files closed and readable as they were
    before the disk filled; the checkpoint of 2 s kept, and the run resumes from it."""
    out = small_disk / "r"
    r = netcol("run", "baseline", "--set", "duration=8", "--checkpoint-every", "2", "--out", str(out),
               "--np", str(np_), *QUIET, env={"NETCOL_FAULT": "fill@3"}, timeout=300)
    # still full, but for the reserve file released to close the files and write run.json
    assert (small_disk / "netcol-fault-fill").exists() and shutil_free(small_disk) < 2**20
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "Callback" not in r.stderr, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("netcol: error")]
    assert len(errors) == 1 and "left on the device" in errors[0] and len(r.stderr.splitlines()) <= 3, r.stderr
    m = meta(out)
    assert m["status"] == "failed" and m["error"].startswith("DiskFullError") and m["last_checkpoint_ms"] == 2000
    assert m["t_reached_ms"] == 3000   # as far as the files go
    assert not leftovers(out), leftovers(out)
    assert closed_cleanly(out)
    with h5py.File(out / "spikes.h5", "r") as f:   # what was written, and only that
        t = f["spikes/column/timestamps"][:]
        assert len(t) == m["spikes"] and len(t) and np.all(np.diff(t) >= 0) and t[-1] <= 3000.0
    (small_disk / "netcol-fault-fill").unlink()
    r = netcol("resume", str(out), "--np", str(np_), *QUIET, timeout=300)
    assert r.returncode == 0 and meta(out)["status"] == "complete", r.stderr


def shutil_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def full_disk_write(disk):
    """A SpikeWriter on a disk filled to 1 MB, written until a write fails inside HDF5; the
    file closed after the reserve is released.  Runs in a process of its own: HDF5 is not
    trusted after a failed write (a test process that ran it crashed later in h5py)."""
    from pathlib import Path
    import shutil
    from netcol.io import rundir, space
    from netcol.io.record import SpikeWriter
    rundir.MIN_FREE_BYTES = 0   # no margin: the write itself meets the full disk
    disk = Path(disk)
    out = disk / "r"
    out.mkdir()
    rundir.reserve_space(out)
    guard = space.activate(out)
    writer = SpikeWriter(out / "spikes.h5", "p", run_id="x")
    with open(disk / "filler", "wb", buffering=0) as f:   # all but 1 MB
        f.write(b"\0" * (shutil.disk_usage(disk).free - 2**20))
    n, block = 0, 50_000
    while not space.stopped():
        times = np.arange(n, n + block, dtype=float)
        writer.append(times, np.arange(n, n + block, dtype=np.uint64) % 7)
        n += block if not space.stopped() else 0
    message = guard.message
    writer.append(np.array([1e9]), np.array([1], np.uint64))   # skipped now
    rundir.release_space(out)
    writer.close()
    from helpers import MARK
    print(MARK + json.dumps(dict(n=n, message=message, unclosed=list(guard.unclosed), path=str(out / "spikes.h5"))),
          flush=True)
    os._exit(0)   # HDF5's own clean-up at exit crashes after a failed write: netcol's runs skip it too


def test_a_write_that_fails_on_a_full_disk_is_cut_back_to_the_last_flush(small_disk):
    """The race the free-space check cannot close: the disk fills between the check and
    a write, which fails inside HDF5.  The write stops the run's writes instead of
    raising, and closing the file (after the reserve is released) cuts its datasets back
    to the last successful flush: plain h5py opens it and every row holds what was
    written (a failed chunk write had left zeros in the rows it claimed)."""
    from helpers import in_fresh_process
    got = in_fresh_process(full_disk_write, disk=str(small_disk))
    n = got["n"]
    assert "(a write failed: No space left on device)" in got["message"] and n > 0
    assert got["unclosed"] == []
    with h5py.File(got["path"], "r") as f:
        t = f["spikes/p/timestamps"][:]
        assert len(t) == n and np.array_equal(t, np.arange(n, dtype=float))


@pytest.mark.mpi
@pytest.mark.parametrize("where", ["raise@3@1", "raise@3@0"])
def test_an_error_on_one_rank_is_recorded_by_rank_0_with_its_files_closed(tmp_path, where):
    """Rank 0 alone writes run.json: it learns of the error at the block's end through the
    stop-flag reduction, closes its files and marks the run failed, naming the rank,
    before any rank ends (no abort: the old way, the failing rank marked run.json and
    aborted the job, racing rank 0's own writes of run.json and leaving its files open)."""
    out = tmp_path / "r"
    rank = where.split("@")[2]
    r = netcol("run", "baseline", "--set", "duration=30", "--checkpoint-every", "2", "--out", str(out), "--np", "2",
               *QUIET, env={"NETCOL_FAULT": where}, timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("netcol: error") == 1 and f"netcol: error on rank {rank}: injected fault at t = 3 s" \
        in r.stderr and "Traceback" not in r.stderr, r.stderr
    m = meta(out)
    assert m["status"] == "failed" and m["failed_on_rank"] == int(rank) and m["error"].startswith("InjectedFault")
    assert m["t_reached_ms"] == 3000.0 and m["last_checkpoint_ms"] == 2000
    assert not leftovers(out) and closed_cleanly(out)
    with h5py.File(out / "spikes.h5", "r") as f:
        assert f["spikes/column/timestamps"].shape[0] == m["spikes"] > 0
    info = netcol("info", str(out))
    assert info.returncode == 0 and "failed (InjectedFault" in info.stdout
    r = netcol("resume", str(out), *QUIET, env={"NETCOL_FAULT": "sigterm@5"}, timeout=300)
    assert r.returncode == 130, (r.returncode, r.stdout, r.stderr)
