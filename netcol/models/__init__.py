"""The registry of models.

A model is a package that holds its code (wiring, inputs, protocol actions, probes,
figures) and names its data: ``PARAMS_DIR`` (cells, network and experiment files; netcol's
own models keep them in ``params/<name>/``) and ``SWEEPS_DIR`` (sweep specifications;
``batch/<name>/``).  An experiment file names its model (``model = "<name>"``); ``netcol
run NAME`` finds the experiments of every model.

Models register through the entry point group ``netcol.models`` (name = the package's
module), as netcol's own four do in its ``pyproject.toml``; a package on the path that is
not installed joins through the environment variable ``NETCOL_MODELS`` (its module names,
comma-separated).  Each package is checked against :mod:`netcol.models.contract` when it
is loaded.
"""
import functools
import importlib
import importlib.metadata
import os

from ..config.schema import ParamError, did_you_mean
from .contract import FiguresModule, ModelPackage, ReportsModule, check

#: The entry point group through which model packages register.
ENTRY_POINTS = "netcol.models"
#: Environment variable naming model packages on the path that are not installed.
PATH_VARIABLE = "NETCOL_MODELS"
#: The model of experiment files and run folders that name none (written before models
#: were packages).
DEFAULT_MODEL = "rowan2013"


@functools.cache
def registry():
    """Every registered model: {name: module name}.

    Raises
    ------
    ParamError
        Two registrations of one name, or a ``NETCOL_MODELS`` module that cannot be
        imported or names no model.
    """
    out = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINTS):
        if out.get(ep.name, ep.value) != ep.value:
            raise ParamError(f"model {ep.name!r} is registered twice (entry points {ENTRY_POINTS}: {out[ep.name]} "
                             f"and {ep.value}); uninstall one")
        out[ep.name] = ep.value
    for module in filter(None, (m.strip() for m in os.environ.get(PATH_VARIABLE, "").split(","))):
        package = _import(module, f"{PATH_VARIABLE} names {module!r}")
        name = getattr(package, "NAME", None)
        if not isinstance(name, str):
            raise ParamError(f"{PATH_VARIABLE} names {module!r}, which has no NAME (the model's name)")
        if out.get(name, module) != module:
            raise ParamError(f"model {name!r} is registered twice ({out[name]} and {module} in {PATH_VARIABLE})")
        out[name] = module
    return out


def names():
    """The registered models' names, sorted."""
    return sorted(registry())


def _import(module, where):
    try:
        return importlib.import_module(module)
    except Exception as err:   # a broken plug-in may raise anything on import
        raise ParamError(f"{where}: cannot be imported ({type(err).__name__}: {err})") from None


@functools.cache
def model(name):
    """The package of a registered model, checked against its contract.

    Raises
    ------
    netcol.config.schema.ParamError
        Unknown model, naming the known ones; a package that cannot be imported or lacks
        hooks, naming them.
    """
    modules = registry()
    if name not in modules:
        raise ParamError(f"unknown model {name!r}{did_you_mean(name, modules)}; known: {', '.join(sorted(modules))}")
    package = _import(modules[name], f"model {name!r} ({modules[name]})")
    check(package, ModelPackage, f"model {name!r} ({modules[name]})")
    return package


@functools.cache
def figures(name):
    """A registered model's ``figures`` module, checked against its contract."""
    module = _import(f"{registry()[name]}.figures", f"model {name!r}")
    check(module, FiguresModule, f"model {name!r}'s figures module")
    return module


@functools.cache
def reports(name):
    """A registered model's ``reports`` module, checked against its contract."""
    module = _import(f"{registry()[name]}.reports", f"model {name!r}")
    check(module, ReportsModule, f"model {name!r}'s reports module")
    return module


def experiments():
    """Every experiment of every model: {experiment name: (model name, path)}.

    Raises
    ------
    ParamError
        Two models have an experiment of the same name (naming both files).
    """
    out = {}
    for name in names():
        for path in sorted((model(name).PARAMS_DIR / "experiments").glob("*.toml")):
            if path.stem in out:
                raise ParamError(f"experiment {path.stem!r} exists twice: {out[path.stem][1]} ({out[path.stem][0]}) "
                                 f"and {path} ({name}); rename one")
            out[path.stem] = (name, path)
    return out


def sweeps():
    """Every sweep specification of every model: {sweep name: path}.

    Raises
    ------
    ParamError
        Two models have a sweep of the same name (naming both files).
    """
    out = {}
    for name in names():
        sweeps_dir = getattr(model(name), "SWEEPS_DIR", None)
        for path in sorted(sweeps_dir.glob("*.toml")) if sweeps_dir else ():
            if path.stem in out:
                raise ParamError(f"sweep {path.stem!r} exists twice: {out[path.stem]} and {path}; rename one")
            out[path.stem] = path
    return out
