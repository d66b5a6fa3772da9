"""Export a run folder to one NWB 2 file (pynwb), for every model.

The file holds:
- session metadata: the start time with its time zone, netcol's and NEURON's versions,
  the experiment and every parameter (as JSON in the session description's notes);
- a units table: every cell's spike times in seconds, with every column of the node table
  (type, class, layer, E/I flag, position);
- the model's recorded state as time series with units (for the column: activity sensor,
  goal, scale factor and alive flag of every cell) in the processing module ``state``;
- the protocol's events as time intervals (``protocol``: every timeline event, trials
  with their end).

Connectivity has no core NWB type; the file points to the run's SONATA ``edges.h5``.
"""
import datetime
import json
from pathlib import Path

import numpy as np

from ..analysis import spikes as analysis
from .rundir import claim_paths, read_run_json


def _start_time(meta):
    started = datetime.datetime.fromisoformat(meta["started"])
    return started if started.tzinfo else started.astimezone()


def _timeline(run_dir):
    path = Path(run_dir) / "timeline.csv"
    if not path.exists():
        return []
    rows = [line.split(",", 1) for line in path.read_text().splitlines()[1:] if line]
    return [(float(t), name) for t, name in rows]


def export_nwb(run_dir, out=None):
    """Write the run in run_dir as an NWB file; return its path.

    Parameters
    ----------
    run_dir : path
    out : path, optional
        Default: <run_dir>/run.nwb.

    Returns
    -------
    pathlib.Path
    """
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from ..models import DEFAULT_MODEL, reports
    run_dir = Path(run_dir)
    out = Path(out) if out else run_dir / "run.nwb"
    meta = read_run_json(run_dir)
    model = meta.get("model", DEFAULT_MODEL)
    params = dict(meta["params"])
    nwb = NWBFile(
        session_description=f"netcol run of {meta['experiment']} ({model}): {params.get('description', '')}",
        identifier=meta.get("run_id") or f"{run_dir.resolve()}",
        session_start_time=_start_time(meta),
        experiment_description=f"model {model}, experiment {meta['experiment']}",
        source_script=f"netcol {meta['netcol_version']} on NEURON {meta['neuron_version']}, "
                      f"commit {meta.get('git_commit', 'unknown')}",
        source_script_file_name="netcol",
        notes=json.dumps(dict(params=params, network_overrides=meta.get("network_overrides",
                                                                         meta.get("column_overrides", {})),
                              status=meta["status"], ranks=meta["ranks"], command=meta["command"],
                              edges="edges.h5 (SONATA) beside this run's files"), default=str),
    )
    nodes = analysis.read_nodes(run_dir)
    t, gid = analysis.read_spikes(run_dir)
    order = np.argsort(gid, kind="stable")
    bounds = np.searchsorted(gid[order], np.arange(len(nodes["type"]) + 1))
    columns = [k for k in nodes if k != "node_id"]
    for name in columns:
        nwb.add_unit_column(name=name, description=f"node table column '{name}' of nodes.h5")
    for k in range(len(nodes["type"])):
        times = np.sort(t[order[bounds[k]:bounds[k + 1]]]) / 1000.0
        nwb.add_unit(spike_times=times, id=k, **{c: nodes[c][k].item() if hasattr(nodes[c][k], "item")
                                                 else nodes[c][k] for c in columns})
    state = nwb.create_processing_module("state", "the model's per-cell records over the run")
    for name, (data, times, unit, doc) in reports(model).nwb_series(run_dir).items():
        state.add(TimeSeries(name=name, data=data, unit=unit, timestamps=times, description=doc))
    events = _timeline(run_dir)
    if events:
        nwb.add_time_intervals(_protocol_intervals(events, params))
    claim_paths([out])
    with NWBHDF5IO(str(out), "w") as io:
        io.write(nwb)
    return out


def _protocol_intervals(events, params):
    """The timeline as an NWB TimeIntervals table: an event lasts until the next event of
    the same kind (a trial until the next trial), or is an instant."""
    from pynwb.epoch import TimeIntervals
    table = TimeIntervals(name="protocol", description="the run's protocol events (timeline.csv)")
    table.add_column(name="event", description="what happened")
    trial_starts = [t for t, name in events if name.endswith("trial")]
    duration = params.get("duration", events[-1][0])
    for t, name in events:
        stop = t
        if name.endswith("trial"):
            later = [x for x in trial_starts if x > t]
            stop = later[0] if later else duration
        table.add_row(start_time=t, stop_time=stop, event=name)
    return table
