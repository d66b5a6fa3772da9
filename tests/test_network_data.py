"""The network as data: an experiment's own network tables or network file, new
populations and pairs, each pair's probability, weight, delay, plasticity and wiring rule."""
import json
import textwrap

import h5py
import numpy as np
import pytest

from helpers import run_cli
from netcol.config.experiment import load_experiment
from netcol.config.schema import ParamError
from netcol.models.rowan2013.column import cell_table
from netcol.models.rowan2013.wiring import keyed_connectivity, keyed_positions

#: An extra layer-2/3 population, E3, fed by E2 (the docs' worked example).
E3 = {"network.populations.E3.count": 20, "network.populations.E3.class": "RS", "network.populations.E3.layer": "2/3",
      "network.populations.E3.code": 30}


def wiring(experiment, seed=3):
    column = experiment.network
    cells = cell_table(column, experiment.params["size"])
    conn = keyed_connectivity(column, cells, keyed_positions(column, cells, seed), seed, experiment.params["size"])
    index = {p.name: k for k, p in enumerate(cells["pops"])}
    pair = lambda pre, post: (cells["type_index"][conn.pre] == index[pre]) & (cells["type_index"][conn.post] == index[post])
    return cells, conn, pair


def pops(cells):
    return {p.name: p for p in cells["pops"]}


def test_one_pairs_probability_and_weight_by_dotted_key():
    """`--set network.connections.E2.E2.p=...` (the list [p, w] of the file) works."""
    base = wiring(load_experiment("baseline"))
    more = wiring(load_experiment("baseline", {"network.connections.E2.E2.p": 0.3, "network.connections.E2.E2.w": 1.0}))
    n_base, n_more = base[2]("E2", "E2").sum(), more[2]("E2", "E2").sum()
    assert n_more > 1.4 * n_base   # 0.3 against the file's 0.187
    assert (base[2]("E4", "E2").sum() == more[2]("E4", "E2").sum())   # other pairs keep their draws
    w = more[1].w1[more[2]("E2", "E2")]
    assert w.mean() == pytest.approx(5.45455, rel=0.1)   # w = 1.0 times the E->E gain


def test_a_new_population_and_pair_with_fixed_indegree():
    exp = load_experiment("baseline", {**E3, "network.connections.E2.E3.rule": "fixed_indegree",
                                       "network.connections.E2.E3.indegree": 7, "network.connections.E2.E3.w": 0.5})
    cells, conn, pair = wiring(exp)
    e3 = pops(cells)["E3"]
    assert e3.count == 20 and cells["n"] == 490
    sel = pair("E2", "E3")
    assert np.bincount(conn.post[sel] - e3.first_gid, minlength=20).tolist() == [7] * 20
    assert not pair("E3", "E2").any()   # no pair given: never connected
    # sorted by presynaptic cell, then delay, as every consumer expects
    assert (np.diff(conn.pre) >= 0).all() and all((np.diff(conn.delay[conn.pre == g]) >= 0).all() for g in range(490))


def test_fixed_probability_ignores_distance():
    sets = {"network.connections.E2.I2.rule": "fixed_probability", "network.connections.E2.I2.p": 0.5}
    cells, conn, pair = wiring(load_experiment("baseline", sets))
    expected = 0.5 * 150 * 25
    assert abs(pair("E2", "I2").sum() - expected) < 4 * np.sqrt(expected)
    _, base, base_pair = wiring(load_experiment("baseline"))
    assert base_pair("E2", "I2").sum() < 0.5 * expected   # the distance rule reaches far fewer


def test_a_list_of_pairs_from_a_csv_file(tmp_path):
    (tmp_path / "pairs.csv").write_text("pre,post,weight,delay\n0,1,2.5,3.25\n4,0,,\n149,24,1.0,2.0\n")
    sets = {"network.connections.E2.I2.rule": "list", "network.connections.E2.I2.file": str(tmp_path / "pairs.csv")}
    cells, conn, pair = wiring(load_experiment("baseline", sets))
    p = pops(cells)
    sel = pair("E2", "I2")
    got = sorted(zip((conn.pre[sel] - p["E2"].first_gid).tolist(), (conn.post[sel] - p["I2"].first_gid).tolist(),
                     conn.w1[sel].tolist(), conn.delay[sel].tolist()))
    assert [g[:2] for g in got] == [(0, 1), (4, 0), (149, 24)]
    assert got[0][2:] == (2.5, 3.25) and got[2][2:] == (1.0, 2.0)
    assert 3.0 <= got[1][3] <= 5.0   # no delay given: the class's distribution


def test_a_list_naming_missing_cells_is_one_line(tmp_path):
    (tmp_path / "pairs.csv").write_text("pre,post\n0,1\n150,3\n")
    sets = {"network.connections.E2.I2.rule": "list", "network.connections.E2.I2.file": str(tmp_path / "pairs.csv")}
    with pytest.raises(ParamError, match=r"connections.E2.I2: .*pairs.csv names missing cells .*E2 has 150"):
        wiring(load_experiment("baseline", sets))


def test_a_pairs_delay_and_plasticity():
    sets = {"network.connections.E2.E2.delay_mean": 8.0, "network.connections.E2.E2.delay_halfwidth": 0.5,
            "network.connections.E4.E2.plastic": False}
    cells, conn, pair = wiring(load_experiment("baseline", sets))
    d = conn.delay[pair("E2", "E2")]
    assert d.min() >= 7.5 and d.max() <= 8.5
    assert conn.plastic[pair("E2", "E2")].all() and not conn.plastic[pair("E4", "E2")].any()
    assert not conn.plastic[pair("I2", "E2")].any()


@pytest.mark.parametrize("sets, words", [
    ({"network.connections.I2.E2.plastic": True}, ["connections.I2.E2", "excitatory source"]),
    ({"network.connections.E2.E9.p": 0.1, "network.connections.E2.E9.w": 1.0}, ["connections.E2.E9", "'E9'", "defined"]),
    ({"network.connections.E2.E2.rule": "nearest"}, ["rule", "'nearest'", "fixed_indegree"]),
    ({"network.connections.E2.I2.rule": "fixed_indegree"}, ["connections.E2.I2", "needs indegree"]),
    ({"network.connections.E2.E2.delay_mean": 2.0}, ["delay_mean and delay_halfwidth together"]),
    ({"network.populations.E3.count": 20}, ["populations.E3", "class"]),
    ({"rng": "original", "network.connections.E2.I2.rule": "fixed_probability"}, ["rng = 'original'", "E2.I2"]),
])
def test_bad_network_entries_are_one_line(sets, words):
    with pytest.raises(ParamError) as err:
        load_experiment("baseline", sets)
    assert all(w in str(err.value) for w in words), str(err.value)


def user_folder(root):
    """The docs' worked example: a user's own folder, an experiment file with network tables
    (a new E3 population and a pair from E2) and a network file that extends the model's."""
    (root / "my_network.toml").write_text(textwrap.dedent("""\
        extends = "model"
        [connections.E2.E2]
        p = 0.2
        w = 0.53
        """))
    (root / "my_column.toml").write_text(textwrap.dedent("""\
        model = "rowan2013"
        description = "the column with a layer-2/3 population E3 fed by E2"
        duration = 2.0
        network_file = "my_network.toml"

        [network.populations.E3]
        count = 20
        class = "RS"
        layer = "2/3"
        code = 30

        [network.connections.E2.E3]
        rule = "fixed_indegree"
        indegree = 10
        w = 0.8
        """))
    return root / "my_column.toml"


def test_an_experiment_files_own_network_runs_from_a_users_folder(tmp_path):
    path = user_folder(tmp_path)
    exp = load_experiment(str(path))
    assert exp.network.connections[("E2", "E3")].indegree == 10
    assert exp.network.connections[("E2", "E2")].p == 0.2 and exp.network.connections[("E6", "I6")].p == 0.43
    r = run_cli("run", str(path), "--out", str(tmp_path / "run"), "--quiet", "--no-figure", cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "run" / "nodes.h5", "r") as f:
        types = f["nodes/column/0/type"].asstr()[:]
    assert (types == "E3").sum() == 20 and len(types) == 490
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["network"]["populations"]["E3"]["count"] == 20   # saved whole: a resume needs no file


def test_a_network_file_that_replaces_the_models(tmp_path):
    from netcol.models.rowan2013.column import COLUMN_FILE
    text = COLUMN_FILE.read_text().replace("E2  = { count = 150,", "E2  = { count = 40,")
    (tmp_path / "net.toml").write_text(text)
    (tmp_path / "exp.toml").write_text('model = "rowan2013"\nduration = 1.0\nnetwork_file = "net.toml"\n')
    exp = load_experiment(str(tmp_path / "exp.toml"))
    assert pops(cell_table(exp.network, 1.0))["E2"].count == 40
    (tmp_path / "bad.toml").write_text('model = "rowan2013"\nduration = 1.0\nnetwork_file = "none.toml"\n')
    with pytest.raises(ParamError, match="network_file: .*none.toml not found"):
        load_experiment(str(tmp_path / "bad.toml"))
