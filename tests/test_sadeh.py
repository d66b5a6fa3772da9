"""The sadeh2015 model: its cell map and plasticity rule against a small pure-Python
reference, bad input, and the paper's results from the whole protocol (sadeh2015.md §5).
"""
import json
import math

import numpy as np
import pytest

from helpers import in_fresh_process

# ---------------------------------------------------------------- the map and the rule

#: A handcrafted network: 4 E cells (gids 0-3) and 2 I cells (4, 5); (pre, post, weight,
#: kind).  It has an absent E->E pair, a zero E weight (absorbing: must stay 0), weights
#: at the bounds, plastic I->E and static I->I synapses, and an autapse.
SYNAPSES = [(0, 1, 0.5, 1), (0, 2, 1.99, 1), (1, 0, 0.5, 1), (1, 1, 0.3, 1), (2, 0, 0.0, 1), (3, 0, 0.01, 1),
            (3, 2, 0.5, 1), (0, 4, 0.5, 1), (2, 5, 1.0, 1), (4, 0, -4.0, 2), (4, 1, -4.99, 2), (5, 2, -0.01, 2),
            (5, 3, -4.0, 2), (4, 5, -4.0, 0), (5, 4, -4.0, 0), (1, 3, 0.5, 0)]
#: Segments: (k0, length, theta in degrees, plastic, reset); a static segment inside a
#: plastic block, and blocks that reset.
SEGMENTS = [(0, 40, 90.0, 0, 1), (40, 150, 20.0, 1, 1), (190, 30, 70.0, 0, 0), (220, 60, 150.0, 1, 0),
            (280, 80, 45.0, 1, 1), (360, 40, 90.0, 0, 1)]
SETTINGS = dict(tau_m=20.0, vth=20.0, rate=2400.0, tau_minus=10.0, tau_plus=7.0, tau_x=15.0, a_ltd=3e-3,
                a_ltp=2e-3, ltd_ref=70.0, theta_minus=-20.0, theta_plus=7.5, w_max=2.0, w_min_inh=-5.0, avg_steps=7)
N_E, N = 4, 6
#: Per synapse of SYNAPSES: a delay of 1 to 3 map steps.
DELAYS = [1 + (pre + 2 * post) % 3 for pre, post, _, _ in SYNAPSES]


def run_mechanism(delayed=False):
    """Run the handcrafted network in NetcolLifMap (the synapses' DELAYS if delayed, else
    one step each); return its spikes, final weights and the counts it drew (for the
    reference)."""
    from netcol.cells import lifmap
    from netcol.cells.population import RankWiring, finitialize_at_step, weights
    from netcol.engine.runtime import neuron_h, parallel_context
    h, pc = neuron_h(), parallel_context()
    lifmap.apply_mechanism_settings(h, SETTINGS)
    pop = lifmap.new_population(h, N, 7)
    wiring = RankWiring(h, pc, pop)
    for gid in range(N):
        pop.add_cell(gid, gid * math.pi / N, 0.6 if gid < N_E else 0.1, wiring.relay(gid))
        mine = sorted((s + (d,) for s, d in zip(SYNAPSES, DELAYS) if s[1] == gid), key=lambda s: s[0])
        lifmap.add_synapses(h, pop, [s[0] for s in mine], [s[2] for s in mine], [s[3] for s in mine],
                            [s[4] for s in mine] if delayed else None)
    wiring.listen(range(N), lifmap.DELAY)
    for k0, length, theta, plastic, reset in SEGMENTS:
        lifmap.add_segment(pop, k0, length, math.radians(theta), plastic, reset, 3, 1000 * k0)
    n_steps = SEGMENTS[-1][0] + SEGMENTS[-1][1]
    counts = [[pop.count(p, k) for p in range(N)] for k in range(n_steps)]
    tv, iv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, iv)
    h.CVode().active(0)
    h.dt = lifmap.DT
    pc.set_maxstep(10)
    finitialize_at_step(h, pop, 0)
    pc.psolve(n_steps * lifmap.MAP_DT)
    return dict(t=list(tv), gid=list(iv), w=weights(h, pop).tolist(), counts=counts)


def reference(counts, delayed=False):
    """The map and the rule as the reference computes them (sadeh2015.md §1, §3), step by
    step with the weight change applied in the step that causes it, over a dense matrix.
    With delays (DELAYS if delayed): a spike of step s reaches y through a synapse of delay
    d in step s + d (summed by delay, then ascending source) and is the synapse's
    presynaptic spike in the rule of step s + d - 1; the trace takes it in step s + 1; a
    reset drops the spikes in flight."""
    p = SETTINGS
    W = np.zeros((N, N))
    kind = np.full((N, N), -1)
    delay = np.ones((N, N), int)
    for (pre, post, w, k), d in zip(SYNAPSES, DELAYS):
        W[pre, post], kind[pre, post] = w, k
        delay[pre, post] = d if delayed else 1
    sent = {}   # step -> the spikes of that step still in flight
    none = np.zeros(N, bool)
    B, Bm, Bp, Bx = (math.exp(-1.0 / p[k]) for k in ("tau_m", "tau_minus", "tau_plus", "tau_x"))
    spikes, y, s = [], np.zeros(N), np.zeros(N, bool)
    for k0, length, theta, plastic, reset in SEGMENTS:
        for k in range(k0, k0 + length):
            x_k = np.array(counts[k])
            if reset and k == k0:
                y, ym, yp, xpre, hist = x_k.copy(), np.zeros(N), np.zeros(N), np.zeros(N), []
                sent = {}
            else:
                ym = Bm * ym + y / p["tau_minus"]
                yp = Bp * yp + y / p["tau_plus"]
                xpre = Bx * xpre + s / p["tau_x"]
                acc = np.zeros(N)
                for post in range(N):
                    for d in sorted(set(delay.flat)):
                        for pre in range(N):   # by delay, then ascending source, as the mechanism sums
                            if kind[pre, post] >= 0 and delay[pre, post] == d and sent.get(k - d, none)[pre]:
                                acc[post] += W[pre, post]
                y = (B * y + x_k) + acc
            s = y > p["vth"]
            sent[k] = s
            y = np.where(s, 0.0, y)
            spikes += [(k + 0.5, g) for g in np.flatnonzero(s)]
            if plastic:
                recent = hist[-p["avg_steps"]:]
                ybar = np.mean(recent, axis=0) if recent else np.zeros(N)
                D = (p["a_ltd"] * ybar * ybar / p["ltd_ref"]) * np.maximum(ym - p["theta_minus"], 0)
                P = np.maximum(y - p["theta_plus"], 0) * np.maximum(yp - p["theta_minus"], 0)
                for pre, post in zip(*np.nonzero(kind > 0)):
                    dwm = (-1.0 * sent.get(k - delay[pre, post] + 1, none)[pre]) * D[post]
                    dwp = (1.0 * p["a_ltp"] * xpre[pre]) * P[post]
                    w = W[pre, post]
                    if kind[pre, post] == 1:
                        if w != 0:
                            W[pre, post] = max(min(w + (dwm + dwp), p["w_max"]), 0.0)
                    else:
                        W[pre, post] = min(max((w - dwp) - dwm, p["w_min_inh"]), 0.0)
            hist.append(y.copy())
    return spikes, W


@pytest.mark.parametrize("delayed", [False, True])
def test_map_and_rule_equal_the_python_reference(delayed):
    got = in_fresh_process(run_mechanism, delayed=delayed)
    spikes, W = reference(got["counts"], delayed)
    assert len(spikes) > 50, "the handcrafted network must fire for the test to mean anything"
    assert sorted(zip(got["t"], map(int, got["gid"]))) == sorted(spikes)
    # the mechanism stores weights target-major with sources ascending
    order = sorted(SYNAPSES, key=lambda s: (s[1], s[0]))
    expected = np.array([W[pre, post] for pre, post, _, _ in order])
    changed = np.array([abs(W[pre, post] - w0) > 1e-6 for pre, post, w0, _ in order])
    assert changed.sum() >= 8, "the rule must have moved most plastic weights"
    assert np.allclose(got["w"], expected, rtol=0, atol=1e-12)
    assert got["w"][[i for i, s in enumerate(order) if s[:2] == (2, 0)][0]] == 0.0   # zero is absorbing


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("setting, words", [
    ("tuning_orientations=1", ["tuning_orientations", "1", ">= 2"]),
    ("stimulus_length=0.0005", ["stimulus_length", "0.0005", "multiple"]),
    ("test_length=0.0015", ["test_length", "0.0015", "map step"]),
    ("network.input.m_exc=1.5", ["m_exc", "1.5", "<= 1.0"]),
    ("network.mechanism.rate=-10", ["rate", "-10", ">= 0.0"]),
    ("duration=500", ["duration", "500", "protocol's length"]),
    ("network.wiring.p_ee=2", ["p_ee", "2", "<= 1.0"]),
])
def test_bad_input_is_one_line_before_neuron_starts(cli, tmp_path, setting, words):
    r = cli("run", "sadeh2015", "--set", setting, "--out", str(tmp_path / "run"))
    assert r.returncode == 2
    first = r.stderr.strip().splitlines()[0]
    assert all(w in first for w in words), first
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- the paper's results

@pytest.fixture(scope="module")
def whole_protocol(tmp_path_factory):
    from helpers import run_cli
    out = tmp_path_factory.mktemp("sadeh") / "run"
    r = run_cli("run", "sadeh2015", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    return out


def test_rates_before_during_and_after_learning(whole_protocol):
    from netcol.models.sadeh2015 import tuning
    rates = tuning.phase_rates(whole_protocol)
    # sadeh2015.md §5 (E/I Hz): 7.5/5.0 before, 3.0/5.5 at the end of learning, 3.5/5.5 after;
    # the reference's own runs give 3.4-3.5 Hz for E at the end of learning (README)
    for phase, (e, i) in (("test_before", (7.5, 5.0)), ("test_after", (3.5, 5.5))):
        assert abs(rates[phase][0] / e - 1) < 0.15 and abs(rates[phase][1] / i - 1) < 0.15, (phase, rates[phase])
    assert rates["last block"][0] < 0.5 * rates["first block"][0]
    import h5py
    with h5py.File(whole_protocol / "state.h5", "r") as f:   # recorded per test, tuning run and block
        assert f["rates/e"].shape == (1 + 8 + 40 + 1 + 8,)
        assert f["rates/e"][0] == pytest.approx(rates["test_before"][0])
        assert f["rates/i"][49] == pytest.approx(rates["test_after"][1])
    assert abs(rates["last block"][1] / 5.5 - 1) < 0.15


def test_feature_specific_connectivity_emerges(whole_protocol):
    from netcol.models.sadeh2015 import tuning
    before, after = tuning.mean_weight_by_dpo(whole_protocol, 0), tuning.mean_weight_by_dpo(whole_protocol, -1)
    assert np.allclose(before, 0.15, atol=0.01)
    assert np.allclose(after, [0.41, 0.25, 0.11], atol=0.05), after
    assert after[0] >= 3 * after[2]   # the W shape
    ie = tuning.mean_weight_by_dpo(whole_protocol, -1, "IE")
    assert ie[0] < ie[2] < 0          # inhibition deepens between similarly tuned cells


def test_selectivity_increases(whole_protocol):
    from netcol.models.sadeh2015 import tuning
    medians = []
    for phase in ("tuning_before", "tuning_after"):
        angles, rates = tuning.tuning_curves(whole_protocol, phase)
        index = tuning.osi(angles, rates)[0][:400]
        medians.append(np.nanmedian(index))
    assert medians[1] > medians[0] + 0.05, medians


def test_report_and_figure(cli, whole_protocol):
    r = cli("plot", str(whole_protocol), "--figure", "1")
    assert r.returncode == 0, r.stderr
    assert (whole_protocol / "figure1.png").stat().st_size > 50_000
    r = cli("report", str(whole_protocol))
    assert r.returncode == 0, r.stderr
    meta = json.loads((whole_protocol / "run.json").read_text())
    assert meta["status"] == "complete" and meta["params"]["duration"] == 100.0
