"""netcol.analysis.spikes against hand-computed values on synthetic run directories and series."""
import json

import h5py
import numpy as np
import pytest

from netcol.analysis import spikes as analysis
from netcol.models.rowan2013 import measures
from netcol.io.record import SpikeWriter
from netcol.models.rowan2013.staterec import StateWriter


@pytest.fixture
def fake_run(tmp_path):
    """Four cells: gid 0, 1 of type EA (E), 2 of type EB (E), 3 of type IA (I); 10 s."""
    with h5py.File(tmp_path / "nodes.h5", "w") as f:
        g = f.create_group("nodes/column")
        g["type"] = np.array([b"EA", b"EA", b"EB", b"IA"])
        g["excitatory"] = np.array([1, 1, 1, 0], dtype=np.int8)
    w = SpikeWriter(tmp_path / "spikes.h5", "column")
    # gid 0: 10 spikes, gid 1: 4, gid 2: 0, gid 3: 50 (all in 0-10 s)
    t = np.concatenate([np.arange(10) * 1000.0 + 1, np.arange(4) * 2000.0 + 3, np.arange(50) * 200.0 + 7])
    gid = np.concatenate([np.zeros(10), np.ones(4), np.full(50, 3)]).astype(np.uint64)
    w.append(t, gid)
    w.close()
    s = StateWriter(tmp_path / "state.h5", 4, ["EA->EB"], [0, 1], [2, 2], ["final"], "uniform")
    s.record(1000.0, [1.0, 3.0, 5.0, 9.0], [np.nan] * 4, [1.0, 1.0, 1.0, 1.0], [1, 1, 1, 1])
    s.record(2000.0, [2.0, 4.0, 100.0, 9.0], [1.5, 1.5, 1.5, np.nan], [1.2, 1.4, 9.0, 1.0], [1, 1, 0, 1])
    s.gain_snapshot("final", 10000.0, [1.25, 0.75])
    s.trial(0.0, "unique", 2)
    s.close()
    (tmp_path / "run.json").write_text(json.dumps({"t_reached_ms": 10000.0}))
    return tmp_path


def test_rates_by_type(fake_run):
    r = analysis.rates_by_type(fake_run, 0.0, 10.0)
    assert r["EA"] == pytest.approx(((10 + 4) / 2 / 10, np.std([1.0, 0.4])))
    assert r["EB"] == (0.0, 0.0) and r["IA"] == (5.0, 0.0)
    assert analysis.class_rates(fake_run) == pytest.approx(((10 + 4) / 3 / 10, 5.0))
    assert analysis.rates_by_type(fake_run, 0.0, 5.0)["IA"][0] == pytest.approx(25 / 5)


def test_population_timecourse_over_alive_cells(fake_run):
    a = measures.population_timecourse(fake_run, "activity", "E")
    assert list(a["t"]) == [1.0, 2.0]
    assert a["mean"] == pytest.approx([3.0, 3.0])               # record 2: gid 2 is dead
    assert a["sd"] == pytest.approx([np.std([1, 3, 5]), 1.0])
    assert list(a["alive"]) == [3, 2]
    s = measures.population_timecourse(fake_run, "scale", "E")
    assert s["mean"] == pytest.approx([1.0, 1.3])
    g = measures.population_timecourse(fake_run, "goal", "E")
    assert np.isnan(g["mean"][0]) and g["mean"][1] == pytest.approx(1.5)


def test_population_counts_binnings():
    t = np.array([1.0, 4.0, 6.0, 11.0, 19.0, 21.0])
    # corrected: bins of 5 ms from the segment start 0..20 ms
    assert list(analysis.population_counts(t, 0.0, 20.0, 5.0)) == [2, 1, 1, 1]
    # original: n = int((19 - 1) / 5) = 3 bins over the first/last spike of the segment,
    # index int((t mod 15) / 5): 1->0, 4->0, 6->1, 11->2, 19->0 (wrapped)
    assert list(analysis.population_counts(t, 0.0, 20.0, 5.0, "original")) == [3, 1, 1]


def test_multitaper_spectrum_peak_and_parseval():
    dt = 0.005
    n = 4000
    tt = np.arange(n) * dt
    rng = np.random.default_rng(0)
    x = 3 * np.sin(2 * np.pi * 33.0 * tt) + rng.normal(0, 1, n)
    f, p = analysis.multitaper_spectrum(x, dt)
    assert f[np.argmax(p)] == pytest.approx(33.0, abs=0.3)
    # integral over 0..Nyquist equals the variance (4.5 + 1)
    assert np.sum(p) * (f[1] - f[0]) == pytest.approx(np.var(x), rel=0.03)


@pytest.mark.parametrize("snr", [0.0, 1.0, 3.0])
def test_fourier_information_on_gaussian_channels(snr):
    # repeat trials share one signal, unique trials draw a new one; signal and noise are
    # white, so every frequency carries log2(1 + snr) bits (two parts x 1/2 log2)
    rng = np.random.default_rng(1)
    trials, bins, dt = 600, 64, 0.005
    signal = rng.normal(0, np.sqrt(snr), bins)
    repeat = signal + rng.normal(0, 1, (trials, bins))
    unique = rng.normal(0, np.sqrt(snr), (trials, bins)) + rng.normal(0, 1, (trials, bins))
    res = analysis.fourier_information(unique, repeat, dt, resamples=100)
    n_freq = len(res["freq"])
    expected = n_freq * np.log2(1 + snr) / (bins * dt)
    lo, hi = res["ci"]
    if snr == 0:
        # no signal: only the estimator's upward bias (clipped ratios) remains, below
        # 0.25 bits per frequency with 600 trials, against 1 bit per frequency at snr 1;
        # the relabelling estimate of the bias takes it away
        assert 0 < res["rate"] < 0.25 * n_freq / (bins * dt)
        assert res["bias"] == pytest.approx(res["rate"], rel=0.5)
        assert lo < 0 < hi
    else:
        assert res["corrected"] == pytest.approx(expected, rel=0.08)
        assert lo < res["corrected"] < hi and hi - lo < 0.2 * expected
    with pytest.raises(ValueError):
        analysis.fourier_information(unique[:1], repeat, dt)


def test_gain_changes_and_records(fake_run):
    assert measures.gain_changes(fake_run) == {"EA->EB": (pytest.approx(0.0), 2)}
    rec = measures.read_records(fake_run)
    assert rec["activity"].shape == (2, 4) and rec["alive"][1, 2] == 0
    assert analysis.run_end(fake_run) == 10.0


def test_read_spikes_window(fake_run):
    t_all, g_all = analysis.read_spikes(fake_run)
    t, g = analysis.read_spikes(fake_run, (2.0, 4.0))            # seconds, both ends included
    sel = (t_all >= 2000.0) & (t_all <= 4000.0)
    assert np.array_equal(t, t_all[sel]) and len(t) == sel.sum() > 0    # the file is sorted by time
    assert np.array_equal(g, g_all[sel])
    assert len(analysis.read_spikes(fake_run, (20.0, 30.0))[0]) == 0


def trial_run(path, noisy):
    """One E cell, 8 s of 1-s trials alternating unique (from 0) and repeat: unique trials
    draw 40 new spike times, repeat trials replay the same 40 (and, when noisy, each adds
    one spike of its own)."""
    path.mkdir()
    with h5py.File(path / "nodes.h5", "w") as f:
        g = f.create_group("nodes/column")
        g["type"] = np.array([b"EA"])
        g["excitatory"] = np.array([1], dtype=np.int8)
    rng = np.random.default_rng(1)
    repeated = rng.uniform(0, 1000, 40)
    times = []
    for k in range(8):
        trial = repeated if k % 2 else rng.uniform(0, 1000, 40)
        if noisy:
            trial = np.append(trial, rng.uniform(0, 1000))
        times.append(k * 1000.0 + np.sort(trial))
    t = np.concatenate(times)
    w = SpikeWriter(path / "spikes.h5", "column")
    w.append(t, np.zeros(len(t), dtype=np.uint64))
    w.close()
    s = StateWriter(path / "state.h5", 1, ["EA->EA"], [0], [0], [], "uniform")
    for k in range(8):
        s.trial(k * 1000.0, "unique" if k % 2 == 0 else "repeat", 2 + k if k % 2 == 0 else 1)
    s.close()
    (path / "run.json").write_text(json.dumps({"t_reached_ms": 8000.0}))
    return path


def test_segment_information_per_segment_and_without_noise(tmp_path):
    noisy = measures.segment_information(trial_run(tmp_path / "noisy", True), 4.0)
    assert noisy["t0"].tolist() == [0.0, 4.0]
    assert noisy["n_unique"].tolist() == [2, 2] and noisy["n_repeat"].tolist() == [2, 2]
    assert np.isfinite(noisy["corrected"]).all()
    # identical repeat trials leave no noise to estimate: no rate rather than a huge one
    exact = measures.segment_information(trial_run(tmp_path / "exact", False), 4.0)
    assert np.isnan(exact["corrected"]).all()
    assert measures.trial_information(tmp_path / "exact", window_s=(0.0, 4.0))["identical_repeats"]


def test_read_spikes_while_a_writer_is_between_its_two_appends(fake_run):
    """A running writer extends timestamps before node_ids: readers take the spikes both
    hold (`netcol info` on a running run once failed on the difference)."""
    with h5py.File(fake_run / "spikes.h5", "a") as f:
        g = f[f"spikes/{list(f['spikes'])[0]}/timestamps"]
        g.resize((g.shape[0] + 3,))
        g[-3:] = [20000.0, 20001.0, 20002.0]
    t, gid = analysis.read_spikes(fake_run)
    assert len(t) == len(gid) == 64
    assert len(analysis.read_spikes(fake_run, (0.0, 30.0))[0]) == 64
    assert measures.binned_class_rate(fake_run, [0.0, 10.0], [3.0], "E")[0] == 14 / 30.0


def test_spike_writer_keeps_the_by_time_order(tmp_path):
    """A block in any order is written by time, then gid; one already in that order (ties
    included) is written as it is."""
    from netcol.analysis.spikes import read_spikes
    from netcol.io.record import sorted_by_time_then_gid
    t1, g1 = np.array([5.0, 1.0, 5.0, 3.0]), np.array([2, 7, 1, 0], np.uint64)
    t2, g2 = np.array([6.0, 6.0, 8.5]), np.array([0, 3, 1], np.uint64)
    assert not sorted_by_time_then_gid(t1, g1) and sorted_by_time_then_gid(t2, g2)
    assert not sorted_by_time_then_gid(np.array([6.0, 6.0]), np.array([3, 0], np.uint64))
    w = SpikeWriter(tmp_path / "spikes.h5", "column")
    w.append(t1, g1)
    w.append(t2, g2)
    w.close()
    t, gid = read_spikes(tmp_path)
    assert t.tolist() == [1.0, 3.0, 5.0, 5.0, 6.0, 6.0, 8.5] and gid.tolist() == [7, 0, 1, 2, 0, 3, 1]
