"""The akil2021 network in NEURON's own GUI: ``netcol gui akil2021_small`` opens the
controls with the run control, a live raster, live E and I rates, and a browser of one
cell's V (mV) and currents (see :mod:`netcol.views.popgui`), and a factor on every rule's
learning rate as a control.  The rules learn from t = 0, as in a batch run (factor 1).
Every init starts again from t = 0 with the weights as set up and the external spikes to
tstop queued."""
from ...views.popgui import PopulationGUI


def open_assembled(assembly):
    """Open the windows for an assembled akil2021 experiment; return the PopulationGUI."""
    return PopulationGUI(assembly, ("V", "I_E", "I_I", "I_X"), (-80.0, 20.0), tick_ms=0.2,
                         controls=(("learning-rate factor (0: static)", "eta_scale_NetcolEif"),),
                         notes=(f"{assembly.n:,} EIF cells; the plastic rules",
                                "learn from t = 0, as in a batch run"))
