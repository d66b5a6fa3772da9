"""The akil2021 figures: its views of one run (rates against the balanced-state and target
rates, the balance of mean currents, mean plastic weights over time with sampled ones,
weight distributions at the start and the end, spike-count correlations), its report
panels and headline numbers, and the summary figure (``netcol plot DIR --figure 1``)."""
from pathlib import Path

import numpy as np

from ...views.figstyle import letter_panels, pyplot, save
from ...views.plots import NothingToPlot, find_any_run
from ...io.rundir import read_run_json
from . import activity
from .network import n_excitatory

#: Runs each figure needs: a run of one of these experiments (the folder or a sub-folder).
FIGURE_RUNS = {1: ("akil2021", "akil2021_istdp", "akil2021_small")}
E_COLOUR, I_COLOUR, X_COLOUR = "tab:red", "tab:blue", "tab:green"
PATHWAY_COLOURS = ("tab:red", "tab:orange", "tab:purple", "tab:blue")


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
    ax.legend(frameon=False, fontsize=7)


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
    ax.legend(frameon=False, fontsize=7, ncol=2)


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
    ax.legend(frameon=False, fontsize=7)


def draw_weight_hist(ax, run_dir):
    """Distribution of each plastic pathway's weights at the end (filled) and the start."""
    start, end = activity.snapshot(run_dir, "initial"), activity.snapshot(run_dir, "final")
    if start is None or end is None:
        raise NothingToPlot(f"{run_dir}: the weight snapshots are taken at the start and the end of a complete run")
    n_e = n_excitatory(read_run_json(run_dir)["params"])
    pw = activity.pathway_of(end[0], end[1], n_e)
    for k in np.unique(pw):
        w0, w1 = start[2][pw == k], end[2][pw == k]
        scale = abs(w0.mean())
        bins = np.linspace(min(w0.min(), w1.min()) / scale, max(w0.max(), w1.max()) / scale, 60)
        ax.hist(w1 / scale, bins, color=PATHWAY_COLOURS[k], alpha=0.6, density=True,
                label=f"{activity.PATHWAY_NAMES[k]} at the end")
        if np.ptp(w0) > 0:
            ax.hist(w0 / scale, bins, histtype="step", color="k", lw=1, density=True)
        else:   # the pathway starts at one value
            ax.axvline(np.sign(w0[0]), color="k", ls="--", lw=1)
    ax.set_xlabel("weight / |initial mean| (black: at the start)")
    ax.set_ylabel("density")
    ax.legend(frameon=False, fontsize=7)


def _second_half(run_dir):
    p = read_run_json(run_dir)["params"]
    end = min(p["duration"], float(activity.records(run_dir)["time"][-1]))
    return end / 2, end


def draw_correlations(ax, run_dir):
    """Mean spike-count correlations (250-ms windows) over the second half of the run."""
    t0, t1 = _second_half(run_dir)
    c = activity.correlations(run_dir, t0, t1)
    ax.bar(range(3), [c["EE"], c["EI"], c["II"]], color=(E_COLOUR, "tab:purple", I_COLOUR))
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
