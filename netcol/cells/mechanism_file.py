"""The network file of a model whose network file holds its population mechanism's
constants (``[mechanism]``) and, where the model has them, its pathway tables
(``[pathways.<name>]``: each pathway's delay and wiring rule, see
:mod:`netcol.cells.pathways`): reading it, applying ``--set network.<key>`` overrides,
and checking it against the schemas (vogels2011, akil2021)."""
from dataclasses import dataclass, field

from ..config.schema import ParamError, apply_overrides, read_toml, validate
from .pathways import OPEN_TABLES


@dataclass
class MechanismNetwork:
    """The mechanism's constants and the pathways, checked (``raw`` as read, with
    overrides).

    Attributes
    ----------
    raw : dict
    mechanism : dict
    pathways : dict of str to netcol.cells.pathways.Pathway
        Empty for a model without pathway tables.
    """

    raw: dict
    mechanism: dict
    pathways: dict = field(default_factory=dict)


def check_mechanism_network(raw, source, fields, pathways=None):
    """Check a raw description (dict) against the mechanism's fields and the pathway tables.

    Parameters
    ----------
    raw : dict
    source : str
        Where it came from, for error messages.
    fields : dict of str to netcol.config.schema.Field
    pathways : netcol.cells.pathways.PathwayTables, optional
        The model's pathways (None: the file has no ``[pathways]``).

    Returns
    -------
    MechanismNetwork
    """
    known = ["mechanism"] + (["pathways"] if pathways is not None else [])
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParamError(f"{source}: unknown section(s) {', '.join(unknown)}; known: {', '.join(known)}")
    mechanism = validate(raw.get("mechanism", {}), fields, f"{source} [mechanism]")
    checked = pathways.check(raw.get("pathways"), source) if pathways is not None else {}
    return MechanismNetwork(raw, mechanism, checked)


def load_mechanism_network(path, fields, overrides=None, pathways=None):
    """Read a network file, apply dotted ``network.`` overrides (a pathway's table may take
    an entry the file leaves out), check it (see :func:`check_mechanism_network`)."""
    raw = apply_overrides(read_toml(path), overrides or {}, str(path), "network.",
                          open_tables=OPEN_TABLES if pathways is not None else ())
    return check_mechanism_network(raw, str(path), fields, pathways)
