"""Binding of the NetcolLifMap population mechanism (``mod/netcollifmap.mod``): hoc
name, the integration it needs, its module-wide settings (schema), synapse kinds, and
the calls that set up, read and restore a rank's population.

One NetcolLifMap instance per rank holds all of that rank's cells (see the mod file's
header for why); each cell has a NetcolRelay as its spike source with its gid.
"""
import numpy as np

from ..config.schema import Field
from .population import vector_in, vector_out

#: The population mechanism's hoc name (its cells' spike sources are NetcolRelays, see
#: netcol.cells.population).
HOC_NAME = "NetcolLifMap"
#: How NEURON integrates it: one self-event per map step on an event-driven fixed step.
INTEGRATION = "map"
#: The map's step (ms).  Step k is computed at (k + 1/2) MAP_DT.
MAP_DT = 1.0
#: The listening NetCons' delay (ms): half the map step, so that arrivals (at whole steps)
#: and steps (at half steps) never share a time, within the shortest synaptic delay (one
#: map step); a synapse's own delay (whole steps, per pathway: add_synapses) is the
#: mechanism's.
DELAY = MAP_DT / 2
#: NEURON's fixed step (ms).  Every event is still handled at its exact time (all cells
#: are artificial); NEURON's multi-rank spike exchange refuses a step equal to the
#: minimum delay ("mindelay is 0 (or less than dt)"), so the step is half of it.
DT = DELAY / 2
#: Protocol times are whole map steps (a part of a step would cut it in two).
PROTOCOL_STEP = MAP_DT
#: Synapse kinds: static, plastic excitatory, plastic inhibitory (sign-inverted rule).
STATIC, PLASTIC_E, PLASTIC_I = 0, 1, 2

_POS = dict(kind=float, low=0.0, low_open=True)
#: Module-wide settings (sadeh2015.md §1-3, the reference's params.py values).
MECHANISM_FIELDS = {
    "tau_m": Field(doc="membrane time constant (ms)", default=20.0, **_POS),
    "vth": Field(doc="spike threshold above rest (mV); the reset is 0", default=20.0, **_POS),
    "rate": Field(float, 2000.0, "mean feedforward rate (Hz), before orientation modulation", low=0.0),
    "tau_minus": Field(doc="time constant of the LTD membrane filter (ms)", default=10.0, **_POS),
    "tau_plus": Field(doc="time constant of the LTP membrane filter (ms)", default=7.0, **_POS),
    "tau_x": Field(doc="time constant of the presynaptic trace (ms)", default=15.0, **_POS),
    "a_ltd": Field(float, 14e-5, "LTD amplitude (/mV)", low=0.0),
    "a_ltp": Field(float, 8e-5, "LTP amplitude (/mV^2)", low=0.0),
    "ltd_ref": Field(doc="LTD reference of the squared mean depolarisation (mV^2)", default=70.0, **_POS),
    "theta_minus": Field(float, -20.0, "LTD/LTP filter threshold (mV)"),
    "theta_plus": Field(float, 7.5, "LTP membrane threshold (mV)"),
    "w_max": Field(float, 2.0, "upper bound of plastic excitatory weights (mV)", low=0.0),
    "w_min_inh": Field(float, -5.0, "lower bound of plastic inhibitory weights (mV)", high=0.0),
    "avg_steps": Field(int, 100, "steps over which the mean depolarisation is taken", low=1),
}


def apply_mechanism_settings(h, settings):
    """Set the module-wide values (before :func:`new_population`)."""
    for k, v in settings.items():
        setattr(h, f"{k}_{HOC_NAME}", float(v))
    h.mapdt_NetcolLifMap = MAP_DT


def new_population(h, n_total, seed):
    """This rank's (empty) population of a network of n_total cells.

    Parameters
    ----------
    h : hoc.HocObject
    n_total : int
        Cells in the whole network (gids 0 .. n_total - 1).
    seed : int
        Seed of the cells' Random123 input streams.
    """
    pop = getattr(h, HOC_NAME)()
    pop.setup(n_total, seed)
    return pop


def add_synapses(h, pop, pre, weight, kind, delay_steps=None):
    """The incoming synapses of the cell added last.

    Parameters
    ----------
    h, pop : hoc.HocObject
        NEURON and the population.
    pre : array of int
        Source gids, ascending.
    weight : array of float
        Initial weights (mV).
    kind : array of int
        STATIC, PLASTIC_E or PLASTIC_I per synapse.
    delay_steps : array of int, optional
        Each synapse's delay in whole map steps, >= 1 (a spike of step s reaches y in step
        s + d); None: one step each (the map's own delay).
    """
    args = [h.Vector(np.asarray(pre, float)), h.Vector(np.asarray(weight, float)), h.Vector(np.asarray(kind, float))]
    if delay_steps is not None:
        args.append(h.Vector(np.asarray(delay_steps, float)))
    pop.add_synapses(*args)


def add_segment(pop, k0, length, theta, plastic, reset, stream, offset):
    """A protocol segment: steps k0 .. k0 + length - 1 at orientation theta (rad)."""
    pop.add_segment(k0, length, theta, int(plastic), int(reset), stream, offset)




def state(h, pop):
    """The population's dynamic state as one array (layout in the mod file)."""
    return vector_out(h, pop.get_state)


def restore_state(h, pop, values):
    """Set the population's dynamic state from :func:`state` output."""
    vector_in(h, pop.set_state, values)


def per_cell(values, n_local, avg_steps):
    """Split :func:`state` output into (per-cell rows, shared tail)."""
    per = 7 + avg_steps
    return values[: n_local * per].reshape(n_local, per), values[n_local * per:]



#: What a recording ([[record]], docs/recording.md) reads of a cell at a record time (the
#: state after the last map step): name -> (unit, meaning), in the order of record_values'
#: codes.
RECORDABLE = {"V": ("mV", "membrane potential above rest (the map's y; the threshold is vth, the reset 0)")}


def sampler(assembly, gids, variables):
    """Reads variables of this rank's cells gids in one mechanism call per record time
    (netcol.cells.sampling)."""
    from .sampling import PopulationSampler, variable_codes
    return PopulationSampler(assembly, gids, variable_codes(RECORDABLE, variables))
