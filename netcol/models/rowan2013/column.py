"""The column description: reading and checking ``params/column.toml``, and the
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
    "class": Field(str, None, "cell class in params/cells.toml"),
    "layer": Field(str, None, "layer label"),
    "code": Field(int, None, "type code of the original (orders populations and gids)", low=0),
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
INPUT_FIELDS = {
    "rate": Field(float, None, "Poisson rate (Hz)", low=0.0, high=MAX_DRIVE_RATE),
    "weight": Field(float, None, "weight (mV jump at rest)", low=0.0),
}
COLUMN_FILE = PARAMS_DIR / "column.toml"
CELLS_FILE = PARAMS_DIR / "cells.toml"


def load_cell_classes(path=None):
    """The column's cell classes (RS, FS, LTS) from ``params/cells.toml`` (or path)."""
    return load_classes_file(path or CELLS_FILE)


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
    """The checked column description (see params/column.toml for every entry)."""

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
    sections = {k: validate(_table(raw, k, source), f, f"{source} [{k}]") for k, f in SECTION_FIELDS.items()}
    conns = {}
    for pre, posts in _table(raw, "connections", source).items():
        if pre not in pops:
            raise ParamError(f"{source}: connections.{pre}: type {pre!r} is not defined in [populations]")
        for post, pw in posts.items():
            where = f"{source}: connections.{pre}.{post}"
            if post not in pops:
                raise ParamError(f"{where}: type {post!r} is not defined in [populations]")
            if not (isinstance(pw, list) and len(pw) == 2):
                raise ParamError(f"{where} = {pw!r}: expected [p_base, w_base]")
            p = _PROB.check(f"connections.{pre}.{post}[0]", pw[0], source)
            w = Field(float, None, "base weight", low=0.0).check(f"connections.{pre}.{post}[1]", pw[1], source)
            conns[(pre, post)] = (p, w)
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


def load_column(path=None, overrides=None, prefix="column."):
    """Read, override and check the column description.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Defaults to ``params/column.toml``.
    overrides : dict of str to object, optional
        Dotted keys into the file (``"external.RS.AM2.rate": 250.0``).
    prefix : str
        How the user wrote the keys' common prefix (for error messages).

    Returns
    -------
    Column
    """
    path = Path(path) if path else COLUMN_FILE
    raw = read_toml(path)
    raw = apply_overrides(raw, overrides or {}, str(path), prefix)
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
