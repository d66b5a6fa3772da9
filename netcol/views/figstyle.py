"""How netcol's figures look, for every model: a journal style (readable sizes, no offset
notation), Okabe & Ito's colour-blind-safe colours, PNG at 300 dpi beside the vector PDF,
panel letters, the protocol's events marked on time courses (read from the run's
timeline.csv), and a stamp on every analysis figure of a preview run (one whose duration
was cut short of its experiment's).  :func:`save` lays a figure out first and then puts
the letters and the stamp where they cover nothing.
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
#: How spans are drawn: label -> (colour, alpha, (bottom, top) in axes fractions); the
#: learning window shades the panel, training is a band along its top (the two often
#: coincide, and each stays visible).
SPANS = {"learning": ("#56B4E9", 0.2, (0.0, 1.0)), "training": ("#E69F00", 0.9, (0.965, 1.0))}


#: Okabe & Ito's colours, distinct for readers with any of the common colour-vision
#: deficiencies (checked for deuteranopia, protanopia and tritanopia).
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "black": "#000000"}
#: Excitatory and inhibitory cells in every figure; a second and further inhibitory
#: classes (the column's LTS cells) take the next ones.
E_COLOUR, I_COLOUR = OKABE_ITO["vermillion"], OKABE_ITO["blue"]
I_COLOURS = (I_COLOUR, OKABE_ITO["bluish green"], OKABE_ITO["reddish purple"], OKABE_ITO["sky blue"],
             OKABE_ITO["orange"])
#: Before and after (learning, plasticity) in every figure.
BEFORE, AFTER = "0.55", E_COLOUR
#: The preview stamp's colour.
STAMP_COLOUR = OKABE_ITO["vermillion"]


def pyplot():
    """matplotlib.pyplot without a display, with :data:`STYLE` applied."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update(STYLE)
    return plt


def save(fig, base, runs=(), dpi=DPI, stamp=True):
    """Lay the figure out, place its panel letters and (with stamp, for previews among
    runs) the PREVIEW stamp in free space above everything; write base.png (at dpi) and
    base.pdf; return the paths."""
    base = Path(base)
    paths = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    claim_paths(paths)
    finish(fig, runs if stamp else ())
    for p in paths:
        fig.savefig(p, dpi=dpi)
    pyplot().close(fig)
    return paths


def finish(fig, runs=()):
    """Lay out fig (tight layout), move each panel letter clear of its panel's title and
    legend, lay out again, and stamp previews among runs (see :func:`stamp_preview`)."""
    import warnings
    with warnings.catch_warnings():   # axes that tight_layout cannot fit are left as they are
        warnings.simplefilter("ignore", UserWarning)
        fig.tight_layout()
        if place_letters(fig):
            fig.tight_layout()
    notes = [n for n in (preview_note(r) for r in runs) if n]
    return stamp_preview(fig, "PREVIEW: " + "; ".join(notes)) if notes else None


def stamp_preview(fig, text):
    """The preview stamp, placed after layout above everything the figure draws (the
    saved file's tight bounding box grows to hold it), so it covers nothing."""
    from matplotlib.transforms import Bbox
    renderer = fig.canvas.get_renderer()
    box = Bbox.union([a.get_tightbbox(renderer) for a in fig.axes if a.get_visible()] +
                     [t.get_window_extent(renderer) for t in fig.texts if t.get_visible() and t.get_text()])
    x = box.x1 / fig.dpi
    y = box.y1 / fig.dpi + 0.06
    return fig.text(x, y, text, ha="right", va="bottom", fontsize=9, color=STAMP_COLOUR, fontweight="bold",
                    transform=fig.dpi_scale_trans, gid="netcol-preview")


def durations(run_dir):
    """(experiment, simulated s, the experiment's full s, whether --set duration cut it
    short) of a run; None when run.json or the experiment file is gone.  An experiment
    whose file leaves the duration to its protocol (duration = 0) gets it from its model's
    check_experiment, with the run's other settings."""
    from ..io.rundir import read_run_json
    from ..config.schema import read_toml
    try:
        meta = read_run_json(run_dir)
        full = read_toml(meta["source"]).get("duration")
    except Exception:   # a run folder without run.json or a moved experiment file: no claim
        return None
    run = meta["params"]["duration"]
    if not full:
        full = _protocol_duration(meta)
    shortened = "duration" in meta.get("sets", {}) and bool(full) and run < full
    return meta["experiment"], run, full or run, shortened


def _protocol_duration(meta):
    """The whole protocol's length of a run whose experiment leaves it to the model."""
    from ..models import DEFAULT_MODEL, model
    params = dict(meta["params"], duration=0.0)
    package = model(meta.get("model", DEFAULT_MODEL))
    try:   # the protocol's length does not depend on the network: the model's own serves
        package.check_experiment(params, package.load_network({}), meta["source"])
    except Exception:   # settings the checks refuse now: no claim
        return None
    return params["duration"] or None


def preview_note(run_dir):
    """'NAME run for D of F s' when the run's duration was set shorter than its
    experiment's, 'NAME unfinished at T of D s' when the run has not (yet) reached its
    duration; None otherwise, or when the experiment file is gone."""
    from ..io.rundir import read_run_json
    d = durations(run_dir)
    if d is None:
        return None
    experiment, run, full, shortened = d
    if read_run_json(run_dir).get("status") != "complete":   # running, stopped or failed
        from ..analysis.spikes import run_end
        return f"{experiment} unfinished at {run_end(run_dir):g} of {run:g} s"
    return f"{experiment} run for {run:g} of {full:g} s" if shortened else None


def run_caption(run_dir):
    """What was run, for a figure's title: '20 s of baseline (cut from its 60 s with --set
    duration)', or '60 s of baseline'."""
    d = durations(run_dir)
    if d is None:
        return Path(run_dir).name
    experiment, run, full, shortened = d
    return f"{run:g} s of {experiment}" + (f" (cut from its {full:g} s with --set duration)" if shortened else "")


#: Panel letters' gid, by which :func:`place_letters` finds them.
LETTER_GID = "netcol-panel-letter"


def letter_panels(axes):
    """Bold letters A, B, ... at the top left of each axes, in order (:func:`save` moves
    each clear of its panel's title and legend after layout)."""
    for k, ax in enumerate(axes):
        ax.text(-0.12, 1.04, chr(ord("A") + k), transform=ax.transAxes, fontsize=12, fontweight="bold", va="bottom",
                gid=LETTER_GID)


def place_letters(fig):
    """Put every panel letter at its panel's left edge (that of its y-axis labels) on the
    title line, or above the title and legend where they reach that far left; placed in
    points from the axes corner, so a new layout keeps them there.  Returns whether any
    letter was found."""
    from matplotlib.transforms import offset_copy
    renderer = fig.canvas.get_renderer()
    found = False
    for ax in fig.axes:
        letters = [t for t in ax.texts if t.get_gid() == LETTER_GID]
        if not letters:
            continue
        found = True
        letter = letters[0]
        corner = ax.transAxes.transform((0.0, 1.0))
        left = min(ax.bbox.x0, ax.yaxis.get_tightbbox(renderer).x0 if ax.yaxis.get_visible() and ax.axison
                   else ax.bbox.x0)
        letter.set_transform(offset_copy(ax.transAxes, fig, x=(left - corner[0]) * 72 / fig.dpi, y=3, units="points"))
        letter.set_position((0.0, 1.0))
        letter.set_ha("left")
        letter.set_va("bottom")
        # a y label longer than its axis reaches above it, into the letter's place
        above = [a for a in (ax.title, ax._left_title, ax._right_title, ax.get_legend(), ax.yaxis.label)
                 if a is not None and a.get_visible() and (not hasattr(a, "get_text") or a.get_text())]
        box = letter.get_window_extent(renderer)
        blocking = [a.get_window_extent(renderer) for a in above]
        blocking = [b for b in blocking if b.overlaps(box) or (b.x0 < box.x1 and b.y1 > box.y0 and b.y0 < box.y1)]
        if blocking:
            top = max(b.y1 for b in blocking)
            letter.set_transform(offset_copy(ax.transAxes, fig, x=(left - corner[0]) * 72 / fig.dpi,
                                             y=(top - corner[1]) * 72 / fig.dpi + 2, units="points"))
    return found


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
            colour, alpha, (y0, y1) = SPANS.get(label, ("0.85", 0.5, (0.0, 1.0)))
            ax.axvspan(opened.pop(label), x, ymin=y0, ymax=y1, color=colour, alpha=alpha, lw=0,
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


def legend_above(ax, ncol=2, **kw):
    """The axes' legend in a band above it, clear of the data and the ticks (for panels
    without a title; :func:`save` puts the panel letter above it)."""
    return ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, borderaxespad=0.0,
                     **{"fontsize": 7, **kw})


def spread(positions, gap, low=None, high=None):
    """Positions moved apart as little as needed to be at least gap apart, in their
    order (for labels beside an axis), kept within [low, high] where given."""
    import numpy as np
    y = np.asarray(positions, float)
    order = np.argsort(y, kind="stable")
    out = y[order].copy()
    for k in range(1, len(out)):
        out[k] = max(out[k], out[k - 1] + gap)
    if high is not None and len(out) and out[-1] > high:
        out[-1] = high
        for k in range(len(out) - 2, -1, -1):
            out[k] = min(out[k], out[k + 1] - gap)
    if low is not None and len(out) and out[0] < low:
        out += low - out[0]
    result = np.empty_like(out)
    result[order] = out
    return result
