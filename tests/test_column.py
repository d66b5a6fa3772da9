"""The column: wiring against the original, rank independence, reference mode, rates."""
import csv
import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from netcol.cells.intf6 import state
from netcol.models.rowan2013.column import cell_table, load_column
from netcol.models.rowan2013.wiring import COLUMNS, expected_counts, keyed_connectivity, merged, keyed_positions, original_connectivity, original_positions

from helpers import REPO, assert_param_error_names, NETCOL, run_cli as netcol

REFERENCE = REPO / "tests" / "data"   # measured from the original (see its README)
# network.md §11: per-type baseline rates (Hz) averaged over 5-60 s
REF_RATES = dict(E2=0.603, I2=5.695, I2L=4.565, E4=0.641, I4=6.071, I4L=3.534, E5R=0.583, E5B=0.532,
                 I5=5.386, I5L=3.997, E6=0.558, I6=5.386, I6L=3.733)


def spikes(run_dir):
    with h5py.File(Path(run_dir) / "spikes.h5", "r") as f:
        g = f["spikes/column"]
        return g["timestamps"][:], g["node_ids"][:]


def reference_spikes():
    with gzip.open(REFERENCE / "orig_baseline_spikes_0-10s.csv.gz", "rt") as f:
        rows = [(float(r["t_ms"]), int(r["cell_id"])) for r in csv.DictReader(f)]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


@pytest.fixture(scope="module")
def column():
    return load_column()


@pytest.mark.reference
def test_reference_wiring_is_the_originals(column):
    cells = cell_table(column, 1.0)
    xyz = original_positions(column, cells)
    # network.md §4: realised ranges of the original's positions
    assert xyz[:, 0].min() == pytest.approx(0.032, abs=5e-4) and xyz[:, 0].max() == pytest.approx(29.94, abs=5e-3)
    assert xyz[:, 2].mean() == pytest.approx(0.21, abs=5e-3) and xyz[:, 2].std() == pytest.approx(4.93, abs=5e-3)
    conn = original_connectivity(column, cells, xyz, 1.0)
    with gzip.open(REFERENCE / "orig_connections.csv.gz", "rt") as f:
        ref = [(int(r["pre_id"]), int(r["post_id"])) for r in csv.DictReader(f)]
    assert len(conn) == len(ref) == 11699
    assert list(zip(conn.pre.tolist(), conn.post.tolist())) == ref   # every connection, same order
    # network.md §5.4: randomised weight-1 statistics of a few pairs (3 decimals printed)
    names = [p.name for p in cells["pops"]]
    ti = cells["type_index"]
    for pre, post, mean, sd, zero in [("E2", "E2", 4.287, 2.002, 0.019), ("I2", "E2", 8.294, 2.754, 0.002),
                                      ("I2L", "E2", 2.258, 1.435, 0.087), ("E4", "E6", 12.572, 3.017, 0.0)]:
        sel = (ti[conn.pre] == names.index(pre)) & (ti[conn.post] == names.index(post))
        w = conn.w1[sel]
        assert w.mean() == pytest.approx(mean, abs=6e-4)
        assert w.std(ddof=1) == pytest.approx(sd, abs=2e-3) or w.std() == pytest.approx(sd, abs=2e-3)
        assert (w == 0).mean() == pytest.approx(zero, abs=6e-4)
    assert conn.delay[cells["excitatory"][conn.pre]].min() >= 3.0 and conn.delay.max() <= 5.0
    np.testing.assert_allclose(conn.w2, np.where(cells["excitatory"][conn.pre], 0.1 * conn.w1, 0.0))


def test_keyed_wiring_statistics(column):
    cells = cell_table(column, 1.0)
    names = [p.name for p in cells["pops"]]
    ti = cells["type_index"]
    totals, counts = [], []
    for seed in range(1, 21):
        conn = keyed_connectivity(column, cells, keyed_positions(column, cells, seed), seed, 1.0)
        totals.append(len(conn))
        counts.append(np.bincount(ti[conn.pre] * 16 + ti[conn.post], minlength=16 * 16))
        if seed == 2:  # the default seed's realisation
            assert abs(len(conn) / 11699 - 1) < 0.05
    mean = np.mean(counts, axis=0)
    # mean of 20 realisations: total within 2 % of the original's 11 699 (SE ~0.6 %)
    assert abs(np.mean(totals) / 11699 - 1) < 0.02
    # per type pair within 10 % of the expected count (network.md §5.2 expectation)
    expected = expected_counts(column, cells, 1.0)
    checked = 0
    for (pre, post), e in expected.items():
        if e >= 40:
            m = mean[names.index(pre) * 16 + names.index(post)]
            assert abs(m / e - 1) < 0.10, (pre, post, m, e)
            checked += 1
    assert checked >= 50


def test_keyed_wiring_is_the_same_drawn_target_by_target(column):
    """Each rank draws only its own cells' afferent synapses: any split of the targets
    gives, put together, the whole wiring row for row."""
    cells = cell_table(column, 2.0)
    xyz = keyed_positions(column, cells, 5)
    whole = keyed_connectivity(column, cells, xyz, 5, 2.0)
    parts = [keyed_connectivity(column, cells, xyz, 5, 2.0, targets=np.arange(r, cells["n"], 3)) for r in range(3)]
    joined = merged(parts)
    for k in COLUMNS:
        np.testing.assert_array_equal(getattr(joined, k), getattr(whole, k), err_msg=k)


def test_keyed_wiring_follows_the_distance_rule(column):
    """The thinned draw (candidates at the pair's peak probability, kept with P(d) / p)
    connects each pair with P(d): the fraction connected per distance bin of E2 -> E2 at
    size 4 (600 cells, ~360,000 pairs) over 4 seeds matches network.md §5.2's P(d)."""
    size = 4.0
    cells = cell_table(column, size)
    e2 = next(p for p in cells["pops"] if p.name == "E2")
    peak = column.connections[("E2", "E2")].p * column.wiring["p_scale_EE"] / size
    lam, radius = column.wiring["length_constant"], column.wiring["radius_EE"]
    edges = np.array([0.0, 5.0, 10.0, 12.5, 15.0, 25.0])
    rule = lambda d: np.where(d <= lam, peak, peak * np.exp(1 - d / lam)) * (d < radius)
    made, pairs, expected = (np.zeros(len(edges) - 1) for _ in range(3))
    g = np.array(e2.gids)
    off = ~np.eye(len(g), dtype=bool)
    for seed in range(1, 5):
        xyz = keyed_positions(column, cells, seed)
        conn = keyed_connectivity(column, cells, xyz, seed, size, targets=g)
        sel = (conn.pre >= e2.first_gid) & (conn.pre < e2.first_gid + e2.count)
        d = np.hypot(*(xyz[g, None, k] - xyz[None, g, k] for k in range(2)))[off]
        pairs += np.histogram(d, edges)[0]
        expected += np.histogram(d, edges, weights=rule(d))[0]
        made += np.histogram(np.hypot(*(xyz[conn.pre[sel], k] - xyz[conn.post[sel], k] for k in range(2))), edges)[0]
    assert made[-1] == 0   # beyond the radius: never
    p_made, p_rule = made / pairs, expected / pairs
    se = np.sqrt(p_rule * (1 - p_rule) / pairs)
    assert (np.abs(p_made - p_rule)[:-1] < 4 * se[:-1]).all(), (p_made, p_rule, se)


@pytest.mark.reference
def test_reference_mode_reproduces_the_originals_spikes(tmp_path):
    out = tmp_path / "ref"
    r = netcol("run", "baseline", "--set", "rng=original", "--set", "duration=10", "--out", str(out),
               "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    t, gid = spikes(out)
    rt, rgid = reference_spikes()
    assert len(t) == len(rt) == 9192
    # the first 20 spikes: same cells, times within 1e-3 ms (network.md §11)
    assert np.array_equal(gid[:20], rgid[:20])
    np.testing.assert_allclose(t[:20], rt[:20], atol=1e-3)
    # every spike time equals the original's (printed with 4 decimals)
    np.testing.assert_allclose(np.sort(t), np.sort(rt), atol=0.51e-4)
    # every cell too, given a quirk of the original's spike record found here: it loses
    # the ids of cell 0's spikes, so later ids slide up one place per cell-0 spike
    ids_without_cell0 = gid[gid != 0]
    assert (gid == 0).sum() > 0
    assert np.array_equal(rgid[:len(ids_without_cell0)], ids_without_cell0)


@pytest.mark.parametrize("extra", [["--set", "duration=10"], ["--set", "duration=4", "--set", "size=2"],
                                   ["--set", "duration=3", "--set", "rng=original"]])
@pytest.mark.mpi
def test_same_spikes_on_one_and_two_ranks(tmp_path, extra):
    runs = {}
    for n in (1, 2):
        out = tmp_path / f"np{n}"
        r = netcol("run", "baseline", *extra, "--np", str(n), "--out", str(out), "--quiet", "--no-figure")
        assert r.returncode == 0, r.stderr
        runs[n] = spikes(out)
    assert len(runs[1][0]) > 1000
    assert runs[1][0].tobytes() == runs[2][0].tobytes()   # byte for byte
    assert runs[1][1].tobytes() == runs[2][1].tobytes()


@pytest.fixture(scope="module")
def baseline_60s(tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline") / "run"
    r = netcol("run", "baseline", "--np", "2", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    return out


def test_baseline_outputs(baseline_60s):
    with h5py.File(baseline_60s / "spikes.h5", "r") as f:
        g = f["spikes/column"]
        assert g.attrs["sorting"] == 2 and h5py.check_enum_dtype(g.attrs.get_id("sorting").dtype)["by_time"] == 2
        assert g["timestamps"].attrs["units"] == "ms"
        t = g["timestamps"][:]
        assert np.all(np.diff(t) >= 0) and t.max() <= 60000.0
    with h5py.File(baseline_60s / "nodes.h5", "r") as f:
        n = f["nodes/column"]
        assert len(n["node_id"]) == 470
        assert n["0/type"][0] == b"E6" and n["0/type"][469] == b"I2L"
    import json
    meta = json.loads((baseline_60s / "run.json").read_text())
    assert meta["status"] == "complete" and meta["ranks"] == 2 and meta["params"]["seed"] == 2
    assert meta["neuron_version"] == "9.0.2" and meta["network"]["populations"]["E2"]["count"] == 150 and meta["model"] == "rowan2013"
    assert (baseline_60s / "raster.png").stat().st_size > 10000


def _type_rates(run_dir):
    from netcol.analysis.spikes import rates_by_type
    return {k: v[0] for k, v in rates_by_type(run_dir, 5.0, 60.0).items()}


@pytest.mark.slow
def test_baseline_rates_over_seeds(baseline_60s, tmp_path):
    # Keyed mode: every seed is a different realisation of the wiring (per-pair counts
    # scatter by 10-60 %), so compare the mean over seeds 1-4 (seed 2 is baseline_60s)
    rates = [_type_rates(baseline_60s)]
    for seed in (1, 3, 4):
        out = tmp_path / f"s{seed}"
        r = netcol("run", "baseline", "--set", f"seed={seed}", "--out", str(out), "--quiet",
                   "--no-figure")
        assert r.returncode == 0, r.stderr
        rates.append(_type_rates(out))
    for k, ref in REF_RATES.items():
        mean = np.mean([r[k] for r in rates])
        assert abs(mean / ref - 1) < 0.15, (k, mean, ref)


@pytest.mark.reference
@pytest.mark.slow
def test_reference_mode_rates(tmp_path):
    out = tmp_path / "ref60"
    r = netcol("run", "baseline", "--set", "rng=original", "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    rates = _type_rates(out)
    for k, ref in REF_RATES.items():
        assert abs(rates[k] / ref - 1) < 0.15, (k, rates[k], ref)


def test_gamma_peak_of_inhibitory_population(baseline_60s):
    # I-cell population activity (5-ms bins, 5-60 s) has its spectral peak in the gamma band
    t, gid = spikes(baseline_60s)
    with h5py.File(baseline_60s / "nodes.h5", "r") as f:
        excit = f["nodes/column/0/excitatory"][:].astype(bool)
    sel = ~excit[gid.astype(int)] & (t >= 5000)
    counts = np.bincount(((t[sel] - 5000) // 5).astype(int), minlength=11000).astype(float)
    counts -= counts.mean()
    from scipy.signal import welch
    f, p = welch(counts, fs=200.0, nperseg=1024)
    band = (f > 5) & (f < 100)
    assert 25 <= f[band][np.argmax(p[band])] <= 45


@pytest.mark.parametrize("args,words", [
    (["--set", "size=0"], ["size", "0", "> 0.0"]),
    (["--set", "size=-1"], ["size", "-1"]),
    (["--set", "duration=0"], ["duration", "> 0.0"]),
    (["--set", "duration=abc"], ["duration", "'abc'", "float"]),
    (["--set", "colour=3"], ["unknown parameter", "colour"]),
    (["--set", "column.wiring.radius_XY=3"], ["column.wiring.radius_XY", "no entry"]),
    (["--set", "column.external.RS.AM2.rate=-5"], ["external.RS.AM2", "rate", "-5"]),
    (["--set", "rng=random"], ["rng", "keyed", "original"]),
    (["--np", "0"], ["--np"]),
])
def test_bad_input_is_rejected_before_building(tmp_path, args, words):
    out = tmp_path / "never"
    r = netcol("run", "baseline", *args, "--out", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("netcol: error:") and "hint:" in r.stderr
    for w in words:
        assert w in r.stderr
    assert not out.exists()


def test_unknown_experiment():
    r = netcol("run", "nosuchthing")
    assert r.returncode == 2 and "unknown experiment 'nosuchthing'; known: " in r.stderr
    assert "baseline, onlydeletion" in r.stderr                     # the known ones, sorted


def test_output_directory_checks(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    r = netcol("run", "baseline", "--set", "duration=0.2", "--out", str(full), "--quiet")
    assert r.returncode == 2 and "not empty" in r.stderr and "--overwrite" in r.stderr
    r = netcol("run", "baseline", "--set", "duration=0.2", "--out", str(full), "--quiet", "--overwrite", "--no-figure")
    assert r.returncode == 2 and "cannot tell a run's files from others among its 1: something" in r.stderr
    r = netcol("run", "baseline", "--set", "duration=0.2", "--out", str(full), "--quiet", "--overwrite-all",
               "--no-figure")
    assert r.returncode == 0 and not (full / "something").exists(), r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = netcol("run", "baseline", "--set", "duration=0.2", "--out", str(blocker / "sub"), "--quiet")
    assert r.returncode == 2 and "not writable" in r.stderr


def test_interrupted_run_keeps_a_readable_file(tmp_path):
    out = tmp_path / "int"
    proc = subprocess.Popen([*NETCOL, "run", "baseline", "--set", "duration=600", "--set", "block=0.5",
                             "--out", str(out), "--quiet", "--no-figure"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "spikes.h5").exists():
        time.sleep(0.2)
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted at t =" in err
    import json
    meta = json.loads((out / "run.json").read_text())
    assert meta["status"] == "interrupted" and 0 < meta["t_reached_ms"] < 600000
    t, _ = spikes(out)
    assert len(t) == meta["spikes"] > 0 and t.max() <= meta["t_reached_ms"]


@pytest.mark.parametrize("edit,words", [
    (("E2  = { count = 150,", "E2  = { count = -150,"), ["populations.E2", "count", "-150"]),
    (("E6  = { count = 60,  class = \"RS\"", "E6  = { count = 60,  class = \"XX\""), ["unknown cell class 'XX'"]),
    (("[connections.E2]\nE5B = [0.024, 0.36]", "[connections.E2]\nE7 = [0.024, 0.36]"), ["connections.E2.E7", "'E7' is not defined"]),
    (("colside = 30.0 ", "colsize = 30.0 "), ["unknown parameter", "colsize"]),
    (("radius_IE = 30.0", "radius_IE = 'far'"), ["radius_IE", "'far'"]),
    (("FS  = { mean = 2.0, halfwidth = 0.2 }", "FS  = { mean = 2.0, halfwidth = 3.0 }"), ["delays.FS", "halfwidth"]),
])
def test_broken_column_file_is_named(tmp_path, edit, words):
    from netcol.models.rowan2013.column import COLUMN_FILE
    text = COLUMN_FILE.read_text()
    assert edit[0] in text
    bad = tmp_path / "column.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1))
    assert_param_error_names(load_column, bad, words)


@pytest.mark.mpi
def test_cli_launched_under_mpiexec_directly(tmp_path):
    mpiexec = Path(sys.executable).parent / "mpiexec"
    out1, out2 = tmp_path / "one", tmp_path / "two"
    r = netcol("run", "baseline", "--set", "duration=3", "--out", str(out1), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(mpiexec), "-n", "2", *NETCOL, "run", "baseline", "--set", "duration=3", "--out",
                        str(out2), "--quiet", "--no-figure"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    import json
    assert json.loads((out2 / "run.json").read_text())["ranks"] == 2
    assert spikes(out1)[0].tobytes() == spikes(out2)[0].tobytes()


def baseline_spikes(duration_ms, eager=False, scaling=False):
    """Spikes of the baseline column; eager=True forces a real event for every drive input
    (plan_horizon 0), which is what the lazy drive must reproduce exactly."""
    from netcol.build.assemble import assemble
    from netcol.cells.intf6 import DT
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h, parallel_context
    from netcol.engine.simulate import configure_integrator
    h, pc = neuron_h(), parallel_context()
    net = assemble(load_experiment("baseline", {"column.mechanism.beta": 4e-5, "engine": "cells"})).net
    h.scaling_NetcolIntf6 = 1 if scaling else 0
    h.scaling_ton_NetcolIntf6 = 2000.0
    h.plan_horizon_NetcolIntf6 = 0.0 if eager else 1e20
    tv, iv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, iv)
    configure_integrator(h, pc, DT)
    h.finitialize()
    pc.psolve(duration_ms)
    net.catch_up(h.t)
    return dict(t=list(tv), gid=list(iv), sfac=[state(c).sfac for c in net.local.values()],
                vm=[c.vm() for c in net.local.values()])


@pytest.mark.parametrize("scaling", [False, True])
def test_lazy_drive_equals_one_event_per_input(scaling):
    from helpers import in_fresh_process
    lazy = in_fresh_process(baseline_spikes, duration_ms=5000.0, scaling=scaling)
    eager = in_fresh_process(baseline_spikes, duration_ms=5000.0, eager=True, scaling=scaling)
    assert len(lazy["t"]) > 3000
    assert lazy == eager        # spikes, scale factors and membrane potentials, bit for bit


def original_stream_times(number=0):
    """One of the original's NetStim streams (seed 1234 + 10 j, interval 7 ms, re-seeded at
    trial starts every 500 ms: T + 1 + j for a unique trial, 1234 + j for a repeat, the
    pending event kept; with number > 0 it ends after that many events) drawn two ways:
    by hoc's Random (MCellRan4, negexp(1)) one repick per event, as the NetStim does, and
    by the cell's own reference-mode stream (capped at number), read from its drive buffer
    every 5 ms of a run; returns both lists of times."""
    from netcol.engine.runtime import neuron_h
    from netcol.cells.intf6 import CellClass, CELL_FIELDS
    h = neuron_h()
    j, interval, trial_ms, t_end = 7, 7.0, 500.0, 2000.0

    def seeded(seed):
        r = h.Random()
        r.MCellRan4(seed, seed)
        r.negexp(1)
        return r
    r = seeded(1234 + 10 * j)
    t, loop = interval * r.repick(), []
    for k in range(int(t_end / trial_ms)):
        while t < k * trial_ms:
            loop.append(t)
            t = t + interval * r.repick()
        r = seeded(round(k * trial_ms) + 1 + j if k % 2 == 0 else 1234 + j)
    while t < t_end:
        loop.append(t)
        t = t + interval * r.repick()
    if number:
        loop = loop[:number]

    cell = CellClass("RS", False, {k: f.default for k, f in CELL_FIELDS.items()}).create(0)
    cell.xorig, cell.xr2, cell.xw2 = 1, 1000.0 / interval, 0.0
    cell.set_original_streams(0, 0, 1234 + 10 * j, 0, 0, 0, j, 0)
    cell.trial_len = trial_ms
    cell.set_caps(-1, -1, number, -1)
    h.capped_NetcolIntf6 = 1 if number else 0
    h.dt = 0.5
    h.finitialize()
    seen = set()
    while h.t < t_end:
        h.continuerun(h.t + 5.0)
        # times drawn ahead past the next trial start are drawn again after the re-seeding
        next_trial = (h.t // trial_ms + 1) * trial_ms
        seen.update(x for x in (cell.state_value("bt", i) for i in range(int(state(cell).nb))) if x < next_trial)
    return loop, sorted(x for x in seen if x < t_end)


def test_reference_drive_streams_are_the_originals_netstims():
    from helpers import in_fresh_process
    loop, cell = in_fresh_process(original_stream_times)
    assert len(loop) > 250
    assert cell == loop   # the same times, bit for bit, across re-seeding at every trial


def test_a_capped_stream_ends_after_its_number_across_reseeding():
    from helpers import in_fresh_process
    loop, cell = in_fresh_process(original_stream_times, number=150)
    assert len(loop) == 150 and 1000.0 < loop[-1] < 1500.0   # ends in the third trial
    assert cell == loop   # inputs drawn ahead and dropped at two re-seedings still count once


def test_delivery_chain_groups_and_skips_dead_targets():
    from netcol.models.rowan2013.network import delivery_chain
    delays = np.array([1.0, 1.000004, 1.5, 2.0, 2.5, 3.0])
    dead = np.array([True, False, False, True, False, True])
    group, steps = delivery_chain(delays, dead)
    # the first callback goes to the nearest target although it is dead (with the one within
    # DELMIN of it); the dead target at 2.0 is skipped, and nothing follows the one at 2.5
    assert group.tolist() == [0, 0, 1, -1, 2, -1]
    assert steps == [1.5 - 1.0, 2.5 - 1.5]


def chained_arrival_times():
    """A cell spiking at t_s onto three cells with delays 1.1, 1.7 and 2.9 ms, with chained
    arrivals on; returns the targets' arrival times (the time of their last event) and
    the original's chain ((t_s + 1.1) + 0.6) + 1.2 and t_s + delay for each."""
    from netcol.engine.runtime import neuron_h
    from netcol.cells.intf6 import CellClass, CELL_FIELDS, SLOT, N_SLOTS, KIND_FROM_E
    h = neuron_h()
    h.chained_NetcolIntf6 = 1
    cls = CellClass("RS", False, {k: f.default for k, f in CELL_FIELDS.items()})
    src, targets = cls.create(0), [cls.create(g) for g in (1, 2, 3)]
    delays, ts = [1.1, 1.7, 2.9], 100.123456789
    src.set_chain(0, h.Vector([delays[1] - delays[0], delays[2] - delays[1]]))
    ncs = []
    for m, (cell, d) in enumerate(zip(targets, delays)):
        nc = h.NetCon(src, cell)
        nc.delay = delays[0]
        w = [0.0] * N_SLOTS
        w[SLOT["AM2"]], w[SLOT["KIND"]], w[SLOT["WGAIN"]], w[SLOT["DELAY"]] = 0.1, KIND_FROM_E, 1.0, d
        w[SLOT["PRE"]], w[SLOT["GROUP"]], w[SLOT["PLMAX"]] = 0, m, 1.0
        for k, v in enumerate(w):
            nc.weight[k] = v
        ncs.append(nc)
    kick = h.NetCon(None, src)
    kick.weight[SLOT["AM"]] = 22.0    # -65 + 22 mV: above threshold, below the block
    h.dt = 0.5
    h.finitialize()
    kick.event(ts)
    h.continuerun(110.0)
    chain, a = [], ts + delays[0]
    for k in range(3):
        a = a + (delays[k] - delays[k - 1] if k else 0.0)
        chain.append(a)
    return [state(c).t0 for c in targets], chain, [ts + d for d in delays], state(src).spkcnt


def test_chained_arrivals_follow_the_originals_callback_chain():
    from helpers import in_fresh_process
    arrived, chain, direct = in_fresh_process(chained_arrival_times)[:3]
    assert arrived == chain
    assert chain != direct      # the case is one where the two sums differ in the last bit


def test_reference_mode_deletion_run_matches_the_original(tmp_path):
    """The original's 100-s deletion run (47 cells every 20 s, inputs re-seeded at every
    trial start, the external scale-down) in reference mode: the same cells alive in every
    segment, the same spikes in each (the rates the original wrote times the cells alive,
    to their rounding), 58,846 in all.  Its E/I split differs by a few spikes: the
    original's spike writer shifts ids after every spike of cell 0."""
    from netcol.analysis.spikes import read_nodes, read_spikes
    out = tmp_path / "refdel"
    r = netcol("run", "onlydeletion", "--set", "rng=original", "--set", "duration=100", "--set", "deletion_step=47",
               "--set", "segment_length=20", "--set", "trial_length=80", "--set", "recording_interval=20",
               "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    t, gid = read_spikes(out)
    ex = read_nodes(out)["excitatory"].astype(bool)
    with h5py.File(out / "state.h5", "r") as f:
        dead_at = np.full(470, np.inf)
        dead_at[f["deletions/gid"][:]] = f["deletions/time"][:]
    assert len(t) == 58846
    ref = np.loadtxt(REFERENCE / "orig_deletion_segments.csv", delimiter=",", skiprows=1)
    for t0, t1, alive_cells, e_hz, i_hz in ref:
        alive = dead_at > t0 * 1000.0
        assert alive.sum() == alive_cells
        spikes = np.count_nonzero((t >= t0 * 1000.0) & (t < t1 * 1000.0))
        written = (e_hz * (alive & ex).sum() + i_hz * (alive & ~ex).sum()) * (t1 - t0)
        assert abs(spikes - written) < 1.0, (t0, spikes, written)


@pytest.mark.mpi
def test_long_reference_run_is_the_same_across_block_sizes_and_ranks(tmp_path):
    """60 s of reference mode with every quirk at work (re-seeded trials, deletion,
    accelerated scaling, chained arrivals): 1 rank with 1-s blocks = 2 ranks with 3.5-s
    blocks, spike for spike."""
    args = ["scalingwithdeletion", "--set", "rng=original", "--set", "duration=60", "--set", "segment_length=10",
            "--set", "deletion_step=20", "--set", "trial_length=7", "--set", "scaling_start=5",
            "--set", "column.mechanism.beta=4e-5", "--quiet", "--no-figure"]
    runs = []
    for n, block in ((1, "1"), (2, "3.5")):
        out = tmp_path / f"np{n}"
        r = netcol("run", *args, "--set", f"block={block}", "--np", str(n), "--out", str(out))
        assert r.returncode == 0, r.stderr
        runs.append(spikes(out))
    assert len(runs[0][0]) > 30000
    assert runs[0][0].tobytes() == runs[1][0].tobytes() and runs[0][1].tobytes() == runs[1][1].tobytes()


def test_reference_mode_reseeding_survives_kill_and_resume(tmp_path):
    """Re-seeded streams (trials every 15 s) continue exactly across a kill and resume."""
    from netcol.analysis.spikes import read_spikes
    args = ["onlydeletion", "--set", "rng=original", "--set", "duration=40", "--set", "deletion_step=47",
            "--set", "segment_length=20", "--set", "trial_length=15", "--set", "recording_interval=20",
            "--checkpoint-every", "10", "--quiet", "--no-figure"]
    r = netcol("run", *args, "--out", str(tmp_path / "whole"))
    assert r.returncode == 0, r.stderr
    killed = subprocess.run([*NETCOL, "run", *args, "--out", str(tmp_path / "cut")], cwd=REPO, capture_output=True,
                            text=True, env=dict(os.environ, NETCOL_FAULT="sigkill@25"))
    assert killed.returncode != 0
    r = netcol("resume", str(tmp_path / "cut"), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    (ta, ga), (tb, gb) = read_spikes(tmp_path / "whole"), read_spikes(tmp_path / "cut")
    assert len(ta) > 1000 and np.array_equal(ta, tb) and np.array_equal(ga, gb)


def test_the_nearest_dead_callback_quirk_adds_the_originals_scaling_steps(tmp_path):
    """With the quirk (on by default in reference mode), a cell whose nearest target is
    dead still runs that callback's scaling step, as the original: scale factors move
    apart from the corrected behaviour once cells are deleted, not before."""
    import h5py
    common = ["onlydeletion", "--set", "rng=original", "--set", "duration=30", "--set", "deletion_step=94",
              "--set", "segment_length=10", "--set", "trials=false", "--set", "scaling=true",
              "--set", "scaling_start=1", "--set", "recording_start=1", "--set", "recording_interval=1",
              "--set", "column.mechanism.act_tau=2000", "--set", "column.mechanism.beta=4e-4", "--quiet", "--no-figure"]
    scale = {}
    for quirk in ("auto", "off"):
        out = tmp_path / quirk
        r = netcol("run", *common, "--set", f"quirk_nearest_dead_callback={quirk}", "--out", str(out))
        assert r.returncode == 0, r.stderr
        with h5py.File(out / "state.h5", "r") as f:
            scale[quirk] = (f["records/time"][:], f["records/scale"][:])
    t, on = scale["auto"]
    off = scale["off"][1]
    assert np.array_equal(on[t <= 10000.0], off[t <= 10000.0])     # the same until the first round
    assert not np.array_equal(on[t > 11000.0], off[t > 11000.0])    # then the extra steps tell


#: Scaling from 1 s with a fast sensor and a large beta, records every second: scale factors
#: move within a 4-s run.
FAST_SCALING = ["onlyscaling", "--set", "duration=4", "--set", "scaling_start=1", "--set", "recording_start=1",
                "--set", "recording_interval=1", "--set", "column.mechanism.beta=4e-4",
                "--set", "column.mechanism.act_tau=1000"]


def final_scale_and_goal(run_dir):
    """The last record's scale factors and goals, and which cells are excitatory."""
    with h5py.File(run_dir / "state.h5", "r") as f, h5py.File(run_dir / "nodes.h5", "r") as n:
        ex = n["nodes/column/0/excitatory"][:].astype(bool)
        return f["records/scale"][-1], f["records/goal"][-1], ex


@pytest.mark.parametrize("engine", ["cells", "rank"])
def test_iscaling_scales_inhibitory_cells_and_only_with_it(tmp_path, engine):
    import json
    runs = {}
    for iscaling in ("true", "false"):
        out = tmp_path / iscaling
        r = netcol("run", *FAST_SCALING, "--set", f"engine={engine}", "--set", f"column.mechanism.iscaling={iscaling}",
                   "--out", str(out), "--quiet", "--no-figure")
        assert r.returncode == 0, r.stderr
        assert json.loads((out / "run.json").read_text())["engine"] == engine
        runs[iscaling] = final_scale_and_goal(out)
    for iscaling, (scale, goal, ex) in runs.items():
        assert np.abs(scale[ex] - 1.0).max() > 1e-4                      # E cells are scaled either way
        assert not np.isnan(goal[ex]).any()
    scale, goal, ex = runs["true"]
    assert np.abs(scale[~ex] - 1.0).max() > 1e-4 and not np.isnan(goal[~ex]).any()   # with it: I cells too
    scale, goal, ex = runs["false"]
    assert np.all(scale[~ex] == 1.0) and np.isnan(goal[~ex]).all()                  # without: I cells stay 1
