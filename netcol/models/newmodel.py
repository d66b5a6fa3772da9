"""``netcol new-model NAME --dir DIR``: a new model package, written from the templates in
``netcol/models/template/``.

The templates are the files of a working model (a sparse E/I network after Brunel (2000)
on NetcolCondLif) with the suffix ``.tmpl`` (so that nothing imports, tests or packages
them as code) and the placeholder ``{{name}}`` for the model's name, in their text and in
their paths; ``{{netcol_version}}`` is the netcol they were written with.
"""
import importlib.util
import keyword
from pathlib import Path

from .. import __version__


class NewModelError(ValueError):
    """A model package that cannot be written as asked (its name or its folder)."""


#: The template tree (package data of the wheel, pyproject.toml's ``netcol.models``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "template"
SUFFIX = ".tmpl"
PLACEHOLDER = "{{name}}"


def check_name(name):
    """Refuse a name that cannot be the model's package and name, in one line.

    Parameters
    ----------
    name : str

    Raises
    ------
    NewModelError
        Not a Python identifier (or a keyword), a model, experiment or sweep that netcol
        already knows, or a module that Python already finds (the new package would be
        shadowed by it, or shadow it).
    """
    from . import experiments, registry, sweeps
    if not name.isidentifier() or keyword.iskeyword(name):
        raise NewModelError(f"new-model {name!r}: the name must be a Python identifier (letters, digits and _, not "
                         "starting with a digit, not a keyword), as it names the model's package")
    if name in registry():
        raise NewModelError(f"new-model {name!r}: a model of that name is registered already ({registry()[name]})")
    for what, known in (("experiment", experiments()), ("sweep", sweeps())):
        if name in known or f"{name}_g" in known:
            clash = name if name in known else f"{name}_g"
            raise NewModelError(f"new-model {name!r}: its {what} {clash!r} would clash with an existing one; pick "
                             "another name")
    if importlib.util.find_spec(name) is not None:
        raise NewModelError(f"new-model {name!r}: Python already finds a module of that name "
                         f"({importlib.util.find_spec(name).origin}); pick another name")


def new_model(name, folder):
    """Write the model package NAME as the project folder folder/NAME.

    Parameters
    ----------
    name : str
        The model's name, also its package's and project's.
    folder : path
        Where the project folder goes (created if missing).

    Returns
    -------
    list of pathlib.Path
        The files written, in order.

    Raises
    ------
    NewModelError
        A bad name (:func:`check_name`) or a project folder that exists already.
    """
    check_name(name)
    root = Path(folder) / name
    if root.exists():
        raise NewModelError(f"new-model {name!r}: {root} exists already; pick another --dir or remove it")
    values = {PLACEHOLDER: name, "{{netcol_version}}": __version__}
    written = []
    for template in sorted(TEMPLATE_DIR.rglob(f"*{SUFFIX}")):
        relative = str(template.relative_to(TEMPLATE_DIR))[:-len(SUFFIX)]
        text = template.read_text()
        for key, value in values.items():
            relative, text = relative.replace(key, value), text.replace(key, value)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
