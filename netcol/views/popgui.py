"""NEURON GUI windows for models built of one population mechanism per rank (such as
NetcolLifMap and NetcolCondLif), tiled for the screen (1366 x 768 and up;
:mod:`.guilayout`): the controls with the run control, a live raster (E vermillion, I
blue, as netcol's figures) paging forward as the run goes, live E and I rates, and a
browser of one cell's variables (the mechanism's probe()), their axes following the data.
Every init restarts the population from its set-up state (restart()).

A model's ``open_gui`` makes a :class:`PopulationGUI` with its probe names, its own
controls, notes on what its GUI runs, and the protocol events the GUI runs itself.
"""
import numpy as np

from ..engine.runtime import neuron_h, parallel_context
from . import guilayout as lay

PLOT_EVERY_MS = 50.0
#: Widest stretch the raster and the browser show at once (ms); they page forward.
RASTER_SPAN_MS, BROWSER_SPAN_MS = 2000.0, 500.0
E_COLOUR, I_COLOUR = lay.VERMILLION, lay.BLUE
#: Colours of the browser's traces, in the order of the probes.
PROBE_COLOURS = (lay.BLACK, lay.VERMILLION, lay.BLUE, lay.BLUISH_GREEN, lay.ORANGE, lay.PURPLE)


class ProtocolEvent:
    """A protocol event the GUI runs at its time from every init while "run the protocol"
    is 1 (as a batch run does).

    Parameters
    ----------
    t_ms : float
    name : str
        What happens, for the status line ('plasticity on').
    at_init, at_time : callable
        at_init() at every init (the state before the event), at_time() at t_ms.
    """

    def __init__(self, t_ms, name, at_init, at_time):
        self.t_ms, self.name, self.at_init, self.at_time = t_ms, name, at_init, at_time


class PopulationGUI:
    """The windows and their live updates for an assembled population model.

    Parameters
    ----------
    assembly : object
        With ``pop``, ``gids``, ``local``, ``n``, ``excitatory``, ``p`` (duration) and
        ``binding`` (its DT).
    probes : sequence of str
        Names of the browser's traces, probe indices 0, 1, ...
    y_range : (float, float)
        The browser's vertical range before any data (it follows the data).
    tick_ms : float
        How often the browser samples (a time between two steps of the mechanism).
    controls : sequence of (str, str)
        The model's own controls: (label, hoc variable) pairs shown as editable fields,
        read by the mechanism at every step (such as a learning rate).
    notes : sequence of str
        Lines shown above the controls (what the GUI runs of the experiment).
    protocol : sequence of ProtocolEvent
        Events run at their times from every init while "run the protocol" is 1.
    """

    def __init__(self, assembly, probes, y_range, tick_ms, controls=(), notes=(), protocol=()):
        h = self.h = neuron_h()
        self.a, self.pc = assembly, parallel_context()
        self.probes, self.y_range, self.tick_ms = tuple(probes), y_range, tick_ms
        self.protocol = tuple(protocol)
        self.n, self.n_e = assembly.n, int(np.count_nonzero(assembly.excitatory))
        h.dt = assembly.binding.DT
        h.steps_per_ms = 1.0 / assembly.binding.DT
        h.tstop = assembly.p["duration"] * 1000.0
        h.CVode().active(0)
        self.pc.set_maxstep(10)
        self.tvec, self.idvec = h.Vector(), h.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)
        self.marks, self.browsed, self.trace, self.event_marks = 0, None, None, []
        h("netcol_gui_gid = 0")
        h("netcol_gui_protocol = 1")
        h("strdef netcol_gui_status")
        h.netcol_gui_status = "protocol: starts at init" + " " * 24   # the label keeps this width
        self.places = lay.tiles(below=())
        span = min(h.tstop, RASTER_SPAN_MS)
        x, y, w, ht = self.places["raster"]
        self.raster = h.Graph(0)
        lay.install_palette(self.raster)
        self.raster.view(0, 0, span, self.n, x, y, w, ht)
        self.raster_axes = lay.Follow(self.raster, span, (0, self.n), sliding=True, on_page=self._new_page,
                                      end=lambda: h.tstop)
        x, y, w, ht = self.places["rates"]
        self.rates = h.Graph(0)
        self.rates.view(0, 0, span, 10, x, y, w, ht)
        self.rates_axes = lay.Follow(self.rates, span, (0, 10), sliding=False, floor=0.0, end=lambda: h.tstop)
        sections = [lay.run_control_items()]
        if notes:
            sections.append([lambda line=line: h.xlabel(line) for line in notes])
        sections.append([lambda: h.xlabel("cell browser"),
                         lambda: h.xvalue("gid", "netcol_gui_gid", 1),
                         lambda: h.xbutton("plot this gid", lambda: self.browse(int(h.netcol_gui_gid)))])
        if controls:
            sections.append([lambda: h.xlabel("the model (acts from the next step on)")]
                            + [lambda label=label, variable=variable: h.xvalue(label, variable, 1)
                               for label, variable in controls])
        if self.protocol:
            sections.append([lambda: h.xlabel("the experiment's protocol:")]
                            + [lambda e=e: h.xlabel(f"{e.name} at {e.t_ms / 1000:g} s") for e in self.protocol]
                            + [lambda: h.xvalue("run it from init (0/1)", "netcol_gui_protocol", 1),
                               lambda: h.xvarlabel(h._ref_netcol_gui_status)])
        x, y, _ = self.places["controls"]
        self.controls = lay.stacked_panels("netcol controls", sections, x, y)
        # the population restarts before its INITIAL schedules step 0; the ticks are
        # scheduled after the queue is cleared
        self._handlers = (h.FInitializeHandler(3, assembly.restart), h.FInitializeHandler(1, self._on_init))

    def _new_page(self, start, last):
        """A clean raster from start (ms) on, with the marks already drawn after it (on
        the last page, which overlaps the one before)."""
        self.raster.erase_all()
        self._raster_labels()
        t = self.tvec.as_numpy()[:self.plotted]
        ids = self.idvec.as_numpy()[:self.plotted]
        for ts, gid in zip(t[t >= start], ids[t >= start].astype(int)):
            self.raster.mark(ts, gid, "|", 3, E_COLOUR if gid < self.n_e else I_COLOUR, 1)
        for t_ms in self.event_marks:
            if t_ms >= start:
                self._event_line(t_ms)

    def _event_line(self, t_ms):
        self.raster.beginline(lay.PURPLE, 2)
        self.raster.line(t_ms, 0)
        self.raster.line(t_ms, self.n)

    def _raster_labels(self):
        self.raster.label(0.1, 0.995, "raster: cell (gid) vs time (ms)", 2, 1, 0, 1, lay.BLACK)
        self.raster.label(0.75, 0.995, "E", 2, 1, 0, 1, E_COLOUR)
        self.raster.label(0.82, 0.995, "I", 2, 1, 0, 1, I_COLOUR)

    def _labels(self):
        self._raster_labels()
        self.rates.label(0.1, 0.995, f"rate (Hz, {PLOT_EVERY_MS:g}-ms windows) vs time (ms)", 2, 1, 0, 1, lay.BLACK)
        self.rates.label(0.75, 0.995, "E", 2, 1, 0, 1, E_COLOUR)
        self.rates.label(0.82, 0.995, "I", 2, 1, 0, 1, I_COLOUR)

    def browse(self, gid):
        """A graph of one cell's probes, filled in as the run goes."""
        if gid not in self.a.local:
            return None
        h = self.h
        self.browsed = self.a.gids.index(gid)
        x, y, w, ht = self.places["browser"]
        g = h.Graph(0)
        lo, hi = self.y_range
        span = min(h.tstop, BROWSER_SPAN_MS)
        g.view(0, lo, span, hi - lo, x, y, w, ht)
        lay.box_axes(g)
        self.trace = (g, lay.Follow(g, span, (lo, hi), sliding=True, headroom=0.25,
                                    on_page=lambda start, last: None if last else g.erase(),
                                    end=lambda: h.tstop),
                      [None] * len(self.probes), gid)
        self._browser_labels()
        return g

    def _browser_labels(self):
        g, _, _, gid = self.trace
        g.label(0.1, 0.885, f"gid {gid} vs time (ms):", 2, 1, 0, 1, lay.BLACK)
        for k, (name, colour) in enumerate(zip(self.probes, PROBE_COLOURS)):
            g.label(0.1 + 0.16 * k, 0.845, name, 2, 1, 0, 1, colour)

    def _on_init(self):
        h = self.h
        for g in (self.raster, self.rates):
            g.erase_all()
        self.event_marks = []
        self.raster_axes.reset()
        self.rates_axes.reset()
        self._labels()
        if self.trace is not None:
            g, follow, last, gid = self.trace
            g.erase_all()
            follow.reset()
            self.trace = (g, follow, [None] * len(last), gid)
            self._browser_labels()
        self.tvec.resize(0)
        self.idvec.resize(0)
        self.plotted, self.last_plot, self.rate_last = 0, 0.0, {}
        self.next_tick = self.tick_ms
        h.CVode().event(self.tick_ms, self._tick)
        if self.protocol:
            if h.netcol_gui_protocol:
                for event in self.protocol:
                    event.at_init()
                    h.CVode().event(event.t_ms, lambda e=event: self._run_event(e))
                first = self.protocol[0]
                self.set_status(f"protocol: {first.name} at {first.t_ms / 1000:g} s")
            else:
                self.set_status("protocol: off (set 1 and init to run it)")

    def _run_event(self, event):
        if self.h.netcol_gui_protocol:
            event.at_time()
            self.set_status(f"protocol: {event.name} since {event.t_ms / 1000:g} s")
            self.event_marks.append(event.t_ms)
            self._event_line(event.t_ms)
            self.raster.flush()

    def set_status(self, text):
        """The protocol's status line in the controls."""
        self.h.netcol_gui_status = text

    def _tick(self):
        h, t = self.h, self.next_tick
        self.next_tick = t + self.tick_ms
        if self.trace is not None:
            g, follow, last, _ = self.trace
            values = [self.a.pop.probe(k, self.browsed) for k in range(len(self.probes))]
            follow.see(t, values)
            for k, (v, colour) in enumerate(zip(values, PROBE_COLOURS)):
                if last[k] is not None:
                    g.beginline(colour, 1)
                    g.line(*last[k])
                    g.line(t, v)
                last[k] = (t, v)
            g.flush()
        if t - self.last_plot >= PLOT_EVERY_MS - 1e-9:
            self._plot_spikes(t)
        h.CVode().event(self.next_tick, self._tick)

    def _plot_spikes(self, t):
        n = int(self.tvec.size())
        gids = np.array(self.idvec)[self.plotted:n].astype(int)
        self.raster_axes.see(t)   # a new page first, then its marks
        for ts, gid in zip(np.array(self.tvec)[self.plotted:n], gids):
            self.raster.mark(ts, gid, "|", 3, E_COLOUR if gid < self.n_e else I_COLOUR, 1)
            self.marks += 1
        self.plotted = n
        span = (t - self.last_plot) / 1000.0
        rates = []
        for key, count, size, colour in (("E", np.sum(gids < self.n_e), self.n_e, E_COLOUR),
                                         ("I", np.sum(gids >= self.n_e), self.n - self.n_e, I_COLOUR)):
            rate = count / size / max(span, 1e-9)
            rates.append(rate)
            if key in self.rate_last:
                self.rates.beginline(colour, 1)
                self.rates.line(*self.rate_last[key])
                self.rates.line(t, rate)
            self.rate_last[key] = (t, rate)
        self.rates_axes.see(t, rates)
        self.raster.flush()
        self.rates.flush()
        self.last_plot = t
