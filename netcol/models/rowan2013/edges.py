"""The column's connections as SONATA edges: ``edges.h5`` and ``edge_types.csv``.

``/edges/column__column/`` holds ``source_node_id`` and ``target_node_id`` (attribute
``node_population = "column"``), ``edge_type_id`` (pre type code x 100 + post type
code), ``edge_group_id`` (0) and ``edge_group_index``; group ``0/`` holds ``delay`` (ms),
``weight_1`` and ``weight_2`` (INTF6 weights of the receptors ``edge_types.csv`` names
for the presynaptic class) and ``stdp_gain`` (1 for static synapses; for plastic ones
the gain at the end of the run, NaN until then).  Rows are the connection rows of the
network (sorted by source, then delay).

Every rank holds the whole connectivity, so rank 0 writes the static columns; the
plastic gains live on the postsynaptic ranks, which write their own rows in turn.
"""
import numpy as np

from ...io.record import LIBVER, mark_sonata
from ...engine.runtime import parallel_context

EDGE_POPULATION = "column__column"
#: Receptor slots of weight_1 and weight_2 by presynaptic class (as the builder sets them).
RECEPTORS = {"RS": ("AM2", "NM2"), "FS": ("GA", ""), "LTS": ("GA2", "")}


def edge_type_ids(net):
    """Per connection: pre type code x 100 + post type code."""
    codes = np.array([p.code for p in net.cells["pops"]])[net.cells["type_index"]]
    return codes[net.conn.pre] * 100 + codes[net.conn.post]


def write_edges(path, net, population="column"):
    """Write the static part of edges.h5 and edge_types.csv (rank 0)."""
    import h5py
    conn, n = net.conn, len(net.conn)
    with h5py.File(path, "w", libver=LIBVER) as f:
        mark_sonata(f)
        g = f.create_group(f"edges/{EDGE_POPULATION}")
        for name, ids in (("source_node_id", conn.pre), ("target_node_id", conn.post)):
            g[name] = ids.astype(np.uint64)
            g[name].attrs["node_population"] = population
        g["edge_type_id"] = edge_type_ids(net).astype(np.int64)
        g["edge_group_id"] = np.zeros(n, dtype=np.int64)
        g["edge_group_index"] = np.arange(n, dtype=np.int64)
        a = g.create_group("0")
        a["delay"] = conn.delay
        a["delay"].attrs["units"] = "ms"
        a["weight_1"] = conn.w1
        a["weight_2"] = conn.w2
        gain = np.ones(n)
        gain[net.plastic_rows] = np.nan
        a["stdp_gain"] = gain
    pops = net.cells["pops"]
    lines = ["edge_type_id pre_type post_type pre_class receptor_1 receptor_2 plastic"]
    plastic_types = set(edge_type_ids(net)[net.plastic_rows].tolist())
    for pre in pops:
        for post in pops:
            if (pre.name, post.name) in net.column.connections:
                tid = pre.code * 100 + post.code
                r1, r2 = RECEPTORS.get(pre.cls, ("", ""))
                lines.append(f"{tid} {pre.name} {post.name} {pre.cls} {r1 or 'none'} {r2 or 'none'} "
                             f"{int(tid in plastic_types)}")
    (path.parent / "edge_types.csv").write_text("\n".join(lines) + "\n")


def write_final_gains(path, net):
    """Each rank writes the STDP gains of its plastic synapses into edges.h5, in turn
    (collective: every rank calls it)."""
    import h5py
    pc = parallel_context()
    rows = net.netcon_rows[net.plastic_local]
    gains = net.local_plastic_gains()
    order = np.argsort(rows)
    for r in range(int(pc.nhost())):
        pc.barrier()
        if r == pc.id() and len(rows):
            with h5py.File(path, "a", libver=LIBVER) as f:
                ds = f[f"edges/{EDGE_POPULATION}/0/stdp_gain"]
                ds[rows[order]] = gains[order]
    pc.barrier()
