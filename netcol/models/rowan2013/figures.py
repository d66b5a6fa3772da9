"""The column's figures: its own views of a run (activity sensor, scale factor,
information from trials, STDP gains), its report panels and headline numbers, and
Figures 2-7 of Rowan & Neymotin (2013) from a folder of runs (experiments.md §8)."""
from pathlib import Path

import numpy as np

from ...analysis import spikes as analysis
from . import measures
from ...io.runfiles import read_rows
from ...views.figstyle import DPI, letter_panels, mark_protocol, pyplot, save
from ...views.plots import NothingToPlot, draw_raster, draw_spectra, find_run, time_unit

#: Runs each paper figure needs, by experiment name (sub-directories of the figure folder).
FIGURE_RUNS = {2: ("onlydeletion", "scalingwithdeletion"), 3: ("onlyscaling",), 4: ("onlytraining",),
               5: ("trainingandscaling",), 6: ("onlytraining", "trainingandscaling"),
               7: ("onlytraining", "trainingandscaling")}


#: What each experiment is, for legends (conditions, not folder names).
CONDITIONS = {"onlydeletion": "deletion, no scaling", "scalingwithdeletion": "deletion with scaling",
              "onlyscaling": "scaling, no deletion", "onlytraining": "training, no scaling",
              "trainingandscaling": "training with scaling", "baseline": "baseline"}


#: Scale factors are unbounded (quirk Q16) and a few run away after deletions, so they are
#: summarised by the median and the quartiles, not the mean.
SCALE_LABEL = "E scale factor, median and 25–75 %"


def condition(run_dir):
    """A run's condition for legends: its experiment's, else the folder's name."""
    from ...io.rundir import read_run_json
    try:
        return CONDITIONS.get(read_run_json(run_dir)["experiment"], Path(run_dir).name)
    except Exception:   # a folder without run.json: its name is all there is
        return Path(run_dir).name


def sensor_label(run_dir):
    """The activity sensor's axis label with its filter time constant."""
    from ...io.rundir import read_run_json
    tau = read_run_json(run_dir).get("network", {}).get("mechanism", {}).get("act_tau")
    return f"E activity sensor ({tau / 1000:g}-s filter, Hz)" if tau else "E activity sensor (Hz)"


#: Smallest span of a scale-factor axis: a factor that moved by 1e-5 is drawn flat on a
#: readable axis (and the panel says how far it moved), not on ticks with six decimals.
MIN_SCALE_SPAN = 0.02


#: How far a log activity axis reaches above the highest band (a factor): room for the
#: legend above the data.
LEGEND_HEADROOM = 30.0


def draw_timecourse(ax, run_dirs, quantity, label, measured=False, robust=False, log=False):
    """Mean ± SD over alive E cells at every record (with robust: median and 25-75 %),
    one line per run, with the protocol's events; with measured, the E cells' measured
    rate between records (dashed) beside the sensor.  The activity sensor is drawn with
    the scaling's goal (the mean goal of the E cells, dotted, once scaling has set it),
    on a log axis with log (down to half the lowest line); a scale factor's axis is
    chosen by _readable_scale_axis."""
    unit = 1.0
    moved, drawn, lowest, highest = [], [], [], []
    for d in run_dirs:
        rec = measures.read_records(d)   # once: the goal below of the same records
        tc = measures.population_timecourse(d, quantity, "E", rec)
        unit, xl = time_unit(tc["t"])
        x = tc["t"] / unit
        centre, lo, hi = ((tc["median"], tc["q25"], tc["q75"]) if robust
                          else (tc["mean"], tc["mean"] - tc["sd"], tc["mean"] + tc["sd"]))
        line, = ax.plot(x, centre, lw=1.2, label=condition(d), zorder=3)
        lowest.append(np.nanmin(centre[centre > 0], initial=np.inf))
        highest.append(np.nanmax(hi, initial=0.0))
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.25, lw=0)
        if measured and len(tc["t"]) > 1:
            rate = measures.binned_class_rate(d, tc["t"], tc["alive"][1:])
            # thin and light: the rate between records is noisier than the 100-s sensor it checks
            ax.plot(x[1:], rate, ls="--", lw=0.6, alpha=0.6, color=line.get_color(),
                    label=f"{condition(d)}: measured rate")
        if quantity == "activity":
            goal = measures.population_timecourse(d, "goal", "E", rec)["mean"]
            if np.isfinite(goal).any():
                ax.plot(x, goal, ls=":", lw=1.5, color="0.15", label=f"{condition(d)}: goal (mean)", zorder=4)
        if quantity == "scale" and np.isfinite(centre).any():
            moved.append(np.nanmax(np.abs(np.concatenate([lo, hi]) - 1.0)))
            drawn.append(np.concatenate([lo, hi]))
        ax.set_xlabel(xl)
    if run_dirs:
        mark_protocol(ax, run_dirs[0], scale=unit)
    ax.set_ylabel(label)
    # 'best' weighs only the lines' points, and put the legend over bursts and bands
    legend = dict(loc="best")
    if quantity == "activity" and log:
        ax.set_yscale("log")
        if np.isfinite(min(lowest, default=np.inf)):
            # headroom above the highest band for the legend
            ax.set_ylim(min(lowest) / 2, max(highest) * LEGEND_HEADROOM)
        legend = dict(loc="upper right", ncol=2)
    elif quantity == "activity":
        ax.set_ylim(bottom=0)
    if quantity == "scale":
        _readable_scale_axis(ax, max(moved, default=0.0), np.concatenate(drawn) if drawn else np.ones(1))
        if ax.get_yscale() == "log":   # the factors start at 1: the lower left stays free
            legend = dict(loc="lower left")
    ax.legend(**legend)


#: Drawn scale factors whose largest is more than this many times their smallest are
#: drawn on a log axis: after deletions the quartiles span decades, and on a linear axis
#: the median's fall towards 0 is a flat line.
LOG_SCALE_RATIO = 100.0


def _readable_scale_axis(ax, moved, drawn):
    """A log axis when the drawn factors (all positive) span more than LOG_SCALE_RATIO;
    else at least MIN_SCALE_SPAN of the axis, around 1 when the factors stayed close to
    it, with three decimals at most; a note says how far they moved when that is too
    little to see."""
    from matplotlib.ticker import FormatStrFormatter, MultipleLocator
    drawn = drawn[np.isfinite(drawn)]
    if drawn.size and drawn.min() > 0 and drawn.max() > LOG_SCALE_RATIO * drawn.min():
        ax.set_yscale("log")
        return
    lo, hi = ax.get_ylim()
    if hi - lo >= MIN_SCALE_SPAN:
        return
    near_one = moved < MIN_SCALE_SPAN / 2
    mid = 1.0 if near_one else (lo + hi) / 2
    ax.set_ylim(mid - MIN_SCALE_SPAN / 2, mid + MIN_SCALE_SPAN / 2)
    ax.yaxis.set_major_locator(MultipleLocator(MIN_SCALE_SPAN / 4))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3f"))
    if near_one:
        ax.text(0.02, 0.03, f"drawn factors within {moved:.2g} of 1" if moved else "factors stay at 1",
                transform=ax.transAxes, fontsize=7, color="0.3")


def draw_alive(ax, run_dirs):
    """Alive cells over time, one line per run: each later one dashed and narrower, so
    that runs that delete the same cells at the same times show both lines."""
    unit = 1.0
    for i, d in enumerate(run_dirs):
        tc = measures.population_timecourse(d, "activity", "all")
        unit, xl = time_unit(tc["t"])
        ax.plot(tc["t"] / unit, tc["alive"], label=condition(d), lw=max(2.6 - 1.2 * i, 1.0),
                ls=("-", "--", ":")[min(i, 2)])
        ax.set_xlabel(xl)
    if run_dirs:
        mark_protocol(ax, run_dirs[0], scale=unit)
    ax.set_ylabel("alive cells")
    ax.legend()


def draw_segment_information(ax, run_dirs):
    """E information rate from the repeat and unique trials of each segment between
    deletion rounds (bias-corrected), one line per run with trials."""
    from ...io.rundir import read_run_json
    unit, drawn = 1.0, False
    for d in run_dirs:
        p = read_run_json(d)["params"]
        if not p.get("trials"):
            continue
        seg = p["segment_length"]
        info = measures.segment_information(d, seg)
        unit, xl = time_unit(info["t0"] + seg)
        ax.plot((info["t0"] + seg / 2) / unit, info["corrected"], marker=".", ms=3, lw=1, label=condition(d))
        ax.set_xlabel(xl)
        drawn = True
    if drawn:
        mark_protocol(ax, run_dirs[0], scale=unit)
        ax.set_yscale("log")   # rates differ tenfold between conditions
        ax.legend()
    ax.set_ylabel("E information (bits/s) per segment")


def draw_weights(ax, run_dir):
    """STDP gain summaries over time, per type pair (pairs from E4 highlighted)."""
    from ...io.rundir import read_run_json
    if not read_run_json(run_dir)["params"]["plasticity"]:
        raise NothingToPlot(f"{run_dir}: STDP was off in this run (plasticity = false): no weights to plot")
    with analysis.open_run_h5(Path(run_dir) / "state.h5") as f:
        rows = read_rows(f["gains"], ("time", "mean"))
        t, mean = rows["time"] / 1000.0, rows["mean"]
        pairs = f["gains/pairs"][:].astype(str)
    if not len(pairs):
        raise NothingToPlot(f"{run_dir}: no plastic synapses in this run: no weights to plot")
    unit, xl = time_unit(t)
    x = t / unit
    for k, p in enumerate(pairs):
        ax.plot(x, mean[:, k], lw=1.6 if p.startswith("E4") else 0.6,
                color=None if p.startswith("E4") else "0.7", label=p if p.startswith("E4") else None)
    ax.set_xlabel(xl)
    ax.set_ylabel("mean STDP gain")
    ax.set_title("E→E gains per pair (E4 outputs coloured)")
    ax.legend(fontsize=7)


def draw_info(ax, run_dir):
    """Fourier information per frequency from the run's repeat and unique trials, with the
    bias a relabelling of the trials gives, and the corrected rate with its 95% interval."""
    res = measures.trial_information(run_dir)
    ax.plot(res["freq"], res["bits"], lw=1, label="estimate")
    ax.plot(res["freq"], res["bias_bits"], lw=1, color="0.5", label="bias (trials relabelled)")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("information (bits per trial per frequency)")
    lo, hi = res["ci"]
    ax.set_title(f"E population: {res['corrected']:.2f} bits/s after a bias of {res['bias']:.2f} "
                 f"(95% CI {lo:.2f}-{hi:.2f}; {res['n_unique']} unique, {res['n_repeat']} repeat trials)")
    ax.legend()


#: The column's views of one run (beside the generic raster, rates and spectra).
VIEWS = {"activity": lambda ax, d: draw_timecourse(ax, [d], "activity", sensor_label(d) + ", mean ± SD",
                                                   measured=True),
         "scale": lambda ax, d: draw_timecourse(ax, [d], "scale", SCALE_LABEL, robust=True),
         "info": lambda ax, d: draw_info(ax, d), "weights": lambda ax, d: draw_weights(ax, d)}


def report_panels(run_dir):
    """Panels for the one-page report: E activity and scale factor when there are records."""
    if not (Path(run_dir) / "state.h5").exists() or not len(measures.read_records(run_dir)["time"]):
        return []
    return [lambda ax: draw_timecourse(ax, [run_dir], "activity", sensor_label(run_dir)),
            lambda ax: draw_timecourse(ax, [run_dir], "scale", SCALE_LABEL, robust=True)]


def headline(run_dir, meta):
    """The column's headline lines: random draws and size, deletion rounds and the final
    E scale factor."""
    p = meta["params"]
    lines = [f"rng: {p['rng']}  size: {p.get('size', p.get('scale')):g}"]
    if "alive_at_end" in meta and meta["params"]["deletion"]:
        lines.append(f"deletion rounds: {meta['deletion_rounds']}, alive at the end: {meta['alive_at_end']}")
    if (Path(run_dir) / "state.h5").exists():
        tc = measures.population_timecourse(run_dir, "scale", "E")
        if len(tc["t"]):
            lines.append(f"E scale factor at {tc['t'][-1]:g} s: median {tc['median'][-1]:.4f} "
                         f"(25-75 %: {tc['q25'][-1]:.4f}-{tc['q75'][-1]:.4f}), mean {tc['mean'][-1]:.4g}")
    return lines


#: Segment length of the spectra of Fig. 7 (s): the paper's first and last 800 s.
FIG7_SEGMENT_S = 800.0


def paper_figure(folder, number, dpi=DPI):
    """Draw Figure `number` (2-7) of the paper from the runs in folder; return the paths."""
    if number not in FIGURE_RUNS:
        raise ValueError(f"--figure {number}: the paper's figures 2-7 can be drawn")
    plt = pyplot()
    runs = [find_run(folder, n) for n in FIGURE_RUNS[number]]
    sensor = sensor_label(runs[0]) + "\nmean ± SD"   # two lines: one is longer than a panel
    if number == 2:
        fig, axes = plt.subplots(4, 1, figsize=(7.5, 11.5), sharex=True)
        # log: bursts with scaling reach tens of Hz, the fall without it is to 0.1 Hz
        draw_timecourse(axes[0], runs, "activity", sensor, measured=True, log=True)
        draw_timecourse(axes[1], runs, "scale", SCALE_LABEL, robust=True)
        draw_alive(axes[2], runs)
        draw_segment_information(axes[3], runs)
        axes[0].set_title("Fig. 2: deletion without and with synaptic scaling")
    elif number in (3, 5):
        fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True)
        draw_timecourse(axes[0], runs, "activity", sensor, measured=True)
        draw_timecourse(axes[1], runs, "scale", SCALE_LABEL, robust=True)
        axes[0].set_title(f"Fig. {number}: {condition(runs[0])}")
    elif number == 4:
        fig, ax = plt.subplots(figsize=(7.5, 3.5))
        axes = [ax]
        draw_timecourse(ax, runs, "activity", sensor, measured=True)
        ax.set_title("Fig. 4: STDP training without scaling")
    elif number == 6:
        fig, axes = plt.subplots(2, 1, figsize=(7.5, 8))
        for ax, r in zip(axes, runs):
            end = analysis.run_end(r)
            draw_raster(ax, r, (max(0.0, end - 2.0), end), f"{condition(r)}: last 2 s")
        axes[0].set_title(f"Fig. 6: {condition(runs[0])}, last 2 s")
    else:
        fig, grid = plt.subplots(2, 2, figsize=(10, 7.5))
        for row, r in zip(grid, runs):
            draw_spectra(row, r, segment_s=min(FIG7_SEGMENT_S, analysis.run_end(r) / 2), label=f"{condition(r)}: ")
        fig.suptitle("Fig. 7: multitaper spectra, first and last 800 s")
        axes = list(grid.flat)
    if len(axes) > 1:
        letter_panels(axes)
    for ax in axes[:-1]:   # a time axis shared with the bottom panel is labelled there only
        if ax.get_shared_x_axes().joined(ax, axes[-1]):
            ax.set_xlabel("")
    return save(fig, Path(folder) / f"figure{number}", runs=runs, dpi=dpi)
