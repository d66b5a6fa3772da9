"""NWB export: the file passes pynwb's validator and reads back equal to the run."""
import h5py
import numpy as np
import pytest

from netcol.analysis.spikes import read_nodes, read_spikes

pynwb = pytest.importorskip("pynwb")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from helpers import run_cli
    run = tmp_path_factory.mktemp("nwb") / "run"
    r = run_cli("run", "scalingwithdeletion", "--set", "duration=12", "--set", "segment_length=4", "--set",
                "trial_length=2", "--set", "scaling_start=2", "--set", "recording_start=1", "--set",
                "recording_interval=1", "--out", str(run), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    r = run_cli("export-nwb", str(run), "--out", str(run / "exported.nwb"))
    assert r.returncode == 0, r.stderr
    return run, run / "exported.nwb"


def test_the_file_passes_the_validator(exported):
    assert pynwb.validate(path=str(exported[1])) == []


def test_it_reads_back_equal(exported):
    run, path = exported
    t, gid = read_spikes(run)
    nodes = read_nodes(run)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        units = f.units.to_dataframe()
        assert len(units) == 470 and list(units["type"]) == list(nodes["type"])
        assert np.array_equal(units["excitatory"].to_numpy(), nodes["excitatory"])
        assert np.allclose(units["x"].to_numpy(), nodes["x"])
        for k in (0, 17, 469):
            assert np.array_equal(units["spike_times"][k], np.sort(t[gid == k]) / 1000.0)
        assert sum(len(s) for s in units["spike_times"]) == len(t)
        with h5py.File(run / "state.h5", "r") as s:
            times = s["records/time"][:] / 1000.0
            for name in ("activity", "goal", "scale", "alive"):
                series = f.processing["state"][name]
                assert np.array_equal(series.timestamps[:], times)
                assert np.array_equal(series.data[:], s[f"records/{name}"][:].astype(float), equal_nan=True)
            assert f.processing["state"]["activity"].unit == "Hz"
        events = f.intervals["protocol"].to_dataframe()
        timeline = [line.split(",") for line in (run / "timeline.csv").read_text().splitlines()[1:]]
        assert list(events["event"]) == [e for _, e in timeline]
        assert np.allclose(events["start_time"].to_numpy(), [float(x) for x, _ in timeline])
        trials = events[events["event"].str.endswith("trial")]
        assert np.allclose(trials["stop_time"].to_numpy() - trials["start_time"].to_numpy(), 2.0)
        assert f.session_start_time.tzinfo is not None and "edges.h5" in f.notes
        assert "traces" not in f.processing and "trace_cells" not in f.processing   # recorded none


TABLES = """
[[record]]
name = "vm"
variables = ["V", "VGA"]
populations = "I2"
gids = [0, 5]
fraction = 0.5
interval = 0.0005
start = 0.25

[[record]]
name = "sensor"
variables = "scale"
gids = [7]
interval = 0.25
"""


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    """A 1-s column run with two [[record]] tables (three reports), exported."""
    from helpers import run_cli
    from netcol.config.experiment import experiment_path
    base = tmp_path_factory.mktemp("nwb_traces")
    (base / "exp.toml").write_text(experiment_path("baseline").read_text() + TABLES)
    run = base / "run"
    r = run_cli("run", str(base / "exp.toml"), "--set", "duration=1", "--out", str(run), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    r = run_cli("export-nwb", str(run))
    assert r.returncode == 0, r.stderr
    return run, run / "run.nwb"


def test_traces_pass_the_validator(traced):
    assert pynwb.validate(path=str(traced[1])) == []


def test_traces_read_back_equal_to_the_reports(traced):
    """Each report is a TimeSeries of traces with the report's samples, times and the
    binding's unit; trace_cells names each data column's cell and its units row."""
    from netcol.io.traces import read_report
    from netcol.models import model
    run, path = traced
    recordable = model("rowan2013").BINDING.RECORDABLE
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        f = io.read()
        series, cells = f.processing["traces"], f.processing["trace_cells"]
        assert set(series.data_interfaces) == set(cells.data_interfaces) == {"vm_V", "vm_VGA", "sensor"}
        for name, variable in (("vm_V", "V"), ("vm_VGA", "VGA"), ("sensor", "scale")):
            report = read_report(run / f"report_{name}.h5")
            ts = series[name]
            assert ts.data.dtype == np.float32 and np.array_equal(ts.data[:], report["data"])
            assert len(report["times"]) > 1 and np.allclose(ts.get_timestamps(), report["times"] / 1000.0)
            assert ts.unit == recordable[variable][0] and ts.description.startswith(variable)
            table = cells[name].to_dataframe(index=True)
            assert np.array_equal(table["node_id"].to_numpy(), report["node_ids"])
            assert np.array_equal(cells[name]["unit"].data[:], report["node_ids"])       # the units rows
            assert np.array_equal(f.units.id[:][cells[name]["unit"].data[:]], report["node_ids"])
        assert series["vm_V"].data.shape[1] > 2 and np.allclose(series["vm_V"].get_timestamps()[0], 0.25)
        assert series["sensor"].unit == "1" and series["vm_V"].unit == "mV"
