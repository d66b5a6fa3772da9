"""Figures of run directories (matplotlib without a display; PNG and PDF).

:func:`plot_what` draws one view of one run (raster, rates, activity, scale, spectra,
info, weights); :func:`paper_figure` draws Figures 2-7 of Rowan & Neymotin (2013) from
the matching runs (experiments.md §8); :func:`report` draws one page with all views and
the headline numbers.
"""
from pathlib import Path

import numpy as np

from . import analysis

WHATS = ("raster", "rates", "activity", "scale", "spectra", "info", "weights")
#: Runs each paper figure needs, by experiment name (sub-directories of the figure folder).
FIGURE_RUNS = {2: ("onlydeletion", "scalingwithdeletion"), 3: ("onlyscaling",), 4: ("onlytraining",),
               5: ("trainingandscaling",), 6: ("onlytraining", "trainingandscaling"),
               7: ("onlytraining", "trainingandscaling")}


class NothingToPlot(ValueError):
    """The run holds no data for the asked view."""


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, base):
    base = Path(base)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    fig.tight_layout()
    for p in paths:
        fig.savefig(p, dpi=110)
    _plt().close(fig)
    return paths


def _time_axis(t_s):
    """Seconds, or hours/days for long runs (as the original plotter)."""
    span = t_s.max() if len(t_s) else 0
    if span > 8e4:
        return t_s / 86400.0, "time (days)"
    if span > 8e3:
        return t_s / 3600.0, "time (h)"
    return t_s, "time (s)"


#: Longest stretch a raster shows by default (s): the last RASTER_SPAN of a run.
RASTER_SPAN = 20.0


#: Colours of excitatory cells, and of inhibitory cell classes in order of appearance.
E_COLOUR, I_COLOURS = "tab:red", ("tab:blue", "tab:cyan", "tab:green", "tab:purple", "tab:olive")


def type_colours(nodes):
    """A colour per cell type from the node table: excitatory types red, inhibitory ones
    by cell class (for the column: FS blue, LTS cyan)."""
    i_classes = list(dict.fromkeys(c for c, e in zip(nodes["cell_class"], nodes["excitatory"]) if not e))
    out = {}
    for name, cls, exc in zip(nodes["type"], nodes["cell_class"], nodes["excitatory"]):
        out.setdefault(name, E_COLOUR if exc else I_COLOURS[i_classes.index(cls) % len(I_COLOURS)])
    return out


def draw_raster(ax, run_dir, t_range=None, title=None):
    """Spikes by cell type (gid against time): E red, FS blue, LTS cyan; by default the
    last RASTER_SPAN seconds of the run (a long run has far too many spikes to draw)."""
    if t_range is None:
        end = analysis.run_end(run_dir)
        t_range = (max(0.0, end - RASTER_SPAN), end)
        if title is None and end > RASTER_SPAN:
            title = f"{Path(run_dir).name}: last {RASTER_SPAN:g} s (E red, FS blue, LTS cyan)"
    t, gid = analysis.read_spikes(run_dir, t_range)
    nodes = analysis.read_nodes(run_dir)
    types, colours = nodes["type"], type_colours(nodes)
    t = t / 1000.0
    for name in dict.fromkeys(types):
        members = np.flatnonzero(types == name)
        sel = np.isin(gid, members)
        ax.plot(t[sel], gid[sel], "|", ms=2, color=colours[name])
        ax.text(1.005, (members.min() + members.max()) / 2 / len(types), name, transform=ax.transAxes,
                fontsize=7, va="center")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("cell (gid)")
    ax.set_ylim(-1, len(types))
    ax.set_title(title or f"{Path(run_dir).name}: {len(t)} spikes (E red, FS blue, LTS cyan)")


def draw_rates(ax, run_dir, window_s=None):
    """Per-type mean rates (Hz) with SD across cells over the last window (default all)."""
    end = analysis.run_end(run_dir)
    t0 = max(0.0, end - window_s) if window_s else 0.0
    r = analysis.rates_by_type(run_dir, t0, end)
    names = list(r)
    colours = type_colours(analysis.read_nodes(run_dir))
    ax.bar(range(len(names)), [r[n][0] for n in names], yerr=[r[n][1] for n in names],
           color=[colours[n] for n in names])
    ax.set_xticks(range(len(names)), names, rotation=60, fontsize=8)
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"rates {t0:g}-{end:g} s (mean ± SD across cells)")


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


def draw_spectra(axes, run_dir, segment_s=None, label=""):
    """E and I population spectra (5-ms bins, multitaper) of the first and last segment."""
    end = analysis.run_end(run_dir)
    seg = segment_s or max(end / 4.0, 1.0)
    segs = analysis.segment_spectra(run_dir, seg)
    for ax, cls in zip(axes, ("E", "I")):
        for s in (segs[0], segs[-1]) if len(segs) > 1 else segs[:1]:
            ax.plot(s["freq"], s[cls], lw=1, label=f"{s['t0']:g}-{s['t1']:g} s")
        ax.set_xlim(0, 100)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("power ((spikes/bin)² / Hz)")
        ax.set_title(f"{label}{cls} population activity, 5-ms bins")
        ax.legend(fontsize=8)


def draw_weights(ax, run_dir):
    """STDP gain summaries over time, per type pair (pairs from E4 highlighted)."""
    from .rundir import read_run_json
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


def plot_what(run_dir, what):
    """Draw one view of a run into <run_dir>/<what>.png and .pdf; return the paths."""
    plt = _plt()
    run_dir = Path(run_dir)
    if what == "spectra":
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        draw_spectra(axes, run_dir)
    else:
        fig, ax = plt.subplots(figsize=(10, 5 if what == "raster" else 4))
        {"raster": lambda: draw_raster(ax, run_dir), "rates": lambda: draw_rates(ax, run_dir),
         "activity": lambda: draw_timecourse(ax, [run_dir], "activity", "E activity sensor (Hz), mean ± SD"),
         "scale": lambda: draw_timecourse(ax, [run_dir], "scale", "E scale factor, mean ± SD"),
         "info": lambda: draw_info(ax, run_dir), "weights": lambda: draw_weights(ax, run_dir)}[what]()
    return _save(fig, run_dir / what)


def find_run(folder, name):
    """The run of experiment `name` in a figure folder: folder itself or folder/name."""
    import json
    folder = Path(folder)
    for cand in (folder, folder / name):
        meta = cand / "run.json"
        if meta.exists() and json.loads(meta.read_text()).get("experiment") == name:
            return cand
    raise FileNotFoundError(f"figure needs a run of '{name}': put it in {folder / name} "
                            f"(netcol run {name} --out {folder / name})")


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


def report(run_dir):
    """One page with the headline numbers and every view the run has data for."""
    plt = _plt()
    run_dir = Path(run_dir)
    lines = headline(run_dir)
    fig = plt.figure(figsize=(11, 15))
    gs = fig.add_gridspec(4, 2)
    ax = fig.add_subplot(gs[0, 0])
    ax.axis("off")
    ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=8)
    draw_rates(fig.add_subplot(gs[0, 1]), run_dir)
    draw_raster(fig.add_subplot(gs[1, :]), run_dir)
    if (run_dir / "state.h5").exists() and len(analysis.read_records(run_dir)["time"]):
        draw_timecourse(fig.add_subplot(gs[2, 0]), [run_dir], "activity", "E activity (Hz)")
        draw_timecourse(fig.add_subplot(gs[2, 1]), [run_dir], "scale", "E scale factor")
    draw_spectra([fig.add_subplot(gs[3, 0]), fig.add_subplot(gs[3, 1])], run_dir)
    return _save(fig, run_dir / "report")


def headline(run_dir):
    """The run's key facts and numbers as text lines."""
    from .rundir import read_run_json, run_status
    meta = read_run_json(run_dir)
    p = meta["params"]
    t_end = analysis.run_end(run_dir)
    lines = [f"run: {Path(run_dir).name}  experiment: {meta['experiment']}",
             f"status: {run_status(run_dir, meta)}  reached {t_end:g} of {p['duration']:g} s",
             f"ranks: {meta['ranks']}  seed: {p['seed']}  rng: {p['rng']}  scale: {p['scale']:g}",
             f"netcol {meta['netcol_version']}, NEURON {meta['neuron_version']}, commit {meta['git_commit'][:12]}"]
    if "spikes" in meta:
        lines.append(f"spikes: {meta['spikes']}  wall {meta.get('run_seconds', 0):.1f} s "
                     f"({meta.get('wall_seconds_per_simulated_second', 0):.3f} s per simulated s)")
    if t_end > 0:
        t0 = min(5.0, t_end / 2)
        e, i = analysis.class_rates(run_dir, t0, t_end)
        lines.append(f"rates {t0:g}-{t_end:g} s: E {e:.3f} Hz, I {i:.3f} Hz")
    if "alive_at_end" in meta and p["deletion"]:
        lines.append(f"deletion rounds: {meta['deletion_rounds']}, alive at the end: {meta['alive_at_end']}")
    if (Path(run_dir) / "state.h5").exists():
        tc = analysis.population_timecourse(run_dir, "scale", "E")
        if len(tc["t"]):
            lines.append(f"E scale factor at {tc['t'][-1]:g} s: {tc['mean'][-1]:.4f} ± {tc['sd'][-1]:.4f}")
    return lines
