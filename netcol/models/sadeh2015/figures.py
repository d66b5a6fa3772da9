"""The sadeh2015 figures: its views of one run (rates per learning block, weights against
dPO, mean E->E weight per |dPO| bin, OSI before and after, tuning curves, the E->E
matrix sorted by preferred orientation), its report
panels and headline numbers, and the summary figure of the paper's result
(``netcol plot DIR --figure 1``)."""
from pathlib import Path

import numpy as np

from ...views.figstyle import AFTER, BEFORE, E_COLOUR, I_COLOUR, legend_above, letter_panels, pyplot, save
from ...views.plots import NothingToPlot, find_run
from . import tuning

#: Runs each figure needs, by experiment name (the folder itself or a sub-folder).
FIGURE_RUNS = {1: ("sadeh2015",)}
#: Autapses (a cell onto itself: dPO = 0; the reference's wiring allows them) in the
#: weights-against-dPO view.
AUTAPSE_COLOUR = "#0072B2"


def _weights_or_nothing(run_dir, row):
    try:
        return tuning.weights(run_dir, row)
    except ValueError as err:
        raise NothingToPlot(str(err)) from None


def draw_block_rates(ax, run_dir):
    """E and I rates per learning block the run completed, with the tests before and
    after as markers; a run cut short says how many of the protocol's blocks it ran."""
    blocks, e, i = tuning.block_rates(run_dir)
    done, total, _ = tuning.learning_progress(run_dir)
    if not len(blocks):
        raise NothingToPlot(f"{run_dir}: no learning block completed in this run")
    ax.plot(blocks + 1, e, "o-", ms=3, color=E_COLOUR, label="E")
    ax.plot(blocks + 1, i, "o-", ms=3, color=I_COLOUR, label="I")
    phases = tuning.phase_rates(run_dir)
    for name, x, marker in (("test_before", 0, "s"), ("test_after", total + 1, "D")):
        if name in phases:
            for v, c in zip(phases[name], (E_COLOUR, I_COLOUR)):
                ax.plot([x], [v], marker, color=c, mfc="white")
    if done < total:
        ax.set_xlim(-1, total + 2)
        ax.axvspan(done + 0.5, total + 2, color="0.92", lw=0)
        ax.text(done + 1, 0.5, f"not run: the run stopped\nafter {done} of {total} blocks",
                transform=ax.get_xaxis_transform(), fontsize=8, color="0.3", va="center")
    ax.set_xlabel("learning block (tests before: square, after: diamond)")
    ax.set_ylabel("rate (Hz)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)


def draw_weights_dpo(ax, run_dir, pathway="EE", row=-1):
    """Every weight of a pathway (E->E, E->I or I->E) against dPO, with bin means over the
    pairs of distinct cells; E->E autapses (dPO = 0) marked apart."""
    s = _weights_or_nothing(run_dir, row)
    from ...analysis.spikes import read_nodes
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    sel = (ex[s["pre"]] == (pathway[0] == "E")) & (ex[s["post"]] == (pathway[1] == "E"))
    auto = sel & (s["pre"] == s["post"])
    sel &= ~auto
    ax.plot(s["dpo"][sel], s["w"][sel], ".", ms=1, alpha=0.25, color="0.3", rasterized=True)
    edges = np.linspace(-90, 90, 19)
    mid = (edges[:-1] + edges[1:]) / 2
    idx = np.digitize(s["dpo"][sel], edges) - 1
    means = [s["w"][sel][idx == k].mean() if np.any(idx == k) else np.nan for k in range(len(mid))]
    ax.plot(mid, means, "-", color=AFTER, lw=2, label="mean per 10°")
    if auto.any():
        ax.plot(s["dpo"][auto], s["w"][auto], "x", ms=3, mew=0.7, color=AUTAPSE_COLOUR, rasterized=True,
                label=f"{int(auto.sum())} autapses (a cell onto itself)")
    ax.set_xlabel("dPO (degrees)")
    ax.set_ylabel(f"{pathway[0]}→{pathway[1]} weight at {s['time'] / 1000:g} s (mV)")
    ax.set_xticks([-90, -45, 0, 45, 90])
    legend_above(ax, ncol=1)


def snapshot_label(run_dir, row):
    """'before learning', 'after learning', or 'at T s (N of M blocks)' for a weight
    snapshot taken while learning was still going."""
    t = tuning.weights(run_dir, row)["time"]
    done, total, _ = tuning.learning_progress(run_dir, by_ms=t)
    if done == 0:
        return "before learning"
    if tuning.learning_finished(run_dir, t):
        return "after learning"
    return f"at {t / 1000:g} s, after {done} of {total} learning blocks"


def draw_dpo_bins(ax, run_dir):
    """Mean E->E weight per |dPO| bin (absent synapses as 0), first and last snapshot."""
    before, after = tuning.mean_weight_by_dpo(run_dir, 0), tuning.mean_weight_by_dpo(run_dir, -1)
    x = np.arange(len(tuning.DPO_BINS))
    ax.bar(x - 0.2, before, 0.4, color=BEFORE, label=snapshot_label(run_dir, 0))
    ax.bar(x + 0.2, after, 0.4, color=AFTER if tuning.learning_finished(run_dir, tuning.weights(run_dir)["time"])
           else "#E69F00", label=snapshot_label(run_dir, -1))
    ax.set_xticks(x, [f"{lo:g}–{hi:g}°" for lo, hi in tuning.DPO_BINS])
    ax.set_xlabel("|dPO|")
    ax.set_ylabel("mean E→E weight (mV)")
    ax.legend(frameon=False, fontsize=8)


def _tuning_or_nothing(run_dir, phase):
    try:
        return tuning.tuning_curves(run_dir, phase)
    except ValueError as err:
        raise NothingToPlot(str(err)) from None


def _phases_drawn(ax, run_dir, draw):
    """draw(phase, colour, label) for the tuning runs before and after learning that the
    run completed; NothingToPlot if neither."""
    missing = []
    for phase, colour, label in (("tuning_before", BEFORE, "before"), ("tuning_after", AFTER, "after")):
        try:
            angles, rates = tuning.tuning_curves(run_dir, phase)
        except ValueError:
            missing.append(label)
            continue
        draw(angles, rates, colour, label)
    if len(missing) == 2:
        raise NothingToPlot(f"{run_dir}: the run completed no tuning runs")
    if missing:
        ax.text(0.02, 0.97, f"tuning runs {missing[0]} learning: not reached in this run", transform=ax.transAxes,
                fontsize=7, color="0.3", va="top")


def _median(values):
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else float("nan")


def draw_osi(ax, run_dir):
    """OSI distributions of E cells from the tuning runs before and after learning."""
    bins = np.linspace(0, 1, 26)

    def draw(angles, rates, colour, label):
        index = tuning.osi(angles, rates)[0][: _n_e(run_dir)]
        ax.hist(index[np.isfinite(index)], bins, histtype="step", lw=1.8, color=colour,
                label=f"{label} (median {_median(index):.2f})")
    _phases_drawn(ax, run_dir, draw)
    ax.set_xlabel("OSI of E cells")
    ax.set_ylabel("cells")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, 0.9))


def _n_e(run_dir):
    from ...analysis.spikes import read_nodes
    return int(read_nodes(run_dir)["excitatory"].sum())


def draw_tuning(ax, run_dir):
    """Mean E tuning curve, aligned to each cell's input preference, before and after."""
    from ...analysis.spikes import read_nodes
    po = read_nodes(run_dir)["preferred_orientation"][: _n_e(run_dir)]

    def draw(angles, rates, colour, label):
        rel = tuning.dpo(angles[None, :], po[:, None])
        edges = np.linspace(-90, 90, len(angles) + 1)
        idx = np.digitize(rel, edges) - 1
        r = rates[: len(po)]
        curve = [r[idx == k].mean() for k in range(len(angles))]
        ax.plot((edges[:-1] + edges[1:]) / 2, curve, "o-", ms=3, color=colour, label=label)
    _phases_drawn(ax, run_dir, draw)
    ax.set_xlabel("stimulus − preferred orientation (degrees)")
    ax.set_ylabel("E rate (Hz)")
    ax.set_xticks([-90, -45, 0, 45, 90])
    ax.legend(frameon=False, fontsize=8)


def ee_matrix(run_dir, row=-1):
    """(the E->E weight matrix at a snapshot, post x pre with cells sorted by preferred
    orientation, absent synapses 0; the snapshot's time in ms)."""
    from ...analysis.spikes import read_nodes
    nodes = read_nodes(run_dir)
    ex = nodes["excitatory"].astype(bool)
    s = _weights_or_nothing(run_dir, row)
    sel = ex[s["pre"]] & ex[s["post"]]
    order = np.argsort(nodes["preferred_orientation"][ex], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    m = np.zeros((ex.sum(), ex.sum()))
    m[rank[s["post"][sel]], rank[s["pre"][sel]]] = s["w"][sel]
    return m, s["time"]


def draw_matrix(ax, run_dir, row=-1, vmax=None, colorbar=True):
    """The E->E weight matrix at a snapshot, cells sorted by preferred orientation, on a
    colour scale from 0 to vmax (default its largest weight); returns the image."""
    m, time = ee_matrix(run_dir, row)
    im = ax.imshow(m, origin="lower", cmap="magma", vmin=0, vmax=vmax, extent=(0, 180, 0, 180),
                   interpolation="nearest")
    if colorbar:
        ax.figure.colorbar(im, cax=ax.inset_axes([1.04, 0.0, 0.05, 1.0]), label="E→E weight (mV)")
    ax.set_xlabel("presynaptic preferred orientation (°)")
    ax.set_ylabel("postsynaptic preferred orientation (°)")
    ax.set_title(f"E→E weights at {time / 1000:g} s")
    return im


#: The model's views of one run (beside the generic raster, rates and spectra).
VIEWS = {"blocks": draw_block_rates, "weights_dpo": lambda ax, d: draw_weights_dpo(ax, d, "EE"),
         "dpo_bins": draw_dpo_bins, "osi": draw_osi, "tuning": draw_tuning, "matrix": draw_matrix}


def report_panels(run_dir):
    """Panels for the one-page report: rates per block and the E->E weights by |dPO|."""
    if tuning.read_protocol(run_dir)["phase"].tolist().count("learning") == 0:
        return []
    return [lambda ax: draw_block_rates(ax, run_dir), lambda ax: draw_dpo_bins(ax, run_dir)]


def headline(run_dir, meta):
    """Rates per phase, mean E->E weight per |dPO| bin before and after, OSI medians."""
    lines = ["rates (E, I Hz): " + ", ".join(f"{k} {e:.2f} {i:.2f}" for k, (e, i) in tuning.phase_rates(run_dir).items())]
    try:
        b, a = tuning.mean_weight_by_dpo(run_dir, 0), tuning.mean_weight_by_dpo(run_dir, -1)
        lines.append(f"E→E weight per |dPO| bin 0-30, 30-60, 60-90°: {snapshot_label(run_dir, 0)} "
                     + " ".join(f"{x:.3f}" for x in b) + f"; {snapshot_label(run_dir, -1)} "
                     + " ".join(f"{x:.3f}" for x in a) + " mV")
    except ValueError:
        pass
    done, total, _ = tuning.learning_progress(run_dir)
    if done < total:
        lines.append(f"learning: {done} of {total} blocks ran (the run stopped before the protocol's end)")
    medians = []
    for phase in ("tuning_before", "tuning_after"):
        try:
            angles, rates = tuning.tuning_curves(run_dir, phase)
        except ValueError:
            continue
        medians.append(f"{phase.split('_')[1]} {_median(tuning.osi(angles, rates)[0][: _n_e(run_dir)]):.3f}")
    if medians:
        lines.append("median OSI of E cells: " + ", ".join(medians))
    return lines


def _raster(ax, run_dir, phase, title):
    """Every cell's spikes in the run's phase (a test), on axes that hold all cells and
    the whole phase."""
    from ...analysis.spikes import read_nodes, read_spikes
    seg = tuning.read_protocol(run_dir)
    k = np.flatnonzero(seg["phase"] == phase)
    if not len(k):
        raise NothingToPlot(f"{run_dir}: the run has no {phase}")
    t0, t1 = seg["t0"][k[0]], seg["t0"][k[0]] + seg["length"][k[0]]
    if t1 > tuning.reached_ms(run_dir) + 1e-6:
        raise NothingToPlot(f"{run_dir}: the run stopped before its {phase.replace('_', ' ')}")
    t, gid = read_spikes(run_dir, (t0 / 1000.0, t1 / 1000.0))
    n, n_e = len(read_nodes(run_dir)["excitatory"]), _n_e(run_dir)
    e = gid < n_e
    ax.plot((t[e] - t0) / 1000.0, gid[e], ".", ms=0.8, color=E_COLOUR, rasterized=True)
    ax.plot((t[~e] - t0) / 1000.0, gid[~e], ".", ms=0.8, color=I_COLOUR, rasterized=True)
    # every cell and the whole test, whichever fired: the rasters before and after compare
    ax.set_xlim(0, (t1 - t0) / 1000.0)
    ax.set_ylim(-1, n)
    ax.set_xlabel("time in test (s)")
    ax.set_ylabel("cell (E by preferred orientation, then I)")
    ax.set_title(title)


def paper_figure(folder, number, dpi=300):
    """The summary figure of a sadeh2015 run (in folder or folder/sadeh2015)."""
    if number not in FIGURE_RUNS:
        raise ValueError(f"--figure {number}: sadeh2015 has figure 1")
    run = find_run(folder, "sadeh2015")
    plt = pyplot()
    fig, axes = plt.subplots(3, 4, figsize=(17, 11))
    # E and F on one colour scale, so that their colours compare
    vmax = max(ee_matrix(run, 0)[0].max(), ee_matrix(run, -1)[0].max())
    panels = [(lambda ax: _raster(ax, run, "test_before", "test at 90°, before learning")),
              (lambda ax: _raster(ax, run, "test_after", "test at 90°, after learning")),
              (lambda ax: draw_block_rates(ax, run)), (lambda ax: draw_tuning(ax, run)),
              (lambda ax: draw_matrix(ax, run, 0, vmax=vmax, colorbar=False)),
              (lambda ax: _shared_colorbar(draw_matrix(ax, run, -1, vmax=vmax, colorbar=False), ax)),
              (lambda ax: draw_weights_dpo(ax, run, "EE")), (lambda ax: draw_dpo_bins(ax, run)),
              (lambda ax: draw_weights_dpo(ax, run, "EI")), (lambda ax: draw_weights_dpo(ax, run, "IE")),
              (lambda ax: draw_osi(ax, run))]
    for ax, draw in zip(axes.flat, panels):
        try:
            draw(ax)
        except NothingToPlot as err:   # a run cut short: the panel says what it lacks
            ax.text(0.5, 0.5, str(err).split(": ", 1)[-1], transform=ax.transAxes, ha="center", va="center",
                    fontsize=8, color="0.3", wrap=True)
            ax.set_xticks([])
            ax.set_yticks([])
    letter_panels(list(axes.flat)[:len(panels)])
    axes.flat[-1].axis("off")
    fig.suptitle("Sadeh, Clopath & Rotter (2015) in netcol: emergence of feature-specific connectivity")
    return save(fig, Path(folder) / f"figure{number}", runs=[run], dpi=dpi)


def _shared_colorbar(im, ax):
    """One colour bar, beside F, for panels E and F."""
    ax.figure.colorbar(im, cax=ax.inset_axes([1.04, 0.0, 0.05, 1.0]), label="E→E weight (mV), E and F")
