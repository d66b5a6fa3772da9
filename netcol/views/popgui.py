"""NEURON GUI windows for models built of one population mechanism per rank (such as
NetcolLifMap and NetcolCondLif): run control, a live raster (E red, I blue), live E and
I rates, and a browser of one cell's variables (the mechanism's probe()).  Every init
restarts the population from its set-up state (restart()).

A model's ``open_gui`` makes a :class:`PopulationGUI` with its probe names and ranges.
"""
import numpy as np

from ..engine.runtime import neuron_h, parallel_context

PLOT_EVERY_MS = 50.0


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
        The browser's vertical range.
    tick_ms : float
        How often the browser samples (a time between two steps of the mechanism).
    controls : sequence of (str, str)
        The model's own controls: (label, hoc variable) pairs shown as editable fields,
        read by the mechanism at every step (such as a learning rate).
    """

    def __init__(self, assembly, probes, y_range, tick_ms, controls=()):
        h = self.h = neuron_h()
        self.a, self.pc = assembly, parallel_context()
        self.probes, self.y_range, self.tick_ms = tuple(probes), y_range, tick_ms
        self.n, self.n_e = assembly.n, int(np.count_nonzero(assembly.excitatory))
        h.dt = assembly.binding.DT
        h.steps_per_ms = 1.0 / assembly.binding.DT
        h.tstop = assembly.p["duration"] * 1000.0
        h.CVode().active(0)
        self.pc.set_maxstep(10)
        self.tvec, self.idvec = h.Vector(), h.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)
        self.marks, self.browsed, self.trace = 0, None, None
        h("netcol_gui_gid = 0")
        span = min(h.tstop, 2000.0)
        self.raster = h.Graph(0)
        self.raster.size(0, h.tstop, 0, self.n)
        self.raster.view(0, 0, span, self.n, 480, 20, 640, 420)
        self.rates = h.Graph(0)
        self.rates.size(0, h.tstop, 0, 20)
        self.rates.view(0, 0, span, 20, 480, 500, 640, 300)
        h.nrncontrolmenu()
        h.xpanel("netcol controls")
        h.xlabel("cell browser: " + ", ".join(f"{name} ({c})" for name, c in zip(self.probes, ("black", "red",
                                                                                               "blue", "green"))))
        h.xvalue("gid", "netcol_gui_gid", 1)
        h.xbutton("plot this gid", lambda: self.browse(int(h.netcol_gui_gid)))
        if controls:
            h.xlabel("the model (acts from the next step on)")
            for label, variable in controls:
                h.xvalue(label, variable, 1)
        h.xpanel(20, 20)
        # the population restarts before its INITIAL schedules step 0; the ticks are
        # scheduled after the queue is cleared
        self._handlers = (h.FInitializeHandler(3, assembly.restart), h.FInitializeHandler(1, self._on_init))

    def _labels(self):
        self.raster.label(0.3, 0.95, "raster: cell (gid) vs ms; E red, I blue")
        self.rates.label(0.3, 0.95, f"rate (Hz, {PLOT_EVERY_MS:g}-ms windows): E red, I blue")

    def browse(self, gid):
        """A graph of one cell's probes, filled in as the run goes."""
        if gid not in self.a.local:
            return None
        h = self.h
        self.browsed = self.a.gids.index(gid)
        g = h.Graph(0)
        lo, hi = self.y_range
        g.size(0, h.tstop, lo, hi)
        g.view(0, lo, min(h.tstop, 500.0), hi - lo, 1150, 20, 440, 350)
        g.label(0.05, 0.95, f"gid {gid} vs ms")
        self.trace = (g, [None] * len(self.probes))
        return g

    def _on_init(self):
        for g in (self.raster, self.rates):
            g.erase_all()
        self._labels()
        self.tvec.resize(0)
        self.idvec.resize(0)
        self.plotted, self.last_plot, self.rate_last = 0, 0.0, {}
        self.next_tick = self.tick_ms
        self.h.CVode().event(self.tick_ms, self._tick)

    def _tick(self):
        h, t = self.h, self.next_tick
        self.next_tick = t + self.tick_ms
        if self.trace is not None:
            g, last = self.trace
            for k in range(len(self.probes)):
                v = self.a.pop.probe(k, self.browsed)
                if last[k] is not None:
                    g.beginline(k + 1, 1)
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
