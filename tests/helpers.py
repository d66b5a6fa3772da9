"""Run model code in a fresh Python process: NEURON keeps global state per process."""
import json
import os
import subprocess
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
MARK = "@@NETCOL-RESULT@@"


def assert_param_error_names(load, path, words):
    """load(path) raises ParamError whose message names the file and every word."""
    import pytest
    from netcol.schema import ParamError
    with pytest.raises(ParamError) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg
    for w in words:
        assert w in msg


def in_fresh_process(func, timeout=900, env=None, **kwargs):
    """Call tests/<module>.<name>(**kwargs) in a new interpreter and return its JSON result.

    func is "module:name" with module a file in tests/."""
    module, name = func.split(":")
    code = (f"import json, sys; sys.path.insert(0, {str(TESTS_DIR)!r}); "
            f"from {module} import {name}; "
            f"print({MARK!r} + json.dumps({name}(**json.loads(sys.argv[1]))))")
    run_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=run_env)
    if proc.returncode != 0:
        raise AssertionError(f"{func} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise AssertionError(f"{func} printed no result:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
