"""The column on one NetcolColumn per rank (engine = 'rank') against one NetcolIntf6 per
cell (engine = 'cells'): the same outputs, and the choice between them."""
import json

import h5py
import numpy as np
import pytest

from helpers import run_cli as netcol

QUIET = ("--quiet", "--no-figure")


def datasets(path):
    """Every dataset of an HDF5 file by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and (a.tobytes() == b.tobytes())


def run_json(out):
    return json.loads((out / "run.json").read_text())


@pytest.mark.mpi
def test_rank_engine_writes_what_the_cells_engine_writes(tmp_path):
    """A 12-s baseline at size 1.5: spikes, every record of state.h5 (sensors, goals, scale
    factors, alive flags, gain summaries) and edges.h5 are the same on the per-cell
    engine (1 rank, 1-s blocks) and on the rank engine (1 rank, 1-s blocks; 2 ranks,
    3.5-s blocks, records inside blocks), byte for byte."""
    runs = {}
    for name, engine, n, block in (("cells", "cells", 1, "1"), ("rank1", "rank", 1, "1"), ("rank2", "auto", 2, "3.5")):
        out = tmp_path / name
        r = netcol("run", "baseline", "--set", "duration=12", "--set", "size=1.5", "--set", f"engine={engine}",
                   "--set", f"block={block}", "--set", "recording_interval=2", "--set", "recording_start=1", "--np", str(n), "--out", str(out),
                   *QUIET)
        assert r.returncode == 0, r.stderr
        assert run_json(out)["engine"] == ("cells" if name == "cells" else "rank")
        runs[name] = {f: datasets(out / f) for f in ("spikes.h5", "state.h5", "edges.h5")}
    cells = runs["cells"]
    assert len(cells["spikes.h5"]["spikes/column/timestamps"]) > 15000
    assert cells["state.h5"]["records/time"].shape == (6,)
    for name in ("rank1", "rank2"):
        for f, content in cells.items():
            assert sorted(runs[name][f]) == sorted(content), (name, f)
            for k, v in content.items():
                assert same(runs[name][f][k], v), (name, f, k)


def test_auto_engine_is_rank_only_where_it_can_be(tmp_path):
    """engine = 'auto': the rank engine for the baseline; the per-cell one with checkpoints
    and for experiments with what the rank engine does not do yet."""
    cases = (("rank", ["baseline"]), ("cells", ["baseline", "--checkpoint-every", "1"]),
             ("cells", ["onlytraining"]), ("cells", ["baseline", "--set", "rng=original"]))
    for k, (engine, args) in enumerate(cases):
        out = tmp_path / f"r{k}"
        r = netcol("run", *args, "--set", "duration=2", "--set", "learn_start=0.5", "--set", "learn_end=1.5",
                   "--out", str(out), *QUIET) if args[0] == "onlytraining" else \
            netcol("run", *args, "--set", "duration=2", "--out", str(out), *QUIET)
        assert r.returncode == 0, r.stderr
        assert run_json(out)["engine"] == engine, args


@pytest.mark.parametrize("args, words", [
    (["onlytraining", "--set", "engine=rank", "--set", "learn_start=0.5", "--set", "learn_end=1.5"],
     ["engine = 'rank'", "plasticity = True", "training = True"]),
    (["baseline", "--set", "engine=rank", "--checkpoint-every", "1"], ["engine = 'rank'", "checkpoints"]),
])
def test_rank_engine_refuses_what_it_does_not_do_yet(tmp_path, args, words):
    """engine = 'rank' with plasticity or with checkpoints: one line naming what it lacks,
    before anything runs (no run folder made)."""
    out = tmp_path / "r"
    r = netcol("run", *args, "--set", "duration=2", "--out", str(out), *QUIET)
    assert r.returncode == 2
    first = r.stderr.splitlines()[0]
    assert first.startswith("netcol: error:")
    for w in words:
        assert w in first
    assert not (out / "spikes.h5").exists()
