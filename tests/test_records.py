"""Traces recorded in batch runs: an experiment's [[record]] tables (netcol.config.records,
netcol.engine.traces), one SONATA element report per variable, read here by libsonata.

- each model: a [[record]] table in an experiment file gives a report with the chosen node
  ids, the sample times and plausible values; recording leaves the spikes unchanged;
- bad tables: one line naming the file, the table, the key and what is allowed;
- the cells a fraction picks depend only on (seed, "record", gid).

1 rank = 2 ranks and kill + resume = uninterrupted for the reports: tests/test_contract.py
(every model's CONTRACT run records traces).
"""
import json

import numpy as np
import pytest

from netcol.config.experiment import experiment_from_saved, experiment_path, load_experiment
from netcol.config.records import inline_toml, parse_tables, select_gids
from netcol.config.schema import ParamError

from helpers import datasets, assert_param_error_names

libsonata = pytest.importorskip("libsonata")

QUIET = ["--quiet", "--no-figure"]


def experiment_with(tmp_path, experiment, tables, name="exp.toml"):
    """A copy of an experiment file with [[record]] tables (TOML text) appended."""
    path = tmp_path / name
    path.write_text(experiment_path(experiment).read_text() + "\n" + tables)
    return path


def read(path, population):
    """(node ids, times in ms, data (times x cells), units) of a report through libsonata."""
    pop = libsonata.ElementReportReader(str(path))[population]
    frame = pop.get()
    return np.array(pop.get_node_ids()), np.array(frame.times), np.array(frame.data), pop.data_units


def expected_gids(path, name):
    """The gids a checked table of the experiment at path records."""
    exp = load_experiment(str(path))
    table = next(t for t in exp.params["record"] if t["name"] == name)
    return select_gids(table, exp.package.node_types(exp.params, exp.network))


# ---------------------------------------------------------------- each model


def test_column_membrane_potential(cli, tmp_path):
    path = experiment_with(tmp_path, "baseline", """
[[record]]
name = "vm"
variables = ["V", "VGA", "threshold"]
gids = [0, 5]
populations = ["I2"]
fraction = 0.5
interval = 0.0005
stop = 1.0

[[record]]
name = "sensor"
variables = "scale"
gids = [7]
interval = 0.5
""")
    r = cli("run", str(path), "--set", "duration=2", "--out", str(tmp_path / "run"), *QUIET)
    assert r.returncode == 0, r.stderr
    run = tmp_path / "run"
    gids = expected_gids(path, "vm")
    assert 0 in gids and 5 in gids and len(gids) > 2
    ids, t, v, unit = read(run / "report_vm_V.h5", "column")
    assert np.array_equal(ids, gids) and unit == "mV"
    assert np.allclose(t, np.arange(2000) * 0.5)
    exp = load_experiment(str(path))
    rest = {g: exp.network.cell_classes[pop.cls].params["RMP"] for pop in exp.network.layout()
            for g in range(pop.first_gid, pop.first_gid + pop.count)}
    assert np.array_equal(v[0], [rest[g] for g in gids])        # at rest at t = 0 (-65 mV; FS cells -63)
    assert np.all(np.isfinite(v)) and -90 < v.min() and v.max() < 0
    assert -70 < np.median(v) < -50                             # near rest, with jumps
    assert np.abs(np.diff(v, axis=0)).max() > 2.0
    _, _, vga, _ = read(run / "report_vm_VGA.h5", "column")
    assert vga.max() <= 0 and vga.min() < -1                    # GABA-A hyperpolarises
    ids, t, s, unit = read(run / "report_sensor.h5", "column")
    assert list(ids) == [7] and list(t) == [0.0, 500.0, 1000.0, 1500.0] and unit == "1" and np.all(s == 1)
    meta = (run / ".netcol-manifest.json").read_text()
    assert "report_vm_V.h5" in meta and "report_sensor.h5" in meta
    r = cli("plot", str(run), "--what", "traces")
    assert r.returncode == 0, r.stderr
    assert (run / "traces.png").exists()


def test_vogels_between_reset_and_threshold_and_spikes_unchanged(cli, tmp_path):
    path = experiment_with(tmp_path, "vogels2011_small", """
[[record]]
name = "e"
variables = ["v", "g_e", "g_i"]
populations = "E"
fraction = 0.02
seed = 5
interval = 0.0001
start = 0.1
""")
    runs = tmp_path / "with", tmp_path / "without"
    for out, sets in zip(runs, ([], ["--set", "record=[]"])):
        r = cli("run", str(path), "--set", "duration=0.3", "--set", "block=0.1", *sets, "--out", str(out), *QUIET)
        assert r.returncode == 0, r.stderr
    a, b = (datasets(out / "spikes.h5") for out in runs)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    gids = expected_gids(path, "e")
    assert len(gids) and gids.max() < 800                        # E cells only
    ids, t, v, unit = read(runs[0] / "report_e_v.h5", "vogels2011")
    assert np.array_equal(ids, gids) and unit == "mV"
    assert np.allclose(t, 100.0 + 0.1 * np.arange(2000))
    assert -80.0 <= v.min() and v.max() <= -50.0                 # above E_I, never above threshold
    assert np.mean(v >= -60.0) > 0.9                             # mostly between reset and threshold
    _, _, ge, unit = read(runs[0] / "report_e_g_e.h5", "vogels2011")
    assert unit == "nS" and ge.min() >= 0 and ge.max() > 0
    reports = [libsonata.SimulationConfig.from_file(str(out / "simulation_config.json")).list_report_names
               for out in runs]
    assert reports == [{"e_v", "e_g_e", "e_g_i"}, set()] and not (runs[1] / "node_sets.json").exists()


def test_sadeh_below_threshold(cli, tmp_path):
    path = experiment_with(tmp_path, "sadeh2015", """
[[record]]
name = "v"
variables = "V"
gids = [0, 450]
interval = 0.001
stop = 0.5
""")
    r = cli("run", str(path), "--set", "blocks=1", "--set", "stimuli_per_block=2", "--set", "tuning_orientations=2",
            "--set", "tuning_length=0.2", "--set", "test_length=0.2", "--set", "block=0.1",
            "--out", str(tmp_path / "run"), *QUIET)
    assert r.returncode == 0, r.stderr
    ids, t, v, unit = read(tmp_path / "run" / "report_v.h5", "sadeh2015")
    assert list(ids) == [0, 450] and np.allclose(t, np.arange(500.0)) and unit == "mV"
    assert np.all(v[0] == 0) and v.max() <= 20.0 and v.max() > 5.0     # from rest (0), below vth = 20 mV


def test_akil_below_threshold_with_its_currents(cli, tmp_path):
    path = experiment_with(tmp_path, "akil2021_small", """
[[record]]
name = "x"
variables = ["V", "I_E", "I_I", "I_X"]
gids = [3, 990]
interval = 0.0001
""")
    r = cli("run", str(path), "--set", "duration=0.2", "--set", "block=0.1", "--out", str(tmp_path / "run"), *QUIET)
    assert r.returncode == 0, r.stderr
    run = tmp_path / "run"
    ids, t, v, unit = read(run / "report_x_V.h5", "akil2021")
    assert list(ids) == [3, 990] and np.allclose(t, 0.1 * np.arange(2000)) and unit == "mV"
    assert v.max() < -50.0                                       # reset at V_th, so below it between steps
    currents = {k: read(run / f"report_x_{k}.h5", "akil2021")[2:] for k in ("I_E", "I_I", "I_X")}
    assert all(unit == "mV/ms" for _, unit in currents.values())
    assert currents["I_E"][0].min() >= 0 and currents["I_I"][0].max() <= 0 and currents["I_X"][0].max() > 0


# ---------------------------------------------------------------- checks


BAD = [   # (table, words the one-line error names besides the file)
    ('name = "v"\nvariables = ["V", "Vm"]', ["'Vm'", "variables", "V (mV)", "VGA (mV)", "scale (1)"]),
    ('name = "v"\nvariables = "V"\npopulations = ["E9"]', ["populations", "'E9'", "E2", "I2L"]),
    ('name = "v"\nvariables = "V"\ngids = [3, 470]', ["gids", "470", "470 cells", "0 to 469"]),
    ('name = "v"\nvariables = "V"\ninterval = 0.00025', ["interval", "0.00025", "0.5 ms", "0.0005"]),
    ('name = "v"\nvariables = "V"\nstart = 2.0\nstop = 1.0', ["stop = 1.0", "start = 2.0"]),
    ('name = "v"\nvariables = "V"\nstop = 100.0', ["stop = 100.0", "duration"]),
    ('name = "v"\nvariable = "V"', ["unknown key", "variable", "variables"]),
    ('name = "v"\nvariables = "V"\nfraction = 1.5', ["fraction", "<= 1"]),
    ('name = "scale"\nvariables = "V"', ["report_scale.h5", "export-reports"]),
]


@pytest.mark.parametrize("table, words", BAD, ids=[w[0] for _, w in BAD])
def test_a_bad_table_is_one_line_naming_file_key_and_allowed(tmp_path, table, words):
    path = experiment_with(tmp_path, "baseline", f"[[record]]\n{table}\n")
    assert_param_error_names(lambda p: load_experiment(str(p), {"duration": 5}), path, ["[[record]]", *words])
    with pytest.raises(ParamError) as err:
        load_experiment(str(path), {"duration": 5})
    assert "\n" not in str(err.value)


def test_the_grid_is_the_models(tmp_path):
    table = '[[record]]\nname = "v"\nvariables = "v"\ninterval = 0.00005\n'
    path = experiment_with(tmp_path, "vogels2011_small", table)
    assert_param_error_names(load_experiment, path, ["interval", "0.1 ms", "0.0001"])


def test_the_file_the_set_and_the_dict_forms_agree(tmp_path):
    path = experiment_with(tmp_path, "baseline", '[[record]]\nname = "v"\nvariables = ["V"]\ngids = [1, 2]\n')
    from_file = load_experiment(str(path), {"duration": 3}).params["record"]
    from_set = load_experiment("baseline", {"duration": 3, "record": '{name = "v", variables = ["V"], gids = [1, 2]}'})
    from_dict = load_experiment("baseline", {"duration": 3,
                                             "record": [{"name": "v", "variables": ["V"], "gids": [1, 2]}]})
    assert from_file == from_set.params["record"] == from_dict.params["record"]
    (table,) = from_file
    assert table["seed"] == 2 and table["stop"] == 3.0 and table["interval"] == 0.001   # the run's seed and end
    assert parse_tables(list(from_file), "saved") == from_file                            # saved form reads back
    saved = json.loads(json.dumps(from_set.effective()))                                  # as run.json keeps it
    assert experiment_from_saved(saved).params["record"] == from_file
    assert parse_tables(inline_toml(list(from_file)), "--set") == from_file               # as a command line


def test_a_fraction_is_keyed_by_gid():
    types = [("E", 800), ("I", 200)]
    table = dict(name="x", variables=("v",), populations=("E",), gids=(900, 901), fraction=0.3, seed=7)
    picked = select_gids(table, types)
    assert set(picked) <= set(range(800)) | {900, 901} and 0.2 < len(picked) / 802 < 0.4
    assert np.array_equal(picked, np.sort(picked))
    # each gid's draw is its own: a smaller candidate set keeps exactly its part of the choice
    only_i = select_gids(dict(table, populations=()), types)
    assert set(only_i) == set(picked) & {900, 901}
    assert not np.array_equal(select_gids(dict(table, seed=8), types), picked)
    assert len(select_gids(dict(table, fraction=1.0), types)) == 802
    assert len(select_gids(dict(table, populations=(), gids=(), fraction=1.0), types)) == 1000


# ---------------------------------------------------------------- the simulation config


def test_the_simulation_config_lists_every_report(cli, tmp_path):
    """simulation_config.json has a SONATA reports section that libsonata reads: one
    report per file, its variable, unit and times (ms), the cells as a node set of
    node_sets.json, and the file it names is the report."""
    path = experiment_with(tmp_path, "baseline", """
[[record]]
name = "vm"
variables = ["V", "threshold"]
populations = ["I2"]
gids = [3]
fraction = 0.5
interval = 0.0005
start = 0.25
stop = 0.75

[[record]]
name = "sensor"
variables = "scale"
gids = [7, 9]
interval = 0.25
""")
    run = tmp_path / "run"
    r = cli("run", str(path), "--set", "duration=1", "--out", str(run), *QUIET)
    assert r.returncode == 0, r.stderr
    exp = load_experiment(str(path), {"duration": 1})
    sim = libsonata.SimulationConfig.from_file(str(run / "simulation_config.json"))
    assert sim.list_report_names == {"vm_V", "vm_threshold", "sensor"}
    assert sim.node_sets_file == str(run / "node_sets.json")
    node_sets = libsonata.NodeSets.from_file(sim.node_sets_file)
    nodes = libsonata.CircuitConfig.from_file(sim.network).node_population("column")
    expected = {"vm_V": ("vm", "V", 250.0, 750.0, 0.5), "vm_threshold": ("vm", "threshold", 250.0, 750.0, 0.5),
                "sensor": ("sensor", "scale", 0.0, 1000.0, 250.0)}
    Report = libsonata.SimulationConfig.Report
    for name, (table, variable, start, end, dt) in expected.items():
        report = sim.report(name)
        assert (report.variable_name, report.start_time, report.end_time, report.dt) == (variable, start, end, dt)
        assert report.unit == exp.package.BINDING.RECORDABLE[variable][0]
        assert report.type == Report.Type.compartment and report.sections == Report.Sections.soma and report.enabled
        assert report.file_name == str(run / f"report_{name}.h5")
        gids = expected_gids(path, table)
        assert np.array_equal(node_sets.materialize(report.cells, nodes).flatten(), gids)
        ids, t, v, unit = read(report.file_name, "column")              # the file it names is that report
        assert np.array_equal(ids, gids) and unit == report.unit and v.shape == (len(t), len(gids))
        assert np.allclose(t, np.arange(start, end, dt))
    assert "node_sets.json" in json.loads((run / ".netcol-manifest.json").read_text())["files"]
