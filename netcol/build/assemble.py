"""One entry point that builds a runnable model of any experiment on this rank: the
mechanism settings, the cells and connections, the module-wide state, the inputs, the
probes and the protocol actions.  ``netcol run``, ``resume``, ``gui``, the benchmarks and
the tests all call :func:`assemble`.

What an assembly offers the generic run loop is the interface
:class:`netcol.models.contract.Assembly`; each assembly is checked against it.
"""


#: What a caller may ask of an assembly beyond running it (``needs``): checkpoints and
#: resumes, or the NEURON GUI.  A model may build differently for them (the column gives
#: its synapses their STDP rules for the GUI, whose field may switch STDP on).
NEEDS = frozenset({"checkpoints", "gui"})


def assemble(experiment, needs=()):
    """Build an experiment's model on this rank.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    needs : iterable of str
        Which of :data:`NEEDS` the caller will use.

    Returns
    -------
    object
        The model's assembly (for the column, a ColumnAssembly).
    """
    from ..engine.runtime import neuron_h
    needs = frozenset(needs)
    if not needs <= NEEDS:
        raise ValueError(f"assemble: unknown needs {sorted(needs - NEEDS)}; known: {sorted(NEEDS)}")
    from ..models.contract import Assembly, check
    neuron_h()
    assembly = experiment.package.assemble(experiment, needs)
    check(assembly, Assembly, f"model {experiment.model!r}'s assembly ({type(assembly).__name__})")
    return assembly
