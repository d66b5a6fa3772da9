"""Sadeh, Clopath & Rotter (2015), *Emergence of functional specificity in balanced
networks with synaptic plasticity*: 400 E and 100 I leaky integrate-and-fire cells on an
exact 1-ms map, orientation-tuned Poisson input and voltage-based plasticity, from which
feature-specific connectivity and sharper tuning emerge.

Its parts: ``params/sadeh2015/`` (at the top of the checkout) (network.toml, experiments/), :mod:`.network` (description and
wiring), :mod:`.protocol` (segments and timeline), :mod:`.assembly` (building it on
ranks), :mod:`.staterec` (state.h5), :mod:`.tuning` (tuning curves, OSI, weights against
preferred orientations), :mod:`.figures`.  The cell is :mod:`netcol.cells.lifmap`.
"""
from ...config.paths import batch_dir, params_dir

NAME = "sadeh2015"
TITLE = "Sadeh, Clopath & Rotter (2015): emergence of functional specificity with synaptic plasticity"
#: The model's parameter files (network, cells, experiments/) and sweep specifications.
PARAMS_DIR, SWEEPS_DIR = params_dir(NAME), batch_dir(NAME)
NETWORK_FILE = PARAMS_DIR / "network.toml"

from ...cells import lifmap as BINDING  # noqa: E402  (the cell this model is made of)
from ...config.schema import Field  # noqa: E402
from .protocol import PROTOCOL_FIELDS, check_protocol, check_segment_count, protocol_length  # noqa: E402
from .tuning import sweep_measures as SWEEP_MEASURES  # noqa: E402,F401  (a sweep's headline numbers)

#: The model's experiment parameters (beside netcol.config.experiment.RUN_FIELDS; its duration
#: may be left to the protocol).
EXPERIMENT_FIELDS = {
    "duration": Field(float, 0.0, "simulated time (s); 0 = the whole protocol", low=0.0),
    **PROTOCOL_FIELDS,
}
#: Parameters that are times in seconds (each must lie on the step grid).
TIME_FIELDS = ("duration", "block", "test_length", "stimulus_length", "tuning_length")
#: A small run through every phase: the contract test runs it on 1 and 2 ranks and kills
#: it at kill_at seconds (in the learning blocks). It records traces ([[record]]) too.
CONTRACT = dict(experiment="sadeh2015", checkpoint_every=0.5, kill_at=1.6,
                sets={"blocks": 3, "stimuli_per_block": 5, "tuning_orientations": 2, "tuning_length": 0.2,
                      "test_length": 0.5, "block": 0.1,
                      "record": '{name = "v", variables = "V", fraction = 0.02, interval = 0.001}'})
#: Peak memory per rank (MB), set-up seconds and wall seconds per simulated second on one
#: core.
BASE_MB, SETUP_S, WALL_PER_SIM_S = 90.0, 1.5, 0.1


def load_network(overrides, path=None):
    """The network description (params/network.toml) (or the file at path instead) with dotted
    overrides applied."""
    from .network import load_network as load
    return load(overrides, path)


def network_from_raw(raw, source):
    """The network description from its saved raw form (a checkpoint's)."""
    from .network import check_network
    return check_network(raw, source)


def node_types(params, network):
    """The cell types by name with their cell counts, in gid order ([[record]] tables name them)."""
    return [("E", network.cells["n_e"]), ("I", network.cells["n_i"])]


def event_series(params):
    """The timeline's periodic series as (what, first time, period) in seconds."""
    return [("learning blocks", 0.0, params["stimuli_per_block"] * params["stimulus_length"])]


def cost(params, network):
    """Estimated peak memory per rank, set-up time and wall time per simulated second of a
    run (see netcol.config.budget.check_budget): the default network's, whatever its
    pathways (their in-degrees are fixed and small)."""
    return dict(memory_mb=BASE_MB, setup_s=SETUP_S, wall_per_sim_s=WALL_PER_SIM_S,
                memory_note="500 cells, 110,000 synapses")


def check_experiment(params, network, source):
    """The protocol's checks; a duration of 0 becomes the whole protocol's length; an
    in-degree within its source population (the network file's [pathways])."""
    from .network import check_wiring
    check_wiring(network, source)
    check_segment_count(params, source)   # before the protocol's segments are made
    if params["duration"] == 0:
        params["duration"] = protocol_length(params)
    check_protocol(params, source)


def mechanism_settings(params, network):
    """The cell mechanism's module-wide settings for a run."""
    return dict(network.mechanism)


def assemble(experiment, needs=frozenset()):
    """Build the network of an experiment on this rank (see :mod:`.assembly`); it is the
    same whatever the caller needs (netcol.build.assemble.NEEDS)."""
    from .assembly import SadehAssembly
    return SadehAssembly(experiment)


def open_gui(assembly):
    """The model's NEURON windows for an assembly (see :mod:`.gui`)."""
    from .gui import open_assembled
    return open_assembled(assembly)
