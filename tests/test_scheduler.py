"""The timeline scheduler (netcol.engine.scheduler) without NEURON: a fake CVode queue
delivers its events in time order, as NEURON does.

Its semantics are checked against the scheduler as it was before events were indexed by
time (OldScheduler below, a copy of that code), on random timelines; its cost is checked
by counting the comparisons made on the events' times, never by wall time."""
import heapq
import math
import random

import pytest

from netcol.engine import scheduler as sched
from netcol.models.rowan2013 import assembly as column_assembly


class FakeQueue:
    """CVode.event(t, callback): callbacks delivered in time order, FIFO at equal times."""

    def __init__(self):
        self.heap, self.seq = [], 0

    def event(self, t, callback):
        heapq.heappush(self.heap, (float(t), self.seq, callback))
        self.seq += 1

    def run(self):
        while self.heap:
            _, _, callback = heapq.heappop(self.heap)
            callback()


class FakeH:
    def __init__(self):
        self.queue = FakeQueue()
        self.plan_horizon_NetcolIntf6 = None

    def CVode(self):
        return self.queue


@pytest.fixture
def fake_h(monkeypatch):
    h = FakeH()
    monkeypatch.setattr(sched, "neuron_h", lambda: h)
    monkeypatch.setattr(column_assembly, "neuron_h", lambda: h)
    return h


class OldScheduler:
    """The scheduler before events were indexed by time (a scan of every event per fire),
    kept here as the reference for the semantics."""

    def __init__(self, events, actions, after_event=None, queue=None):
        self.events = [(round(t, 9), name) for t, name in events]
        self.actions, self.after_event = actions, after_event
        self.times = sorted({t for t, _ in self.events})
        self.next_index = 0
        self._cv = queue

    def next_time(self, from_time):
        return next((t for t in self.times if t >= from_time - 1e-9), 1e20)

    def start(self, from_time=0.0):
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


NAMES = ["record", "deletion round", "unique trial", "checkpoint", "scaling on", "only logged"]


def random_timeline(rng):
    """A mix of series a rounding apart (k * interval), single events, ties, duplicates,
    names without an action, sometimes listed out of time order."""
    events = []
    for _ in range(rng.randint(1, 4)):
        step = rng.choice([0.1, 0.3, 2.5, 7.0, 1000.0 / 3])
        events += [(k * step, rng.choice(NAMES)) for k in range(rng.randint(0, 40))]
    events += [(round(rng.uniform(0, 100), rng.choice([0, 1, 3])), rng.choice(NAMES)) for _ in range(rng.randint(0, 30))]
    events += [(t + rng.choice([0.0, 1e-12, -1e-12]), n) for t, n in rng.sample(events, min(len(events), 10))]
    if rng.random() < 0.7:
        events.sort(key=lambda e: e[0])
    else:
        rng.shuffle(events)
    return events


def drive(cls, events, from_time, probes, h):
    """Run a timeline from from_time; the log of every action, after_event and next_time
    answer (after_event asks for the next time as the column's set_horizon does)."""
    log = []
    holder = {}

    def action(name):
        return lambda t: log.append(("action", name, t))

    def after(t):
        log.append(("after", t, holder["s"].next_time(t + 1e-6)))

    actions = {n: action(n) for n in NAMES if n != "only logged"}
    if cls is OldScheduler:
        s = cls(events, actions, after, queue=h.queue)
    else:   # a marker is named, with no action
        s = cls(events, {**actions, "only logged": None}, after)
    holder["s"] = s
    log.append(("probes", [s.next_time(p) for p in probes]))
    s.start(from_time)
    h.queue.run()
    log.append(("probes", [s.next_time(p) for p in probes]))
    return log


@pytest.mark.parametrize("seed", range(40))
def test_order_and_semantics_match_the_scan_of_every_event(fake_h, seed):
    rng = random.Random(seed)
    events = random_timeline(rng)
    times = sorted({round(t, 9) for t, _ in events}) or [0.0]
    from_time = rng.choice([0.0, rng.choice(times), rng.choice(times) + 1e-6, rng.choice(times) - 1e-10,
                            rng.choice(times) + 5e-10, rng.uniform(-1, 120)])
    probes = [rng.uniform(-5, 150) for _ in range(10)] + [t + d for t in rng.sample(times, min(5, len(times)))
                                                          for d in (0.0, -1e-10, 5e-10, 1e-6)]
    new = drive(sched.Scheduler, events, from_time, probes, fake_h)
    old = drive(OldScheduler, events, from_time, probes, fake_h)
    assert new == old
    # every event with an action at or after from_time ran once
    due = [e for e in events if e[1] != "only logged" and round(e[0], 9) >= from_time - 1e-9]
    assert sum(entry[0] == "action" for entry in new) == len(due)


def test_ties_run_in_the_order_listed_and_times_a_rounding_apart_are_one(fake_h):
    log = []
    events = [(3 * 0.1, "b"), (0.3, "a"), (0.3, "b"), (0.3000001, "c"), (0.2, "a")]   # 3 * 0.1 != 0.3
    s = sched.Scheduler(events, {k: (lambda k: lambda t: log.append((k, t)))(k) for k in "abc"},
                        after_event=lambda t: log.append(("after", t)))
    s.start()
    fake_h.queue.run()
    assert log == [("a", 0.2), ("after", 0.2), ("b", 0.3), ("a", 0.3), ("b", 0.3), ("after", 0.3),
                   ("c", 0.3000001), ("after", 0.3000001)]


def test_start_skips_what_is_before_the_resumed_time(fake_h):
    log = []
    s = sched.Scheduler([(t, "x") for t in (0.0, 10.0, 20.0, 30.0)], {"x": lambda t: log.append(t)})
    s.start(from_time=20.0 + 1e-6)      # as a resume from a checkpoint taken at 20 ms
    fake_h.queue.run()
    assert log == [30.0]
    log.clear()
    s = sched.Scheduler([(t, "x") for t in (0.0, 10.0, 20.0, 30.0)], {"x": lambda t: log.append(t)})
    s.start(from_time=20.0 + 5e-10)     # a rounding after a time is at it
    fake_h.queue.run()
    assert log == [20.0, 30.0]
    assert s.next_time(10.0) == 10.0 and s.next_time(10.0 + 5e-10) == 10.0 and s.next_time(31.0) == 1e20


class Budget(Exception):
    pass


class Counter:
    """Counts the comparisons made on CountedTime values; raises once over the budget (so
    that a quadratic scheduler fails at once instead of running for hours)."""

    def __init__(self, budget):
        self.n, self.budget = 0, budget

    def tick(self):
        self.n += 1
        if self.n > self.budget:
            raise Budget(f"more than {self.budget} comparisons of event times")


def counted_time_class(counter):
    class CountedTime(float):
        __hash__ = float.__hash__

        def __round__(self, ndigits=None):
            return CountedTime(float.__round__(self, ndigits))

        def _cmp(op):
            def f(self, other):
                counter.tick()
                return getattr(float, op)(self, other)
            return f

        __eq__, __ne__ = _cmp("__eq__"), _cmp("__ne__")
        __lt__, __le__, __gt__, __ge__ = _cmp("__lt__"), _cmp("__le__"), _cmp("__gt__"), _cmp("__ge__")
    return CountedTime


N_EVENTS = 100_000
#: Comparisons allowed per event over a whole run: indexing (a sort of already sorted times,
#: a dict) plus one bisection per fire for the next time (about log2(N) = 17); a scan of every
#: event per fire makes N per fire.
PER_EVENT = 40
PER_FIRE = 2 * math.ceil(math.log2(N_EVENTS)) + 4


def test_100000_events_cost_log_n_comparisons_each(fake_h):
    counter = Counter(PER_EVENT * N_EVENTS)
    T = counted_time_class(counter)
    # a record every 2 ms, a trial every 10, a checkpoint every 1000: many ties
    events = []
    for k in range(N_EVENTS):
        t = 2.0 * (k // 2 + 1) if k % 10 else 10.0 * (k // 10 + 1)
        events.append((T(t), "record" if k % 10 else "unique trial"))
    events.sort(key=lambda e: float(e[0]))
    fired, per_fire = [], []
    state = {"last": 0}

    def after(t):
        s.next_time(t + 1e-6)               # what the column's set_horizon asks at every time
        per_fire.append(counter.n - state["last"])
        state["last"] = counter.n

    s = sched.Scheduler(events, {"record": fired.append, "unique trial": fired.append}, after)
    state["last"] = counter.n
    s.start()
    fake_h.queue.run()
    assert len(fired) == N_EVENTS                          # every event ran
    assert fired == sorted(fired)
    assert max(per_fire) <= PER_FIRE, max(per_fire)        # bounded work per time, whatever the run's length
    assert counter.n <= PER_EVENT * N_EVENTS


def test_the_columns_planning_horizon_is_a_bisection(fake_h):
    counter = Counter(10 ** 6)
    T = counted_time_class(counter)
    a = column_assembly.ColumnAssembly.__new__(column_assembly.ColumnAssembly)
    a.engine, a.times = "cells", [T(2.0 * k) for k in range(N_EVENTS)]   # the per-cell engine reads the module-wide horizon
    for x, want in ((0.0, 0.0), (3.0, 4.0), (4.0 + 5e-10, 4.0), (4.0 + 1e-6, 6.0), (2.0 * N_EVENTS, 1e20)):
        counter.n = 0
        a.set_horizon(x)
        assert fake_h.plan_horizon_NetcolIntf6 == want
        assert counter.n <= math.ceil(math.log2(N_EVENTS)) + 2, counter.n


def test_checkpoint_events_every_interval_before_the_end():
    assert sched.checkpoint_events(None, 10000.0) == []
    assert sched.checkpoint_events(2, 10000.0) == [(2000.0, "checkpoint"), (4000.0, "checkpoint"),
                                                    (6000.0, "checkpoint"), (8000.0, "checkpoint")]
    assert [t for t, _ in sched.checkpoint_events(0.3, 1200.0)] == pytest.approx([300.0, 600.0, 900.0])   # not at the end


def test_an_event_without_an_action_is_an_error(fake_h):
    """A timeline name that the actions do not list (a misspelt action) is refused, naming it;
    a name listed as None is a marker that runs nothing."""
    with pytest.raises(ValueError, match="'recrod'"):
        sched.Scheduler([(0.0, "record"), (5.0, "recrod")], {"record": lambda t: None})
    log = []
    s = sched.Scheduler([(0.0, "marker"), (5.0, "x")], {"marker": None, "x": log.append})
    s.start(0.0)
    fake_h.queue.run()
    assert log == [5.0]


class LateQueue(FakeQueue):
    """NEURON's fixed-step queue as a timeline sees it: a callback runs with h.t up to a step
    past its time, and an event put in the queue for a time h.t has reached is never
    delivered."""

    def __init__(self, dt):
        super().__init__()
        self.dt, self.now, self.lost = dt, float("-inf"), []

    def event(self, t, callback):
        if t <= self.now:
            self.lost.append(t)
            return
        super().event(t, callback)

    def run(self):
        while self.heap:
            t, _, callback = heapq.heappop(self.heap)
            self.now = t + self.dt
            callback()


@pytest.mark.parametrize("lookahead, complete", [(sched.LOOKAHEAD_STEPS, True), (0, False)])
def test_times_one_step_apart_all_run(monkeypatch, lookahead, complete):
    """Times one step apart (a recording every step), a gap, then a cluster: every time runs,
    in order, and the queue never holds more than the times a few steps ahead.  Queueing only
    the next time (lookahead 0, as before) loses the rest of the timeline."""
    dt = 0.5
    h = FakeH()
    h.dt, h.queue = dt, LateQueue(dt)
    monkeypatch.setattr(sched, "neuron_h", lambda: h)
    monkeypatch.setattr(sched, "LOOKAHEAD_STEPS", lookahead)
    times = [k * dt for k in range(20)] + [100.0, 100.5, 101.0, 104.0]
    fired, pending = [], []
    s = sched.Scheduler([(t, "record") for t in times], {"record": fired.append},
                        lambda t: pending.append(len(h.queue.heap)))
    s.start(0.0)
    h.queue.run()
    if complete:
        assert fired == times and not h.queue.lost
        assert max(pending) <= lookahead + 1
    else:
        assert fired != times and h.queue.lost
