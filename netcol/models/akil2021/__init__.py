"""Akil, Rosenbaum & Josić (2021), *Balanced networks under spike-timing dependent
plasticity*, as in its reference package ``plastic_balanced_network``: N exponential
integrate-and-fire cells (80 % E), an external layer of correlated Poisson sources, and
six plasticity rules, each switchable per pathway (at most one per pathway).

Its parts: ``params/akil2021/`` (at the top of the checkout) (network.toml: the cell's constants; experiments/),
:mod:`.network` (sizes, weights, wiring), :mod:`.inputs` (the external layer),
:mod:`.protocol` (rules, parameters and timeline), :mod:`.assembly` (building it on
ranks), :mod:`.staterec` (state.h5), :mod:`.activity` (rates, currents, weights,
correlations, theory), :mod:`.figures`.  The cell is :mod:`netcol.cells.eif`.
"""
from ...config.paths import batch_dir, params_dir

NAME = "akil2021"
TITLE = "Akil et al. (2021): balanced networks under spike-timing dependent plasticity"
#: The model's parameter files (network, cells, experiments/) and sweep specifications.
PARAMS_DIR, SWEEPS_DIR = params_dir(NAME), batch_dir(NAME)
NETWORK_FILE = PARAMS_DIR / "network.toml"

from ...cells import eif as BINDING  # noqa: E402  (the cell this model is made of)
from .network import NETWORK_FIELDS  # noqa: E402
from .protocol import PROTOCOL_FIELDS, check_protocol  # noqa: E402
from .activity import sweep_measures as SWEEP_MEASURES  # noqa: E402,F401  (a sweep's headline numbers)

#: The model's experiment parameters (beside netcol.config.experiment.RUN_FIELDS).
EXPERIMENT_FIELDS = {**NETWORK_FIELDS, **PROTOCOL_FIELDS}
#: Parameters that are times in seconds (each must lie on the step grid).
TIME_FIELDS = ("duration", "block", "recording_interval")
#: A small run with every rule family: the contract test runs it on 1 and 2 ranks and
#: kills it at kill_at seconds. It records traces ([[record]]) too.
CONTRACT = dict(experiment="akil2021_small", checkpoint_every=0.4, kill_at=0.9,
                sets={"duration": 1.2, "recording_interval": 0.1, "block": 0.1,
                      "record": '{name = "v", variables = ["V", "I_E", "I_I", "I_X"], gids = [0, 1, 999], '
                                'interval = 0.0001}'})
#: Peak memory per rank (MB) = BASE_MB + MB_PER_KCELL x thousands of cells + MB_PER_MSYN x
#: millions of synapses, and set-up seconds = SETUP_S_PER_KCELL x thousands of cells +
#: SETUP_S_PER_MSYN x millions of synapses, on one rank: fitted to runs of 1,000 to 50,000
#: cells with 0 to 48 M synapses (N = 5,000: 307 MB, 14 s; N = 20,000: 1.6 GB, 126 s on a
#: busy machine; the cells alone: 2.3 MB and 2 s per thousand), within a factor of 1.5.
#: Wall seconds per simulated second on one core per thousand cells (bench/akil_speed.py).
BASE_MB, MB_PER_KCELL, MB_PER_MSYN = 70.0, 2.4, 40.0
SETUP_S_PER_KCELL, SETUP_S_PER_MSYN = 2.0, 1.5
WALL_PER_SIM_S_PER_KCELL = 0.08


def load_network(overrides, path=None):
    """The cell's constants (params/network.toml) (or the file at path instead) with dotted
    overrides applied."""
    from .network import load_network as load
    return load(overrides, path)


def network_from_raw(raw, source):
    """The network description from its saved raw form (a checkpoint's)."""
    from .network import check_network
    return check_network(raw, source)


def node_types(params, network):
    """The cell types by name with their cell counts, in gid order ([[record]] tables name them)."""
    from .network import n_excitatory
    return [("E", n_excitatory(params)), ("I", params["n"] - n_excitatory(params))]


def event_series(params):
    """The timeline's periodic series as (what, first time, period) in seconds."""
    return [("records", params["recording_interval"], params["recording_interval"])]


def synapse_count(params, network):
    """Expected recurrent and external synapses, per pathway (its in-degree where it has one)."""
    from ...cells.pathways import synapse_count as count
    from .network import n_excitatory
    n, n_e, n_x = params["n"], n_excitatory(params), params["n_x"]
    n_i = n - n_e
    sizes = {f"{a}{b}": (n_a, n_b, params[f"p_{a}{b}"])
             for a, n_a in (("e", n_e), ("i", n_i), ("x", n_x)) for b, n_b in (("e", n_e), ("i", n_i))}
    return count(network.pathways, sizes)


def cost(params, network):
    """Estimated peak memory per rank, set-up time and wall time per simulated second of a
    run (see netcol.config.budget.check_budget)."""
    kcells, msyn = params["n"] / 1000, synapse_count(params, network) / 1e6
    return dict(memory_mb=BASE_MB + MB_PER_KCELL * kcells + MB_PER_MSYN * msyn,
                setup_s=SETUP_S_PER_KCELL * kcells + SETUP_S_PER_MSYN * msyn,
                wall_per_sim_s=WALL_PER_SIM_S_PER_KCELL * kcells,
                memory_note=f"{params['n']} cells, {msyn:.2f} M synapses")


def check_experiment(params, network, source):
    """The protocol's checks (rules, learning rates), and an in-degree within its source
    population (the network file's [pathways])."""
    from .network import check_wiring
    check_protocol(params, source)
    check_wiring(params, network, source)


def mechanism_settings(params, network):
    """The cell mechanism's module-wide settings for a run."""
    return dict(network.mechanism)


def assemble(experiment, needs=frozenset()):
    """Build the network of an experiment on this rank (see :mod:`.assembly`); it is the
    same whatever the caller needs (netcol.build.assemble.NEEDS)."""
    from .assembly import AkilAssembly
    return AkilAssembly(experiment)


def open_gui(assembly):
    """The model's NEURON windows for an assembly."""
    from .gui import open_assembled
    return open_assembled(assembly)
