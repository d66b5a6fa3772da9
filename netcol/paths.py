"""Where netcol's data lives: ``params/``, ``mod/`` and ``batch/`` at the top of a
checkout, or the copies an installed wheel carries inside the package
(``netcol/params`` ...), so that an installed ``netcol`` runs from any directory."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name):
    """The folder of netcol's data named name ('params', 'mod' or 'batch').

    Returns
    -------
    pathlib.Path
    """
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name
