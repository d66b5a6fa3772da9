"""Interactive inspection of a column in NEURON's own GUI (InterViews).

``netcol gui EXPERIMENT`` builds the column and opens, tiled for the screen (1366 x 768
and up; :mod:`netcol.views.guilayout`):
- NEURON's run control (init, run, stop, continue);
- a live raster (cell by type against time, paging forward as the run goes) and live
  per-class rates, their axes following the data;
- a cell browser: choose a gid (or a type and an index) and plot its components over
  time (membrane potential, AMPA, NMDA, GABA-A, AHP, threshold), its activity sensor with
  the scaling's goal (Hz; the sensor is a 100-s running mean from init, so early in a run
  it reads the spikes so far over 100 s), and its scale factor's departure from 1 in
  millionths, all drawn every TICK_MS (a deleted cell's end there); its spikes, rate so
  far, sensor, goal and scale factor in the controls;
- controls that switch STDP (the synapses of plastic classes) and scaling on or off and
  delete chosen or random cells now;
- the experiment's scheduled protocol (scaling switch-on, deletion rounds), run afresh at
  every init while "run the protocol" is 1 (see :mod:`.guischedule`).

Colours as in netcol's figures (Okabe & Ito): RS (E) vermillion, FS blue, LTS bluish green.
Every init starts from the built column (deleted cells back, drive rewound): two runs
with the same settings give the same spikes.

It runs on either engine (:mod:`.ranknet`): the browser reads its cell through the
recordings' sampler (:func:`netcol.cells.intf6.sampler`, the core's value_at after the
cell, or the rank's engine, is caught up to the tick), and the scaling switch goes
through the network (``set_scaling``), which tells the rank engine too.

From Python, after building a model yourself: ``netcol.gui.open(model)``.  The GUI needs
NETCOL_GUI=1 before NEURON starts (``netcol gui`` sets it); headless runs never import
this module.
"""
import numpy as np

from ...cells.intf6 import sampler
from ...engine.runtime import neuron_h, parallel_context
from ...views import guilayout as lay

#: NEURON Graph colours by cell class, as in netcol's figures: RS (E) vermillion, FS blue,
#: LTS bluish green.
CLASS_COLOUR = {"RS": lay.VERMILLION, "FS": lay.BLUE, "LTS": lay.BLUISH_GREEN}
TICK_MS = 5.0          # cell browser sampling
PLOT_EVERY_MS = 50.0   # raster and rates refresh
#: Widest stretch the raster and the browser's components show at once (ms); they page
#: forward as the run passes it.
RASTER_SPAN_MS, BROWSER_SPAN_MS = 2000.0, 1000.0
#: The scale factor's graph draws s - 1 in millionths (ppm): a GUI run of a few seconds
#: moves s by about 1e-7, below a float's resolution around 1 (NEURON's graphs draw in
#: floats), and tick labels such as 1.5e-07 are wider than the graph's margin.
PPM = 1e6
#: Least y range of the scale factor's graph (ppm): a change of this order shows.
SCALE_SPAN = 0.01
#: Width of the browser's read-out lines in the controls (characters; a label keeps the
#: width of its first text).
READOUT_CHARS = 46
#: The browser's components: (name, recorded variable (netcol.cells.intf6.RECORDABLE), colour).
COMPONENTS = (("V", "V", lay.BLACK), ("AMPA2", "VAM2", lay.VERMILLION), ("NMDA2", "VNM2", lay.ORANGE),
              ("GABA-A", "VGA", lay.BLUE), ("GABA-A2", "VGA2", lay.SKY_BLUE), ("AHP", "AHP", lay.PURPLE),
              ("threshold", "threshold", lay.GREY))
#: The components that are deviations from rest (drawn around it).
DEVIATIONS = ("VAM2", "VNM2", "VGA", "VGA2", "AHP")
#: What the browser reads of its cell at every tick: the components, then the scaling's.
BROWSED = tuple(v for _, v, _ in COMPONENTS) + ("activity", "goal", "scale")
#: The browser's graphs, top to bottom (their places in guilayout.tiles).
BROWSER_GRAPHS = ("browser", "sensor", "scale")
#: Where the texts of every graph start (fraction of its width from the left).
TEXT_LEFT = 0.1


def legend_places(width):
    """Where the components' names go in the browser's legend, at full size (NEURON
    scales a bitmap font by dropping pixel rows and columns, which mangles the letters):
    rows under the title, from TEXT_LEFT to the graph's right edge, none over another
    (:func:`netcol.views.guilayout.legend_rows`).

    Parameters
    ----------
    width : float
        The graph's width (pt).

    Returns
    -------
    list of (int, float)
        Per component, its legend row (0 the first, under the title) and its left edge (pt).
    """
    names = [name for name, _, _ in COMPONENTS]
    return lay.legend_rows(names, TEXT_LEFT * width, width - lay.CLEARANCE)


def browser_frames(places):
    """The browser's graphs' own axes and margins (:class:`netcol.views.guilayout.Frame`):
    at 1366 x 768 they are 190 pt high, too short for NEURON's axis numbers. Above the data
    area, the components' graph holds its title and its legend's rows, the others their
    title.

    Parameters
    ----------
    places : dict
        guilayout.tiles().

    Returns
    -------
    dict
        BROWSER_GRAPHS' names to frames.
    """
    frames = {}
    for name in BROWSER_GRAPHS:
        _, _, w, h = places[name]
        rows = 1 + (1 + max(row for row, _ in legend_places(w)) if name == "browser" else 0)
        frames[name] = lay.Frame(w, h, rows)
    return frames


def legend_labels(frame):
    """The browser's legend as Graph.label arguments: (x, y, name, scale, colour) per
    component, x and y fractions of the graph (y the top of the name), in rows under the
    title, at full size (scale 1).

    Parameters
    ----------
    frame : netcol.views.guilayout.Frame
        The components' graph's (:func:`browser_frames`).

    Returns
    -------
    list of tuple
    """
    return [(x / frame.width, frame.text_y(1 + row), name, 1.0, colour)
            for (row, x), (name, _, colour) in zip(legend_places(frame.width), COMPONENTS)]


def raster_label_places(pops, n, height):
    """Where the raster's population names go: beside the middle of each population's
    rows, at least :data:`~netcol.views.guilayout.LABEL_PITCH` px from the next name
    (see :func:`netcol.views.guilayout.side_label_places`).

    Parameters
    ----------
    pops : list of netcol.models.rowan2013.column.Population
        In gid order.
    n : int
        Cells in the column (the raster's height in gids).
    height : float
        The raster's height (px).

    Returns
    -------
    list of (int, float)
        Per population, its label column and its height as a fraction of the graph.
    """
    return lay.side_label_places([(pop.first_gid + pop.count / 2) / n for pop in pops], height)


def scale_text(scale):
    """The scale factor as text that shows its change: '1 - 8.64e-08' near 1, where
    six significant digits would read 1 (a few seconds of scaling move it by about 1e-7),
    else its value to six digits."""
    d = scale - 1.0
    if d == 0.0 or abs(d) >= 1e-4:
        return f"{scale:.6g}"
    return f"1 {'+' if d > 0 else '-'} {abs(d):.3g}"


def cell_readout(gid, type_name, t, spikes, sensor_hz, goal_hz, scale, tau_s):
    """The browser's three lines in the controls.

    The sensor is a running mean of the cell's spikes with a time constant of tau_s
    (100 s in the paper) that starts from 0 at init: early in a run it reads the spikes
    so far over tau_s (one spike: 0.01 Hz), far below the cell's rate, and it approaches
    the rate only after several tau_s. The first line gives the rate so far beside it
    (the goal that switching scaling on sets).

    Parameters
    ----------
    gid : int
    type_name : str
    t : float
        Time (ms).
    spikes : int
        The cell's spikes since init.
    sensor_hz : float
        Its activity sensor (Hz).
    goal_hz : float or None
        Its goal (Hz); None until scaling sets it.
    scale : float
        Its scale factor.
    tau_s : float
        The sensor's time constant (s).

    Returns
    -------
    tuple of str
        (spikes and rate so far, sensor and goal, scale factor).
    """
    rate = spikes / t * 1000.0 if t > 0 else 0.0
    goal = "not set" if goal_hz is None else f"{goal_hz:.3g} Hz"
    return (f"gid {gid} ({type_name}): {spikes} spikes, {rate:.3g} Hz so far",
            f"sensor {sensor_hz:.3g} Hz ({tau_s:g}-s mean), goal {goal}",
            f"scale factor {scale_text(scale)}")


class ColumnGUI:
    """The windows and their live updates for one built column model.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork or netcol.models.rowan2013.ranknet.RankNetwork
    duration_ms : float
        tstop of the run control.
    seed : int
        Keys the random deletions.
    schedule : netcol.models.rowan2013.guischedule.GuiSchedule, optional
        The experiment's protocol, offered in the controls when it has events.
    """

    def __init__(self, model, duration_ms=1000.0, seed=0, schedule=None):
        h = self.h = neuron_h()
        self.model, self.seed = model, seed
        self.schedule = schedule if schedule is not None and schedule.events else None
        self.pc = parallel_context()
        self.cells = model.cells
        self.types = [p.name for p in self.cells["pops"]]
        self.classes = list(dict.fromkeys(p.cls for p in self.cells["pops"]))
        h.dt = 0.5
        h.steps_per_ms = 2
        h.tstop = duration_ms
        h.CVode().active(0)
        self.tvec, self.idvec = h.Vector(), h.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)
        self.plotted = 0
        self.marks = 0
        self.last_plot = 0.0
        for name, value in (("gid", 0), ("type", 0), ("index", 0), ("random", 5), ("protocol", 1)):
            h(f"netcol_gui_{name} = {value}")   # hoc variables behind the panel's fields
        h("strdef netcol_gui_status, netcol_gui_cell, netcol_gui_cell2, netcol_gui_cell3")
        h.netcol_gui_status = "protocol: starts at init"
        # the labels keep the width of their first text
        h.netcol_gui_cell = "no cell browsed yet".ljust(READOUT_CHARS)
        h.netcol_gui_cell2 = h.netcol_gui_cell3 = " " * READOUT_CHARS
        self.browsed = None
        self.trace = None
        self.reader = None   # reads the browsed cell (browse)
        self.rest = 0.0      # its resting potential (mV)
        self.spikes_counted = self.browsed_spikes = 0
        self.event_marks = []   # (t, colour) of the protocol's events this run
        self._build_windows()
        self._init_handlers = (h.FInitializeHandler(0, self._on_init), h.FInitializeHandler(1, self._after_init))

    # ------------------------------------------------------------------ windows
    def _build_windows(self):
        h = self.h
        self.places = lay.tiles()
        span = min(h.tstop, RASTER_SPAN_MS)
        x, y, w, ht = self.places["raster"]
        self.raster = h.Graph(0)
        lay.install_palette(self.raster)
        self.raster.view(0, 0, span, self.model.n, x, y, w, ht)
        self.raster_axes = lay.Follow(self.raster, span, (0, self.model.n), sliding=True, on_page=self._new_page,
                                      end=lambda: h.tstop)
        x, y, w, ht = self.places["rates"]
        self.rates = h.Graph(0)
        self.rates.view(0, 0, span, 10, x, y, w, ht)
        self.rates_axes = lay.Follow(self.rates, span, (0, 10), sliding=False, floor=0.0, end=lambda: h.tstop)
        self._labels()
        self.rate_last = {}
        x, y, w = self.places["controls"]
        sections = [
            lay.run_control_items(),
            [lambda: h.xlabel("plasticity and scaling"),
             lambda: h.xvalue("STDP on (0/1)", "stdp_on_NetcolIntf6", 1, self.stdp_typed),
             lambda: h.xvalue("scaling (0/1)", "scaling_NetcolIntf6", 0, self.scaling_typed),
             lambda: h.xbutton("switch scaling on now", self.scaling_on),
             lambda: h.xbutton("switch scaling off", self.scaling_off)],
            [lambda: h.xlabel("deletion (random picks keyed by the seed)"),
             lambda: h.xvalue("gid", "netcol_gui_gid", 1),
             lambda: h.xbutton("delete this cell now", lambda: self.delete([int(h.netcol_gui_gid)])),
             lambda: h.xvalue("how many", "netcol_gui_random", 1),
             lambda: h.xbutton("delete random cells now", self.delete_random)],
            [lambda: h.xlabel("cell browser"),
             lambda: h.xvalue("gid", "netcol_gui_gid", 1),
             lambda: h.xbutton("plot this gid", lambda: self.browse(int(h.netcol_gui_gid))),
             lambda: h.xvalue(f"type (0-{len(self.types) - 1})", "netcol_gui_type", 1),
             lambda: h.xvalue("index within type", "netcol_gui_index", 1),
             lambda: h.xbutton("plot this type's cell", self.browse_type_index),
             lambda: h.xvarlabel(h._ref_netcol_gui_cell),
             lambda: h.xvarlabel(h._ref_netcol_gui_cell2),
             lambda: h.xvarlabel(h._ref_netcol_gui_cell3)]]
        if self.schedule is not None:
            # the heading shares the first event's line: at 1366 x 768 the controls have
            # no line to spare
            parts = self.schedule.describe().split("; ")
            parts[0] = f"the protocol: {parts[0]}"
            sections.append([lambda part=part: h.xlabel(part) for part in parts]
                            + [lambda: h.xvalue("run it from init (0/1)", "netcol_gui_protocol", 1),
                               lambda: h.xvarlabel(h._ref_netcol_gui_status)])
        self.controls = lay.stacked_panels("netcol controls", sections, x, y)

    def _new_page(self, start, last):
        """A clean raster from start (ms) on, with the marks already drawn after it (on
        the last page, which overlaps the one before)."""
        self.raster.erase_all()
        self._raster_labels()
        ti, pops = self.cells["type_index"], self.cells["pops"]
        for i in range(self.plotted):
            if self.tvec.x[i] >= start:
                gid = int(self.idvec.x[i])
                self.raster.mark(self.tvec.x[i], gid, "|", 3, CLASS_COLOUR[pops[ti[gid]].cls], 1)
        for t, colour in self.event_marks:
            if t >= start:
                self._event_line(t, colour)

    def _labels(self):
        self._raster_labels()
        self.rates.label(0.1, 0.995, f"rate per class (Hz, {PLOT_EVERY_MS:g}-ms windows) vs time (ms)", 2, 1, 0, 1,
                         lay.BLACK)
        for k, cls in enumerate(self.classes):
            self.rates.label(0.72 + 0.09 * k, 0.995, cls, 2, 1, 0, 1, CLASS_COLOUR[cls])

    def _raster_labels(self):
        """Title, the class colours in words, type names beside the raster (spread so
        that none overlaps another)."""
        r = self.raster
        r.label(0.1, 0.995, "raster: cell (gid) vs time (ms)", 2, 1, 0, 1, lay.BLACK)
        for k, cls in enumerate(self.classes):
            r.label(0.72 + 0.09 * k, 0.995, cls, 2, 1, 0, 1, CLASS_COLOUR[cls])
        _, _, width, height = self.places["raster"]
        for pop, (column, y) in zip(self.cells["pops"], raster_label_places(self.cells["pops"], self.model.n, height)):
            # full size: NEURON scales a bitmap font by dropping pixel rows and columns,
            # which made I read as J and E as L
            r.label(0.925 + column * lay.LABEL_COLUMN_PX / width, y, pop.name, 2, 1, 0, 0.5,
                    CLASS_COLOUR[pop.cls])

    # ------------------------------------------------------------------ controls
    def scaling_on(self):
        """Switch synaptic scaling on at the current time."""
        self.model.set_scaling(self.h.t, True, self.h.t)

    def scaling_off(self):
        """Switch synaptic scaling off at the current time."""
        self.model.set_scaling(self.h.t, False, self.h.scaling_ton_NetcolIntf6)

    def scaling_typed(self):
        """The scaling field's new value from now on (its steps from the time set before):
        the field sets NetcolIntf6's module-wide switch, which the rank engine does not
        read during a run."""
        h = self.h
        self.model.set_scaling(h.t, bool(h.scaling_NetcolIntf6), h.scaling_ton_NetcolIntf6)

    def stdp_typed(self):
        """The STDP field's new value from now on (the rank engine does not read
        NetcolIntf6's module-wide switch during a run)."""
        self.model.set_stdp(self.h.t, bool(self.h.stdp_on_NetcolIntf6))

    def delete(self, gids):
        """Delete cells now (they stop spiking; the raster shows it)."""
        gids = [g for g in gids if 0 <= g < self.model.n]
        self.model.delete(gids, self.h.t)
        if self.schedule is not None:
            self.schedule.forget(gids)
        return gids

    def set_status(self, text):
        """The protocol's status line in the controls panel."""
        self.h.netcol_gui_status = text

    def mark_event(self, t, colour):
        """A vertical line across the raster at a protocol event (t in ms)."""
        self.event_marks.append((t, colour))
        self._event_line(t, colour)
        self.raster.flush()

    def _event_line(self, t, colour):
        self.raster.beginline(colour, 2)
        self.raster.line(t, 0)
        self.raster.line(t, self.model.n)

    def delete_random(self):
        """Delete 'how many' random alive cells now; the picks are keyed by the run's seed,
        the time and the cells deleted so far, so the same clicks delete the same cells."""
        alive = sorted(set(range(self.model.n)) - self.model.dead)
        n = min(int(self.h.netcol_gui_random), len(alive))
        rng = np.random.default_rng([self.seed, int(round(self.h.t * 1000)), len(self.model.dead)])
        return self.delete(rng.choice(alive, size=n, replace=False).tolist())

    def browse_type_index(self):
        pop = self.cells["pops"][int(self.h.netcol_gui_type) % len(self.types)]
        idx = int(self.h.netcol_gui_index)
        if 0 <= idx < pop.count:
            self.browse(pop.first_gid + idx)

    def browse(self, gid):
        """Open the cell's graphs, filled in as the run goes (every TICK_MS): its
        components (mV), its activity sensor with the scaling's goal (Hz), its scale
        factor's departure from 1 (ppm); its spikes, rate, sensor, goal and scale factor in
        the controls (:func:`cell_readout`)."""
        h = self.h
        if gid not in self.model.local:
            return None
        self.browsed = gid
        self.reader = sampler(self.model, [gid], BROWSED)
        pop = self.cells["pops"][self.cells["type_index"][gid]]
        self.rest = self.model.column.cell_classes[pop.cls].params["RMP"]
        self.spikes_counted = self.browsed_spikes = 0
        graphs, follows = [], []
        self.frames = browser_frames(self.places)
        for name, y_range, sliding, kw in (("browser", (-90.0, 0.0), True, dict(headroom=0.1)),
                                           ("sensor", (0.0, 1.0), False, dict(floor=0.0)),
                                           ("scale", (-SCALE_SPAN / 2, SCALE_SPAN / 2), False,
                                            dict(min_span=SCALE_SPAN))):
            x, y, w, ht = self.places[name]
            g = h.Graph(0)
            span = min(h.tstop, BROWSER_SPAN_MS if sliding else RASTER_SPAN_MS)
            g.view(0, y_range[0], span, y_range[1] - y_range[0], x, y, w, ht)
            graphs.append(g)
            # axes along the bottom and left edges of the data, their numbers in margins
            # that hold them (the frame's), the texts above the data
            follows.append(lay.Follow(g, span, y_range, sliding,
                                      on_page=(lambda start, last, g=g: None if last else g.erase()) if sliding
                                      else None, end=lambda: h.tstop, frame=self.frames[name], **kw))
        self.trace = (graphs, follows, [None] * (len(COMPONENTS) + 3))
        self._browser_labels(gid)
        return graphs[0]

    def _browser_labels(self, gid):
        """The browser's titles and the components' legend, above the data areas (the
        frames' top margins)."""
        (g, s, f), _, _ = self.trace
        frames = [self.frames[name] for name in BROWSER_GRAPHS]
        tau_s = self.h.act_tau_decay_NetcolIntf6 / 1000.0
        # the axis follows the sensor alone (see _tick): a goal above it is off the graph
        titles = (f"gid {gid} ({self.model.type_name(gid)}): components (mV) vs time (ms)",
                  f"gid {gid}: sensor (Hz, {tau_s:g}-s mean); goal vermillion, if in range",
                  f"gid {gid}: scale factor - 1, in millionths (ppm)")
        for graph, frame, title in zip((g, s, f), frames, titles):
            graph.label(TEXT_LEFT, frame.text_y(0), title, 2, 1, 0, 1, lay.BLACK)
        for x, y, name, scale, colour in legend_labels(frames[0]):
            g.label(x, y, name, 2, scale, 0, 1, colour)

    # ------------------------------------------------------------------ live updates
    def _on_init(self):
        """At every init, before the cells' INITIAL blocks: the built column again, the
        protocol afresh, clean views."""
        self.model.restart()
        if self.schedule is not None:
            if self.h.netcol_gui_protocol:
                self.schedule.start(self)
            else:
                self.schedule.stop()
                self.set_status("protocol: off (set 1 and init to run it)")
        self.event_marks = []
        self.raster.erase_all()
        self.rates.erase_all()
        self.raster_axes.reset()
        self.rates_axes.reset()
        self._labels()
        self.rate_last = {}
        if self.trace is not None:   # a new run draws on a clean browser
            graphs, follows, last = self.trace
            for g, f in zip(graphs, follows):
                g.erase_all()
                f.reset()
            self.trace = (graphs, follows, [None] * len(last))
            self._browser_labels(self.browsed)
        self.tvec.resize(0)
        self.idvec.resize(0)
        self.plotted = 0
        self.spikes_counted = self.browsed_spikes = 0
        self.last_plot = 0.0
        self.next_tick = TICK_MS
        self.h.CVode().event(TICK_MS, self._tick)

    def _after_init(self):
        """After the cells' INITIAL blocks: the rank engine starts with scaling off; it
        takes the module-wide switch as the run starts (on the per-cell engine, which
        reads the switch itself, this changes nothing)."""
        h = self.h
        self.model.set_scaling(0.0, bool(h.scaling_NetcolIntf6), h.scaling_ton_NetcolIntf6)

    def _tick(self):
        t = self.next_tick
        self.next_tick = t + TICK_MS
        if self.trace is not None:
            self._draw_browsed(t)
        if t - self.last_plot >= PLOT_EVERY_MS:
            self._plot_spikes(t)
        self.h.CVode().event(self.next_tick, self._tick)

    def _count_browsed_spikes(self):
        """The browsed cell's spikes so far, from the spike record (counted on from where
        the last count stopped)."""
        ids = self.idvec.as_numpy()[self.spikes_counted:]
        self.browsed_spikes += int((ids == self.browsed).sum())
        self.spikes_counted += len(ids)
        return self.browsed_spikes

    def _draw_browsed(self, t):
        """The browsed cell at t (ms) on its graphs and in the read-out; a deleted cell
        (it reads NaN) draws no more."""
        h = self.h
        (g, s, f), (fg, fs, ff), last = self.trace
        read = dict(zip(BROWSED, self.reader(t)[0].tolist()))
        spikes = self._count_browsed_spikes()   # after the reader: its catch-up emits the spikes before t
        if np.isnan(read["V"]):
            h.netcol_gui_cell = f"gid {self.browsed} ({self.model.type_name(self.browsed)}): deleted, {spikes} spikes"
            return
        vals = [read[v] + self.rest if v in DEVIATIONS else read[v] for _, v, _ in COMPONENTS]
        n = len(vals)
        sensor, scale = read["activity"], read["scale"]
        goal = None if np.isnan(read["goal"]) else read["goal"]   # NaN: not set yet
        # axes first (a new page is cleared before it is drawn on); the sensor's axis
        # follows the sensor alone: a goal far above it (the sensor's 100-s filter
        # lags) is off the graph, its value in the controls
        fg.see(t, vals)
        fs.see(t, [sensor])
        ff.see(t, [(scale - 1.0) * PPM])
        for k, (v, (_, _, colour)) in enumerate(zip(vals, COMPONENTS)):
            self._segment(g, k, last, t, v, colour)
        self._segment(s, n, last, t, sensor, lay.BLACK)
        if goal is not None:
            self._segment(s, n + 1, last, t, goal, lay.VERMILLION)
        self._segment(f, n + 2, last, t, (scale - 1.0) * PPM, lay.BLACK)
        h.netcol_gui_cell, h.netcol_gui_cell2, h.netcol_gui_cell3 = cell_readout(
            self.browsed, self.model.type_name(self.browsed), t, spikes, sensor, goal, scale,
            h.act_tau_decay_NetcolIntf6 / 1000.0)
        for graph in (g, s, f):
            graph.flush()

    @staticmethod
    def _segment(graph, k, last, t, v, colour):
        if last[k] is not None:
            graph.beginline(colour, 1)
            graph.line(*last[k])
            graph.line(t, v)
        last[k] = (t, v)

    def _plot_spikes(self, t):
        # the spikes before t recorded (the rank engine's windows lag NEURON's time)
        self.model.handle_until(t)
        n = int(self.tvec.size())
        ti = self.cells["type_index"]
        pops = self.cells["pops"]
        counts = dict.fromkeys(self.classes, 0)
        self.raster_axes.see(t)   # a new page first, then its marks
        for i in range(self.plotted, n):
            gid = int(self.idvec.x[i])
            pop = pops[ti[gid]]
            self.raster.mark(self.tvec.x[i], gid, "|", 3, CLASS_COLOUR[pop.cls], 1)
            counts[pop.cls] += 1
            self.marks += 1
        self.plotted = n
        span = (t - self.last_plot) / 1000.0
        rates = []
        for cls in self.classes:
            cells = sum(p.count for p in pops if p.cls == cls) - sum(1 for g in self.model.dead
                                                                      if pops[ti[g]].cls == cls)
            rate = counts[cls] / max(cells, 1) / max(span, 1e-9)
            rates.append(rate)
            if cls in self.rate_last:
                self.rates.beginline(CLASS_COLOUR[cls], 1)
                self.rates.line(*self.rate_last[cls])
                self.rates.line(t, rate)
            self.rate_last[cls] = (t, rate)
        self.rates_axes.see(t, rates)
        self.raster.flush()
        self.rates.flush()
        self.last_plot = t


def open(model, duration_ms=1000.0):
    """Open the netcol windows for a built model and return the ColumnGUI.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork or netcol.models.rowan2013.ranknet.RankNetwork
        Built with :func:`netcol.models.rowan2013.network.build` or
        :func:`netcol.models.rowan2013.ranknet.build_rank` (NEURON started with
        NETCOL_GUI=1).
    duration_ms : float
        tstop of the run control.

    Returns
    -------
    ColumnGUI
    """
    return ColumnGUI(model, duration_ms)


def open_assembled(assembly):
    """The windows for an assembled experiment (netcol.build.assemble), its played-back inputs
    (the training signal) given again from t = 0 at every init."""
    from .playback import Playback, playback_sources
    from .guischedule import GuiSchedule
    from .protocol import quirk_on
    h, net, p = neuron_h(), assembly.net, assembly.p
    window = ColumnGUI(net, p["duration"] * 1000.0, seed=p["seed"], schedule=GuiSchedule(assembly))

    def inputs_from_zero():
        sources = playback_sources(net, p)
        if sources:
            Playback(net, sources).extend_to(h.tstop + 1000.0)
    window.input_handler = h.FInitializeHandler(1, inputs_from_zero)   # lives as long as the window
    if quirk_on(p, "input_count"):
        # the original's NetStims end after a number of events set by the tstop it was
        # launched with: here the run control's Tstop at each init, before the cells'
        # INITIAL blocks draw their first inputs
        def caps_from_tstop():
            net.cap_drive(h.tstop)
        window.caps_handler = h.FInitializeHandler(0, caps_from_tstop)
    return window
