"""netcol new-model: the model package it writes installs with pip, registers through its
entry point, runs its experiment and view, keeps the contract (1 rank = 2 ranks, kill +
resume = uninterrupted, as tests/test_contract.py checks netcol's own models) and sweeps,
exactly as generated.

The package is installed with pip into a folder of the test (--target), never into the
environment; the netcol processes find it through PYTHONPATH, where importlib.metadata
finds its entry point.
"""
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tomllib

import pytest

from helpers import REPO, run_cli, same_outputs

NAME = "brunel_test"
QUIET = ["--quiet", "--no-figure"]
#: A network small enough for a test (the generated experiment has 2,500 cells).
SMALL = ["--set", "n_e=400", "--set", "n_i=100"]


def pip_install(project, target):
    """pip install the project into target.  Offline with this environment's setuptools
    when it can build a wheel by itself (setuptools >= 70.1 or the wheel package), else in
    pip's isolated build environment (fetching setuptools as `make` does for netcol)."""
    import setuptools
    offline = importlib.util.find_spec("wheel") is not None or \
        tuple(int(x) for x in setuptools.__version__.split(".")[:2]) >= (70, 1)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(target), *(["--no-build-isolation"] if offline else []), str(project)]
    return subprocess.run(cmd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def model_env(tmp_path_factory):
    """Generate the model, install it, and return (folder, env for netcol processes)."""
    root = tmp_path_factory.mktemp("new_model")
    r = run_cli("new-model", NAME, "--dir", str(root / "src"), cwd=root)
    assert r.returncode == 0, r.stderr
    assert f"wrote {root / 'src' / NAME}" in r.stdout
    r = pip_install(root / "src" / NAME, root / "installed")
    assert r.returncode == 0, r.stdout + r.stderr
    env = dict(PYTHONPATH=os.pathsep.join(filter(None, [str(root / "installed"), os.environ.get("PYTHONPATH")])))
    # netcol imports the installed copy, with its data (package-data), not the source folder
    r = subprocess.run([sys.executable, "-c", f"import json, {NAME} as m; print(json.dumps([m.__file__, m.CONTRACT, "
                        "str(m.PARAMS_DIR), str(m.SWEEPS_DIR)]))"],
                       cwd=root, capture_output=True, text=True, env=dict(os.environ, **env))
    assert r.returncode == 0, r.stderr
    path, contract, params, sweeps = json.loads(r.stdout)
    assert path.startswith(str(root / "installed"))
    assert (root / "installed" / NAME / "params" / "experiments" / f"{NAME}.toml").is_file()
    assert (root / "installed" / NAME / "batch" / f"{NAME}_g.toml").is_file()
    return root, env, contract


def cli(root, env, *args, extra_env=None, timeout=300):
    """Run `netcol ARGS` in root with the model on the path (and extra_env)."""
    return run_cli(*args, env=dict(env, **(extra_env or {})), cwd=root, timeout=timeout)


def test_every_template_is_package_data():
    """pyproject.toml's package-data of netcol.models names every template, so that a wheel
    carries them (netcol new-model from an installed netcol)."""
    from netcol.models.newmodel import SUFFIX, TEMPLATE_DIR
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {p for pattern in patterns["netcol.models"] for p in TEMPLATE_DIR.parent.glob(pattern)}
    templates = set(TEMPLATE_DIR.rglob(f"*{SUFFIX}"))
    assert len(templates) >= 13 and templates <= shipped


def test_names_and_folders_are_refused_in_one_line(tmp_path):
    from netcol.models.newmodel import NewModelError, new_model
    for name, words in (("2fast", "Python identifier"), ("class", "Python identifier"),
                        ("vogels2011", "registered already"), ("baseline", "experiment 'baseline'"),
                        ("numpy", "Python already finds")):
        with pytest.raises(NewModelError, match=words):
            new_model(name, tmp_path)
    (tmp_path / "fresh").mkdir()
    with pytest.raises(NewModelError, match="exists already"):
        new_model("fresh", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh"]   # nothing written
    r = run_cli("new-model", "vogels2011", "--dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("netcol: error: new-model 'vogels2011': ")
    assert len(r.stderr.strip().splitlines()) == 2 and "Traceback" not in r.stderr   # the line and its hint


def test_the_package_holds_every_part(model_env):
    root, _, _ = model_env
    pkg = root / "src" / NAME
    project = tomllib.loads((pkg / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["netcol.models"] == {NAME: NAME}
    assert any(d.startswith("netcol") for d in project["project"]["dependencies"])
    names = {p.name for p in (pkg / NAME).iterdir()}
    assert {"__init__.py", "network.py", "protocol.py", "assembly.py", "staterec.py", "figures.py", "reports.py",
            "gui.py", "params", "batch"} <= names
    assert not list(pkg.rglob("*.tmpl")) and "{{" not in "".join(p.read_text() for p in pkg.rglob("*.py"))


def test_it_lists_runs_and_draws_its_view(model_env):
    root, env, _ = model_env
    r = cli(root, env, "list")
    assert r.returncode == 0, r.stderr
    assert f"{NAME}: " in r.stdout and f"sweep {NAME}_g" in r.stdout
    out = root / "run"
    r = cli(root, env, "run", NAME, *SMALL, "--set", "duration=0.3", "--out", str(out), *QUIET)
    assert r.returncode == 0, r.stderr
    meta = json.loads((out / "run.json").read_text())
    assert meta["model"] == NAME and meta["status"] == "complete" and meta["spikes"] > 0
    import h5py
    with h5py.File(out / "state.h5", "r") as f:
        assert f["records/time"][:].tolist() == pytest.approx([10.0 * k for k in range(1, 31)])
        assert (f["records/rate_e"][5:] > 0).all()
    r = cli(root, env, "plot", str(out), "--what", "ei_rates")
    assert r.returncode == 0, r.stderr
    assert (out / "ei_rates.png").exists()


@pytest.mark.mpi
@pytest.mark.slow
def test_it_keeps_the_contract(model_env):
    """1 rank = 2 ranks; killed at kill_at and resumed on 2 ranks = uninterrupted (the
    1-rank run)."""
    root, env, c = model_env
    args = [c["experiment"], *[a for k, v in c["sets"].items() for a in ("--set", f"{k}={v}")],
            "--checkpoint-every", str(c["checkpoint_every"]), *QUIET]
    one, two, cut = root / "one", root / "two", root / "cut"
    for out, np_ in ((one, 1), (two, 2)):
        r = cli(root, env, "run", *args, "--out", str(out), "--np", str(np_))
        assert r.returncode == 0, r.stderr
    assert same_outputs(one, two)
    assert list(one.glob("report_*.h5"))   # the contract run records traces
    r = cli(root, env, "run", *args, "--out", str(cut), extra_env={"NETCOL_FAULT": f"sigkill@{c['kill_at']}"})
    assert r.returncode == -9
    r = cli(root, env, "resume", str(cut), "--np", "2", *QUIET)
    assert r.returncode == 0, r.stderr
    assert same_outputs(one, cut)
    assert json.loads((cut / "run.json").read_text())["resumed_from_ms"] > 0


@pytest.mark.slow
def test_its_sweep_runs_and_is_summarised(model_env):
    """The generated sweep over g, found by name, and a short copy of it run and summarised
    with the model's own measures."""
    root, env, _ = model_env
    r = cli(root, env, "sweep", f"{NAME}_g", "--local", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "6 runs" in r.stdout
    spec = tomllib.loads((root / "installed" / NAME / "batch" / f"{NAME}_g.toml").read_text())
    fixed = dict(spec["fixed"], duration=0.3, n_e=400, n_i=100)
    lines = [f'experiment = "{spec["experiment"]}"', "seeds = [1]", "[fixed]",
             *[f'"{k}" = {v}' for k, v in fixed.items()], "[vary]", '"g" = [4.0, 8.0]']
    (root / "short_g.toml").write_text("\n".join(lines) + "\n")
    out = root / "sweep"
    r = cli(root, env, "sweep", str(root / "short_g.toml"), "--local", "-j", "2", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli(root, env, "sweep-summary", str(root / "short_g.toml"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(row["g"]) for row in rows] == [4.0, 8.0]
    for row in rows:
        assert row["status"] == "complete"
        assert float(row["E_rate_Hz"]) > 0 and float(row["E_isi_cv"]) >= 0 and float(row["E_synchrony"]) > 0
