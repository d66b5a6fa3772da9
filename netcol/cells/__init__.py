"""Python bindings of netcol's NMODL mechanisms, one module per mechanism in ``mod/``.

A binding names the mechanism's hoc name (``HOC_NAME``), its NetCon weight slots, the
schemas of its parameters and settings, the state a checkpoint saves (``cell_state``,
``restore_cell``, ``module_settings``, ``restore_module_settings``), the state a probe
may read, the variables a recording may read (``RECORDABLE``: name -> (unit, meaning),
and ``sampler``, see :mod:`netcol.cells.sampling`), and the integration it needs (``INTEGRATION``, ``DT`` in ms, and
``PROTOCOL_STEP`` in ms where the cells have a step of their own).  The generic layers
know cells only through a binding.
"""
import importlib

#: hoc name -> binding module.
BINDINGS = {"NetcolIntf6": "netcol.cells.intf6"}


def binding(hoc_name):
    """The binding module of a mechanism."""
    return importlib.import_module(BINDINGS[hoc_name])


def protocol_step(binding_module):
    """The grid (ms) on which a binding's protocol times must lie.

    Parameters
    ----------
    binding_module : module
        A binding.

    Returns
    -------
    float
        Its ``PROTOCOL_STEP`` (the cells' own step: Euler or map), or, for event-driven
        cells without a step of their own, NEURON's step ``DT``.
    """
    return getattr(binding_module, "PROTOCOL_STEP", binding_module.DT)
