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


#: Output files every run folder compared by same_outputs must hold.
ALWAYS_WRITTEN = ("spikes.h5", "state.h5", "nodes.h5", "timeline.csv")


def datasets(path):
    """{name: array} of every dataset in an HDF5 file."""
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, obj: out.__setitem__(n, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def same_outputs(a, b):
    """Two run folders hold the same results, dataset for dataset: every HDF5 output either
    has (spikes.h5, state.h5, nodes.h5, edges.h5, exported report_*.h5) with the same
    datasets, each of the same type and shape and equal bit for bit (NaN = NaN), and the
    same CSV tables (timeline.csv, node and edge types).  Attributes are not compared (the
    run id differs between runs); neither are run.json, the checkpoint and the figures."""
    import numpy as np
    a, b = Path(a), Path(b)
    for d in (a, b):
        missing = [n for n in ALWAYS_WRITTEN if not (d / n).exists()]
        assert not missing, (str(d), missing)
    for pattern in ("*.h5", "*.csv"):
        names = sorted(p.name for p in a.glob(pattern))
        assert names == sorted(p.name for p in b.glob(pattern)), (pattern, str(a), str(b))
        for name in names:
            if pattern == "*.csv":
                assert (a / name).read_bytes() == (b / name).read_bytes(), name
                continue
            da, db = datasets(a / name), datasets(b / name)
            assert sorted(da) == sorted(db), (name, sorted(set(da) ^ set(db)))
            for n, x in da.items():
                y = db[n]
                assert x.dtype == y.dtype and x.shape == y.shape, (name, n, x.dtype, y.dtype, x.shape, y.shape)
                if x.dtype.kind in "fc":
                    assert np.array_equal(x, y, equal_nan=True), (name, n)
                else:
                    assert np.array_equal(x, y), (name, n)
    return True
