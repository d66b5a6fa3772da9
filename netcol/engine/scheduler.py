"""Execute a run's timeline as NEURON events.

Each timeline time is a ``CVode.event`` whose callback runs in time order with the
cells' own events; one is pending at a time (each callback schedules the next).  At a
time, every event named there runs its action, looked up by name in the table the model
gives (plus ``checkpoint``, which the run loop gives); then the model's ``after_event``
hook runs.  Every rank runs the same callbacks at the same simulated times.
"""
from .runtime import neuron_h


class Scheduler:
    """Runs a timeline.

    Parameters
    ----------
    events : list of (float, str)
        (time in ms, action name), sorted by time; the same on every rank.
    actions : dict of str to callable
        Action name -> action(t); names without an action are only logged.
    after_event : callable, optional
        Called as after_event(t) once the actions at time t have run.
    """

    def __init__(self, events, actions, after_event=None):
        # times a rounding apart (k * interval computed in floating point) are one time: an
        # event scheduled a rounding after the current one would never be delivered
        self.events = [(round(t, 9), name) for t, name in events]
        self.actions, self.after_event = actions, after_event
        self.times = sorted({t for t, _ in self.events})
        self.next_index = 0
        self._cv = neuron_h().CVode()

    def next_time(self, from_time):
        """The first timeline time at or after from_time (ms), or 1e20."""
        return next((t for t in self.times if t >= from_time - 1e-9), 1e20)

    def start(self, from_time=0.0):
        """Schedule the first event at or after from_time (ms); call after finitialize."""
        while self.next_index < len(self.times) and self.times[self.next_index] < from_time - 1e-9:
            self.next_index += 1
        self._schedule_next()

    def _schedule_next(self):
        if self.next_index < len(self.times):
            t = self.times[self.next_index]
            self._cv.event(t, lambda: self._fire(t))

    def _fire(self, t):
        self.next_index += 1
        for tt, name in self.events:
            if tt == t and name in self.actions:
                self.actions[name](t)
        if self.after_event:
            self.after_event(t)
        self._schedule_next()


def checkpoint_events(checkpoint_every, end_ms):
    """(time in ms, "checkpoint") every checkpoint_every seconds before end_ms."""
    if not checkpoint_every:
        return []
    events, k = [], 1
    while k * checkpoint_every * 1000.0 < end_ms - 1e-9:
        events.append((k * checkpoint_every * 1000.0, "checkpoint"))
        k += 1
    return events
