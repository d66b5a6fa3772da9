"""The column's figures: its own views of a run (activity sensor, scale factor,
information from trials, STDP gains), its report panels and headline numbers, and
Figures 2-7 of Rowan & Neymotin (2013) from a folder of runs (experiments.md §8)."""
from pathlib import Path

from ... import analysis
from ...plots import NothingToPlot, _plt, _save, _time_axis, draw_raster, draw_spectra, find_run

#: Runs each paper figure needs, by experiment name (sub-directories of the figure folder).
FIGURE_RUNS = {2: ("onlydeletion", "scalingwithdeletion"), 3: ("onlyscaling",), 4: ("onlytraining",),
               5: ("trainingandscaling",), 6: ("onlytraining", "trainingandscaling"),
               7: ("onlytraining", "trainingandscaling")}


def draw_timecourse(ax, run_dirs, quantity, label):
    """Mean ± SD over alive E cells at every record, one line per run."""
    for d in run_dirs:
        tc = analysis.population_timecourse(d, quantity, "E")
        x, xl = _time_axis(tc["t"])
        line, = ax.plot(x, tc["mean"], lw=1.2, label=Path(d).name)
        ax.fill_between(x, tc["mean"] - tc["sd"], tc["mean"] + tc["sd"], color=line.get_color(), alpha=0.25, lw=0)
        ax.set_xlabel(xl)
    ax.set_ylabel(label)
    if quantity == "activity":
        ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)


def draw_alive(ax, run_dirs):
    for d in run_dirs:
        tc = analysis.population_timecourse(d, "activity", "all")
        x, xl = _time_axis(tc["t"])
        ax.plot(x, tc["alive"], label=Path(d).name)
        ax.set_xlabel(xl)
    ax.set_ylabel("alive cells")
    ax.legend(fontsize=8)


def draw_weights(ax, run_dir):
    """STDP gain summaries over time, per type pair (pairs from E4 highlighted)."""
    from ...rundir import read_run_json
    if not read_run_json(run_dir)["params"]["plasticity"]:
        raise NothingToPlot(f"{run_dir}: STDP was off in this run (plasticity = false): no weights to plot")
    with analysis.open_run_h5(Path(run_dir) / "state.h5") as f:
        t = f["gains/time"][:] / 1000.0
        mean = f["gains/mean"][: len(t)]
        pairs = f["gains/pairs"][:].astype(str)
    if not len(pairs):
        raise NothingToPlot(f"{run_dir}: no plastic synapses in this run: no weights to plot")
    x, xl = _time_axis(t)
    for k, p in enumerate(pairs):
        ax.plot(x, mean[:, k], lw=1.6 if p.startswith("E4") else 0.6,
                color=None if p.startswith("E4") else "0.7", label=p if p.startswith("E4") else None)
    ax.set_xlabel(xl)
    ax.set_ylabel("mean STDP gain")
    ax.set_title("E→E gains per pair (E4 outputs coloured)")
    ax.legend(fontsize=7)


def draw_info(ax, run_dir):
    """Fourier information per frequency from the run's repeat and unique trials."""
    res = analysis.trial_information(run_dir)
    ax.plot(res["freq"], res["bits"], lw=1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("information (bits per trial per frequency)")
    ax.set_title(f"E population: {res['rate']:.2f} bits/s ({res['n_unique']} unique, {res['n_repeat']} repeat trials)")


#: The column's views of one run (beside the generic raster, rates and spectra).
VIEWS = {"activity": lambda ax, d: draw_timecourse(ax, [d], "activity", "E activity sensor (Hz), mean ± SD"),
         "scale": lambda ax, d: draw_timecourse(ax, [d], "scale", "E scale factor, mean ± SD"),
         "info": lambda ax, d: draw_info(ax, d), "weights": lambda ax, d: draw_weights(ax, d)}


def report_panels(run_dir):
    """Panels for the one-page report: E activity and scale factor when there are records."""
    if not (Path(run_dir) / "state.h5").exists() or not len(analysis.read_records(run_dir)["time"]):
        return []
    return [lambda ax: draw_timecourse(ax, [run_dir], "activity", "E activity (Hz)"),
            lambda ax: draw_timecourse(ax, [run_dir], "scale", "E scale factor")]


def headline(run_dir, meta):
    """The column's headline lines: random draws and size, deletion rounds and the final
    E scale factor."""
    p = meta["params"]
    lines = [f"rng: {p['rng']}  size: {p.get('size', p.get('scale')):g}"]
    if "alive_at_end" in meta and meta["params"]["deletion"]:
        lines.append(f"deletion rounds: {meta['deletion_rounds']}, alive at the end: {meta['alive_at_end']}")
    if (Path(run_dir) / "state.h5").exists():
        tc = analysis.population_timecourse(run_dir, "scale", "E")
        if len(tc["t"]):
            lines.append(f"E scale factor at {tc['t'][-1]:g} s: {tc['mean'][-1]:.4f} ± {tc['sd'][-1]:.4f}")
    return lines


def paper_figure(folder, number):
    """Draw Figure `number` (2-7) of the paper from the runs in folder; return the paths."""
    if number not in FIGURE_RUNS:
        raise ValueError(f"--figure {number}: the paper's figures 2-7 can be drawn")
    plt = _plt()
    runs = [find_run(folder, n) for n in FIGURE_RUNS[number]]
    if number == 2:
        fig, axes = plt.subplots(3, 1, figsize=(9, 10), sharex=True)
        draw_timecourse(axes[0], runs, "activity", "E activity (Hz), mean ± SD")
        draw_timecourse(axes[1], runs, "scale", "E scale factor, mean ± SD")
        draw_alive(axes[2], runs)
        axes[0].set_title("Fig. 2: deletion without and with synaptic scaling")
    elif number in (3, 5):
        fig, axes = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
        draw_timecourse(axes[0], runs, "activity", "E activity (Hz), mean ± SD")
        draw_timecourse(axes[1], runs, "scale", "E scale factor, mean ± SD")
        axes[0].set_title(f"Fig. {number}: {runs[0].name}")
    elif number == 4:
        fig, ax = plt.subplots(figsize=(9, 4))
        draw_timecourse(ax, runs, "activity", "E activity (Hz), mean ± SD")
        ax.set_title("Fig. 4: STDP training without scaling")
    elif number == 6:
        fig, axes = plt.subplots(2, 1, figsize=(10, 9))
        for ax, r in zip(axes, runs):
            end = analysis.run_end(r)
            draw_raster(ax, r, (max(0.0, end - 2.0), end), f"{r.name}: last 2 s")
        axes[0].set_title(f"Fig. 6: {runs[0].name}, last 2 s")
    else:
        fig, axes = plt.subplots(2, 2, figsize=(11, 8))
        for row, r in zip(axes, runs):
            draw_spectra(row, r, label=f"{r.name}: ")
        fig.suptitle("Fig. 7: multitaper spectra, first vs last segment")
    return _save(fig, Path(folder) / f"figure{number}")


