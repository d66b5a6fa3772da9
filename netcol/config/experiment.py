"""Experiment descriptions and command-line overrides, for every model.

An experiment file (``params/<model>/experiments/*.toml``, or any
``.toml`` path) names its model (``model = "rowan2013"``; a file without the key is
refused, unless it belongs to a run from before models were packages, resumed as one of
:data:`netcol.models.DEFAULT_MODEL`) and holds run-level parameters.  Any of them can
be overridden with ``--set key=value``; entries of the model's network description are
addressed as ``network.<dotted path>`` (the column also as ``column.<dotted path>``).
Everything is checked before NEURON starts: by the generic fields here, the model's
own fields and checks, the step grid and the machine's budget.
"""
from dataclasses import dataclass
from pathlib import Path

from .budget import check_budget, check_grid
from ..cells import protocol_step
from ..models import DEFAULT_MODEL, experiments, model, names
from .schema import Field, ParamError, did_you_mean, flatten_tables, parse_scalar, read_toml, validate
from .records import RECORD_FIELD, check_records
from ..build.streams import MAX_SEED

#: Run-level parameters every model has.
RUN_FIELDS = {
    "description": Field(str, "", "one-line description"),
    "duration": Field(float, None, "simulated time (s)", low=0.0, low_open=True),
    "seed": Field(int, 2, "seed of the keyed random streams", low=0, high=MAX_SEED),
    "block": Field(float, 1.0, "simulated seconds between spike writes", low=0.0, low_open=True),
    "record": RECORD_FIELD,
}


@dataclass
class Experiment:
    """A checked experiment: its model, parameters, network description and where they
    came from."""

    name: str
    source: str
    model: str
    params: dict
    network: object
    network_overrides: dict
    sets: dict

    @property
    def package(self):
        """The model's package (see :mod:`netcol.models`)."""
        return model(self.model)

    @property
    def column(self):
        """The network description under the column model's name for it."""
        return self.network

    def mechanism_settings(self):
        """The cell mechanism's module-wide settings for this run."""
        return self.package.mechanism_settings(self.params, self.network)

    def effective(self):
        """Everything that defines the run, as plain data (for run.json and checkpoints)."""
        return dict(experiment=self.name, source=self.source, model=self.model, sets=self.sets, params=self.params,
                    network_overrides=self.network_overrides, network=self.network.raw)


def fields(model_name):
    """Every parameter of an experiment of the given model: the run-level ones and the
    model's own."""
    return {**RUN_FIELDS, **model(model_name).EXPERIMENT_FIELDS}


def experiment_path(name):
    """Path of an experiment given by name (any model's) or as a .toml path."""
    p = Path(name)
    if p.suffix == ".toml" and p.exists():
        return p
    if p.suffix == ".toml":
        raise ParamError(f"{name}: file not found")
    known = experiments()
    if name not in known:
        raise ParamError(f"unknown experiment {name!r}{did_you_mean(name, known)}; known: {', '.join(sorted(known))} "
                         "(or give a .toml path)")
    return known[name][1]


def network_sources(raw, path):
    """Take an experiment file's own network out of its raw table: ``network_file`` (a
    network file relative to the experiment file, which replaces the model's, or extends
    it when it says ``extends = "model"``) and ``[network]`` tables (the same dotted keys
    as ``--set network.<key>``, applied on top).

    Parameters
    ----------
    raw : dict
        The experiment file as read; ``network_file`` and ``network`` are removed from it.
    path : pathlib.Path
        The experiment file.

    Returns
    -------
    (pathlib.Path or None, dict)
        The network file to read instead of the model's, and the dotted overrides, with
        every ``file`` entry made absolute (relative to the file that gave it).

    Raises
    ------
    ParamError
        A network file that does not exist, or a ``network`` entry that is not a table.
    """
    here = Path(path).resolve().parent
    network_file, overrides = raw.pop("network_file", None), {}
    if network_file is not None:
        if not isinstance(network_file, str):
            raise ParamError(f"{path}: network_file = {network_file!r} must be a path (relative to {path})")
        network_file = here / network_file
        if not network_file.is_file():
            raise ParamError(f"{path}: network_file: {network_file} not found")
        own = read_toml(network_file)
        extends = own.pop("extends", None)
        if extends not in (None, "model"):
            raise ParamError(f"{network_file}: extends = {extends!r}: expected \"model\" (on top of the model's "
                             "network file) or no extends (instead of it)")
        if extends == "model":
            overrides.update(_with_absolute_files(flatten_tables(own), network_file.parent))
            network_file = None
    tables = raw.pop("network", {})
    if not isinstance(tables, dict):
        raise ParamError(f"{path}: network must be a table ([network] or [network.<entry>])")
    overrides.update(_with_absolute_files(flatten_tables(tables), here))
    return network_file, overrides


def _with_absolute_files(overrides, folder):
    """Dotted overrides whose ``file`` entries are made absolute from folder."""
    return {k: str(folder / v) if k.split(".")[-1] == "file" and isinstance(v, str) else v
            for k, v in overrides.items()}


def parse_sets(items):
    """Turn ['key=value', ...] into a dict, parsing the values; reject malformed items."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"--set {item!r}: expected key=value")
        out[key.strip()] = parse_scalar(value)
    return out


def split_sets(sets, package):
    """Split --set values into run parameters and network overrides (dotted paths)."""
    prefixes = ["network."] + [f"{a}." for a in getattr(package, "NETWORK_ALIASES", ())]
    overrides, plain = {}, {}
    for k, v in sets.items():
        prefix = next((p for p in prefixes if k.startswith(p)), None)
        if prefix:
            overrides[k[len(prefix):]] = v
        else:
            plain[k] = v
    return plain, overrides


def load_experiment(name, sets=None, checkpoint_every=None, default_model=None):
    """Read an experiment file, apply overrides and check everything.

    Parameters
    ----------
    name : str
        Experiment name or path of a .toml file.
    sets : dict, optional
        Overrides, e.g. ``{"duration": 20, "column.wiring.radius_EE": 12}``.
    checkpoint_every : float, optional
        Seconds between checkpoints (checked against the step grid with the rest).
    default_model : str, optional
        The model of a file that names none (a run resumed from before models were
        packages); without it such a file is refused.

    Returns
    -------
    Experiment
    """
    path = experiment_path(name)
    raw = read_toml(path)
    network_file, file_overrides = network_sources(raw, path)
    model_name = raw.pop("model", default_model)
    if model_name is None:
        raise ParamError(f"{path}: names no model; add model = \"<name>\" with one of {', '.join(sorted(names()))}")
    if not isinstance(model_name, str):
        raise ParamError(f"{path}: model = {model_name!r} must be a model name")
    package = model(model_name)
    all_fields = fields(model_name)
    sets = dict(sets or {})
    plain, overrides = split_sets(sets, package)
    unknown = sorted(set(plain) - set(all_fields))
    if unknown:
        raise ParamError(f"--set: unknown parameter(s) {', '.join(unknown)}{did_you_mean(unknown[0], all_fields)}; known: "
                         f"{', '.join(sorted(all_fields))}, or network.<entry of {package.NETWORK_FILE.name}>")
    params = validate(raw, all_fields, str(path))
    params.update(validate(plain, all_fields, "--set", fill_defaults=False))
    overrides = {**file_overrides, **overrides}
    network = package.load_network(overrides, network_file)
    where = f"{path} with --set" if sets else str(path)
    # the model's checks come first: they may complete derived parameters (a duration
    # left to the protocol) that the grid and budget checks read
    package.check_experiment(params, network, where)
    check_grid(params, package.TIME_FIELDS, protocol_step(package.BINDING), checkpoint_every, where)
    check_records(params, package, network, where)
    check_budget(params, package.event_series(params), checkpoint_every, package.cost(params, network), where)
    return Experiment(path.stem, str(path.resolve()), model_name, params, network, overrides, sets)


def normalise_effective(saved):
    """A run's saved parameters in today's form (runs from before models were packages
    name no model and call the network the column)."""
    out = dict(saved)
    if "model" not in out:   # the column before it was a package: its size was called scale
        out["model"] = DEFAULT_MODEL
        rename = lambda d: {("size" if k == "scale" else k): v for k, v in d.items()}
        out["params"], out["sets"] = rename(out["params"]), rename(out["sets"])
    if "column" in out:
        out["network"] = out.pop("column")
    if "column_overrides" in out:
        out["network_overrides"] = out.pop("column_overrides")
    return out


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
    saved = normalise_effective(saved)
    source = f"{saved['source']} (as saved in the checkpoint)"
    params = validate(saved["params"], fields(saved["model"]), source)
    network = model(saved["model"]).network_from_raw(saved["network"], source)
    return Experiment(saved["experiment"], saved["source"], saved["model"], params, network,
                      saved["network_overrides"], saved["sets"])
