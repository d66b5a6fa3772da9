"""A single-cell laboratory for the mechanism tests: one NetcolIntf6 (or a few),
inputs at chosen times through NetCons, and sampling of its state.

Imported only inside a fresh process (see helpers.in_fresh_process)."""
from netcol.cells.intf6 import SLOT, KIND_FROM_E, apply_mechanism_settings, cell_class, read_state
from netcol.models.rowan2013.column import load_cell_classes
from netcol.engine.runtime import neuron_h, parallel_context


class Lab:
    """Cells of given classes, external inputs at fixed times, and a run with sampling."""

    def __init__(self, classes=("RS",), **settings):
        self.h = neuron_h()
        self.pc = parallel_context()
        apply_mechanism_settings(self.h, settings)
        known = load_cell_classes()
        self.cells = [cell_class(c, known).create(gid) for gid, c in enumerate(classes)]
        self.cell = self.cells[0]
        self.netcons = []
        self.pending = []
        cv = self.h.CVode()
        cv.active(1)
        self.pc.set_maxstep(10)

    def netcon(self, target=None, weights=None, source=None, delay=0.0):
        """A NetCon onto target with the given {slot name: value} weights."""
        target = target if target is not None else self.cell
        nc = self.h.NetCon(source, target)
        nc.delay = delay
        for name, value in (weights or {}).items():
            nc.weight[SLOT[name]] = value
        self.netcons.append(nc)
        return nc

    def plastic_synapse(self, target=None, inc=0.001, tau=20.0, wmax=10.0, delay=1.0, w_am2=0.0):
        """An E->target internal synapse carrying STDP, driven by nc.event."""
        return self.netcon(target, dict(AM2=w_am2, KIND=KIND_FROM_E, WGAIN=1.0, PLINC=inc, PLTAU=tau,
                                        PLMAX=wmax, DELAY=delay), delay=delay)

    def at(self, t, nc):
        """Deliver an event through nc at absolute time t (scheduled at init)."""
        self.pending.append((t, nc))

    def spike_recorder(self, cell=None):
        vec = self.h.Vector()
        nc = self.h.NetCon(cell if cell is not None else self.cell, None)
        nc.record(vec)
        self.netcons.append(nc)
        return vec

    def init(self):
        self.h.finitialize()
        for t, nc in self.pending:
            nc.event(t)

    def run_to(self, t):
        self.pc.psolve(t)

    def sample(self, times, fn):
        """Run to each time in turn and collect fn() there."""
        out = []
        for t in times:
            self.run_to(t)
            for cell in self.cells:
                cell.catch_up(t)
            out.append(fn())
        return out

    def state(self, cell=None):
        return read_state(cell if cell is not None else self.cell)
