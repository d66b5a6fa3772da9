"""The column's per-cell records (state.h5 ``/records``) as SONATA element reports, one
file per quantity: ``report_activity.h5``, ``report_goal.h5``, ``report_scale.h5``,
``report_alive.h5``.

Each holds ``/report/column/data`` (records x cells, float32), ``mapping/node_ids``,
``mapping/index_pointers``, ``mapping/element_ids`` (one element per cell) and
``mapping/time`` (start, stop, step in ms), readable by ``libsonata.ElementReportReader``.
Records lie on a regular grid (recording_start + k * recording_interval).
"""
from pathlib import Path

import numpy as np

from ...analysis import spikes as analysis
from . import measures
from ...io.record import LIBVER, mark_sonata
from ...io.rundir import claim_paths

#: Quantity -> unit.
QUANTITIES = {"activity": "Hz", "goal": "Hz", "scale": "1", "alive": "1"}


def export_reports(run_dir, population="column"):
    """Write one SONATA report per recorded quantity; return their paths.

    Parameters
    ----------
    run_dir : path
        A run folder of the column (complete, interrupted or running).

    Returns
    -------
    list of pathlib.Path
    """
    import h5py
    run_dir = Path(run_dir)
    rec = measures.read_records(run_dir)
    t = rec["time"]
    if len(t) == 0:
        raise ValueError(f"{run_dir}: no state records yet; nothing to export")
    step = float(t[1] - t[0]) if len(t) > 1 else 1.0
    n = rec["activity"].shape[1]
    paths = []
    for name, unit in QUANTITIES.items():
        path = run_dir / f"report_{name}.h5"
        claim_paths([path])
        with h5py.File(path, "w", libver=LIBVER) as f:
            mark_sonata(f)
            g = f.create_group(f"report/{population}")
            g["data"] = rec[name].astype(np.float32)
            g["data"].attrs["units"] = unit
            m = g.create_group("mapping")
            m["node_ids"] = np.arange(n, dtype=np.uint64)
            m["index_pointers"] = np.arange(n + 1, dtype=np.uint64)
            m["element_ids"] = np.zeros(n, dtype=np.uint32)
            m["time"] = np.array([t[0], t[-1] + step, step])
            m["time"].attrs["units"] = "ms"
        paths.append(path)
    return paths


#: What each recorded quantity is, for NWB.
DESCRIPTIONS = {"activity": "activity sensor of every cell (a 100-s filter of its spiking), by gid",
                "goal": "scaling goal of every cell (NaN until scaling sets it), by gid",
                "scale": "synaptic scale factor of every cell, by gid",
                "alive": "1 while the cell is alive, 0 once deleted, by gid"}


def nwb_series(run_dir):
    """The per-cell records for an NWB export: {name: (data, times in s, unit, description)}."""
    rec = measures.read_records(run_dir)
    times = rec["time"] / 1000.0
    return {name: (rec[name].astype(float), times, unit, DESCRIPTIONS[name]) for name, unit in QUANTITIES.items()}
