"""The contract between netcol's generic layers and a model, as typed interfaces.

A model is a package with the attributes of :class:`ModelPackage` (its ``__init__.py``), a
``figures`` module with those of :class:`FiguresModule` and a ``reports`` module with
those of :class:`ReportsModule`; its ``assemble`` returns an object with the attributes of
:class:`Assembly`.  The registry checks a package and its two modules when it loads them,
and :func:`netcol.build.assemble.assemble` checks each assembly, naming every missing
hook.  Which hooks run on every rank and which on rank 0 only is said on each.
"""
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Protocol, runtime_checkable

from ..config.schema import ParamError


@runtime_checkable
class ModelPackage(Protocol):
    """A model's package: its description, data and the hooks the generic layers call
    before anything is built (every rank runs them; they must give every rank the same
    answer).  Optional: ``SWEEPS_DIR`` (its sweep specifications), ``SWEEP_MEASURES``
    (run folder -> dict of a sweep's headline numbers), ``NETWORK_ALIASES`` (prefixes that
    mean ``network.`` in ``--set``), ``node_types(params, network)`` (its cell types as
    [(name, count)] in gid order, each type's gids contiguous: what ``[[record]]`` tables
    select by name; a model without it records no traces)."""

    NAME: str                 #: the model's name, as experiment files give it
    TITLE: str                #: one line for ``netcol list``
    PARAMS_DIR: Path          #: its network and cell files, and ``experiments/*.toml``
    NETWORK_FILE: Path        #: the network description ``load_network`` reads
    EXPERIMENT_FIELDS: dict   #: its experiment parameters (netcol.config.schema.Field)
    TIME_FIELDS: tuple        #: those of its parameters that are times in s on the step grid
    BINDING: ModuleType       #: the cell binding (netcol.cells.*) it is made of
    CONTRACT: dict            #: the small run the contract test runs (experiment, sets, kill_at, ...)

    def load_network(self, overrides: dict, path: Path = None) -> Any:
        """The model's network description (or the file at path instead) with dotted
        ``network.`` overrides applied (from an experiment's tables and ``--set``)."""

    def network_from_raw(self, raw: dict, source: str) -> Any:
        """A network description from a run's saved copy (resume, info)."""

    def event_series(self, params: dict) -> Any:
        """Its timeline's event series, for the budget's event count."""

    def cost(self, params: dict, network: Any) -> Any:
        """Its estimated cost (netcol.config.budget)."""

    def check_experiment(self, params: dict, network: Any, source: str) -> None:
        """Refuse an inconsistent experiment with one ParamError line naming source."""

    def mechanism_settings(self, params: dict, network: Any) -> dict:
        """The mechanism's module-wide settings."""

    def assemble(self, experiment: Any, needs: frozenset) -> "Assembly":
        """Build the model on this rank (every rank)."""

    def open_gui(self, assembly: "Assembly") -> None:
        """Open the model's NEURON GUI on an assembly."""


@runtime_checkable
class Assembly(Protocol):
    """A model built on one rank, as the run loop drives it.  Every hook runs on every
    rank, in the same order; ``write_nodes``, ``sonata_network`` and the output hooks
    write files on rank 0 only (the others return at once or gather to rank 0)."""

    binding: ModuleType       #: the cell binding
    population: str           #: its SONATA population name
    n: int                    #: cells in the network
    excitatory: Any           #: per gid: True for excitatory cells
    local: Any                #: this rank's cells by gid

    def timeline(self, checkpoint_every: Any = None) -> list:
        """(time in ms, action name) pairs, sorted by time; it must hold the checkpoint
        events (action "checkpoint") every ``checkpoint_every`` ms when that is given."""

    def actions(self) -> dict:
        """Action name -> callable(t) for each name its timeline uses."""

    def after_event(self, t: float) -> Any:
        """Called after each timeline event."""

    def initialize(self, resume: Any = None) -> None:
        """Initialise the run (from a checkpoint's model part when resuming)."""

    def before_block(self, t_next: float) -> None:
        """Called before NEURON integrates to t_next."""

    def after_block(self, t: float) -> Any:
        """Called after each block; returns what it recorded."""

    def write_nodes(self, path: Path) -> None:
        """Write nodes.h5 (rank 0)."""

    def sonata_network(self) -> dict:
        """The ``networks`` entry of circuit_config.json."""

    def open_outputs(self, out_dir: Path, run_id: str, resume: Any = None) -> None:
        """Open the model's output files (state.h5, ...)."""

    def output_counts(self) -> dict:
        """Rows written so far per growing dataset (for checkpoints)."""

    def close_outputs(self) -> None:
        """Close the model's output files."""

    def checkpoint_state(self, t: float) -> dict:
        """The model's part of a checkpoint at t (gathered to rank 0)."""

    def finalize(self, status: str, t: float, out_dir: Path) -> None:
        """Final writes at the end of a run (complete, interrupted or failed)."""

    def summary(self) -> dict:
        """Headline numbers for run.json."""


@runtime_checkable
class FiguresModule(Protocol):
    """A model's ``figures`` module (rank 0, after a run)."""

    VIEWS: tuple              #: its views for ``netcol plot --what``
    FIGURE_RUNS: dict         #: figure number -> the runs it needs
    report_panels: Callable   #: panels of its report page
    headline: Callable        #: its headline lines
    paper_figure: Callable    #: draws one of its paper's figures


@runtime_checkable
class ReportsModule(Protocol):
    """A model's ``reports`` module: NWB series, and its element reports or why it has none
    (``export_reports`` or ``NO_ELEMENT_REPORTS``)."""

    nwb_series: Callable


def missing_hooks(obj, interface):
    """The attributes of a typed interface that obj lacks.

    Parameters
    ----------
    obj : object
        A module or an instance.
    interface : type
        One of this module's Protocol classes.

    Returns
    -------
    list of str
    """
    names = set(getattr(interface, "__annotations__", {}))
    names |= {k for k, v in vars(interface).items() if callable(v) and not k.startswith("_")}
    return sorted(n for n in names if not hasattr(obj, n))


def check(obj, interface, what):
    """Refuse obj if it lacks any attribute of the interface, naming them all.

    Parameters
    ----------
    obj : object
    interface : type
        One of this module's Protocol classes.
    what : str
        How the error names obj (for example "model 'x' (package mymodel)").

    Raises
    ------
    ParamError
    """
    missing = missing_hooks(obj, interface)
    if interface is ReportsModule and not (hasattr(obj, "export_reports") or hasattr(obj, "NO_ELEMENT_REPORTS")):
        missing.append("export_reports or NO_ELEMENT_REPORTS")
    if missing:
        raise ParamError(f"{what} lacks {', '.join(missing)} (the hooks of netcol.models.contract.{interface.__name__}; "
                         "see docs/models/adding.md)")
