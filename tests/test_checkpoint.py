"""Checkpoint files: nested data round-trips exactly, and reading one never runs code."""
import json
import os
import struct

import numpy as np
import pytest

from netcol.engine import checkpoint
from netcol.io.rundir import RunFolderError

from helpers import run_cli


def same(a, b, where="data"):
    """a and b are equal down to types, dtypes, key types and float bits."""
    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), where
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b), where
    else:
        assert a == b, where


def representative():
    """What the models put in checkpoints (gid keys, cell dicts, arrays of every dtype in
    use, tuples, NaN payloads, None), and some edges."""
    payload_nan = struct.unpack("<d", bytes.fromhex("0100000000f8ff7f"))[0]
    cell = {"v": -65.25, "queue": [(1.5, [0.0, 2.0, 3.0]), (2.0, [1.0, 1.0, 1.0])], "rx": [([1.0, 2.0], 7.0)],
            "counts": [0, 3], "flag": True}
    return {
        "t": 8000.0, "netcol_version": "0.2.3", "run_id": "355a07d1",
        "effective": {"params": {"duration": 12, "beta": 4e-5, "plasticity": False, "note": "ünïcode"},
                      "sets": {}, "list": [1, [2.5, None]]},
        "recent_spikes": (np.array([7990.5, 7999.0]), np.array([3, 2**63 + 1], np.uint64)),
        "spikes_written": 10835, "file_counts": {"records/time": 3, "gains/mean": 0},
        "cells": {0: cell, 17: dict(cell, v=payload_nan)},
        "weights": {0: np.arange(4.0), 469: np.array([], np.float64)},
        "traces": np.arange(12.0).reshape(4, 3), "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "big_endian": np.arange(3, dtype=">f8"), "small": np.array([1.5], np.float32),
        "int8": np.array([-1, 2], np.int8), "mask": np.array([True, False]), "zero_d": np.array(2.5),
        "names": np.array(["ab", "c"]), "scalars": [np.float64(0.1), np.int64(-3), np.uint8(255), np.bool_(True)],
        "floats": [-0.0, float("inf"), float("-inf"), 5e-324, 1 / 3, float("nan")],
        "ints": [0, -1, 2**70], "none": None, "empty": ({}, [], ()),
        (1, "tuple key"): "x", 2.5: "float key", None: "none key", True: "bool key", np.int64(7): "numpy key",
        "picker": None, "scheduler": {"alive": [1, 2], "dead": [], "round": 0, "deletions_over": False},
    }


def test_a_checkpoint_round_trips_exactly_and_is_no_pickle(tmp_path):
    data = representative()
    checkpoint.write(tmp_path, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".netcol-manifest.json", "checkpoint.npz"]
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as archive:   # no member needs pickling
        assert all(archive[name].dtype != object for name in archive.files)
    same(data, checkpoint.read(tmp_path))


def test_what_a_checkpoint_cannot_hold_is_named(tmp_path):
    with pytest.raises(TypeError, match=r"checkpoint\['cells'\]\[3\]: a set"):
        checkpoint.write(tmp_path, {"cells": {3: {1, 2}}})
    with pytest.raises(TypeError, match="dtype object"):
        checkpoint.write(tmp_path, {"a": np.array([None])})
    assert not list(tmp_path.iterdir())


class _Payload:
    """Unpickling this runs `touch <marker>`."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("ck") / "run"
    r = run_cli("run", "baseline", "--set", "duration=2", "--checkpoint-every", "1", "--out", str(out), "--quiet",
                "--no-figure")
    assert r.returncode == 0, r.stderr
    return out


def test_a_crafted_pickle_is_never_run(run_folder, tmp_path):
    """A checkpoint.pkl (earlier versions' format) is refused by every command, unread."""
    import pickle
    import shutil
    run = tmp_path / "run"
    shutil.copytree(run_folder, run)
    marker = tmp_path / "pwned"
    (run / "checkpoint.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    # an interrupted run, so that resume has to read a checkpoint (a complete one needs none)
    meta = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(dict(meta, status="interrupted")))
    for cmd in (["info", str(run)], ["resume", str(run), "--quiet", "--no-figure"]):
        r = run_cli(*cmd)
        assert r.returncode == 2 and not marker.exists(), r.stderr
        assert r.stderr.startswith(f"netcol: error: {run / 'checkpoint.pkl'}: a pickled checkpoint"), r.stderr
    with pytest.raises(RunFolderError, match="never read"):
        checkpoint.read(run)
    assert not marker.exists()


def test_a_crafted_archive_is_never_unpickled(tmp_path):
    """An archive member that holds pickled objects is refused as damaged, unread."""
    marker = tmp_path / "pwned"
    with open(tmp_path / "checkpoint.npz", "wb") as f:
        np.savez(f, tree=np.array([_Payload(marker)], dtype=object))
    with pytest.raises(RunFolderError, match="checkpoint.npz: damaged checkpoint"):
        checkpoint.read(tmp_path)
    assert not marker.exists()


def test_progress_after_a_checkpoint_shows_the_rates_not_zero(tmp_path):
    """A checkpoint at a block's end takes that block's spikes first: the progress line of
    the block's end, which then has none left to count, keeps the block's rates."""
    r = run_cli("run", "baseline", "--set", "duration=3", "--set", "block=1", "--checkpoint-every", "1", "--out",
                str(tmp_path / "run"), "--no-figure", env={"NETCOL_PROGRESS_EVERY": "0"})
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("netcol: t = ")]
    assert len(lines) == 3 and not any("E 0.00 Hz" in line for line in lines), lines
