"""The sadeh2015 network in NEURON's own GUI: ``netcol gui sadeh2015`` opens the controls
with the run control, a live raster (cells by preferred orientation), live E and I rates,
and a browser of one cell's membrane variable y and its two filters (see
:mod:`netcol.views.popgui`).  The protocol (tests, learning blocks, tuning runs; the rule
on in the learning blocks only) is the mechanism's own and runs as in a batch run.  Every
init starts the protocol again from its first step with the weights as set up."""
from ...views.popgui import PopulationGUI


def open_assembled(assembly):
    """Open the windows for an assembled sadeh2015 experiment; return the PopulationGUI."""
    p = assembly.p
    return PopulationGUI(assembly, ("y", "y- filter", "y+ filter"), (-5.0, 25.0), tick_ms=1.0,
                         notes=("the protocol runs as in a batch run:",
                                f"test at {p['test_orientation']:g} deg, tuning runs,",
                                f"{p['blocks']} learning blocks (rule on), test,",
                                "tuning runs"))
