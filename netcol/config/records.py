"""Traces recorded in batch runs: an experiment's ``[[record]]`` tables (see docs/recording.md).

Each table names what to sample (variables its model's cell declares in its binding's
``RECORDABLE``), of which cells (cell types by name, gids, a fraction of them drawn per gid),
how often and when (seconds, on the model's step grid), and the report's name::

    [[record]]
    name = "v"                  # the file report_v.h5
    variables = ["V"]           # or a list; several give report_<name>_<variable>.h5 each
    populations = ["E2", "I2"]  # cell types by name (nodes.h5's type); and/or
    gids = [0, 17]              # cells by gid; neither: every cell
    fraction = 0.1              # of those, drawn per gid (keyed by (seed, "record", gid))
    seed = 3                    # of that draw (default: the run's seed)
    interval = 0.0005           # s between samples (default 0.001)
    start = 0.0                 # s, the first sample
    stop = 2.0                  # s, samples before it (default: the run's end)

The same tables come through ``--set record=...`` as a TOML value (an inline table or an
array of them) and through the Python dict form (``sets={"record": [{...}]}``).  They are
checked in two stages, each error one line naming the source, the table, the key and what
is allowed: :class:`RecordsField` (the form, on every load, also of saved parameters) and
:func:`check_records` (against the model: its variables, cell types, cells and step grid).
"""
import re
import tomllib

from .schema import Field, ParamError

#: A table's keys and their meaning.
KEYS = {
    "name": "the report's name (letters, digits, _ and -): report_<name>.h5",
    "variables": "what to record: a name or a list of names the model's cell declares",
    "populations": "cell types by name (nodes.h5's type), a name or a list",
    "gids": "cells by gid, a list (with populations: both; with neither: every cell)",
    "fraction": "the fraction of those cells recorded, drawn per gid (0 < fraction <= 1)",
    "seed": "seed of that draw (default: the run's seed)",
    "interval": "seconds between samples, a whole number of the model's steps",
    "start": "time of the first sample (s)",
    "stop": "samples are taken before it (s; default: the run's end)",
}
#: Default seconds between samples.
DEFAULT_INTERVAL = 0.001
_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: Bound of the seed of the draw (netcol.build.streams.MAX_SEED).
_MAX_SEED = 2**32 - 1


def _where(source, i, table):
    name = table.get("name") if isinstance(table, dict) else None
    return f"{source}: [[record]] table {i + 1}" + (f" ({name!r})" if isinstance(name, str) else "")


def _bad(where, key, value, expected):
    return ParamError(f"{where}: {key} = {value!r} is invalid: expected {expected} ({KEYS[key]})")


def _names(where, key, value, required):
    """A name or a list of names as a tuple (unique, in order)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) and v for v in items) \
            or (required and not items) or len(set(items)) != len(items):
        raise _bad(where, key, value, ("a name or a non-empty list of distinct names" if required
                                       else "a name or a list of distinct names"))
    return tuple(items)


def _number(where, key, value, low=None, low_open=False, high=None, kind=float):
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and value == value \
        and abs(value) != float("inf") and (kind is float or value == int(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        fmt = str if kind is int else (lambda x: f"{x:g}")
        bounds = [f"{'>' if low_open else '>='} {fmt(low)}" if low is not None else "",
                  f"<= {fmt(high)}" if high is not None else ""]
        what = "an integer" if kind is int else "a number"
        raise _bad(where, key, value, f"{what} " + " and ".join(b for b in bounds if b))
    return kind(value)


def parse_tables(value, source):
    """The tables of a ``record`` value in their checked form.

    Parameters
    ----------
    value : list of dict, dict, or str
        As read from a file (an array of tables), given in Python (a dict or a list of
        them), or by ``--set`` (TOML text of an inline table or an array of them).
    source : str

    Returns
    -------
    tuple of dict
        Each with every key of :data:`KEYS` (lists as tuples; seed and stop None when
        left to the run).

    Raises
    ------
    ParamError
    """
    if isinstance(value, str):
        try:
            value = tomllib.loads(f"record = {value}")["record"]
        except tomllib.TOMLDecodeError as err:
            raise ParamError(f"{source}: record = {value!r} is invalid: expected a TOML inline table or array of "
                             f"them, such as {{name = \"v\", variables = [\"V\"], gids = [0]}} ({err})") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ParamError(f"{source}: record = {value!r} is invalid: expected [[record]] tables (keys "
                         f"{', '.join(KEYS)}; docs/recording.md)")
    tables, names = [], set()
    for i, table in enumerate(value):
        where = _where(source, i, table)
        if not isinstance(table, dict):
            raise ParamError(f"{where}: {table!r} is not a table (keys {', '.join(KEYS)})")
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise ParamError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KEYS)}")
        for key in ("name", "variables"):
            if key not in table:
                raise ParamError(f"{where}: missing key '{key}' ({KEYS[key]})")
        name = table["name"]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise _bad(where, "name", name, "letters, digits, _ and -")
        if name in names:
            raise _bad(where, "name", name, "a name no other [[record]] table of the experiment has")
        names.add(name)
        gids = table.get("gids", ())
        gids = [gids] if isinstance(gids, int) and not isinstance(gids, bool) else gids
        if not isinstance(gids, (list, tuple)) or not all(isinstance(g, int) and not isinstance(g, bool) and g >= 0
                                                          for g in gids) or len(set(gids)) != len(gids):
            raise _bad(where, "gids", table["gids"], "a list of distinct integers >= 0")
        seed = table.get("seed")
        out = dict(name=name, variables=_names(where, "variables", table["variables"], True),
                   populations=_names(where, "populations", table.get("populations", ()), False),
                   gids=tuple(int(g) for g in gids),
                   fraction=_number(where, "fraction", table.get("fraction", 1.0), 0.0, True, 1.0),
                   seed=None if seed is None else _number(where, "seed", seed, 0, high=_MAX_SEED, kind=int),
                   interval=_number(where, "interval", table.get("interval", DEFAULT_INTERVAL), 0.0, True),
                   start=_number(where, "start", table.get("start", 0.0), 0.0),
                   stop=None if table.get("stop") is None else _number(where, "stop", table["stop"], 0.0, True))
        if out["stop"] is not None and out["stop"] <= out["start"]:
            raise ParamError(f"{where}: stop = {out['stop']!r} s is not after start = {out['start']!r} s")
        tables.append(out)
    return tuple(tables)


def inline_toml(tables):
    """TOML text of [[record]] tables as one inline array, what ``--set record=...`` reads
    back as the same tables (for a caller that passes them on a command line).

    Parameters
    ----------
    tables : dict or list of dict
        With str, bool, int, float values or lists of them.

    Returns
    -------
    str
    """
    import json

    def value(v):
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)   # a TOML basic string
        raise ParamError(f"record: {v!r} cannot be written as TOML (expected str, bool, int, float or lists)")
    tables = [tables] if isinstance(tables, dict) else list(tables)
    return "[" + ", ".join("{" + ", ".join(f"{k} = {value(v)}" for k, v in t.items() if v is not None) + "}"
                           for t in tables) + "]"


class RecordsField(Field):
    """The ``record`` parameter: a tuple of [[record]] tables (see :func:`parse_tables`)."""

    def allowed(self):
        """The allowed values in words."""
        return f"[[record]] tables with the keys {', '.join(KEYS)} (docs/recording.md)"

    def check(self, key, value, source):
        """The tables in their checked form, or ParamError."""
        return parse_tables(value, source)


#: The run-level parameter (netcol.config.experiment.RUN_FIELDS).
RECORD_FIELD = RecordsField(tuple, (), "traces to record: [[record]] tables, each a SONATA report")


def report_files(table):
    """[(variable, file name)] of a table: report_<name>.h5 for one variable, else
    report_<name>_<variable>.h5 each."""
    if len(table["variables"]) == 1:
        return [(table["variables"][0], f"report_{table['name']}.h5")]
    return [(v, f"report_{table['name']}_{v}.h5") for v in table["variables"]]


def type_ranges(node_types):
    """{type name: (first gid, end)} of a model's node types [(name, count)] in gid order."""
    out, first = {}, 0
    for name, count in node_types:
        out[name] = (first, first + int(count))
        first += int(count)
    return out


def select_gids(table, node_types):
    """The gids a checked table records, ascending: those of its populations and its gids
    (every cell when it names neither), each kept with probability fraction, drawn from
    the keyed stream (seed, "record", gid) so that the choice is the same on any number
    of ranks and in any order.

    Parameters
    ----------
    table : dict
        With its seed resolved (:func:`check_records`).
    node_types : list of (str, int)
        The model's cell types in gid order (its package's ``node_types``).

    Returns
    -------
    numpy.ndarray of int64
    """
    import numpy as np
    from ..build.streams import keyed_generator
    ranges = type_ranges(node_types)
    n = sum(int(c) for _, c in node_types)
    chosen = set(table["gids"])
    for name in table["populations"]:
        chosen.update(range(*ranges[name]))
    gids = np.array(sorted(chosen), dtype=np.int64) if (table["populations"] or table["gids"]) else np.arange(n)
    if table["fraction"] < 1.0:
        keep = [keyed_generator(table["seed"], "record", int(g)).random() < table["fraction"] for g in gids]
        gids = gids[np.array(keep, dtype=bool)] if len(gids) else gids
    return gids


def sample_times(table):
    """The sample times of a checked table (ms): start + k interval before stop."""
    import numpy as np
    start, interval, stop = (table[k] * 1000.0 for k in ("start", "interval", "stop"))
    count = int(np.ceil((stop - start) / interval - 1e-9))
    return start + interval * np.arange(max(count, 0))


def _on_grid(where, key, seconds, step_ms):
    from .budget import off_grid
    if off_grid(seconds, step_ms):
        steps = seconds * 1000.0 / step_ms
        near = sorted({max(1 if key == "interval" else 0, int(steps)), int(steps) + 1})
        allowed = " or ".join(f"{round(n * step_ms / 1000.0, 12):.12g}" for n in near)
        raise ParamError(f"{where}: {key} = {seconds!r} s is not a whole number of the model's steps "
                         f"({step_ms:g} ms); nearest allowed: {allowed} s")


def check_records(params, package, network, source):
    """Check an experiment's [[record]] tables against its model and complete them (the
    seed and stop left to the run); params['record'] is replaced by the completed tables.

    Parameters
    ----------
    params : dict
        Checked parameters, the model's own checks done (its duration known).
    package : module
        The model's package: its ``BINDING`` declares ``RECORDABLE`` (name -> (unit,
        meaning)) and its ``node_types(params, network)`` gives its cell types.
    network : object
        The model's network description.
    source : str

    Raises
    ------
    ParamError
        One line naming the table, the key and what is allowed.
    """
    tables = params.get("record") or ()
    if not tables:
        return
    binding = package.BINDING
    recordable = getattr(binding, "RECORDABLE", None)
    node_types = getattr(package, "node_types", None)
    if recordable is None or node_types is None:
        lacks = "its cell's RECORDABLE" if recordable is None else "node_types(params, network)"
        raise ParamError(f"{source}: [[record]]: model {package.NAME!r} cannot record traces (it lacks {lacks}; "
                         "see docs/recording.md)")
    types = [(str(name), int(count)) for name, count in node_types(params, network)]
    ranges, n = type_ranges(types), sum(c for _, c in types)
    step = getattr(binding, "PROTOCOL_STEP", binding.DT)
    duration = params["duration"]
    reserved = _reserved_files(package)
    files, times, out = {}, set(), []
    for i, table in enumerate(tables):
        where = _where(source, i, table)
        t = dict(table)
        unknown = [v for v in t["variables"] if v not in recordable]
        if unknown:
            listed = ", ".join(f"{k} ({unit})" for k, (unit, _) in recordable.items())
            raise ParamError(f"{where}: variables: unknown {', '.join(map(repr, unknown))}; {binding.HOC_NAME} "
                             f"records {listed}")
        missing = [p for p in t["populations"] if p not in ranges]
        if missing:
            raise ParamError(f"{where}: populations: unknown {', '.join(map(repr, missing))}; the model's cell types: "
                             f"{', '.join(ranges)}")
        outside = [g for g in t["gids"] if g >= n]
        if outside:
            raise ParamError(f"{where}: gids: {', '.join(map(str, outside))} out of range; the network has {n} cells "
                             f"(gids 0 to {n - 1})")
        if t["seed"] is None:
            t["seed"] = params["seed"]
        if t["stop"] is None:
            t["stop"] = duration
        if t["stop"] > duration + 1e-12:
            raise ParamError(f"{where}: stop = {t['stop']!r} s is after the run's end (duration = {duration:g} s)")
        if t["start"] >= t["stop"]:
            raise ParamError(f"{where}: start = {t['start']!r} s is not before stop = {t['stop']!r} s")
        for key in ("interval", "start", "stop"):
            _on_grid(where, key, t[key], step)
        if not len(select_gids(t, types)):
            raise ParamError(f"{where}: selects no cells (fraction = {t['fraction']:g} of "
                             f"{', '.join(t['populations']) or 'the cells given'}); raise the fraction or name more")
        for variable, name in report_files(t):
            if name in files or name in reserved:
                other = (f"table {files[name]!r} writes" if name in files
                         else "netcol export-reports writes for this model")
                raise ParamError(f"{where}: name = {t['name']!r} gives the file {name}, which {other} too; "
                                 "choose another name")
            files[name] = t["name"]
        times.update(round(x, 9) for x in sample_times(t))
        out.append(t)
    from .budget import MAX_EVENTS
    if len(times) > MAX_EVENTS:
        raise ParamError(f"{source}: [[record]]: {len(times):,} sample times, more than {MAX_EVENTS:,}; lengthen the "
                         "intervals or shorten the recordings")
    params["record"] = tuple(out)


def _reserved_files(package):
    """The report files the model's own export writes (its reports module's QUANTITIES)."""
    try:
        from ..models import reports
        return {f"report_{q}.h5" for q in getattr(reports(package.NAME), "QUANTITIES", {})}
    except Exception:   # a model without a reports module to ask: nothing is reserved
        return set()
