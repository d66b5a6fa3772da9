"""The registry of models.

A model is a package ``netcol/models/<name>/`` that holds its code (wiring, inputs,
protocol actions, probes, figures) and names its data: ``PARAMS_DIR`` (cells, network and
experiment files; netcol's own models keep them in ``params/<name>/``) and ``SWEEPS_DIR``
(sweep specifications; ``batch/<name>/``).  An experiment file names its model
(``model = "<name>"``); ``netcol run NAME`` finds the experiments of every model.

To add a model: make its package (see ``rowan2013`` for every part), add it to
:data:`MODELS`, and it joins ``netcol list``, the contract test and the documentation.
"""
import importlib

#: Model name -> its package.
MODELS = {"rowan2013": "netcol.models.rowan2013", "sadeh2015": "netcol.models.sadeh2015",
          "vogels2011": "netcol.models.vogels2011", "akil2021": "netcol.models.akil2021"}
#: The model of experiment files and run folders that name none (written before models
#: were packages).
DEFAULT_MODEL = "rowan2013"


def model(name):
    """The package of a registered model.

    Raises
    ------
    netcol.config.schema.ParamError
        Unknown model, naming the known ones.
    """
    from ..config.schema import ParamError
    if name not in MODELS:
        raise ParamError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return importlib.import_module(MODELS[name])


def experiments():
    """Every experiment of every model: {experiment name: (model name, path)}."""
    out = {}
    for name in sorted(MODELS):
        for path in sorted((model(name).PARAMS_DIR / "experiments").glob("*.toml")):
            out.setdefault(path.stem, (name, path))
    return out


def sweeps():
    """Every sweep specification of every model: {sweep name: path}."""
    out = {}
    for name in sorted(MODELS):
        sweeps_dir = getattr(model(name), "SWEEPS_DIR", None)
        for path in sorted(sweeps_dir.glob("*.toml")) if sweeps_dir else ():
            out.setdefault(path.stem, path)
    return out
