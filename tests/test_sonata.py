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


def check_edge_indices(pop, n_nodes):
    """libsonata's afferent_edges and efferent_edges of every node (through the file's
    index groups) are the rows whose target, resp. source, is that node."""
    everything = pop.select_all()
    src, dst = pop.source_nodes(everything), pop.target_nodes(everything)
    assert src.max() < n_nodes and dst.max() < n_nodes
    for ids, find in ((dst, pop.afferent_edges), (src, pop.efferent_edges)):
        order = np.argsort(ids, kind="stable")
        rows = np.split(order, np.searchsorted(ids[order], np.arange(1, n_nodes)))
        for node in range(n_nodes):
            assert np.array_equal(find([node]).flatten(), rows[node]), (find.__name__, node)
        some = [0, n_nodes // 2, n_nodes - 1]
        assert np.array_equal(find(some).flatten(), np.sort(np.concatenate([rows[k] for k in set(some)])))
    return src, dst


def test_edge_indices_as_libsonata_writes_them(tmp_path):
    """netcol's index groups, written a block at a time, equal those libsonata's own
    EdgePopulation.write_indices writes (datasets, dtypes and values), whether the node
    ids are sorted or not, with runs of a node and nodes without edges."""
    import h5py
    from netcol.io.edges import EdgeWriter, INDEX_GROUPS, write_indices
    rng = np.random.default_rng(5)
    for trial in range(12):
        n_nodes, n = int(rng.integers(1, 25)), int(rng.integers(0, 150))
        src = np.repeat(rng.integers(0, n_nodes, n), 2)[:n] if trial % 3 == 0 else rng.integers(0, n_nodes, n)
        dst = np.sort(rng.integers(0, n_nodes, n)) if trial % 2 else rng.integers(0, n_nodes, n)
        ours, theirs = tmp_path / f"ours{trial}.h5", tmp_path / f"theirs{trial}.h5"
        with EdgeWriter(ours, "p", "a", "a", {"syn_weight": None}) as w:
            for a in range(0, n, 40):
                w.append(src[a:a + 40], dst[a:a + 40], np.zeros(len(src[a:a + 40])), syn_weight=src[a:a + 40] * 0.5)
            w.close(n_nodes, n_nodes)
        with h5py.File(ours, "r+") as f:   # again, a few rows and ranges at a time
            del f["edges/p/indices"]
            write_indices(f["edges/p"], n_nodes, n_nodes, block=7, ranges_at_once=5)
        with h5py.File(theirs, "w") as f:
            g = f.create_group("edges/p")
            g["source_node_id"], g["target_node_id"] = src.astype(np.uint64), dst.astype(np.uint64)
            g["edge_type_id"] = np.zeros(n, np.int64)
            g.create_group("0")["syn_weight"] = np.zeros(n)
        libsonata.EdgePopulation.write_indices(str(theirs), "p", n_nodes, n_nodes, False)
        with h5py.File(ours, "r") as a, h5py.File(theirs, "r") as b:
            for group, _ in INDEX_GROUPS:
                for name in ("node_id_to_ranges", "range_to_edge_id"):
                    x, y = a[f"edges/p/indices/{group}/{name}"], b[f"edges/p/indices/{group}/{name}"]
                    assert x.dtype == y.dtype and np.array_equal(x[()], y[()]), (trial, group, name)
        if n:
            check_edge_indices(libsonata.EdgeStorage(str(ours)).open_population("p"), n_nodes)


def test_edges_open_in_libsonata(tmp_path):
    """Connections, delays, weights and the STDP gains at the end, read by libsonata;
    the gains equal the run's final snapshot, on 2 ranks (each writes its own rows);
    syn_weight is the first receptor's weight, syn_weight_final that times the gain;
    afferent and efferent edges are found through the file's indices."""
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
    assert {"delay", "weight_1", "weight_2", "stdp_gain", "syn_weight", "syn_weight_final"} <= set(pop.attribute_names)
    delay, gain = pop.get_attribute("delay", everything), pop.get_attribute("stdp_gain", everything)
    assert delay.min() >= 0.5
    w1 = pop.get_attribute("weight_1", everything)
    assert np.array_equal(pop.get_attribute("syn_weight", everything), w1)
    assert np.array_equal(pop.get_attribute("syn_weight_final", everything), w1 * gain)
    check_edge_indices(pop, 470)
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
    check_population_edges(out, population, pop.size)


def check_population_edges(out, population, n_nodes):
    """A population model's edges.h5: libsonata opens it, finds every node's afferent and
    efferent edges through its indices, reads syn_weight (at the start), syn_weight_final
    (at the end: the state file's final weights) and delay; the circuit lists it."""
    import h5py
    name = f"{population}__{population}"
    circuit = libsonata.CircuitConfig.from_file(str(out / "circuit_config.json"))
    assert circuit.edge_populations == {name}
    pop = libsonata.EdgeStorage(str(out / "edges.h5")).open_population(name)
    assert pop.source == pop.target == population and circuit.edge_population(name).size == pop.size > 10000
    assert {"syn_weight", "syn_weight_final", "delay"} <= set(pop.attribute_names)
    src, dst = check_edge_indices(pop, n_nodes)
    everything = pop.select_all()
    w0, w1 = pop.get_attribute("syn_weight", everything), pop.get_attribute("syn_weight_final", everything)
    assert not np.isnan(w0).any() and not np.isnan(w1).any() and pop.get_attribute("delay", everything).min() > 0
    types = [line.split() for line in (out / "edge_types.csv").read_text().splitlines()]
    assert types[0][0] == "edge_type_id" and types[0][-1] == "plastic"
    plastic_types = [int(t[0]) for t in types[1:] if t[-1] == "1"]
    with h5py.File(out / "edges.h5", "r") as f:
        g = f[f"edges/{name}"]
        plastic = np.isin(g["edge_type_id"][:], plastic_types)
        assert g["source_node_id"].attrs["node_population"] == population
        assert g["target_node_id"].attrs["node_population"] == population
    assert np.array_equal(w0[~plastic], w1[~plastic])
    with h5py.File(out / "state.h5", "r") as f:
        if "weights" in f:   # sadeh2015: every synapse's weight after each block
            assert np.array_equal(src, f["weights/pre"][:]) and np.array_equal(dst, f["weights/post"][:])
            assert np.array_equal(w1.astype(np.float32), f["weights/values"][-1])
        else:   # the plastic synapses' weights at the end
            assert np.array_equal(src[plastic], f["snapshots/pre"][:]) and np.array_equal(dst[plastic],
                                                                                          f["snapshots/post"][:])
            assert np.array_equal(w1[plastic], f["snapshots/final"][:])


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
