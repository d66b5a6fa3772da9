"""The NEURON GUI's shared parts: window places tiled for the screen the GUI opens on (from
1366 x 768 up), Okabe & Ito's colour-blind-safe colours installed in NEURON's palette, a
run control placed with the rest, controls panels that never need scrolling, graphs whose
axes follow their data, and for graphs too short for NEURON's axis numbers their own axes
and margins (:class:`Frame`); legends in rows at full size (:func:`legend_rows`).

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
    screen from 1366 x 768 up.  The raster, the rates and a browser alone are tall enough
    for NEURON's axis numbers (:func:`numbers_fit_neuron_margin`); the browser's graphs
    stacked three high at 1366 x 768 (190 pt) are not, and draw their own axes in a
    :class:`Frame`."""
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
#: NEURON's label font, in NEURON's units (points; 1.04 px under Xvfb): a line (helvetica
#: 14 px: 15.4; 'fixed': 12.5, as Graph.view_info(0, 15) reads), a digit (helvetica: 7.7;
#: 'fixed': 5.8), a space, point or minus sign (helvetica: 3.8 to 4.8) and a letter of the
#: names drawn (helvetica's capitals: 9 to 10; 'fixed': 5.8); the larger font's, rounded up.
FONT_LINE, FONT_DIGIT, FONT_SIGN, FONT_CHAR = 16.0, 8.0, 5.0, 10.0
#: Where NEURON's own axes (Graph.xaxis(0), (2)) draw the x numbers: their top this far
#: below the data area (pt), in its bottom margin of a twelfth of the graph.
NUMBER_GAP = 5.0
#: Least clear space (pt) between a number or text and the edge or the data area.
CLEARANCE = 2.0
#: Least distance (pt) between two numbers along a framed graph's axes: x (numbers of up to
#: six digits and a gap, as NEURON's own spacing) and y (a line of the font and half a line).
X_TICK_PT, Y_TICK_PT = 80.0, 1.5 * FONT_LINE
#: Most intervals between numbers along an axis of a framed graph (as NEURON's own).
MOST_TICKS = 6
#: Gap (pt) between two names in a row of a legend.
LEGEND_GAP = 8.0
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


def numbers_fit_neuron_margin(height):
    """Whether NEURON's own axes have room for their x numbers below a graph of that height
    (pt): its bottom margin, a twelfth of the graph, holds the gap and a line of the font
    (a graph of 190 pt, at 1366 x 768, clips them: see :class:`Frame`)."""
    return height / 12.0 >= NUMBER_GAP + FONT_LINE


def text_width(text, char=FONT_DIGIT):
    """Width (pt) of text in NEURON's label font, at most: digits FONT_DIGIT, spaces,
    points and signs FONT_SIGN, other characters char."""
    return sum(FONT_DIGIT if c.isdigit() else FONT_SIGN if c in " .-+" else char for c in text)


def inner_ticks(lo, hi, least):
    """Round numbers within [lo, hi] for an axis: (first, last, intervals) with a step of
    1, 2, 2.5 or 5 times a power of ten, the smallest of at least `least` that leaves an
    interval within the range (else the largest below it that does; lo, hi, 1 when the
    range is empty)."""
    import math
    span = hi - lo
    if not span > 0:
        return lo, hi, 1
    least = max(least, span * 1e-6)
    steps = [m * 10.0 ** e for e in range(math.floor(math.log10(least)) - 1, math.floor(math.log10(least)) + 2)
             for m in (1, 2, 2.5, 5)]
    above = [st for st in steps if st >= least * (1 - 1e-9)]
    below = [st for st in reversed(steps) if st < least * (1 - 1e-9)]
    for step in above[:1] + below:
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if last - first >= 1:
            return first * step, last * step, int(last - first)
    return lo, hi, 1


def y_number(value, step):
    """The text NEURON's fixed axis (Graph.yaxis with its range) prints at a tick: ' %g '
    or, for steps from 1 down to 1e-5, a decimal more than the step has (src/ivoc/axis.cpp;
    at a step of 1 it prints '1.0' or '1' as its float rounding falls: the longer here)."""
    import math
    logstep = -math.log10(step) if step > 0 else -1.0
    if -1e-6 <= logstep <= 5:
        return f" {value:0.{int(round(max(logstep, 0.0) + 1))}f} "
    return f" {value:g} "


class Frame:
    """A graph's own axes and data area, for a graph too short for NEURON's: NEURON's
    axes draw the x numbers below the data area in a margin of a twelfth of the graph,
    which in a graph of 190 pt (the cell browser's at 1366 x 768) is less than a line of
    the font, and the numbers are clipped.  A framed graph has margins that hold its
    numbers (below: the x numbers; left: the y numbers, as wide as they are) and its
    texts (above the data area: `text_rows` lines, a title and legend rows drawn from
    the top at LABEL_PITCH, so that no trace runs under them), and draws the axes along
    the bottom and left edges of the data with NEURON's fixed axes (Graph.xaxis and
    yaxis with a range: numbers on round values inside the range).

    Parameters
    ----------
    width, height : float
        The graph's drawing area (pt; as given to Graph.view).
    text_rows : int
        Lines of text above the data area.
    """

    def __init__(self, width, height, text_rows=1):
        self.width, self.height, self.text_rows = float(width), float(height), int(text_rows)
        # x numbers: NEURON's fixed x axis draws them from half a line to a line and a
        # half below the axis
        self.bottom = max(self.height / 12.0, 1.5 * FONT_LINE + CLEARANCE)
        # the texts, then clear of the top y number (centred on the data's top edge)
        self.top = max(self.height / 12.0, self.text_rows * LABEL_PITCH + FONT_LINE / 2 + CLEARANCE)
        self.right = self.width / 12.0

    def text_y(self, row):
        """Where a text line of row (0 the top one) goes, as a fraction of the graph's
        height from its bottom (the top of the text; Graph.label's y with y_align 1)."""
        return (self.height - 1.0 - row * LABEL_PITCH) / self.height

    def layout(self, x0, x1, lo, hi):
        """The frame for data from x0 to x1 and lo to hi.

        Returns
        -------
        dict
            margins: (left, bottom, right, top) in pt; view: (x left, x right, y bottom,
            y top) of the whole graph in data units (Graph.view_size); xticks, yticks:
            (first, last, intervals); ynumbers: the texts of the y numbers.
        """
        data_h = self.height - self.bottom - self.top
        yticks = inner_ticks(lo, hi, (hi - lo) * max(Y_TICK_PT / data_h, 1.0 / MOST_TICKS))
        first, last, n = yticks
        step = (last - first) / n
        ynumbers = [y_number(first + k * step, step) for k in range(n + 1)]
        # NEURON's fixed y axis ends its numbers 0.3 of their width left of the axis
        left = max(self.width / 12.0, 1.3 * max(text_width(t) for t in ynumbers) + CLEARANCE)
        data_w = self.width - left - self.right
        xticks = inner_ticks(x0, x1, (x1 - x0) * max(X_TICK_PT / data_w, 1.0 / MOST_TICKS))
        ux, uy = (x1 - x0) / data_w, (hi - lo) / data_h
        view = (x0 - left * ux, x1 + self.right * ux, lo - self.bottom * uy, hi + self.top * uy)
        return dict(margins=(left, self.bottom, self.right, self.top), view=view, xticks=xticks, yticks=yticks,
                    ynumbers=ynumbers)

    def draw(self, graph, x0, x1, lo, hi):
        """The axes and the view on the graph (NEURON's own axes erased)."""
        f = self.layout(x0, x1, lo, hi)
        graph.xaxis(3)
        # the axis lines along the whole data area, then round numbers and ticks on them
        graph.xaxis(x0, x1, lo, 1, 0, -1, 0)
        graph.xaxis(f["xticks"][0], f["xticks"][1], lo, f["xticks"][2], 0, 0, 1)
        graph.yaxis(lo, hi, x0, 1, 0, -1, 0)
        graph.yaxis(f["yticks"][0], f["yticks"][1], x0, f["yticks"][2], 0, 0, 1)
        if graph.view_count() > 0:
            graph.view_size(0, *f["view"])
        return f


def legend_rows(names, left, right, char=FONT_CHAR, gap=LEGEND_GAP):
    """Where the names of a legend go, in their order along rows, at full size: each row
    no wider than from left to right (pt), in as few rows as that allows and as even.

    Parameters
    ----------
    names : sequence of str
    left, right : float
        Where the rows start and end at most (pt from the graph's left edge).
    char : float
        Width of a letter (pt; FONT_CHAR: the widest of NEURON's fonts).
    gap : float
        Least gap between two names of a row (pt).

    Returns
    -------
    list of (int, float)
        Per name, its row (0 the first) and its left edge (pt).

    Raises
    ------
    ValueError
        When a name is wider than the room.
    """
    widths = [text_width(name, char) for name in names]
    room = right - left
    if not widths:
        return []
    if max(widths) > room:
        raise ValueError(f"a name {max(widths):g} pt wide does not fit a legend {room:g} pt wide")

    def fill(limit):
        rows, x, row = [], 0.0, 0
        for w in widths:
            if x > 0 and x + gap + w > limit:
                row, x = row + 1, 0.0
            start = x + gap if x > 0 else 0.0
            rows.append((row, left + start))
            x = start + w
        return rows

    count = fill(room)[-1][0] + 1
    # as even as the same number of rows allows: the narrowest limit that still needs no
    # more rows
    low, high = max(widths), room
    for _ in range(40):
        mid = (low + high) / 2
        if fill(mid)[-1][0] + 1 <= count:
            high = mid
        else:
            low = mid
    return fill(high)


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
    frame : Frame, optional
        The graph's own axes and margins (NEURON's axes otherwise).
    """

    def __init__(self, graph, span, y_range, sliding, headroom=0.2, min_span=0.0, floor=None, on_page=None,
                 end=None, frame=None):
        self.g, self.span, self.sliding, self.on_page, self.end = graph, span, sliding, on_page, end
        self.frame = frame
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
        """The ranges on the graph (and the frame's axes)."""
        self.g.size(self.x[0], self.x[1], self.lo, self.hi)
        if self.frame is not None:
            self.frame.draw(self.g, self.x[0], self.x[1], self.lo, self.hi)

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
