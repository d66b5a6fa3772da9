"""How netcol's figures look, for every model: a journal style (readable sizes, no offset
notation), PNG at 300 dpi beside the vector PDF, panel letters, the protocol's events
marked on time courses (read from the run's timeline.csv), and a mark on every figure
of a preview run (one whose duration was cut short of its experiment's).
"""
from pathlib import Path

from ..io.rundir import claim_paths

#: matplotlib settings of every netcol figure.
STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "xtick.labelsize": 8,
         "ytick.labelsize": 8, "axes.formatter.useoffset": False, "axes.spines.top": False,
         "axes.spines.right": False, "legend.frameon": False, "savefig.bbox": "tight"}
#: Resolution of the PNG files (the PDF is vector).
DPI = 300

#: Timeline events drawn on time courses: name -> (kind, label).  Spans run from an
#: opening to its closing event; lines mark a moment; ticks mark a repeated event.
MARKED = {"stdp window opens": ("open", "learning"), "stdp window closes": ("close", "learning"),
          "training starts": ("open", "training"), "training stops": ("close", "training"),
          "scaling on": ("line", "scaling on"), "plasticity on": ("line", "plasticity on"),
          "deletion round": ("tick", "deletion rounds")}


def pyplot():
    """matplotlib.pyplot without a display, with :data:`STYLE` applied."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update(STYLE)
    return plt


def save(fig, base, runs=(), dpi=DPI):
    """Write base.png (at dpi) and base.pdf, marking previews among runs; return the paths."""
    notes = [n for n in (preview_note(r) for r in runs) if n]
    if notes:
        fig.text(0.995, 0.005, "PREVIEW: " + "; ".join(notes), ha="right", va="bottom", fontsize=9, color="tab:red",
                 fontweight="bold")
    base = Path(base)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    claim_paths(paths)
    fig.tight_layout()
    for p in paths:
        fig.savefig(p, dpi=dpi)
    pyplot().close(fig)
    return paths


def preview_note(run_dir):
    """'NAME: D of F s' when the run's duration was set shorter than its experiment file's
    (None otherwise, or when the file is gone)."""
    from ..io.rundir import read_run_json
    from ..config.schema import read_toml
    try:
        meta = read_run_json(run_dir)
        full = read_toml(meta["source"]).get("duration")
    except Exception:   # a run folder without run.json or a moved experiment file: no claim
        return None
    run = meta["params"]["duration"]
    if "duration" in meta.get("sets", {}) and full and run < full:
        return f"{meta['experiment']} run for {run:g} of {full:g} s"
    return None


def letter_panels(axes, x=-0.12, y=1.04):
    """Bold letters A, B, ... at the top left of each axes, in order."""
    for k, ax in enumerate(axes):
        ax.text(x, y, chr(ord("A") + k), transform=ax.transAxes, fontsize=12, fontweight="bold", va="bottom")


def protocol_events(run_dir):
    """The run's timeline as [(time in s, name)], [] without a timeline.csv."""
    path = Path(run_dir) / "timeline.csv"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines()[1:]:
        t, _, name = line.partition(",")
        out.append((float(t), name))
    return out


def mark_protocol(ax, run_dir, scale=1.0):
    """Shade learning windows, draw lines at switches and ticks at deletion rounds on a
    time course whose x axis is time in seconds / scale."""
    events = protocol_events(run_dir)
    opened, ticks, labelled = {}, [], set()
    for t, name in events:
        kind, label = MARKED.get(name, (None, None))
        x = t / scale
        if kind == "open":
            opened[label] = x
        elif kind == "close" and label in opened:
            ax.axvspan(opened.pop(label), x, color="0.85", alpha=0.5, lw=0,
                       label=label if label not in labelled else None)
            labelled.add(label)
        elif kind == "line":
            ax.axvline(x, color="0.35", ls=":", lw=1, label=label if label not in labelled else None)
            labelled.add(label)
        elif kind == "tick":
            ticks.append(x)
    if ticks:
        ax.plot(ticks, [1.0] * len(ticks), "v", ms=3, color="0.3", transform=ax.get_xaxis_transform(),
                clip_on=False, label="deletion rounds")
