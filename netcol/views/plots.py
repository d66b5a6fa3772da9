"""Figures of run directories, for every model (matplotlib without a display; PNG and PDF).

:func:`plot_what` draws one view of one run: the generic ones (raster, rates, spectra)
or one of the run's model (its package's ``figures.VIEWS``); :func:`report` draws one
page with the headline numbers and the views; a model's paper figures are its
package's ``figures.paper_figure``.
"""
from pathlib import Path

import numpy as np

from ..analysis import spikes as analysis
from ..config.schema import did_you_mean
from ..models import DEFAULT_MODEL
from .figstyle import DPI, E_COLOUR, I_COLOURS, letter_panels, pyplot, run_caption, save, spread

#: Views every run has; a model adds its own (its package's figures.VIEWS).  traces needs
#: [[record]] tables (docs/recording.md).
GENERIC_VIEWS = ("raster", "rates", "spectra", "traces")


class NothingToPlot(ValueError):
    """The run holds no data for the asked view."""


def time_unit(t_s):
    """(seconds per axis unit, axis label) for time courses up to max(t_s): seconds, or
    hours/days for long runs (as the original plotter)."""
    span = t_s.max() if len(t_s) else 0
    if span > 8e4:
        return 86400.0, "time (days)"
    if span > 8e3:
        return 3600.0, "time (h)"
    return 1.0, "time (s)"


#: Longest stretch a raster shows by default (s): the last RASTER_SPAN of a run.
RASTER_SPAN = 20.0
#: Most cells a raster draws: a larger network is drawn from an evenly spaced sample of its
#: gids (the same every time, each type in proportion), and the figure says so.
RASTER_CELLS = 1000


def steady_window(run_dir):
    """The window (s) of a run's headline rates and rate bars: from 5 s (past the start's
    transient; half the run if shorter) to where the run got."""
    end = analysis.run_end(run_dir)
    return min(5.0, end / 2), end


def class_colours(nodes):
    """A colour per cell class, in order of appearance: excitatory cells (one class, "E")
    vermillion, inhibitory classes blue, bluish green, ... (Okabe & Ito's colour-blind-safe
    set; for the column: FS blue, LTS bluish green)."""
    out = {}
    for cls, exc in zip(nodes["cell_class"], nodes["excitatory"]):
        if not exc and cls not in out:
            out[cls] = I_COLOURS[len(out) % len(I_COLOURS)]
    return {"E": E_COLOUR, **out} if any(nodes["excitatory"]) else out


def type_colours(nodes):
    """A colour per cell type from the node table: its class's (see :func:`class_colours`)."""
    classes = class_colours(nodes)
    return {name: classes["E" if exc else cls] for name, cls, exc in
            zip(nodes["type"], nodes["cell_class"], nodes["excitatory"])}


def class_legend(ax, nodes, marker="s", **kw):
    """A legend of the class colours (E, FS, LTS, ...), above the axes at its right."""
    from matplotlib.lines import Line2D
    classes = class_colours(nodes)
    handles = [Line2D([], [], ls="", marker=marker, ms=6, color=c, label=cls) for cls, c in classes.items()]
    return ax.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.01), ncol=len(handles),
                     borderaxespad=0.0, handletextpad=0.2, columnspacing=1.0, **kw)


def raster_sample(n, max_cells=RASTER_CELLS):
    """The gids a raster of n cells draws: all of them, or max_cells evenly spaced ones."""
    if n <= max_cells:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_cells).round().astype(np.int64))


def draw_raster(ax, run_dir, t_range=None, title=None, max_cells=RASTER_CELLS):
    """Spikes by cell type (gid against time) in the class colours (legend above), the
    type names beside; by default the last RASTER_SPAN seconds of the run (a long run has
    far too many spikes to draw).  A network of more than max_cells cells is drawn from
    :func:`raster_sample`, as the title says; the marks are rasterised in a PDF.
    Returns the number of spikes drawn."""
    nodes = analysis.read_nodes(run_dir)
    types = nodes["type"]
    n = len(types)
    if t_range is None:
        end = analysis.run_end(run_dir)
        t_range = (max(0.0, end - RASTER_SPAN), end)
    t, gid = analysis.read_spikes(run_dir, t_range)
    shown = raster_sample(n, max_cells)
    drawn = np.zeros(n, bool)
    drawn[shown] = True
    keep = drawn[gid]
    t, gid = t[keep] / 1000.0, gid[keep]
    colours = type_colours(nodes)
    height_pt = max(ax.get_window_extent().height * 72.0 / ax.figure.dpi, 1.0)
    ms = float(np.clip(2.0 * height_pt / len(shown), 0.8, 2.0))   # about two rows of the drawn cells
    names = list(dict.fromkeys(types))
    centres = []
    for name in names:
        of_type = types == name
        sel = of_type[gid]
        ax.plot(t[sel], gid[sel], "|", ms=ms, mew=0.6 if ms < 1 else 1.0, color=colours[name], rasterized=True)
        members = np.flatnonzero(of_type)
        centres.append((members.min() + members.max()) / 2)
    if len(names) > 1:
        fraction = (np.array(centres) + 1) / (n + 1)
        for name, y in zip(names, spread(fraction, 8.0 / height_pt, 0.0, 1.0)):
            ax.text(1.005, y, name, transform=ax.transAxes, fontsize=7, va="center", color=colours[name])
    ax.set_xlim(*t_range)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("cell (gid)")
    ax.set_ylim(-1, n)
    class_legend(ax, nodes)
    sample = f"; {len(shown):,} of {n:,} cells drawn (every {n / len(shown):.3g}th gid)" if len(shown) < n else ""
    head = title or f"{run_caption(run_dir)}, showing {t_range[0]:g}–{t_range[1]:g} s"
    ax.set_title(f"{head}\n{len(t):,} spikes{sample}", loc="left", fontsize=9)
    return len(t)


def draw_rates(ax, run_dir, window=None):
    """Per-type mean rates (Hz) with SD across cells over a window (s; default
    :func:`steady_window`, as the headline's), in the class colours."""
    t0, end = window if window else steady_window(run_dir)
    r = analysis.rates_by_type(run_dir, t0, end)
    names = list(r)
    nodes = analysis.read_nodes(run_dir)
    colours = type_colours(nodes)
    ax.bar(range(len(names)), [r[n][0] for n in names], yerr=[r[n][1] for n in names],
           color=[colours[n] for n in names])
    ax.set_xticks(range(len(names)), names, rotation=60 if len(names) > 4 else 0)
    ax.set_ylabel("rate (Hz)")
    if len(names) > len(class_colours(nodes)):   # several types per class: say which colour is which
        class_legend(ax, nodes)
        ax.set_title(f"rates {t0:g}–{end:g} s (mean ± SD across cells)", loc="left")
    else:
        ax.set_title(f"rates {t0:g}–{end:g} s (mean ± SD across cells)")


#: Confidence level of the spectra's bands.
SPECTRUM_CI = 0.95


def spectrum_band(psd, tapers):
    """The SPECTRUM_CI confidence band of a multitaper estimate with equal weights: the
    estimate over its true value is chi-square with 2 K degrees of freedom over 2 K."""
    from scipy.stats import chi2
    dof = 2 * tapers
    lo, hi = chi2.ppf([(1 - SPECTRUM_CI) / 2, (1 + SPECTRUM_CI) / 2], dof)
    return psd * dof / hi, psd * dof / lo


#: Frequency bins per decade in which a drawn spectrum is averaged.
SPECTRUM_BINS_PER_DECADE = 100


def log_binned(freq, *values, per_decade=SPECTRUM_BINS_PER_DECADE):
    """Means of values over log-spaced frequency bins, for drawing.

    A long segment's spectrum has a point every 1/T Hz (240,000 between 1 and 100 Hz for
    T = 2,400 s), far more than a figure can show; where a bin holds fewer than two points
    the points are kept as they are.

    Parameters
    ----------
    freq : numpy.ndarray
        Frequencies (Hz), ascending and positive.
    *values : numpy.ndarray
        Arrays aligned with freq.
    per_decade : int
        Bins per decade of frequency.

    Returns
    -------
    tuple of numpy.ndarray
        The bins' mean frequencies, then each of values' bin means (empty bins dropped).
    """
    freq = np.asarray(freq, float)
    if len(freq) == 0:
        return (freq, *[np.asarray(v, float) for v in values])
    lo, hi = np.log10(freq[0]), np.log10(freq[-1])
    n_bins = max(1, int(np.ceil((hi - lo) * per_decade)))
    which = np.minimum(((np.log10(freq) - lo) * per_decade).astype(int), n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    full = counts > 0
    return tuple(np.bincount(which, weights=np.asarray(v, float), minlength=n_bins)[full] / counts[full]
                 for v in (freq, *values))


def draw_spectra(axes, run_dir, segment_s=None, label="", window=None):
    """E and I population spectra (5-ms bins, multitaper, 7 tapers) of the first and last
    segment, on log axes with 95% confidence bands.  Segments of segment_s seconds
    (default a quarter of the run, or of the window).  Each curve and band is drawn as its
    means over SPECTRUM_BINS_PER_DECADE log-spaced bins (log_binned): the band is then the
    bins' mean band of a single frequency's estimate, wider than the bin mean's own."""
    t0, end = window if window else (0.0, analysis.run_end(run_dir))
    seg = segment_s or max((end - t0) / 4.0, 1.0)
    segs = [s for s in analysis.segment_spectra(run_dir, seg, start=t0) if s["t1"] <= end + 1e-9]
    tapers = int(2 * 4.0 - 1)
    for ax, cls in zip(axes, ("E", "I")):
        positive = False
        for s, colour in zip((segs[0], segs[-1]) if len(segs) > 1 else segs[:1], ("tab:blue", "tab:orange")):
            keep = (s["freq"] >= 1.0) & (s["freq"] <= 100.0)
            f, p = s["freq"][keep], s[cls][keep]
            positive |= bool(np.any(p > 0))
            f, p, lo, hi = log_binned(f, p, *spectrum_band(p, tapers))
            ax.fill_between(f, lo, hi, color=colour, alpha=0.25, lw=0)
            ax.plot(f, p, lw=1, color=colour, label=f"{s['t0']:g}-{s['t1']:g} s")
        ax.set_xscale("log")
        if positive:
            ax.set_yscale("log")
        else:   # no spikes (a silent population): nothing to put on a log scale
            ax.text(0.5, 0.5, f"no {cls} spikes: no spectrum", transform=ax.transAxes, ha="center", va="center")
        ax.set_xlim(1, 100)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("power ((spikes/bin)² / Hz)")
        # two lines: on one, a 2 x 2 figure's titles ran into each other
        ax.set_title(f"{label}{cls} population activity\n5-ms bins ({SPECTRUM_CI:.0%} bands)")
        ax.legend()


#: Cells a trace panel draws at most (evenly spread over the recorded ones).
TRACE_CELLS = 8


def trace_reports(run_dir):
    """[(table name, variable, path)] of the run's recorded traces (its [[record]] tables'
    reports that exist), in the tables' order."""
    from ..config.records import report_files
    from ..io.rundir import read_run_json
    tables = read_run_json(run_dir).get("params", {}).get("record") or []
    return [(t["name"], v, Path(run_dir) / name) for t in tables for v, name in report_files(t)
            if (Path(run_dir) / name).exists()]


def draw_traces(axes, reports, window=None):
    """One panel per report: up to TRACE_CELLS of its cells against time (s), labelled by
    gid; window (s) limits the samples drawn."""
    from ..io.traces import read_report
    for ax, (table, variable, path) in zip(axes, reports):
        r = read_report(path)
        t = r["times"] / 1000.0
        keep = (t >= window[0]) & (t <= window[1]) if window else slice(None)
        n = len(r["node_ids"])
        for j in sorted(set(np.linspace(0, n - 1, min(n, TRACE_CELLS)).round().astype(int).tolist())):
            ax.plot(t[keep], r["data"][keep, j], lw=0.8, label=f"gid {r['node_ids'][j]}")
        ax.set_ylabel(f"{variable} ({r['units']})")
        ax.set_title(f"{table}: {variable}, {min(n, TRACE_CELLS)} of {n} recorded cells", fontsize=9)
        ax.legend(fontsize=6, loc="upper right", ncol=2)
    axes[-1].set_xlabel("time (s)")


def model_figures(run_dir):
    """The figures module of a run's model (its package's ``figures``)."""
    from ..models import figures
    from ..io.rundir import read_run_json
    return figures(read_run_json(run_dir).get("model", DEFAULT_MODEL))


def views_by_model():
    """The views of every run ('generic') and each model's own: {group: view names}."""
    from ..models import figures, names
    return {"generic": GENERIC_VIEWS, **{m: tuple(figures(m).VIEWS) for m in names()}}


#: x-axis label prefixes of time courses and their unit in seconds (for --window).
_TIME_UNITS = (("time (days", 86400.0), ("time (h", 3600.0), ("time (s", 1.0))


def _limit_to_window(ax, window):
    """Show only the window (s) on a time course drawn by a model's view."""
    label = ax.get_xlabel()
    for prefix, unit in _TIME_UNITS:
        if label.startswith(prefix):
            ax.set_xlim(window[0] / unit, window[1] / unit)
            return
    raise NothingToPlot(f"--window: this view's x axis is not time ({label!r})")


def plot_what(run_dir, what, window=None, dpi=DPI, out=None):
    """Draw one view of a run; return the paths of the PNG and PDF.

    Parameters
    ----------
    run_dir : path
    what : str
        A generic view (raster, rates, spectra, traces) or one of the run's model.
    window : (float, float), optional
        Time window in seconds (raster, rates and spectra use only its spikes, traces its
        samples; a model's time course shows only it).
    dpi : int
        Resolution of the PNG.
    out : path, optional
        Where to write (a path without suffix); default <run_dir>/<what>.
    """
    plt = pyplot()
    run_dir = Path(run_dir)
    views = model_figures(run_dir).VIEWS
    stamp = True
    if what == "spectra":
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        draw_spectra(axes, run_dir, window=window)
        letter_panels(axes)
    elif what == "raster":
        # what was run is in the title (a shortened run's raster is no less true)
        fig, ax = plt.subplots(figsize=(10, 5))
        draw_raster(ax, run_dir, t_range=window)
        stamp = False
    elif what == "rates":
        fig, ax = plt.subplots(figsize=(10, 4))
        draw_rates(ax, run_dir, window)
    elif what == "traces":
        reports = trace_reports(run_dir)
        if not reports:
            raise NothingToPlot(f"--what traces: {run_dir} recorded no traces (an experiment's [[record]] tables "
                                "record them; see docs/recording.md)")
        fig, axes = plt.subplots(len(reports), 1, figsize=(10, 1.5 + 2.2 * len(reports)), sharex=True,
                                 squeeze=False)
        draw_traces(axes[:, 0], reports, window)
    elif what in views:
        fig, ax = plt.subplots(figsize=(10, 4))
        views[what](ax, run_dir)
        if window:
            _limit_to_window(ax, window)
    else:
        known = GENERIC_VIEWS + tuple(views)
        raise NothingToPlot(f"--what {what}: not a view of this run's model{did_you_mean(what, known)}; its views: "
                            f"{', '.join(known)}")
    return save(fig, Path(out) if out else run_dir / what, runs=[run_dir], dpi=dpi, stamp=stamp)


#: Characters per line of the report's headline (monospace, beside panel A).
HEADLINE_WIDTH = 68


def wrap_headline(lines, width=HEADLINE_WIDTH):
    """The headline's lines wrapped to width, continuation lines indented, a number kept
    with its unit."""
    import re
    import textwrap
    glued = [re.sub(r"(?<=\d) (?=%|(Hz|s|ms|mV|nS)\b)", "\u00a0", line) for line in lines]
    return [w for line in glued for w in (textwrap.wrap(line, width, subsequent_indent="    ",
                                                          break_on_hyphens=False) or [""])]


def report(run_dir):
    """One page with the headline numbers and every view the run has data for."""
    plt = pyplot()
    run_dir = Path(run_dir)
    lines = wrap_headline(headline(run_dir))
    fig = plt.figure(figsize=(11, 15))
    gs = fig.add_gridspec(4, 2)
    ax = fig.add_subplot(gs[0, 0])
    ax.axis("off")
    ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=8, transform=ax.transAxes,
            gid="netcol-headline")
    draw_rates(fig.add_subplot(gs[0, 1]), run_dir)
    draw_raster(fig.add_subplot(gs[1, :]), run_dir)
    for k, draw in enumerate(model_figures(run_dir).report_panels(run_dir)[:2]):
        draw(fig.add_subplot(gs[2, k]))
    draw_spectra([fig.add_subplot(gs[3, 0]), fig.add_subplot(gs[3, 1])], run_dir)
    letter_panels(fig.axes[1:])
    return save(fig, run_dir / "report", runs=[run_dir])


def headline(run_dir):
    """The run's key facts and numbers as text lines."""
    from ..io.rundir import read_run_json, run_status
    meta = read_run_json(run_dir)
    p = meta["params"]
    t_end = analysis.run_end(run_dir)
    lines = [f"run: {Path(run_dir).name}  experiment: {meta['experiment']}  model: {meta.get('model', DEFAULT_MODEL)}",
             f"status: {run_status(run_dir, meta)}  reached {t_end:g} of {p['duration']:g} s",
             f"ranks: {meta['ranks']}  seed: {p['seed']}",
             f"netcol {meta['netcol_version']}, NEURON {meta['neuron_version']}, commit {meta['git_commit'][:12]}"]
    if "spikes" in meta:
        # run.json's wall time is the last process's: a resumed run's from where it resumed
        since = f" since resuming at {meta['resumed_from_ms'] / 1000:g} s" if meta.get("resumed_from_ms") else ""
        lines.append(f"spikes: {meta['spikes']}  wall {meta.get('run_seconds', 0):.1f} s{since} "
                     f"({meta.get('wall_seconds_per_simulated_second', 0):.3f} s per simulated s)")
    if t_end > 0:
        t0, _ = steady_window(run_dir)
        e, i = analysis.class_rates(run_dir, t0, t_end)
        lines.append(f"rates {t0:g}-{t_end:g} s: E {e:.3f} Hz, I {i:.3f} Hz")
    return lines + model_figures(run_dir).headline(run_dir, meta)


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


def find_any_run(folder, names):
    """The run of the first of several experiments found in a figure folder (see
    :func:`find_run`)."""
    for name in names:
        try:
            return find_run(folder, name)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(f"the figure needs a run of {', '.join(names)} in {folder}")
