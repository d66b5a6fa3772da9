"""Export a run folder to one NWB 2 file (pynwb), for every model.

The file holds:
- session metadata: the start time with its time zone, netcol's and NEURON's versions,
  the experiment and every parameter (as JSON in the session description's notes);
- a units table: every cell's spike times in seconds, with every column of the node table
  (type, class, layer, E/I flag, position);
- the model's recorded state as time series with units (for the column: activity sensor,
  goal, scale factor and alive flag of every cell) in the processing module ``state``;
- the traces of the experiment's ``[[record]]`` tables (the SONATA reports
  ``report_<name>.h5``): one ``TimeSeries`` per report in the processing module
  ``traces`` (samples x cells, the unit the cell's binding declares), and beside it in
  ``trace_cells`` a table of the same name whose row j is the cell of data column j (its
  node id and its row of the units table);
- the protocol's events as time intervals (``protocol``: every timeline event, trials
  with their end).

Connectivity has no core NWB type; the file points to the run's SONATA ``edges.h5``.
"""
import contextlib
import datetime
import json
from pathlib import Path

import numpy as np

from ..analysis import spikes as analysis
from .rundir import claim_paths, read_run_json

#: Gigabytes of a report's samples held at a time while they are copied into the NWB file.
BUFFER_GB = 0.25


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
    # the report files stay open until the write: their samples are copied a buffer at a time
    with contextlib.ExitStack() as files:
        _add_traces(nwb, run_dir, model, params, files)
        with NWBHDF5IO(str(out), "w") as io:
            io.write(nwb)
    return out


def _add_traces(nwb, run_dir, model, params, files):
    """The [[record]] tables' reports as TimeSeries (module ``traces``) and the cells of
    each as a table (module ``trace_cells``); nothing for a run without tables.

    Parameters
    ----------
    nwb : pynwb.NWBFile
        With its units table filled (row k is the cell of node id k).
    run_dir : pathlib.Path
    model : str
    params : dict
        The run's parameters (run.json), whose ``record`` holds the checked tables.
    files : contextlib.ExitStack
        Keeps the report files open until the NWB file is written.
    """
    from hdmf.common import DynamicTable
    from pynwb import TimeSeries
    from ..config.records import report_files
    from ..models import model as model_package
    from .runfiles import open_h5
    found = [(table, variable, run_dir / name) for table in params.get("record") or ()
             for variable, name in report_files(table) if (run_dir / name).exists()]
    if not found:
        return
    recordable = getattr(model_package(model).BINDING, "RECORDABLE", {})
    traces = nwb.create_processing_module(
        "traces", "traces of the experiment's [[record]] tables (the SONATA reports report_<name>.h5 of the run): "
                  "one series per report, samples x cells; trace_cells holds each series' cells")
    cells = nwb.create_processing_module(
        "trace_cells", "the cells of each series in traces, by the series' name: row j is the cell of its data "
                       "column j (node id, and its row of the units table)")
    for table, variable, path in found:
        f = files.enter_context(open_h5(path))
        pop = next(iter(f["report"]))
        group = f[f"report/{pop}"]
        node_ids = group["mapping/node_ids"][:]
        start_ms, _, step_ms = (float(x) for x in group["mapping/time"][:])
        name = path.stem.removeprefix("report_")
        declared, meaning = recordable.get(variable, ("", ""))
        # the unit the binding's RECORDABLE declared when the run wrote the file (its data
        # are in that unit, should the binding have changed since); the binding's meaning
        units = group["data"].attrs.get("units", "")
        unit = (units.decode() if isinstance(units, bytes) else str(units)) or declared or "unknown"
        n = len(node_ids)
        traces.add(TimeSeries(
            name=name, data=_rows(group["data"]), unit=unit, starting_time=start_ms / 1000.0,
            rate=1000.0 / step_ms, comments=f"SONATA report {path.name}, population {pop}",
            description=(f"{variable}" + (f", {meaning}" if meaning else "") + f" [{unit}] of {n} "
                         f"cell{'s' * (n != 1)}, recorded by the [[record]] table {table['name']!r} every "
                         f"{step_ms:g} ms; data column j is the cell of row j of trace_cells/{name}")))
        index = DynamicTable(name=name, description=f"the cells of traces/{name}: row j is its data column j")
        index.add_column(name="node_id", description="the cell's node id (gid) in nodes.h5 and spikes.h5")
        index.add_column(name="unit", description="the cell's row of the units table (its spikes and node attributes)",
                         table=nwb.units)
        for gid in node_ids:
            index.add_row(node_id=int(gid), unit=int(gid))
        cells.add(index)


def _rows(dataset):
    """A report's samples for pynwb, copied from the open HDF5 dataset a buffer at a time
    when the NWB file is written (a report may hold more than fits in memory).

    Parameters
    ----------
    dataset : h5py.Dataset
        The report's ``data`` (samples x cells), open until the NWB file is written.

    Returns
    -------
    hdmf.data_utils.GenericDataChunkIterator or numpy.ndarray
        The iterator; an empty array for a report without samples (a run stopped before
        its first), which the iterator cannot split into buffers.
    """
    import numpy as np
    from hdmf.data_utils import GenericDataChunkIterator
    if not dataset.shape[0]:
        return np.zeros(dataset.shape, dtype=dataset.dtype)

    class Rows(GenericDataChunkIterator):
        def _get_data(self, selection):
            return dataset[selection]

        def _get_maxshape(self):
            return dataset.shape

        def _get_dtype(self):
            return dataset.dtype
    return Rows(buffer_gb=BUFFER_GB)


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
