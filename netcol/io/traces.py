"""Recorded traces as SONATA element reports (``report_<name>.h5``, one variable a file),
written by rank 0 block by block (see :mod:`netcol.engine.traces`) and read back.

Layout, as ``libsonata.ElementReportReader`` reads it (one element per cell)::

    /report/<population>/data                 (samples x cells) float32, attributes units,
                                              variable_name
    /report/<population>/mapping/node_ids     (cells) uint64, ascending
    /report/<population>/mapping/index_pointers  (cells + 1) uint64
    /report/<population>/mapping/element_ids  (cells) uint32, all 0
    /report/<population>/mapping/element_pos  (cells) float32, all 0.5 (a point cell)
    /report/<population>/mapping/time         [start, stop, step] float64, ms

``data`` grows by appending rows (SWMR: a reader sees a consistent file at any time) and
``stop`` follows it (start + rows x step), so the file always says how many samples it
holds; a resumed run cuts it back to the rows its checkpoint counted.
"""
from pathlib import Path

import numpy as np

from .record import LIBVER, RUN_ID_ATTR, AppendFile, copy_truncated, mark_sonata, open_to_write
from .space import guarded

#: Values per chunk of ``data`` (about 256 KB of float32).
CHUNK_VALUES = 65536


class ReportWriter:
    """Appends one variable's samples of some cells to a SONATA element report.

    Parameters
    ----------
    path : pathlib.Path
    population : str
        The SONATA node population.
    node_ids : sequence of int
        The recorded cells, ascending.
    variable, unit : str
    start_ms, step_ms : float
        The first sample's time and the interval.
    run_id : str
    keep : int, optional
        Resume: reopen the file keeping its first keep samples.
    """

    def __init__(self, path, population, node_ids, variable, unit, start_ms, step_ms, run_id="", keep=None):
        import h5py
        self.path, self.group = Path(path), f"report/{population}"
        self.start, self.step = float(start_ms), float(step_ms)
        if keep is not None:
            from .rundir import RunFolderError
            if not self.path.exists() and keep == 0:
                keep = None   # killed before its first sample was written: begin it again
            else:
                try:
                    with h5py.File(self.path, "r", swmr=True) as f:
                        have = f[f"{self.group}/data"].shape[0]
                except (OSError, KeyError) as err:
                    raise RunFolderError(f"{self.path}: damaged or missing, cannot resume ({err})") from None
                if have < keep:
                    raise RunFolderError(f"{self.path} holds {have} samples where the checkpoint counted {keep}; "
                                         "it was truncated")
                copy_truncated(self.path, {f"{self.group}/data": keep})
                self.rows = keep
                file = open_to_write(self.path)
                file[f"{self.group}/mapping/time"][1] = self.start + keep * self.step
        if keep is None:
            n = len(node_ids)
            file = h5py.File(self.path, "w", libver=LIBVER)
            file.attrs[RUN_ID_ATTR] = run_id
            mark_sonata(file)
            g = file.create_group(self.group)
            d = g.create_dataset("data", shape=(0, n), maxshape=(None, n), dtype="f4",
                                 chunks=(max(1, min(4096, CHUNK_VALUES // max(n, 1))), max(n, 1)))
            d.attrs["units"] = unit
            d.attrs["variable_name"] = variable
            m = g.create_group("mapping")
            m["node_ids"] = np.asarray(node_ids, dtype=np.uint64)
            m["index_pointers"] = np.arange(n + 1, dtype=np.uint64)
            m["element_ids"] = np.zeros(n, dtype=np.uint32)
            m["element_pos"] = np.full(n, 0.5, dtype=np.float32)
            m["time"] = np.array([self.start, self.start, self.step])
            m["time"].attrs["units"] = "ms"
            self.rows = 0
        self.file = AppendFile(file)

    @guarded
    def append(self, rows):
        """Append samples (samples x cells), then flush."""
        rows = np.asarray(rows, dtype=np.float32)
        if len(rows):
            d = self.file[f"{self.group}/data"]
            d.resize(self.rows + len(rows), axis=0)
            d[self.rows:] = rows
            self.rows += len(rows)
            self.file[f"{self.group}/mapping/time"][1] = self.start + self.rows * self.step
        self.file.flush()

    def close(self):
        """Flush and close."""
        self.file.close()


def read_report(path):
    """A report file's content: dict with times (ms, one per sample), node_ids, data
    (samples x cells), units, variable, population."""
    import h5py
    from .record import population_of
    with h5py.File(path, "r", swmr=True) as f:
        pop = population_of(f, "report")
        g = f[f"report/{pop}"]
        data = g["data"][:]
        start, _, step = g["mapping/time"][:]
        attr = lambda name: (lambda v: v.decode() if isinstance(v, bytes) else str(v))(g["data"].attrs.get(name, ""))
        return dict(times=start + step * np.arange(data.shape[0]), node_ids=g["mapping/node_ids"][:], data=data,
                    units=attr("units"), variable=attr("variable_name"), population=pop)
