"""The network file of a model whose network file holds only its population mechanism's
constants (``[mechanism]``): reading it, applying ``--set network.mechanism.<key>``
overrides, and checking it against the mechanism's schema (vogels2011, akil2021)."""
from dataclasses import dataclass

from ..config.schema import ParamError, apply_overrides, read_toml, validate


@dataclass
class MechanismNetwork:
    """The mechanism's constants, checked (``raw`` as read, with overrides)."""

    raw: dict
    mechanism: dict


def check_mechanism_network(raw, source, fields):
    """Check a raw description (dict) against the mechanism's fields.

    Parameters
    ----------
    raw : dict
    source : str
        Where it came from, for error messages.
    fields : dict of str to netcol.config.schema.Field

    Returns
    -------
    MechanismNetwork
    """
    unknown = sorted(set(raw) - {"mechanism"})
    if unknown:
        raise ParamError(f"{source}: unknown section(s) {', '.join(unknown)}; known: mechanism")
    return MechanismNetwork(raw, validate(raw.get("mechanism", {}), fields, f"{source} [mechanism]"))


def load_mechanism_network(path, fields, overrides=None):
    """Read a network file, apply dotted ``network.`` overrides, check it."""
    return check_mechanism_network(apply_overrides(read_toml(path), overrides or {}, str(path), "network."),
                                   str(path), fields)
