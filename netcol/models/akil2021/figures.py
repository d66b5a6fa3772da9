"""The akil2021 figures: its views of one run (rates against the balanced-state and target
rates, the balance of mean currents, mean plastic weights over time with sampled ones,
weight distributions at the start and the end, spike-count correlations), its report
panels and headline numbers, and the summary figure (``netcol plot DIR --figure 1``)."""
from pathlib import Path

import numpy as np

from ...views.figstyle import E_COLOUR, I_COLOUR, OKABE_ITO, legend_above, letter_panels, pyplot, save
from ...views.plots import NothingToPlot, find_any_run
from ...io.rundir import read_run_json
from . import activity
from .network import n_excitatory

#: Runs each figure needs: a run of one of these experiments (the folder or a sub-folder).
FIGURE_RUNS = {1: ("akil2021", "akil2021_istdp", "akil2021_small")}
X_COLOUR = OKABE_ITO["bluish green"]
#: E->E, E->I, I->E, I->I (colour-blind-safe, as every netcol figure).
PATHWAY_COLOURS = (E_COLOUR, OKABE_ITO["orange"], OKABE_ITO["reddish purple"], I_COLOUR)
#: Share of the weights the distribution's x range covers (the rest is counted on the panel).
WEIGHT_RANGE_PERCENTILES = (0.1, 99.9)


def _smooth(x, k):
    return np.convolve(x, np.ones(k) / k, mode="valid") if len(x) >= k else x


def draw_rates(ax, run_dir):
    """E and I rates (1-s running mean of the records) with the balanced-state rates of the
    initial weights (dashed) and the targets of the active rules (dotted)."""
    r = activity.records(run_dir)
    p = read_run_json(run_dir)["params"]
    if len(r["time"]) < 2:
        raise NothingToPlot(f"{run_dir}: no rate records yet")
    k = max(1, int(round(1.0 / p["recording_interval"])))
    t = _smooth(r["time"][1:], k)
    ax.plot(t, _smooth(r["rate_e"][1:], k), color=E_COLOUR, label="E")
    ax.plot(t, _smooth(r["rate_i"][1:], k), color=I_COLOUR, label="I")
    r_e, r_i = activity.balanced_rates(p)
    ax.axhline(r_e, color=E_COLOUR, ls="--", lw=1, label=f"balanced state, initial weights ({r_e:.1f}, {r_i:.1f} Hz)")
    ax.axhline(r_i, color=I_COLOUR, ls="--", lw=1)
    for pop, rate in activity.target_rates(p).items():
        ax.axhline(rate, color=E_COLOUR if pop == "E" else I_COLOUR, ls=":", lw=1.5,
                   label=f"target of the rule on {pop} ({rate:g} Hz)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("rate (Hz; 1-s running mean)")
    legend_above(ax, ncol=2)


def draw_currents(ax, run_dir):
    """Mean currents onto E cells over time: E, I, external and their sum (the balance)."""
    r = activity.records(run_dir)
    if len(r["time"]) < 2:
        raise NothingToPlot(f"{run_dir}: no current records yet")
    t, c = r["time"][1:], r["current_e"][1:]
    for col, name, colour in ((0, "recurrent E", E_COLOUR), (1, "recurrent I", I_COLOUR), (2, "external", X_COLOUR)):
        ax.plot(t, c[:, col], color=colour, lw=1, label=name)
    ax.plot(t, c.sum(axis=1), color="k", lw=1.5, label="total")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mean input current to E cells (mV/ms)")
    legend_above(ax, ncol=4)


def draw_weights(ax, run_dir):
    """Mean weight of each plastic pathway over time relative to its initial value, its
    sampled synapses (thin), and the large-N fixed point where the rules define one
    (dashed)."""
    r = activity.records(run_dir)
    fixed = activity.fixed_point_weights(read_run_json(run_dir)["params"])
    plastic = [k for k in range(4) if np.isfinite(r["w_mean"][:, k]).any()]
    if not plastic or len(r["time"]) < 2:
        raise NothingToPlot(f"{run_dir}: no plastic pathway")
    for k in plastic:
        w0 = r["w_mean"][0, k]
        cols = np.flatnonzero(r["sample_pathway"] == k)
        for c in cols[:20]:
            ax.plot(r["time"], r["w_samples"][:, c] / w0, color=PATHWAY_COLOURS[k], lw=0.4, alpha=0.3)
        ax.plot(r["time"], r["w_mean"][:, k] / w0, color=PATHWAY_COLOURS[k], lw=2,
                label=f"{activity.PATHWAY_NAMES[k]} mean (thin: 20 sampled synapses)")
        if k in fixed:
            ax.axhline(fixed[k] / w0, color=PATHWAY_COLOURS[k], ls="--", lw=1,
                       label=f"{activity.PATHWAY_NAMES[k]} large-N fixed point")
    ax.axhline(1, color="0.6", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight / initial mean weight")
    legend_above(ax, ncol=2)


def draw_weight_hist(ax, run_dir):
    """Distribution of each plastic pathway's weights at the end (filled) and the start,
    as magnitudes relative to the pathway's initial mean (every pathway starts near 1),
    over the range that holds WEIGHT_RANGE_PERCENTILES of them."""
    start, end = activity.snapshot(run_dir, "initial"), activity.snapshot(run_dir, "final")
    if start is None or end is None:
        raise NothingToPlot(f"{run_dir}: the weight snapshots are taken at the start and the end of a complete run")
    n_e = n_excitatory(read_run_json(run_dir)["params"])
    pw = activity.pathway_of(end[0], end[1], n_e)
    kinds = np.unique(pw)
    rel = {k: (np.abs(start[2][pw == k]) / abs(start[2][pw == k].mean()),
               np.abs(end[2][pw == k]) / abs(start[2][pw == k].mean())) for k in kinds}
    every = np.concatenate([x for pair in rel.values() for x in pair])
    lo, hi = np.percentile(every, WEIGHT_RANGE_PERCENTILES)
    pad = 0.05 * max(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    bins = np.linspace(lo, hi, 80)
    one_start = False
    for k in kinds:
        w0, w1 = rel[k]
        ax.hist(w1, bins, color=PATHWAY_COLOURS[k], alpha=0.6, density=True,
                label=f"{activity.PATHWAY_NAMES[k]} at the end")
        if np.ptp(w0) > 0:
            ax.hist(w0, bins, histtype="step", color="k", lw=1, density=True)
        else:   # the pathway starts at one value
            one_start = True
    if one_start:
        ax.axvline(1.0, color="k", ls="--", lw=1, label="at the start (one value)")
    outside = int(((every < lo) | (every > hi)).sum())
    label = "|weight| / |initial mean| of its pathway" + ("" if one_start else " (black: at the start)")
    if outside:
        label += f"\n{outside} weights ({100 * outside / len(every):.2g} %) lie beyond the range shown"
    ax.set_xlim(lo, hi)
    ax.set_xlabel(label)
    ax.set_ylabel("density")
    legend_above(ax, ncol=3)


def _second_half(run_dir):
    p = read_run_json(run_dir)["params"]
    end = min(p["duration"], float(activity.records(run_dir)["time"][-1]))
    return end / 2, end


def draw_correlations(ax, run_dir):
    """Mean spike-count correlations (250-ms windows) over the second half of the run."""
    t0, t1 = _second_half(run_dir)
    c = activity.correlations(run_dir, t0, t1)
    ax.bar(range(3), [c["EE"], c["EI"], c["II"]], color=(E_COLOUR, OKABE_ITO["reddish purple"], I_COLOUR))
    ax.set_xticks(range(3), ["E–E", "E–I", "I–I"])
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_ylabel(f"mean spike-count correlation ({t0:g}–{t1:g} s)")


#: The model's views of one run (beside the generic raster, rates and spectra).
VIEWS = {"rates_theory": draw_rates, "currents": draw_currents, "weights_course": draw_weights,
         "weights_dist": draw_weight_hist, "correlations": draw_correlations}


def report_panels(run_dir):
    """Panels for the one-page report: rates against theory, the current balance."""
    return [lambda ax: draw_rates(ax, run_dir), lambda ax: draw_currents(ax, run_dir)]


def headline(run_dir, meta):
    """Rates in the first and last seconds against theory, weight changes, correlations."""
    r = activity.records(run_dir)
    if len(r["time"]) < 2:
        return []
    p = meta["params"]
    end = float(r["time"][-1])
    first, last = activity.window_rates(run_dir, 0, min(1.0, end)), activity.window_rates(run_dir, max(0, end - 1), end)
    r_e, r_i = activity.balanced_rates(p)
    lines = [f"E/I rate: first second {first[0]:.2f}/{first[1]:.2f} Hz, last second {last[0]:.2f}/{last[1]:.2f} Hz; "
             f"balanced state with the initial weights {r_e:.2f}/{r_i:.2f} Hz"]
    changes = [f"{activity.PATHWAY_NAMES[k]} {100 * (r['w_mean'][-1, k] / r['w_mean'][0, k] - 1):+.2f} %"
               for k in range(4) if np.isfinite(r["w_mean"][0, k])]
    if changes:
        lines.append("mean weight change: " + ", ".join(changes))
    return lines


def paper_figure(folder, number, dpi=300):
    """The summary figure of an akil2021 run (in folder or a sub-folder named by its
    experiment)."""
    if number not in FIGURE_RUNS:
        raise ValueError(f"--figure {number}: akil2021 has figure 1")
    run = find_any_run(folder, FIGURE_RUNS[number])
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    panels = (draw_rates, draw_currents, draw_weights, draw_weight_hist, draw_correlations)
    for ax, draw in zip(axes.flat, panels):
        draw(ax, run)
    axes.flat[5].axis("off")
    letter_panels(list(axes.flat)[:len(panels)])
    fig.suptitle(f"Akil et al. (2021) in netcol: a plastic balanced network ({Path(run).name})")
    return save(fig, Path(folder) / f"figure{number}", runs=[run], dpi=dpi)
