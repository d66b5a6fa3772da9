"""Where netcol's NMODL sources live: ``mod/`` at the top of a checkout, or the copy an
installed wheel carries inside the package (``netcol/mod``), so that an installed
``netcol`` runs from any directory.  (Each model's data lives in its package.)"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def mod_dir():
    """The folder of netcol's .mod files.

    Returns
    -------
    pathlib.Path
    """
    inside = PACKAGE / "mod"
    return inside if inside.is_dir() else PACKAGE.parent / "mod"
