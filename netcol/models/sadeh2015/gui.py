"""The sadeh2015 network in NEURON's own GUI (InterViews).

``netcol gui sadeh2015`` builds the network and opens NEURON's run control, a live
raster (cells by preferred orientation, E red, I blue), live E and I rates, and a cell
browser (the membrane variable y and its two filters of one cell).  Every init starts
the protocol again from its first step with the weights as set up.
"""
import numpy as np

from ...cells import lifmap
from ...runtime import neuron_h, parallel_context

PLOT_EVERY_MS = 50.0
TICK_MS = 1.0


class SadehGUI:
    """The windows and their live updates for an assembled sadeh2015 network."""

    def __init__(self, assembly):
        h = self.h = neuron_h()
        self.a, self.pc = assembly, parallel_context()
        self.n, self.n_e = assembly.n, int(assembly.excitatory.sum())
        h.dt = lifmap.DT
        h.steps_per_ms = 1.0 / lifmap.DT
        h.tstop = assembly.p["duration"] * 1000.0
        h.CVode().active(0)
        self.pc.set_maxstep(10)
        self.tvec, self.idvec = h.Vector(), h.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)
        self.marks, self.browsed, self.trace = 0, None, None
        h("netcol_gui_gid = 0")
        self.raster = h.Graph(0)
        self.raster.size(0, h.tstop, 0, self.n)
        self.raster.view(0, 0, min(h.tstop, 2000.0), self.n, 480, 20, 640, 420)
        self.rates = h.Graph(0)
        self.rates.size(0, h.tstop, 0, 20)
        self.rates.view(0, 0, min(h.tstop, 2000.0), 20, 480, 500, 640, 300)
        h.nrncontrolmenu()
        h.xpanel("netcol controls")
        h.xlabel("cell browser: y (black), y- filter (red), y+ filter (blue)")
        h.xvalue("gid", "netcol_gui_gid", 1)
        h.xbutton("plot this gid", lambda: self.browse(int(h.netcol_gui_gid)))
        h.xpanel(20, 20)
        # the population restarts before its INITIAL schedules step 0; the ticks after the
        # queue is cleared
        self._handlers = (h.FInitializeHandler(3, self.a.pop.restart), h.FInitializeHandler(1, self._on_init))

    def _labels(self):
        self.raster.label(0.3, 0.95, "raster: cell (E, I by preferred orientation) vs ms; E red, I blue")
        self.rates.label(0.3, 0.95, f"rate (Hz, {PLOT_EVERY_MS:g}-ms windows): E red, I blue")

    def browse(self, gid):
        """A graph of one cell's y and filters, filled in as the run goes."""
        if gid not in self.a.local:
            return None
        h = self.h
        self.browsed = self.a.gids.index(gid)
        g = h.Graph(0)
        g.size(0, h.tstop, -5, 25)
        g.view(0, -5, min(h.tstop, 500.0), 30, 1150, 20, 440, 350)
        g.label(0.05, 0.95, f"gid {gid}: mV vs ms")
        self.trace = (g, [None] * 3)
        return g

    def _on_init(self):
        for g in (self.raster, self.rates):
            g.erase_all()
        self._labels()
        self.tvec.resize(0)
        self.idvec.resize(0)
        self.plotted, self.last_plot, self.rate_last = 0, 0.0, {}
        self.next_tick = TICK_MS
        # an event at a whole millisecond lies between two map steps
        self.h.CVode().event(TICK_MS, self._tick)

    def _tick(self):
        h, t = self.h, self.next_tick
        self.next_tick = t + TICK_MS
        if self.trace is not None:
            g, last = self.trace
            for k in range(3):
                v = self.a.pop.probe(k, self.browsed)
                if last[k] is not None:
                    g.beginline(k + 1 if k else 1, 1)
                    g.line(*last[k])
                    g.line(t, v)
                last[k] = (t, v)
            g.flush()
        if t - self.last_plot >= PLOT_EVERY_MS:
            self._plot_spikes(t)
        h.CVode().event(self.next_tick, self._tick)

    def _plot_spikes(self, t):
        n = int(self.tvec.size())
        gids = np.array(self.idvec)[self.plotted:n].astype(int)
        for ts, gid in zip(np.array(self.tvec)[self.plotted:n], gids):
            self.raster.mark(ts, gid, "|", 3, 2 if gid < self.n_e else 3, 1)
            self.marks += 1
        self.plotted = n
        span = (t - self.last_plot) / 1000.0
        for key, count, size, colour in (("E", np.sum(gids < self.n_e), self.n_e, 2),
                                         ("I", np.sum(gids >= self.n_e), self.n - self.n_e, 3)):
            rate = count / size / max(span, 1e-9)
            if key in self.rate_last:
                self.rates.beginline(colour, 1)
                self.rates.line(*self.rate_last[key])
                self.rates.line(t, rate)
            self.rate_last[key] = (t, rate)
        self.raster.flush()
        self.rates.flush()
        self.last_plot = t


def open_assembled(assembly):
    """Open the windows for an assembled sadeh2015 experiment; return the SadehGUI."""
    return SadehGUI(assembly)
