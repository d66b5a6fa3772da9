"""The model registry: entry points, models from outside netcol, and the typed contract."""
import textwrap
import tomllib

import pytest

from helpers import REPO, run_cli

VOGELS_SMALL = REPO / "params" / "vogels2011" / "experiments" / "vogels2011_small.toml"


def test_netcols_own_models_register_through_the_entry_point_group():
    from netcol.models import ENTRY_POINTS, registry
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][ENTRY_POINTS]
    assert registry() == declared
    assert sorted(declared) == ["akil2021", "rowan2013", "sadeh2015", "vogels2011"]


@pytest.mark.parametrize("name", ["akil2021", "rowan2013", "sadeh2015", "vogels2011"])
def test_every_model_meets_the_contract(name):
    from netcol.models import figures, model, reports
    from netcol.models.contract import FiguresModule, ModelPackage, ReportsModule, missing_hooks
    assert missing_hooks(model(name), ModelPackage) == []
    assert missing_hooks(figures(name), FiguresModule) == []
    assert missing_hooks(reports(name), ReportsModule) == []
    assert isinstance(model(name), ModelPackage)


def test_missing_hooks_are_named():
    from netcol.models.contract import ModelPackage, missing_hooks
    class Partial:
        NAME = "x"
        def assemble(self, experiment, needs):
            return None
    missing = missing_hooks(Partial(), ModelPackage)
    assert "assemble" not in missing and "NAME" not in missing
    assert {"TITLE", "PARAMS_DIR", "load_network", "open_gui", "CONTRACT"} <= set(missing)


def outside_model(root, name="mymodel", experiment="my_small", hooks=True):
    """A model package in root (not installed): the vogels2011 network under another name,
    with one experiment of its own."""
    pkg = root / name
    (pkg / "params" / "experiments").mkdir(parents=True)
    imports = ("from netcol.models.vogels2011 import (BINDING, CONTRACT, EXPERIMENT_FIELDS, NETWORK_FILE, "
               "TIME_FIELDS, assemble, check_experiment, cost, event_series, load_network, mechanism_settings, "
               "network_from_raw, open_gui)\n") if hooks else ""
    (pkg / "__init__.py").write_text(imports + textwrap.dedent(f"""\
        from pathlib import Path
        NAME = {name!r}
        TITLE = "a model from outside netcol"
        PARAMS_DIR = Path(__file__).parent / "params"
        """))
    (pkg / "figures.py").write_text("from netcol.models.vogels2011.figures import *  # noqa: F401,F403\n")
    (pkg / "reports.py").write_text("from netcol.models.vogels2011.reports import *  # noqa: F401,F403\n")
    text = VOGELS_SMALL.read_text().replace('model = "vogels2011"', f'model = "{name}"')
    (pkg / "params" / "experiments" / f"{experiment}.toml").write_text(text)
    return dict(PYTHONPATH=str(root), NETCOL_MODELS=name)


def test_a_model_from_outside_netcol_lists_and_runs(tmp_path):
    """A package on the path (NETCOL_MODELS) joins netcol list and runs its experiment
    without any file of netcol edited."""
    env = outside_model(tmp_path)
    listed = run_cli("list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "mymodel: a model from outside netcol" in listed.stdout and "my_small" in listed.stdout
    out = tmp_path / "run"
    r = run_cli("run", "my_small", "--set", "duration=0.2", "--out", str(out), "--quiet", "--no-figure",
                env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    import json
    assert json.loads((out / "run.json").read_text())["model"] == "mymodel"
    assert (out / "spikes.h5").exists()


def test_a_model_without_its_hooks_is_refused_naming_them(tmp_path):
    env = outside_model(tmp_path, hooks=False)
    r = run_cli("list", env=env, cwd=tmp_path)
    assert r.returncode == 2
    line = r.stderr.strip().splitlines()[0]
    assert "model 'mymodel'" in line and "assemble" in line and "load_network" in line and "Traceback" not in r.stderr


def test_a_model_that_cannot_be_imported_is_one_line(tmp_path):
    r = run_cli("list", env=dict(NETCOL_MODELS="no_such_model_package"), cwd=tmp_path)
    assert r.returncode == 2
    assert "no_such_model_package" in r.stderr and "cannot be imported" in r.stderr and "Traceback" not in r.stderr


def test_experiment_names_that_collide_across_models_are_an_error(tmp_path):
    env = outside_model(tmp_path, experiment="baseline")
    r = run_cli("run", "baseline", "--check", env=env, cwd=tmp_path)
    assert r.returncode == 2
    assert "experiment 'baseline' exists twice" in r.stderr and "rowan2013" in r.stderr and "mymodel" in r.stderr
