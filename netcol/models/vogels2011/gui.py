"""The vogels2011 network in NEURON's own GUI: ``netcol gui vogels2011_small`` opens the
controls with the run control, a live raster, live E and I rates, and a browser of one
cell's v (mV) and conductances (nS) (see :mod:`netcol.views.popgui`), with the rule's
learning rate as a control.  The experiment's protocol runs as in a batch run while "run
the protocol" is 1: the rule is off (eta 0) from init and switched on at plasticity_start;
with 0 the learning rate is the user's.  Every init starts again from t = 0 with the
weights as set up."""
from ...cells import condlif
from ...engine.runtime import neuron_h
from ...views.popgui import PopulationGUI, ProtocolEvent


def open_assembled(assembly):
    """Open the windows for an assembled vogels2011 experiment; return the PopulationGUI."""
    p = assembly.p
    protocol = []
    if p["plasticity_start"] < p["duration"]:
        protocol.append(ProtocolEvent(p["plasticity_start"] * 1000.0, f"plasticity on (eta {p['eta']:g})",
                                      lambda: condlif.set_eta(neuron_h(), 0.0),
                                      lambda: condlif.set_eta(neuron_h(), p["eta"])))
    return PopulationGUI(assembly, ("v", "g_E", "g_I"), (-80.0, 20.0), tick_ms=0.2,
                         controls=(("learning rate (0: off)", "eta_NetcolCondLif"),),
                         notes=(f"{assembly.n:,} cells; I->E inhibitory STDP",
                                f"towards {p['target_rate']:g} Hz from {p['plasticity_start']:g} s"),
                         protocol=protocol)
