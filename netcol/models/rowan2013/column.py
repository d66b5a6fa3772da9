"""The column description: reading and checking ``params/rowan2013/column.toml``, and the
population layout (types, counts, gids) at a given size.

Nothing here touches NEURON: a :class:`Column` is plain data.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...cells.intf6 import DT, MECHANISM_FIELDS, RECEPTORS
from ...cells.intf6 import load_cell_classes as load_classes_file
from . import PARAMS_DIR
from ...config.schema import Field, ParamError, apply_overrides, read_toml, validate

_POS = dict(kind=float, low=0.0, low_open=True)
#: Highest plausible rate of one external Poisson input (Hz): the column's are 50-300 Hz.
MAX_DRIVE_RATE = 10000.0
_PROB = Field(float, None, "probability", low=0.0, high=1.0)
POPULATION_FIELDS = {
    "count": Field(int, None, "number of cells at size 1", low=0),
    "class": Field(str, None, "cell class in params/rowan2013/cells.toml"),
    "layer": Field(str, None, "layer label"),
    "code": Field(int, None, "type code of the original (orders populations and gids)", low=0, high=65535),
}
SECTION_FIELDS = {
    "geometry": {
        "colside": Field(doc="side of the square the cells lie in (um)", default=None, **_POS),
        "z_sd": Field(float, None, "SD of the depth coordinate (um)", low=0.0),
    },
    "wiring": dict(
        {"length_constant": Field(doc="fall-off length constant lambda (um)", default=None, **_POS)},
        **{f"radius_{k}": Field(doc=f"{k} cut-off radius (um)", default=None, **_POS) for k in ("EE", "EI", "IE", "II")},
        **{f"p_scale_{k}": Field(float, None, f"{k} probability factor", low=0.0) for k in ("EE", "EI", "IE", "II")},
    ),
    "weights": dict(
        {f"gain_{k}": Field(float, None, f"{k} class gain", low=0.0) for k in ("EE", "EI", "IE", "II")},
        nmda_ratio=Field(float, None, "NMDA / AMPA weight ratio of E synapses", low=0.0),
        randomise=Field(bool, None, "draw weight 1 per synapse from Normal(w, variance w), clipped at 0"),
    ),
    "stdp": {
        "tau": Field(doc="STDP time constant (ms)", default=None, **_POS),
        "EE_inc": Field(float, None, "E->E STDP increment", low=0.0),
        "EE_max": Field(doc="E->E maximal gain", default=None, **_POS),
        "EI_inc": Field(float, None, "E->I STDP increment", low=0.0),
        "EI_max": Field(doc="E->I maximal gain", default=None, **_POS),
    },
    "mechanism": MECHANISM_FIELDS,
    "original_seeds": {
        "positions": Field(int, None, "ACG seed of the positions"),
        "wiring": Field(int, None, "ACG seed of the wiring"),
        "weights": Field(int, None, "ACG seed of the weight randomisation"),
        "inputs": Field(int, None, "base seed of the external input streams"),
    },
}
DELAY_FIELDS = {
    "mean": Field(float, None, "mean delay (ms)", low=0.0),
    "halfwidth": Field(float, None, "half-width of the uniform delay distribution (ms)", low=0.0),
}
#: How the cells of a connection pair are chosen.
RULES = ("distance", "fixed_probability", "fixed_indegree", "list")
PAIR_FIELDS = {
    "p": Field(float, None, "base connection probability (rules distance and fixed_probability; divided by "
               "size)", low=0.0, high=1.0),
    "w": Field(float, None, "base weight before the class gains", low=0.0),
    "rule": Field(str, "distance", "distance: the original's rule (within a radius, falling off with "
                  "distance); fixed_probability: p for every pair; fixed_indegree: indegree presynaptic cells per "
                  "target; list: the pairs of a file", choices=RULES),
    "indegree": Field(int, None, "presynaptic cells per target cell (rule fixed_indegree)", low=0),
    "file": Field(str, None, "the pairs (rule list): a CSV file with columns pre, post (indices within each "
                  "population) and optional weight (final) and delay (ms), or a SONATA edges file (node ids)"),
    "delay_mean": Field(float, None, "mean delay of this pair (ms); default: its presynaptic class's", low=0.0),
    "delay_halfwidth": Field(float, None, "half-width of this pair's uniform delay distribution (ms)", low=0.0),
    "plastic": Field(bool, None, "STDP on this pair (E sources only); default: when its class pair's increment "
                     "(stdp.EE_inc, stdp.EI_inc) is positive"),
}
#: Tables of the column description to which a file or --set may add entries: new
#: populations, new presynaptic populations, new pairs and a pair's optional entries
#: (their schemas still refuse an unknown key).
OPEN_TABLES = ("populations", "connections", "connections.*", "connections.*.*")
INPUT_FIELDS = {
    "rate": Field(float, None, "Poisson rate (Hz)", low=0.0, high=MAX_DRIVE_RATE),
    "weight": Field(float, None, "weight (mV jump at rest)", low=0.0),
}
COLUMN_FILE = PARAMS_DIR / "column.toml"
CELLS_FILE = PARAMS_DIR / "cells.toml"


def load_cell_classes(path=None):
    """The column's cell classes (RS, FS, LTS) from ``params/rowan2013/cells.toml`` (or path)."""
    return load_classes_file(path or CELLS_FILE)


@dataclass(frozen=True)
class Pair:
    """One connection pair (pre type -> post type): how its cells are chosen and its
    synapses' base weight, delay and plasticity."""

    p: float
    w: float
    rule: str = "distance"
    indegree: int = None
    file: str = None
    delay: tuple = None     # (mean, half-width) in ms, or None: the presynaptic class's
    plastic: bool = None    # None: the class pair's increment decides


@dataclass(frozen=True)
class Population:
    """Cells of one type at a given size: gids first_gid ... first_gid + count - 1.

    ``excitatory`` comes from the cell class (``inhib`` in cells.toml): the one source of
    the E/I split, which the node table carries to every reader."""

    name: str
    cls: str
    layer: str
    code: int
    count: int
    first_gid: int
    excitatory: bool

    @property
    def gids(self):
        """The population's gids as a range."""
        return range(self.first_gid, self.first_gid + self.count)


@dataclass
class Column:
    """The checked column description (see params/rowan2013/column.toml for every entry)."""

    source: str
    raw: dict
    populations: dict
    connections: dict
    delays: dict
    external: dict
    cell_classes: dict
    geometry: dict
    wiring: dict
    weights: dict
    stdp: dict
    mechanism: dict
    original_seeds: dict

    def layout(self, size=1.0):
        """Populations at the given size, in type-code order, with contiguous gids.

        Parameters
        ----------
        size : float
            Multiplies every count (truncated to an integer, as the original does).

        Returns
        -------
        list of Population
        """
        out, gid = [], 0
        for name, p in sorted(self.populations.items(), key=lambda kv: kv[1]["code"]):
            n = int(p["count"] * size)
            out.append(Population(name, p["class"], p["layer"], p["code"], n, gid,
                                  not self.cell_classes[p["class"]].inhib))
            gid += n
        return out


def _table(raw, key, source):
    value = raw.get(key)
    if not isinstance(value, dict):
        raise ParamError(f"{source}: missing table [{key}]")
    return value


def check_column(raw, source, cell_classes):
    """Check a raw column description and return a :class:`Column`.

    Parameters
    ----------
    raw : dict
        As read from TOML (possibly with command-line overrides applied).
    source : str
        File name for error messages.
    cell_classes : dict of str to CellClass

    Returns
    -------
    Column

    Raises
    ------
    ParamError
        Naming the file, the key and the problem.
    """
    known = {"populations", "connections", "delays", "external", *SECTION_FIELDS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ParamError(f"{source}: unknown section(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    pops = {}
    for name, p in _table(raw, "populations", source).items():
        if not isinstance(p, dict):
            raise ParamError(f"{source}: populations.{name} must be a table")
        pops[name] = validate(p, POPULATION_FIELDS, f"{source} populations.{name}")
        if pops[name]["class"] not in cell_classes:
            raise ParamError(f"{source}: populations.{name}: unknown cell class {pops[name]['class']!r}; "
                             f"known: {', '.join(sorted(cell_classes))}")
    codes = [p["code"] for p in pops.values()]
    if len(set(codes)) != len(codes):
        raise ParamError(f"{source}: populations: type codes must be distinct")
    conns = {}
    for pre, posts in _table(raw, "connections", source).items():
        if pre not in pops:
            raise ParamError(f"{source}: connections.{pre}: type {pre!r} is not defined in [populations]; "
                             f"defined: {', '.join(pops)}")
        if not isinstance(posts, dict):
            raise ParamError(f"{source}: connections.{pre} must be a table of target types")
        for post, entry in posts.items():
            if post not in pops:
                raise ParamError(f"{source}: connections.{pre}.{post}: type {post!r} is not defined in "
                                 f"[populations]; defined: {', '.join(pops)}")
            conns[(pre, post)] = _pair(entry, f"{source} connections.{pre}.{post}")
    sections = {k: validate(_table(raw, k, source), f, f"{source} [{k}]") for k, f in SECTION_FIELDS.items()}
    for (pre, post), pair in conns.items():
        _check_plastic(pair, pops[pre], pops[post], cell_classes, sections["stdp"], f"{source}: connections.{pre}.{post}")
    used = {p["class"] for p in pops.values()}
    delays = {}
    for cls in used:
        d = _table(_table(raw, "delays", source), cls, f"{source} [delays]")
        delays[cls] = validate(d, DELAY_FIELDS, f"{source} delays.{cls}")
        shortest = delays[cls]["mean"] - delays[cls]["halfwidth"]
        if shortest < DT:
            raise ParamError(f"{source}: delays.{cls}: mean {delays[cls]['mean']:g} - halfwidth "
                             f"{delays[cls]['halfwidth']:g} = {shortest:g} ms is shorter than the integration step "
                             f"({DT:g} ms); every connection delay must be >= {DT:g} ms")
    external = {}
    ext_raw = _table(raw, "external", source)
    for cls in used:
        table = _table(ext_raw, cls, f"{source} [external]")
        bad = sorted(set(table) - set(RECEPTORS))
        if bad:
            raise ParamError(f"{source}: external.{cls}: unknown receptor(s) {', '.join(bad)}; "
                             f"known: {', '.join(RECEPTORS)}")
        if len(table) > 4:
            raise ParamError(f"{source}: external.{cls}: at most 4 external inputs per cell class")
        external[cls] = {rec: validate(v, INPUT_FIELDS, f"{source} external.{cls}.{rec}") for rec, v in table.items()}
    return Column(source, raw, pops, conns, delays, external, cell_classes, **sections)


def as_pair_table(entry):
    """A pair's entry as a table: the list form [p_base, w_base] as {p, w}; a table as it is."""
    if isinstance(entry, list) and len(entry) == 2:
        return {"p": entry[0], "w": entry[1]}
    return entry


def with_pair_tables(raw):
    """A copy of a raw column description whose pairs are all tables (so that a pair's
    p or w can be set by a dotted key)."""
    out = dict(raw)
    if isinstance(raw.get("connections"), dict):
        out["connections"] = {pre: {post: as_pair_table(e) for post, e in posts.items()} if isinstance(posts, dict)
                              else posts for pre, posts in raw["connections"].items()}
    return out


def _pair(entry, where):
    """A checked :class:`Pair` from its entry ([p_base, w_base] or a table)."""
    entry = as_pair_table(entry)
    if not isinstance(entry, dict):
        raise ParamError(f"{where} = {entry!r}: expected [p_base, w_base] or a table with p, w, rule, ...")
    v = validate(entry, PAIR_FIELDS, where, fill_defaults=False)
    rule = v.get("rule", "distance")
    needs = {"distance": ("p", "w"), "fixed_probability": ("p", "w"), "fixed_indegree": ("indegree", "w"),
             "list": ("file", "w")}[rule]
    missing = [k for k in needs if k not in v]
    if missing:
        raise ParamError(f"{where}: rule {rule!r} needs {' and '.join(missing)} ({PAIR_FIELDS[missing[0]].doc})")
    if ("delay_mean" in v) != ("delay_halfwidth" in v):
        raise ParamError(f"{where}: give delay_mean and delay_halfwidth together")
    delay = (v["delay_mean"], v["delay_halfwidth"]) if "delay_mean" in v else None
    if delay and delay[0] - delay[1] < DT:
        raise ParamError(f"{where}: delay_mean - delay_halfwidth = {delay[0] - delay[1]:g} ms is shorter than the "
                         f"integration step ({DT:g} ms)")
    if rule == "list" and not Path(v["file"]).is_file():
        raise ParamError(f"{where}: file {v['file']!r} not found")
    return Pair(v.get("p", 0.0), v["w"], rule, v.get("indegree"), v.get("file"), delay, v.get("plastic"))


def _check_plastic(pair, pre, post, cell_classes, stdp, where):
    if not pair.plastic:
        return
    if cell_classes[pre["class"]].inhib:
        raise ParamError(f"{where}: plastic = true needs an excitatory source (STDP of inhibitory synapses is not "
                         "implemented)")
    inc = "EI_inc" if cell_classes[post["class"]].inhib else "EE_inc"
    if stdp[inc] <= 0:
        raise ParamError(f"{where}: plastic = true needs stdp.{inc} > 0 (it is {stdp[inc]:g})")


def load_column(path=None, overrides=None, prefix="column."):
    """Read, override and check the column description.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Defaults to ``params/rowan2013/column.toml``.
    overrides : dict of str to object, optional
        Dotted keys into the file (``"external.RS.AM2.rate": 250.0``).
    prefix : str
        How the user wrote the keys' common prefix (for error messages).

    Returns
    -------
    Column
    """
    path = Path(path) if path else COLUMN_FILE
    raw = with_pair_tables(read_toml(path))
    for posts in raw.get("connections", {}).values():   # a pair's list file is relative to its file
        for entry in posts.values() if isinstance(posts, dict) else ():
            if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                entry["file"] = str(path.resolve().parent / entry["file"])
    raw = apply_overrides(raw, overrides or {}, str(path), prefix, OPEN_TABLES)
    return check_column(raw, str(path), load_cell_classes())


def class_pair(column, pre_cls, post_cls):
    """'EE', 'EI', 'IE' or 'II' for two cell classes of the column (by their inhib flag)."""
    kind = lambda cls: "I" if column.cell_classes[cls].inhib else "E"
    return kind(pre_cls) + kind(post_cls)


def final_weight(column, pre_cls, post_cls, w_base):
    """Type-pair weight 1 after the class gains (network.md §5.6).

    Parameters
    ----------
    column : Column
    pre_cls, post_cls : str
        Cell classes (RS, FS, LTS).
    w_base : float

    Returns
    -------
    float
    """
    g = column.weights
    pair = class_pair(column, pre_cls, post_cls)
    if pair == "EE":
        gain = g["gain_EE"]
    elif pair == "EI":
        gain = g["gain_EI"] * (0.5 if post_cls == "LTS" else 1.0)
    elif pair == "IE":
        gain = g["gain_IE"] * (0.5 if pre_cls == "LTS" else 1.0)
    else:
        gain = g["gain_II"] * (0.5 if pre_cls == "LTS" and post_cls != "LTS" else 1.0)
    return w_base * gain


def cell_table(column, size):
    """Per-gid arrays of the layout: type index, class name, excitatory flag.

    Returns
    -------
    dict with 'pops' (list of Population), 'type_index' (int array), 'names', 'classes',
    'excitatory' (bool array), 'n' (number of cells)
    """
    pops = column.layout(size)
    n = sum(p.count for p in pops)
    type_index = np.empty(n, dtype=np.int64)
    for i, p in enumerate(pops):
        type_index[p.first_gid:p.first_gid + p.count] = i
    excit = np.array([pops[i].excitatory for i in type_index], dtype=bool)
    return dict(pops=pops, type_index=type_index, n=n, excitatory=excit,
                classes=[pops[i].cls for i in type_index])
