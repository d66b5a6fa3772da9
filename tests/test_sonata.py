"""netcol's files read by the field's own SONATA reader, libsonata, compared with netcol's
own arrays."""
import numpy as np
import pytest

from netcol.analysis import read_nodes, read_spikes

libsonata = pytest.importorskip("libsonata")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from helpers import run_cli
    out = tmp_path_factory.mktemp("sonata") / "run"
    r = run_cli("run", "onlyscaling", "--set", "duration=4", "--set", "scaling_start=1", "--out", str(out),
                "--quiet", "--no-figure")
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
