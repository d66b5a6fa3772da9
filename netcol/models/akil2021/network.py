"""The Akil et al. (2021) network: the cell's constants and the pathways' delays and
wiring rules (``params/network.toml``), the sizes, connection probabilities and weights
(experiment parameters), each cell's incoming synapses and initial membrane potential.

Connections are drawn per target cell from a stream keyed by (seed, "wiring", target
gid), so any rank draws a cell's inputs alone and the same on any number of ranks: an
independent Bernoulli draw for every ordered pair, drawn as a binomial count of sources
and then that many distinct sources (E, then I, then external), as in vogels2011.  A
pathway with rule fixed_indegree takes its sources from a stream of its own instead
(netcol.cells.pathways).  Pathways are named pre -> post ("ei" is E -> I); the reference
names them post-first.
"""
import numpy as np

from ...cells.eif import EE, EI, IE, II, MECHANISM_FIELDS, PATHWAYS, STEP_DT, XE, XI, scaled
from ...cells.mechanism_file import check_mechanism_network, load_mechanism_network
from ...cells.pathways import PathwayTables, check_indegrees, pathway_sources
from ...config.schema import Field
from ...build.streams import keyed_generator
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
#: The network file's [pathways] tables, in the mechanism's numbering (the in-degree
#: streams' codes); delays in 0.1-ms Euler steps.  The external pathways (xe, xi) take a
#: wiring rule but no delay: their spikes act in the step they are drawn for.
PATHWAY_TABLES = PathwayTables(PATHWAYS, STEP_DT, undelayed=("xe", "xi"))


def check_network(raw, source):
    """Check a raw description (dict); return a netcol.cells.mechanism_file.MechanismNetwork."""
    return check_mechanism_network(raw, source, MECHANISM_FIELDS, PATHWAY_TABLES)


def load_network(overrides=None, path=None):
    """Read params/network.toml (or path), apply dotted overrides, check it."""
    return load_mechanism_network(path or NETWORK_FILE, MECHANISM_FIELDS, overrides, PATHWAY_TABLES)


def check_wiring(params, network, source):
    """Refuse an in-degree beyond the cells its pathway draws from (one line)."""
    n_e = n_excitatory(params)
    e, i, x = (n_e, "E cells"), (params["n"] - n_e, "I cells"), (params["n_x"], "external sources (n_x)")
    check_indegrees(network.pathways, {"ee": e, "ei": e, "ie": i, "ii": i, "xe": x, "xi": x}, source)


def n_excitatory(params):
    """E cells (the first gids)."""
    return int(round(params["frac_e"] * params["n"]))


def pathway_weight(params, pathway):
    """A pathway's weight j / sqrt(N)."""
    name = ("ee", "ei", "ie", "ii", "xe", "xi")[pathway]
    return scaled(params[f"j_{name}"], params["n"])


def incoming(params, network, gid):
    """The synapses onto one cell, sources ascending (recurrent gids, then external
    sources numbered from N).

    Parameters
    ----------
    params : dict
        The experiment's parameters (sizes, probabilities, seed).
    network : netcol.cells.mechanism_file.MechanismNetwork
        Its network (the pathways' rules).
    gid : int

    Returns
    -------
    src : numpy.ndarray of int
    pathway : numpy.ndarray of int (netcol.cells.eif EE .. XI)
    """
    n, n_x, seed = params["n"], params["n_x"], params["seed"]
    n_e = n_excitatory(params)
    pw = network.pathways
    rng = keyed_generator(seed, "wiring", gid)
    to_e = gid < n_e
    ee, ie, xe = ("ee", "ie", "xe") if to_e else ("ei", "ii", "xi")
    from_e = pathway_sources(rng, seed, pw[ee], gid, n_e, params[f"p_{ee}"])
    from_i = n_e + pathway_sources(rng, seed, pw[ie], gid, n - n_e, params[f"p_{ie}"])
    from_x = n + pathway_sources(rng, seed, pw[xe], gid, n_x, params[f"p_{xe}"])
    pathway = np.concatenate([np.full(len(from_e), EE if to_e else EI), np.full(len(from_i), IE if to_e else II),
                              np.full(len(from_x), XE if to_e else XI)])
    return np.concatenate([from_e, from_i, from_x]), pathway


def initial_v(params, network, gid):
    """V at t = 0: uniform in [V_re, V_T] (§1), keyed by (seed, "initial_v", gid)."""
    m = network.mechanism
    return keyed_generator(params["seed"], "initial_v", gid).uniform() * (m["v_t"] - m["v_re"]) + m["v_re"]
