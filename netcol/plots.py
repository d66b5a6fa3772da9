"""Figures of a run directory (matplotlib, drawn without a display)."""
from pathlib import Path

import numpy as np

from .analysis import read_nodes, read_spikes


def raster(run_dir, out=None, t_range=None):
    """Spike raster by cell type (gid against time), E types in red shades, I in blue.

    Parameters
    ----------
    run_dir : str or pathlib.Path
    out : str or pathlib.Path, optional
        Image path (default ``<run_dir>/raster.png``).
    t_range : (float, float), optional
        Window in seconds (default: the whole run).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    run_dir = Path(run_dir)
    out = Path(out) if out else run_dir / "raster.png"
    t, gid = read_spikes(run_dir)
    nodes = read_nodes(run_dir)
    t = t / 1000.0
    if t_range is not None:
        keep = (t >= t_range[0]) & (t <= t_range[1])
        t, gid = t[keep], gid[keep]
    fig, ax = plt.subplots(figsize=(10, 6), dpi=110)
    types = nodes["type"]
    for name in dict.fromkeys(types):
        members = np.flatnonzero(types == name)
        sel = np.isin(gid, members)
        color = "tab:red" if not name.startswith("I") else ("tab:blue" if not name.endswith("L") else "tab:cyan")
        ax.plot(t[sel], gid[sel], "|", ms=2, color=color, label=name)
        ax.text(1.005, (members.min() + members.max()) / 2 / len(types), name, transform=ax.transAxes,
                fontsize=7, va="center")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("cell id (gid)")
    ax.set_ylim(-1, len(types))
    ax.set_title(f"{run_dir.name}: {len(t)} spikes, {len(types)} cells (red E, blue FS, cyan LTS)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
