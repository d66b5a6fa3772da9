"""The contract every registered model keeps (each joins by registering in
netcol.models and stating a small CONTRACT run):

- 1 rank = 2 ranks: identical spikes, state and report files (each CONTRACT run records
  traces, [[record]]);
- kill + resume = uninterrupted: a run killed with SIGKILL and resumed (on the other
  number of ranks) writes identical spikes and state files.
"""
import json

import pytest

from netcol.models import model, names

from helpers import same_outputs

QUIET = ["--quiet", "--no-figure"]


def contract_args(name):
    c = model(name).CONTRACT
    return [c["experiment"], *[a for k, v in c["sets"].items() for a in ("--set", f"{k}={v}")],
            "--checkpoint-every", str(c["checkpoint_every"])]


@pytest.mark.mpi
@pytest.mark.parametrize("name", names())
def test_one_rank_equals_two(cli, tmp_path, name):
    for np_ in (1, 2):
        r = cli("run", *contract_args(name), "--out", str(tmp_path / str(np_)), "--np", str(np_), *QUIET)
        assert r.returncode == 0, r.stderr
    assert same_outputs(tmp_path / "1", tmp_path / "2")


@pytest.mark.mpi
@pytest.mark.parametrize("name", names())
def test_kill_and_resume_equals_uninterrupted(cli, tmp_path, name):
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert cli("run", *contract_args(name), "--out", str(full), *QUIET).returncode == 0
    r = cli("run", *contract_args(name), "--out", str(cut), *QUIET,
            env={"NETCOL_FAULT": f"sigkill@{model(name).CONTRACT['kill_at']}"})
    assert r.returncode == -9
    r = cli("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert same_outputs(full, cut)
    meta = json.loads((cut / "run.json").read_text())   # the wall time of both parts
    assert meta["run_seconds_total"] > meta["run_seconds"] > 0
