"""The Akil et al. (2021) network: the cell's constants (``params/network.toml``), the
sizes, connection probabilities and weights (experiment parameters), each cell's
incoming synapses and initial membrane potential.

Connections are drawn per target cell from a stream keyed by (seed, "wiring", target
gid), so any rank draws a cell's inputs alone and the same on any number of ranks: an
independent Bernoulli draw for every ordered pair, drawn as a binomial count of sources
and then that many distinct sources (E, then I, then external), as in vogels2011.
Pathways are named pre -> post ("ei" is E -> I); the reference names them post-first.
"""
import numpy as np

from ...cells.eif import EE, EI, IE, II, MECHANISM_FIELDS, XE, XI, scaled
from ...cells.mechanism_file import check_mechanism_network, load_mechanism_network
from ...config.schema import Field
from ...build.streams import bernoulli_sources, keyed_generator
from . import NETWORK_FILE

_PROB = dict(kind=float, low=0.0, high=1.0)
#: Sizes, probabilities and unscaled weights j (the weight is j / sqrt(N)) (§1, §2).
NETWORK_FIELDS = {
    "n": Field(int, 5000, "recurrent cells N (E first)", low=2),
    "frac_e": Field(float, 0.8, "fraction of excitatory cells", low=0.0, high=1.0, low_open=True),
    "n_x": Field(int, 1000, "external Poisson sources", low=1),
    **{f"p_{pw}": Field(doc=f"{pw[0].upper()} -> {pw[1].upper()} connection probability", default=0.1, **_PROB)
       for pw in ("ee", "ei", "ie", "ii", "xe", "xi")},
    "j_ee": Field(float, 25.0, "E -> E weight times sqrt(N)", low=0.0),
    "j_ei": Field(float, 112.5, "E -> I weight times sqrt(N)", low=0.0),
    "j_ie": Field(float, -150.0, "I -> E weight times sqrt(N) (negative)", high=0.0),
    "j_ii": Field(float, -250.0, "I -> I weight times sqrt(N) (negative)", high=0.0),
    "j_xe": Field(float, 180.0, "X -> E weight times sqrt(N)", low=0.0),
    "j_xi": Field(float, 135.0, "X -> I weight times sqrt(N)", low=0.0),
}


def check_network(raw, source):
    """Check a raw description (dict); return a netcol.cells.mechanism_file.MechanismNetwork."""
    return check_mechanism_network(raw, source, MECHANISM_FIELDS)


def load_network(overrides=None, path=None):
    """Read params/network.toml (or path), apply dotted overrides, check it."""
    return load_mechanism_network(path or NETWORK_FILE, MECHANISM_FIELDS, overrides)


def n_excitatory(params):
    """E cells (the first gids)."""
    return int(round(params["frac_e"] * params["n"]))


def pathway_weight(params, pathway):
    """A pathway's weight j / sqrt(N)."""
    name = ("ee", "ei", "ie", "ii", "xe", "xi")[pathway]
    return scaled(params[f"j_{name}"], params["n"])


def incoming(params, gid):
    """The synapses onto one cell, sources ascending (recurrent gids, then external
    sources numbered from N).

    Returns
    -------
    src : numpy.ndarray of int
    pathway : numpy.ndarray of int (netcol.cells.eif EE .. XI)
    """
    n, n_x = params["n"], params["n_x"]
    n_e = n_excitatory(params)
    rng = keyed_generator(params["seed"], "wiring", gid)
    to_e = gid < n_e
    from_e = bernoulli_sources(rng, n_e, params["p_ee"] if to_e else params["p_ei"])
    from_i = n_e + bernoulli_sources(rng, n - n_e, params["p_ie"] if to_e else params["p_ii"])
    from_x = n + bernoulli_sources(rng, n_x, params["p_xe"] if to_e else params["p_xi"])
    pathway = np.concatenate([np.full(len(from_e), EE if to_e else EI), np.full(len(from_i), IE if to_e else II),
                              np.full(len(from_x), XE if to_e else XI)])
    return np.concatenate([from_e, from_i, from_x]), pathway


def initial_v(params, network, gid):
    """V at t = 0: uniform in [V_re, V_T] (§1), keyed by (seed, "initial_v", gid)."""
    m = network.mechanism
    return keyed_generator(params["seed"], "initial_v", gid).uniform() * (m["v_t"] - m["v_re"]) + m["v_re"]
