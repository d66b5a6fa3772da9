"""The Python API: netcol.run runs each experiment in its own process (so one Python
process runs several), with the command line's checks and one-line errors; netcol.load
and the Result read a run folder."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import netcol
from netcol.config.schema import ParamError
from netcol.io.rundir import OutputError, RunFolderError

from helpers import REPO, in_fresh_process

BETA = 4e-5


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A 1-s baseline into a folder whose parents do not exist yet (out as a str), with a
    keyword setting and a dotted one."""
    out = tmp_path_factory.mktemp("api") / "missing" / "parents" / "run"
    return netcol.run("baseline", out=str(out), duration=1, settings={"column.mechanism.beta": BETA}, progress=False)


def test_import_is_light():
    code = ("import sys, netcol; print(callable(netcol.run), callable(netcol.load), "
            "sorted(m for m in ('neuron', 'numpy', 'h5py', 'pandas', 'matplotlib', 'netcol.models') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "[]"]


def test_run_then_load(first):
    assert first.status == "complete"
    assert first.folder.name == "run" and first.folder.parent.name == "parents" and first.folder.is_absolute()
    again = netcol.load(first.folder)
    meta = again.meta
    assert meta["status"] == "complete" and meta["experiment"] == "baseline" and again.model == "rowan2013"
    # the keyword and the dotted setting reached the run, as --set would have
    assert again.settings == {"column.mechanism.beta": BETA, "duration": 1}
    assert again.params["duration"] == 1.0 and meta["network_overrides"] == {"mechanism.beta": BETA}
    assert meta["t_reached_ms"] == 1000.0
    assert "spikes.h5" in again.files and "raster.png" not in again.files
    assert "complete" in repr(again) and str(first.folder) in repr(again)


def test_spikes_as_arrays_and_dataframe(first):
    t, gid = first.spike_arrays()
    assert isinstance(t, np.ndarray) and isinstance(gid, np.ndarray)
    assert len(t) == first.meta["spikes"] > 100 and np.all(np.diff(t) >= 0) and t.max() < 1000.0
    df = first.spikes()
    assert list(df.columns) == ["time_ms", "node_id", "type", "cell_class", "excitatory"]
    assert len(df) == len(t)
    np.testing.assert_array_equal(df["time_ms"].to_numpy(), t)
    np.testing.assert_array_equal(df["node_id"].to_numpy(), gid)
    nodes = first.nodes()
    assert list(nodes.columns[:1]) == ["node_id"] and len(nodes) == 470
    assert (df["type"].astype(str).to_numpy() == nodes["type"].to_numpy()[gid]).all()
    assert (df["excitatory"].to_numpy() == nodes["excitatory"].to_numpy()[gid].astype(bool)).all()
    assert df["excitatory"].dtype == bool
    half = first.spikes(window=(0.5, 1.0))
    assert len(half) == np.count_nonzero(t >= 500.0) and half["time_ms"].min() >= 500.0


def test_edges_state_rates_and_views(first):
    edges = first.edges()
    assert {"source_node_id", "target_node_id", "edge_type_id"} <= set(edges.columns) and len(edges) > 1000
    assert edges["source_node_id"].max() < 470 and edges["target_node_id"].max() < 470
    groups = first.state_groups()
    assert "records" in groups
    records = first.state("records")
    assert "time" in records and records["activity"].shape[1] == 470
    assert set(first.state()) == set(groups)
    with pytest.raises(RunFolderError, match="no group 'nothing'"):
        first.state("nothing")
    assert first.reports() == {}
    rates = first.rates()
    assert list(rates.columns) == ["cells", "rate_hz", "sd_hz"] and rates["cells"].sum() == 470
    assert set(rates.index) == set(first.nodes()["type"])
    assert {"raster", "rates", "spectra"} <= set(first.views())
    png, pdf = first.plot("raster", show=False)
    assert png == first.folder / "raster.png" and png.exists() and pdf.exists()


def test_two_runs_in_one_process(first, tmp_path):
    """A second run in the process that ran the first (a Path this time); NEURON never
    starts here."""
    second = netcol.run("baseline", out=tmp_path / "second", duration=1, seed=3, progress=False)
    assert first.status == second.status == "complete"
    assert second.params["seed"] == 3 and second.folder == tmp_path / "second"
    assert second.meta["spikes"] > 100 and second.meta["run_id"] != first.meta["run_id"]
    assert "neuron" not in sys.modules


@pytest.mark.parametrize("kwargs, words", [
    (dict(settings={"column.mechanism.no_such_entry": 1}), ["column.mechanism.no_such_entry"]),
    (dict(no_such_parameter=1), ["no_such_parameter"]),
    (dict(duration=-2), ["'duration'", "-2"]),
    (dict(duration=[2]), ["'duration'", "[2]"]),
    (dict(train_types="1"), ["'train_types'", "'1'"]),
    (dict(duration=2, settings={"duration": 3}), ["'duration'", "twice"]),
    (dict(np=0), ["np = 0"]),
])
def test_bad_setting_raises_naming_the_key(tmp_path, kwargs, words):
    out = tmp_path / "never"
    with pytest.raises(ParamError) as err:
        netcol.run("baseline", out=out, **kwargs)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, msg
    assert not out.exists()   # checked before anything was made


def test_unknown_experiment_and_used_folder(tmp_path):
    with pytest.raises(ParamError, match="unknown experiment 'no_such_experiment'"):
        netcol.run("no_such_experiment", out=tmp_path / "x")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        netcol.run("baseline", out=tmp_path / "used", duration=1)
    with pytest.raises(RunFolderError, match="no run.json"):
        netcol.load(tmp_path / "used")


def test_error_during_run_raises_the_command_lines_line(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCOL_FAULT", "raise@0.5")
    with pytest.raises(netcol.RunError) as err:
        netcol.run("baseline", out=tmp_path / "failing", duration=1, block=0.5, progress=False)
    assert str(err.value) == "injected fault at t = 0.5 s"
    assert err.value.kind == "InjectedFault" and err.value.returncode == 2 and err.value.folder == tmp_path / "failing"
    assert netcol.load(err.value.folder).status.startswith("failed (InjectedFault")


def run_experiment_twice(out):
    """run_experiment with a str path to a missing folder, then again in the same process."""
    from netcol.config.experiment import load_experiment
    from netcol.engine.simulate import run_experiment
    meta = run_experiment(load_experiment("baseline", {"duration": 1}), out, quiet=True)
    try:
        run_experiment(load_experiment("baseline", {"duration": 1}), out + "-again", quiet=True)
        second = "ran"
    except RuntimeError as err:
        second = str(err)
    return dict(status=meta["status"], second=second)


def test_run_experiment_takes_a_str_and_creates_the_folder(tmp_path):
    out = tmp_path / "a" / "b"
    got = in_fresh_process(run_experiment_twice, out=str(out))
    assert got["status"] == "complete" and (out / "spikes.h5").exists()
    assert "already run an experiment" in got["second"] and "netcol.run" in got["second"]
    assert not Path(f"{out}-again").exists()


@pytest.mark.mpi
def test_run_on_two_ranks(tmp_path):
    result = netcol.run("baseline", out=tmp_path / "two", duration=1, np=2, progress=False)
    assert result.status == "complete" and result.meta["ranks"] == 2
    assert len(result.spikes()) == result.meta["spikes"] > 100


def test_progress_lines_as_often_as_asked(monkeypatch):
    """netcol.run asks the run for its progress lines through NETCOL_PROGRESS_EVERY."""
    import io
    from netcol.engine.progress import EVERY_VARIABLE, Progress
    for every, lines in (("0", 3), ("1000", 1), ("nonsense", 1)):
        monkeypatch.setenv(EVERY_VARIABLE, every)
        stream = io.StringIO()
        progress = Progress(3000.0, stream=stream)
        for t in (1000.0, 2000.0, 3000.0):
            progress.update(t, 1.0, 2.0)
        assert len(stream.getvalue().splitlines()) == lines, every   # the last always


def test_progress_eta_follows_the_recent_speed(monkeypatch):
    """A run that slows tenfold halfway (a runaway) gets an ETA from its present speed."""
    import io
    from netcol.engine import progress as progress_module
    clock = iter([0.0, 10.0, 110.0])   # wall s: start, then 10 s for 1 sim-s, 100 s for the next
    monkeypatch.setattr(progress_module.time, "time", lambda: next(clock))
    stream = io.StringIO()
    progress = progress_module.Progress(10000.0, stream=stream, log_every=0)
    progress.update(1000.0, 1.0, 2.0)
    progress.update(2000.0, 50.0, 200.0)
    last = stream.getvalue().splitlines()[-1]
    assert "0.01 sim-s/wall-s" in last and "ETA 800 s" in last, last   # 8 sim-s to go at that speed


# ---------------------------------------------------------------- [[record]] tables as a list

#: Two tables in the form of an experiment file's [[record]] (the gids as NumPy, as a
#: notebook has them).
RECORD = [{"name": "v", "variables": "v", "gids": np.array([0, 1, 900]), "interval": 0.001},
          {"name": "g", "variables": ["g_e", "g_i"], "populations": "I", "fraction": 0.02, "seed": 4,
           "interval": 0.0005, "start": 0.1}]


def toml_tables(tables):
    """[[record]] tables as an experiment file writes them."""
    import json

    def value(v):   # JSON's strings, numbers and lists are TOML's
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        return json.dumps(v.tolist() if hasattr(v, "tolist") else v)
    return "".join("\n[[record]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in t.items()) for t in tables)


def test_record_tables_as_a_list(tmp_path):
    """record=[{...}, {...}] records as the same tables in a file do: the run's checked
    tables equal the file's, and its reports hold the cells they choose."""
    from netcol.config.experiment import experiment_path, load_experiment
    from netcol.config.records import select_gids
    result = netcol.run("vogels2011_small", out=tmp_path / "run", duration=0.3, block=0.1, record=RECORD,
                        progress=False)
    assert result.status == "complete"
    path = tmp_path / "exp.toml"
    path.write_text(experiment_path("vogels2011_small").read_text() + toml_tables(RECORD))
    exp = load_experiment(str(path), {"duration": 0.3, "block": 0.1})
    saved = [dict(t, variables=tuple(t["variables"]), populations=tuple(t["populations"]), gids=tuple(t["gids"]))
             for t in result.params["record"]]
    assert saved == list(exp.params["record"])
    reports = result.reports()
    assert set(reports) == {"v", "g_g_e", "g_g_i"}
    assert list(reports["v"].node_ids) == [0, 1, 900] and reports["v"].data.shape == (300, 3)
    assert reports["v"].unit == "mV" and reports["g_g_i"].unit == "nS"
    types = exp.package.node_types(exp.params, exp.network)
    chosen = select_gids(exp.params["record"][1], types)
    assert len(chosen) and chosen.min() >= 800                          # I cells only
    assert np.array_equal(reports["g_g_e"].node_ids, chosen) and reports["g_g_e"].data.shape == (400, len(chosen))
    assert np.allclose(reports["g_g_e"].times_ms, 100.0 + 0.5 * np.arange(400))


BAD_RECORDS = [   # [[record]] tables that a file and record= refuse alike
    [{"name": "v", "variables": ["V", "Vm"]}],
    [{"name": "v", "variables": "V", "populations": ["E9"]}],
    [{"name": "v", "variables": "V", "gids": [3, 470]}],
    [{"name": "v", "variables": "V", "interval": 0.00025}],
    [{"name": "v", "variables": "V", "start": 2.0, "stop": 1.0}],
    [{"name": "v", "variables": "V", "stop": 100.0}],
    [{"name": "v", "variable": "V"}],
    [{"name": "v", "variables": "V", "fraction": 1.5}],
    [{"name": "v", "variables": "V", "gids": [1, 1]}],
    [{"name": "scale", "variables": "V"}],
    [{"name": "v", "variables": "V"}, {"name": "v", "variables": "VGA"}],
    [{"name": "v w", "variables": "V"}],
    [{"name": "v", "variables": "V", "fraction": {"of": 0.5}}],    # no TOML inline value: checked before
]


@pytest.mark.parametrize("tables", BAD_RECORDS, ids=[str(t) for t in BAD_RECORDS])
def test_a_bad_record_table_is_the_files_one_line(tmp_path, tables):
    """The error of a bad table given as record= is the one line a file's table gets (from
    the table on: the source is the command line's, --set), before any folder is made."""
    from netcol.config.experiment import experiment_path, load_experiment
    path = tmp_path / "exp.toml"
    path.write_text(experiment_path("baseline").read_text() + toml_tables(tables))
    with pytest.raises(ParamError) as from_file:
        load_experiment(str(path), {"duration": 5})
    out = tmp_path / "never"
    with pytest.raises(ParamError) as from_python:
        netcol.run("baseline", out=out, duration=5, record=tables)
    file_msg, python_msg = str(from_file.value), str(from_python.value)
    assert "\n" not in python_msg and "[[record]] table" in file_msg
    assert python_msg.partition(": [[record]]")[2] == file_msg.partition(": [[record]]")[2]
    assert not out.exists()
