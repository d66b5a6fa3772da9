"""SONATA edges of a run: ``edges.h5`` written block by block (rank 0), with the index
groups SONATA readers use to find a node's edges, and the final weights filled in at the
end of a run.

Layout of one edge population ``/edges/<name>/`` (SONATA 0.1):

- ``source_node_id``, ``target_node_id`` (uint64, attribute ``node_population``),
  ``edge_type_id`` (int64; the rows of ``edge_types.csv``), ``edge_group_id`` (0) and
  ``edge_group_index`` (the row);
- group ``0/``: the model's float64 columns, ``syn_weight`` (the weight at the start) and
  ``syn_weight_final`` (at the end of the run; NaN for a plastic synapse until then)
  among them, ``delay`` in ms;
- ``indices/source_to_target`` and ``indices/target_to_source``: ``node_id_to_ranges``
  (nodes x 2, uint64: [first, end) rows of ``range_to_edge_id`` per node id, empty as
  [k, k]) and ``range_to_edge_id`` (ranges x 2, uint64: [first, end) edge rows), each
  node's ranges in row order, a range a maximal run of consecutive rows of that node
  (libsonata's ``afferent_edges``, ``efferent_edges``; bmtk's ``get_target``,
  ``get_source``).

Datasets are chunked and not compressed: libsonata's HDF5 has no filters (not even
gzip or shuffle) and cannot read a compressed dataset.  Rows are written and indexed a
block at a time, so a writer holds at most a block of rows (and an index a slice of
ranges), whatever the size of the network.  The file is written as ``edges.h5.tmp`` and
renamed when complete: ``edges.h5`` is never a partial file.
"""
import os
from pathlib import Path

import numpy as np

from .record import LIBVER, mark_sonata, open_to_write

#: Rows per HDF5 chunk.
CHUNK_ROWS = 1 << 18
#: Rows handled at once: appended, scanned for the indices, filled with final weights.
BLOCK_ROWS = 1 << 21
#: Ranges of range_to_edge_id gathered at once (about 30 bytes each with their sort).
INDEX_RANGES = 1 << 23
#: The index groups: (group under indices/, the node id dataset it indexes).
INDEX_GROUPS = (("source_to_target", "source_node_id"), ("target_to_source", "target_node_id"))


def edges_entry(populations, edges_file="edges.h5", edge_types_file="edge_types.csv"):
    """The edges entry of circuit_config.json for edge populations of a run folder."""
    return {"edges_file": f"$BASE_DIR/{edges_file}", "edge_types_file": f"$BASE_DIR/{edge_types_file}",
            "populations": {name: {"type": "chemical"} for name in populations}}


def write_edge_types(path, header, rows):
    """edge_types.csv (space-separated, as SONATA's CSV tables): a header and one row per
    edge type, edge_type_id first."""
    lines = [" ".join(header)] + [" ".join(str(v) for v in row) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n")


class EdgeWriter:
    """Write one edge population into a new edges.h5, rows appended block by block, the
    indices added at :meth:`close` (rank 0).

    Parameters
    ----------
    path : pathlib.Path
        edges.h5 (written as edges.h5.tmp, renamed at close).
    population : str
        The edge population.
    source_population, target_population : str
        The node populations of the sources and targets.
    columns : dict of str to str or None
        The float64 columns of group 0 and their units (None: no unit).
    """

    def __init__(self, path, population, source_population, target_population, columns):
        import h5py
        self.path, self.population = Path(path), population
        self.nodes = {"source_node_id": source_population, "target_node_id": target_population}
        self.columns = dict(columns)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.f = h5py.File(self.tmp, "w", libver=LIBVER)
        mark_sonata(self.f)
        self.g = self.f.create_group(f"edges/{population}")
        self.count = 0

    def _create(self, chunk):
        """The datasets, chunked by chunk rows (at most CHUNK_ROWS: the first block's rows,
        so a small table is not padded to a large chunk)."""
        g, chunk = self.g, int(min(CHUNK_ROWS, max(chunk, 1)))

        def growing(group, name, dtype):
            return group.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(chunk,))

        for name, pop in self.nodes.items():
            growing(g, name, np.uint64).attrs["node_population"] = pop
        for name in ("edge_type_id", "edge_group_id", "edge_group_index"):
            growing(g, name, np.int64)
        a = g.create_group("0")
        for name, unit in self.columns.items():
            d = growing(a, name, np.float64)
            if unit:
                d.attrs["units"] = unit

    def append(self, source, target, edge_type_id, **columns):
        """Add rows: their source and target node ids, edge types and every column."""
        if sorted(columns) != sorted(self.columns):
            raise ValueError(f"edges: columns {sorted(columns)}, expected {sorted(self.columns)}")
        n = len(source)
        if not n:
            return
        if "source_node_id" not in self.g:
            self._create(n)
        a, b = self.count, self.count + n
        values = {"source_node_id": (source, np.uint64), "target_node_id": (target, np.uint64),
                  "edge_type_id": (edge_type_id, np.int64), "edge_group_id": (np.zeros(n), np.int64),
                  "edge_group_index": (np.arange(a, b), np.int64),
                  **{f"0/{k}": (v, np.float64) for k, v in columns.items()}}
        for name, (v, dtype) in values.items():
            v = np.asarray(v, dtype)
            if v.shape != (n,):
                raise ValueError(f"edges: {name} has shape {v.shape}, expected ({n},)")
            d = self.g[name]
            d.resize((b,))
            d[a:b] = v
        self.count = b

    def close(self, n_source_nodes, n_target_nodes):
        """Write the indices, close, and rename the file to its name."""
        if "source_node_id" not in self.g:
            self._create(1)
        write_indices(self.g, n_source_nodes, n_target_nodes)
        self.f.close()
        os.replace(self.tmp, self.path)

    def abandon(self):
        """Close and remove the unfinished file (after an error)."""
        try:
            self.f.close()
        finally:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None:
            self.abandon()


def runs(ds, block=BLOCK_ROWS):
    """The runs of equal values of a 1-D dataset of node ids (maximal stretches of
    consecutive rows with the same value), block by block: yields (starts, ends, values)
    arrays (int64), every run once and whole, in row order, reading block rows at a time."""
    n = ds.shape[0]
    pending = None   # (start, value) of the run still open at the end of the last block
    for a in range(0, n, block):
        v = ds[a:a + block]
        cut = np.flatnonzero(v[1:] != v[:-1]) + 1
        if pending is None or v[0] != pending[1]:
            cut = np.concatenate([[0], cut])
        if not len(cut):
            continue
        starts, values = a + cut, v[cut].astype(np.int64)
        if pending is not None:
            starts, values = np.concatenate([[pending[0]], starts]), np.concatenate([[pending[1]], values])
        if len(starts) > 1:
            yield starts[:-1], starts[1:], values[:-1]
        pending = (int(starts[-1]), int(values[-1]))
    if pending is not None:
        yield np.array([pending[0]]), np.array([n]), np.array([pending[1]])


def _node_ranges(ds, n_nodes, block):
    """Ranges per node of a node id dataset; whether its runs come in node order; whether
    every run is one row."""
    per_node, ordered, last, count = np.zeros(n_nodes, np.int64), True, -1, 0
    for _, _, values in runs(ds, block):
        if values.max() >= n_nodes:
            raise ValueError(f"edges: {ds.name} holds node ids beyond {n_nodes - 1}")
        per_node += np.bincount(values, minlength=n_nodes)
        ordered = ordered and values[0] > last and bool(np.all(values[1:] > values[:-1]))
        last, count = values[-1], count + len(values)
    return per_node, ordered, count == ds.shape[0]


def _slice_ranges(ds, first, last, single, block):
    """(starts, ends, node ids - first) of the ranges of nodes first .. last - 1 (at most
    2^16 of them), in row order: one scan of the node ids."""
    parts = []
    if single:   # every range one row: no runs to find
        for a in range(0, ds.shape[0], block):
            v = ds[a:a + block]
            m = (v >= first) & (v < last)
            rows = a + np.flatnonzero(m)
            parts.append((rows, rows + 1, (v[m] - first).astype(np.uint16)))
    else:
        for s, e, v in runs(ds, block):
            m = (v >= first) & (v < last)
            parts.append((s[m], e[m], (v[m] - first).astype(np.uint16)))
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def write_indices(group, n_source_nodes, n_target_nodes, block=None, ranges_at_once=None):
    """SONATA's ``indices/source_to_target`` and ``indices/target_to_source`` of an open
    edge population group (see the module's docstring), as libsonata's
    EdgePopulation.write_indices writes them, reading the node ids block by block.

    Node ids in order (the targets of a target-major table) take two scans: one counts
    each node's ranges, one writes them.  Otherwise, after the count, nodes are taken in
    slices of at most ranges_at_once ranges, each slice a scan of the node ids that keeps
    the slice's ranges and sorts them by node (a radix sort: a slice has at most 2^16
    nodes)."""
    block, ranges_at_once = block or BLOCK_ROWS, ranges_at_once or INDEX_RANGES
    for name, key in INDEX_GROUPS:
        ds = group[key]
        n_nodes = n_source_nodes if key == "source_node_id" else n_target_nodes
        per_node, ordered, single = _node_ranges(ds, n_nodes, block)
        offsets = np.concatenate([[0], np.cumsum(per_node)]).astype(np.uint64)
        g = group.create_group(f"indices/{name}")
        g["node_id_to_ranges"] = np.stack([offsets[:-1], offsets[1:]], axis=1)
        out = g.create_dataset("range_to_edge_id", shape=(int(offsets[-1]), 2), dtype=np.uint64)
        if ordered:
            k = 0
            for s, e, _ in runs(ds, block):
                out[k:k + len(s)] = np.stack([s, e], axis=1)
                k += len(s)
            continue
        first = 0
        while first < n_nodes:
            # the next slice: as many nodes as hold at most ranges_at_once ranges (one at least),
            # at most 2^16 of them
            last = int(np.searchsorted(offsets, offsets[first] + np.uint64(ranges_at_once), side="right")) - 1
            last = min(max(last, first + 1), n_nodes, first + (1 << 16))
            a, b = int(offsets[first]), int(offsets[last])
            if b > a:
                s, e, v = _slice_ranges(ds, first, last, single, block)
                order = np.argsort(v, kind="stable")
                del v
                out[a:b, 0] = s[order]
                del s
                out[a:b, 1] = e[order]
            first = last


def fill_final(path, population, values, plastic_types=None, column="syn_weight_final", initial="syn_weight",
               block=BLOCK_ROWS):
    """Write the weights at the end of a run into a column of edges.h5 (rank 0).

    Parameters
    ----------
    path : pathlib.Path
    population : str
    values : numpy.ndarray
        The weights in row order: of every row (plastic_types None), or of the rows whose
        edge type is in plastic_types, the other rows taking the initial column's value.
    plastic_types : collection of int, optional
    column, initial : str
        The column written, and the one the static rows copy.
    block : int
        Rows read and written at once.
    """
    values = np.asarray(values, np.float64)
    with open_to_write(path, "r+") as f:
        g = f[f"edges/{population}"]
        out = g[f"0/{column}"]
        types = None if plastic_types is None else np.array(sorted(plastic_types), np.int64)
        k = 0   # values used so far
        for a in range(0, out.shape[0], block):
            b = min(a + block, out.shape[0])
            if types is None:
                part = values[k:k + b - a]
            else:
                part = g[f"0/{initial}"][a:b]
                plastic = np.isin(g["edge_type_id"][a:b], types)
                part[plastic] = values[k:k + int(plastic.sum())]
            k += (b - a) if types is None else int(plastic.sum())
            if k > len(values):
                break
            out[a:b] = part
        if k != len(values):
            raise ValueError(f"{path}: {k} rows take final weights, {len(values)} weights given")
