"""The column on one NetcolColumn per rank (engine = 'rank') against one NetcolIntf6 per
cell (engine = 'cells'): the same outputs, and the choice between them."""
import json
from pathlib import Path

import numpy as np
import pytest

from helpers import datasets, run_cli as netcol

QUIET = ("--quiet", "--no-figure")


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and (a.tobytes() == b.tobytes())


def outputs(out):
    """{file: {dataset: array}} of a run folder's spikes.h5, state.h5, edges.h5 and
    [[record]] reports."""
    files = [out / f for f in ("spikes.h5", "state.h5", "edges.h5")] + sorted(out.glob("report_*.h5"))
    return {f.name: datasets(f) for f in files}


def runs_on_both_engines(tmp_path, experiment, sets, blocks=None):
    """The per-cell engine on 1 rank ('cells'), the rank engine on 1 rank ('rank1') and
    engine = auto on 2 ranks ('rank2'), each run's engine checked; blocks: each one's block
    length (s), else the sets'.  {name: outputs}."""
    runs = {}
    for k, (name, engine, n) in enumerate((("cells", "cells", 1), ("rank1", "rank", 1), ("rank2", "auto", 2))):
        out = tmp_path / name
        block = ["--set", f"block={blocks[k]}"] if blocks else []
        r = netcol("run", experiment, *sets, "--set", f"engine={engine}", *block, "--np", str(n), "--out", str(out),
                   *QUIET)
        assert r.returncode == 0, r.stderr
        assert run_json(out)["engine"] == ("cells" if name == "cells" else "rank")
        runs[name] = outputs(out)
    return runs


def assert_same_files(got, want, label):
    """Every file and dataset of want in got, of the same dtype, shape and bytes."""
    for f, content in want.items():
        assert sorted(got[f]) == sorted(content), (label, f)
        for k, v in content.items():
            assert same(got[f][k], v), (label, f, k)


def run_json(out):
    return json.loads((out / "run.json").read_text())


#: A baseline at size 1.5, accelerated synaptic scaling from 3 s (scale factors move by
#: several per cent within the run), and deletion rounds every 5 s (the external drive
#: scaled down with them) with 2.5-s trials and scaling from 3 s.
CASES = {"baseline": ("baseline", "duration=12", "size=1.5"),
         "scaling": ("onlyscaling", "duration=16", "scaling_start=3", "column.mechanism.beta=2e-3",
                     "column.mechanism.gamma=1e-7"),
         "deletion": ("scalingwithdeletion", "duration=16", "segment_length=5", "trial_length=2.5",
                      "scaling_start=3", "column.mechanism.beta=4e-5")}


@pytest.mark.mpi
@pytest.mark.parametrize("case", sorted(CASES))
def test_rank_engine_writes_what_the_cells_engine_writes(tmp_path, case):
    """Spikes, every record of state.h5 (sensors, goals, scale factors, alive flags, gain
    summaries, every 2 s from 1 s; deletions and trials) and edges.h5 are the same on the
    per-cell engine (1 rank, 1-s blocks) and on the rank engine (1 rank, 1-s blocks; 2
    ranks, 3.5-s blocks, records inside blocks), byte for byte."""
    experiment, *sets = CASES[case]
    sets = [a for kv in (*sets, "recording_interval=2", "recording_start=1") for a in ("--set", kv)]
    runs = runs_on_both_engines(tmp_path, experiment, sets, blocks=(1, 1, 3.5))
    cells = runs["cells"]
    assert len(cells["spikes.h5"]["spikes/column/timestamps"]) > 10000
    assert len(cells["state.h5"]["records/time"]) >= 6
    if case == "scaling":
        assert np.ptp(cells["state.h5"]["records/scale"]) > 0.02
    if case == "deletion":
        assert len(cells["state.h5"]["deletions/gid"]) == 9 and len(cells["state.h5"]["trials/kind"]) == 7
        assert cells["state.h5"]["records/alive"][-1].sum() == 464   # the record at 15 s comes before its round
    for name in ("rank1", "rank2"):
        assert_same_files(runs[name], cells, name)


#: Reference mode (every quirk on: the original's wiring, streams and caps, chained arrivals,
#: the nearest dead callback, early callbacks, the sensor at every event, summed
#: corrections, the exp table) and the default mode with every quirk forced on, in short
#: deletion runs with trials and scaling, every variable of 5 % of the cells traced at every
#: step (the arrival times' last bits show in them at once).
QUIRKY = {"reference": ("rng=original",),
          "quirks": tuple(f"quirk_{name}=on" for name in ("nearest_dead_callback", "chained_arrivals", "input_count",
                                                          "early_callbacks", "sensor_every_event",
                                                          "summed_corrections"))}
QUIRKY_RUN = ("scalingwithdeletion", "duration=7", "segment_length=2", "trial_length=1.5", "scaling_start=1",
              "column.mechanism.beta=4e-5", "recording_interval=1", "recording_start=0.5",
              'record={name = "all", variables = ["V", "VAM", "VGA2", "threshold", "activity", "scale"], '
              'fraction = 0.05, interval = 0.0005, start = 1, stop = 7}')


@pytest.mark.mpi
@pytest.mark.parametrize("mode", sorted(QUIRKY))
def test_rank_engine_runs_the_quirks_as_the_cells_engine(tmp_path, mode):
    """Reference mode, and the default mode with every quirk forced on, on the rank engine
    (1 rank, 1-s blocks; 2 ranks, 2.5-s blocks) write what the per-cell engine writes (1
    rank), byte for byte: spikes, state.h5 (with three deletion rounds, trials and
    scaling), edges.h5 and the traces of every step."""
    experiment, *sets = QUIRKY_RUN
    sets = [a for kv in (*sets, *QUIRKY[mode]) for a in ("--set", kv)]
    runs = runs_on_both_engines(tmp_path, experiment, sets, blocks=(1, 1, 2.5))
    cells = runs["cells"]
    assert len(cells) == 3 + 6 and len(cells["state.h5"]["deletions/gid"]) >= 3 * 3   # three rounds
    for name in ("rank1", "rank2"):
        assert_same_files(runs[name], cells, name)


@pytest.mark.mpi
@pytest.mark.parametrize("mode", [(), ("rng=original",)], ids=["default", "reference"])
def test_rank_engine_resumes_exactly(tmp_path, mode):
    """Deletion rounds with trials and scaling on the rank engine, checkpointed every 8 s
    and killed at 9 s, then resumed on 2 ranks: the same spikes.h5, state.h5 and edges.h5,
    byte for byte, as the per-cell engine's uninterrupted run (in reference mode too, its
    chained arrivals in flight at the checkpoint); the checkpoint holds each cell's state
    as the per-cell engine's does (the same keys).  In the default mode a spike lies in
    the checkpoint's own window (7999.5 to 8000 ms; windows of 1.5 ms), which the engine
    emits only when the checkpoint brings it to its time: it is in the count of spikes
    written and among the spikes in flight."""
    from netcol.cells import intf6
    from netcol.engine.checkpoint import read
    experiment, *sets = CASES["deletion"]
    sets = [a for kv in (*sets, *mode, "recording_interval=2", "recording_start=1", "block=3.5")
            for a in ("--set", kv)]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert netcol("run", experiment, *sets, "--set", "engine=cells", "--out", str(full), *QUIET).returncode == 0
    r = netcol("run", experiment, *sets, "--checkpoint-every", "8", "--out", str(cut), *QUIET,
               env={"NETCOL_FAULT": "sigkill@9"})
    assert r.returncode == -9
    ck = read(cut)
    assert ck["engine"] == "rank" and ck["t"] == 8000.0
    assert set(ck["cells"][0]) == {*intf6.CELL_SCALARS, *intf6.CELL_ARRAYS, "rx", "stream_counts"}
    r = netcol("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert run_json(cut)["engine"] == "rank"
    ts = datasets(full / "spikes.h5")["spikes/column/timestamps"]
    assert mode or ((ts >= 7999.5) & (ts < 8000)).any()
    assert_same_files(outputs(cut), outputs(full), "resumed")


#: A short learning run: training from 1 s to 4 s with a large E -> E increment, so that
#: gains move by per cents within it; sparse pulses (2 Hz, inputs to half the trained cells
#: each), so that at the refills of the played-back input (every 2 s) some cells have none
#: left and must read their new ones anew; records every second, gain snapshots at the
#: phase ends.
TRAINING = ("onlytraining", "duration=5", "learn_start=1", "learn_end=4", "column.stdp.EE_inc=0.01", "train_rate=2",
            "train_percent=50", "recording_interval=1", "recording_start=0.5", "block=1.5")


@pytest.mark.mpi
@pytest.mark.parametrize("mode", [(), ("rng=original",)], ids=["default", "reference"])
def test_rank_engine_learns_what_the_cells_engine_learns(tmp_path, mode):
    """STDP with the played-back training signal (refilled ahead inside the run): the rank
    engine's spikes, gain records and snapshots and final gains (edges.h5) are the per-cell
    engine's, byte for byte, on 1 and 2 ranks, in reference mode too (its arrivals chained:
    a pairing reads the connection's delay, not the chain's first); and the gains did move."""
    experiment, *sets = TRAINING
    sets = [a for kv in (*sets, *mode) for a in ("--set", kv)]
    runs = runs_on_both_engines(tmp_path, experiment, sets)
    cells = runs["cells"]
    gain = cells["edges.h5"]["edges/column__column/0/stdp_gain"]
    assert np.count_nonzero(gain != 1.0) > 100 and np.ptp(gain) > 0.01
    for name in ("rank1", "rank2"):
        assert_same_files(runs[name], cells, name)


@pytest.mark.mpi
@pytest.mark.parametrize("engine", ["rank", "cells"])
def test_learning_resumes_exactly(tmp_path, engine):
    """STDP with the played-back training signal, checkpointed at 2 s (inside learning,
    at a refill of the played-back input that leaves some cells a read still to come),
    killed at 3 s and resumed on 2 ranks, on either engine: the per-cell engine's
    uninterrupted outputs byte for byte (the gains, their pairing state and the unplayed
    inputs come back from the checkpoint)."""
    experiment, *sets = TRAINING
    sets = [a for kv in sets for a in ("--set", kv)]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert netcol("run", experiment, *sets, "--set", "engine=cells", "--out", str(full), *QUIET).returncode == 0
    r = netcol("run", experiment, *sets, "--set", f"engine={engine}", "--checkpoint-every", "2", "--out", str(cut),
               *QUIET, env={"NETCOL_FAULT": "sigkill@3"})
    assert r.returncode == -9
    r = netcol("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert run_json(cut)["engine"] == engine
    assert_same_files(outputs(cut), outputs(full), "resumed")


@pytest.mark.mpi
def test_a_per_cell_checkpoint_resumes_on_the_rank_engine(tmp_path):
    """A learning run checkpointed on the per-cell engine (as engine = auto did before the
    rank engine learned), killed and resumed with engine = auto, which takes the rank
    engine: the uninterrupted run's outputs byte for byte (the two engines' checkpoints
    hold the same state by the same names)."""
    import json
    from netcol.engine import checkpoint
    experiment, *sets = TRAINING
    sets = [a for kv in sets for a in ("--set", kv)]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert netcol("run", experiment, *sets, "--set", "engine=cells", "--out", str(full), *QUIET).returncode == 0
    r = netcol("run", experiment, *sets, "--set", "engine=cells", "--checkpoint-every", "2", "--out", str(cut),
               *QUIET, env={"NETCOL_FAULT": "sigkill@3"})
    assert r.returncode == -9
    def as_auto(record):   # the run's parameters as engine = auto's
        del record["sets"]["engine"]
        record["params"]["engine"] = "auto"
    meta = json.loads((cut / "run.json").read_text())
    as_auto(meta)
    (cut / "run.json").write_text(json.dumps(meta))
    ck = checkpoint.read(cut)
    assert ck["engine"] == "cells"
    as_auto(ck["effective"])
    checkpoint.write(cut, ck)
    r = netcol("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert run_json(cut)["engine"] == "rank"
    assert_same_files(outputs(cut), outputs(full), "resumed on the other engine")


def test_auto_engine_is_rank_only_where_it_can_be(tmp_path):
    """engine = 'auto': the rank engine for every experiment, with checkpoints too, and in
    reference mode."""
    cases = (("rank", ["baseline"]), ("rank", ["onlyscaling", "--set", "scaling_start=1"]),
             ("rank", ["baseline", "--checkpoint-every", "1"]), ("rank", ["onlytraining"]),
             ("rank", ["onlydeletion", "--set", "segment_length=1", "--set", "trial_length=1"]),
             ("rank", ["baseline", "--set", "rng=original"]))
    for k, (engine, args) in enumerate(cases):
        out = tmp_path / f"r{k}"
        r = netcol("run", *args, "--set", "duration=2", "--set", "learn_start=0.5", "--set", "learn_end=1.5",
                   "--out", str(out), *QUIET) if args[0] == "onlytraining" else \
            netcol("run", *args, "--set", "duration=2", "--out", str(out), *QUIET)
        assert r.returncode == 0, r.stderr
        assert run_json(out)["engine"] == engine, args


GUARD_SCENARIO = r"""
import sys
sys.path.insert(0, {repo!r})
from netcol.cells import intf6
from netcol.config.experiment import load_experiment
from netcol.models.rowan2013.ranknet import build_rank
from netcol.engine.runtime import neuron_h, parallel_context
from netcol.engine.simulate import configure_integrator
h, pc = neuron_h(), parallel_context()
exp = load_experiment("baseline", {{}})
intf6.apply_mechanism_settings(h, exp.mechanism_settings())
net = build_rank(exp.network, size=exp.params["size"], seed=exp.params["seed"])
configure_integrator(h, pc, intf6.DT)
h.finitialize()
{action}
# the error as a Python exception on each rank: NEURON's default MPI_Abort on a hoc error
# could end the job before either rank has printed its line
pc.mpiabort_on_error(0)
try:
    pc.psolve(2100.0)
    print("rank", int(pc.id()), "no error")
except Exception as err:
    print("rank", int(pc.id()), "error:", err)
sys.stdout.flush()
import os
os._exit(0)
"""


@pytest.mark.mpi
def test_rank_engine_fails_loudly_on_an_arrival_behind_it(tmp_path):
    """A remote spike whose arrival comes after the rank engine has handled that time
    stops the run with an error naming it, never a silently different run (forced here
    by handling 200 ms ahead before running on 2 ranks)."""
    out = guard_scenario(tmp_path, "net.engine.advance(200.0)   # far beyond what the exchanged spikes allow")
    assert "a remote spike's arrival" in out and "engine = 'cells'" in out, out[-2000:]


@pytest.mark.mpi
def test_rank_engine_takes_actions_inside_windows(tmp_path):
    """Every event before t handled at each step's time t (as records, deletion rounds and
    checkpoints inside a block do), over 2 s on 2 ranks whose exchange window is 3 steps:
    no remote arrival comes behind the time handled."""
    action = ("cv = h.CVode()\n"
              "evs = [cv.event(10 + 0.5 * k, lambda t=10 + 0.5 * k: net.engine.advance(t)) for k in range(4000)]")
    out = guard_scenario(tmp_path, action)
    assert out.count("no error") == 2, out[-2000:]


def guard_scenario(tmp_path, action):
    """Run GUARD_SCENARIO with action on 2 ranks; what they printed."""
    import subprocess
    import sys
    from helpers import REPO
    script = tmp_path / "scenario.py"
    script.write_text(GUARD_SCENARIO.format(repo=str(REPO), action=action))
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    r = subprocess.run([mpiexec, "-n", "2", sys.executable, str(script)], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    return r.stdout + r.stderr


SHARE_SCENARIO = r"""
import sys
sys.path.insert(0, {repo!r})
import numpy as np
from netcol.cells import intf6
from netcol.config.experiment import load_experiment
from netcol.models.rowan2013.ranknet import build_rank
from netcol.models.rowan2013.network import draw
from netcol.engine.runtime import neuron_h, parallel_context
h, pc = neuron_h(), parallel_context()
exp = load_experiment("baseline", {{"size": 2}})
intf6.apply_mechanism_settings(h, exp.mechanism_settings())
net = build_rank(exp.network, size=2, seed=7)
whole = draw(exp.network, 2, 7, "keyed")[2]
mine = np.flatnonzero(whole.post % int(pc.nhost()) == int(pc.id()))
gathered = net.global_connections()
ok = (np.array_equal(net.netcon_rows, mine) and np.array_equal(net.conn.pre, whole.pre[mine])
      and np.array_equal(net.conn.delay, whole.delay[mine]) and np.array_equal(net.conn.w1, whole.w1[mine])
      and net.n_plastic == int(whole.plastic.sum()))
if gathered is not None:
    ok = ok and all(np.array_equal(getattr(gathered, k), getattr(whole, k)) for k in ("pre", "post", "delay", "w1", "w2", "plastic"))
print("rank", int(pc.id()), "holds", len(net.conn), "of", len(whole), "ok" if ok else "WRONG")
sys.stdout.flush()
pc.barrier()
import os
os._exit(0)
"""


@pytest.mark.mpi
def test_each_rank_holds_only_its_own_cells_connections(tmp_path):
    """On 2 ranks the rank engine keeps only its cells' afferent connections (about half
    each), numbered as rows of the whole column's connection order, with the same values
    as the whole drawn at once; rank 0 gathers the whole for the files."""
    import re
    import subprocess
    import sys
    from helpers import REPO
    script = tmp_path / "scenario.py"
    script.write_text(SHARE_SCENARIO.format(repo=str(REPO)))
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    r = subprocess.run([mpiexec, "-n", "2", sys.executable, str(script)], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    lines = re.findall(r"rank (\d) holds (\d+) of (\d+) (\w+)", r.stdout)
    assert len(lines) == 2, r.stdout + r.stderr
    held = [int(n) for _, n, _, _ in lines]
    total = int(lines[0][2])
    assert all(status == "ok" for *_, status in lines), r.stdout
    assert sum(held) == total and max(held) < 0.6 * total
