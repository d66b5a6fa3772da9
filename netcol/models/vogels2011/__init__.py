"""Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011), *Inhibitory plasticity balances
excitation and inhibition in sensory pathways and memory networks*, in the form of the
Brian2 example: 8,000 E and 2,000 I conductance-based LIF cells whose I -> E synapses
learn by inhibitory STDP until the E cells fire at the target rate in an asynchronous
irregular state.

Its parts: ``params/vogels2011/`` (at the top of the checkout) (network.toml: the cell's constants; experiments/),
:mod:`.network` (sizes, wiring), :mod:`.protocol` (parameters and timeline),
:mod:`.assembly` (building it on ranks), :mod:`.staterec` (state.h5), :mod:`.activity`
(rates, ISI CV, synchrony, weights), :mod:`.figures`.  The cell is
:mod:`netcol.cells.condlif`.
"""
from ...config.paths import batch_dir, params_dir

NAME = "vogels2011"
TITLE = "Vogels et al. (2011): inhibitory plasticity balances excitation and inhibition"
#: The model's parameter files (network, cells, experiments/) and sweep specifications.
PARAMS_DIR, SWEEPS_DIR = params_dir(NAME), batch_dir(NAME)
NETWORK_FILE = PARAMS_DIR / "network.toml"

from ...cells import condlif as BINDING  # noqa: E402  (the cell this model is made of)
from .network import NETWORK_FIELDS  # noqa: E402
from .protocol import PROTOCOL_FIELDS  # noqa: E402
from .activity import sweep_measures as SWEEP_MEASURES  # noqa: E402,F401  (a sweep's headline numbers)

#: The model's experiment parameters (beside netcol.config.experiment.RUN_FIELDS).
EXPERIMENT_FIELDS = {**NETWORK_FIELDS, **PROTOCOL_FIELDS}
#: Parameters that are times in seconds (each must lie on the step grid).
TIME_FIELDS = ("duration", "block", "plasticity_start", "recording_interval")
#: A small run with plasticity: the contract test runs it on 1 and 2 ranks and kills it
#: at kill_at seconds. It records traces ([[record]]) too.
CONTRACT = dict(experiment="vogels2011_small", checkpoint_every=0.4, kill_at=0.9,
                sets={"duration": 1.2, "plasticity_start": 0.3, "recording_interval": 0.1, "block": 0.1,
                      "record": '[{name = "v", variables = ["v", "g_e", "g_i"], populations = "E", fraction = 0.01, '
                                'interval = 0.0001}, {name = "i", variables = "v", gids = [800, 999], interval = 0.001, '
                                'start = 0.2, stop = 1.1}]'})
#: Peak memory per rank (MB) = BASE_MB + MB_PER_KCELL x thousands of cells + MB_PER_MSYN x
#: millions of synapses, and set-up seconds = SETUP_S_PER_KCELL x thousands of cells +
#: SETUP_S_PER_MSYN x millions of synapses, on one rank: fitted to runs of 1,000 to
#: 100,000 cells with 0 to 2.5 M synapses (10,000 cells and 2 M synapses: 342 MB, 10-18 s
#: on a busy machine; the cells alone: 2.3 MB and 1 s per thousand).  Wall seconds per
#: simulated second on one core per thousand cells (bench/vogels_speed.py).
BASE_MB, MB_PER_KCELL, MB_PER_MSYN = 70.0, 2.4, 130.0
SETUP_S_PER_KCELL, SETUP_S_PER_MSYN = 1.0, 3.0
WALL_PER_SIM_S_PER_KCELL = 0.15


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
    return [("E", params["n_e"]), ("I", params["n_i"])]


def event_series(params):
    """The timeline's periodic series as (what, first time, period) in seconds."""
    return [("records", params["recording_interval"], params["recording_interval"])]


def cost(params, network):
    """Estimated peak memory per rank, set-up time and wall time per simulated second of a
    run (see netcol.config.budget.check_budget), its synapses counted per pathway."""
    from ...cells.pathways import synapse_count
    n_e, n_i = params["n_e"], params["n_i"]
    n = n_e + n_i
    synapses = synapse_count(network.pathways, {"ee": (n_e, n_e, params["p_e"]), "ei": (n_e, n_i, params["p_e"]),
                                                "ie": (n_i, n_e, params["p_ie"]), "ii": (n_i, n_i, params["p_ii"])})
    kcells, msyn = n / 1000, synapses / 1e6
    return dict(memory_mb=BASE_MB + MB_PER_KCELL * kcells + MB_PER_MSYN * msyn,
                setup_s=SETUP_S_PER_KCELL * kcells + SETUP_S_PER_MSYN * msyn,
                wall_per_sim_s=WALL_PER_SIM_S_PER_KCELL * kcells, memory_note=f"{n} cells, {msyn:.2f} M synapses")


def check_experiment(params, network, source):
    """An in-degree within its source population (the network file's [pathways]); the
    fields' ranges, the step grid (every time in TIME_FIELDS) and the budget are
    netcol.config.experiment's."""
    from .network import check_wiring
    check_wiring(params, network, source)


def mechanism_settings(params, network):
    """The cell mechanism's module-wide settings for a run."""
    return dict(network.mechanism)


def assemble(experiment, needs=frozenset()):
    """Build the network of an experiment on this rank (see :mod:`.assembly`); it is the
    same whatever the caller needs (netcol.build.assemble.NEEDS)."""
    from .assembly import VogelsAssembly
    return VogelsAssembly(experiment)


def open_gui(assembly):
    """The model's NEURON windows for an assembly."""
    from .gui import open_assembled
    return open_assembled(assembly)
