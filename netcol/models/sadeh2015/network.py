"""The network of Sadeh, Clopath & Rotter (2015): its description (``params/network.toml``,
checked), the cells' preferred orientations and the incoming synapses of each cell.

Connections are drawn per target cell from a stream keyed by (seed, "wiring", target
gid): a Bernoulli draw for every source, E sources then I sources, so any rank draws a
cell's inputs alone and the same on any number of ranks.  A pathway with rule
fixed_indegree takes its sources from a stream of its own instead; each pathway has a
delay in whole map steps (``[pathways.<name>]``, netcol.cells.pathways).
"""
from dataclasses import dataclass

import numpy as np

from ...cells.lifmap import MAP_DT, MECHANISM_FIELDS, PLASTIC_E, PLASTIC_I, STATIC
from ...cells.pathways import OPEN_TABLES, PathwayTables, check_indegrees, indegree_sources
from ...config.schema import Field, ParamError, apply_overrides, read_toml, validate
from ...build.streams import keyed_generator
from . import NETWORK_FILE

_PROB = dict(kind=float, low=0.0, high=1.0)
SECTIONS = {
    "cells": {"n_e": Field(int, 400, "excitatory cells", low=1), "n_i": Field(int, 100, "inhibitory cells", low=1)},
    "wiring": {"p_ee": Field(doc="E -> E connection probability", default=0.3, **_PROB),
               "p_ei": Field(doc="E -> I connection probability", default=0.3, **_PROB),
               "p_ie": Field(doc="I -> E connection probability", default=1.0, **_PROB),
               "p_ii": Field(doc="I -> I connection probability", default=1.0, **_PROB),
               "J": Field(float, 0.5, "excitatory weight (mV)", low=0.0),
               "g": Field(float, 8.0, "inhibition dominance: inhibitory weight = -g J", low=0.0)},
    "input": {"m_exc": Field(float, 0.2, "orientation modulation of the E cells' input", low=0.0, high=1.0),
              "m_inh": Field(float, 0.02, "orientation modulation of the I cells' input", low=0.0, high=1.0)},
    "plasticity": {"ee": Field(bool, True, "voltage-based rule on E -> E"),
                   "ei": Field(bool, True, "voltage-based rule on E -> I"),
                   "ie": Field(bool, True, "sign-inverted rule on I -> E")},
    "mechanism": MECHANISM_FIELDS,
}
#: The [pathways.<name>] tables, in their fixed numbering (the in-degree streams' codes);
#: delays in 1-ms map steps.
PATHWAYS = ("ee", "ei", "ie", "ii")
PATHWAY_TABLES = PathwayTables(PATHWAYS, MAP_DT)


@dataclass
class Network:
    """A checked network description.

    Attributes
    ----------
    raw : dict
        As read, with overrides (saved in run.json and checkpoints).
    cells, wiring, input, plasticity, mechanism : dict
        The checked sections.
    pathways : dict of str to netcol.cells.pathways.Pathway
        Each pathway's delay and wiring rule.
    """

    raw: dict
    cells: dict
    wiring: dict
    input: dict
    plasticity: dict
    mechanism: dict
    pathways: dict

    @property
    def n(self):
        """Cells in all."""
        return self.cells["n_e"] + self.cells["n_i"]

    @property
    def excitatory(self):
        """Per gid: True for E cells."""
        return np.arange(self.n) < self.cells["n_e"]

    def preferred_orientations(self):
        """Per gid: preferred orientation (rad), evenly spaced over [0, pi) per population."""
        n_e, n_i = self.cells["n_e"], self.cells["n_i"]
        return np.concatenate([np.arange(n_e) * np.pi / n_e, np.arange(n_i) * np.pi / n_i])

    def modulations(self):
        """Per gid: the input's orientation modulation."""
        return np.where(self.excitatory, self.input["m_exc"], self.input["m_inh"])


def check_network(raw, source):
    """Check a raw description (dict) against :data:`SECTIONS` and the pathway tables;
    return a Network."""
    known = [*SECTIONS, "pathways"]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParamError(f"{source}: unknown section(s) {', '.join(unknown)}; known: {', '.join(known)}")
    sections = {name: validate(raw.get(name, {}), fields, f"{source} [{name}]") for name, fields in SECTIONS.items()}
    return Network(raw, **sections, pathways=PATHWAY_TABLES.check(raw.get("pathways"), source))


def load_network(overrides=None, path=None):
    """Read params/network.toml (or path), apply dotted overrides (a pathway's table may take
    an entry the file leaves out), check it."""
    path = path or NETWORK_FILE
    raw = apply_overrides(read_toml(path), overrides or {}, str(path), "network.", open_tables=OPEN_TABLES)
    return check_network(raw, str(path))


def check_wiring(net, source):
    """Refuse an in-degree beyond the cells its pathway draws from (one line)."""
    e, i = (net.cells["n_e"], "E cells (cells.n_e)"), (net.cells["n_i"], "I cells (cells.n_i)")
    check_indegrees(net.pathways, {"ee": e, "ei": e, "ie": i, "ii": i}, source)


def incoming(net, seed, gid):
    """The synapses onto one cell, sources in ascending gid.

    Returns
    -------
    pre : numpy.ndarray of int
    weight : numpy.ndarray of float (mV)
    kind : numpy.ndarray of int (netcol.cells.lifmap STATIC, PLASTIC_E, PLASTIC_I)
    pathway : numpy.ndarray of int (the index in PATHWAYS)
    """
    n_e, n_i = net.cells["n_e"], net.cells["n_i"]
    w, pl = net.wiring, net.plasticity
    to_e = gid < n_e
    e_path, i_path = ("ee", "ie") if to_e else ("ei", "ii")
    rng = keyed_generator(seed, "wiring", gid)
    # the probability rule's draws are made whatever the rule: the stream's later draws
    # (the other pathway's) stay as they are
    from_e = np.flatnonzero(rng.random(n_e) < w[f"p_{e_path}"])
    from_i = np.flatnonzero(rng.random(n_i) < w[f"p_{i_path}"])
    if net.pathways[e_path].fixed_indegree:
        from_e = indegree_sources(seed, net.pathways[e_path], gid, n_e)
    if net.pathways[i_path].fixed_indegree:
        from_i = indegree_sources(seed, net.pathways[i_path], gid, n_i)
    pre = np.concatenate([from_e, n_e + from_i])
    weight = np.concatenate([np.full(len(from_e), w["J"]), np.full(len(from_i), -w["g"] * w["J"])])
    e_kind = PLASTIC_E if pl[e_path] else STATIC
    i_kind = PLASTIC_I if (to_e and pl["ie"]) else STATIC
    kind = np.concatenate([np.full(len(from_e), e_kind), np.full(len(from_i), i_kind)])
    pathway = np.concatenate([np.full(len(from_e), PATHWAYS.index(e_path)),
                              np.full(len(from_i), PATHWAYS.index(i_path))])
    return pre, weight, kind, pathway
