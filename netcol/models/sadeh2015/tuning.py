"""Analysis of a sadeh2015 run: rates per protocol phase and learning block, tuning curves
and the orientation selectivity index (OSI) from the tuning runs, and weights against
the difference of preferred orientations (dPO).

OSI = |sum_theta r(theta) exp(2 i theta)| / sum_theta r(theta) (sadeh2015.md §5); a cell
silent in every tuning run has OSI NaN.
"""
from pathlib import Path

import numpy as np

from ...analysis.spikes import open_run_h5, read_nodes, read_spikes, run_end
from .protocol import PHASES

#: |dPO| bins of the paper's summary (degrees).
DPO_BINS = ((0.0, 30.0), (30.0, 60.0), (60.0, 90.0))


def read_protocol(run_dir):
    """The protocol's segments as a dict of arrays (t0, length in ms; orientation in
    degrees; plastic, reset, index; phase as names)."""
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        g = f["protocol"]
        out = {k: g[k][:] for k in ("t0", "length", "orientation", "plastic", "reset", "index")}
        out["phase"] = np.array(PHASES)[g["phase"][:]]
    return out


def _counts(t, gid, n, t0, t1):
    sel = (t >= t0) & (t < t1)
    return np.bincount(gid[sel], minlength=n)


def phase_rates(run_dir):
    """Mean E and I rates (Hz) per phase: test before, first and last learning block,
    test after.  Returns {name: (E, I)} for the phases the run reached."""
    seg, nodes = read_protocol(run_dir), read_nodes(run_dir)
    ex = nodes["excitatory"].astype(bool)
    t, gid = read_spikes(run_dir)
    end = reached_ms(run_dir)
    spans = {}
    for name in ("test_before", "test_after"):
        k = np.flatnonzero(seg["phase"] == name)
        if len(k):
            spans[name] = (seg["t0"][k[0]], seg["t0"][k[-1]] + seg["length"][k[-1]])
    learn = seg["phase"] == "learning"
    if learn.any():
        for name, b in (("first block", seg["index"][learn].min()), ("last block", seg["index"][learn].max())):
            k = np.flatnonzero(learn & (seg["index"] == b))
            spans[name] = (seg["t0"][k[0]], seg["t0"][k[-1]] + seg["length"][k[-1]])
    out = {}
    for name, (t0, t1) in spans.items():
        if t1 <= end + 1e-9 or name == "test_before":
            c = _counts(t, gid, len(ex), t0, min(t1, max(end, t0 + 1)))
            span_s = (t1 - t0) / 1000.0
            out[name] = (c[ex].mean() / span_s, c[~ex].mean() / span_s)
    return out


def reached_ms(run_dir):
    """How far the run got (ms)."""
    return run_end(run_dir) * 1000.0


def _block_spans(seg):
    """{block number: (t0, t1) in ms} of the protocol's learning blocks."""
    learn = seg["phase"] == "learning"
    spans = {}
    for b in np.unique(seg["index"][learn]):
        k = np.flatnonzero(learn & (seg["index"] == b))
        spans[int(b)] = (seg["t0"][k[0]], seg["t0"][k[-1]] + seg["length"][k[-1]])
    return spans


def learning_progress(run_dir, by_ms=None):
    """(learning blocks the run completed, by by_ms if given, blocks in the protocol, end
    of the last completed block in ms or None)."""
    spans = _block_spans(read_protocol(run_dir))
    end = reached_ms(run_dir) if by_ms is None else min(by_ms, reached_ms(run_dir))
    done = [t1 for t0, t1 in spans.values() if t1 <= end + 1e-6]
    return len(done), len(spans), (max(done) if done else None)


def learning_finished(run_dir, time_ms):
    """Whether every learning block of the protocol had ended by time_ms in the run."""
    spans = _block_spans(read_protocol(run_dir))
    limit = min(time_ms, reached_ms(run_dir))
    return bool(spans) and all(t1 <= limit + 1e-6 for _, t1 in spans.values())


def block_rates(run_dir):
    """Per learning block the run completed: (block numbers, E rates, I rates) in Hz (a
    block the run did not reach is left out, not counted as silent)."""
    seg, nodes = read_protocol(run_dir), read_nodes(run_dir)
    ex = nodes["excitatory"].astype(bool)
    t, gid = read_spikes(run_dir)
    end = reached_ms(run_dir)
    blocks, e, i = [], [], []
    for b, (t0, t1) in _block_spans(seg).items():
        if t1 > end + 1e-6:
            continue
        c = _counts(t, gid, len(ex), t0, t1) / ((t1 - t0) / 1000.0)
        blocks.append(b)
        e.append(c[ex].mean())
        i.append(c[~ex].mean())
    return np.array(blocks, dtype=int), np.array(e), np.array(i)


def tuning_curves(run_dir, phase):
    """Rates of every cell in each tuning run of a phase ('tuning_before' or 'tuning_after').

    Returns
    -------
    angles : numpy.ndarray
        Orientations (degrees).
    rates : numpy.ndarray
        cells x orientations (Hz).
    """
    seg = read_protocol(run_dir)
    k = np.flatnonzero(seg["phase"] == phase)
    if not len(k):
        raise ValueError(f"{run_dir}: the run has no {phase} tuning runs")
    if seg["t0"][k[-1]] + seg["length"][k[-1]] > reached_ms(run_dir) + 1e-6:
        raise ValueError(f"{run_dir}: the run stopped before its {phase} tuning runs were complete")
    n = len(read_nodes(run_dir)["excitatory"])
    t, gid = read_spikes(run_dir)
    rates = np.stack([_counts(t, gid, n, seg["t0"][j], seg["t0"][j] + seg["length"][j]) / (seg["length"][j] / 1000.0)
                      for j in k], axis=1)
    return seg["orientation"][k], rates


def osi(angles, rates):
    """Orientation selectivity index and preferred orientation (degrees) per cell."""
    z = (rates * np.exp(2j * np.radians(angles))).sum(axis=1)
    total = rates.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(total > 0, np.abs(z) / total, np.nan)
    return index, np.degrees(np.angle(z) / 2.0) % 180.0


def dpo(po_pre, po_post):
    """Signed difference of preferred orientations wrapped to [-90, 90) degrees."""
    return (np.asarray(po_pre) - np.asarray(po_post) + 90.0) % 180.0 - 90.0


def weights(run_dir, row=-1):
    """A weight snapshot with its synapses: dict with pre, post, kind, dpo (degrees, from
    the cells' input preferences), w (mV) and the snapshot time (ms)."""
    po = read_nodes(run_dir)["preferred_orientation"]
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        g = f["weights"]
        n = g["time"].shape[0]
        if n == 0:
            raise ValueError(f"{run_dir}: no weight snapshot yet")
        row = row % n
        out = {k: g[k][:] for k in ("pre", "post", "kind")}
        out["w"], out["time"] = g["values"][row].astype(float), float(g["time"][row])
    out["dpo"] = dpo(po[out["pre"]], po[out["post"]])
    return out


def mean_weight_by_dpo(run_dir, row=-1, pathway="EE"):
    """Mean weight of a pathway per |dPO| bin (:data:`DPO_BINS`), counting absent and
    pruned synapses as 0 (the paper's matrix mean)."""
    nodes = read_nodes(run_dir)
    ex = nodes["excitatory"].astype(bool)
    po = nodes["preferred_orientation"]
    s = weights(run_dir, row)
    sel = (ex[s["pre"]] == (pathway[0] == "E")) & (ex[s["post"]] == (pathway[1] == "E"))
    pre_cells = np.flatnonzero(ex == (pathway[0] == "E"))
    post_cells = np.flatnonzero(ex == (pathway[1] == "E"))
    all_dpo = np.abs(dpo(po[pre_cells][:, None], po[post_cells][None, :]))
    d = np.abs(s["dpo"][sel])
    out = []
    for lo, hi in DPO_BINS:
        inside = (d >= lo) & ((d < hi) if hi < 90 else (d <= hi))
        pairs = ((all_dpo >= lo) & ((all_dpo < hi) if hi < 90 else (all_dpo <= hi))).sum()
        out.append(float(s["w"][sel][inside].sum() / max(pairs, 1)))
    return np.array(out)


def sweep_measures(run_dir):
    """The headline numbers of one run of a sweep (beside its E and I rates).

    Returns
    -------
    dict
        'EE_weight_similar_mV' and 'EE_weight_dissimilar_mV': the mean E -> E weight of
        the last snapshot between cells of similar (|dPO| < 30 deg) and of dissimilar
        (|dPO| >= 60 deg) preferences (the paper's feature-specific connectivity); NaN
        before any snapshot.
    """
    try:
        by_dpo = mean_weight_by_dpo(run_dir)
    except ValueError:
        by_dpo = np.full(len(DPO_BINS), np.nan)
    return dict(EE_weight_similar_mV=float(by_dpo[0]), EE_weight_dissimilar_mV=float(by_dpo[-1]))
