"""The vogels2011 network in NEURON's own GUI: ``netcol gui vogels2011_small`` opens the
run control, a live raster, live E and I rates, and a browser of one cell's v (mV) and
conductances (nS) (see :mod:`netcol.views.popgui`), and the rule's learning rate as a control
(the protocol switches it on at plasticity_start in batch runs; here it is the user's).
Every init starts again from t = 0 with the weights as set up."""
from ...views.popgui import PopulationGUI


def open_assembled(assembly):
    """Open the windows for an assembled vogels2011 experiment; return the PopulationGUI."""
    return PopulationGUI(assembly, ("v", "g_E", "g_I"), (-80.0, 20.0), tick_ms=0.2,
                         controls=(("learning rate eta (0: off)", "eta_NetcolCondLif"),))
