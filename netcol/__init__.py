"""netcol: plastic spiking models of a neocortical column on NEURON.

Describe (params/, :mod:`netcol.schema`), build, run and record are separate steps in
separate modules; NEURON is started only through :func:`netcol.runtime.neuron_h`.
"""
import os as _os

# numpy's BLAS threads spin while NEURON runs and take a core from the simulation;
# netcol does no large linear algebra, so one thread is right.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
