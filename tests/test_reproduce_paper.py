"""batch/reproduce_paper.py keeps complete runs and resumes interrupted ones: an
interrupted full-length run is hours of work that a restart would throw away."""
import importlib.util
import json

from helpers import REPO


def load_script():
    spec = importlib.util.spec_from_file_location("reproduce_paper", REPO / "batch" / "reproduce_paper.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_experiment_is_kept_resumed_or_run(tmp_path):
    from netcol.io.rundir import CHECKPOINT_FILE
    next_step = load_script().next_step
    assert next_step(tmp_path / "never_ran") == "run"
    folder = tmp_path / "onlyscaling"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"status": "interrupted"}))
    assert next_step(folder) == "run"              # nothing to resume from
    (folder / CHECKPOINT_FILE).write_bytes(b"")
    assert next_step(folder) == "resume"           # the checkpoint the run loop writes
    (folder / "run.json").write_text(json.dumps({"status": "complete"}))
    assert next_step(folder) == "keep"


def test_experiments_run_jobs_at_a_time_in_the_order_given(tmp_path):
    """Two jobs run the first two experiments together (each waits to see the other
    start), and the third starts only once one of them has ended."""
    import time
    run_all = load_script().run_all

    def wait_for(path):
        deadline = time.monotonic() + 60
        while not path.exists():
            assert time.monotonic() < deadline, f"waited for {path}"
            time.sleep(0.01)

    def start(name):
        (tmp_path / f"{name}.started").touch()
        if name == "a":
            wait_for(tmp_path / "b.started")
        elif name == "b":
            wait_for(tmp_path / "a.started")
        else:
            assert (tmp_path / "a.ended").exists() or (tmp_path / "b.ended").exists()
        (tmp_path / f"{name}.ended").touch()
        return f"{name} complete"

    assert run_all(2, ["a", "b", "c"], start) == {"a": "a complete", "b": "b complete", "c": "c complete"}
