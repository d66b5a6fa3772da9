"""The akil2021 model: its cell and the six plasticity rules against a small pure-Python
reference written from the paper's formulas, the mechanism's exp, the external layer,
bad input, and the balanced-state rates (akil2021.md §6)."""
import shutil
import subprocess

import numpy as np
import pytest

from helpers import REPO, in_fresh_process

# ---------------------------------------------------------------- the cell and the rules

#: A handcrafted network of 4 E cells (gids 0-3), 3 I cells (4-6) and 2 external sources
#: (7, 8 = N + 0, N + 1): (source, target, initial weight of plastic synapses).
SYNAPSES = [(0, 1, 1.0), (0, 4, 2.0), (1, 2, 1.5), (1, 5, 3.0), (2, 0, 0.5), (2, 6, 2.5), (3, 3, 1.2), (3, 4, 1.0),
            (4, 0, -2.0), (4, 1, -1.0), (4, 5, -3.0), (5, 2, -2.5), (5, 6, -1.0), (6, 3, -1.5), (6, 4, -2.0),
            (7, 0, 0), (7, 1, 0), (7, 4, 0), (7, 5, 0), (8, 2, 0), (8, 3, 0), (8, 6, 0), (8, 5, 0)]
N_E, N, N_X = 4, 7, 2
#: Per synapse of SYNAPSES: a delay of 1 to 4 steps (3 on the external synapses, which the
#: mechanism does not read: external spikes act in the step they are queued for).
DELAYS = [3 if s >= N else 1 + (s + 2 * t) % 4 for s, t, _ in SYNAPSES]
#: Static weights of the pathways (E->E, E->I, I->E, I->I, X->E, X->I).
PATHWAY_W = (0.8, 1.5, -2.0, -2.5, 9.0, 8.0)
SETTINGS = dict(c_m=1.0, g_l=1 / 15, e_l=-72.0, v_t=-55.0, d_t=1.0, v_th=-50.0, v_re=-75.0, tau_e=8.0, tau_i=4.0,
                tau_x=10.0, tau_stdp=20.0)
STEPS, DT = 3000, 0.1
#: External spikes: every 7th step from source 7, every 11th from source 8, plus a few
#: coincidences (step, source).
X_SPIKES = sorted({(k, 7) for k in range(3, STEPS, 7)} | {(k, 8) for k in range(5, STEPS, 11)}
                  | {(k, 8) for k in (70, 700, 1400)})
#: Two sets of rules covering the six (one per pathway in each); eta large so weights move.
RULE_SETS = {"hebbian": {"ee_hebbian": 2e-3, "ei_homeostatic": 3e-3, "ie_homeostatic": 3e-3,
                         "ii_homeostatic": 2e-3},
             "kohonen": {"ee_kohonen": 2e-3, "ei_hebbian": 1e-3, "ie_homeostatic": 3e-3}}
CONSTANTS = dict(j_max_ee=2.0, j_max_ei=3.0, beta=0.5, alpha=dict(ei=0.6, ie=0.4, ii=0.8),
                 j_norm=dict(ei=1.5, ie=-2.0, ii=-2.5))


def pathway(src, tgt):
    if src >= N:
        return 4 if tgt < N_E else 5
    return (0 if tgt < N_E else 1) if src < N_E else (2 if tgt < N_E else 3)


def rule_constants(name):
    pw = name.split("_")[0]
    return dict(alpha=CONSTANTS["alpha"].get(pw, 0.0), j_norm=CONSTANTS["j_norm"].get(pw, 1.0),
                j_max=CONSTANTS["j_max_ee"] if name == "ee_hebbian" else CONSTANTS["j_max_ei"],
                beta=CONSTANTS["beta"])


def run_mechanism(rules, wide=False, delayed=False):
    """The handcrafted network in NetcolEif with the given rules (by-source targets in 32
    bits if wide, else 16; the synapses' DELAYS if delayed, else one step each); its
    spikes and final plastic weights (set-up order: target-major, sources ascending)."""
    from netcol.cells import eif
    from netcol.cells.population import RankWiring, finitialize_at_step, weights
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    eif.apply_mechanism_settings(h, SETTINGS)
    h.wide_targets_NetcolEif = int(wide)
    pop = eif.new_population(h, N, N_E, N_X, STEPS)
    plastic = {}
    for name, eta in rules.items():
        pw, pre, post = eif.rule_coefficients(name, rule_constants(name))
        plastic[pw] = (eta, pre, post)
    for k, w in enumerate(PATHWAY_W):
        eta, pre, post = plastic.get(k, (0.0, (0, 0, 0, 0), (0, 0, 0, 0)))
        eif.set_pathway(pop, k, w, eta, pre, post)
    wiring = RankWiring(h, pc, pop)
    for gid in range(N):
        pop.add_cell(gid, wiring.relay(gid), -60.0 - 2.0 * gid)
        mine = sorted((s + (d,) for s, d in zip(SYNAPSES, DELAYS) if s[1] == gid), key=lambda s: s[0])
        eif.add_synapses(h, pop, [s[0] for s in mine], [pathway(s[0], s[1]) for s in mine], [s[2] for s in mine],
                         [s[3] for s in mine] if delayed else None)
    wiring.listen(range(N), eif.DELAY)
    eif.queue_external(h, pop, [k for k, _ in X_SPIKES], [s - N for _, s in X_SPIKES])
    tv, iv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, iv)
    h.CVode().active(0)
    h.dt = eif.DT
    pc.set_maxstep(10)
    finitialize_at_step(h, pop, 0)
    pc.psolve(STEPS * eif.STEP_DT)
    return dict(t=list(tv), gid=list(iv), w=weights(h, pop).tolist(), bits=pop.target_bits())


def reference(rules, delayed=False):
    """The network as the reference package computes a step (akil2021.md §1, §4), with the
    rules written as in the paper (J += or -= ...), not as coefficients.  With delays
    (DELAYS if delayed): a recurrent spike of step s makes its jump and the rule's
    presynaptic update through a synapse of delay d in step s + d - 1 (here, where the
    mechanism's step s + d starts with them), delays ascending; the traces take it in
    step s.  The last step's jumps and updates are left out: the mechanism makes them at
    the start of a step the run does not reach."""
    p = SETTINGS
    delay = {(s, t): d if delayed and s < N else 1 for (s, t, _), d in zip(SYNAPSES, DELAYS)}
    fired_at = {}
    v = np.array([-60.0 - 2.0 * g for g in range(N)])
    ie, ii, ix, x = np.zeros(N), np.zeros(N), np.zeros(N), np.zeros(N)
    w = {(s, t): w0 for s, t, w0 in SYNAPSES if pathway(s, t) < 4 and any(RULE_PATHWAY[r] == pathway(s, t)
                                                                            for r in rules)}
    x_at = {}
    for k, s in X_SPIKES:
        x_at.setdefault(k, []).append(s)
    spikes = []
    for k in range(STEPS):
        for s in x_at.get(k, []):
            for src, t, _ in SYNAPSES:
                if src == s:
                    ix[t] += PATHWAY_W[pathway(s, t)] / p["tau_x"]
        v = v + DT / p["c_m"] * (p["g_l"] * (p["e_l"] - v) + p["g_l"] * p["d_t"] * np.exp((v - p["v_t"]) / p["d_t"])
                                 + ie + ii + ix)
        fired = [c for c in range(N) if v[c] >= p["v_th"]]
        spikes += [((k + 0.5) * DT, c) for c in fired]
        fired_at[k] = fired
        arriving = lambda s, t: s in fired_at.get(k - delay[s, t] + 1, ())
        for d in sorted(set(delay.values())) if k < STEPS - 1 else ():   # jumps with the weights before this step's updates
            for src in fired_at.get(k - d + 1, ()):
                for s, t, _ in SYNAPSES:
                    if s == src and delay[s, t] == d:
                        j = w.get((s, t), PATHWAY_W[pathway(s, t)])
                        if src < N_E:
                            ie[t] += j / p["tau_e"]
                        else:
                            ii[t] += j / p["tau_i"]
        for name, eta in rules.items() if k < STEPS - 1 else ():
            c = rule_constants(name)
            pw = RULE_PATHWAY[name]
            for (s, t) in sorted(w):
                if pathway(s, t) != pw:
                    continue
                J = w[s, t]
                if arriving(s, t):   # presynaptic spike: x_post
                    xp = x[t]
                    J = {"ee_hebbian": J - eta * xp * J, "ee_kohonen": J + eta * c["beta"] * xp,
                         "ei_hebbian": J - eta * xp}.get(name, J - eta / c["j_norm"] * (xp - c["alpha"]) * J)
                if t in fired:   # postsynaptic spike: x_pre
                    xq = x[s]
                    J = {"ee_hebbian": J + eta * xq * c["j_max"], "ee_kohonen": J - eta * J,
                         "ei_hebbian": J + eta * xq * c["j_max"]}.get(name, J - eta / c["j_norm"] * xq * J)
                w[s, t] = J
        for c_ in fired:
            x[c_] += 1
            v[c_] = p["v_re"]
        ie -= DT * ie / p["tau_e"]
        ii -= DT * ii / p["tau_i"]
        ix -= DT * ix / p["tau_x"]
        x -= DT * x / p["tau_stdp"]
    order = sorted(w, key=lambda st: (st[1], st[0]))
    w0 = {(s, t): w0 for s, t, w0 in SYNAPSES}
    return spikes, np.array([w[st] for st in order]), np.array([w0[st] for st in order]), order


RULE_PATHWAY = {"ee_hebbian": 0, "ee_kohonen": 0, "ei_homeostatic": 1, "ei_hebbian": 1, "ie_homeostatic": 2,
                "ii_homeostatic": 3}


@pytest.mark.parametrize("rule_set, wide, delayed", [(r, False, False) for r in sorted(RULE_SETS)]
                         + [("hebbian", True, False)] + [(r, False, True) for r in sorted(RULE_SETS)])
def test_cell_and_rules_equal_the_python_reference(rule_set, wide, delayed):
    rules = RULE_SETS[rule_set]
    got = in_fresh_process(run_mechanism, rules=rules, wide=wide, delayed=delayed)
    assert got["bits"] == (32 if wide else 16)
    spikes, w, w0, order = reference(rules, delayed)
    assert len(spikes) > 100 and len({c for _, c in spikes}) == N
    assert sorted(zip(got["t"], map(int, got["gid"]))) == sorted(spikes)
    moved = np.abs(w - w0) > 1e-3 * np.abs(w0)
    for pw in {RULE_PATHWAY[r] for r in rules}:   # every rule moves some of its weights
        assert moved[[pathway(s, t) == pw for s, t in order]].any(), pw
    assert np.allclose(got["w"], w, rtol=1e-10, atol=1e-12)


def index_part_of_the_network(local):
    """The handcrafted network's synapses onto the cells `local` only, as a rank holding
    those cells sets them up with I -> E and I -> I plastic; the traces it keeps."""
    from netcol.cells import eif
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    eif.apply_mechanism_settings(h, SETTINGS)
    pop = eif.new_population(h, N, N_E, N_X, STEPS)
    for k, w in enumerate(PATHWAY_W):
        eif.set_pathway(pop, k, w, 1e-3 if k in (2, 3) else 0.0, (0, 0, 1, 1), (0, 0, 0, 1))
    wiring = RankWiring(h, pc, pop)
    for gid in local:
        pop.add_cell(gid, wiring.relay(gid), -60.0)
        mine = sorted((s for s in SYNAPSES if s[1] == gid), key=lambda s: s[0])
        eif.add_synapses(h, pop, [s[0] for s in mine], [pathway(s[0], s[1]) for s in mine], [s[2] for s in mine])
    pop.index()
    return pop.trace_count()


def test_a_rank_keeps_the_traces_of_its_cells_and_of_its_remote_plastic_sources():
    # cells 0, 1, 5 here: their I -> E and I -> I synapses come from 4 (onto 0, 1 and 5),
    # so the one remote plastic source is 4
    assert in_fresh_process(index_part_of_the_network, local=[0, 1, 5]) == 3 + 1
    # cells 0 .. 3: remote plastic sources 4 (-> 0, 1), 5 (-> 2), 6 (-> 3), each kept once
    assert in_fresh_process(index_part_of_the_network, local=[0, 1, 2, 3]) == 4 + 3


def add_bad_synapses(case):
    """Set up one cell of the handcrafted network with a bad synapse list; NEURON's error."""
    from netcol.cells import eif
    from netcol.cells.population import RankWiring
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    eif.apply_mechanism_settings(h, SETTINGS)
    pop = eif.new_population(h, N, N_E, N_X, STEPS)
    for k, w in enumerate(PATHWAY_W):
        eif.set_pathway(pop, k, w, 0.0, (0, 0, 0, 0), (0, 0, 0, 0))
    wiring = RankWiring(h, pc, pop)
    pop.add_cell(0, wiring.relay(0), -60.0)
    src, pw = {"descending": ([4, 2], [2, 0]), "pathway": ([2, 4], [0, 0])}[case]
    try:
        eif.add_synapses(h, pop, src, pw, [0.0, 0.0])
    except RuntimeError:
        return "error"
    return "accepted"


@pytest.mark.parametrize("case", ["descending", "pathway"])
def test_the_mechanism_refuses_synapses_it_would_misfile(case):
    # sources must come ascending (E sources before I ones mark where a cell's plastic
    # synapses change pathway), and a pathway must be its source's and target's
    assert in_fresh_process(add_bad_synapses, case=case) == "error"


def test_exp_is_within_two_ulp(tmp_path):
    """The mechanisms' netcol_exp against numpy's exp over the range the cells use and
    beyond (compiled with the system's C++ compiler, as nrnivmodl does)."""
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    src = tmp_path / "e.cpp"
    src.write_text('#include <cstdio>\n#include <cmath>\nstruct IvocVect; int vector_capacity(IvocVect*);\n'
                   'double* vector_vec(IvocVect*); void vector_resize(IvocVect*, int);\n'
                   'struct Point_process { void* presyn_; }; void nrn_net_event(Point_process*, double);\n'
                   '#include "netcol_population.hpp"\n'
                   'int main() { static double v[20001], o[20001];\n'
                   'for (int i = 0; i <= 20000; ++i) v[i] = -700.0 + 0.07 * i;\n'
                   'for (int i = 0; i <= 20000; ++i) o[i] = netcol_exp(v[i]);\n'
                   'for (int i = 0; i <= 20000; ++i) std::printf("%.17g %.17g\\n", v[i], o[i]); }\n')
    exe = tmp_path / "e"
    subprocess.run([cxx, "-O2", "-std=c++17", f"-I{REPO / 'mod'}", str(src), "-o", str(exe), "-Wl,--unresolved-symbols=ignore-all"],
                   check=True, capture_output=True)
    out = np.loadtxt(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.splitlines())
    x, got = out[:, 0], out[:, 1]
    want = np.exp(x)
    ulps = np.abs(got - want) / np.spacing(want)
    assert ulps.max() <= 2.0, (x[ulps.argmax()], ulps.max())


# ---------------------------------------------------------------- the external layer

def test_external_spikes_do_not_depend_on_the_windows_that_ask_for_them():
    from netcol.models.akil2021.inputs import external_spikes
    for c_x, quirks in ((0.1, "paper"), (0.0, "paper"), (0.1, "reference")):
        p = dict(seed=3, n_x=200, r_x=10.0, c_x=c_x, jitter=5.0, quirks=quirks)
        whole = external_spikes(p, 0, 30000, 0.1)
        parts = [external_spikes(p, a, b, 0.1) for a, b in ((0, 9999), (9999, 10001), (10001, 30000))]
        assert all(np.array_equal(a, np.concatenate([q[i] for q in parts])) for i, a in enumerate(whole))
        steps, src = whole
        rate = len(steps) / 3.0 / 200
        assert abs(rate - 10.0) < 1.5, rate                       # 10 Hz per source
        assert (0 in src) == (quirks == "paper")                   # the reference leaves source 0 silent
        # pairs of sources share mother spikes: counts in 50-ms bins correlate by about c_x
        counts = np.zeros((200, 60))
        np.add.at(counts, (src, steps // 500), 1)
        with np.errstate(invalid="ignore", divide="ignore"):   # the silent source 0 has no correlation
            c = np.nanmean(np.corrcoef(counts)[np.triu_indices(200, 1)])
        assert abs(c - c_x) < 0.03, (c_x, c)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("setting, words", [
    ("rules=ee_hebbian,ee_kohonen", ["ee_hebbian", "ee_kohonen", "E -> E", "at most one rule"]),
    ("rules=ie_stdp", ["unknown rule", "ie_stdp", "ie_homeostatic"]),
    ("eta_ie_homeostatic=-1e-3", ["eta_ie_homeostatic", "-0.001", ">= 0.0"]),
    ("network.mechanism.tau_stdp=-5", ["tau_stdp", "-5", "> 0.0"]),
    ("network.mechanism.tau_e=0", ["tau_e", "0", "> 0.0"]),
    ("c_x=1.5", ["c_x", "1.5", "<= 1.0"]),
    ("p_ee=-0.1", ["p_ee", "-0.1", ">= 0.0"]),
    ("rules=ee_hebbian", ["ee_hebbian", "eta_ee_hebbian", "> 0"]),
])
def test_bad_input_is_one_line_before_neuron_starts(cli, tmp_path, setting, words):
    r = cli("run", "akil2021_small", "--set", setting, "--out", str(tmp_path / "run"))
    assert r.returncode == 2
    first = r.stderr.strip().splitlines()[0]
    assert all(x in first for x in words), first
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the balanced state

def test_static_network_rates_are_near_the_balanced_state(cli, tmp_path):
    """N = 5,000, static weights, independent external sources: the rates over 1-3 s lie
    within 15 % of the large-N balanced state (5.8 and 15.9 Hz; finite N shifts them)."""
    from netcol.models.akil2021 import activity
    from netcol.io.rundir import read_run_json
    out = tmp_path / "static"
    r = cli("run", "akil2021_static", "--set", "duration=3", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    r_e, r_i = activity.window_rates(out, 1.0, 3.0)
    t_e, t_i = activity.balanced_rates(read_run_json(out)["params"])
    assert abs(t_e - 5.82) < 0.01 and abs(t_i - 15.88) < 0.01
    assert abs(r_e / t_e - 1) < 0.15 and abs(r_i / t_i - 1) < 0.15, (r_e, r_i)
    rec = activity.records(out)
    total = rec["current_e"][1:].sum(axis=1).mean()
    assert abs(total) < 0.2 * rec["current_e"][1:, 2].mean()   # E input nearly cancels the external drive


# ---------------------------------------------------------------- outputs

def test_nwb_export_validates_and_holds_the_records(cli, tmp_path):
    pynwb = pytest.importorskip("pynwb")
    from netcol.models.akil2021 import activity
    out = tmp_path / "run"
    r = cli("run", "akil2021_small", "--set", "duration=0.5", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    r = cli("export-nwb", str(out), "--out", str(out / "run.nwb"))
    assert r.returncode == 0, r.stderr
    assert pynwb.validate(path=str(out / "run.nwb")) == []
    rec = activity.records(out)
    with pynwb.NWBHDF5IO(str(out / "run.nwb"), "r") as io:
        state = io.read().processing["state"]
        assert np.array_equal(state["currents_onto_e"].data[:], rec["current_e"])
        assert np.array_equal(state["weight_means"].data[:], rec["w_mean"], equal_nan=True)
