"""Experiment descriptions (``params/experiments/*.toml``) and command-line overrides.

An experiment file holds run-level parameters (duration, scale, seed, ...).  Any of
them, and any entry of the column description, can be overridden with
``--set key=value``; column entries are addressed as ``column.<dotted path>``
(``--set column.external.RS.AM2.rate=250``).  Everything is checked before NEURON
starts.
"""
from dataclasses import dataclass
from pathlib import Path

from .budget import check_budget, check_grid
from .cell import PARAMS_DIR, load_cell_classes
from .column import check_column, load_column
from .protocol import PROTOCOL_FIELDS, check_protocol
from .schema import Field, ParamError, parse_scalar, read_toml, validate
from .streams import MAX_SEED

EXPERIMENTS_DIR = PARAMS_DIR / "experiments"

EXPERIMENT_FIELDS = {
    "description": Field(str, "", "one-line description"),
    "duration": Field(float, None, "simulated time (s)", low=0.0, low_open=True),
    "scale": Field(float, 1.0, "population size multiplier", low=0.0, low_open=True),
    "seed": Field(int, 2, "seed of the keyed random streams", low=0, high=MAX_SEED),
    "rng": Field(str, "keyed", "random draws: keyed by gid, or the original's", choices=("keyed", "original")),
    "block": Field(float, 1.0, "simulated seconds between spike writes", low=0.0, low_open=True),
    "exp_table": Field(str, "auto", "exponentials: 'table' = the original's lookup table, 'exact' = "
                       "libm exp, 'auto' = table in reference mode (rng = original), exact otherwise",
                       choices=("auto", "table", "exact")),
    **PROTOCOL_FIELDS,
}


@dataclass
class Experiment:
    """A checked experiment: its parameters, the column, and where they came from."""

    name: str
    source: str
    params: dict
    column: object
    column_overrides: dict
    sets: dict

    def mechanism_settings(self):
        """The cell mechanism's module-wide settings for this run."""
        settings = dict(self.column.mechanism)
        choice = self.params["exp_table"]
        settings["exp_table"] = choice == "table" or (choice == "auto" and self.params["rng"] == "original")
        return settings

    def effective(self):
        """Everything that defines the run, as plain data (for run.json)."""
        return dict(experiment=self.name, source=self.source, sets=self.sets, params=self.params,
                    column_overrides=self.column_overrides, column=self.column.raw)


def experiment_path(name):
    """Path of an experiment given by name (params/experiments/NAME.toml) or path."""
    p = Path(name)
    if p.suffix == ".toml" and p.exists():
        return p
    p = EXPERIMENTS_DIR / f"{name}.toml"
    if not p.exists():
        known = sorted(q.stem for q in EXPERIMENTS_DIR.glob("*.toml"))
        raise ParamError(f"unknown experiment {name!r}; known: {', '.join(known)} (or give a .toml path)")
    return p


def parse_sets(items):
    """Turn ['key=value', ...] into a dict, parsing the values; reject malformed items."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"--set {item!r}: expected key=value")
        out[key.strip()] = parse_scalar(value)
    return out


def load_experiment(name, sets=None, checkpoint_every=None):
    """Read an experiment file, apply overrides and check everything.

    Parameters
    ----------
    name : str
        Experiment name or path of a .toml file.
    sets : dict, optional
        Overrides, e.g. ``{"duration": 20, "column.wiring.radius_EE": 12}``.
    checkpoint_every : float, optional
        Seconds between checkpoints (checked against the step grid with the rest).

    Returns
    -------
    Experiment
    """
    path = experiment_path(name)
    raw = read_toml(path)
    sets = dict(sets or {})
    column_overrides = {k[len("column."):]: v for k, v in sets.items() if k.startswith("column.")}
    plain = {k: v for k, v in sets.items() if not k.startswith("column.")}
    unknown = sorted(set(plain) - set(EXPERIMENT_FIELDS))
    if unknown:
        raise ParamError(f"--set: unknown parameter(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(EXPERIMENT_FIELDS))}, or column.<entry of params/column.toml>")
    params = validate(raw, EXPERIMENT_FIELDS, str(path))
    params.update(validate(plain, EXPERIMENT_FIELDS, "--set", fill_defaults=False))
    column = load_column(overrides=column_overrides)
    counts = {pop.name: pop.count for pop in column.layout(params["scale"])}
    if sum(counts.values()) == 0:
        raise ParamError(f"{path}: scale = {params['scale']:g} leaves no cells (counts are truncated to integers)")
    where = f"{path} with --set" if sets else str(path)
    check_grid(params, checkpoint_every, where)
    check_budget(params, checkpoint_every, where)
    check_protocol(params, sum(counts.values()), counts, where)
    return Experiment(path.stem, str(path.resolve()), params, column, column_overrides, sets)


def experiment_from_saved(saved):
    """The experiment of a run from its saved parameters alone (a checkpoint's
    ``effective``), for a resume whose experiment file is gone.

    Parameters
    ----------
    saved : dict
        :meth:`Experiment.effective` as saved.

    Returns
    -------
    Experiment
    """
    source = f"{saved['source']} (as saved in the checkpoint)"
    params = validate(saved["params"], EXPERIMENT_FIELDS, source)
    column = check_column(saved["column"], source, load_cell_classes())
    return Experiment(saved["experiment"], saved["source"], params, column, saved["column_overrides"], saved["sets"])
