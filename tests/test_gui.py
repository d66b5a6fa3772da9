"""The NEURON GUI under Xvfb: windows, a live raster, controls; headless runs never use it."""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import REPO, in_fresh_process, NETCOL

pytestmark = pytest.mark.gui


def _have_xvfb():
    if shutil.which("Xvfb"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):   # install it for the test, if we may
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "xvfb"], capture_output=True)
    return shutil.which("Xvfb") is not None


def _xvfb(size, dpi=None):
    if not _have_xvfb():
        pytest.skip("Xvfb is not installed and could not be installed (needs root and apt-get)")
    for n in range(90, 120):
        if not os.path.exists(f"/tmp/.X{n}-lock"):
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{size}x24", *(["-dpi", str(dpi)] if dpi else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc, f":{n}"


@pytest.fixture(scope="module")
def display():
    proc, name = _xvfb("1600x1000")
    yield name
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["1366x768", "1920x1080"])
def screen(request):
    """A virtual display of an ordinary screen's size."""
    proc, name = _xvfb(request.param)
    yield name, tuple(int(v) for v in request.param.split("x"))
    proc.terminate()
    proc.wait(timeout=10)


#: Okabe & Ito's vermillion and blue (E and FS marks), as netcol's figures.
VERMILLION, BLUE = (213, 94, 0), (0, 114, 178)


def test_gui_windows_live_raster_and_screenshot(screen, tmp_path):
    from PIL import ImageGrab
    display, size = screen
    proc = subprocess.Popen([*NETCOL, "gui", "baseline", "--set", "duration=1", "--run", "1", "--browse", "282",
                             "--hold", "60"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, DISPLAY=display))
    try:
        summary = json.loads(proc.stdout.readline())
        time.sleep(1.0)
        shot = ImageGrab.grab(xdisplay=display)
        shot.save(tmp_path / "gui.png")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    names = summary["windows"]
    assert "netcol controls" in names                               # with the run control
    assert sum(n.startswith("Graph") for n in names) == 5          # raster, rates, browser (3)
    assert summary["t"] == 1000.0 and summary["spikes"] > 500
    assert summary["raster_marks"] == summary["spikes"]             # every spike drawn
    assert shot.size == size
    px = shot.convert("RGB").load()
    w, hgt = shot.size
    colours = {px[x, y] for x in range(0, w, 2) for y in range(0, hgt, 2)}
    for colour in (VERMILLION, BLUE):                               # E and FS marks on screen
        assert any(max(abs(a - b) for a, b in zip(c, colour)) <= 2 for c in colours), colour   # X rounds
    assert (tmp_path / "gui.png").stat().st_size > 10000
    # every graph's time numbers whole: clear rows between them and the graph's bottom edge
    # (at 1366 x 768 the cell browser's numbers were cut off there); the browser's graphs'
    # just above it
    from netcol.views import guilayout as lay
    places = lay.tiles(size)
    browser = ("browser", "sensor", "scale")
    for name in ("raster", "rates") + browser:
        bottom, lowest = _canvas_bottom_and_lowest_ink(shot, places[name])
        assert lowest <= bottom - 2, (size, name, bottom, lowest)
        if name in browser:
            assert lowest >= bottom - 20, (size, name, bottom, lowest)   # the numbers are there


def _canvas_bottom_and_lowest_ink(shot, place):
    """A graph window's last row of its drawing area and the lowest row drawn in it
    (pixels of the screenshot), for the window placed at place (guilayout.tiles: left and
    top in pixels; no window manager under Xvfb)."""
    px = shot.convert("L").load()
    x, y, w, _ = place
    row = y + 45                    # below NEURON's bar and the window's menu box
    while px[x + 3, row + 1] >= 240:   # down the drawing area's white left edge
        row += 1
    dark = [r for r in range(y + 45, row + 1) for c in range(x + 3, x + int(w) - 3) if px[c, r] < 100]
    return row, max(dark)


def _window_boxes(dpi):
    """The column GUI's windows on a 1366 x 768 virtual screen of dpi dots per inch: each
    titled window's name (its kind: the controls or a Graph) and width x height + left + top,
    as xwininfo reports them."""
    proc_x, display = _xvfb("1366x768", dpi)
    try:
        gui = subprocess.Popen([*NETCOL, "gui", "baseline", "--set", "duration=1", "--hold", "30"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, DISPLAY=display))
        try:
            assert json.loads(gui.stdout.readline())["windows"]
            tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True,
                                  env=dict(os.environ, DISPLAY=display), check=True).stdout
        finally:
            gui.terminate()
            gui.wait(timeout=30)
    finally:
        proc_x.terminate()
        proc_x.wait(timeout=10)
    boxes = []
    for line in tree.splitlines():
        if '"NEURON")' in line:   # a NEURON window: '"title": ("title" "NEURON")  WxH+X+Y  +X+Y'
            title = line.split('"')[1]
            boxes.append(("controls" if title == "netcol controls" else title.split("[")[0],
                          line.split(")")[-1].split()[0]))
    return sorted(boxes)


def test_the_windows_keep_their_pixel_sizes_at_any_screen_resolution():
    """NEURON's windows are laid out in pixels: on a 96 and a 144 dpi screen (a desktop's and
    a high-resolution one's) the column GUI's windows have the places and sizes they have at
    Xvfb's 75 dpi, the tiles of netcol.views.guilayout, so the layout checked at 1366 x 768
    holds on a real desktop of that size."""
    if shutil.which("xwininfo") is None:
        pytest.skip("xwininfo is not installed")
    at75 = _window_boxes(75)
    assert [kind for kind, _ in at75] == ["Graph", "Graph", "controls"]   # the raster, the rates
    assert _window_boxes(96) == at75 and _window_boxes(144) == at75


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_windows_are_tiled_on_the_screen(size):
    """Every window of the column's GUI (and the population models', whose browser takes
    the right column) lies on the screen with room for a title bar, none over another."""
    from netcol.views import guilayout as lay
    for places in (lay.tiles(size), lay.tiles(size, below=())):
        boxes = []
        for name, place in places.items():
            x, y, w, h = place if len(place) == 4 else (*place, 0)
            right, bottom = x + w + (lay.FRAME if len(place) == 4 else 0), y + lay.BAR + h
            assert x >= 0 and y >= lay.TITLE_BAR and right <= size[0] and bottom <= size[1], (name, place)
            if len(place) == 4:
                assert w >= 200 and h >= 180, (name, place)
                boxes.append((name, x, y - lay.TITLE_BAR, right, bottom))
        for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
            for b, bx0, by0, bx1, by1 in boxes[i + 1:]:
                assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)
        assert places["controls"][0] + places["controls"][2] <= places["raster"][0]
        # the graphs with NEURON's axes have room for its numbers below them
        for name in ("raster", "rates") + (("browser",) if "sensor" not in places else ()):
            assert lay.numbers_fit_neuron_margin(places[name][3]), (name, places[name])


#: Data ranges the browser's graphs show: (x0, x1, lo, hi) as their axes follow a run.
BROWSER_RANGES = {"browser": [(0.0, 1000.0, -90.0, 0.0), (2000.0, 3000.0, -93.1, -27.4), (1000.0, 1999.5, -104.2, 35.9)],
                  "sensor": [(0.0, 2000.0, 0.0, 1.0), (0.0, 4000.0, 0.0, 0.1), (0.0, 3000.0, 0.0, 0.0125)],
                  "scale": [(0.0, 2000.0, -0.005, 0.005), (0.0, 4000.0, 0.0, 0.5), (0.0, 8000.0, -3.2, 0.1)]}


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_browsers_graphs_hold_their_axis_numbers(size):
    """The cell browser's three graphs (190 pt high at 1366 x 768: NEURON's margin of a
    twelfth is less than a line of its font, and its time numbers were cut off) draw their
    axes in frames whose margins hold the numbers where NEURON's fixed axes draw them, a
    view that puts the data in the data area, round numbers apart, and room above the
    data for their texts."""
    import math
    from netcol.models.rowan2013.gui import BROWSER_GRAPHS, browser_frames
    from netcol.views import guilayout as lay
    places = lay.tiles(size)
    frames = browser_frames(places)
    assert set(frames) == set(BROWSER_GRAPHS)
    for name in BROWSER_GRAPHS:
        frame = frames[name]
        assert (frame.width, frame.height) == places[name][2:]
        if size == (1366, 768):
            assert not lay.numbers_fit_neuron_margin(frame.height)   # why the frames
        for x0, x1, lo, hi in BROWSER_RANGES[name]:
            f = frame.layout(x0, x1, lo, hi)
            left, bottom, right, top = f["margins"]
            w, h = frame.width, frame.height
            # the view puts the data range exactly in the data area
            vx0, vx1, vy0, vy1 = f["view"]
            assert (x0 - vx0) / (vx1 - vx0) * w == pytest.approx(left)
            assert (vx1 - x1) / (vx1 - vx0) * w == pytest.approx(right)
            assert (lo - vy0) / (vy1 - vy0) * h == pytest.approx(bottom)
            assert (vy1 - hi) / (vy1 - vy0) * h == pytest.approx(top)
            assert h - bottom - top >= 80 and w - left - right >= 250       # a usable data area
            # x numbers: NEURON's fixed x axis draws them from half a line to a line and a
            # half below it; y numbers end 0.3 of their width left of the axis
            assert bottom - 1.5 * lay.FONT_LINE >= lay.CLEARANCE - 1e-9, (name, x0, x1, lo, hi)
            widest = max(lay.text_width(t) for t in f["ynumbers"])
            assert left - 1.3 * widest >= lay.CLEARANCE - 1e-9, (name, f["ynumbers"])
            # above the data: the texts' rows, clear of the top y number (centred on the edge)
            assert top >= frame.text_rows * lay.LABEL_PITCH + lay.FONT_LINE / 2
            # round numbers within the range, apart by at least the least spacing
            for (first, last, n), (a, b), room, least in ((f["xticks"], (x0, x1), w - left - right, lay.X_TICK_PT),
                                                          (f["yticks"], (lo, hi), h - bottom - top, lay.Y_TICK_PT)):
                step = (last - first) / n
                assert a - 1e-9 * abs(b - a) <= first < last <= b + 1e-9 * abs(b - a) and n >= 1
                mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
                assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5)) < 1e-6, step
                assert first / step == pytest.approx(round(first / step), abs=1e-6)
                assert step / (b - a) * room >= least - 1e-9 and n <= lay.MOST_TICKS
            assert len(f["ynumbers"]) == f["yticks"][2] + 1


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_browsers_legend_is_full_size_and_apart(size):
    """The components' names in the browser's legend: at full size (a scaled bitmap font
    loses pixel rows and columns: the names were mangled at 0.8), in their order, none over
    another at helvetica 14's widths (the wider of NEURON's two fonts), within the graph, in
    rows a line and a gap apart under the title, above the data area."""
    from netcol.models.rowan2013.gui import COMPONENTS, TEXT_LEFT, browser_frames, legend_labels
    from netcol.views import guilayout as lay
    frame = browser_frames(lay.tiles(size))["browser"]
    labels = legend_labels(frame)
    w, h = frame.width, frame.height
    assert [name for _, _, name, _, _ in labels] == [name for name, _, _ in COMPONENTS]
    assert [colour for *_, colour in labels] == [colour for _, _, colour in COMPONENTS]
    assert {scale for _, _, _, scale, _ in labels} == {1}
    tops = sorted({y * h for _, y, _, _, _ in labels}, reverse=True)
    assert 1 <= len(tops) <= 2 and len(tops) + 1 == frame.text_rows
    # the title's line, then the legend's rows, a pitch apart
    lines = [frame.text_y(0) * h] + tops
    assert all(a - b >= lay.LABEL_PITCH - 1e-9 for a, b in zip(lines, lines[1:]))
    # the last row's names clear of the data area and of the top y number, centred on its edge
    assert lines[0] <= h and lines[-1] - lay.FONT_LINE >= h - frame.top + lay.FONT_LINE / 2
    for top in tops:
        row = sorted((x * w, x * w + lay.text_width(name, lay.FONT_CHAR)) for x, y, name, _, _ in labels
                     if y * h == top)
        assert row[0][0] >= TEXT_LEFT * w - 1e-9 and row[-1][1] <= w
        assert all(b0 - a1 >= lay.LEGEND_GAP - 1e-9 for (_, a1), (b0, _) in zip(row, row[1:]))


def test_legend_rows_fill_few_even_rows():
    from netcol.views import guilayout as lay
    one = lay.text_width("AAAA", lay.FONT_CHAR)
    assert lay.legend_rows(["AAAA"] * 3, 0, 3 * one + 2 * lay.LEGEND_GAP) == [(0, 0), (0, one + lay.LEGEND_GAP),
                                                                            (0, 2 * (one + lay.LEGEND_GAP))]
    # room for three a row: five names in two rows, three and two, not four and one
    rows = lay.legend_rows(["AAAA"] * 5, 10, 10 + 4 * one + 3 * lay.LEGEND_GAP - 1)
    assert [r for r, _ in rows] == [0, 0, 0, 1, 1] and rows[3][1] == 10
    with pytest.raises(ValueError, match="does not fit"):
        lay.legend_rows(["AAAA"], 0, one - 1)


def delete_from_the_controls(engine):
    """Open the GUI on the baseline column on an engine, run 500 ms, delete 40 random cells
    with the control, run to 1000 ms; report the engine, the deleted cells and the spikes
    after deletion."""
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h, window_names
    h = neuron_h()
    exp = load_experiment("baseline", {"duration": 1, "engine": engine})
    assembly = assemble(exp, needs=("gui",))
    window = exp.package.open_gui(assembly)
    h.netcol_gui_random = 40
    h.stdinit()
    h.continuerun(500.0)
    marks_before = window.marks
    deleted = window.delete_random()
    h.continuerun(1000.0)
    t = window.tvec.as_numpy()
    ids = window.idvec.as_numpy().astype(int)
    after = [int(g) for g, tt in zip(ids, t) if tt > 500.0 and g in set(deleted)]
    return dict(engine=assembly.engine, deleted=sorted(deleted), spikes_after=after, marks_before=marks_before,
                marks=window.marks, windows=window_names())


@pytest.mark.parametrize("engine, used", [("auto", "rank"), ("cells", "cells")])
def test_deleting_cells_from_the_controls(display, engine, used):
    """On either engine (auto takes the rank engine for the GUI)."""
    env = dict(DISPLAY=display, NETCOL_GUI="1")
    r = in_fresh_process(delete_from_the_controls, env=env, engine=engine)
    again = in_fresh_process(delete_from_the_controls, env=env, engine=engine)
    assert r["engine"] == used
    assert again["deleted"] == r["deleted"]                         # picks keyed by the seed, not the clock
    assert len(r["deleted"]) == 40
    assert r["spikes_after"] == []                                  # deleted cells fall silent
    assert r["marks"] > r["marks_before"] > 0                       # the raster keeps drawing the others


#: A scaling-and-deletion protocol short enough for a test: scaling at 0.5 s, 20 cells deleted
#: every 0.5 s.
SHORT_PROTOCOL = {"duration": 2, "scaling_start": 0.5, "segment_length": 0.5, "deletion_step": 20}


def scheduled_protocol_from_the_gui():
    """Run to 1.9 s four times from init: without the experiment's protocol, twice with it,
    and without it again; report what each run did."""
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    exp = load_experiment("scalingwithdeletion", SHORT_PROTOCOL)
    assembly = assemble(exp, needs=("gui",))
    assert assembly.engine == "rank"   # engine = auto: the run's engine
    window = exp.package.open_gui(assembly)
    runs = []
    for protocol in (0, 1, 1, 0):
        h.netcol_gui_protocol = protocol
        h.scaling_NetcolIntf6 = 0   # by hand; the protocol switches it on at its time
        h.stdinit()
        h.continuerun(1900.0)
        dead = sorted(window.model.dead)
        spikes = sorted(zip(window.tvec.as_numpy().tolist(), window.idvec.as_numpy().astype(int).tolist()))
        runs.append(dict(dead=dead, scaling=h.scaling_NetcolIntf6, status=h.netcol_gui_status, spikes=spikes,
                         dead_after_last_round=sorted({g for t, g in spikes if g in set(dead) and t > 1500.0})))
    return runs


def test_the_experiments_protocol_runs_from_the_gui(display, tmp_path):
    import h5py
    off, first, again, off_again = in_fresh_process(scheduled_protocol_from_the_gui,
                                                    env=dict(DISPLAY=display, NETCOL_GUI="1"))
    sets = [a for k, v in SHORT_PROTOCOL.items() for a in ("--set", f"{k}={v}")]
    subprocess.run([*NETCOL, "run", "scalingwithdeletion", *sets, "--out", str(tmp_path / "r"), "--quiet",
                    "--no-figure"], cwd=REPO, check=True, capture_output=True)
    with h5py.File(tmp_path / "r" / "state.h5") as f:
        t, gids = f["deletions/time"][:], f["deletions/gid"][:]
    with h5py.File(tmp_path / "r" / "spikes.h5") as f:
        batch_spikes = int((f["spikes/column/timestamps"][:] < 1900.0).sum())
    assert len(first["dead"]) == 60 and first["dead"] == sorted(gids[t < 1900.0].tolist())   # the batch run's
    assert len(first["spikes"]) == batch_spikes                       # rounds and spikes
    assert first["scaling"] == 1 and "round 3, 410 alive, scaling on" in first["status"]
    assert first["dead_after_last_round"] == []                       # deleted cells fall silent
    assert again == first                                             # every init starts afresh,
    assert off_again == off and off["dead"] == [] and off["scaling"] == 0   # deleted cells back
    assert "protocol: off" in off["status"] and len(off["spikes"]) > len(first["spikes"])


def _lines(graph):
    """Every polyline of a NEURON Graph as (colour, xs, ys), in the order drawn."""
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    x, y, info = h.Vector(), h.Vector(), h.Vector()
    out, i = [], -1
    while True:
        i = int(graph.line_info(i, info))
        if i < 0:
            return out
        graph.getline(i - 1, x, y)   # getline(i) gives the line after i
        out.append((int(info.x[0]), x.to_python(), y.to_python()))


def _black_lines(graph):
    """The black segments of a NEURON Graph: [(x0, y0, x1, y1)], the browser's traces (a
    segment per tick), in the order drawn."""
    from netcol.views import guilayout as lay
    return [(xs[0], ys[0], xs[1], ys[1]) for colour, xs, ys in _lines(graph) if colour == lay.BLACK and len(xs) == 2]


def _cell_state(model, gid):
    """A local cell's core state by name on either engine, as a checkpoint takes it."""
    from netcol.cells.intf6 import cell_state
    engine = getattr(model, "engine", None)
    return engine.cell_states()[gid] if engine is not None else cell_state(model.local[gid])


def _browse_the_busiest_e_cell(window, until):
    """Run the GUI's column from init to until (ms), browse the live E cell that fired most
    and run again from init (the same spikes); return its gid."""
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    h.stdinit()
    h.continuerun(until)
    ids = window.idvec.as_numpy().astype(int)
    live_e = [g for g in window.model.local if window.model.type_name(g).startswith("E") and g not in window.model.dead]
    gid = max(live_e, key=lambda g: (int((ids == g).sum()), -g))
    window.browse(gid)
    h.stdinit()
    h.continuerun(until)
    return gid


def browser_over_a_run():
    """The short protocol (scaling on at 0.5 s) in the GUI: find the live E cell that fires
    most in 1.9 s, browse it, run again from init (the same spikes); report its spikes,
    the sensor's and the scale factor's graphs (their black segments), the read-out, the
    cell's last sensor, goal and scale and the mechanism's time constants."""
    import math
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    exp = load_experiment("scalingwithdeletion", SHORT_PROTOCOL)
    window = exp.package.open_gui(assemble(exp, needs=("gui",)))
    gid = _browse_the_busiest_e_cell(window, 1900.0)
    graphs, follows, _ = window.trace
    (_, sensor, scale) = graphs
    views = [dict(view=[g.view_info(0, k) for k in (5, 6, 7, 8)], font_line=g.view_info(0, 15),
                  frame=list(window.frames[name].layout(f.x[0], f.x[1], f.lo, f.hi)["view"]))
             for name, g, f in zip(("browser", "sensor", "scale"), graphs, follows)]
    window.model.catch_up(h.t)
    st = _cell_state(window.model, gid)
    t, ids = window.tvec.as_numpy(), window.idvec.as_numpy().astype(int)
    return dict(gid=gid, spikes=t[ids == gid].tolist(), sensor=_black_lines(sensor), scale=_black_lines(scale),
                views=views,
                readout=[h.netcol_gui_cell, h.netcol_gui_cell2, h.netcol_gui_cell3], t=h.t,
                activity=st["act"] * math.exp(-(h.t - st["tu"]) / h.act_tau_decay_NetcolIntf6), goal=st["goal"],
                sfac=st["sfac"], spkcnt=int(st["spkcnt"]), tau=h.act_tau_NetcolIntf6,
                tau_decay=h.act_tau_decay_NetcolIntf6)


def _sensor_hz(spikes, t, tau, tau_decay):
    """The activity sensor in Hz at t (ms) from the cell's spike times, by the spec's rule
    (../shared/spec/intf6.md section 10.1: decay with tau_decay, a <- a + (1 - a)/tau at a
    spike; a in spikes/ms)."""
    import math
    a, tu = 0.0, 0.0
    for ts in spikes:
        if ts > t:
            break
        a = a * math.exp(-(ts - tu) / tau_decay)
        a += (1.0 - a) / tau
        tu = ts
    return 1000.0 * a * math.exp(-(t - tu) / tau_decay)


def test_the_browser_shows_the_sensor_in_hz_as_the_run_goes(display):
    """The sensor's graph and read-out are the cell's sensor in Hz (1000 times the
    mechanism's spikes/ms, checked against the sensor rebuilt from the cell's spikes),
    drawn every TICK_MS through the run and changing at each spike; the scale factor's
    graph (s - 1, in ppm) and read-out show its change, which six digits of s would not."""
    import re
    from netcol.models.rowan2013.gui import PLOT_EVERY_MS, TICK_MS
    r = in_fresh_process(browser_over_a_run, env=dict(DISPLAY=display, NETCOL_GUI="1"))
    spikes, sensor, scale = r["spikes"], r["sensor"], r["scale"]
    assert len(spikes) >= 3 and r["spkcnt"] == len(spikes)
    # the graph: a point every tick from the first to the end of the run
    times = [x1 for _, _, x1, _ in sensor]
    assert times[0] == pytest.approx(2 * TICK_MS) and r["t"] - TICK_MS <= times[-1] <= r["t"]
    assert max(b - a for a, b in zip([TICK_MS] + times, times)) <= min(TICK_MS, PLOT_EVERY_MS) + 1e-9
    # each point is the sensor at its time, in Hz (graphs hold floats: 1e-6)
    for _, _, x1, y1 in sensor:
        assert y1 == pytest.approx(_sensor_hz(spikes, x1, r["tau"], r["tau_decay"]), rel=1e-6, abs=1e-12), x1
    assert sensor[-1][3] == pytest.approx(1000.0 * r["activity"], rel=1e-6)
    # it steps up in every tick that holds a spike (and decays slowly between): it changes
    # many times, not once
    rises = {x1 for x0, y0, x1, y1 in sensor if y1 > y0}
    assert rises == {x1 for x0, _, x1, _ in sensor if any(x0 < ts <= x1 for ts in spikes)}
    assert len(rises) >= 3 and len({y1 for _, _, _, y1 in sensor}) > 100
    # the read-out: the same value in Hz, the spikes, the rate so far, the goal
    cell, sensor_line, scale_line = (line.strip() for line in r["readout"])
    shown = re.fullmatch(r"gid (\d+) \(E\w+\): (\d+) spikes, (\S+) Hz so far", cell)
    assert shown and int(shown[1]) == r["gid"] and int(shown[2]) == len(spikes), cell
    assert float(shown[3]) == pytest.approx(len(spikes) / r["t"] * 1000.0, rel=5e-3)
    shown = re.fullmatch(r"sensor (\S+) Hz \((\S+)-s mean\), goal (\S+) Hz", sensor_line)
    assert shown, sensor_line
    assert float(shown[1]) == pytest.approx(1000.0 * r["activity"], rel=5e-3)   # three digits
    assert float(shown[2]) == r["tau_decay"] / 1000.0
    assert r["goal"] >= 0 and float(shown[3]) == pytest.approx(1000.0 * r["goal"], rel=5e-3)
    # the scale factor moves by far less than 1e-4 in 1.9 s: its graph and read-out show it
    assert 0 < abs(r["sfac"] - 1.0) < 1e-4
    assert scale[-1][3] == pytest.approx((r["sfac"] - 1.0) * 1e6, rel=1e-5)                  # in ppm
    assert len({y1 for _, _, _, y1 in scale}) > 10
    sign, size = re.fullmatch(r"scale factor 1 ([+-]) (\S+)", scale_line).groups()
    assert float(sign + size) == pytest.approx(r["sfac"] - 1.0, rel=5e-3)
    # the three graphs show their frames' views (NEURON's coordinates are floats), and
    # NEURON's label font is no taller than the frames allow for
    from netcol.views import guilayout as lay
    for v in r["views"]:
        assert v["view"] == pytest.approx(v["frame"], rel=1e-5, abs=1e-9)
        assert 0 < v["font_line"] <= lay.FONT_LINE


#: Scaling switched by hand in the engines' comparison: (time in ms, the window's control),
#: between the short protocol's switch-on and rounds (0.5 s, 1 s).
HAND_SWITCHES = ((700.0, "scaling_off"), (900.0, "scaling_on"))


def browser_on_an_engine(engine):
    """The short protocol in the GUI on an engine, scaling switched by hand at
    HAND_SWITCHES: browse the busiest live E cell of a first run over 1.2 s from init;
    report the engine, the gid, what the browser read at every tick (time and values, in
    double precision), the lines of its three graphs, the read-out and the spikes."""
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    exp = load_experiment("scalingwithdeletion", dict(SHORT_PROTOCOL, engine=engine))
    assembly = assemble(exp, needs=("gui",))
    window = exp.package.open_gui(assembly)

    def switches():   # every init clears NEURON's queue
        for t, control in HAND_SWITCHES:
            h.CVode().event(t, getattr(window, control))
    handler = h.FInitializeHandler(1, switches)   # noqa: F841  (lives through the runs)
    read = []
    gui_browse = window.browse

    def browse(gid):   # log what the browser reads
        graph = gui_browse(gid)
        reader = window.reader

        def logged(t):
            values = reader(t)
            read.append([t, *values[0].tolist()])
            return values
        window.reader = logged
        return graph
    window.browse = browse
    gid = _browse_the_busiest_e_cell(window, 1200.0)
    ids = window.idvec.as_numpy().astype(int).tolist()
    return dict(engine=assembly.engine, gid=gid, read=read,
                lines=[_lines(g) for g in window.trace[0]],
                readout=[h.netcol_gui_cell, h.netcol_gui_cell2, h.netcol_gui_cell3],
                spikes=sorted(zip(window.tvec.as_numpy().tolist(), ids)))


def test_the_browser_reads_a_cell_on_the_rank_engine_as_on_the_per_cell_engine(display):
    """The cell browser on the rank engine, which reads its cell from the core at every
    tick (after catching the engine up to it), draws the per-cell engine's traces: the
    same values at the same times, through the protocol's scaling switch-on and deletion
    rounds, scaling switched off and on by hand and a restart at init; the hand switches
    acted on both (the scale factor stands still while scaling is off)."""
    from netcol.models.rowan2013.gui import BROWSED, TICK_MS
    env = dict(DISPLAY=display, NETCOL_GUI="1")
    rank = in_fresh_process(browser_on_an_engine, env=env, engine="rank")
    cells = in_fresh_process(browser_on_an_engine, env=env, engine="cells")
    assert (rank["engine"], cells["engine"]) == ("rank", "cells")
    assert rank["gid"] == cells["gid"] and rank["spikes"] == cells["spikes"]
    read = np.array(rank["read"])
    assert np.array_equal(read[:, 0], np.arange(1, len(read) + 1) * TICK_MS) and read[-1, 0] >= 1200.0 - TICK_MS
    assert np.array_equal(read, np.array(cells["read"]), equal_nan=True)
    assert rank["lines"] == cells["lines"] and rank["readout"] == cells["readout"]
    scale = dict(zip(read[:, 0], read[:, 1 + BROWSED.index("scale")]))
    (off, _), (on, _) = HAND_SWITCHES
    assert scale[off] != scale[off - 100.0] and scale[on] != scale[on + 200.0]   # scaling moves it
    assert len({v for t, v in scale.items() if off <= t <= on}) == 1             # not while off


#: When STDP is switched on by typing its field, in the engines' comparison (ms).
STDP_TYPED_MS = 300.0


def stdp_typed_in_the_gui(engine, typed=True):
    """The short protocol in the GUI on an engine with the STDP window open from 0 s and
    STDP switched on by its field at STDP_TYPED_MS (if typed): the engine, the plastic
    synapses' gains at 1.2 s and the spikes."""
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    exp = load_experiment("scalingwithdeletion", dict(SHORT_PROTOCOL, engine=engine, learn_start=0, learn_end=2))
    assembly = assemble(exp, needs=("gui",))
    window = exp.package.open_gui(assembly)

    def stdp_on():
        h.stdp_on_NetcolIntf6 = 1
        window.stdp_typed()
    handler = h.FInitializeHandler(1, lambda: h.CVode().event(STDP_TYPED_MS, stdp_on) if typed else None)  # noqa: F841
    h.stdinit()
    h.continuerun(1200.0)
    ids = window.idvec.as_numpy().astype(int).tolist()
    return dict(engine=assembly.engine, gains=assembly.net.local_plastic_gains().tolist(),
                spikes=sorted(zip(window.tvec.as_numpy().tolist(), ids)))


def test_stdp_switched_on_in_the_gui_learns_alike_on_both_engines(display):
    """STDP switched on during a run by its field (the experiment has none): the rank
    engine's gains equal the per-cell engine's, pairings with the spikes before the switch
    included, and some moved (none without the switch)."""
    env = dict(DISPLAY=display, NETCOL_GUI="1")
    rank = in_fresh_process(stdp_typed_in_the_gui, env=env, engine="rank")
    cells = in_fresh_process(stdp_typed_in_the_gui, env=env, engine="cells")
    assert (rank["engine"], cells["engine"]) == ("rank", "cells")
    assert rank["gains"] == cells["gains"] and rank["spikes"] == cells["spikes"]
    assert sum(g != 1.0 for g in rank["gains"]) > 20
    still = in_fresh_process(stdp_typed_in_the_gui, env=env, engine="rank", typed=False)
    assert set(still["gains"]) == {1.0}


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_rasters_population_names_never_overlap(size):
    """The column's 13 population names beside the raster: each on the graph's data area,
    in the populations' order, at least a line of the label font and a gap apart."""
    from netcol.models.rowan2013.column import cell_table, load_column
    from netcol.models.rowan2013.gui import raster_label_places
    from netcol.views import guilayout as lay
    cells = cell_table(load_column(), 1.0)
    height = lay.tiles(size)["raster"][3]
    places = raster_label_places(cells["pops"], cells["n"], height)
    bottom, top = lay.data_area(height)
    assert len(places) == len(cells["pops"]) == 13
    assert {column for column, _ in places} == {0}                  # one column fits these screens
    px = [y * height for _, y in places]
    assert all(bottom - 1e-9 <= y <= top + 1e-9 for y in px)
    assert px == sorted(px)                                          # as the populations lie
    assert min(b - a for a, b in zip(px, px[1:])) >= lay.LABEL_PITCH - 1e-9
    assert lay.LABEL_PITCH >= 13 + 3                                 # X's 'fixed' font, and a gap


def test_side_labels_take_a_second_column_when_one_is_full():
    from netcol.views import guilayout as lay
    centres = [0.5 + 0.001 * k for k in range(12)]                  # all at one place
    height = 160                                                    # room for 7 at the pitch
    places = lay.side_label_places(centres, height)
    assert [c for c, _ in places] == [0, 1] * 6                     # alternating up the graph
    bottom, top = lay.data_area(height)
    for column in (0, 1):
        px = sorted(y * height for c, y in places if c == column)
        assert min(b - a for a, b in zip(px, px[1:])) >= lay.LABEL_PITCH - 1e-9
        assert bottom - 1e-9 <= px[0] and px[-1] <= top + 1e-9
    with pytest.raises(ValueError, match="do not fit"):
        lay.side_label_places([0.5] * 20, height)


def reference_streams_end_by_the_run_controls_tstop(engine):
    """Reference mode in the GUI on an engine: after a run well past the ends of the streams (10 s), each
    stream's count of events for Tstop = 1 s and then for Tstop = 2 s."""
    from netcol.build.assemble import assemble
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h
    h = neuron_h()
    exp = load_experiment("baseline", {"duration": 1, "rng": "original", "engine": engine})
    window = exp.package.open_gui(assemble(exp, needs=("gui",)))
    out = []
    for tstop in (1000.0, 2000.0):
        h.tstop = tstop
        h.stdinit()
        h.continuerun(10000.0)
        rates, counts = window.model.drive_rates, window.model.stream_counts()
        out.append([[*rates[g], *counts[g]] for g in sorted(rates)])
    return out


@pytest.mark.parametrize("engine", ["rank", "cells"])
def test_reference_streams_end_after_the_number_the_run_controls_tstop_gives(display, engine):
    runs = in_fresh_process(reference_streams_end_by_the_run_controls_tstop, env=dict(DISPLAY=display, NETCOL_GUI="1"),
                            engine=engine)
    for tstop_s, cells in zip((1.0, 2.0), runs):
        cells = np.array(cells)
        rates, counts = cells[:, :4], cells[:, 4:]
        assert (rates > 0).sum() > 1000
        # every stream has ended by 10 s, after the NetStim number of a run of Tstop
        assert np.array_equal(counts, np.floor(0.5 + rates * (tstop_s + 5.0)))


#: Reports, after a headless run in the same process, netcol's GUI modules (every module of
#: the package named *gui*, found on disk), which of them and of NEURON's GUI modules were
#: imported, the model packages used, and NEURON's module options.
HEADLESS_RUN = """
import json, os, pkgutil, sys
import netcol
from netcol.cli import main
main(['run', 'baseline', '--set', 'duration=0.5', '--out', sys.argv[1], '--quiet', '--no-figure'])
gui = sorted(m.name for m in pkgutil.walk_packages(netcol.__path__, 'netcol.') if 'gui' in m.name.rsplit('.', 1)[-1])
print(json.dumps(dict(gui_modules=gui, loaded=sorted(m for m in sys.modules if m in gui or m.startswith('neuron.gui')),
                      models=sorted(m for m in sys.modules if m.startswith('netcol.models.') and m.count('.') == 2),
                      options=os.environ.get('NEURON_MODULE_OPTIONS'))))
"""


def test_headless_runs_never_touch_the_gui(tmp_path):
    r = subprocess.run([sys.executable, "-c", HEADLESS_RUN, str(tmp_path / "r")], cwd=REPO, capture_output=True,
                       text=True, env=dict(os.environ, DISPLAY=":12345"))
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    # the run went through the column, whose GUI modules exist: the check below is not empty
    assert "netcol.models.rowan2013" in seen["models"]
    assert {"netcol.models.rowan2013.gui", "netcol.views.popgui"} <= set(seen["gui_modules"])
    assert seen["loaded"] == []                       # none of them, nor neuron.gui, was imported
    assert "-nogui" in seen["options"].split()


def test_gui_without_a_display_is_a_clear_error():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    r = subprocess.run([*NETCOL, "gui", "baseline"], cwd=REPO, capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "needs a display" in r.stderr and "Traceback" not in r.stderr


#: The learning-rate control of a model's GUI: (hoc variable, off, on).
LEARNING_CONTROL = {"vogels2011_small": ("eta_NetcolCondLif", 0.0, 0.01),
                    "akil2021_small": ("eta_scale_NetcolEif", 0.0, 1.0)}


def population_twice(experiment, sets, browse):
    """Open the GUI on a population model, run 300 ms twice (init in between); report both
    runs' spikes; with a learning-rate control, run once with it off and once on (the
    experiment's protocol off: the control is the user's) and report whether the weights
    moved; with the protocol on, whether the weights moved by 150 ms and by 300 ms and
    the learning rate and status then."""
    from netcol.build.assemble import assemble
    from netcol.cells.population import weights
    from netcol.config.experiment import load_experiment
    from netcol.engine.runtime import neuron_h, window_names
    h = neuron_h()
    exp = load_experiment(experiment, sets)
    assembly = assemble(exp, needs=("gui",))
    window = exp.package.open_gui(assembly)
    window.browse(browse)
    runs = []
    for _ in range(2):
        h.stdinit()
        h.continuerun(300.0)
        runs.append(sorted(zip(window.tvec.as_numpy().tolist(), window.idvec.as_numpy().tolist())))
    moved, protocol = {}, []
    if experiment in LEARNING_CONTROL:
        name, off, on = LEARNING_CONTROL[experiment]
        h.netcol_gui_protocol = 0
        for label, value in (("off", off), ("on", on)):
            setattr(h, name, value)
            h.stdinit()
            w0 = weights(h, assembly.pop)
            h.continuerun(300.0)
            moved[label] = bool(np.any(weights(h, assembly.pop) != w0))
        h.netcol_gui_protocol = 1
        setattr(h, name, off)
        h.stdinit()
        w0 = weights(h, assembly.pop)
        for t in (150.0, 300.0):
            h.continuerun(t)
            protocol.append((bool(np.any(weights(h, assembly.pop) != w0)), getattr(h, name), h.netcol_gui_status))
    return dict(runs=runs, marks=window.marks, windows=window_names(), moved=moved, protocol=protocol)


@pytest.mark.parametrize("experiment, sets, browse", [("sadeh2015", {"blocks": 2}, 100),
                                                      ("vogels2011_small", {"duration": 1, "plasticity_start": 0.2},
                                                       10),
                                                      ("akil2021_small", {"duration": 1}, 10)])
def test_population_gui_draws_and_restarts_from_the_first_step(display, experiment, sets, browse):
    r = in_fresh_process(population_twice, env=dict(DISPLAY=display, NETCOL_GUI="1"), experiment=experiment,
                         sets=sets, browse=browse)
    assert "netcol controls" in r["windows"]                        # with the run control
    assert sum(n.startswith("Graph") for n in r["windows"]) == 3    # raster, rates, browser
    assert len(r["runs"][0]) > 500 and r["runs"][0] == r["runs"][1]
    if experiment in LEARNING_CONTROL:   # the model's own control switches its rule
        assert r["moved"] == {"off": False, "on": True}
    if experiment == "vogels2011_small":   # the protocol switches the rule on at plasticity_start
        (before, eta_before, status_before), (after, eta_after, status_after) = r["protocol"]
        assert not before and eta_before == 0.0 and "plasticity on (eta 0.01) at 0.2 s" in status_before
        assert after and eta_after == 0.01 and "plasticity on (eta 0.01) since 0.2 s" in status_after
    assert r["marks"] >= len(r["runs"][0])
