"""netcol's files read by the field's own SONATA reader, libsonata, compared with netcol's
own arrays."""
import numpy as np
import pytest

from netcol.analysis.spikes import read_nodes, read_spikes

libsonata = pytest.importorskip("libsonata")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from helpers import run_cli
    out = tmp_path_factory.mktemp("sonata") / "run"
    r = run_cli("run", "onlyscaling", "--set", "duration=4", "--set", "scaling_start=1", "--set", "recording_start=1",
                "--set", "recording_interval=1", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    return out


def test_spikes_open_in_libsonata(run):
    reader = libsonata.SpikeReader(str(run / "spikes.h5"))
    assert reader.get_population_names() == ["column"]
    pop = reader["column"]
    assert pop.sorting == "by_time"
    ids, times = zip(*pop.get())
    t, gid = read_spikes(run)
    assert len(t) > 1000
    assert np.array_equal(np.array(times), t) and np.array_equal(np.array(ids), gid)


def test_nodes_open_in_libsonata(run):
    storage = libsonata.NodeStorage(str(run / "nodes.h5"))
    assert storage.population_names == {"column"}
    pop = storage.open_population("column")
    ours = read_nodes(run)
    assert pop.size == len(ours["node_id"]) == 470
    assert {"type", "layer", "cell_class", "excitatory", "x", "y", "z"} <= set(pop.attribute_names)
    everything = libsonata.Selection([(0, pop.size)])
    assert list(pop.get_attribute("type", everything)) == list(ours["type"])
    assert np.array_equal(pop.get_attribute("x", everything), ours["x"])
    assert np.array_equal(pop.get_attribute("excitatory", everything), ours["excitatory"])
    types = (run / "node_types.csv").read_text().splitlines()
    assert types[0].split()[:2] == ["node_type_id", "pop_name"] and len(types) == 14
    assert set(pop.get_attribute("type", everything)) == {line.split()[1] for line in types[1:]}


def test_edges_open_in_libsonata(tmp_path):
    """Connections, delays, weights and the STDP gains at the end, read by libsonata;
    the gains equal the run's final snapshot, on 2 ranks (each writes its own rows)."""
    import h5py
    from helpers import run_cli
    out = tmp_path / "run"
    r = run_cli("run", "onlytraining", "--set", "duration=6", "--set", "learn_start=1", "--set", "learn_end=5",
                "--set", "column.stdp.EE_inc=0.01", "--np", "2", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    storage = libsonata.EdgeStorage(str(out / "edges.h5"))
    assert storage.population_names == {"column__column"}
    pop = storage.open_population("column__column")
    assert pop.source == "column" and pop.target == "column"
    everything = libsonata.Selection([(0, pop.size)])
    src, dst = pop.source_nodes(everything), pop.target_nodes(everything)
    assert 10000 < pop.size < 14000 and src.max() < 470 and dst.max() < 470
    assert {"delay", "weight_1", "weight_2", "stdp_gain"} <= set(pop.attribute_names)
    delay, gain = pop.get_attribute("delay", everything), pop.get_attribute("stdp_gain", everything)
    assert delay.min() >= 0.5
    with h5py.File(out / "state.h5", "r") as f:
        pre, post, final = (f[f"gains/snapshots/{k}"][:] for k in ("pre", "post", "final"))
    with h5py.File(out / "edges.h5", "r") as f:   # this libsonata has no edge-type reader
        type_ids = f["edges/column__column/edge_type_id"][:]
    types = [line.split() for line in (out / "edge_types.csv").read_text().splitlines()]
    assert types[0][0] == "edge_type_id" and types[0][-1] == "plastic" and len(types) == 1 + 72
    plastic_types = {int(t[0]) for t in types[1:] if t[-1] == "1"}
    plastic = np.isin(type_ids, list(plastic_types))
    assert plastic.sum() == len(final) and not np.isnan(gain).any() and np.all(gain[~plastic] == 1.0)
    assert np.array_equal(src[plastic], pre) and np.array_equal(dst[plastic], post)
    assert np.array_equal(gain[plastic], final) and np.ptp(final) > 0


def test_a_run_folder_opens_as_a_sonata_circuit_and_simulation(run):
    circuit = libsonata.CircuitConfig.from_file(str(run / "circuit_config.json"))
    assert circuit.node_populations == {"column"} and circuit.edge_populations == {"column__column"}
    assert circuit.node_population("column").size == 470
    assert circuit.edge_population("column__column").size > 10000
    sim = libsonata.SimulationConfig.from_file(str(run / "simulation_config.json"))
    assert sim.run.tstop == 4000.0 and sim.run.dt == 0.5
    assert sim.output.spikes_file == str(run / "spikes.h5") and sim.network == str(run / "circuit_config.json")


def test_records_export_as_sonata_reports(run, cli):
    import h5py
    r = cli("export-reports", str(run))
    assert r.returncode == 0, r.stderr
    with h5py.File(run / "state.h5", "r") as f:
        t, scale, activity = f["records/time"][:], f["records/scale"][:], f["records/activity"][:]
    for name, ours in (("scale", scale), ("activity", activity)):
        pop = libsonata.ElementReportReader(str(run / f"report_{name}.h5"))["column"]
        assert list(pop.get_node_ids()) == list(range(470))
        frame = pop.get(node_ids=[0, 5, 469])
        assert np.allclose(np.array(frame.times), t)
        assert np.allclose(np.array(frame.data), ours[:, [0, 5, 469]].astype(np.float32))


@pytest.mark.parametrize("experiment, sets, population, attributes", [
    ("sadeh2015", ["blocks=1", "tuning_orientations=2", "tuning_length=0.2", "test_length=0.2"], "sadeh2015",
     {"preferred_orientation", "input_modulation"}),
    ("vogels2011_small", ["duration=0.3"], "vogels2011", set()),
    ("akil2021_small", ["duration=0.3"], "akil2021", set()),
])
def test_population_models_files_open_in_libsonata(tmp_path, experiment, sets, population, attributes):
    """The spikes, nodes and circuit of the population-mechanism models, read by libsonata."""
    from helpers import run_cli
    out = tmp_path / "run"
    r = run_cli("run", experiment, *[a for s in sets for a in ("--set", s)], "--out", str(out), "--quiet",
                "--no-figure")
    assert r.returncode == 0, r.stderr
    ids, times = zip(*libsonata.SpikeReader(str(out / "spikes.h5"))[population].get())
    t, gid = read_spikes(out)
    assert len(t) > 100 and np.array_equal(np.array(times), t) and np.array_equal(np.array(ids), gid)
    pop = libsonata.NodeStorage(str(out / "nodes.h5")).open_population(population)
    assert {"type", "cell_class", "excitatory"} | attributes <= set(pop.attribute_names)
    everything = libsonata.Selection([(0, pop.size)])
    assert np.array_equal(pop.get_attribute("excitatory", everything), read_nodes(out)["excitatory"])
    circuit = libsonata.CircuitConfig.from_file(str(out / "circuit_config.json"))
    assert population in circuit.node_populations


def test_spikes_open_in_bmtk(run):
    """bmtk's SpikeTrains (where installed) reads the same spikes."""
    spike_trains = pytest.importorskip("bmtk.utils.reports.spike_trains")
    trains = spike_trains.SpikeTrains.load(str(run / "spikes.h5"))
    assert trains.populations == ["column"]
    frame = trains.to_dataframe().sort_values(["timestamps", "node_ids"], kind="stable")
    t, gid = read_spikes(run)
    order = np.lexsort((gid, t))
    assert np.array_equal(frame["timestamps"].to_numpy(), t[order])
    assert np.array_equal(frame["node_ids"].to_numpy(), gid[order])


def test_resumed_and_repaired_spikes_stay_sonata(tmp_path):
    """A resume (SpikeWriter keeping the first spikes) and a repair rewrite spikes.h5 with
    every attribute's own datatype: ``sorting`` stays an enum, and libsonata reads it."""
    import h5py
    from netcol.io.record import SpikeWriter, copy_truncated
    path = tmp_path / "spikes.h5"
    writer = SpikeWriter(path, "column", run_id="r1")
    writer.append(np.array([1.0, 2.0, 3.0]), np.array([0, 1, 2], np.uint64))
    writer.close()
    writer = SpikeWriter(path, "column", keep=2, run_id="r1")   # resume
    writer.append(np.array([4.0]), np.array([5], np.uint64))
    writer.close()
    copy_truncated(path, {})   # as netcol repair does
    with h5py.File(path, "r") as f:
        assert h5py.check_enum_dtype(f["spikes/column"].attrs.get_id("sorting").dtype) == {
            "none": 0, "by_id": 1, "by_time": 2}
        assert f.attrs["netcol_run_id"] == "r1"
    pop = libsonata.SpikeReader(str(path))["column"]
    assert pop.sorting == "by_time" and pop.get() == [(0, 1.0), (1, 2.0), (5, 4.0)]
