"""The NEURON GUI's shared parts: window places tiled for the screen the GUI opens on (from
1366 x 768 up), Okabe & Ito's colour-blind-safe colours installed in NEURON's palette, a
run control placed with the rest, controls panels that never need scrolling, and graphs
whose axes follow their data.

Imported only by the GUIs (``netcol gui``); headless runs never import it.
"""
from ..engine.runtime import neuron_h

#: Okabe & Ito's colours (as every netcol figure) at these indices of NEURON's palette;
#: BLACK and GREY are NEURON's own.
PALETTE = {10: "#D55E00", 11: "#0072B2", 12: "#009E73", 13: "#E69F00", 14: "#56B4E9", 15: "#CC79A7",
           16: "#F0E442"}
VERMILLION, BLUE, BLUISH_GREEN, ORANGE, SKY_BLUE, PURPLE, YELLOW = sorted(PALETTE)
BLACK, GREY = 1, 9
#: The screen assumed when its size cannot be read.
FALLBACK_SCREEN = (1366, 768)
#: Room left above each window for a window manager's title bar, and between windows (px).
TITLE_BAR, GAP = 28, 6
#: Room left at the bottom of the screen (a task bar).
BOTTOM_MARGIN = 30
#: Height of NEURON's own bar (Close, Hide) above a window's drawing area, and how much
#: wider than its drawing area a window is (px).
BAR, FRAME = 22, 20
#: Items an xpanel holds before NEURON puts it in a scroll box (nrn.defaults panel_scroll).
PANEL_ITEMS = 12


def screen_size():
    """(width, height) in pixels of the X display the GUI opens on, FALLBACK_SCREEN if it
    cannot be read."""
    import ctypes
    import ctypes.util
    try:
        x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        for name in ("XDefaultScreen", "XCloseDisplay"):
            getattr(x, name).argtypes = [ctypes.c_void_p]
        x.XDisplayWidth.argtypes = x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        display = x.XOpenDisplay(None)
        if not display:
            return FALLBACK_SCREEN
        screen = x.XDefaultScreen(display)
        size = (int(x.XDisplayWidth(display, screen)), int(x.XDisplayHeight(display, screen)))
        x.XCloseDisplay(display)
        return size if min(size) > 0 else FALLBACK_SCREEN
    except (OSError, AttributeError):
        return FALLBACK_SCREEN


def tiles(screen=None, below=("sensor", "scale")):
    """Window places (left, top, width, height of the drawing area, in pixels; the top is
    that of NEURON's bar above the drawing area) for a screen: the controls (with the run
    control) in a left column, the raster over the rates in the middle, the cell browser
    on the right over the graphs named in `below`, all of the same height (none: the
    browser takes the column).  Every window, with a title bar above it, fits on the
    screen from 1366 x 768 up, and every graph is tall and wide enough for its axis
    numbers (NEURON draws them in a margin of a twelfth of the graph)."""
    w, h = screen or screen_size()
    w, h = max(w, 1024), max(h, 600) - BOTTOM_MARGIN
    left_w = max(300, int(0.19 * w))
    mid_x = left_w + 2 * GAP
    mid_w = int(0.42 * w)
    right_x = mid_x + mid_w + FRAME + GAP
    right_w = w - right_x - FRAME
    chrome = TITLE_BAR + BAR + GAP   # above each window's drawing area
    raster_h = int(0.55 * (h - 2 * chrome))
    places = {"controls": (GAP, TITLE_BAR, left_w),
              "raster": (mid_x, TITLE_BAR, mid_w, raster_h)}
    rates_top = TITLE_BAR + BAR + raster_h + GAP + TITLE_BAR
    places["rates"] = (mid_x, rates_top, mid_w, h - rates_top - BAR)
    each = (h - (1 + len(below)) * chrome) // (1 + len(below))
    for k, name in enumerate(("browser",) + tuple(below)):
        places[name] = (right_x, TITLE_BAR + k * (each + chrome), right_w, each)
    return places


#: Least distance (px) between two labels beside a graph, centre to centre: a line of
#: NEURON's label font (helvetica 14 px on a desktop, X's 13-px 'fixed' where helvetica is
#: missing, as under Xvfb) and a clear gap, so that no two labels touch.
LABEL_PITCH = 18
#: How far right of the first column of side labels the second starts (px): room for a
#: population name of four characters and a gap.
LABEL_COLUMN_PX = 30


def data_area(height):
    """(bottom, top) of a graph's data area, in pixels from the bottom of a graph of that
    height: NEURON leaves a twelfth of the graph for the axis numbers at each end."""
    return height / 12.0, height * 11.0 / 12.0


def side_label_places(centres, height, pitch=LABEL_PITCH):
    """Where labels beside a graph's data area go so that none overlaps another: each as
    near its data as the others let it.

    Parameters
    ----------
    centres : sequence of float
        Where each label belongs, as a fraction of the data area's height (0 its bottom,
        1 its top).
    height : float
        The graph's height (px).
    pitch : float
        Least distance between two labels of a column (px).

    Returns
    -------
    list of (int, float)
        Per label, its column (0 next to the data; 1 further out, used only when one
        column cannot hold every label at the pitch: then labels alternate between the
        two in their order up the graph) and its height as a fraction of the graph (the
        argument of NEURON's Graph.label; from 1/12 to 11/12).

    Raises
    ------
    ValueError
        When even two columns cannot hold the labels at the pitch (a graph too short for
        its labels: shorten the names or give it more room).
    """
    import numpy as np
    from .figstyle import spread
    bottom, top = data_area(height)
    room = top - bottom
    px = np.asarray(centres, float) * room
    order = np.argsort(px, kind="stable")
    columns = 1 if (len(px) - 1) * pitch <= room else 2
    if (len(px[order[::columns]]) - 1) * pitch > room:
        raise ValueError(f"{len(px)} labels do not fit beside a graph {height:g} px high at {pitch:g} px apart")
    column = np.zeros(len(px), int)
    column[order[1::2]] = columns - 1   # every second label up the graph goes out when two
    y = np.empty(len(px))
    for c in range(columns):
        mine = np.flatnonzero(column == c)
        y[mine] = spread(px[mine], pitch, 0.0, room)
    return [(int(c), float((bottom + v) / height)) for c, v in zip(column, y)]


def install_palette(graph):
    """Okabe & Ito's colours at PALETTE's indices (NEURON's palette is shared: once is
    enough, again is harmless)."""
    for index, name in PALETTE.items():
        graph.color(index, name)
    graph.color(BLACK)


def run_control_items():
    """NEURON's run control (init & run, stop, continue, t, Tstop) as items of
    :func:`stacked_panels` (the first section of the controls: one window less to
    place)."""
    h = neuron_h()
    return [lambda: h.xlabel("run control"),
            lambda: h.xbutton("Init & Run", "run()"),
            lambda: h.xbutton("Stop", "stoprun = 1"),
            lambda: h.xvalue("Continue til", "runStopAt", 1, "continuerun(runStopAt) stoprun = 1", 1, 1),
            lambda: h.xvalue("t", "t", 2),
            lambda: h.xvalue("Tstop", "tstop", 1, "tstop_changed()", 0, 1)]


def stacked_panels(title, sections, left, top):
    """One window of several xpanels stacked (a VBox), each of at most PANEL_ITEMS items,
    so NEURON never puts them in a scroll box: sections are lists of callables, each
    adding one item (h.xlabel, h.xvalue, h.xbutton ...).  Returns the box (keep it)."""
    h = neuron_h()
    box = h.VBox()
    box.intercept(1)
    for items in sections:
        for start in range(0, len(items), PANEL_ITEMS):
            h.xpanel("")
            for add in items[start:start + PANEL_ITEMS]:
                add()
            h.xpanel()
    box.intercept(0)
    box.map(title, left, top, -1, -1)
    return box


def nice_top(value):
    """A round number at least value (1, 2, 2.5, 5 times a power of ten)."""
    import math
    if not value > 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    return next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= value - 1e-12)


def box_axes(graph):
    """Axes along the bottom and the left edge of the data (NEURON's default axes cross at
    0, through the traces of a variable that changes sign); NEURON then draws nothing in
    the margins, so such a graph's labels go inside, in its headroom."""
    graph.xaxis(2)


class Follow:
    """A graph's axes that follow its data: the x range pages forward by `span` ms as time
    passes it (sliding=True) or doubles to cover the run so far; the y range is set by the
    first values drawn and widens to hold every later one, with `headroom` of it left
    empty above the data for the labels, never narrower than min_span and, with floor,
    never above floor at the bottom (rates: 0).

    Parameters
    ----------
    graph : hoc Graph
    span : float
        Width of the first x range (ms).
    y_range : (float, float)
        The range before any data.
    sliding : bool
    headroom : float
    min_span : float
    floor : float, optional
    on_page : callable, optional
        on_page(start, last) when a sliding range pages forward to start (ms), to clear
        what the page before drew; last: the run's last page, which ends with the run and
        shows part of the page before.
    end : callable, optional
        The run's end (ms; tstop): a growing range stops there.
    """

    def __init__(self, graph, span, y_range, sliding, headroom=0.2, min_span=0.0, floor=None, on_page=None,
                 end=None):
        self.g, self.span, self.sliding, self.on_page, self.end = graph, span, sliding, on_page, end
        self.headroom, self.min_span, self.floor = headroom, min_span, floor
        self.start_range = tuple(y_range)
        self.reset()

    def reset(self):
        """Back to the first x page and the starting y range (at init)."""
        self.x = (0.0, self.span)
        self.lo, self.hi = self.start_range
        self.data = None
        self.apply()

    def apply(self):
        """The ranges on the graph."""
        self.g.size(self.x[0], self.x[1], self.lo, self.hi)

    def _y_range(self, lo, hi):
        import math
        if self.min_span and hi - lo < self.min_span:   # round numbers around the data
            step = self.min_span / 4
            bottom = math.floor(((lo + hi) / 2 - self.min_span / 2) / step + 0.5) * step
            bottom = min(bottom, math.floor(lo / step) * step)
            return bottom, max(bottom + self.min_span, math.ceil(hi / step) * step)
        span = max(hi - lo, self.min_span, 1e-9)
        bottom = lo - 0.05 * span if self.floor is None else min(self.floor, lo)
        top = hi + self.headroom * span / (1.0 - self.headroom)
        if top - bottom < self.min_span:
            extra = self.min_span - (top - bottom)
            bottom, top = (bottom, top + extra) if self.floor is not None else (bottom - extra / 2, top + extra / 2)
        if self.floor is not None and bottom == self.floor:
            top = self.floor + nice_top(top - self.floor)
        return bottom, top

    def see(self, t, values=()):
        """Make room for time t and the values drawn up to it; True when the axes changed."""
        changed = False
        if t > self.x[1] + 1e-6 * self.span:   # not for a step's rounding at the page's end
            if self.sliding:
                pages = int((t - self.x[0]) // self.span)
                start = self.x[0] + pages * self.span
                end = self.end() if self.end is not None else float("inf")
                last = start + self.span > end >= t   # the last page ends with the run
                self.x = (max(0.0, end - self.span), end) if last else (start, start + self.span)
                if self.on_page is not None:   # a clean page, as an oscilloscope's
                    self.on_page(self.x[0], last)
            else:
                while self.x[1] < t:
                    self.x = (0.0, 2.0 * self.x[1])
                if self.end is not None and t <= self.end() < self.x[1]:   # no wider than the run
                    self.x = (0.0, self.end())
            changed = True
        finite = [float(v) for v in values if v == v and abs(v) != float("inf")]
        if finite:
            lo, hi = min(finite), max(finite)
            first = self.data is None
            self.data = (lo, hi) if first else (min(self.data[0], lo), max(self.data[1], hi))
            room = self.hi - self.headroom * (self.hi - self.lo)
            if first or self.data[0] < self.lo or self.data[1] > room:
                self.lo, self.hi = self._y_range(*self.data)
                changed = True
        if changed:
            self.apply()
        return changed
