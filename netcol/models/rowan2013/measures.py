"""The column's own measures, read from its run folders: the state records (activity
sensor, goal, scale factor, alive cells), rates over the alive cells, information from
repeat and unique trials (Crumiller et al. 2011) per run or per segment, STDP gain changes
by type pair, and the headline numbers of a sweep's runs."""
from pathlib import Path

import numpy as np

from ...analysis.spikes import (fourier_information, open_run_h5, population_counts, read_nodes,
                                read_spikes, run_end)
from ...io.record import population_of
from ...io.runfiles import read_rows


def read_records(run_dir):
    """The state records: dict with time (ms) and activity, goal (Hz), scale, alive (time x cell)."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        return read_rows(f["records"], ("time", "activity", "goal", "scale", "alive"))


def binned_class_rate(run_dir, edges_s, alive, cells="E", chunk=10_000_000):
    """Mean rate (Hz) of the E (or I) cells in each bin between edges (s), over the number
    of alive cells given per bin; the spikes are read in chunks (long runs hold tens of
    millions).

    Returns
    -------
    numpy.ndarray, one value per bin
    """
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    want = ex if cells == "E" else ~ex
    counts = np.zeros(len(edges_s) - 1)
    edges_ms = np.asarray(edges_s) * 1000.0
    with open_run_h5(Path(run_dir) / "spikes.h5") as f:
        g = f[f"spikes/{population_of(f, 'spikes')}"]
        n = min(g["timestamps"].shape[0], g["node_ids"].shape[0])   # a running writer: see read_spikes
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            t, gid = g["timestamps"][lo:hi], g["node_ids"][lo:hi].astype(np.int64)
            counts += np.histogram(t[want[gid]], edges_ms)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / (np.asarray(alive, float) * np.diff(edges_s))


def population_timecourse(run_dir, quantity="activity", cells="E", records=None):
    """Mean and SD (ddof 0) over the selected alive cells at every record.

    Parameters
    ----------
    quantity : {'activity', 'scale', 'goal'}
        Activity sensor (Hz), scale factor, or goal (Hz).
    cells : {'E', 'I', 'all'}
    records : dict, optional
        The run's :func:`read_records`, read once for several quantities (of a running
        run, one read is one moment: a second may hold more records).

    Returns
    -------
    dict with 't' (s), 'mean', 'sd', 'median', 'q25', 'q75', 'alive' (number of alive
    selected cells)
    """
    rec = records if records is not None else read_records(run_dir)
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    sel = {"E": ex, "I": ~ex, "all": np.ones_like(ex)}[cells]
    out = {k: [] for k in ("mean", "sd", "median", "q25", "q75", "alive")}
    for row, live in zip(rec[quantity], rec["alive"]):
        use = sel & (live == 1)
        vals = row[use]
        vals = vals[~np.isnan(vals)]
        q = np.percentile(vals, [50, 25, 75]) if len(vals) else (np.nan,) * 3
        for k, v in (("mean", vals.mean() if len(vals) else np.nan), ("sd", vals.std() if len(vals) else np.nan),
                     ("median", q[0]), ("q25", q[1]), ("q75", q[2]), ("alive", int(use.sum()))):
            out[k].append(v)
    return dict(t=rec["time"] / 1000.0, **{k: np.array(v) for k, v in out.items()})


def trial_information(run_dir, bin_ms=5.0, fmax=100.0, cells="E", window_s=None):
    """Fourier information of population counts over the run's unique and repeat trials.

    Parameters
    ----------
    window_s : (float, float), optional
        [t0, t1] in seconds: only the trials that lie inside it (for example one segment
        between two deletion rounds).

    Returns
    -------
    dict (see :func:`fourier_information`) plus 'n_unique', 'n_repeat' and
    'identical_repeats' (True when every repeat trial gave the same counts: with no noise
    the rate is unbounded, and the estimate only reflects the floor of its variance)
    """
    return _information_of_trials(run_dir, _trial_table(run_dir), bin_ms, fmax, cells, window_s)


def _trial_table(run_dir):
    """(trial start times in ms, their kinds, excitatory flag per gid, the run's end in s)."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        rows = read_rows(f["trials"], ("time", "kind"))
    starts, kinds = rows["time"], rows["kind"].astype(str)
    if len(starts) < 2:
        raise ValueError(f"{run_dir}: fewer than two trials recorded (run with trials = true)")
    return starts, kinds, read_nodes(run_dir)["excitatory"].astype(bool), run_end(run_dir)


def _information_of_trials(run_dir, table, bin_ms, fmax, cells, window_s):
    """:func:`trial_information` from a :func:`_trial_table`, reading only the window's spikes."""
    starts, kinds, ex, end_s = table
    length = float(np.min(np.diff(starts)))
    t, gid = read_spikes(run_dir, window_s)
    t = t[ex[gid]] if cells == "E" else t[~ex[gid]] if cells == "I" else t
    lo, hi = (0.0, np.inf) if window_s is None else (window_s[0] * 1000.0, window_s[1] * 1000.0)
    end = min(end_s * 1000.0, hi)
    rows = {"unique": [], "repeat": []}
    for t0, kind in zip(starts, kinds):
        if t0 >= lo and t0 + length <= end:
            rows[kind].append(population_counts(t, t0, t0 + length, bin_ms))
    res = fourier_information(np.array(rows["unique"]), np.array(rows["repeat"]), bin_ms / 1000.0, fmax)
    repeats = np.array(rows["repeat"])
    res.update(n_unique=len(rows["unique"]), n_repeat=len(rows["repeat"]),
               identical_repeats=bool(len(repeats) and (repeats == repeats[0]).all()))
    return res


def segment_information(run_dir, segment_s, cells="E", bin_ms=5.0, fmax=100.0):
    """Information rate (bits/s, bias-corrected, with its 95% interval) of the trials in
    each segment [k segment_s, (k + 1) segment_s) of a run, for example between deletion
    rounds.  A segment whose repeat trials all gave the same counts has no noise
    estimate: its rate is NaN.  cells, bin_ms and fmax as for :func:`trial_information`.

    Returns
    -------
    dict of numpy.ndarray: 't0' (s), 'corrected', 'low', 'high' (bits/s), 'n_unique',
    'n_repeat'
    """
    out = {k: [] for k in ("t0", "corrected", "low", "high", "n_unique", "n_repeat")}
    try:
        table = _trial_table(run_dir)   # read once: a 160,000-s run has 100 segments
    except ValueError:
        return {k: np.array(v) for k, v in out.items()}
    for k in range(int(table[3] // segment_s)):
        window = (k * segment_s, (k + 1) * segment_s)
        try:
            res = _information_of_trials(run_dir, table, bin_ms, fmax, cells, window)
        except ValueError:   # fewer than two trials of a kind in the segment
            continue
        if res["identical_repeats"]:
            res["corrected"], res["ci"] = np.nan, (np.nan, np.nan)
        for key, value in (("t0", window[0]), ("corrected", res["corrected"]), ("low", res["ci"][0]),
                           ("high", res["ci"][1]), ("n_unique", res["n_unique"]), ("n_repeat", res["n_repeat"])):
            out[key].append(value)
    return {k: np.array(v) for k, v in out.items()}


def gain_changes(run_dir, label="final"):
    """Mean change of the STDP gains per (pre type, post type) pair at a snapshot.

    Returns
    -------
    dict of 'PRE->POST' to (mean change, number of synapses)
    """
    types = read_nodes(run_dir)["type"]
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        s = f["gains/snapshots"]
        pre, post, g = s["pre"][:], s["post"][:], s[label][:]
    out = {}
    for a, b, x in zip(types[pre], types[post], g):
        out.setdefault(f"{a}->{b}", []).append(x)
    return {k: (float(np.mean(v) - 1.0), len(v)) for k, v in out.items() if not np.isnan(v).all()}


def _has_gains(run_dir):
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        return "final" in f["gains/snapshots"] and not np.isnan(f["gains/snapshots/time"][:]).all()


def sweep_measures(run_dir):
    """The column's headline numbers of one run of a sweep (beside its E and I rates).

    Returns
    -------
    dict
        'E_activity_end_Hz' and 'E_scale_end' (mean over alive E cells at the last record),
        'alive_end' (alive cells then), 'E4_gain_change' (mean STDP gain change of the
        synapses from E4 cells at the end; NaN without plasticity).
    """
    rec = read_records(run_dir)
    act = population_timecourse(run_dir, "activity", "E", rec)
    scale = population_timecourse(run_dir, "scale", "E", rec)
    recorded = len(act["t"]) > 0
    row = dict(E_activity_end_Hz=float(act["mean"][-1]) if recorded else float("nan"),
               E_scale_end=float(scale["mean"][-1]) if recorded else float("nan"),
               alive_end=int(act["alive"][-1] + population_timecourse(run_dir, "activity", "I", rec)["alive"][-1])
               if recorded else float("nan"))
    gains = gain_changes(run_dir) if _has_gains(run_dir) else {}
    e4 = [v for k, v in gains.items() if k.startswith("E4->")]
    row["E4_gain_change"] = (sum(m * n for m, n in e4) / sum(n for _, n in e4)) if e4 else float("nan")
    return row
