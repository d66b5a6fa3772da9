"""The population models' pathway tables ([pathways.<pre><post>] in their network files):
each pathway's transmission delay and its wiring rule (fixed probability or fixed
in-degree).

- a delay of D steps delays a spike's first effect on its targets by exactly D steps, in
  each mechanism (several delays from one source at once) and through each model's
  network file;
- fixed_indegree gives every target exactly K distinct sources of the pathway's
  population, the same on any number of ranks, and leaves the other pathways' draws as
  they were;
- 1 rank = 2 ranks with delays and an in-degree (the contract runs, tests/test_contract.py),
  and a resume within the longest delay delivers what was in flight;
- bad values are refused in one line naming the file, the table and what is allowed.
"""
import h5py
import numpy as np
import pytest

from helpers import in_fresh_process, same_outputs
from netcol.config.experiment import load_experiment
from netcol.config.schema import ParamError

#: Delays (steps) of the synapses from one source onto targets 1, 2, 3 in the mechanism tests.
DELAYS = [1, 3, 7]
STEPS = 12


def _run_and_probe(h, pc, pop, step, probe, n_targets):
    """Advance a population step by step; per target, the first step after which probe(p)
    is not 0 (None if never)."""
    h.CVode().active(0)
    pc.set_maxstep(10)
    from netcol.cells.population import finitialize_at_step
    finitialize_at_step(h, pop, 0)
    first = [None] * n_targets
    for k in range(STEPS):
        pc.psolve((k + 1) * step)   # between step k and step k + 1
        for j in range(n_targets):
            if first[j] is None and probe(1 + j) != 0:
                first[j] = k
    return first


def condlif_first_effects(delays):
    """Cell 0 fires in step 0 (v_init above threshold) and reaches cells 1.. through one
    excitatory synapse each, of the given delays (steps); the first step whose Euler
    update leaves each target's g_e above 0."""
    from netcol.cells import condlif
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    condlif.apply_mechanism_settings(h, {k: f.default for k, f in condlif.MECHANISM_FIELDS.items()}, 0.1)
    n = 1 + len(delays)
    pop = condlif.new_population(h, n, STEPS)
    wiring = RankWiring(h, pc, pop)
    for gid in range(n):
        pop.add_cell(gid, wiring.relay(gid))
        if gid:
            condlif.add_synapses(h, pop, [0], [condlif.EXC], [0.0], [delays[gid - 1]])
    wiring.listen(range(n), condlif.DELAY)
    h.dt = condlif.DT
    first = _run_and_probe(h, pc, pop, condlif.STEP_DT, lambda p: pop.probe(1, p), len(delays))
    return dict(first=first, longest=pop.longest_delay())


def eif_first_effects(delays):
    """E cell 0 starts above threshold (fires in step 0) and reaches E cells 1.. through one
    E -> E synapse each, of the given delays (steps); the first step after which each
    target's I_E is not 0."""
    from netcol.cells import eif
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    eif.apply_mechanism_settings(h, {k: f.default for k, f in eif.MECHANISM_FIELDS.items()})
    n = 1 + len(delays)
    pop = eif.new_population(h, n, n, 1, STEPS)
    for k in range(len(eif.PATHWAYS)):
        eif.set_pathway(pop, k, 1.0)
    wiring = RankWiring(h, pc, pop)
    for gid in range(n):
        pop.add_cell(gid, wiring.relay(gid), -40.0 if gid == 0 else -70.0)
        if gid:
            eif.add_synapses(h, pop, [0], [eif.EE], [1.0], [delays[gid - 1]])
    wiring.listen(range(n), eif.DELAY)
    h.dt = eif.DT
    first = _run_and_probe(h, pc, pop, eif.STEP_DT, lambda p: pop.probe(1, p), len(delays))
    return dict(first=first, longest=pop.longest_delay())


def lifmap_first_effects(delays):
    """Cell 0 takes a strong feedforward input (fires every step from step 0), cells 1.. none
    (modulation -1 at their preferred orientation) and one synapse each from cell 0, of
    the given delays (steps); the first step after which each target's y is not 0."""
    from netcol.cells import lifmap
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    settings = {k: f.default for k, f in lifmap.MECHANISM_FIELDS.items()}
    lifmap.apply_mechanism_settings(h, dict(settings, rate=20000.0, vth=0.5))
    n = 1 + len(delays)
    pop = lifmap.new_population(h, n, 7)
    wiring = RankWiring(h, pc, pop)
    for gid in range(n):
        pop.add_cell(gid, 0.0, 1.0 if gid == 0 else -1.0, wiring.relay(gid))
        if gid:
            lifmap.add_synapses(h, pop, [0], [0.1], [lifmap.STATIC], [delays[gid - 1]])
    wiring.listen(range(n), lifmap.DELAY)
    lifmap.add_segment(pop, 0, STEPS, 0.0, 0, 1, 3, 0)
    h.dt = lifmap.DT
    first = _run_and_probe(h, pc, pop, lifmap.MAP_DT, lambda p: pop.probe(0, p), len(delays))
    return dict(first=first, longest=pop.longest_delay())


@pytest.mark.parametrize("scenario", [condlif_first_effects, eif_first_effects, lifmap_first_effects],
                         ids=["condlif", "eif", "lifmap"])
def test_a_delay_of_d_steps_first_acts_d_steps_after_the_spike(scenario):
    # one source, three targets with delays 1, 3 and 7 steps, in one population: the
    # spike of step 0 first acts in step d on each (d = 1: the mechanisms' old delivery)
    got = in_fresh_process(scenario, delays=DELAYS)
    assert got["first"] == DELAYS
    assert got["longest"] == max(DELAYS)


def bad_delay(mechanism, delay, cell=True):
    """Add a synapse of the given delay (steps) to cell 0 (cell=False: before any cell is
    added); NEURON's error or 'accepted'."""
    from netcol.cells import condlif, eif, lifmap
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    if mechanism == "condlif":
        pop = condlif.new_population(h, 2, 10)
        add_cell = lambda: pop.add_cell(0, RankWiring(h, pc, pop).relay(0))
        add = lambda: condlif.add_synapses(h, pop, [1], [condlif.EXC], [0.0], [delay])
    elif mechanism == "eif":
        pop = eif.new_population(h, 2, 2, 1, 10)
        add_cell = lambda: pop.add_cell(0, RankWiring(h, pc, pop).relay(0), -70.0)
        add = lambda: eif.add_synapses(h, pop, [1], [eif.EE], [0.0], [delay])
    else:
        pop = lifmap.new_population(h, 2, 1)
        add_cell = lambda: pop.add_cell(0, 0.0, 0.0, RankWiring(h, pc, pop).relay(0))
        add = lambda: lifmap.add_synapses(h, pop, [1], [0.1], [lifmap.STATIC], [delay])
    if cell:
        add_cell()
    try:
        add()
    except RuntimeError:
        return "error"
    return "accepted"


@pytest.mark.parametrize("mechanism", ["condlif", "eif", "lifmap"])
def test_the_mechanisms_refuse_a_delay_below_one_step_or_between_steps(mechanism):
    assert in_fresh_process(bad_delay, mechanism=mechanism, delay=0) == "error"
    assert in_fresh_process(bad_delay, mechanism=mechanism, delay=2.5) == "error"


@pytest.mark.parametrize("mechanism", ["condlif", "eif", "lifmap"])
def test_the_mechanisms_refuse_synapses_before_their_first_cell(mechanism):
    # synapses belong to the cell added last: with none, they would index cell -1
    assert in_fresh_process(bad_delay, mechanism=mechanism, delay=1, cell=False) == "error"
    assert in_fresh_process(bad_delay, mechanism=mechanism, delay=1) == "accepted"


# ---------------------------------------------------------------- delays through the network file

def first_nonzero_rows(report):
    """Per recorded cell, the first row of a report whose value is not 0."""
    with h5py.File(report, "r") as f:
        data = f[f"report/{list(f['report'])[0]}/data"][()]
    return [int(np.flatnonzero(data[:, c])[0]) for c in range(data.shape[1])]


TINY = {
    # 2 E cells and 1 I cell, all connected, all firing in step 0 (v_init = 0 mV), none again
    # within the 5-ms refractory period: g_e shows when the spike of step 0 first acts
    "vogels2011": (["vogels2011_small", "--set", "n_e=2", "--set", "n_i=1", "--set", "p_e=1", "--set", "p_ie=1",
                    "--set", "p_ii=1", "--set", "duration=0.003", "--set", "block=0.003", "--set",
                    "recording_interval=0.001", "--set", "plasticity_start=0.003", "--set",
                    'record={name = "g", variables = "g_e", interval = 0.0001}'], "report_g.h5", [2]),
    # 4 E cells and 1 I cell, all connected, firing in every step (reset above threshold),
    # without external input: I_E shows when the spike of step 0 first acts
    "akil2021": (["akil2021_small", "--set", "n=5", "--set", "n_x=1", "--set", "rules=", "--set", "p_ee=1",
                  "--set", "p_ei=1", "--set", "p_ie=1", "--set", "p_ii=1", "--set", "p_xe=0", "--set", "p_xi=0",
                  "--set", "duration=0.003", "--set", "block=0.003", "--set", "recording_interval=0.001",
                  "--set", "network.mechanism.v_re=-45", "--set", "network.mechanism.v_t=-40", "--set",
                  'record={name = "i", variables = "I_E", interval = 0.0001}'], "report_i.h5", [4]),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_a_pathway_delay_from_the_network_file_delays_the_first_effect(cli, tmp_path, name):
    """E -> E 3 steps, E -> I 8 steps: a record at t = j steps holds the state after step
    j - 1, so the spike of step 0 shows first in row d + 1 (row 2 with the default delay)."""
    args, report, i_cells = TINY[name]
    for sets, ee, ei in (([], 1, 1), (["--set", "network.pathways.ee.delay=0.3", "--set",
                                       "network.pathways.ei.delay=0.8"], 3, 8)):
        out = tmp_path / f"{ee}"
        r = cli("run", *args, *sets, "--out", str(out), "--quiet", "--no-figure")
        assert r.returncode == 0, r.stderr
        rows = first_nonzero_rows(out / report)
        assert rows == [ei + 1 if c in i_cells else ee + 1 for c in range(len(rows))], rows
        with h5py.File(out / "edges.h5", "r") as f:   # each synapse's delay, as set up
            e = f[f"edges/{name}__{name}"]
            types, delay = e["edge_type_id"][()], e["0/delay"][()]
        assert set(delay[types == 101]) == {ee * 0.1} and set(delay[types == 102]) == {ei * 0.1}
        assert set(delay[types >= 201]) == {0.1}


# ---------------------------------------------------------------- fixed in-degree

def _sources_by_target(experiment, sets, n_targets):
    """Each target's sources (gids; akil2021's external sources from N on)."""
    from importlib import import_module
    exp = load_experiment(experiment, sets)
    incoming = import_module(f"netcol.models.{exp.model}.network").incoming
    if exp.model == "sadeh2015":
        return exp, [incoming(exp.network, exp.params["seed"], g)[0] for g in range(n_targets)]
    return exp, [incoming(exp.params, exp.network, g)[0] for g in range(n_targets)]


#: Per model: a target population's first and last gid + 1, and the source populations' gid
#: ranges; pathway, K.
INDEGREE = {
    "vogels2011": ("vogels2011_small", {"ee": (0, 800), "ei": (0, 800), "ie": (800, 1000), "ii": (800, 1000)},
                   (0, 800), (800, 1000)),
    "akil2021": ("akil2021_small", {"ee": (0, 800), "ei": (0, 800), "ie": (800, 1000), "ii": (800, 1000),
                                    "xe": (1000, 1200), "xi": (1000, 1200)}, (0, 800), (800, 1000)),
    "sadeh2015": ("sadeh2015", {"ee": (0, 400), "ei": (0, 400), "ie": (400, 500), "ii": (400, 500)},
                  (0, 400), (400, 500)),
}


@pytest.mark.parametrize("name", sorted(INDEGREE))
def test_fixed_indegree_gives_each_target_exactly_k_sources_of_its_pathway(name):
    experiment, ranges, e_cells, i_cells = INDEGREE[name]
    # E -> I and I -> E by in-degree, the other pathways by probability
    k_ei, k_ie = 17, 23
    sets = {"network.pathways.ei.rule": "fixed_indegree", "network.pathways.ei.indegree": k_ei,
            "network.pathways.ie.rule": "fixed_indegree", "network.pathways.ie.indegree": k_ie}
    n = i_cells[1]
    base, base_src = _sources_by_target(experiment, {}, n)
    exp, src = _sources_by_target(experiment, sets, n)
    within = lambda s, pw: s[(s >= ranges[pw][0]) & (s < ranges[pw][1])]
    for g in range(n):
        to_e = g < e_cells[1]
        e_pw, i_pw = ("ee", "ie") if to_e else ("ei", "ii")
        from_e, from_i = within(src[g], e_pw), within(src[g], i_pw)
        if to_e:
            assert len(from_i) == k_ie and len(np.unique(from_i)) == k_ie
            # the probability pathway keeps its draws, source for source
            assert np.array_equal(from_e, within(base_src[g], "ee"))
        else:
            assert len(from_e) == k_ei and len(np.unique(from_e)) == k_ei
            assert np.array_equal(from_i, within(base_src[g], "ii"))
        assert (np.diff(src[g]) > 0).all()   # ascending, as the mechanisms take them
    # the draws are the target's own (keyed by gid), not those of a neighbour
    assert not np.array_equal(within(src[0], "ie"), within(src[1], "ie"))


def test_an_external_pathway_takes_an_indegree_too():
    sets = {"network.pathways.xi.rule": "fixed_indegree", "network.pathways.xi.indegree": 50}
    _, src = _sources_by_target("akil2021_small", sets, 1000)
    counts = [int(((s >= 1000) & (s < 1200)).sum()) for s in src]
    assert counts[800:] == [50] * 200 and min(counts[:800]) != max(counts[:800])   # X -> E still by probability


# ---------------------------------------------------------------- ranks and resumes

#: A pathway set-up that changes every population model's spikes: delays of several
#: steps, one pathway by in-degree.
DELAYED = {
    "vogels2011": {"network.pathways.ee.delay": 1.5, "network.pathways.ie.delay": 0.3, "network.pathways.ii.delay": 0.7,
                   "network.pathways.ei.rule": "fixed_indegree", "network.pathways.ei.indegree": 40},
    "akil2021": {"network.pathways.ee.delay": 1.5, "network.pathways.ie.delay": 0.3, "network.pathways.ei.delay": 2.0,
                 "network.pathways.ii.rule": "fixed_indegree", "network.pathways.ii.indegree": 60},
    "sadeh2015": {"network.pathways.ee.delay": 3, "network.pathways.ie.delay": 2, "network.pathways.ei.rule":
                  "fixed_indegree", "network.pathways.ei.indegree": 100},
}


def _delayed_args(name):
    from test_contract import contract_args
    return [*contract_args(name), *[a for k, v in DELAYED[name].items() for a in ("--set", f"{k}={v}")]]


@pytest.mark.mpi
@pytest.mark.parametrize("name", sorted(DELAYED))
def test_one_rank_equals_two_with_delays_and_an_indegree(cli, tmp_path, name):
    for np_ in (1, 2):
        r = cli("run", *_delayed_args(name), "--out", str(tmp_path / str(np_)), "--np", str(np_), "--quiet",
                "--no-figure")
        assert r.returncode == 0, r.stderr
    assert same_outputs(tmp_path / "1", tmp_path / "2")


@pytest.mark.mpi
def test_a_resume_delivers_the_spikes_in_flight_over_a_long_delay(cli, tmp_path):
    """E -> E at 35 ms, longer than the 20 ms of spikes a checkpoint used to keep: killed
    and resumed on 2 ranks, the run is the uninterrupted one."""
    from netcol.models import model
    args = [*_delayed_args("vogels2011"), "--set", "network.pathways.ee.delay=35"]
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert cli("run", *args, "--out", str(full), "--quiet", "--no-figure").returncode == 0
    r = cli("run", *args, "--out", str(cut), "--quiet", "--no-figure",
            env={"NETCOL_FAULT": f"sigkill@{model('vogels2011').CONTRACT['kill_at']}"})
    assert r.returncode == -9
    r = cli("resume", str(cut), "--np", "2", "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    assert same_outputs(full, cut)


# ---------------------------------------------------------------- bad values

@pytest.mark.parametrize("name, sets, words", [
    ("vogels2011_small", {"network.pathways.ee.delay": 0.25},
     ["network.toml [pathways.ee]", "'delay' = 0.25", "0.1-ms steps", "nearest allowed: 0.2 or 0.3 ms"]),
    ("vogels2011_small", {"network.pathways.ie.delay": 0.05}, ["[pathways.ie]", "0.05", "nearest allowed: 0.1 ms"]),
    ("vogels2011_small", {"network.pathways.ii.delay": 0}, ["[pathways.ii]", "'delay' = 0", "> 0.0"]),
    ("akil2021_small", {"network.pathways.ee.delay": -1.0}, ["[pathways.ee]", "'delay' = -1.0", "> 0.0"]),
    ("akil2021_small", {"network.pathways.ie.delay": 1e9}, ["[pathways.ie]", "'delay' = 1000000000.0",
                                                            "<= 1000.0"]),
    ("sadeh2015", {"network.pathways.ee.delay": 1.5}, ["[pathways.ee]", "1-ms steps", "nearest allowed: 1 or 2 ms"]),
    ("sadeh2015", {"network.pathways.ei.rule": "distance"},
     ["[pathways.ei]", "'rule' = 'distance'", "one of 'fixed_probability', 'fixed_indegree'"]),
    ("sadeh2015", {"network.pathways.ei.rule": "fixed_indegree"}, ["[pathways.ei]", "needs indegree"]),
    ("vogels2011_small", {"network.pathways.ee.indegree": 5}, ["[pathways.ee]", "indegree = 5",
                                                               "rule 'fixed_indegree' only"]),
    ("vogels2011_small", {"network.pathways.ee.rule": "fixed_indegree", "network.pathways.ee.indegree": 2.5},
     ["[pathways.ee]", "'indegree' = 2.5", "int >= 0"]),
    ("vogels2011_small", {"network.pathways.ie.rule": "fixed_indegree", "network.pathways.ie.indegree": 201},
     ["pathways.ie.indegree = 201", "more than the 200 I cells (n_i)", "allowed: 0 .. 200"]),
    ("akil2021_small", {"network.pathways.xe.rule": "fixed_indegree", "network.pathways.xe.indegree": 201},
     ["pathways.xe.indegree = 201", "200 external sources (n_x)", "allowed: 0 .. 200"]),
    ("sadeh2015", {"network.pathways.ee.rule": "fixed_indegree", "network.pathways.ee.indegree": 401},
     ["pathways.ee.indegree = 401", "400 E cells (cells.n_e)"]),
    ("akil2021_small", {"network.pathways.xe.delay": 0.2}, ["[pathways.xe]", "unknown parameter(s) delay",
                                                            "known: indegree, rule"]),
    ("vogels2011_small", {"network.pathways.ee.dealy": 0.2}, ["[pathways.ee]", "unknown parameter(s) dealy"]),
    ("vogels2011_small", {"network.pathways.xx.delay": 0.2},
     ["network.pathways.xx.delay", "has no entry 'pathways.xx'"]),
])
def test_bad_pathway_values_are_one_line(name, sets, words):
    with pytest.raises(ParamError) as err:
        load_experiment(name, sets)
    msg = str(err.value)
    assert "\n" not in msg
    assert all(w in msg for w in words), msg


def test_a_bad_delay_is_refused_before_neuron_starts(cli, tmp_path):
    r = cli("run", "vogels2011_small", "--set", "network.pathways.ee.delay=0.25", "--out", str(tmp_path / "run"))
    assert r.returncode == 2
    first = r.stderr.strip().splitlines()[0]
    assert "[pathways.ee]" in first and "nearest allowed: 0.2 or 0.3 ms" in first, first
    assert not (tmp_path / "run").exists()


def test_pathway_tables_in_an_experiment_file(tmp_path):
    """[network.pathways.<name>] tables in an experiment file, as --set network.pathways..."""
    (tmp_path / "mine.toml").write_text(
        'model = "sadeh2015"\nduration = 1.0\n\n[network.pathways.ee]\ndelay = 4.0\n\n'
        '[network.pathways.ie]\nrule = "fixed_indegree"\nindegree = 12\n')
    pw = load_experiment(str(tmp_path / "mine.toml")).network.pathways
    assert (pw["ee"].steps, pw["ei"].steps, pw["ie"].indegree, pw["ie"].rule) == (4, 1, 12, "fixed_indegree")


def test_the_docs_example_is_a_valid_experiment(tmp_path):
    """The experiment file of docs/networks.md's population models section loads as it says."""
    from helpers import REPO
    text = (REPO / "docs" / "networks.md").read_text()
    section = text[text.index("## The population models"):]
    block = section[section.index("```toml") + len("```toml"):]
    (tmp_path / "mine.toml").write_text(block[:block.index("```")])
    pw = load_experiment(str(tmp_path / "mine.toml")).network.pathways
    assert (pw["ee"].steps, pw["ie"].rule, pw["ie"].indegree, pw["ei"].steps) == (15, "fixed_indegree", 40, 1)
