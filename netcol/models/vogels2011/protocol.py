"""The Vogels et al. (2011) protocol: a static phase, then inhibitory STDP switched on
(eta from 0 to its value at plasticity_start); records of the rates and of the I -> E
weight distribution every recording_interval; full weight snapshots at the phase ends.
"""
from ...cells.condlif import STEP_DT
from ...engine.scheduler import checkpoint_events
from ...config.schema import Field

PROTOCOL_FIELDS = {
    "plasticity_start": Field(float, 1.0, "time the learning rate is switched on (s); >= duration: never", low=0.0),
    "eta": Field(float, 1e-2, "learning rate of the I -> E rule", low=0.0),
    "target_rate": Field(float, 3.0, "target rate rho_0 of the E cells (Hz); alpha = 2 rho_0 tau_stdp", low=0.0),
    "recording_interval": Field(float, 0.1, "time between records of rates and weights (s)", low=0.0,
                                low_open=True),
    "delivery": Field(str, "fanout", "spike delivery: one NetCon per (source, rank) fanned out in the mechanism, "
                      "or one NetCon per synapse (slower; for comparison)", choices=("fanout", "netcon")),
}


def alpha(params, network):
    """The rule's depression offset alpha = 2 rho_0 tau_stdp."""
    return 2.0 * params["target_rate"] * network.mechanism["tau_stdp"] / 1000.0


def steps(params):
    """Euler steps of the run."""
    return int(round(params["duration"] * 1000.0 / STEP_DT))


def timeline(params, checkpoint_every=None):
    """The run's timeline as sorted (time in ms, name)."""
    end = params["duration"] * 1000.0
    events = [(0.0, "record")]
    k = 1
    while k * params["recording_interval"] * 1000.0 <= end + 1e-9:
        events.append((k * params["recording_interval"] * 1000.0, "record"))
        k += 1
    start = params["plasticity_start"] * 1000.0
    if start < end:
        events.append((start, "plasticity on"))
    events += checkpoint_events(checkpoint_every, end)
    return sorted(events, key=lambda e: e[0])
