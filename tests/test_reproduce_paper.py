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
