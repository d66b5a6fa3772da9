"""Reading and summarising run directories (works on partial or interrupted runs)."""
from pathlib import Path

import numpy as np

from .record import POPULATION


def read_spikes(run_dir, population=POPULATION):
    """Spike times (ms) and gids of a run.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
    """
    import h5py
    with h5py.File(Path(run_dir) / "spikes.h5", "r", swmr=True) as f:
        g = f[f"spikes/{population}"]
        return g["timestamps"][:], g["node_ids"][:].astype(np.int64)


def read_nodes(run_dir, population=POPULATION):
    """The node table as a dict of arrays (strings decoded)."""
    import h5py
    with h5py.File(Path(run_dir) / "nodes.h5", "r") as f:
        g = f[f"nodes/{population}"]
        return {k: (g[k][:].astype(str) if g[k].dtype.kind == "S" else g[k][:]) for k in g}


def rates_by_type(run_dir, t0=0.0, t1=None):
    """Mean firing rate (Hz) per cell type over [t0, t1) seconds, with SD across cells.

    Returns
    -------
    dict of str to (mean, sd)
    """
    t, gid = read_spikes(run_dir)
    nodes = read_nodes(run_dir)
    t1 = t1 if t1 is not None else t.max() / 1000.0 if len(t) else t0
    sel = (t >= t0 * 1000.0) & (t < t1 * 1000.0)
    counts = np.bincount(gid[sel], minlength=len(nodes["type"]))
    rates = counts / (t1 - t0)
    out = {}
    for name in dict.fromkeys(nodes["type"]):
        r = rates[nodes["type"] == name]
        out[name] = (float(r.mean()), float(r.std()))
    return out
