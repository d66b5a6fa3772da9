"""netcol from Python: run an experiment and open its results.

- :func:`run` runs an experiment in its own process (the ``netcol run`` command line, on
  one or several MPI ranks), relays its progress and returns a :class:`Result`;
- :func:`load` opens an existing run folder as a :class:`Result`: its spikes, nodes,
  edges, state records, reports and parameters, and the model's views.

Both are also ``netcol.run`` and ``netcol.load``.  Importing them starts neither NEURON
nor any of the heavier libraries; a :class:`Result` reads its files only when asked.

Example
-------
>>> import netcol
>>> result = netcol.run("baseline", out="runs/b", duration=2,
...                     settings={"column.mechanism.beta": 4e-5})
>>> result.spikes().head()
>>> netcol.load("runs/b").plot("raster")
"""
from .launch import RunError, run
from .result import Result, load

__all__ = ["run", "load", "Result", "RunError"]
