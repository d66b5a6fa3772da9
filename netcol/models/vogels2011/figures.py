"""The vogels2011 figures: its views of one run (rates against the target, I -> E weights
over time and their final distribution, ISI CV before and after plasticity), its report
panels and headline numbers, and the summary figure (``netcol plot DIR --figure 1``)."""
from pathlib import Path

import numpy as np

from ...views.figstyle import AFTER, E_COLOUR, I_COLOUR, legend_above, letter_panels, pyplot, save
from ...views.plots import NothingToPlot, find_any_run
from ...io.rundir import read_run_json
from . import activity

#: Runs each figure needs: a run of one of these experiments (the folder or a sub-folder).
FIGURE_RUNS = {1: ("vogels2011_long", "vogels2011", "vogels2011_small")}
BEFORE = "0.45"
#: ISI CV histograms: bin width, the share of the CVs the x range covers (the rest is
#: counted on the panel), and the least range (the Poisson value 1 with room beside it).
ISI_CV_BIN = 0.1
ISI_CV_RANGE_PERCENTILE = 99.9
ISI_CV_MIN_RANGE = 1.5


def _plasticity_start(run_dir):
    return read_run_json(run_dir)["params"]["plasticity_start"]


def _mark_plasticity(ax, run_dir):
    ax.axvline(_plasticity_start(run_dir), color="0.5", ls=":", lw=1)


def draw_rate_course(ax, run_dir):
    """E and I rates per record interval, the target, and the start of plasticity."""
    r = activity.records(run_dir)
    p = read_run_json(run_dir)["params"]
    ax.plot(r["time"][1:], r["rate_e"][1:], color=E_COLOUR, label="E")
    ax.plot(r["time"][1:], r["rate_i"][1:], color=I_COLOUR, label="I")
    ax.axhline(p["target_rate"], color="k", ls="--", lw=1, label=f"target {p['target_rate']:g} Hz")
    _mark_plasticity(ax, run_dir)
    ax.set_yscale("log")
    ax.set_xlabel("time (s; dotted: plasticity on)")
    ax.set_ylabel("rate (Hz)")
    ax.legend(frameon=False, fontsize=8)


def draw_weight_course(ax, run_dir):
    """Mean and quantiles (5-95 %, 25-75 %) of the I -> E weights over time."""
    r = activity.records(run_dir)
    q = r["w_quantiles"]
    ax.fill_between(r["time"], q[:, 0], q[:, 4], color=AFTER, alpha=0.15, lw=0, label="5–95 %")
    ax.fill_between(r["time"], q[:, 1], q[:, 3], color=AFTER, alpha=0.3, lw=0, label="25–75 %")
    ax.plot(r["time"], q[:, 2], color=AFTER, lw=1, label="median")
    ax.plot(r["time"], r["w_mean"], color="k", lw=1.2, label="mean")
    _mark_plasticity(ax, run_dir)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("I→E weight (nS)")
    legend_above(ax, ncol=4)


def draw_weight_hist(ax, run_dir):
    """The I -> E weights at the end of the run (log-spaced bins), over the bins that hold
    weights."""
    w = activity.snapshot(run_dir, "final")
    if w is None:
        r = activity.records(run_dir)
        if not len(r["time"]):
            raise NothingToPlot(f"{run_dir}: no weight records yet")
        counts, edges, when = r["w_hist"][-1], r["edges"], f"{r['time'][-1]:g} s"
    else:
        edges = activity.records(run_dir)["edges"]
        counts, when = np.histogram(w, edges)[0], "the end"
    shown = np.maximum(edges, 1e-4)
    ax.stairs(counts, shown, fill=True, color=AFTER, alpha=0.7)
    ax.set_xscale("log")
    held = np.flatnonzero(counts)
    if len(held):   # the bins that hold weights, with a twentieth of their decades each side
        lo, hi = shown[held[0]], shown[held[-1] + 1]
        pad = (hi / lo) ** 0.05
        ax.set_xlim(lo / pad, hi * pad)
    ax.set_xlabel("I→E weight (nS; the first bin holds 0 to 1e-3)")
    ax.set_ylabel("synapses")
    ax.set_title(f"I→E weights at {when}")


def _windows(run_dir):
    """(before, after): the last 0.5 s of the static phase and the last 10 s of the run
    (at 3 Hz a cell needs seconds for a usable ISI CV)."""
    p = read_run_json(run_dir)["params"]
    end = min(p["duration"], float(activity.records(run_dir)["time"][-1]))
    start = p["plasticity_start"]
    return (max(0.0, start - 0.5), start), (max(start, end - 10.0), end)


def isi_cv_range(cvs):
    """Upper end of the ISI CV axis: the bin above the one holding ISI_CV_RANGE_PERCENTILE
    of the CVs (all windows together), and at least ISI_CV_MIN_RANGE."""
    every = np.concatenate([np.asarray(c, float) for c in cvs] + [np.zeros(0)])
    top = np.percentile(every, ISI_CV_RANGE_PERCENTILE) if len(every) else 0.0
    return max(ISI_CV_MIN_RANGE, (np.floor(top / ISI_CV_BIN) + 2) * ISI_CV_BIN)


def draw_isi_cv(ax, run_dir):
    """ISI CV of E cells in the last 0.5 s before plasticity and the last 10 s, over the
    range that holds ISI_CV_RANGE_PERCENTILE of them (the rest is counted on the panel)."""
    windows = _windows(run_dir)
    cvs = [activity.isi_cv(run_dir, t0, t1) for t0, t1 in windows]
    hi = isi_cv_range(cvs)
    bins = np.arange(0, hi + ISI_CV_BIN / 2, ISI_CV_BIN)
    outside = 0
    for (t0, t1), cv, colour, label in zip(windows, cvs, (BEFORE, AFTER), ("before", "after")):
        if len(cv):
            ax.hist(cv, bins, histtype="step", lw=1.8, color=colour,
                    label=f"{label}, {t0:g}–{t1:g} s (median {np.median(cv):.2f})")
            outside += int((cv > bins[-1]).sum())
    ax.axvline(1.0, color="k", ls=":", lw=1)
    ax.set_xlim(0, bins[-1])
    ax.set_xlabel("ISI CV of E cells" + (f" ({outside} of them beyond the range shown)" if outside else ""))
    ax.set_ylabel("cells")
    legend_above(ax, ncol=1)   # inside, it would cover the line at 1 (Poisson) or the data


#: The model's views of one run (beside the generic raster, rates and spectra).
VIEWS = {"rate_course": draw_rate_course, "weights": draw_weight_course, "weight_hist": draw_weight_hist,
         "isi_cv": draw_isi_cv}


def report_panels(run_dir):
    """Panels for the one-page report: rates against the target, the weights over time."""
    return [lambda ax: draw_rate_course(ax, run_dir), lambda ax: draw_weight_course(ax, run_dir)]


def headline(run_dir, meta):
    """Rates in the last second, ISI CV and synchrony before and after plasticity."""
    r = activity.records(run_dir)
    if len(r["time"]) < 2:
        return []
    p = meta["params"]
    lines = [f"target {p['target_rate']:g} Hz; last record ({r['time'][-1]:g} s): E {r['rate_e'][-1]:.2f} Hz, "
             f"I {r['rate_i'][-1]:.2f} Hz; mean I→E weight {r['w_mean'][-1]:.3f} nS"]
    for (t0, t1), label in zip(_windows(run_dir), ("before", "after")):
        if t1 > t0:
            cv = activity.isi_cv(run_dir, t0, t1)
            lines.append(f"{label} plasticity ({t0:g}-{t1:g} s): median ISI CV "
                         f"{np.median(cv) if len(cv) else float('nan'):.2f}, synchrony chi "
                         f"{activity.synchrony(run_dir, t0, t1):.3f}")
    return lines


def _raster(ax, run_dir, t0, t1, title, cells=1000):
    """The first `cells` E cells' spikes between t0 and t1 (s)."""
    from ...analysis.spikes import read_nodes, read_spikes
    n_e = int(read_nodes(run_dir)["excitatory"].sum())
    shown = min(cells, n_e)
    t, gid = read_spikes(run_dir, (t0, t1))
    keep = gid < shown
    ax.plot(t[keep] - t0 * 1000.0, gid[keep], ".", ms=1, color="k", rasterized=True)
    ax.set_xlim(0, (t1 - t0) * 1000.0)
    ax.set_ylim(-1, shown)   # every cell shown, whichever fired: before and after compare
    ax.set_xlabel(f"time from {t0:g} s (ms)")
    ax.set_ylabel(f"E cell (first {shown} of {n_e})" if shown < n_e else f"E cell (all {n_e})")
    ax.set_title(title)


def paper_figure(folder, number, dpi=300):
    """The summary figure of a vogels2011 run (long, default or small; in folder or a
    sub-folder named by its experiment)."""
    if number not in FIGURE_RUNS:
        raise ValueError(f"--figure {number}: vogels2011 has figure 1")
    run = find_any_run(folder, FIGURE_RUNS[number])
    (b0, b1), (a0, a1) = _windows(run)
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    panels = [lambda ax: _raster(ax, run, max(b0, b1 - 0.2), b1, "before plasticity"),
              lambda ax: _raster(ax, run, a1 - 0.2, a1, "after plasticity"),
              lambda ax: draw_rate_course(ax, run), lambda ax: draw_isi_cv(ax, run),
              lambda ax: draw_weight_hist(ax, run), lambda ax: draw_weight_course(ax, run)]
    for ax, draw in zip(axes.flat, panels):
        draw(ax)
    letter_panels(list(axes.flat)[:len(panels)])
    fig.suptitle(f"Vogels et al. (2011) in netcol: inhibitory plasticity to the target rate ({Path(run).name})")
    return save(fig, Path(folder) / f"figure{number}", runs=[run], dpi=dpi)
