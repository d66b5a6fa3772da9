"""Analysis of a vogels2011 run: rates over time (records), ISI coefficients of variation,
population synchrony, and the I -> E weights (records and snapshots).

Synchrony is Golomb's chi: the standard deviation of the population-averaged activity
over the mean standard deviation of single cells' activity, from spike counts in 5-ms
bins of a sample of E cells (about 1 for synchronous volleys, near 1 / sqrt(cells) for
asynchronous activity).
"""
from pathlib import Path

import numpy as np

from ...analysis.spikes import open_run_h5, read_nodes, read_spikes


def records(run_dir):
    """The records as a dict of arrays: time (s), rate_e, rate_i (Hz), w_mean (nS),
    w_quantiles (n x 5) with levels, w_hist (n x bins) with edges."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        g = f["records"]
        n = g["time"].shape[0]
        out = {k: g[k][:n] for k in ("rate_e", "rate_i", "w_mean", "w_quantiles", "w_hist")}
        out["time"] = g["time"][:n] / 1000.0
        out["levels"] = g["w_quantiles"].attrs["levels"]
        out["edges"] = g["w_hist"].attrs["edges"]
    return out


def snapshot(run_dir, label):
    """Every I -> E weight at a snapshot ('static_end' or 'final'), or None if not taken."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        values = f[f"snapshots/{label}"][:]
    return None if np.isnan(values).all() else values


def isi_cv(run_dir, t0, t1, excitatory=True, min_spikes=3):
    """Coefficient of variation of the inter-spike intervals of each E (or I) cell with at
    least min_spikes spikes in [t0, t1) s."""
    t, gid = read_spikes(run_dir, (t0, t1))
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    sel = ex[gid] == excitatory
    t, gid = t[sel], gid[sel]
    order = np.lexsort((t, gid))
    t, gid = t[order], gid[order]
    bounds = np.searchsorted(gid, np.arange(len(ex) + 1))
    out = []
    for g in np.flatnonzero(ex == excitatory):
        times = t[bounds[g]:bounds[g + 1]]
        if len(times) >= min_spikes:
            isi = np.diff(times)
            out.append(isi.std() / isi.mean())
    return np.array(out)


def synchrony(run_dir, t0, t1, bin_ms=5.0, sample=1000, seed=0):
    """Golomb's chi of the E cells over [t0, t1) s (a fixed random sample of cells)."""
    ex = np.flatnonzero(read_nodes(run_dir)["excitatory"].astype(bool))
    cells = np.sort(np.random.default_rng(seed).choice(ex, size=min(sample, len(ex)), replace=False))
    t, gid = read_spikes(run_dir, (t0, t1))
    keep = np.isin(gid, cells)
    edges = np.arange(t0 * 1000.0, t1 * 1000.0 + bin_ms / 2, bin_ms)
    counts = np.zeros((len(cells), len(edges) - 1))
    rows = np.searchsorted(cells, gid[keep])
    cols = np.clip(np.digitize(t[keep], edges) - 1, 0, len(edges) - 2)
    np.add.at(counts, (rows, cols), 1)
    single = counts.std(axis=1)
    return float(counts.mean(axis=0).std() / np.sqrt(np.mean(single ** 2))) if single.any() else float("nan")


def sweep_measures(run_dir):
    """The headline numbers of one run of a sweep (beside its E and I rates).

    Returns
    -------
    dict
        'IE_weight_end_nS' (mean plastic I -> E weight at the last record) and
        'E_isi_cv' (median ISI CV of the E cells over the run's second half).
    """
    rec = records(run_dir)
    end = float(rec["time"][-1]) if len(rec["time"]) else 0.0
    cv = isi_cv(run_dir, end / 2, end) if end > 0 else np.array([])
    return dict(IE_weight_end_nS=float(rec["w_mean"][-1]) if len(rec["time"]) else float("nan"),
                E_isi_cv=float(np.median(cv)) if len(cv) else float("nan"))
