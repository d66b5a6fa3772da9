"""Figures without defects (issue 29, part 3): the PREVIEW stamp, panel letters and the
report's headline clear of every axis's labels; large rasters drawn from a sample of
cells; a shortened run's figures show only what ran; a shortened run's raster says what
was run instead of a PREVIEW stamp."""
import warnings

import numpy as np
import pytest

from helpers import run_cli as netcol

#: A column run with everything the report draws (records, scaling from 2 s, a learning
#: window and training), cut short of its experiment's 9600 s: a preview.
COLUMN_SETS = {"duration": 8, "learn_start": 2, "learn_end": 6, "scaling_start": 2, "recording_interval": 1,
               "recording_start": 1, "block": 1}
#: A sadeh2015 run of 4 learning blocks (28 s in all) stopped after 14 s: 2 blocks ran.
SADEH_SETS = {"blocks": 4, "duration": 14}


def _run(base, experiment, sets):
    out = base / experiment
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    r = netcol("run", experiment, *args, "--out", str(out), "--quiet", "--no-figure")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def column_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("fig"), "trainingandscaling", COLUMN_SETS)


@pytest.fixture(scope="module")
def sadeh_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("fig"), "sadeh2015", SADEH_SETS)


@pytest.fixture
def drawn(monkeypatch):
    """The figures that report() and plot_what() would save, laid out and stamped as
    save() does, instead of written."""
    from netcol.views import figstyle, plots
    figs = []

    def keep(fig, base, runs=(), dpi=100, stamp=True):
        figstyle.finish(fig, runs if stamp else ())
        fig.canvas.draw()
        figs.append(fig)
        return []
    monkeypatch.setattr(plots, "save", keep)
    yield figs
    for fig in figs:
        figstyle.pyplot().close(fig)


def _labels(fig):
    """(what, window extent) of every tick label, axis label, title and legend."""
    r = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        ticks = [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1] + \
                [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]   # those drawn
        texts = [*ticks, ax.xaxis.label, ax.yaxis.label, ax.title, ax._left_title, ax._right_title]
        out += [(f"{t.get_text()!r} of {ax.get_label() or ax}", t.get_window_extent(r)) for t in texts
                if t.get_visible() and t.get_text()]
        if ax.get_legend() is not None:
            out.append((f"legend of {ax}", ax.get_legend().get_window_extent(r)))
    return out


def _texts(fig, gid):
    return [t for t in [*fig.texts, *(t for ax in fig.axes for t in ax.texts)] if t.get_gid() == gid]


def _clear_of_labels(fig, text):
    r = fig.canvas.get_renderer()
    box = text.get_window_extent(r)
    hits = [what for what, b in _labels(fig) if b.overlaps(box)]
    assert hits == [], f"{text.get_text()!r} overlaps {hits}"


def test_the_reports_stamp_letters_and_headline_cover_no_label(column_run, drawn):
    from netcol.views import figstyle, plots
    plots.report(column_run)
    fig = drawn[0]
    stamp, = _texts(fig, "netcol-preview")
    assert stamp.get_text() == "PREVIEW: trainingandscaling run for 8 of 9600 s"
    _clear_of_labels(fig, stamp)
    r = fig.canvas.get_renderer()
    for ax in fig.axes:   # above everything else
        assert stamp.get_window_extent(r).y0 >= ax.get_tightbbox(r).y1 - 1
    letters = _texts(fig, figstyle.LETTER_GID)
    assert [t.get_text() for t in letters] == list("ABCDEF")
    for letter in letters:
        _clear_of_labels(fig, letter)
    headline, = _texts(fig, "netcol-headline")
    _clear_of_labels(fig, headline)
    text_ax = headline.axes
    for ax in fig.axes:
        if ax is not text_ax:
            assert not headline.get_window_extent(r).overlaps(ax.get_tightbbox(r)), ax


def test_the_columns_report_panels(column_run, drawn):
    from matplotlib.colors import to_hex
    from netcol.views import figstyle, plots
    plots.report(column_run)
    fig = drawn[0]
    rates, raster, activity, scale = fig.axes[1:5]
    lines = plots.headline(column_run)
    assert "rates 4-8 s:" in "\n".join(lines) and rates.get_title(loc="left").startswith("rates 4–8 s")
    legend = [t.get_text() for t in rates.get_legend().get_texts()]   # the class colours, named
    assert legend == ["E", "FS", "LTS"]
    bars = {to_hex(p.get_facecolor()) for p in rates.patches}
    assert bars == {figstyle.E_COLOUR.lower(), figstyle.I_COLOURS[0].lower(), figstyle.I_COLOURS[1].lower()}
    handles = activity.get_legend().legend_handles
    labels = [h.get_label() for h in handles]
    assert any(label.endswith("goal (mean)") for label in labels)         # the scaling's goal is drawn
    spans = {h.get_label(): to_hex(h.get_facecolor()) for h in handles if h.get_label() in ("learning", "training")}
    assert len(spans) == 2 and spans["learning"] != spans["training"]    # two swatches that differ
    ticks = [t.get_text() for t in scale.get_yticklabels() if t.get_text()]
    assert ticks and all(len(t.split(".")[-1]) <= 3 for t in ticks), ticks


def test_a_shortened_runs_raster_says_what_ran_instead_of_preview(column_run, drawn):
    from netcol.views import plots
    plots.plot_what(column_run, "raster")
    fig = drawn[0]
    assert _texts(fig, "netcol-preview") == []
    assert fig.axes[0].get_title(loc="left").startswith(
        "8 s of trainingandscaling (cut from its 9600 s with --set duration)")


def test_spectra_have_panel_letters(column_run, drawn):
    from netcol.views import figstyle, plots
    plots.plot_what(column_run, "spectra")
    assert [t.get_text() for t in _texts(drawn[0], figstyle.LETTER_GID)] == ["A", "B"]


def test_a_large_raster_is_drawn_from_a_sample_of_cells(monkeypatch):
    """10,000 cells firing 2 M spikes: RASTER_CELLS evenly spaced cells are drawn, every
    spike of theirs and none of the others', rasterised, and the title says so."""
    from netcol.analysis import spikes as analysis
    from netcol.views import figstyle, plots
    n, rng = 10_000, np.random.default_rng(1)
    gid = rng.integers(0, n, 2_000_000)
    t = np.sort(rng.uniform(0, 20_000.0, len(gid)))
    nodes = {"type": np.where(np.arange(n) < 8000, "E", "I"), "cell_class": np.where(np.arange(n) < 8000, "E", "I"),
             "excitatory": np.arange(n) < 8000}
    monkeypatch.setattr(analysis, "read_nodes", lambda d: nodes)
    monkeypatch.setattr(analysis, "read_spikes", lambda d, w=None: (t, gid))
    monkeypatch.setattr(analysis, "run_end", lambda d: 20.0)
    fig, ax = figstyle.pyplot().subplots(figsize=(10, 5))
    drawn = plots.draw_raster(ax, "/nonexistent/big")
    sample = plots.raster_sample(n)
    assert len(sample) == plots.RASTER_CELLS == 1000 and len(np.unique(sample)) == 1000
    assert np.array_equal(sample, plots.raster_sample(n))               # the same cells every time
    lines = [line for line in ax.lines if len(line.get_xdata())]
    points = np.concatenate([line.get_ydata() for line in lines])
    assert drawn == len(points) == np.isin(gid, sample).sum()            # their spikes, only theirs
    assert set(np.unique(points).astype(int)) <= set(sample.tolist())
    assert 150_000 < len(points) < 250_000                               # a tenth of the spikes
    assert all(line.get_rasterized() for line in lines)
    assert "1,000 of 10,000 cells drawn" in ax.get_title(loc="left")
    figstyle.pyplot().close(fig)


def test_a_shortened_sadeh_run_shows_only_what_ran(sadeh_run, drawn):
    from netcol.models.sadeh2015 import figures, tuning
    from netcol.views import plots
    blocks, e, i = tuning.block_rates(sadeh_run)
    assert blocks.tolist() == [0, 1] and (e > 1).all()                    # 2 of 4 blocks ran, none as 0 Hz
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        lines = "\n".join(plots.headline(sadeh_run))
        plots.report(sadeh_run)
    assert "nan" not in lines and "after learning" not in lines and "2 of 4 blocks ran" in lines
    fig = drawn[0]
    blocks_ax, bins_ax = fig.axes[3:5]
    drawn_blocks = [line.get_xdata() for line in blocks_ax.lines if line.get_marker() == "o"]
    assert [list(x) for x in drawn_blocks] == [[1, 2], [1, 2]]            # E and I, blocks 1 and 2 only
    labels = [t.get_text() for t in bins_ax.get_legend().get_texts()]
    assert labels == ["before learning", "at 12 s, after 1 of 4 learning blocks"]
    assert _texts(fig, "netcol-preview")[0].get_text() == "PREVIEW: sadeh2015 run for 14 of 28 s"
    with pytest.raises(plots.NothingToPlot):                              # no tuning after learning
        figures._raster(fig.axes[0], sadeh_run, "test_after", "")


def figstyle_pyplot():
    from netcol.views import figstyle
    return figstyle.pyplot()


def _fake_run(monkeypatch, n, spikes, protocol=None):
    """The sadeh2015 and vogels2011 rasters' reads of a run of n cells (the first 80 % E):
    spikes(t0_s, t1_s) gives (t in ms, gid); protocol the sadeh2015 segments."""
    from netcol.analysis import spikes as analysis
    from netcol.models.sadeh2015 import tuning
    nodes = {"excitatory": np.arange(n) < 0.8 * n}
    monkeypatch.setattr(analysis, "read_nodes", lambda d, population=None: nodes)
    monkeypatch.setattr(analysis, "read_spikes", lambda d, w=None, population=None: spikes(*w))
    if protocol is not None:
        monkeypatch.setattr(tuning, "read_protocol", lambda d: protocol)
        monkeypatch.setattr(tuning, "reached_ms", lambda d: float(protocol["t0"][-1] + protocol["length"][-1]))


def _sparser_after(n, split_s, rng):
    """Every cell fires before split_s; after it only cells n/5 to 3n/4 (a sparser
    response, as after learning or plasticity)."""
    def spikes(t0, t1):
        if t1 <= split_s:
            gid = rng.integers(0, n, 20 * n)
        else:
            gid = rng.integers(n // 5, 3 * n // 4, 2 * n)
        return np.sort(rng.uniform(t0 * 1000.0, t1 * 1000.0, len(gid))), gid
    return spikes


def _same_cell_axes(before, after, n, length):
    assert before.get_ylim() == after.get_ylim()             # the two rasters compare
    assert np.allclose([before.get_xlim(), after.get_xlim()], [0.0, length])
    lo, hi = before.get_ylim()
    assert lo < 0 and n - 1 < hi <= n                        # every cell, nothing beyond


def test_sadeh_rasters_before_and_after_learning_show_every_cell(monkeypatch):
    """Panels A and B of figure 1 on the same axes, all cells and the whole test, although
    after learning the lowest and highest cells stay silent (the old rasters took their
    ranges from the spikes: B started at the first cell that fired)."""
    from netcol.models.sadeh2015 import figures
    n, rng = 500, np.random.default_rng(3)
    protocol = {"phase": np.array(["test_before", "learning", "test_after"]), "t0": np.array([0.0, 2000.0, 4000.0]),
                "length": np.array([2000.0, 2000.0, 2000.0])}
    _fake_run(monkeypatch, n, _sparser_after(n, 2.0, rng), protocol)
    fig, (a, b) = figstyle_pyplot().subplots(1, 2)
    figures._raster(a, "/nonexistent/sadeh", "test_before", "before")
    figures._raster(b, "/nonexistent/sadeh", "test_after", "after")
    _same_cell_axes(a, b, n, 2.0)
    figstyle_pyplot().close(fig)


def test_vogels_rasters_before_and_after_plasticity_show_every_cell_drawn(monkeypatch):
    from netcol.models.vogels2011 import figures
    n, rng = 2000, np.random.default_rng(4)
    _fake_run(monkeypatch, n, _sparser_after(1000, 1.0, rng))
    fig, (a, b) = figstyle_pyplot().subplots(1, 2)
    figures._raster(a, "/nonexistent/vogels", 0.8, 1.0, "before")
    figures._raster(b, "/nonexistent/vogels", 59.8, 60.0, "after")
    _same_cell_axes(a, b, 1000, 200.0)
    assert a.get_ylabel() == "E cell (first 1000 of 1600)"
    figstyle_pyplot().close(fig)


def _empty_ends(ax, lo, hi, log=False):
    """Shares of the x axis left of lo and right of hi (the data's extent), in log
    coordinates with log."""
    f = np.log10 if log else (lambda x: x)
    x0, x1 = (f(x) for x in ax.get_xlim())
    return (f(lo) - x0) / (x1 - x0), (x1 - f(hi)) / (x1 - x0)


def test_vogels_isi_cv_fills_its_range_and_keeps_the_legend_off_the_data(monkeypatch, tmp_path):
    """Figure 1, panel D: the x axis ends a bin above the CVs (it ran to 3 while they end
    near 1.6: half the axis was empty), cells beyond it are counted, and the legend sits
    above the panel (inside it covered the Poisson line at 1)."""
    from netcol.models.vogels2011 import figures
    rng = np.random.default_rng(5)
    before = rng.uniform(0.0, 0.03, 8000)
    after = np.concatenate([np.clip(rng.normal(0.95, 0.15, 7999), 0.3, None), [2.9]])   # one outlier
    monkeypatch.setattr(figures, "_windows", lambda d: ((0.5, 1.0), (50.0, 60.0)))
    monkeypatch.setattr(figures.activity, "isi_cv", lambda d, t0, t1: before if t1 <= 1.0 else after)
    fig, ax = figstyle_pyplot().subplots(figsize=(5, 4))
    figures.draw_isi_cv(ax, tmp_path)
    fig.canvas.draw()
    x1 = ax.get_xlim()[1]
    shown = after[after <= x1]
    left, right = _empty_ends(ax, 0.0, shown.max())
    assert left <= 0.01 and right <= 0.1, (ax.get_xlim(), shown.max())
    assert 1.0 < x1 < 2.0                                     # the Poisson line inside, the outlier not
    beyond = int((after > x1).sum())
    assert beyond >= 1 and ax.get_xlabel() == f"ISI CV of E cells ({beyond} of them beyond the range shown)"
    r = fig.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(r).y0 >= ax.bbox.y1 - 1
    figstyle_pyplot().close(fig)


def test_vogels_weight_histogram_spans_the_weights(monkeypatch, tmp_path):
    """Figure 1, panel E: the log x axis ends near the largest weight (its bins ran to
    100 nS while the weights end near 20: a seventh of the axis was empty)."""
    from netcol.models.vogels2011 import figures
    rng = np.random.default_rng(6)
    w = np.concatenate([np.zeros(30_000), np.exp(rng.normal(0.5, 1.5, 300_000)).clip(1e-3, 19.0)])
    edges = np.concatenate([[0.0], np.logspace(-3, 2, 50)])
    monkeypatch.setattr(figures.activity, "snapshot", lambda d, which: w)
    monkeypatch.setattr(figures.activity, "records", lambda d: {"edges": edges})
    fig, ax = figstyle_pyplot().subplots(figsize=(5, 4))
    figures.draw_weight_hist(ax, tmp_path)
    counts = np.histogram(w, edges)[0]
    held = np.flatnonzero(counts)
    left, right = _empty_ends(ax, max(edges[held[0]], 1e-4), edges[held[-1] + 1], log=True)
    assert left <= 0.1 and right <= 0.1, ax.get_xlim()
    figstyle_pyplot().close(fig)
