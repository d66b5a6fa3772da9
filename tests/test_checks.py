"""Checks made before a run starts or resumes (issue #28): protocol times on the grid
where they are exact in the run, a resumed run equal to the uninterrupted one at any
accepted checkpoint time."""
import json

import pytest

from helpers import run_cli as netcol, same_outputs

QUIET = ["--quiet", "--no-figure"]


def sets(*items):
    return [a for s in items for a in ("--set", s)]


def one_line_error(r, *words):
    """The run was refused with one error line (and a hint) holding every word."""
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("netcol: error") and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], lines[0]


# ---------------------------------------------------------------- times on the model's step

@pytest.mark.parametrize("experiment, args, words", [
    # inside a 0.1-ms Euler step, though whole multiples of NEURON's 1/32 ms
    ("vogels2011_small", ["--checkpoint-every", "0.15625"],
     ["--checkpoint-every = 0.15625 s", "integration step (0.1 ms)", "0.1562 or 0.1563 s"]),
    ("akil2021_small", ["--checkpoint-every", "0.15625"], ["--checkpoint-every", "(0.1 ms)"]),
    ("akil2021_small", sets("block=0.00025"), ["block = 0.00025 s", "(0.1 ms)", "0.0002 or 0.0003 s"]),
    # inside a 1-ms map step, though a whole multiple of NEURON's 0.25 ms
    ("sadeh2015", sets("duration=1.00025"), ["duration = 1.00025 s", "(1 ms)", "1 or 1.001 s"]),
])
def test_times_inside_a_model_step_are_refused(tmp_path, experiment, args, words):
    r = netcol("run", experiment, *args, "--out", str(tmp_path / "run"), *QUIET)
    one_line_error(r, *words)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("experiment, setting", [
    ("vogels2011_small", "recording_interval=0.0001"),
    ("akil2021_small", "duration=1.0001"),
    ("vogels2011_small", "block=0.0001"),
])
def test_whole_model_steps_are_accepted(experiment, setting):
    r = netcol("run", experiment, "--set", setting, "--check")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("experiment", ["vogels2011_small", "akil2021_small"])
def test_resume_at_a_whole_step_off_neurons_grid_equals_the_uninterrupted_run(tmp_path, experiment):
    """A checkpoint at 150.1 ms, blocks of 50.3 ms and an end at 400.3 ms (whole 0.1-ms
    steps, none a multiple of NEURON's 1/32 ms): killed after the checkpoint and resumed
    on two ranks, the run writes what the uninterrupted one does."""
    args = [experiment, *sets("duration=0.4003", "block=0.0503"), "--checkpoint-every", "0.1501", *QUIET]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert netcol("run", *args, "--out", str(full)).returncode == 0
    r = netcol("run", *args, "--out", str(cut), env={"NETCOL_FAULT": "sigkill@0.2"})
    assert r.returncode == -9
    assert json.loads((cut / "run.json").read_text())["last_checkpoint_ms"] == pytest.approx(150.1)
    r = netcol("resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert same_outputs(full, cut)


# ---------------------------------------------------------------- the checkpoint's time

@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A vogels2011 run killed at 0.3 s after a checkpoint at 0.2 s."""
    out = tmp_path_factory.mktemp("killed") / "run"
    r = netcol("run", "vogels2011_small", *sets("duration=0.5", "block=0.1"), "--checkpoint-every", "0.2",
               "--out", str(out), *QUIET, env={"NETCOL_FAULT": "sigkill@0.3"})
    assert r.returncode == -9
    return out


@pytest.mark.parametrize("t, words", [
    (-100.0, ["-100.0 ms", "outside the run, 0 to 500 ms"]),
    (1e7, ["10000000.0 ms", "outside the run"]),
    (float("nan"), ["nan ms", "not a finite number"]),
    (150.05, ["150.05 ms", "0.1-ms steps"]),
    (100.0, ["100.0 ms", "earlier than the", "spikes it counted"]),
    (250.0, ["250.0 ms", "later than spikes.h5's spikes written after it"]),
])
def test_resume_refuses_a_checkpoint_time_it_cannot_continue_from(killed, t, words):
    """The altered time is refused in one line naming the checkpoint file; run.json is left
    as the killed run left it.  The untouched checkpoint still resumes."""
    from netcol.engine import checkpoint
    original = checkpoint.read(killed)
    assert original["t"] == 200.0
    status = json.loads((killed / "run.json").read_text())["status"]
    checkpoint.write(killed, dict(original, t=t))
    try:
        r = netcol("resume", str(killed), *QUIET)
        one_line_error(r, str(killed / checkpoint.FILE), *words)
        assert json.loads((killed / "run.json").read_text())["status"] == status
    finally:
        checkpoint.write(killed, original)


def test_resume_from_the_untouched_checkpoint(tmp_path, killed):
    import shutil
    cut = tmp_path / "cut"
    shutil.copytree(killed, cut)
    r = netcol("resume", str(cut), *QUIET)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- memory and time estimates

@pytest.mark.parametrize("experiment, args, words", [
    # cells without synapses still cost memory (the estimate counted synapses only)
    ("vogels2011_small", sets("n_e=200000000", "p_e=0", "p_ii=0", "p_ie=0"),
     ["200000200 cells, 0.00 M synapses", "GB of memory per rank", "this machine has"]),
    ("akil2021_small", sets("n=100000000", "p_ee=0", "p_ei=0", "p_ie=0", "p_ii=0", "p_xe=0", "p_xi=0", "rules="),
     ["100000000 cells", "GB of memory per rank"]),
    # a pathway's in-degree counts as its synapses, whatever the probability says
    ("vogels2011_small", sets("n_e=100000", "p_e=0", "network.pathways.ee.rule=fixed_indegree",
                              "network.pathways.ee.indegree=100000"),
     ["100200 cells, 10004.01 M synapses", "GB of memory per rank"]),
    # the protocol's segments are counted before they are made
    ("sadeh2015", sets("tuning_orientations=100000000"),
     ["tuning_orientations = 200,000,000 tuning runs", "more than 100,000"]),
])
def test_networks_beyond_the_machine_are_refused_at_once(experiment, args, words):
    r = netcol("run", experiment, *args, "--check", timeout=30)
    one_line_error(r, *words)


def test_the_estimate_includes_the_set_up():
    """A size-2000 column (940,000 cells) is estimated with its set-up, which grows with
    the cells (its own populations counted), inside the whole run's time."""
    import re
    times = {}
    for size in (20, 2000):
        r = netcol("run", "baseline", "--set", f"size={size}", "--set", "duration=0.01", "--check")
        assert r.returncode == 0, r.stderr
        m = re.search(r"about ([\d.]+) (\w+) of wall time on 1 rank\(s\) \(set-up ([\d.]+) (\w+)\)", r.stdout)
        unit = {"s": 1, "minutes": 60, "hours": 3600, "days": 86400}
        times[size] = (float(m[1]) * unit[m[2]], float(m[3]) * unit[m[4]])
    assert times[2000][1] == pytest.approx(100 * times[20][1], rel=0.02)   # linear in the cells
    assert times[2000][0] >= times[2000][1] > 1800                          # and inside the total
    r = netcol("run", "baseline", "--set", "size=100", "--set", "network.populations.E9.count=470",
               "--set", "network.populations.E9.class=RS", "--set", "network.populations.E9.layer=\"6\"",
               "--set", "network.populations.E9.code=99", "--check")
    assert "94000 cells" in r.stdout, r.stdout + r.stderr   # 47,000 of its own and 47,000 more


@pytest.mark.parametrize("error, words", [
    (MemoryError(), ["netcol: error: MemoryError: out of memory", "hint: the run needed more memory"]),
    (RuntimeError(), ["netcol: error: RuntimeError (without a message)", "hint: run again with --debug"]),
])
def test_an_error_without_a_message_is_named(monkeypatch, capsys, error, words):
    from netcol import cli

    def fail(args, argv):
        raise error
    monkeypatch.setitem(cli.COMMANDS, "list", fail)
    assert cli.main(["list"]) == 2
    err = capsys.readouterr().err
    assert "netcol: error: \n" not in err
    for w in words:
        assert w in err, err


def test_a_cost_without_the_set_up_is_named():
    """A model written before set-up times were estimated is told what its cost() lacks."""
    from netcol.config.budget import check_budget
    from netcol.config.schema import ParamError
    with pytest.raises(ParamError, match="here: the model's cost\\(\\) gives no setup_s"):
        check_budget(dict(duration=1.0), [], None, dict(memory_mb=1.0, wall_per_sim_s=1.0, memory_note="x"), "here")


# ---------------------------------------------------------------- experiment files

def test_an_experiment_file_must_name_its_model(tmp_path):
    (tmp_path / "mine.toml").write_text("duration = 1.0\n")
    r = netcol("run", str(tmp_path / "mine.toml"), "--check")
    one_line_error(r, "mine.toml: names no model", 'model = "<name>"', "akil2021, rowan2013, sadeh2015, vogels2011")


def test_a_run_from_before_models_were_packages_still_resumes(tmp_path):
    """Its experiment file, run.json and checkpoint name no model: it is the column's."""
    from netcol.engine import checkpoint
    exp, out = tmp_path / "old.toml", tmp_path / "run"
    exp.write_text('model = "rowan2013"\nduration = 4.0\nrecording_interval = 1.0\n')
    r = netcol("run", str(exp), "--checkpoint-every", "2", "--out", str(out), *QUIET, env={"NETCOL_FAULT": "sigterm@3"})
    assert r.returncode == 130, r.stderr
    exp.write_text('duration = 4.0\nrecording_interval = 1.0\n')
    ck = checkpoint.read(out)
    checkpoint.write(out, dict(ck, effective={k: v for k, v in ck["effective"].items() if k != "model"}))
    meta = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "model"}))
    r = netcol("resume", str(out), *QUIET)
    assert r.returncode == 0, r.stderr
    r = netcol("info", str(out))
    assert r.returncode == 0 and "complete" in r.stdout, r.stdout + r.stderr


# ---------------------------------------------------------------- ranks and long runs

@pytest.mark.parametrize("command", [["run", "vogels2011_small", "--check"], ["resume", "no-such-run"]])
def test_more_ranks_than_this_machine_can_run_are_refused(command):
    r = netcol(*command, "--np", "1000")
    one_line_error(r, "--np 1000: this machine has", "core(s)", "at most", "mpiexec or srun")


def test_a_long_run_says_its_estimate_as_it_starts(tmp_path):
    r = netcol("run", "baseline", "--set", "duration=10000", "--out", str(tmp_path / "long"), "--no-figure",
               env={"NETCOL_FAULT": "sigterm@1"})
    assert r.returncode == 130, r.stderr
    # on the rank engine, 0.06 wall s per simulated s
    assert "netcol: baseline: 10000 s simulated, about 10 minutes of wall time on 1 rank(s) (set-up" in r.stderr
    r = netcol("run", "baseline", "--set", "duration=1", "--out", str(tmp_path / "short"), "--no-figure")
    assert r.returncode == 0 and "of wall time" not in r.stderr, r.stderr
