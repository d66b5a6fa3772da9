"""netcol: plastic spiking models of a neocortical column on NEURON.

Describe (params/, :mod:`netcol.schema`), build, run and record are separate steps in
separate modules; NEURON is started only through :func:`netcol.runtime.neuron_h`.
"""
__version__ = "0.1.0"
