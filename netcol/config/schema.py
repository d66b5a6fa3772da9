"""Declarative parameter checking: each parameter's type, range and meaning.

Every parameter netcol reads, from a file or from ``--set key=value``, is checked
against a :class:`Field` before any NEURON object is made.  Errors are
:class:`ParamError` and name the source, the key, the value and what is allowed.
"""
import copy
from dataclasses import dataclass
import math
import tomllib


class ParamError(ValueError):
    """A parameter is unknown, missing, of the wrong type or out of range."""


@dataclass(frozen=True)
class Field:
    """One parameter: its type, default, allowed range or values, and meaning.

    Parameters
    ----------
    kind : type
        ``float``, ``int``, ``bool`` or ``str``.
    default : object
        Value used when the parameter is absent (``None`` = required).
    doc : str
        Meaning and unit, shown in error messages and documentation.
    low, high : float, optional
        Inclusive bounds.
    low_open : bool
        If True the lower bound is exclusive (value must be > low).
    choices : tuple, optional
        Allowed values.
    """

    kind: type
    default: object
    doc: str
    low: float = None
    high: float = None
    low_open: bool = False
    choices: tuple = None

    def allowed(self):
        """Describe the allowed values in words."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        parts = [self.kind.__name__]
        if self.low is not None:
            parts.append(("> " if self.low_open else ">= ") + repr(self.low))
        if self.high is not None:
            parts.append("<= " + repr(self.high))
        return " ".join(parts)

    def check(self, key, value, source):
        """Return value converted to the field's type, or raise ParamError."""
        where = f"{source}: " if source else ""
        problem = f"{where}parameter '{key}' = {value!r} is invalid: expected {self.allowed()} ({self.doc})"
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ParamError(problem)
            return value
        if self.kind is str:
            if not isinstance(value, str):
                raise ParamError(problem)
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                raise ParamError(problem)
            value = int(value)
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParamError(problem)
            value = float(value)
        elif not isinstance(value, self.kind):
            raise ParamError(problem)
        if self.choices is not None and value not in self.choices:
            raise ParamError(problem)
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ParamError(problem)
        if self.high is not None and value > self.high:
            raise ParamError(problem)
        return value


def read_toml(path):
    """Read a TOML file; a missing, unreadable, non-UTF-8 or malformed file is a
    ParamError naming the file and the problem.

    Parameters
    ----------
    path : pathlib.Path or str

    Returns
    -------
    dict
    """
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ParamError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise ParamError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    except tomllib.TOMLDecodeError as err:
        raise ParamError(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise ParamError(f"{path}: cannot be read: {err.strerror}") from None


def validate(values, fields, source, fill_defaults=True):
    """Check a mapping against a schema and return a new, fully typed dict.

    Parameters
    ----------
    values : dict
        Parameters as read (from a file or the command line).
    fields : dict of str to Field
        The schema.
    source : str
        Where the values came from (file name, ``--set``), for error messages.
    fill_defaults : bool
        Add defaults for absent keys; a field whose default is None is required.

    Returns
    -------
    dict

    Raises
    ------
    ParamError
    """
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ParamError(f"{source}: unknown parameter(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(fields))}")
    out = {}
    for key, field in fields.items():
        if key in values:
            out[key] = field.check(key, values[key], source)
        elif fill_defaults:
            if field.default is None:
                raise ParamError(f"{source}: missing parameter '{key}' ({field.doc})")
            out[key] = field.default
    return out


def parse_scalar(text):
    """Parse a command-line value: bool, int, float, or else a string.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool, int, float or str
    """
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def did_you_mean(name, known):
    """' (did you mean X?)' for the closest of known names to a misspelt one, or ''.

    Parameters
    ----------
    name : str
    known : iterable of str

    Returns
    -------
    str
    """
    import difflib
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def apply_overrides(raw, overrides, source, prefix="", open_tables=()):
    """Return a copy of a nested dict with dotted-key overrides applied.

    A key must name an existing entry (no new keys can be created by mistake), except
    directly inside an open table: a model's collections, such as its populations, to
    which a new entry may be added.

    Parameters
    ----------
    raw : dict
    overrides : dict of str to object
        Dotted keys (``"wiring.radius_EE"``) and their values.
    source : str
        The file the keys refer to (for error messages).
    prefix : str
        How the user wrote the keys' common prefix (``"network."``).
    open_tables : iterable of str
        Dotted paths of the open tables; ``*`` stands for any one key
        (``"connections.*"``: a new target inside any presynaptic population's table).

    Returns
    -------
    dict

    Raises
    ------
    ParamError
        A key that names no entry outside an open table, or a table set to a value.
    """
    out = copy.deepcopy(raw)
    open_patterns = [tuple(p.split(".")) for p in open_tables]

    def is_open(path):
        return any(len(p) == len(path) and all(a in ("*", b) for a, b in zip(p, path)) for p in open_patterns)

    created = set()   # entries the overrides added: inside them any key goes (the model's schema checks it)
    for key, value in overrides.items():
        node, parts, dotted = out, key.split("."), prefix + key
        for i, part in enumerate(parts):
            parent = tuple(parts[:i])
            free = is_open(parent) or any(parent[:k] in created for k in range(1, len(parent) + 1))
            if isinstance(node, dict) and part not in node and free:
                node[part] = {} if i < len(parts) - 1 else value
                created.add(tuple(parts[:i + 1]))
            if not isinstance(node, dict) or part not in node:
                raise ParamError(f"--set {dotted}: {source} has no entry '{'.'.join(parts[:i + 1])}'; "
                                 f"see that file for the entries")
            if i == len(parts) - 1:
                if isinstance(node[part], dict) and not isinstance(value, dict):
                    raise ParamError(f"--set {dotted}: '{dotted}' is a table, not a value")
                if isinstance(node[part], list) and not isinstance(value, list):
                    raise ParamError(f"--set {dotted}: '{dotted}' is a list [p_base, w_base]; "
                                     f"set its items as {dotted}.p or {dotted}.w")
                node[part] = value
            else:
                node = node[part]
    return out


def flatten_tables(tables, prefix=""):
    """Dotted keys of a nested dict's leaves (a TOML table as --set keys).

    Parameters
    ----------
    tables : dict
    prefix : str

    Returns
    -------
    dict of str to object
        An empty table stays an entry of its own (its key maps to ``{}``).
    """
    out = {}
    for k, v in tables.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(flatten_tables(v, key + "."))
        else:
            out[key] = v
    return out
