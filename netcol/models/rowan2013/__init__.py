"""Rowan & Neymotin (2013), *Synaptic scaling balances learning in a spiking model of
neocortex*: the 470-cell column of INTF6-style cells with STDP, a training signal,
homeostatic synaptic scaling and deletion (atrophy) protocols.

Its parts: ``params/rowan2013/`` (at the top of the checkout) (cells.toml, column.toml, experiments/), ``batch/rowan2013/`` (the
paper's sweeps), :mod:`.column` (the column description and layout), :mod:`.wiring` and
:mod:`.acg` (drawing positions and connections, keyed or the original's),
:mod:`.network` (building it on ranks), :mod:`.playback` (training signal, the
original's background), :mod:`.protocol` (protocol parameters and timeline),
:mod:`.staterec` (state.h5).  The cell is :mod:`netcol.cells.intf6`.
"""
from ...config.paths import batch_dir, params_dir

NAME = "rowan2013"
TITLE = "Rowan & Neymotin (2013): synaptic scaling balances learning in a neocortical column"
#: The model's parameter files (network, cells, experiments/) and sweep specifications.
PARAMS_DIR, SWEEPS_DIR = params_dir(NAME), batch_dir(NAME)
NETWORK_FILE = PARAMS_DIR / "column.toml"
#: `--set column.<path>` means `--set network.<path>` for this model.
NETWORK_ALIASES = ("column",)

from ...cells import intf6 as BINDING  # noqa: E402  (the cell this model is made of)
from ...config.schema import Field, ParamError  # noqa: E402
from .protocol import PROTOCOL_FIELDS, check_protocol  # noqa: E402
from .measures import sweep_measures as SWEEP_MEASURES  # noqa: E402,F401  (a sweep's headline numbers)

#: The model's experiment parameters (beside netcol.config.experiment.RUN_FIELDS).
EXPERIMENT_FIELDS = {
    "size": Field(float, 1.0, "population size multiplier (cells per type x size)", low=0.0,
                           low_open=True),
    "rng": Field(str, "keyed", "random draws: keyed by gid, or the original's",
                         choices=("keyed", "original")),
    "exp_table": Field(str, "auto", "exponentials: 'table' = the original's lookup table, 'exact' = "
                               "libm exp, 'auto' = table in reference mode (rng = original), exact otherwise",
                               choices=("auto", "table", "exact")),
    "engine": Field(str, "auto", "event engine: 'cells' = one NetcolIntf6 per cell, 'rank' = one "
                                 "NetcolColumn per rank with its own event queue (the same spikes, faster), "
                                 "'auto' = rank",
                    choices=("auto", "cells", "rank")),
    **PROTOCOL_FIELDS,
}
#: Parameters that are times in seconds (each must lie on the step grid).
TIME_FIELDS = ("duration", "block", "learn_start", "learn_end", "scaling_start", "segment_length", "trial_length",
               "recording_interval", "recording_start")
#: A small run that exercises the whole model (deletion with trials and scaling): the
#: contract test runs it on 1 and 2 ranks and kills it at kill_at seconds. It records traces ([[record]]) too.
CONTRACT = dict(experiment="scalingwithdeletion", checkpoint_every=4, kill_at=7,
                sets={"duration": 12, "segment_length": 3, "trial_length": 2, "recording_interval": 2,
                      "scaling_start": 2, "column.mechanism.beta": 4e-5,
                      "record": '{name = "cells", variables = ["V", "VGA", "activity", "scale"], '
                                'populations = ["E2", "I2"], fraction = 0.05, interval = 0.0005, start = 2, stop = 10}'})
#: Peak memory per rank (MB) = BASE_MB + MB_PER_SIZE * size, and wall seconds per
#: simulated second on one core per unit of size on the per-cell engine
#: (bench/baseline_speed.py, size 1 to 8).
BASE_MB, MB_PER_SIZE, WALL_PER_SIM_S_PER_SIZE = 65.0, 10.0, 0.09
#: The same on the rank engine: two thirds of it (bench/reference_mode.py, 0.0302 against
#: 0.0446 CPU s per simulated s).
WALL_PER_SIM_S_PER_SIZE_RANK = 0.06
#: Set-up seconds = SETUP_S_PER_SIZE * size: linear since the keyed wiring follows the
#: connections (the per-cell engine's, a NetCon per synapse; the rank engine's is about a
#: tenth: bench/column_scale.py).
SETUP_S_PER_SIZE = 1.5
#: Cells of the default column at size 1: a unit of size in the estimates.
CELLS_PER_SIZE = 470


def load_network(overrides, path=None):
    """The column description (params/rowan2013/column.toml) (or the file at path instead) with dotted
    overrides applied."""
    from .column import load_column
    return load_column(path, overrides=overrides)


def network_from_raw(raw, source):
    """The column description from its saved raw form (a checkpoint's)."""
    from .column import check_column, load_cell_classes
    return check_column(raw, source, load_cell_classes())


def node_types(params, network):
    """The cell types by name with their cell counts, in gid order ([[record]] tables name them)."""
    return [(p.name, p.count) for p in sorted(network.layout(params["size"]), key=lambda p: p.first_gid)]


def event_series(params):
    """The timeline's periodic series as (what, first time, period) in seconds."""
    out = [("records", params["recording_start"], params["recording_interval"])]
    if params["deletion"]:
        out.append(("deletion rounds", params["segment_length"], params["segment_length"]))
    if params["trials"]:
        out.append(("trials", 0.0, params["trial_length"]))
    return out


def cost(params, network):
    """Estimated memory per rank and wall time per simulated second of a run, by the
    column's cells at its size (a network file's own populations counted) in units of
    the default column's 470, on the engine the run takes."""
    from .ranknet import use_rank_engine
    cells = sum(pop.count for pop in network.layout(params["size"]))
    size = cells / CELLS_PER_SIZE
    per_size = WALL_PER_SIM_S_PER_SIZE_RANK if use_rank_engine(params) else WALL_PER_SIM_S_PER_SIZE
    return dict(memory_mb=BASE_MB + MB_PER_SIZE * size, setup_s=SETUP_S_PER_SIZE * size,
                wall_per_sim_s=per_size * max(size, 1.0),
                memory_note=f"size = {params['size']:g}, {cells} cells ({BASE_MB:g} MB + {MB_PER_SIZE:g} MB per "
                            f"{CELLS_PER_SIZE} cells)")


def check_experiment(params, network, source):
    """The model's own consistency checks (cells at this size, the protocol)."""
    counts = {pop.name: pop.count for pop in network.layout(params["size"])}
    if sum(counts.values()) == 0:
        raise ParamError(f"{source}: size = {params['size']:g} leaves no cells (counts are truncated "
                                 "to integers)")
    check_protocol(params, sum(counts.values()), counts, source)
    if params["rng"] == "original":
        chosen = [f"connections.{pre}.{post}" for (pre, post), pair in network.connections.items()
                  if pair.rule != "distance"]
        if chosen:
            raise ParamError(f"{source}: rng = 'original' replays the original's distance rule; {chosen[0]} has "
                             f"rule {network.connections[tuple(chosen[0].split('.')[1:])].rule!r} (use rng = 'keyed')")


def mechanism_settings(params, network):
    """The cell mechanism's module-wide settings for a run."""
    settings = dict(network.mechanism)
    choice = params["exp_table"]
    settings["exp_table"] = choice == "table" or (choice == "auto" and params["rng"] == "original")
    return settings


def assemble(experiment, needs=frozenset()):
    """Build the column of an experiment on this rank (see :mod:`.assembly`), on the engine
    its parameter engine names (see :func:`.ranknet.use_rank_engine`)."""
    from .assembly import assemble as assemble_column
    return assemble_column(experiment, needs)


def open_gui(assembly):
    """The column's NEURON windows for an assembly (see :mod:`.gui`), on either engine:
    ``assemble(experiment, needs=("gui",))``."""
    from .gui import open_assembled
    return open_assembled(assembly)
