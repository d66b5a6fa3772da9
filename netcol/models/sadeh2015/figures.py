"""The sadeh2015 figures: its views of one run (rates per learning block, weights against
dPO, mean E->E weight per |dPO| bin, OSI before and after, tuning curves, the E->E
matrix sorted by preferred orientation), its report
panels and headline numbers, and the summary figure of the paper's result
(``netcol plot DIR --figure 1``)."""
from pathlib import Path

import numpy as np

from ...views.figstyle import letter_panels, pyplot, save
from ...views.plots import NothingToPlot, find_run
from . import tuning

#: Runs each figure needs, by experiment name (the folder itself or a sub-folder).
FIGURE_RUNS = {1: ("sadeh2015",)}
BEFORE, AFTER = "0.55", "tab:red"


def _weights_or_nothing(run_dir, row):
    try:
        return tuning.weights(run_dir, row)
    except ValueError as err:
        raise NothingToPlot(str(err)) from None


def draw_block_rates(ax, run_dir):
    """E and I rates per learning block, with the tests before and after as markers."""
    blocks, e, i = tuning.block_rates(run_dir)
    if not len(blocks):
        raise NothingToPlot(f"{run_dir}: no learning blocks in this run")
    ax.plot(blocks + 1, e, "o-", ms=3, color="tab:red", label="E")
    ax.plot(blocks + 1, i, "o-", ms=3, color="tab:blue", label="I")
    phases = tuning.phase_rates(run_dir)
    for name, x, marker in (("test_before", 0, "s"), ("test_after", blocks.max() + 2, "D")):
        if name in phases:
            for v, c in zip(phases[name], ("tab:red", "tab:blue")):
                ax.plot([x], [v], marker, color=c, mfc="white")
    ax.set_xlabel("learning block (tests before: square, after: diamond)")
    ax.set_ylabel("rate (Hz)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)


def draw_weights_dpo(ax, run_dir, pathway="EE", row=-1):
    """Every weight of a pathway (E->E, E->I or I->E) against dPO, with bin means."""
    s = _weights_or_nothing(run_dir, row)
    from ...analysis.spikes import read_nodes
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    sel = (ex[s["pre"]] == (pathway[0] == "E")) & (ex[s["post"]] == (pathway[1] == "E"))
    ax.plot(s["dpo"][sel], s["w"][sel], ".", ms=1, alpha=0.25, color="0.3", rasterized=True)
    edges = np.linspace(-90, 90, 19)
    mid = (edges[:-1] + edges[1:]) / 2
    idx = np.digitize(s["dpo"][sel], edges) - 1
    means = [s["w"][sel][idx == k].mean() if np.any(idx == k) else np.nan for k in range(len(mid))]
    ax.plot(mid, means, "-", color=AFTER, lw=2, label="mean per 10°")
    ax.set_xlabel("dPO (degrees)")
    ax.set_ylabel(f"{pathway[0]}→{pathway[1]} weight (mV)")
    ax.set_xticks([-90, -45, 0, 45, 90])
    ax.set_title(f"{pathway[0]}→{pathway[1]} at {s['time'] / 1000:g} s")
    ax.legend(frameon=False, fontsize=8)


def draw_dpo_bins(ax, run_dir):
    """Mean E->E weight per |dPO| bin (absent synapses as 0), first and last snapshot."""
    before, after = tuning.mean_weight_by_dpo(run_dir, 0), tuning.mean_weight_by_dpo(run_dir, -1)
    x = np.arange(len(tuning.DPO_BINS))
    ax.bar(x - 0.2, before, 0.4, color=BEFORE, label="before learning")
    ax.bar(x + 0.2, after, 0.4, color=AFTER, label="after learning")
    ax.set_xticks(x, [f"{lo:g}–{hi:g}°" for lo, hi in tuning.DPO_BINS])
    ax.set_xlabel("|dPO|")
    ax.set_ylabel("mean E→E weight (mV)")
    ax.legend(frameon=False, fontsize=8)


def _tuning_or_nothing(run_dir, phase):
    try:
        return tuning.tuning_curves(run_dir, phase)
    except ValueError as err:
        raise NothingToPlot(str(err)) from None


def draw_osi(ax, run_dir):
    """OSI distributions of E cells from the tuning runs before and after learning."""
    bins = np.linspace(0, 1, 26)
    for phase, colour, label in (("tuning_before", BEFORE, "before"), ("tuning_after", AFTER, "after")):
        angles, rates = _tuning_or_nothing(run_dir, phase)
        index = tuning.osi(angles, rates)[0][: _n_e(run_dir)]
        ax.hist(index[np.isfinite(index)], bins, histtype="step", lw=1.8, color=colour,
                label=f"{label} (median {np.nanmedian(index):.2f})")
    ax.set_xlabel("OSI of E cells")
    ax.set_ylabel("cells")
    ax.legend(frameon=False, fontsize=8)


def _n_e(run_dir):
    from ...analysis.spikes import read_nodes
    return int(read_nodes(run_dir)["excitatory"].sum())


def draw_tuning(ax, run_dir):
    """Mean E tuning curve, aligned to each cell's input preference, before and after."""
    from ...analysis.spikes import read_nodes
    po = read_nodes(run_dir)["preferred_orientation"][: _n_e(run_dir)]
    for phase, colour, label in (("tuning_before", BEFORE, "before"), ("tuning_after", AFTER, "after")):
        angles, rates = _tuning_or_nothing(run_dir, phase)
        rel = tuning.dpo(angles[None, :], po[:, None])
        edges = np.linspace(-90, 90, len(angles) + 1)
        idx = np.digitize(rel, edges) - 1
        r = rates[: len(po)]
        curve = [r[idx == k].mean() for k in range(len(angles))]
        ax.plot((edges[:-1] + edges[1:]) / 2, curve, "o-", ms=3, color=colour, label=label)
    ax.set_xlabel("stimulus − preferred orientation (degrees)")
    ax.set_ylabel("E rate (Hz)")
    ax.set_xticks([-90, -45, 0, 45, 90])
    ax.legend(frameon=False, fontsize=8)


def draw_matrix(ax, run_dir, row=-1):
    """The E->E weight matrix at a snapshot, cells sorted by preferred orientation."""
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
    im = ax.imshow(m, origin="lower", cmap="magma", vmin=0, extent=(0, 180, 0, 180), interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label="mV", fraction=0.046, pad=0.02)
    ax.set_xlabel("presynaptic preferred orientation (°)")
    ax.set_ylabel("postsynaptic preferred orientation (°)")
    ax.set_title(f"E→E weights at {s['time'] / 1000:g} s")


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
        lines.append("E→E weight per |dPO| bin 0-30, 30-60, 60-90°: before " + " ".join(f"{x:.3f}" for x in b)
                     + ", after " + " ".join(f"{x:.3f}" for x in a) + " mV")
    except ValueError:
        pass
    medians = []
    for phase in ("tuning_before", "tuning_after"):
        try:
            angles, rates = tuning.tuning_curves(run_dir, phase)
        except ValueError:
            continue
        medians.append(f"{phase.split('_')[1]} {np.nanmedian(tuning.osi(angles, rates)[0][: _n_e(run_dir)]):.3f}")
    if medians:
        lines.append("median OSI of E cells: " + ", ".join(medians))
    return lines


def _raster(ax, run_dir, phase, title):
    from ...analysis.spikes import read_spikes
    seg = tuning.read_protocol(run_dir)
    k = np.flatnonzero(seg["phase"] == phase)
    if not len(k):
        raise NothingToPlot(f"{run_dir}: the run has no {phase}")
    t0, t1 = seg["t0"][k[0]], seg["t0"][k[0]] + seg["length"][k[0]]
    t, gid = read_spikes(run_dir, (t0 / 1000.0, t1 / 1000.0))
    n_e = _n_e(run_dir)
    e = gid < n_e
    ax.plot((t[e] - t0) / 1000.0, gid[e], ".", ms=0.8, color="tab:red", rasterized=True)
    ax.plot((t[~e] - t0) / 1000.0, gid[~e], ".", ms=0.8, color="tab:blue", rasterized=True)
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
    panels = [(lambda ax: _raster(ax, run, "test_before", "test at 90°, before learning")),
              (lambda ax: _raster(ax, run, "test_after", "test at 90°, after learning")),
              (lambda ax: draw_block_rates(ax, run)), (lambda ax: draw_tuning(ax, run)),
              (lambda ax: draw_matrix(ax, run, 0)), (lambda ax: draw_matrix(ax, run, -1)),
              (lambda ax: draw_weights_dpo(ax, run, "EE")), (lambda ax: draw_dpo_bins(ax, run)),
              (lambda ax: draw_weights_dpo(ax, run, "EI")), (lambda ax: draw_weights_dpo(ax, run, "IE")),
              (lambda ax: draw_osi(ax, run))]
    for ax, draw in zip(axes.flat, panels):
        draw(ax)
    letter_panels(list(axes.flat)[:len(panels)])
    axes.flat[-1].axis("off")
    fig.suptitle("Sadeh, Clopath & Rotter (2015) in netcol: emergence of feature-specific connectivity")
    return save(fig, Path(folder) / f"figure{number}", runs=[run], dpi=dpi)
