"""Binding of the NetcolCondLif population mechanism (``mod/netcolcondlif.mod``):
hoc name, step, delays, the module-wide settings (schema), synapse kinds, and the
calls that set up, read and restore a rank's population.  Spikes leave through
NetcolRelays (:mod:`netcol.cells.population`).
"""
import numpy as np

from ..config.schema import Field
from .population import vector_in, vector_out

HOC_NAME = "NetcolCondLif"
#: How NEURON integrates it: one self-event per Euler step on an event-driven fixed step.
INTEGRATION = "euler"
#: The Euler step (ms); step k is computed at (k + 1/2) STEP_DT.
STEP_DT = 0.1
#: How much earlier than (k + 1/2) STEP_DT the event of step k comes (ms); its spikes carry
#: (k + 1/2) STEP_DT itself.
STEP_EARLY = 5e-7
#: The listening NetCons' delay (ms): a step less twice STEP_EARLY, so a spike arrives just
#: before the next step and ranks exchange spikes about once per step.  It is NEURON's
#: minimum delay across ranks, within the shortest synaptic delay (one step); a synapse's
#: own delay (whole steps, per pathway: add_synapses) is the mechanism's.
DELAY = STEP_DT - 2 * STEP_EARLY
#: NEURON's fixed step (ms): below the minimum delay (NEURON's multi-rank exchange refuses
#: a step equal to it), and exact in binary, so that h.t lands exactly where psolve is
#: asked to stop (with 0.025 ms it drifts, and psolve then stops a step short).
DT = 1.0 / 32
#: Protocol times (durations, blocks, records, checkpoints) are whole Euler steps: a
#: step's events come within 2 STEP_EARLY before (k + 1/2) STEP_DT, so k STEP_DT lies in
#: a quiet stretch between two steps, and NEURON stopping at the multiple of DT nearest
#: it leaves the same state (netcol.engine.simulate.neuron_time).  A time between
#: multiples of STEP_DT would cut a step in two.
PROTOCOL_STEP = STEP_DT
#: Synapse kinds: excitatory, static inhibitory, plastic inhibitory.
EXC, INH, PLASTIC = 0, 1, 2

_POS = dict(kind=float, low=0.0, low_open=True)
#: Module-wide settings (vogels2011.md §1-3).
MECHANISM_FIELDS = {
    "c_m": Field(doc="membrane capacitance (pF)", default=200.0, **_POS),
    "g_l": Field(doc="leak conductance (nS)", default=10.0, **_POS),
    "e_l": Field(float, -60.0, "leak reversal (mV)"),
    "e_i": Field(float, -80.0, "inhibitory reversal (mV); the excitatory one is 0 mV"),
    "v_th": Field(float, -50.0, "spike threshold (mV)"),
    "v_reset": Field(float, -60.0, "reset potential (mV)"),
    "refrac": Field(float, 5.0, "refractory period with v frozen (ms)", low=0.0),
    "i_bg": Field(float, 200.0, "constant background current (pA)"),
    "tau_e": Field(doc="excitatory conductance decay (ms)", default=5.0, **_POS),
    "tau_i": Field(doc="inhibitory conductance decay (ms)", default=10.0, **_POS),
    "w_e": Field(float, 0.3, "excitatory conductance jump (nS)", low=0.0),
    "w_ii": Field(float, 3.0, "I -> I conductance jump (nS)", low=0.0),
    "tau_stdp": Field(doc="time constant of the STDP traces (ms)", default=20.0, **_POS),
    "w_max": Field(float, 100.0, "upper bound of the plastic I -> E weights (nS)", low=0.0),
    "v_init": Field(float, 0.0, "membrane potential at t = 0 (mV; Brian2's default 0 makes every cell fire "
                    "in the first step)"),
}


def apply_mechanism_settings(h, settings, alpha):
    """Set the module-wide values and alpha = 2 rho_0 tau_stdp (before :func:`new_population`)."""
    for k, v in settings.items():
        setattr(h, f"{k}_{HOC_NAME}", float(v))
    h.stepdt_NetcolCondLif = STEP_DT
    h.step_early_NetcolCondLif = STEP_EARLY
    h.alpha_NetcolCondLif = alpha
    h.eta_NetcolCondLif = 0.0


def set_eta(h, eta):
    """The learning rate from the next step on."""
    h.eta_NetcolCondLif = eta


def new_population(h, n_total, n_steps):
    """This rank's (empty) population in a network of n_total cells, for n_steps steps."""
    pop = getattr(h, HOC_NAME)()
    pop.setup(n_total, n_steps)
    return pop


def add_synapses(h, pop, src, kind, weight, delay_steps=None):
    """The incoming synapses of the cell added last.

    Parameters
    ----------
    h, pop : hoc.HocObject
        NEURON and the population.
    src : array of int
        Source gids, ascending.
    kind : array of int
        EXC, INH or PLASTIC per synapse.
    weight : array of float
        Initial weight (nS; read for plastic synapses).
    delay_steps : array of int, optional
        Each synapse's delay in whole Euler steps, >= 1 (a spike of step s first acts in
        step s + d); None: one step each (the reference's delivery).  A source's plastic
        synapses share one delay (their presynaptic trace is the source's).
    """
    args = [h.Vector(np.asarray(src, float)), h.Vector(np.asarray(kind, float)), h.Vector(np.asarray(weight, float))]
    if delay_steps is not None:
        args.append(h.Vector(np.asarray(delay_steps, float)))
    pop.add_synapses(*args)




#: Values per cell in :func:`state`.
PER_CELL = 9


def state(h, pop, n_local):
    """The population's dynamic state: (per-cell rows (n_local x PER_CELL), the pending
    step (2 values), the per-source traces (cells in the network x 2))."""
    a = vector_out(h, pop.get_state)
    n = n_local * PER_CELL
    return a[:n].reshape(n_local, PER_CELL), a[n:n + 2], a[n + 2:].reshape(-1, 2)


def restore_state(h, pop, rows, pending, traces):
    """Set the state from :func:`state`'s three parts."""
    vector_in(h, pop.set_state, np.concatenate([np.asarray(rows).reshape(-1), pending, np.asarray(traces).reshape(-1)]))



#: What a recording ([[record]], docs/recording.md) reads of a cell at a record time (the
#: state between two steps): name -> (unit, meaning), in the order of record_values' codes.
RECORDABLE = {"v": ("mV", "membrane potential"), "g_e": ("nS", "excitatory conductance"),
              "g_i": ("nS", "inhibitory conductance")}


def sampler(assembly, gids, variables):
    """Reads variables of this rank's cells gids in one mechanism call per record time
    (netcol.cells.sampling)."""
    from .sampling import PopulationSampler, variable_codes
    return PopulationSampler(assembly, gids, variable_codes(RECORDABLE, variables))
