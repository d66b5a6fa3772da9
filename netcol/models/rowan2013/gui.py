"""Interactive inspection of a column in NEURON's own GUI (InterViews).

``netcol gui EXPERIMENT`` builds the column and opens:
- NEURON's run control (init, run, stop, continue);
- a live raster (cell by type against time) and live per-type rate traces;
- a cell browser: choose a gid (or a type and an index) and plot its components over
  time (membrane potential, AMPA, NMDA, GABA-A, AHP, threshold; activity sensor and
  scale factor);
- controls that switch STDP and scaling on or off and delete chosen or random cells now;
- the experiment's scheduled protocol (scaling switch-on, deletion rounds), run afresh at
  every init while "run the protocol" is 1 (see :mod:`.guischedule`).

Every init starts from the built column (deleted cells back, drive rewound): two runs
with the same settings give the same spikes.

From Python, after building a model yourself: ``netcol.gui.open(model)``.  The GUI needs
NETCOL_GUI=1 before NEURON starts (``netcol gui`` sets it); headless runs never import
this module.
"""
import numpy as np

from ...engine.runtime import neuron_h, parallel_context

#: NEURON Graph colours by cell class, as in netcol plot: RS (E) red, FS blue, LTS green.
CLASS_COLOUR = {"RS": 2, "FS": 3, "LTS": 4}
TICK_MS = 5.0          # cell browser sampling
PLOT_EVERY_MS = 50.0   # raster and rates refresh
#: Window places (left, top, width, height in pixels), tiled for a 1700 x 1000 screen.
PLACES = dict(controls=(10, 20), runcontrol=(10, 500), raster=(560, 20, 640, 400), rates=(560, 520, 640, 300),
              browser=(1230, 20, 440, 350), sensor=(1230, 470, 440, 250))
COMPONENTS = (("V", "vm"), ("AMPA2", 3), ("NMDA2", 4), ("GABA-A", 2), ("GABA-A2", 5), ("AHP", 6),
              ("threshold", 7))


class ColumnGUI:
    """The windows and their live updates for one built column model.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork
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
        h("strdef netcol_gui_status")
        h.netcol_gui_status = "protocol: starts at init"
        self.browsed = None
        self.trace = None
        self._build_windows()
        self._init_handler = h.FInitializeHandler(0, self._on_init)

    # ------------------------------------------------------------------ windows
    def _build_windows(self):
        h = self.h
        self._run_control()
        x, y, w, ht = PLACES["raster"]
        self.raster = h.Graph(0)
        self.raster.size(0, self.h.tstop, 0, self.model.n)
        self.raster.view(0, 0, self.h.tstop, self.model.n, x, y, w, ht)
        x, y, w, ht = PLACES["rates"]
        self.rates = h.Graph(0)
        self.rates.size(0, self.h.tstop, 0, 40)
        self.rates.view(0, 0, self.h.tstop, 40, x, y, w, ht)
        self._labels()
        self.rate_last = {}
        h.xpanel("netcol controls")
        h.xlabel("plasticity and scaling")
        h.xvalue("STDP on (0/1)", "stdp_on_NetcolIntf6", 1)
        h.xbutton("switch scaling on now", self.scaling_on)
        h.xbutton("switch scaling off", self.scaling_off)
        h.xvalue("scaling (0/1)", "scaling_NetcolIntf6")
        h.xlabel("deletion (random picks keyed by the run's seed)")
        h.xvalue("gid", "netcol_gui_gid", 1)
        h.xbutton("delete this cell now", lambda: self.delete([int(h.netcol_gui_gid)]))
        h.xvalue("how many", "netcol_gui_random", 1)
        h.xbutton("delete random cells now", self.delete_random)
        h.xlabel("cell browser")
        h.xvalue("gid", "netcol_gui_gid", 1)
        h.xbutton("plot this gid", lambda: self.browse(int(h.netcol_gui_gid)))
        h.xvalue(f"type (0-{len(self.types) - 1})", "netcol_gui_type", 1)
        h.xvalue("index within type", "netcol_gui_index", 1)
        h.xbutton("plot this type's cell", self.browse_type_index)
        if self.schedule is not None:
            h.xlabel("the experiment's protocol: " + self.schedule.describe())
            h.xvalue("run the protocol from init (0/1)", "netcol_gui_protocol", 1)
            h.xvarlabel(h._ref_netcol_gui_status)
        h.xpanel(*PLACES["controls"])

    def _run_control(self):
        """NEURON's run control, placed where it fits (nrncontrolmenu takes no place)."""
        h = self.h
        h.xpanel("RunControl")
        h.xbutton("Init & Run", "run()")
        h.xbutton("Stop", "stoprun = 1")
        h.xvalue("Continue til", "runStopAt", 1, "continuerun(runStopAt) stoprun = 1", 1, 1)
        h.xvalue("t", "t", 2)
        h.xvalue("Tstop", "tstop", 1, "tstop_changed()", 0, 1)
        h.xpanel(*PLACES["runcontrol"])

    def _labels(self):
        """Titles, type names beside the raster and the class colours of the rates."""
        self.raster.label(0.3, 0.95, "raster: cell (gid) vs time (ms); RS red, FS blue, LTS green")
        n = self.model.n
        for pop in self.cells["pops"]:
            self.raster.label(0.96, (pop.first_gid + pop.count / 2) / n * 0.8 + 0.1, pop.name, 2, 0.7, 0, 0.5,
                              CLASS_COLOUR[pop.cls])
        self.rates.label(0.25, 0.95, f"rate per class (Hz, {PLOT_EVERY_MS:g}-ms windows)")
        for k, cls in enumerate(self.classes):
            self.rates.label(0.85, 0.85 - 0.07 * k, cls, 2, 1, 0, 0, CLASS_COLOUR[cls])

    # ------------------------------------------------------------------ controls
    def scaling_on(self):
        """Switch synaptic scaling on at the current time."""
        self.h.scaling_NetcolIntf6 = 1
        self.h.scaling_ton_NetcolIntf6 = self.h.t

    def scaling_off(self):
        self.h.scaling_NetcolIntf6 = 0

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
        self.raster.beginline(colour, 2)
        self.raster.line(t, 0)
        self.raster.line(t, self.model.n)
        self.raster.flush()

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
        """Open a graph of the cell's components over time, filled in as the run goes."""
        h = self.h
        if gid not in self.model.local:
            return None
        self.browsed = gid
        x, y, w, ht = PLACES["browser"]
        g = h.Graph(0)
        g.size(0, h.tstop, -90, 0)
        g.view(0, -100, h.tstop, 110, x, y, w, ht)   # room above 0 mV for the legend
        x, y, w, ht = PLACES["sensor"]
        s = h.Graph(0)
        s.size(0, h.tstop, 0, 5)
        s.view(0, 0, h.tstop, 5, x, y, w, ht)
        self.trace = (g, s, [None] * (len(COMPONENTS) + 2))
        self._browser_labels(gid)
        return g

    def _browser_labels(self, gid):
        """The browser's titles, its legend in one row above the traces."""
        g, s, _ = self.trace
        g.label(0.1, 0.97, f"gid {gid} ({self.model.type_name(gid)}): mV vs ms", 2, 1, 0, 0, 1)
        for k, (name, _) in enumerate(COMPONENTS):
            g.label(0.1 + 0.12 * k, 0.9, name, 2, 0.8, 0, 0, k + 1)
        s.label(0.1, 0.95, f"gid {gid}: activity sensor (Hz, black), scale factor (red)", 2, 1, 0, 0, 1)

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
        self.raster.erase_all()
        self.rates.erase_all()
        self._labels()
        self.rate_last = {}
        if self.trace is not None:   # a new run draws on a clean browser
            g, s, last = self.trace
            g.erase_all()
            s.erase_all()
            self.trace = (g, s, [None] * len(last))
            self._browser_labels(self.browsed)
        self.tvec.resize(0)
        self.idvec.resize(0)
        self.plotted = 0
        self.last_plot = 0.0
        self.next_tick = TICK_MS
        self.h.CVode().event(TICK_MS, self._tick)

    def _tick(self):
        h = self.h
        t = self.next_tick
        self.next_tick = t + TICK_MS
        if self.trace is not None:
            g, s, last = self.trace
            cell = self.model.local[self.browsed]
            cell.catch_up(t)
            vals = [cell.vm() if which == "vm" else cell.component(which) for _, which in COMPONENTS]
            vals[1:6] = [v + cell.RMP for v in vals[1:6]]   # contributions drawn around rest
            for k, v in enumerate(vals):
                self._segment(g, k, last, t, v, k + 1)
            self._segment(s, len(vals), last, t, cell.activity() * 1000.0, 1)
            self._segment(s, len(vals) + 1, last, t, cell.sfac, 2)
            g.flush()
            s.flush()
        if t - self.last_plot >= PLOT_EVERY_MS:
            self._plot_spikes(t)
        h.CVode().event(self.next_tick, self._tick)

    @staticmethod
    def _segment(graph, k, last, t, v, colour):
        if last[k] is not None:
            graph.beginline(colour, 1)
            graph.line(*last[k])
            graph.line(t, v)
        last[k] = (t, v)

    def _plot_spikes(self, t):
        n = int(self.tvec.size())
        ti = self.cells["type_index"]
        pops = self.cells["pops"]
        counts = dict.fromkeys(self.classes, 0)
        for i in range(self.plotted, n):
            gid = int(self.idvec.x[i])
            pop = pops[ti[gid]]
            self.raster.mark(self.tvec.x[i], gid, "|", 3, CLASS_COLOUR[pop.cls], 1)
            counts[pop.cls] += 1
            self.marks += 1
        self.plotted = n
        span = (t - self.last_plot) / 1000.0
        for cls in self.classes:
            cells = sum(p.count for p in pops if p.cls == cls) - sum(1 for g in self.model.dead
                                                                      if pops[ti[g]].cls == cls)
            rate = counts[cls] / max(cells, 1) / max(span, 1e-9)
            if cls in self.rate_last:
                self.rates.beginline(CLASS_COLOUR[cls], 1)
                self.rates.line(*self.rate_last[cls])
                self.rates.line(t, rate)
            self.rate_last[cls] = (t, rate)
        self.raster.flush()
        self.rates.flush()
        self.last_plot = t


def open(model, duration_ms=1000.0):
    """Open the netcol windows for a built model and return the ColumnGUI.

    Parameters
    ----------
    model : netcol.models.rowan2013.network.ColumnNetwork
        Built with :func:`netcol.models.rowan2013.network.build` (NEURON started with
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
    from .network import cap_streams
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
            for cell in net.local.values():
                cap_streams(cell, h.tstop)
        window.caps_handler = h.FInitializeHandler(0, caps_from_tstop)
    return window
