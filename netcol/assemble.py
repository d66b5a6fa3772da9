"""One entry point that builds a runnable model of any experiment on this rank: the
mechanism settings, the cells and connections, the module-wide state, the inputs, the
probes and the protocol actions.  ``netcol run``, ``resume``, ``gui``, the benchmarks and
the tests all call :func:`assemble`.

What an assembly offers the generic run loop is documented in the column's
:mod:`netcol.models.rowan2013.assembly`, the reference for every model.
"""


def assemble(experiment):
    """Build an experiment's model on this rank.

    Parameters
    ----------
    experiment : netcol.experiment.Experiment

    Returns
    -------
    object
        The model's assembly (for the column, a ColumnAssembly).
    """
    from .runtime import neuron_h
    neuron_h()
    return experiment.package.assemble(experiment)
