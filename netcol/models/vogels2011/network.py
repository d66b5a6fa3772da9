"""The Vogels et al. (2011) network: the cell's constants and the pathways' delays and
wiring rules (``params/network.toml``), the sizes and connection probabilities
(experiment parameters), and the incoming synapses of each cell.

Connections are drawn per target cell from a stream keyed by (seed, "wiring", target
gid), so any rank draws a cell's inputs alone and the same on any number of ranks: an
independent Bernoulli draw for every ordered pair, drawn as its equivalent, a binomial
count of sources and then that many distinct sources uniformly (E sources for E -> all,
then I sources for I -> I or I -> E); 50 times fewer random numbers than one per pair.
A pathway with rule fixed_indegree takes its sources from a stream of its own instead
(netcol.cells.pathways).
"""
import numpy as np

from ...cells.condlif import EXC, INH, MECHANISM_FIELDS, PLASTIC, STEP_DT
from ...cells.mechanism_file import check_mechanism_network, load_mechanism_network
from ...cells.pathways import PathwayTables, check_indegrees, pathway_sources
from ...config.schema import Field
from ...build.streams import keyed_generator
from . import NETWORK_FILE

_PROB = dict(kind=float, low=0.0, high=1.0)
#: Sizes and wiring (experiment parameters).
NETWORK_FIELDS = {
    "n_e": Field(int, 8000, "excitatory cells", low=1),
    "n_i": Field(int, 2000, "inhibitory cells", low=1),
    "p_e": Field(doc="E -> all connection probability", default=0.02, **_PROB),
    "p_ii": Field(doc="I -> I connection probability", default=0.02, **_PROB),
    "p_ie": Field(doc="I -> E (plastic) connection probability", default=0.02, **_PROB),
    "w_init": Field(float, 1e-10, "initial I -> E weight (nS)", low=0.0),
}
#: The pathways of the network file's [pathways] tables, in their fixed numbering (the
#: in-degree streams' codes); delays in 0.1-ms Euler steps.
PATHWAYS = ("ee", "ei", "ie", "ii")
PATHWAY_TABLES = PathwayTables(PATHWAYS, STEP_DT)


def check_network(raw, source):
    """Check a raw description (dict); return a netcol.cells.mechanism_file.MechanismNetwork."""
    return check_mechanism_network(raw, source, MECHANISM_FIELDS, PATHWAY_TABLES)


def load_network(overrides=None, path=None):
    """Read params/network.toml (or path), apply dotted overrides, check it."""
    return load_mechanism_network(path or NETWORK_FILE, MECHANISM_FIELDS, overrides, PATHWAY_TABLES)


def check_wiring(params, network, source):
    """Refuse an in-degree beyond the cells its pathway draws from (one line)."""
    e, i = (params["n_e"], "E cells (n_e)"), (params["n_i"], "I cells (n_i)")
    check_indegrees(network.pathways, {"ee": e, "ei": e, "ie": i, "ii": i}, source)


def incoming(params, network, gid):
    """The synapses onto one cell, sources in ascending gid.

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
    kind : numpy.ndarray of int (netcol.cells.condlif EXC, INH, PLASTIC)
    weight : numpy.ndarray of float (nS; read for plastic synapses)
    pathway : numpy.ndarray of int (the index in PATHWAYS)
    """
    n_e, n_i, seed = params["n_e"], params["n_i"], params["seed"]
    pw = network.pathways
    rng = keyed_generator(seed, "wiring", gid)
    to_e = gid < n_e
    from_e = pathway_sources(rng, seed, pw["ee" if to_e else "ei"], gid, n_e, params["p_e"])
    from_i = n_e + pathway_sources(rng, seed, pw["ie" if to_e else "ii"], gid, n_i,
                                   params["p_ie"] if to_e else params["p_ii"])
    kind = np.concatenate([np.full(len(from_e), EXC), np.full(len(from_i), PLASTIC if to_e else INH)])
    weight = np.concatenate([np.zeros(len(from_e)), np.full(len(from_i), params["w_init"] if to_e else 0.0)])
    pathway = np.concatenate([np.full(len(from_e), 0 if to_e else 1), np.full(len(from_i), 2 if to_e else 3)])
    return np.concatenate([from_e, from_i]), kind, weight, pathway
