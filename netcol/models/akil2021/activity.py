"""Analysis of an akil2021 run: records (rates, the balance of currents, weights),
weight snapshots, spike-count correlations, and the balanced-state theory (akil2021.md
§6).

Correlations are those of the reference's helpers: spike counts of each cell in windows
of 250 ms, their Pearson correlation for every pair of a sample of cells, averaged over
E-E, E-I and I-I pairs (cells without spikes are left out).
"""
from pathlib import Path

import numpy as np

from ...analysis.spikes import open_run_h5, read_spikes
from ...io.rundir import read_run_json
from .network import n_excitatory

PATHWAY_NAMES = ("E→E", "E→I", "I→E", "I→I")


def records(run_dir):
    """The records as a dict of arrays: time (s), rate_e, rate_i (Hz), current_e and
    current_i (n x 3: I_E, I_I, I_X), w_mean (n x 4), w_samples (n x k) with
    sample_pre, sample_post, sample_pathway."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        g = f["records"]
        n = g["time"].shape[0]
        out = {k: g[k][:n] for k in ("rate_e", "rate_i", "current_e", "current_i", "w_mean")}
        out["w_samples"] = g["w_samples"][:n] if "w_samples" in g else np.zeros((n, 0))
        out["time"] = g["time"][:n] / 1000.0
        for k in ("pre", "post", "pathway"):
            out[f"sample_{k}"] = f[f"samples/{k}"][:]
    return out


def snapshot(run_dir, label):
    """(pre, post, weights) of every plastic synapse at a snapshot ('initial' or 'final'),
    or None if not taken."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        values = f[f"snapshots/{label}"][:]
        pre, post = f["snapshots/pre"][:], f["snapshots/post"][:]
    return None if len(values) == 0 or np.isnan(values).all() else (pre, post, values)


def pathway_of(pre, post, n_e):
    """Pathway index (0 E->E, 1 E->I, 2 I->E, 3 I->I) of synapses."""
    return (np.asarray(pre) >= n_e) * 2 + (np.asarray(post) >= n_e)


def correlations(run_dir, t0, t1, window_ms=250.0, sample=1000, seed=0):
    """Mean spike-count correlations {'EE', 'EI', 'II'} over [t0, t1) s of a fixed random
    sample of cells (as many E and I as their shares)."""
    p = read_run_json(run_dir)["params"]
    n, n_e = p["n"], n_excitatory(p)
    rng = np.random.default_rng(seed)
    k_e = min(n_e, int(round(sample * n_e / n)))
    cells = np.sort(np.concatenate([rng.choice(n_e, k_e, replace=False),
                                    n_e + rng.choice(n - n_e, min(n - n_e, sample - k_e), replace=False)]))
    t, gid = read_spikes(run_dir, (t0, t1))
    keep = np.isin(gid, cells)
    edges = np.arange(t0 * 1000.0, t1 * 1000.0 + 1e-9, window_ms)
    counts = np.zeros((len(cells), len(edges) - 1))
    rows = np.searchsorted(cells, gid[keep])
    cols = np.digitize(t[keep], edges) - 1
    ok = (cols >= 0) & (cols < len(edges) - 1)
    np.add.at(counts, (rows[ok], cols[ok]), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.corrcoef(counts)
    exc = cells < n_e
    iu = np.triu_indices(len(cells), 1)
    a, b = exc[iu[0]], exc[iu[1]]
    vals = c[iu]
    return {"EE": float(np.nanmean(vals[a & b])), "EI": float(np.nanmean(vals[a != b])),
            "II": float(np.nanmean(vals[~a & ~b]))}


def balanced_rates(params):
    """The large-N balanced-state rates (Hz) of E and I with the weights as set up: the
    solution of W r + W_X r_X = 0, w_ab = p_ab j_ab q_b, q the population fractions."""
    q_e = params["frac_e"]
    q_i, q_x = 1 - q_e, params["n_x"] / params["n"]
    w = np.array([[params["p_ee"] * params["j_ee"] * q_e, params["p_ie"] * params["j_ie"] * q_i],
                  [params["p_ei"] * params["j_ei"] * q_e, params["p_ii"] * params["j_ii"] * q_i]])
    wx = np.array([params["p_xe"] * params["j_xe"] * q_x, params["p_xi"] * params["j_xi"] * q_x])
    r = -np.linalg.solve(w, wx * params["r_x"])
    return float(r[0]), float(r[1])


def target_rates(params):
    """{'E': Hz, 'I': Hz} the active homeostatic rules drive the rates to."""
    rules = [r.strip() for r in params["rules"].split(",") if r.strip()]
    out = {}
    if "ie_homeostatic" in rules:
        out["E"] = params["target_ie"]
    if "ii_homeostatic" in rules:
        out["I"] = params["target_ii"]
    elif "ei_homeostatic" in rules:
        out["I"] = params["target_ei"]
    return out


def window_rates(run_dir, t0, t1):
    """Mean E and I rates (Hz) over [t0, t1) s from the records."""
    r = records(run_dir)
    sel = (r["time"] > t0 + 1e-9) & (r["time"] <= t1 + 1e-9)
    return float(r["rate_e"][sel].mean()), float(r["rate_i"][sel].mean())


def fixed_point_weights(params):
    """{pathway: weight} at the large-N fixed point of the I -> E and I -> I rules when
    both act (the rates then sit at their targets; a rule alone leaves a manifold of fixed
    points): from W r + W_X r_X = 0 solved for j_ie and j_ii, scaled by 1/sqrt(N).
    Empty unless both rules are on."""
    rules = [r.strip() for r in params["rules"].split(",") if r.strip()]
    if not {"ie_homeostatic", "ii_homeostatic"} <= set(rules):
        return {}
    q_e = params["frac_e"]
    q_i, q_x = 1 - q_e, params["n_x"] / params["n"]
    r_e, r_i, r_x = params["target_ie"], params["target_ii"], params["r_x"]
    j_ie = -(params["p_ee"] * params["j_ee"] * q_e * r_e + params["p_xe"] * params["j_xe"] * q_x * r_x) \
        / (params["p_ie"] * q_i * r_i)
    j_ii = -(params["p_ei"] * params["j_ei"] * q_e * r_e + params["p_xi"] * params["j_xi"] * q_x * r_x) \
        / (params["p_ii"] * q_i * r_i)
    return {2: j_ie / np.sqrt(params["n"]), 3: j_ii / np.sqrt(params["n"])}


#: The recurrent pathways in the order of the records' w_mean columns.
PATHWAYS = ("EE", "EI", "IE", "II")


def sweep_measures(run_dir):
    """The headline numbers of one run of a sweep (beside its E and I rates).

    Returns
    -------
    dict
        '<pathway>_weight_end' (mean weight of each plastic pathway at the last record;
        NaN where static) and 'E_current_balance' (mean total current onto E cells,
        I_E + I_I + I_X, at the last record).
    """
    rec = records(run_dir)
    last = len(rec["time"]) - 1
    out = {f"{p}_weight_end": float(rec["w_mean"][last, k]) if last >= 0 else float("nan")
           for k, p in enumerate(PATHWAYS)}
    out["E_current_balance"] = float(rec["current_e"][last].sum()) if last >= 0 else float("nan")
    return out
