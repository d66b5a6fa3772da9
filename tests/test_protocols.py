"""Protocols: experiment files, timeline checks, deletion, recording, checkpoint/resume,
and the scientific checks of the learning and atrophy protocols (short runs)."""
import json
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from netcol.models.rowan2013.acg import ACG
from netcol.config.experiment import load_experiment
from netcol.models.rowan2013.actions import original_picks

from helpers import REPO, NETCOL, run_cli as netcol, same_outputs

EXPERIMENTS = ["baseline", "onlytraining", "trainingandscaling", "onlyscaling", "onlydeletion", "scalingwithdeletion"]
SHORT_DELETION = ["--set", "duration=40", "--set", "segment_length=10", "--set", "trial_length=5",
                  "--set", "recording_interval=5", "--set", "scaling_start=5", "--set", "column.mechanism.beta=4e-5"]


def ok(*args):
    r = netcol(*args, "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    return r


def test_experiment_files_match_the_protocols():
    e = {name: load_experiment(name).params for name in EXPERIMENTS}
    assert e["onlytraining"]["duration"] == 9600 and e["onlytraining"]["learn_start"] == 800
    assert e["onlytraining"]["learn_end"] == 8800 and e["onlytraining"]["training"] and not e["onlytraining"]["scaling"]
    assert e["trainingandscaling"]["scaling"] and e["trainingandscaling"]["scaling_start"] == 800
    assert e["onlyscaling"]["duration"] == 160000 and not e["onlyscaling"]["plasticity"]
    for name in ("onlydeletion", "scalingwithdeletion"):   # the corrected overrides, experiments.md §9.1
        p = e[name]
        assert p["duration"] == 160000 and p["deletion_step"] == 3 and p["segment_length"] == 1600
        assert p["deletion"] and p["trials"] and not p["plasticity"] and not p["training"]
    assert e["scalingwithdeletion"]["scaling"] and not e["onlydeletion"]["scaling"]


@pytest.mark.parametrize("exp,sets,words", [
    ("trainingandscaling", ["scaling_start=9700"], ["scaling_start (9700 s)", "duration 9600 s"]),
    ("onlydeletion", ["segment_length=200000"], ["segment_length", "longer than the run"]),
    ("onlydeletion", ["deletion_step=470"], ["deletion_step", "470 cells"]),
    ("onlydeletion", ["recording_interval=0"], ["recording_interval", "> 0.0"]),
    ("onlytraining", ["learn_end=100"], ["learn_end (100 s)", "learn_start (800 s)"]),
    ("onlytraining", ["learn_end=10000"], ["learn_end (10000 s)", "after the end"]),
    ("onlytraining", ["train_types=E9"], ["train_types", "'E9'"]),
    ("onlydeletion", ["deletion_rule=random"], ["deletion_rule", "'uniform'", "'scaling'"]),
])
def test_inconsistent_timelines_are_rejected_before_the_run(tmp_path, exp, sets, words):
    args = [a for s in sets for a in ("--set", s)]
    r = netcol("run", exp, *args, "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr
    assert not (tmp_path / "x").exists()


def test_original_deletion_order():
    # experiments.md §4.3, verified on the original with deletionstep = 3
    g, alive = ACG(0), list(range(470))
    assert [original_picks(g, alive, 3) for _ in range(4)] == [[173, 298, 436], [2, 395, 300], [448, 468, 358],
                                                               [445, 94, 356]]
    g, alive = ACG(0), list(range(470))   # the draws do not depend on the step
    assert original_picks(g, alive, 6) == [173, 298, 436, 2, 395, 300]


@pytest.fixture(scope="module")
def deletion_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("del") / "full"
    ok("run", "scalingwithdeletion", *SHORT_DELETION, "--checkpoint-every", "20", "--out", str(out))
    return out


def test_deletion_protocol_outputs(deletion_run):
    with h5py.File(deletion_run / "state.h5", "r") as f:
        t_del, g_del = f["deletions/time"][:], f["deletions/gid"][:]
        assert list(np.unique(t_del)) == [10000.0, 20000.0, 30000.0, 40000.0] and len(g_del) == 12
        assert f["deletions"].attrs["rule"] == "uniform"
        alive = f["records/alive"][:]
        # records every 5 s, rounds every 10 s; a record at a round's time comes before it
        assert list(alive.sum(axis=1)) == [470, 470, 467, 467, 464, 464, 461, 461]
        assert list(f["trials/kind"][:]) == [b"unique", b"repeat"] * 4
        assert f["records/activity"].attrs["units"] == "Hz" and f["records/time"].attrs["units"] == "ms"
        goal = f["records/goal"][:]
    with h5py.File(deletion_run / "nodes.h5", "r") as n:
        ex = n["nodes/column/0/excitatory"][:].astype(bool)
    assert np.isnan(goal[0]).all() and not np.isnan(goal[1][ex]).any()   # set when scaling starts (5 s)
    assert np.isnan(goal[1][~ex]).all()                                   # I cells are not scaled
    with h5py.File(deletion_run / "spikes.h5", "r") as f:
        t, gid = f["spikes/column/timestamps"][:], f["spikes/column/node_ids"][:]
    with h5py.File(deletion_run / "state.h5", "r") as f:
        t_del, g_del = f["deletions/time"][:], f["deletions/gid"][:]
    for td, g in zip(t_del, g_del):                 # deleted cells never spike again
        assert not np.any((gid == g) & (t > td))
    meta = json.loads((deletion_run / "run.json").read_text())
    assert meta["status"] == "complete" and meta["alive_at_end"] == 458 and meta["deletion_rounds"] == 4
    assert "0,unique trial" in (deletion_run / "timeline.csv").read_text()


def meta(run_dir):
    return json.loads((run_dir / "run.json").read_text())


def interrupt(exp, args, out, at_s, checkpoint_ms):
    """Run exp with args into out, stopped by SIGTERM at the end of the block reaching at_s
    (s): check that it stopped there, after its last checkpoint at checkpoint_ms, with less
    than the whole run written."""
    r = netcol("run", exp, *args, "--out", str(out), "--quiet", "--no-figure", env={"NETCOL_FAULT": f"sigterm@{at_s}"})
    assert r.returncode == 130, r.stderr
    m = meta(out)
    assert m["status"] == "interrupted" and m["t_reached_ms"] == at_s * 1000.0, m
    assert m["last_checkpoint_ms"] == checkpoint_ms, m
    return out


def resumed_from(run_dir):
    """Where a completed resume started (run.json), checking it ran to the end."""
    m = meta(run_dir)
    assert m["status"] == "complete" and m["t_reached_ms"] == m["params"]["duration"] * 1000.0, m
    return m["resumed_from_ms"]


@pytest.fixture(scope="module")
def interrupted_deletion_run(tmp_path_factory):
    """deletion_run's experiment stopped at 30 s, 10 s after its checkpoint (blocks of 5 s)."""
    out = tmp_path_factory.mktemp("del") / "cut"
    return interrupt("scalingwithdeletion", [*SHORT_DELETION, "--set", "block=5", "--checkpoint-every", "20"], out,
                     30, 20000)


@pytest.mark.mpi
@pytest.mark.parametrize("np_", [1, 2])
def test_resume_gives_the_uninterrupted_result(deletion_run, interrupted_deletion_run, tmp_path, np_):
    # stopped at 30 s, checkpoint at 20 s: resuming discards 20-30 s and must reproduce 20-40 s
    resumed = tmp_path / "resumed"
    shutil.copytree(interrupted_deletion_run, resumed)
    with h5py.File(resumed / "spikes.h5", "r") as f, h5py.File(deletion_run / "spikes.h5", "r") as g:
        assert 0 < f["spikes/column/timestamps"].shape[0] < g["spikes/column/timestamps"].shape[0]
    ok("resume", str(resumed), "--np", str(np_))
    assert resumed_from(resumed) == 20000
    assert same_outputs(deletion_run, resumed)


@pytest.mark.parametrize("exp,sets,every", [
    ("trainingandscaling", ["duration=30", "learn_start=5", "learn_end=25", "scaling_start=5",
                            "column.stdp.EE_inc=0.01"], "15"),
    ("baseline", ["rng=original", "duration=6"], "3"),
])
@pytest.mark.mpi
def test_resume_with_training_and_in_reference_mode(tmp_path, exp, sets, every):
    args = [*[a for s in sets for a in ("--set", s)], "--checkpoint-every", every]
    full = tmp_path / "full"
    ok("run", exp, *args, "--out", str(full))
    # stopped a third of the way after the first checkpoint, at the end of a block
    every_s = float(every)
    stop_s = every_s + {"trainingandscaling": 5, "baseline": 1}[exp]
    resumed = interrupt(exp, args, tmp_path / "resumed", stop_s, every_s * 1000.0)
    ok("resume", str(resumed), "--np", "2")
    assert resumed_from(resumed) == every_s * 1000.0
    assert same_outputs(full, resumed)


def test_killed_run_is_readable_and_resumes(tmp_path, deletion_run):
    out = tmp_path / "killed"
    proc = subprocess.Popen([*NETCOL, "run", "scalingwithdeletion", *SHORT_DELETION, "--set", "block=0.5",
                             "--checkpoint-every", "20", "--out", str(out), "--quiet", "--no-figure"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while not (out / "run.json").exists() or meta(out).get("last_checkpoint_ms") != 20000:
        assert proc.poll() is None and time.time() < deadline, "no checkpoint at 20 s while the run went"
        time.sleep(0.05)
    # read while the run writes (SWMR), then kill it without warning, before its end
    with h5py.File(out / "state.h5", "r", swmr=True) as f:
        assert f["records/activity"].shape[0] >= 4
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and meta(out)["status"] == "running"
    with h5py.File(out / "spikes.h5", "r", swmr=True) as f:   # readable after SIGKILL
        n_killed = f["spikes/column/timestamps"].shape[0]
    with h5py.File(out / "state.h5", "r", swmr=True) as f:
        assert f["records/time"][:].max() >= 20000
    assert n_killed > 0
    ok("resume", str(out))
    assert resumed_from(out) == 20000
    assert same_outputs(deletion_run, out)


def test_resume_refuses_changed_parameters(tmp_path):
    exp = tmp_path / "mine.toml"
    exp.write_text((REPO / "params/rowan2013/experiments/baseline.toml").read_text().replace("duration = 60.0", "duration = 4.0"))
    out = tmp_path / "run"
    ok("run", str(exp), "--checkpoint-every", "2", "--out", str(out))
    exp.write_text(exp.read_text().replace("seed = 2", "seed = 3"))
    r = netcol("resume", str(out))
    assert r.returncode == 2 and "refusing to resume" in r.stderr and "params.seed: 2 -> 3" in r.stderr
    r = netcol("resume", str(tmp_path))
    assert r.returncode == 2 and "not a netcol run directory" in r.stderr


@pytest.mark.parametrize("exp,sets", [
    ("onlytraining", ["duration=20", "learn_start=5", "learn_end=15"]),
    ("trainingandscaling", ["duration=20", "learn_start=5", "learn_end=15", "scaling_start=5"]),
    ("onlyscaling", ["duration=20", "scaling_start=5"]),
    ("onlydeletion", ["duration=20", "segment_length=5", "trial_length=2", "recording_interval=5"]),
    ("scalingwithdeletion", ["duration=20", "segment_length=5", "trial_length=2", "scaling_start=5",
                             "recording_interval=5", "deletion_rule=scaling"]),
])
@pytest.mark.mpi
def test_default_experiments_run_end_to_end_at_reduced_duration(tmp_path, exp, sets):
    out = tmp_path / exp
    ok("run", exp, *[a for s in sets for a in ("--set", s)], "--np", "2", "--out", str(out))
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    with h5py.File(out / "state.h5", "r") as f:
        assert f["records/time"].shape[0] >= 2
        if "training" in exp:
            assert not np.isnan(f["gains/snapshots/final"][:]).any()


def _e_activity(run_dir):
    with h5py.File(run_dir / "state.h5", "r") as f, h5py.File(run_dir / "nodes.h5", "r") as n:
        ex = n["nodes/column/0/excitatory"][:].astype(bool)
        t = f["records/time"][:] / 1000.0
        act, alive, goal, scale = (f[f"records/{k}"][:] for k in ("activity", "alive", "goal", "scale"))
    sel = [ex & (alive[i] == 1) for i in range(len(t))]
    return (t, np.array([act[i][s].mean() for i, s in enumerate(sel)]),
            np.array([np.nanmean(goal[i][s]) if not np.isnan(goal[i][s]).all() else np.nan for i, s in enumerate(sel)]),
            np.array([scale[i][s].mean() for i, s in enumerate(sel)]))


@pytest.mark.slow
def test_scaling_restores_activity_after_deleting_a_fifth(tmp_path):
    # accelerated scaling: sensor tau 10 s, beta 4e-4, gamma 1e-6 (per event); 94 cells
    # (a fifth) deleted at 100 s with the external scale-down; records every 10 s
    common = ["duration=170", "deletion_step=94", "segment_length=100", "trials=false", "recording_interval=10",
              "scaling_start=20", "column.mechanism.act_tau=10000", "column.mechanism.beta=4e-4",
              "column.mechanism.gamma=1e-6"]
    runs = {}
    for scaling in ("false", "true"):
        out = tmp_path / scaling
        ok("run", "onlydeletion", *[a for s in common + [f"scaling={scaling}"] for a in ("--set", s)],
           "--out", str(out))
        runs[scaling] = _e_activity(out)
    t, act_off, _, _ = runs["false"]
    _, act_on, goal, scale = runs["true"]
    target = goal[-1]                        # each cell's mean rate over 0-20 s, averaged (Hz)
    before = (t > 40) & (t < 100)
    late = t > 135
    assert act_off[before].mean() == pytest.approx(target, rel=0.15)
    assert act_off[late].mean() < 0.8 * target                  # without scaling: stays depressed
    # with scaling: back around the goal (the accelerated integral term overshoots, so the
    # mean of the last records, not the last one alone)
    assert act_on[late].mean() == pytest.approx(target, rel=0.15)
    assert act_on[late].mean() > act_off[late].mean() + 0.1
    # by raising the scale factors, far more after the deletion than before it
    assert scale[-1] > 1.2 and scale[-1] - scale[t < 100].max() > 3 * (scale[t < 100].max() - 1)


@pytest.mark.slow
def test_stdp_training_potentiates_e4_outputs(tmp_path):
    # 50 s of STDP (increment 0.01, 10x the default) with and without the training signal
    gains = {}
    for training in ("true", "false"):
        out = tmp_path / training
        ok("run", "onlytraining", "--set", "duration=60", "--set", "learn_start=5", "--set", "learn_end=55",
           "--set", f"training={training}", "--set", "column.stdp.EE_inc=0.01", "--out", str(out))
        with h5py.File(out / "state.h5", "r") as f, h5py.File(out / "nodes.h5", "r") as n:
            types = np.array(n["nodes/column/0/type"].asstr()[:])
            s = f["gains/snapshots"]
            gains[training] = (types[s["pre"][:]], s["learn_end"][:], s["final"][:], f["gains/mean"][:])
    pre, g_on, final_on, _ = gains["true"]
    _, g_off, _, _ = gains["false"]
    e4 = pre == "E4"
    assert g_on[e4].mean() > 1.005                             # E4 -> X gains rise above 1
    effect_e4 = (g_on[e4] - g_off[e4]).mean()
    effect_other = (g_on[~e4] - g_off[~e4]).mean()
    assert effect_e4 > 0 and abs(effect_other) < effect_e4 / 2  # the training acts on E4's synapses
    assert abs(effect_other) < 2e-4                            # other pairs: nearly unchanged by it
    assert np.all(final_on >= 0) and np.all(final_on <= 10.0)  # soft bounds (w_max 10)


@pytest.mark.parametrize("random_times", [False, True])
def test_training_inputs(random_times):
    from types import SimpleNamespace
    from netcol.models.rowan2013.column import load_column
    from netcol.models.rowan2013.playback import TrainingPulses
    pops = load_column().layout(1.0)
    model = SimpleNamespace(local={g: None for g in range(470)}, cells={"pops": pops})
    p = dict(load_experiment("onlytraining").params, learn_start=10.0, learn_end=60.0, train_random_times=random_times)
    tp = TrainingPulses(model, p)
    # windows of any partition give the same inputs (here 7-s windows)
    edges = np.arange(0.0, 70001.0, 7000.0)
    per = {}
    for a, b in zip(edges[:-1], edges[1:]):
        for g, (t, s, w) in tp.window(a, b).items():
            per.setdefault(g, []).extend(t.tolist())
    times = np.sort(np.concatenate([np.array(v) for v in per.values()]))
    e4 = next(q for q in pops if q.name == "E4")
    assert set(g for g, v in per.items() if v) <= set(e4.gids)
    assert len(times) == 400 * 33                           # 8 Hz x 50 s pulses of int(1.1 x 30) inputs
    assert times.min() >= 10000.0 and times.max() < 60000.0 + 1.0
    phase = (times - 10000.0) % 125.0
    if random_times:                                        # uniform over the phase, not in pulses
        assert np.mean(phase < 1.0) < 0.05
        assert np.histogram(times, bins=5, range=(10000, 60000))[0].min() > 0.15 * len(times)
    else:                                                   # every input within 1 ms of its pulse
        assert np.all(phase < 1.0)


def test_records_come_before_a_deletion_round_and_freeze_the_deleted(tmp_path):
    """A record at a deletion round's time sees the cells before the round (the original
    records first); a deleted cell's recorded sensor keeps its value from then on."""
    out = tmp_path / "del"
    ok("run", "onlydeletion", "--set", "duration=6", "--set", "segment_length=2", "--set", "deletion_step=30",
       "--set", "trials=false", "--set", "recording_start=1", "--set", "recording_interval=1", "--out", str(out))
    with h5py.File(out / "state.h5", "r") as f:
        t, alive, act = f["records/time"][:], f["records/alive"][:], f["records/activity"][:]
        deleted_t, deleted = f["deletions/time"][:], f["deletions/gid"][:]
    at = {round(x): k for k, x in enumerate(t)}
    first = deleted[deleted_t == 2000.0]
    assert len(first) == 30
    assert alive[at[2000]][first].all() and not alive[at[3000]][first].any()   # recorded before the round
    frozen = act[at[3000]:, first]
    assert (frozen == frozen[0]).all() and (frozen[0] > 0).any()              # no decay after deletion
    alive_cells = np.flatnonzero(alive[-1])
    assert (act[at[3000], alive_cells] != act[at[4000], alive_cells]).any()   # the living still change
