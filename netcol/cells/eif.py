"""Binding of the NetcolEif population mechanism (``mod/netcoleif.mod``): hoc name, step,
delays, the cell's module-wide settings (schema), pathways, the six plasticity rules as
coefficients of the shared trace rule, and the calls that set up, read and restore a
rank's population.  Spikes leave through NetcolRelays (:mod:`netcol.cells.population`).
"""
import math

import numpy as np

from ..config.schema import Field
from ..engine.runtime import filled, scratch_vectors
from .population import vector_in, vector_out

HOC_NAME = "NetcolEif"
#: How NEURON integrates it: one self-event per Euler step on an event-driven fixed step.
INTEGRATION = "euler"
#: The Euler step (ms); step k is computed at (k + 1/2) STEP_DT.
STEP_DT = 0.1
#: How much earlier than (k + 1/2) STEP_DT the event of step k comes (ms).
STEP_EARLY = 5e-7
#: The listening NetCons' delay (ms): ranks exchange spikes about once per step, within the
#: shortest synaptic delay (one step); a synapse's own delay (whole steps, per pathway:
#: add_synapses) is the mechanism's.
DELAY = STEP_DT - 2 * STEP_EARLY
#: NEURON's fixed step (ms), exact in binary and below the minimum delay.
DT = 1.0 / 32
#: Protocol times are whole steps (see netcol.cells.condlif.PROTOCOL_STEP).
PROTOCOL_STEP = STEP_DT
#: Pathways (pre -> post), in the mechanism's numbering.
PATHWAYS = ("ee", "ei", "ie", "ii", "xe", "xi")
EE, EI, IE, II, XE, XI = range(6)

_POS = dict(kind=float, low=0.0, low_open=True)
#: Module-wide settings (akil2021.md §1, §4).
MECHANISM_FIELDS = {
    "c_m": Field(doc="membrane capacitance", default=1.0, **_POS),
    "g_l": Field(doc="leak conductance (tau_m = c_m / g_l = 15 ms)", default=1.0 / 15.0, **_POS),
    "e_l": Field(float, -72.0, "leak reversal (mV)"),
    "v_t": Field(float, -55.0, "EIF threshold V_T (mV)"),
    "d_t": Field(doc="EIF slope factor Delta_T (mV)", default=1.0, **_POS),
    "v_th": Field(float, -50.0, "spike detection threshold (mV)"),
    "v_re": Field(float, -75.0, "reset potential (mV)"),
    "tau_e": Field(doc="decay of the excitatory current (ms)", default=8.0, **_POS),
    "tau_i": Field(doc="decay of the inhibitory current (ms)", default=4.0, **_POS),
    "tau_x": Field(doc="decay of the external current (ms)", default=10.0, **_POS),
    "tau_stdp": Field(doc="time constant of the plasticity traces (ms)", default=200.0, **_POS),
}

#: The rules (akil2021.md §4): name -> (pathway, coefficients at a presynaptic spike,
#: coefficients at a postsynaptic one), each coefficient a function of the rule's
#: constants c (J_max, beta, alpha, J_norm): J += eta (a0 + a1 x_post + a2 J + a3 x_post J)
#: at a presynaptic spike, J += eta (b0 + b1 x_pre + b2 J + b3 x_pre J) at a postsynaptic one.
RULES = {
    "ee_hebbian": (EE, lambda c: (0, 0, 0, -1), lambda c: (0, c["j_max"], 0, 0)),
    "ee_kohonen": (EE, lambda c: (0, c["beta"], 0, 0), lambda c: (0, 0, -1, 0)),
    "ei_homeostatic": (EI, lambda c: (0, 0, c["alpha"] / c["j_norm"], -1 / c["j_norm"]),
                       lambda c: (0, 0, 0, -1 / c["j_norm"])),
    "ei_hebbian": (EI, lambda c: (0, -1, 0, 0), lambda c: (0, c["j_max"], 0, 0)),
    "ie_homeostatic": (IE, lambda c: (0, 0, c["alpha"] / c["j_norm"], -1 / c["j_norm"]),
                       lambda c: (0, 0, 0, -1 / c["j_norm"])),
    "ii_homeostatic": (II, lambda c: (0, 0, c["alpha"] / c["j_norm"], -1 / c["j_norm"]),
                       lambda c: (0, 0, 0, -1 / c["j_norm"])),
}


def rule_coefficients(rule, constants):
    """(pathway, presynaptic coefficients, postsynaptic coefficients) of a rule.

    Parameters
    ----------
    rule : str
        A key of :data:`RULES`.
    constants : dict
        j_max, beta, alpha, j_norm as the rule needs them (scaled by 1/sqrt(N); alpha =
        2 rho tau_stdp, rho in kHz).

    Returns
    -------
    (int, tuple of 4 float, tuple of 4 float)
    """
    pathway, pre, post = RULES[rule]
    return pathway, tuple(float(a) for a in pre(constants)), tuple(float(b) for b in post(constants))


def apply_mechanism_settings(h, settings):
    """Set the module-wide values (before :func:`new_population`)."""
    for k, v in settings.items():
        setattr(h, f"{k}_{HOC_NAME}", float(v))
    h.stepdt_NetcolEif = STEP_DT
    h.step_early_NetcolEif = STEP_EARLY


def new_population(h, n_total, n_e, n_x, n_steps):
    """This rank's (empty) population in a network of n_total cells (the first n_e
    excitatory) and n_x external sources, for n_steps steps."""
    pop = getattr(h, HOC_NAME)()
    pop.setup(n_total, n_e, n_x, n_steps)
    return pop


def set_pathway(pop, pathway, weight, eta=0.0, pre=(0, 0, 0, 0), post=(0, 0, 0, 0)):
    """A pathway's static weight, and its rule (learning rate and coefficients) if plastic;
    before the synapses are added."""
    pop.set_pathway(pathway, weight, eta, *pre, *post)


def add_synapses(h, pop, src, pathway, weight, delay_steps=None):
    """The incoming synapses of the cell added last.

    Parameters
    ----------
    h, pop : hoc.HocObject
        NEURON and the population.
    src : array of int
        Sources ascending: recurrent gids, then X sources numbered from the network's
        cell count.
    pathway : array of int
        EE .. XI per synapse.
    weight : array of float
        Initial weight (read on plastic pathways).
    delay_steps : array of int, optional
        Each synapse's delay in whole Euler steps, >= 1 (a recurrent spike of step s first
        acts in step s + d); not read for X synapses (external spikes act in the step they
        are queued for); None: one step each (the reference's delivery).
    """
    args = [h.Vector(np.asarray(src, float)), h.Vector(np.asarray(pathway, float)),
            h.Vector(np.asarray(weight, float))]
    if delay_steps is not None:
        args.append(h.Vector(np.asarray(delay_steps, float)))
    pop.add_synapses(*args)


def queue_external(h, pop, steps, sources):
    """External spikes (step indices ascending, source indices 0 .. n_x - 1)."""
    vk, vs = scratch_vectors(2)
    pop.queue_x(filled(vk, steps), filled(vs, sources))


def currents(h, pop, n_local):
    """Per local cell the sums of I_E, I_I, I_X over the steps since the last call
    (n_local x 3), and the number of those steps; the sums restart."""
    a = vector_out(h, pop.currents)
    return a[:-1].reshape(n_local, 3), int(a[-1])


def weights_at(h, pop, positions):
    """The plastic weights at set-up positions (this rank's)."""
    where, out = scratch_vectors(2)
    pop.weights_at(filled(where, positions), out)
    return np.array(out)


def weight_sums(h, pop, n_local):
    """Per local cell the sums of its plastic weights from E and from I sources
    (n_local x 2)."""
    return vector_out(h, pop.weight_sums).reshape(n_local, 2)


#: Values per cell in :func:`state`.
PER_CELL = 9


#: Values of the population as a whole in :func:`state`: pending, the current sums' steps.
SHARED = 2


def state(h, pop, n_local):
    """The population's dynamic state: (per-cell rows (n_local x PER_CELL), pending and the
    current sums' steps (SHARED values), per source its trace and 1 if this rank keeps it,
    else (0, 0) (cells x 2))."""
    a = vector_out(h, pop.get_state)
    n = n_local * PER_CELL
    return a[:n].reshape(n_local, PER_CELL), a[n:n + SHARED], a[n + SHARED:].reshape(-1, 2)


def restore_state(h, pop, rows, pending, traces):
    """Set the state from :func:`state`'s three parts."""
    vector_in(h, pop.set_state, np.concatenate([np.asarray(rows).reshape(-1), pending, np.asarray(traces).reshape(-1)]))


def scaled(j, n):
    """A weight j / sqrt(N) (akil2021.md §2)."""
    return j / math.sqrt(n)


#: What a recording ([[record]], docs/recording.md) reads of a cell at a record time (the
#: state between two steps: I_E and I_I before the previous step's jumps and decay, which
#: the next step applies, I_X ready for the next step): name -> (unit, meaning), in the
#: order of record_values' codes.
RECORDABLE = {"V": ("mV", "membrane potential"), "I_E": ("mV/ms", "excitatory current"),
              "I_I": ("mV/ms", "inhibitory current"), "I_X": ("mV/ms", "external current")}


def sampler(assembly, gids, variables):
    """Reads variables of this rank's cells gids in one mechanism call per record time
    (netcol.cells.sampling)."""
    from .sampling import PopulationSampler, variable_codes
    return PopulationSampler(assembly, gids, variable_codes(RECORDABLE, variables))
