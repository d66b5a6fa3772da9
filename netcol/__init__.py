"""netcol: plastic spiking network models on NEURON, in parallel over MPI.

Describe (:mod:`netcol.config.experiment`), build (:mod:`netcol.build.assemble`), run
(:mod:`netcol.engine.simulate`), record and analyse are separate steps in separate modules;
each model is a package under :mod:`netcol.models`, each mechanism has a binding under
:mod:`netcol.cells`.  NEURON is started only through :func:`netcol.engine.runtime.neuron_h`.
"""
import os as _os

# numpy's BLAS threads spin while NEURON runs and take a core from the simulation;
# netcol does no large linear algebra, so one thread is right.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.2.3"

# The Python API (netcol.run, netcol.load): light to import, NEURON starts only in a run's
# own process.
from .api import Result, RunError, load, run  # noqa: E402
