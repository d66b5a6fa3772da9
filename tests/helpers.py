"""Run model code in a fresh Python process: NEURON keeps global state per process."""
import json
import os
import subprocess
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
MARK = "@@NETCOL-RESULT@@"
#: The netcol command line, as a user runs it.
NETCOL = [sys.executable, "-m", "netcol.cli"]


def run_cli(*args, env=None, cwd=REPO, timeout=900):
    """Run `netcol ARGS` in a new process; return the CompletedProcess (text output).

    The tests use it through the ``cli`` fixture (conftest.py) or, in module-level
    fixtures and helpers, directly."""
    return subprocess.run([*NETCOL, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def assert_param_error_names(load, path, words):
    """load(path) raises ParamError whose message names the file and every word."""
    import pytest
    from netcol.config.schema import ParamError
    with pytest.raises(ParamError) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg
    for w in words:
        assert w in msg


def in_fresh_process(func, timeout=900, env=None, **kwargs):
    """Call func(**kwargs) in a new interpreter and return its JSON result.

    func is a function defined at the top level of a module in tests/ (the scenario
    stands next to the test that checks it); the new process imports that module."""
    module, name = func.__module__, func.__name__
    code = (f"import json, sys; sys.path.insert(0, {str(TESTS_DIR)!r}); "
            f"from {module} import {name}; "
            f"print({MARK!r} + json.dumps({name}(**json.loads(sys.argv[1]))))")
    run_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=run_env)
    if proc.returncode != 0:
        raise AssertionError(f"{name} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise AssertionError(f"{name} printed no result:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def same_outputs(a, b):
    """Two run folders hold identical spikes and state: every dataset of spikes.h5 and
    state.h5 equal, bit for bit (NaN = NaN)."""
    import h5py
    import numpy as np
    for name in ("spikes.h5", "state.h5"):
        with h5py.File(Path(a) / name, "r") as fa, h5py.File(Path(b) / name, "r") as fb:
            names_a, names_b = [], []
            fa.visit(lambda n: names_a.append(n) if isinstance(fa[n], h5py.Dataset) else None)
            fb.visit(lambda n: names_b.append(n) if isinstance(fb[n], h5py.Dataset) else None)
            assert names_a == names_b, (name, names_a, names_b)
            for n in names_a:
                x, y = fa[n][()], fb[n][()]
                assert x.shape == y.shape, (name, n)
                if x.dtype.kind == "f":
                    assert np.array_equal(x, y, equal_nan=True), (name, n)
                else:
                    assert np.array_equal(x, y), (name, n)
    return True
