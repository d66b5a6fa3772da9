"""The Akil et al. (2021) protocol parameters: which plasticity rules act (at most one per
pathway), their learning rates, targets and bounds, the external input, the quirks
option, and the records; the run's timeline (records every recording_interval)."""
import math

from ...cells.eif import PATHWAYS, RULES, STEP_DT, rule_coefficients
from ...engine.scheduler import checkpoint_events
from ...config.schema import Field, ParamError

_RATE = dict(kind=float, low=0.0)
PROTOCOL_FIELDS = {
    "rules": Field(str, "", "plasticity rules, comma separated, at most one per pathway: "
                   + ", ".join(RULES) + " (empty: static)"),
    **{f"eta_{name}": Field(doc=f"learning rate of {name}", default=0.0, **_RATE) for name in RULES},
    "target_ie": Field(doc="E rate the I -> E rule aims at (Hz; rho_E)", default=10.0, **_RATE),
    "target_ii": Field(doc="I rate the I -> I rule aims at (Hz; rho_I)", default=20.0, **_RATE),
    "target_ei": Field(doc="I rate the E -> I homeostatic rule aims at (Hz)", default=20.0, **_RATE),
    "j_max_ee": Field(float, 30.0, "bound of E -> E Hebbian potentiation, times sqrt(N)", low=0.0, low_open=True),
    "j_max_ei": Field(float, 125.0, "bound of E -> I Hebbian potentiation, times sqrt(N)", low=0.0, low_open=True),
    "beta": Field(float, 2.0, "Kohonen beta, times sqrt(N)", low=0.0, low_open=True),
    "r_x": Field(float, 10.0, "rate of each external source (Hz)", low=0.0, low_open=True),
    "c_x": Field(float, 0.1, "correlation of the external sources (0: independent)", low=0.0, high=1.0),
    "jitter": Field(float, 5.0, "SD of the external spikes' jitter around their mother spike (ms)", low=0.0,
                    low_open=True),
    "quirks": Field(str, "paper", "paper: the model as published; reference: the package's quirks (the first I "
                    "cell routed as E, external source 0 silent)", choices=("paper", "reference")),
    "recording_interval": Field(float, 0.1, "time between records of rates, currents and weights (s)", low=0.0,
                                low_open=True),
    "weight_samples": Field(int, 100, "weights recorded per plastic pathway", low=0),
}


def active_rules(params, source):
    """{pathway index: rule name} of the run, or ParamError naming the problem."""
    names = [r.strip() for r in params["rules"].split(",") if r.strip()]
    out = {}
    for name in names:
        if name not in RULES:
            raise ParamError(f"{source}: parameter 'rules' names an unknown rule {name!r}; known: {', '.join(RULES)}")
        pathway = RULES[name][0]
        if pathway in out:
            raise ParamError(f"{source}: parameter 'rules': {out[pathway]} and {name} both act on "
                             f"{PATHWAYS[pathway][0].upper()} -> {PATHWAYS[pathway][1].upper()}; at most one rule "
                             "per pathway")
        out[pathway] = name
    return out


def rule_constants(params, network, name):
    """The constants of a rule (scaled by 1/sqrt(N), rates in kHz) for rule_coefficients."""
    sqrt_n = math.sqrt(params["n"])
    tau = network.mechanism["tau_stdp"]
    alpha = {"ei_homeostatic": params["target_ei"], "ie_homeostatic": params["target_ie"],
             "ii_homeostatic": params["target_ii"]}.get(name, 0.0) / 1000.0 * 2.0 * tau
    # J_norm is the paper's initial weight of the pathway: fixed, whatever j_* is set to
    j_norm = {"ei_homeostatic": 112.5, "ie_homeostatic": -150.0, "ii_homeostatic": -250.0}.get(name, 1.0)
    j_max = {"ee_hebbian": params["j_max_ee"], "ei_hebbian": params["j_max_ei"]}.get(name, 0.0)
    return dict(alpha=alpha, j_norm=j_norm / sqrt_n, j_max=j_max / sqrt_n, beta=params["beta"] / sqrt_n)


def pathway_rules(params, network, source="experiment"):
    """{pathway: (eta, presynaptic coefficients, postsynaptic coefficients)} of the plastic
    pathways."""
    out = {}
    for pathway, name in active_rules(params, source).items():
        _, pre, post = rule_coefficients(name, rule_constants(params, network, name))
        out[pathway] = (params[f"eta_{name}"], pre, post)
    return out


def steps(params):
    """Euler steps of the run."""
    return int(round(params["duration"] * 1000.0 / STEP_DT))


def check_protocol(params, source):
    """Rules known and one per pathway, each with a positive learning rate (the times'
    grid is checked with TIME_FIELDS by netcol.config.experiment)."""
    for pathway, name in active_rules(params, source).items():
        if params[f"eta_{name}"] <= 0:
            raise ParamError(f"{source}: rule {name} is on (parameter 'rules') but eta_{name} = "
                             f"{params[f'eta_{name}']!r}; give it a learning rate > 0")


def timeline(params, checkpoint_every=None):
    """The run's timeline as sorted (time in ms, name): a record at 0 and every
    recording_interval."""
    end = params["duration"] * 1000.0
    events, k = [(0.0, "record")], 1
    while k * params["recording_interval"] * 1000.0 <= end + 1e-9:
        events.append((k * params["recording_interval"] * 1000.0, "record"))
        k += 1
    events += checkpoint_events(checkpoint_every, end)
    return sorted(events, key=lambda e: e[0])
