"""Where netcol's data lives: ``mod/`` (NMODL and C++), ``params/<model>/`` (each model's
network, cell and experiment files) and ``batch/<model>/`` (its sweep specifications) at
the top of a checkout, or the copies an installed wheel carries inside the package
(``netcol/mod``, ``netcol/params``, ``netcol/batch``), so that an installed ``netcol``
runs from any directory."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def _data_dir(name):
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def mod_dir():
    """The folder of netcol's .mod and .hpp files.

    Returns
    -------
    pathlib.Path
    """
    return _data_dir("mod")


def params_dir(model):
    """The folder of one of netcol's own models' parameter files (``params/<model>``).

    Parameters
    ----------
    model : str
        The model's name.

    Returns
    -------
    pathlib.Path
    """
    return _data_dir("params") / model


def batch_dir(model):
    """The folder of one of netcol's own models' sweep specifications (``batch/<model>``).

    Parameters
    ----------
    model : str
        The model's name.

    Returns
    -------
    pathlib.Path
    """
    return _data_dir("batch") / model
