"""Experiment protocols (experiments.md §3, §4): phases, plasticity window, training,
scaling, deletion rounds, repeat/unique trials, recording and checkpoint ticks.

:func:`check_protocol` checks a protocol for consistency before anything is built;
:func:`timeline` lists its events (time, name) — the same on every rank — and is written
into run.json.  :mod:`netcol.engine.scheduler` executes the timeline as NEURON events.
"""
from ...engine.scheduler import checkpoint_events
from ...config.schema import Field, ParamError

S = "(s)"
#: The original's quirks that reference mode reproduces (each a field quirk_<name>: on, off,
#: or auto = on in reference mode only), and what each does.
QUIRKS = {
    "nearest_dead_callback": "the original's first delivery callback of a spike goes to the nearest target even "
                             "when it is dead, and runs a scaling step",
    "chained_arrivals": "spike arrival times summed along the original's delivery callback chain (t + d0, then + "
                        "each delay difference) rather than spike time + delay",
    "input_count": "each external input source ends after int(0.5 + rate x (duration + 5 s)) events, as the "
                   "original's NetStims end after their number",
    "early_callbacks": "each spike's delivery callbacks are events of its cell from t = 0, so a spike fired just "
                       "before scaling switches on gives scaling steps after it",
    "sensor_every_event": "the activity sensor decays at every event of a cell (each input and callback), not once "
                          "over the gap to its next use",
    "summed_corrections": "the scale factor's proportional and integral corrections are summed before they are "
                          "added",
}
PROTOCOL_FIELDS = {
    "plasticity": Field(bool, False, "E->E STDP during the learning window"),
    "learn_start": Field(float, 0.0, "start of the learning phase: STDP window and training " + S, low=0.0),
    "learn_end": Field(float, 0.0, "end of the learning phase " + S, low=0.0),
    "training": Field(bool, False, "training signal during the learning phase"),
    "train_types": Field(str, "E4", "trained cell types, comma separated"),
    "train_rate": Field(float, 8.0, "training pulses per second (Hz)", low=0.0, low_open=True),
    "train_weight": Field(float, 1.0, "weight of each training input", low=0.0),
    "train_receptor": Field(str, "AM2", "receptor of the training inputs", choices=("AM", "AM2", "NM", "NM2")),
    "train_percent": Field(float, 110.0, "inputs per pulse as a percentage of the trained cells "
                           "(targets drawn with replacement)", low=0.0),
    "train_spread": Field(float, 1.0, "inputs of a pulse are spread uniformly over this time (ms)", low=0.0),
    "train_random_times": Field(bool, False, "the original's TrainRand: every training input at a uniformly "
                                "random time of the learning phase instead of in pulses"),
    "scaling": Field(bool, False, "homeostatic synaptic scaling from scaling_start"),
    "scaling_start": Field(float, 800.0, "time scaling switches on " + S, low=0.0),
    "deletion": Field(bool, False, "delete cells round by round (atrophy protocol)"),
    "deletion_step": Field(int, 5, "cells deleted per round (at size 1)", low=1),
    "segment_length": Field(float, 800.0, "time between deletion rounds " + S, low=0.0, low_open=True),
    "deletion_rule": Field(str, "uniform", "uniform: every alive cell equally likely; scaling: probability "
                           "proportional to the cell's scale factor", choices=("uniform", "scaling")),
    "scale_external": Field(bool, True, "scale external-input weights down as cells are deleted"),
    "scale_external_rate": Field(float, 0.25, "weight factor = 1 - (fraction deleted) * rate", low=0.0, high=1.0),
    "trials": Field(bool, False, "alternate unique and repeat stimulus trials (unique first)"),
    "trial_length": Field(float, 80.0, "length of each trial " + S, low=0.0, low_open=True),
    "recording_interval": Field(float, 10.0, "period of the state records " + S, low=0.0, low_open=True),
    "recording_start": Field(float, 5.0, "time of the first state record " + S, low=0.0),
    **{f"quirk_{name}": Field(str, "auto", f"{what}; auto: in reference mode only", choices=("auto", "on", "off"))
       for name, what in QUIRKS.items()},
}


def check_protocol(p, n_cells, type_counts, source):
    """Reject inconsistent timelines, naming the parameters involved.

    Parameters
    ----------
    p : dict
        Checked experiment parameters (run-level and protocol).
    n_cells : int
        Cells in the column at the run's size.
    type_counts : dict of str to int
        Cells per type at the run's size.
    source : str
        Where the parameters came from.
    """
    d = p["duration"]

    def bad(msg):
        raise ParamError(f"{source}: {msg}")

    if p["plasticity"] or p["training"]:
        if p["learn_end"] <= p["learn_start"]:
            bad(f"learn_end ({p['learn_end']:g} s) must be after learn_start ({p['learn_start']:g} s)")
        if p["learn_start"] >= d:
            bad(f"learn_start ({p['learn_start']:g} s) is not before the end of the run (duration {d:g} s)")
        if p["learn_end"] > d:
            bad(f"learn_end ({p['learn_end']:g} s) is after the end of the run (duration {d:g} s)")
    if p["training"]:
        for t in train_types(p):
            if t not in type_counts:
                bad(f"train_types: unknown cell type {t!r}; known: {', '.join(type_counts)}")
            if type_counts[t] == 0:
                bad(f"train_types: type {t!r} has no cells at size {p['size']:g}")
    if p["scaling"] and p["scaling_start"] >= d:
        bad(f"scaling_start ({p['scaling_start']:g} s) is not before the end of the run (duration {d:g} s)")
    if p["deletion"]:
        if p["segment_length"] > d:
            bad(f"segment_length ({p['segment_length']:g} s) is longer than the run (duration {d:g} s): "
                "no deletion round would happen")
        step = deletion_step(p)
        if step >= n_cells:
            bad(f"deletion_step ({p['deletion_step']} x size {p['size']:g} = {step}) is not smaller than "
                f"the population ({n_cells} cells)")


def train_types(p):
    """The trained cell types as a list."""
    return [t.strip() for t in p["train_types"].split(",") if t.strip()]


def deletion_step(p):
    """Cells deleted per round at the run's size (the original: 5 x size by default)."""
    return max(1, int(round(p["deletion_step"] * p["size"])))


def _times(start, step, end):
    """start, start + step, ... up to and including end (ms), without accumulating error."""
    out, k = [], 0
    while start + k * step <= end + 1e-9:
        out.append(start + k * step)
        k += 1
    return out


def timeline(p, checkpoint_every=None):
    """The protocol's events as (time in ms, name), sorted by time.

    Deletion rounds are listed at every segment boundary up to the end; a round stops the
    series at run time when no more than deletion_step cells remain.
    """
    ms = 1000.0
    end = p["duration"] * ms
    ev = []
    if p["plasticity"]:
        ev += [(p["learn_start"] * ms, "stdp window opens"), (p["learn_end"] * ms, "stdp window closes")]
    if p["training"]:
        ev += [(p["learn_start"] * ms, "training starts"), (p["learn_end"] * ms, "training stops")]
    if p["scaling"]:
        ev.append((p["scaling_start"] * ms, "scaling on"))
    if p["deletion"]:
        seg = p["segment_length"] * ms
        ev += [(t, "deletion round") for t in _times(seg, seg, end)]
    if p["trials"]:
        L = p["trial_length"] * ms
        ev += [(t, "unique trial" if k % 2 == 0 else "repeat trial") for k, t in enumerate(_times(0.0, L, end))
               if t < end]
    ev += [(t, "record") for t in _times(p["recording_start"] * ms, p["recording_interval"] * ms, end)]
    ev += checkpoint_events(checkpoint_every, end)
    # at one time: a record before a deletion round, as the original records
    order = {"unique trial": 0, "repeat trial": 0, "scaling on": 1, "record": 2, "deletion round": 3,
             "checkpoint": 4}
    return sorted(ev, key=lambda e: (e[0], order.get(e[1], 0)))


def quirk_on(p, name):
    """Whether the quirk ``quirk_<name>`` (a reproduced bug of the original) is on for a
    run: "on", or "auto" in reference mode.

    Parameters
    ----------
    p : dict
        Checked experiment parameters.
    name : str
        The quirk, for example ``"chained_arrivals"``.

    Returns
    -------
    bool
    """
    value = p[f"quirk_{name}"]
    return value == "on" or (value == "auto" and p["rng"] == "original")
