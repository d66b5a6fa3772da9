"""Explicit lists of connections for a pair of the column (rule ``list``): a CSV file
with columns ``pre`` and ``post`` (indices within the presynaptic and the target
population) and optional ``weight`` (the synapse's final AMPA or GABA-A weight) and
``delay`` (ms), or a SONATA edges file, whose ``source_node_id`` and ``target_node_id``
are the column's node ids (gids) and whose ``syn_weight`` and ``delay`` are used where
present (only the edges between the pair's two populations are taken)."""
import csv
from pathlib import Path

import numpy as np

from ...config.schema import ParamError


def read_pair_file(path, pre_pop, post_pop, where):
    """The connections a file lists for one pair.

    Parameters
    ----------
    path : str
    pre_pop, post_pop : netcol.models.rowan2013.column.Population
        The pair's populations at the run's size.
    where : str
        How errors name the pair (``"connections.E2.E6"``).

    Returns
    -------
    list of (int, int, float or None, float or None)
        (pre gid, post gid, weight, delay).

    Raises
    ------
    ParamError
        An unreadable file, a missing column, or a cell the populations do not have.
    """
    path = Path(path)
    rows = _sonata_rows(path, where) if path.suffix in (".h5", ".hdf5") else _csv_rows(path, pre_pop, post_pop, where)
    pre_ok = lambda g: pre_pop.first_gid <= g < pre_pop.first_gid + pre_pop.count
    post_ok = lambda g: post_pop.first_gid <= g < post_pop.first_gid + post_pop.count
    if path.suffix in (".h5", ".hdf5"):
        return [r for r in rows if pre_ok(r[0]) and post_ok(r[1])]
    bad = [r for r in rows if not (pre_ok(r[0]) and post_ok(r[1]))]
    if bad:
        g, q = bad[0][0] - pre_pop.first_gid, bad[0][1] - post_pop.first_gid
        raise ParamError(f"{where}: {path} names missing cells (first: pre {g}, post {q}); {pre_pop.name} has "
                         f"{pre_pop.count} and {post_pop.name} {post_pop.count} cells at this size (indices from 0)")
    return rows


def _csv_rows(path, pre_pop, post_pop, where):
    try:
        with open(path, newline="") as f:
            table = list(csv.DictReader(f))
    except OSError as err:
        raise ParamError(f"{where}: {path} cannot be read: {err.strerror}") from None
    if not table or not {"pre", "post"} <= set(table[0]):
        raise ParamError(f"{where}: {path} needs a header with columns pre and post (and optional weight, delay)")
    out = []
    for line, r in enumerate(table, start=2):
        try:
            out.append((pre_pop.first_gid + int(r["pre"]), post_pop.first_gid + int(r["post"]),
                        float(r["weight"]) if r.get("weight") not in (None, "") else None,
                        float(r["delay"]) if r.get("delay") not in (None, "") else None))
        except ValueError:
            raise ParamError(f"{where}: {path} line {line}: {r} is not numbers") from None
    return out


def _sonata_rows(path, where):
    import h5py
    try:
        with h5py.File(path, "r") as f:
            (name,) = list(f["edges"])
            g = f[f"edges/{name}"]
            src, tgt = g["source_node_id"][:].astype(np.int64), g["target_node_id"][:].astype(np.int64)
            group = g.get("0", {})
            weight = group["syn_weight"][:] if "syn_weight" in group else [None] * len(src)
            delay = group["delay"][:] if "delay" in group else [None] * len(src)
    except (OSError, KeyError, ValueError) as err:
        raise ParamError(f"{where}: {path} is not a SONATA edges file with one population ({err})") from None
    return [(int(s), int(t), None if w is None else float(w), None if d is None else float(d))
            for s, t, w, d in zip(src, tgt, weight, delay)]
