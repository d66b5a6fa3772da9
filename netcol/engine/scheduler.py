"""Execute a run's timeline as NEURON events.

Each timeline time is a ``CVode.event`` whose callback runs in time order with the
cells' own events.  NEURON's queue holds every time up to :data:`LOOKAHEAD_STEPS` steps
after the next one to run (each callback adds those): inside a callback h.t may already
be a step past its time, and an event put in the queue for a time NEURON has reached is
never delivered (times one step apart, such as a recording's, lost the rest of the
timeline when each callback queued only the next time); a time is queued while NEURON is
at least that many steps before it.  At a
time, every event named there runs its action, looked up by name in the table the model
gives (plus ``checkpoint``, which the run loop gives), in the order the events are
listed in the timeline; then the model's ``after_event`` hook runs.  Every rank runs the
same callbacks at the same simulated times.

With keep_errors (the run loop's), an action that raises does not end NEURON (an
exception escaping a callback is "Python Callback failed", which aborts every rank at
once and leaves the run's record and files as they were): the first error is kept in
:attr:`Scheduler.error`, the other actions go on (so that every rank still meets the
same collective calls), and the run loop ends the run at the end of the block, on every
rank together.

The events are indexed by time once (a dict of time -> names and the sorted times), so a
callback costs what its own time holds, and finding the next time is a bisection: a run
of n events costs O(n log n), not a scan of the whole timeline per event.
"""
from bisect import bisect_left

from .runtime import neuron_h

#: Times closer than this (ms) to a given time count as at it (see :func:`first_at_or_after`).
TIME_TOLERANCE = 1e-9
#: How far after the next time to run NEURON's queue holds the timeline's times (in steps, h.dt).
LOOKAHEAD_STEPS = 4


def first_at_or_after(times, from_time):
    """The first of the sorted times at or after from_time (ms), within
    :data:`TIME_TOLERANCE`, or 1e20 when there is none (a bisection)."""
    i = bisect_left(times, from_time - TIME_TOLERANCE)
    return times[i] if i < len(times) else 1e20


class Scheduler:
    """Runs a timeline.

    Parameters
    ----------
    events : list of (float, str)
        (time in ms, action name), sorted by time; the same on every rank.  Events at one
        time run in the order listed.
    actions : dict of str to callable or None
        Action name -> action(t), or None for an event that only marks a time in the
        timeline (timeline.csv), such as the column's "training starts".
    after_event : callable, optional
        Called as after_event(t) once the actions at time t have run.
    keep_errors : bool
        Keep an action's exception in :attr:`error` and go on (see the module's
        description) instead of raising it through NEURON.

    Raises
    ------
    ValueError
        An event whose name the actions do not list (a misspelt or unknown action would
        otherwise silently do nothing).
    """

    def __init__(self, events, actions, after_event=None, keep_errors=False):
        # times a rounding apart (k * interval computed in floating point) are one time: an
        # event scheduled a rounding after the current one would never be delivered
        self.events = [(round(t, 9), name) for t, name in events]
        unknown = sorted({name for _, name in self.events} - set(actions))
        if unknown:
            raise ValueError(f"timeline events without an action: {', '.join(map(repr, unknown))}; the model's "
                             f"actions() must list each (None for a mere marker); it lists {', '.join(map(repr, actions))}")
        self.actions, self.after_event = actions, after_event
        self.names_at = {}
        for t, name in self.events:
            self.names_at.setdefault(t, []).append(name)
        self.times = sorted(self.names_at)
        self.next_index = 0
        self.keep_errors = keep_errors
        self.error = None    # the first exception an action raised on this rank
        self.queued = 0      # the times before it are in NEURON's queue (or done)
        self._h = neuron_h()
        self._cv = self._h.CVode()

    def next_time(self, from_time):
        """The first timeline time at or after from_time (ms), or 1e20."""
        return first_at_or_after(self.times, from_time)

    def start(self, from_time=0.0):
        """Schedule the first event at or after from_time (ms); call after finitialize."""
        self.next_index = max(self.next_index, bisect_left(self.times, from_time - TIME_TOLERANCE))
        self.queued = self.next_index   # finitialize emptied the queue
        self._schedule_next()

    def _schedule_next(self):
        """Queue the next time to run and every time up to LOOKAHEAD_STEPS steps after it."""
        if self.next_index >= len(self.times):
            return
        horizon = self.times[self.next_index] + LOOKAHEAD_STEPS * float(getattr(self._h, "dt", 0.0))
        while self.queued < len(self.times) and (self.queued <= self.next_index or self.times[self.queued] <= horizon):
            t = self.times[self.queued]
            self._cv.event(t, lambda t=t: self._fire(t))
            self.queued += 1

    def _fire(self, t):
        self.next_index += 1
        for name in self.names_at[t]:
            if self.actions[name] is not None:
                self._call(self.actions[name], t)
        if self.after_event:
            self._call(self.after_event, t)
        self._schedule_next()

    def _call(self, action, t):
        try:
            action(t)
        except Exception as err:   # kept for the run loop (see the module's description)
            if not self.keep_errors:
                raise
            if self.error is None:
                self.error = err


def checkpoint_events(checkpoint_every, end_ms):
    """(time in ms, "checkpoint") every checkpoint_every seconds before end_ms."""
    if not checkpoint_every:
        return []
    events, k = [], 1
    while k * checkpoint_every * 1000.0 < end_ms - 1e-9:
        events.append((k * checkpoint_every * 1000.0, "checkpoint"))
        k += 1
    return events
