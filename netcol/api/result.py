"""A run folder from Python: :class:`Result` and :func:`load`.

A :class:`Result` reads the folder's files when asked (complete, interrupted and running
runs alike, see :mod:`netcol.analysis.spikes`): the spikes as NumPy arrays or a pandas
DataFrame, the nodes and edges (SONATA), the model's state records (``state.h5``), the
exported reports (``report_*.h5``), the run's parameters and status (``run.json``), and
the model's views drawn by :func:`netcol.views.plots.plot_what`.
"""
import os
from pathlib import Path
from typing import NamedTuple


class Spikes(NamedTuple):
    """A run's spikes, sorted by time."""

    times_ms: "numpy.ndarray"
    """Spike times (ms)."""
    node_ids: "numpy.ndarray"
    """The cell (node id, gid) of each spike."""


class Report(NamedTuple):
    """One SONATA element report (``report_<name>.h5``): recorded traces or an export."""

    times_ms: "numpy.ndarray"
    """Times of the rows (ms)."""
    node_ids: "numpy.ndarray"
    """The cell of each column."""
    data: "numpy.ndarray"
    """Values, times x cells."""
    unit: str
    """Unit of the values."""


def load(folder):
    """Open an existing run folder (also of a running, interrupted or failed run).

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    Result

    Raises
    ------
    netcol.io.rundir.RunFolderError
        The folder holds no run (no run.json) or its run.json is damaged.
    """
    return Result(folder)


class Result:
    """The files of one run folder, read when asked.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run folder (``netcol run --out``).

    Raises
    ------
    netcol.io.rundir.RunFolderError
        The folder holds no run (no run.json) or its run.json is damaged.
    """

    def __init__(self, folder):
        from ..io.rundir import read_run_json
        self.folder = Path(folder)
        read_run_json(self.folder)

    def __fspath__(self):
        """The folder's path: a Result works wherever a run folder's path does."""
        return os.fspath(self.folder)

    def __repr__(self):
        meta = self.meta
        reached = (meta.get("t_reached_ms") or 0.0) / 1000.0
        spikes = f", {meta['spikes']} spikes" if meta.get("spikes") is not None else ""
        return (f"<netcol run {self.folder}: {meta.get('experiment')} ({self.model}), {self.status}, "
                f"{reached:g} of {self.params.get('duration', 0):g} s{spikes}>")

    # ------------------------------------------------------------------ run.json
    @property
    def meta(self):
        """run.json as a dict: command, versions, status, parameters, summary (read anew)."""
        from ..io.rundir import read_run_json
        return read_run_json(self.folder)

    @property
    def params(self):
        """The run's parameters (every run parameter, defaults included)."""
        return self.meta["params"]

    @property
    def settings(self):
        """The overrides the run was given (``--set``, or :func:`netcol.run`'s settings)."""
        return self.meta.get("sets", {})

    @property
    def experiment(self):
        """The experiment's name."""
        return self.meta.get("experiment")

    @property
    def model(self):
        """The model's name."""
        from ..models import DEFAULT_MODEL
        return self.meta.get("model", DEFAULT_MODEL)

    @property
    def status(self):
        """'complete', 'interrupted', 'running', 'failed (...)' or 'stopped without finishing
        (...)' (killed)."""
        from ..io.rundir import run_status
        return run_status(self.folder, self.meta)

    @property
    def files(self):
        """Names of the folder's files (hidden ones left out)."""
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))

    # ------------------------------------------------------------------ spikes and nodes
    def spike_arrays(self, window=None):
        """The spikes as NumPy arrays.

        Parameters
        ----------
        window : (float, float), optional
            [t0, t1) in seconds; default the whole run.

        Returns
        -------
        Spikes
            ``(times_ms, node_ids)``.
        """
        from ..analysis.spikes import read_spikes
        return Spikes(*read_spikes(self.folder, window))

    def spikes(self, window=None):
        """The spikes as a DataFrame, one row per spike in time order.

        Parameters
        ----------
        window : (float, float), optional
            [t0, t1) in seconds; default the whole run.

        Returns
        -------
        pandas.DataFrame
            Columns ``time_ms``, ``node_id`` and the cell's ``type``, ``cell_class`` and
            ``excitatory`` (from the node table).
        """
        import numpy as np
        import pandas as pd
        t, gid = self.spike_arrays(window)
        nodes = self._node_arrays()
        row = _rows_of(nodes, gid)
        frame = {"time_ms": t, "node_id": gid}
        for key in ("type", "cell_class"):
            if key in nodes:
                frame[key] = pd.Categorical.from_codes(*_codes(nodes[key], row))
        if "excitatory" in nodes:
            frame["excitatory"] = np.asarray(nodes["excitatory"]).astype(bool)[row]
        return pd.DataFrame(frame)

    def _node_arrays(self):
        from ..analysis.spikes import read_nodes
        return read_nodes(self.folder)

    def nodes(self):
        """The node table (``nodes.h5``): one row per cell.

        Returns
        -------
        pandas.DataFrame
            ``node_id`` and every attribute of the SONATA nodes file (for every model
            ``type``, ``cell_class`` and ``excitatory``; the model's own beside them).
        """
        import pandas as pd
        nodes = self._node_arrays()
        first = {"node_id": nodes.pop("node_id")} if "node_id" in nodes else {}
        return pd.DataFrame({**first, **nodes})

    def edges(self, population=None):
        """The synapses (``edges.h5``, SONATA), one row per edge.

        Parameters
        ----------
        population : str, optional
            One edge population; default all (with a ``population`` column when there
            are several).

        Returns
        -------
        pandas.DataFrame
            ``source_node_id``, ``target_node_id``, ``edge_type_id`` and every attribute
            of the edge groups (e.g. weights, delays).

        Raises
        ------
        netcol.io.rundir.RunFolderError
            The run wrote no edges.h5, or it is damaged.
        """
        import pandas as pd
        from ..io.rundir import RunFolderError
        from ..io.runfiles import open_h5
        path = self.folder / "edges.h5"
        if not path.exists():
            raise RunFolderError(f"{self.folder}: no edges.h5 (this run did not write its synapses)")
        with open_h5(path) as f:
            names = list(f["edges"]) if "edges" in f else []
            if population is not None:
                if population not in names:
                    raise RunFolderError(f"{path}: no edge population {population!r}; it has {', '.join(names)}")
                names = [population]
            frames = [_edge_frame(f[f"edges/{name}"]) for name in names]
        if len(frames) == 1:
            return frames[0]
        if not frames:
            return pd.DataFrame({"source_node_id": [], "target_node_id": []})
        return pd.concat([fr.assign(population=name) for fr, name in zip(frames, names)], ignore_index=True)

    # ------------------------------------------------------------------ state and reports
    def state_groups(self):
        """Names of the groups of ``state.h5`` that hold records (e.g. ``records``,
        ``gains/snapshots``); empty if the run has no state.h5."""
        import h5py
        from ..io.runfiles import open_h5
        path = self.folder / "state.h5"
        if not path.exists():
            return []
        names = []
        with open_h5(path) as f:
            groups = [("", f)]
            f.visititems(lambda n, o: groups.append((n, o)) if isinstance(o, h5py.Group) else None)
            names = [n for n, g in groups if any(isinstance(d, h5py.Dataset) for d in g.values())]
        return names

    def state(self, group=None):
        """The model's state records (``state.h5``).

        Parameters
        ----------
        group : str, optional
            One group (see :meth:`state_groups`); default every group.

        Returns
        -------
        dict
            For one group, {dataset name: numpy array} of the datasets in it (strings
            decoded; ``time`` in ms as written); for all, {group: that dict}.  A group
            of rows in time gives the rows all of its growing datasets hold (a running
            run's writer may be one append ahead in some).
        """
        from ..io.rundir import RunFolderError
        from ..io.runfiles import open_h5, timed_datasets
        path = self.folder / "state.h5"
        groups = [group] if group is not None else self.state_groups()
        if not path.exists():
            if group is None:
                return {}
            raise RunFolderError(f"{self.folder}: no state.h5")
        import h5py
        from ..analysis.spikes import _text_or_numbers
        out = {}
        with open_h5(path) as f:
            for name in groups:
                g = f if name == "" else f[name] if name in f else None
                if not isinstance(g, h5py.Group):
                    raise RunFolderError(f"{path}: no group {name!r}; it has {', '.join(self.state_groups())}")
                out[name] = {k: _text_or_numbers(d) for k, d in g.items() if isinstance(d, h5py.Dataset)}
                timed = timed_datasets(g)
                if timed:
                    n = min(len(out[name][k]) for k in timed)
                    out[name].update({k: out[name][k][:n] for k in timed})
        return out[group] if group is not None else out

    def reports(self):
        """The folder's SONATA element reports: the traces of its ``[[record]]`` tables
        (``report_<name>.h5``) and those ``netcol export-reports DIR`` writes
        (``report_<quantity>.h5``).

        Returns
        -------
        dict of str to Report
            By the file's name without ``report_`` (e.g. ``v``, ``vm_V``, ``activity``);
            empty when there are none.
        """
        import numpy as np
        from ..io.rundir import REPORT_PREFIX
        from ..io.runfiles import open_h5
        out = {}
        for path in sorted(self.folder.glob(f"{REPORT_PREFIX}*.h5")):
            with open_h5(path) as f:
                for pop in f["report"]:
                    g = f[f"report/{pop}"]
                    data = g["data"][:]
                    start, stop, step = g["mapping/time"][:]
                    times = start + step * np.arange(data.shape[0])
                    unit = g["data"].attrs.get("units", "")
                    unit = unit.decode() if isinstance(unit, bytes) else str(unit)
                    out[path.stem[len(REPORT_PREFIX):]] = Report(times, g["mapping/node_ids"][:], data, unit)
        return out

    # ------------------------------------------------------------------ measures and views
    def rates(self, t0=0.0, t1=None):
        """Mean firing rate per cell type over [t0, t1) seconds (default the whole run).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``type``: ``cells``, ``rate_hz`` (mean across the type's cells) and
            ``sd_hz`` (SD across them).
        """
        import numpy as np
        import pandas as pd
        from ..analysis.spikes import rates_by_type
        rates = rates_by_type(self.folder, t0, t1)
        types = self._node_arrays()["type"]
        frame = pd.DataFrame({"type": list(rates), "cells": [int(np.count_nonzero(types == n)) for n in rates],
                              "rate_hz": [m for m, _ in rates.values()], "sd_hz": [s for _, s in rates.values()]})
        return frame.set_index("type")

    def views(self):
        """The views :meth:`plot` draws for this run: raster, rates, spectra and the model's."""
        from ..views.plots import GENERIC_VIEWS, model_figures
        return GENERIC_VIEWS + tuple(model_figures(self.folder).VIEWS)

    def plot(self, what="raster", window=None, dpi=None, out=None, show=None):
        """Draw a view of the run into ``<folder>/<what>.png`` and ``.pdf`` (as ``netcol
        plot DIR --what``) and show it in a notebook.

        Parameters
        ----------
        what : str
            One of :meth:`views`.
        window : (float, float), optional
            Time window in seconds.
        dpi : int, optional
            Resolution of the PNG (default 300).
        out : str or pathlib.Path, optional
            Write ``OUT.png`` and ``OUT.pdf`` instead.
        show : bool, optional
            Show the PNG (default: in a notebook).

        Returns
        -------
        list of pathlib.Path
            The PNG and the PDF.
        """
        from ..views.figstyle import DPI
        from ..views.plots import plot_what
        return self._drawn(lambda: plot_what(self.folder, what, window=window, dpi=dpi or DPI, out=out), show)

    def report(self, show=None):
        """Draw the one-page report (``netcol report DIR``) and show it in a notebook;
        return the paths of its PNG and PDF."""
        from ..views.plots import report
        return self._drawn(lambda: report(self.folder), show)

    def _drawn(self, draw, show):
        """Draw (netcol's figures switch matplotlib to Agg; a notebook's backend comes back
        afterwards) and show the PNG in a notebook."""
        import sys
        import matplotlib
        backend = matplotlib.get_backend(auto_select=False)
        try:
            paths = draw()
        finally:
            plt = sys.modules.get("matplotlib.pyplot")
            if backend and plt is not None and matplotlib.get_backend(auto_select=False) != backend:
                plt.switch_backend(backend)
        from .launch import _in_notebook
        if show or (show is None and _in_notebook()):
            from IPython.display import Image, display
            display(Image(filename=str(paths[0]), width=900))
        return paths


def _rows_of(nodes, gid):
    """Row of each gid in the node table."""
    import numpy as np
    ids = np.asarray(nodes.get("node_id", np.arange(len(nodes["type"]))), dtype=np.int64)
    if np.array_equal(ids, np.arange(len(ids))):
        return gid
    order = np.argsort(ids)
    return order[np.searchsorted(ids, gid, sorter=order)]


def _codes(values, row):
    """(codes, categories) of values[row], categories in order of appearance."""
    import numpy as np
    categories, first, codes = np.unique(np.asarray(values), return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[codes.ravel()][row], categories[order]


def _edge_frame(g):
    """One SONATA edge population as a DataFrame."""
    import h5py
    import numpy as np
    import pandas as pd
    from ..analysis.spikes import _text_or_numbers
    n = g["source_node_id"].shape[0]
    frame = {k: g[k][:] for k in ("source_node_id", "target_node_id", "edge_type_id") if k in g}
    group_of = g["edge_group_id"][:] if "edge_group_id" in g else np.zeros(n, dtype=np.int64)
    index = g["edge_group_index"][:] if "edge_group_index" in g else np.arange(n)
    for name, sub in g.items():
        if not (isinstance(sub, h5py.Group) and name.isdigit()):
            continue
        sel = group_of == int(name)
        whole = bool(sel.all())
        for attr, d in sub.items():
            if not isinstance(d, h5py.Dataset) or d.ndim != 1:
                continue
            values = _text_or_numbers(d)
            if whole:
                frame[attr] = values[index]
            else:   # several groups: each edge has the attributes of its own group
                column = frame.get(attr)
                if column is None:
                    column = np.full(n, np.nan) if values.dtype.kind in "fiub" else np.full(n, None, dtype=object)
                column[sel] = values[index[sel]]
                frame[attr] = column
    return pd.DataFrame(frame)
