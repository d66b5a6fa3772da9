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
