"""The registry of models.

A model is a package ``netcol/models/<name>/`` that holds its data (``params/``: cells,
network and experiment files; ``sweeps/``: sweep specifications) and its code (wiring,
inputs, protocol actions, probes, figures).  An experiment file names its model
(``model = "<name>"``); ``netcol run NAME`` finds the experiments of every model.

To add a model: make its package (see ``rowan2013`` for every part), add it to
:data:`MODELS`, and it joins ``netcol list``, the contract test and the documentation.
"""
import importlib
from pathlib import Path

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
    netcol.schema.ParamError
        Unknown model, naming the known ones.
    """
    from ..schema import ParamError
    if name not in MODELS:
        raise ParamError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    return importlib.import_module(MODELS[name])


def model_dir(name):
    """The folder of a model's package."""
    return Path(model(name).__file__).resolve().parent


def experiments():
    """Every experiment of every model: {experiment name: (model name, path)}."""
    out = {}
    for name in sorted(MODELS):
        for path in sorted((model_dir(name) / "params" / "experiments").glob("*.toml")):
            out.setdefault(path.stem, (name, path))
    return out


def sweeps():
    """Every sweep specification of every model: {sweep name: path}."""
    out = {}
    for name in sorted(MODELS):
        for path in sorted((model_dir(name) / "sweeps").glob("*.toml")):
            out.setdefault(path.stem, path)
    return out
