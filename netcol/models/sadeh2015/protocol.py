"""The protocol of Sadeh, Clopath & Rotter (2015) as segments of constant input, and its
timeline.

In order: a test at one orientation; tuning runs (one per orientation, evenly spaced
over 180 degrees); learning blocks, each showing random orientations in turn; the test
again with the learned weights and the same input realisation; the tuning runs again,
with the same inputs as before.  Every test, tuning run and learning block starts from
rest (the cells' state, filters and traces reset; weights kept).  The whole table goes
into the mechanism before the run: orientation changes and resets need no Python.
"""
from dataclasses import dataclass

import numpy as np

from ...cells.lifmap import MAP_DT
from ...engine.scheduler import checkpoint_events
from ...config.schema import Field, ParamError
from ...build.streams import keyed_generator

_POS_S = dict(kind=float, low=0.0, low_open=True)
PROTOCOL_FIELDS = {
    "test_orientation": Field(float, 90.0, "orientation of the tests before and after learning (degrees)",
                              low=0.0, high=180.0),
    "test_length": Field(doc="length of each test (s)", default=2.0, **_POS_S),
    "blocks": Field(int, 40, "learning blocks (0 = no learning)", low=0, high=255),
    "stimuli_per_block": Field(int, 20, "orientations shown per learning block", low=1),
    "stimulus_length": Field(doc="presentation time of each orientation in a block (s)", default=0.1, **_POS_S),
    "tuning_orientations": Field(int, 8, "orientations of the tuning runs before and after learning", low=2),
    "tuning_length": Field(doc="length of each tuning run (s)", default=1.0, **_POS_S),
    "plasticity": Field(bool, True, "weights learn during the learning blocks"),
}
#: Phases of the protocol, in order (their codes are their positions).
PHASES = ("test_before", "tuning_before", "learning", "test_after", "tuning_after")
#: Random123 stream of each kind of segment: tests share one, tuning runs one, learning one.
STREAM = {"test": 1, "tuning": 2, "learning": 3}
#: Draws reserved per tuning run and per learning block in their streams.
STREAM_SPAN = 2 ** 26
#: How long after a block boundary the weight snapshot is read (ms): the last step's
#: update is applied at the next step, (k + 1/2) map steps (see the mod file).
SNAPSHOT_LAG = 0.75 * MAP_DT
#: Most segments a protocol may have (the paper's has 2 + 2 x 8 + 40 x 20 = 818).
MAX_SEGMENTS = 100_000


@dataclass(frozen=True)
class Segment:
    """Steps with one input: [t0, t0 + length) in ms."""

    t0: float
    length: float
    theta_deg: float
    plastic: bool
    reset: bool
    phase: str
    stream: int
    offset: int
    index: int   # tuning run or learning block number (0 for the tests)


def steps(seconds):
    """Map steps in a span of seconds."""
    return int(round(seconds * 1000.0 / MAP_DT))


def learning_orientations(params):
    """The learning blocks' orientations (degrees), blocks x stimuli, keyed by the seed."""
    rng = keyed_generator(params["seed"], "orientations")
    return rng.uniform(0.0, 180.0, (params["blocks"], params["stimuli_per_block"]))


def tuning_angles(params):
    """The tuning runs' orientations (degrees)."""
    n = params["tuning_orientations"]
    return np.arange(n) * 180.0 / n


def segments(params):
    """The protocol as a list of :class:`Segment`, in time order."""
    p, out, t = params, [], 0.0

    def add(length_s, theta, plastic, reset, phase, stream, offset, index=0):
        nonlocal t
        out.append(Segment(t, length_s * 1000.0, float(theta), plastic, reset, phase, stream, offset, index))
        t += length_s * 1000.0

    def tests(phase):
        add(p["test_length"], p["test_orientation"], False, True, phase, STREAM["test"], 0)

    def tuning(phase):
        for j, theta in enumerate(tuning_angles(p)):
            add(p["tuning_length"], theta, False, True, phase, STREAM["tuning"], j * STREAM_SPAN, j)

    tests("test_before")
    tuning("tuning_before")
    per = steps(p["stimulus_length"])
    for b, thetas in enumerate(learning_orientations(p)):
        for s, theta in enumerate(thetas):
            add(p["stimulus_length"], theta, p["plasticity"], s == 0, "learning", STREAM["learning"],
                b * STREAM_SPAN + s * per, b)
    tests("test_after")
    tuning("tuning_after")
    return out


def protocol_length(params):
    """The whole protocol's length (s)."""
    segs = segments(params)
    return (segs[-1].t0 + segs[-1].length) / 1000.0


def segment_count(params):
    """Segments of the protocol: two tests, the tuning runs twice, the learning stimuli."""
    return 2 + 2 * params["tuning_orientations"] + params["blocks"] * params["stimuli_per_block"]


def check_segment_count(params, source):
    """Refuse a protocol of more than MAX_SEGMENTS segments before any is made (each is a
    Python object, a table row in the mechanism and timeline events)."""
    n = segment_count(params)
    if n > MAX_SEGMENTS:
        raise ParamError(f"{source}: the protocol would have {n:,} segments (2 tests, 2 x tuning_orientations = "
                         f"{2 * params['tuning_orientations']:,} tuning runs, blocks x stimuli_per_block = "
                         f"{params['blocks'] * params['stimuli_per_block']:,} stimuli), more than {MAX_SEGMENTS:,}; "
                         "lower tuning_orientations, blocks or stimuli_per_block")


def check_protocol(params, source):
    """Lengths on the map's grid, streams within their reserved spans, the duration within
    the protocol."""
    for key in ("test_length", "stimulus_length", "tuning_length"):
        ms = params[key] * 1000.0
        if abs(ms / MAP_DT - round(ms / MAP_DT)) > 1e-9:
            raise ParamError(f"{source}: parameter '{key}' = {params[key]!r} is invalid: expected a multiple of "
                             f"the map step {MAP_DT:g} ms")
    per_block = steps(params["stimulus_length"]) * params["stimuli_per_block"]
    for key, n in (("tuning_length", steps(params["tuning_length"])), ("stimuli_per_block", per_block)):
        if n >= STREAM_SPAN:
            raise ParamError(f"{source}: parameter '{key}' = {params[key]!r} is invalid: a tuning run or learning "
                             f"block may last at most {STREAM_SPAN - 1} steps")
    total = protocol_length(params)
    if params["duration"] > total + 1e-9:
        raise ParamError(f"{source}: parameter 'duration' = {params['duration']!r} is invalid: expected at most "
                         f"the protocol's length, {total:g} s")


def timeline(params, checkpoint_every=None):
    """The run's timeline as sorted (time in ms, name): phase and block starts, weight
    snapshots (at the start and after every learning block), the rates of every test,
    tuning run and learning block at its end, and checkpoints."""
    end = params["duration"] * 1000.0
    events, seen = [], set()
    for s in segments(params):
        if s.t0 >= end:
            break
        if (s.phase, s.index) not in seen:
            seen.add((s.phase, s.index))
            name = f"{s.phase} {s.index}" if s.phase in ("learning", "tuning_before", "tuning_after") else s.phase
            events.append((s.t0, name))
            if s.phase == "learning" and s.index > 0:
                events.append((s.t0 + SNAPSHOT_LAG, "weights"))
            if s.phase == "test_after" and params["blocks"]:
                events.append((s.t0 + SNAPSHOT_LAG, "weights"))
    events.append((0.0, "weights"))
    # the rates of every test, tuning run and learning block, recorded at its end
    ends = sorted({s.t0 for s in segments(params) if s.reset and 0 < s.t0 < end} | {end})
    events += [(t, "rates") for t in ends]
    events += checkpoint_events(checkpoint_every, end)
    return sorted(events, key=lambda e: e[0])
