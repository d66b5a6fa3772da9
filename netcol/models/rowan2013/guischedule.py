"""The experiment's scheduled protocol run from the column's GUI: scaling switch-on and
deletion rounds at the timeline's times, taken by the same actions as a batch run
(:class:`.actions.ColumnProtocol`), so the GUI deletes the cells a batch run deletes.

Every init starts the protocol afresh (round 0, every cell alive, scaling off until its
time) when the panel's "run the protocol" is 1; with 0 the GUI is driven by hand only.
"""
from ...engine.runtime import neuron_h
from ...engine.scheduler import Scheduler
from .actions import ColumnProtocol
from .protocol import deletion_step, timeline

#: The timeline actions the GUI runs (a round reports itself through ProtocolLog);
#: records, snapshots and trials belong to batch runs.
GUI_ACTIONS = ("scaling on", "deletion round")
#: NEURON Graph colours of the raster's protocol marks.
MARK_COLOUR = {"scaling on": 7, "deletion round": 1}


class ProtocolLog:
    """What the protocol reports, shown in the GUI instead of written to state.h5.

    Parameters
    ----------
    recorder : netcol.models.rowan2013.probes.StateRecorder
        Gathers scale factors for the 'scaling' deletion rule.
    on_deletion : callable
        on_deletion(t, gids) after every round.
    """

    def __init__(self, recorder, on_deletion):
        self.recorder, self.on_deletion = recorder, on_deletion

    def gather_scale(self, t):
        """Every cell's scale factor at t (ms), on every rank."""
        return self.recorder.gather_scale(t)

    def log_deletion(self, t, gids):
        self.on_deletion(t, gids)


class GuiSchedule:
    """The scheduled protocol of an assembled column, restartable at every init.

    Parameters
    ----------
    assembly : netcol.models.rowan2013.assembly.ColumnAssembly
    """

    def __init__(self, assembly):
        self.assembly, self.p = assembly, assembly.p
        self.events = [(t, name) for t, name in timeline(self.p) if name in GUI_ACTIONS]
        self.protocol = None
        self.scheduler = None
        self.window = None

    def describe(self):
        """One line naming the protocol's events ('' when the experiment has none)."""
        parts = []
        if self.p["scaling"]:
            parts.append(f"scaling on at {self.p['scaling_start']:g} s")
        if self.p["deletion"]:
            parts.append(f"{deletion_step(self.p)} cells deleted every {self.p['segment_length']:g} s")
        return "; ".join(parts)

    def start(self, window):
        """Begin the protocol from t = 0 (at init, before the cells' INITIAL blocks, which
        plan the drive up to the first protocol time).

        Parameters
        ----------
        window : netcol.models.rowan2013.gui.ColumnGUI
            Shows the status line and marks the raster.
        """
        h = neuron_h()
        self.window = window
        h.scaling_NetcolIntf6 = 0
        h.scaling_ton_NetcolIntf6 = self.p["scaling_start"] * 1000.0
        log = ProtocolLog(self.assembly.probes, lambda t, gids: self._after("deletion round", t))
        self.protocol = ColumnProtocol(self.assembly.net, self.p, log)
        table = {"scaling on": self._reporting("scaling on", self.protocol.scaling_on),
                 "deletion round": self.protocol.deletion_round}
        self.assembly.times = sorted({t for t, _ in self.events})
        self.assembly.set_horizon(0.0)
        self.scheduler = Scheduler(self.events, table, after_event=self.assembly.after_event)
        self.scheduler.start(0.0)
        self._status(0.0)

    def stop(self):
        """No protocol this run: the cells plan their drive without a horizon."""
        self.protocol = self.scheduler = None
        self.assembly.times = []
        self.assembly.set_horizon(0.0)

    def _reporting(self, name, action):
        def run(t):
            action(t)
            self._after(name, t)
        return run

    def _after(self, name, t):
        self.window.mark_event(t, MARK_COLOUR[name])
        self._status(t)

    def _status(self, t):
        scaling = "on" if neuron_h().scaling_NetcolIntf6 else "off"
        self.window.set_status(f"t = {t / 1000.0:g} s: round {self.protocol.round}, "
                               f"{len(self.protocol.alive)} alive, scaling {scaling}")

    def forget(self, gids):
        """Cells deleted by hand are no longer the protocol's to pick."""
        if self.protocol is not None:
            self.protocol.alive -= set(gids)
