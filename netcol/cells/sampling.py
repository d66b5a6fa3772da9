"""What the bindings share to let a recording ([[record]] tables, :mod:`netcol.engine.traces`)
read chosen cells at a record time.

A binding that can be recorded declares ``RECORDABLE`` (variable name -> (unit, meaning))
and ``sampler(assembly, gids, variables)``: a callable t (ms) -> array (len(gids),
len(variables)) of this rank's cells gids (ascending) at t, called inside the timeline
event at t.  A population mechanism (one instance per rank) answers in one call per record
time: its ``record_values(out, cells, what)`` (``netcol_record_values`` in
``mod/netcol_population.hpp``) copies the listed local cells' values into a Vector.
"""
import numpy as np


def variable_codes(recordable, variables):
    """The mechanism's codes of variables: their positions in the binding's RECORDABLE."""
    names = list(recordable)
    return [names.index(v) for v in variables]


class PopulationSampler:
    """Reads variables of some of a population mechanism's local cells in one call.

    Parameters
    ----------
    assembly : object
        With ``pop`` (the rank's mechanism) and ``gids`` (its local cells in set-up order,
        netcol.cells.population.PopulationAssemblyBase).
    gids : sequence of int
        The cells to read (local ones).
    codes : sequence of int
        The mechanism's variable codes.
    """

    def __init__(self, assembly, gids, codes):
        from ..engine.runtime import neuron_h
        h = neuron_h()
        index = {int(g): i for i, g in enumerate(assembly.gids)}
        self.pop = assembly.pop
        self.shape = (len(gids), len(codes))
        self.cells = h.Vector([float(index[int(g)]) for g in gids])
        self.what = h.Vector([float(k) for k in codes])
        self.out = h.Vector()

    def __call__(self, t):
        """The values now (the state between two steps at a record time), (cells x variables)."""
        if not self.shape[0]:
            return np.empty(self.shape)
        self.pop.record_values(self.out, self.cells, self.what)
        # np.array copies through the buffer protocol (Vector.as_numpy leaks in NEURON 9.0.2)
        return np.array(self.out).reshape(self.shape)
