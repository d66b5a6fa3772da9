"""The column's connections as SONATA edges: ``edges.h5`` and ``edge_types.csv``
(layout and indices: :mod:`netcol.io.edges`).

``/edges/column__column/`` holds ``source_node_id`` and ``target_node_id`` (attribute
``node_population = "column"``), ``edge_type_id`` (pre type code x 100 + post type
code), ``edge_group_id`` (0), ``edge_group_index`` and the index groups
``indices/source_to_target`` and ``indices/target_to_source``; group ``0/`` holds
``delay`` (ms), ``weight_1`` and ``weight_2`` (INTF6 weights of the receptors
``edge_types.csv`` names for the presynaptic class), ``syn_weight`` (= ``weight_1``, the
weight SONATA readers look for), ``stdp_gain`` (1 for static synapses; for plastic ones
the gain at the end of the run, NaN until then) and ``syn_weight_final`` (``weight_1`` x
``stdp_gain``: the STDP gain multiplies the first receptor's weight; before the target's
scale factor).  Rows are the connection rows of the network (sorted by source, then delay).

Rank 0 writes the static columns from the whole connectivity (which the rank engine
gathers for it); the plastic gains live on the postsynaptic ranks, which write their own
rows in turn.
"""
import numpy as np

from ...engine.runtime import parallel_context
from ...io.edges import EdgeWriter, write_edge_types

EDGE_POPULATION = "column__column"
#: Receptor slots of weight_1 and weight_2 by presynaptic class (as the builder sets them).
RECEPTORS = {"RS": ("AM2", "NM2"), "FS": ("GA", ""), "LTS": ("GA2", "")}


def edge_type_ids(net, conn):
    """Per connection: pre type code x 100 + post type code."""
    codes = np.array([p.code for p in net.cells["pops"]])[net.cells["type_index"]]
    return codes[conn.pre] * 100 + codes[conn.post]


def write_edges(path, net, conn, population="column"):
    """Write the static part of edges.h5 and edge_types.csv (rank 0) from the whole
    column's connections conn."""
    gain = np.where(conn.plastic, np.nan, 1.0)
    with EdgeWriter(path, EDGE_POPULATION, population, population,
                    {"delay": "ms", "weight_1": None, "weight_2": None, "stdp_gain": None, "syn_weight": None,
                     "syn_weight_final": None}) as w:
        w.append(conn.pre, conn.post, edge_type_ids(net, conn), delay=conn.delay, weight_1=conn.w1, weight_2=conn.w2,
                 stdp_gain=gain, syn_weight=conn.w1, syn_weight_final=conn.w1 * gain)
        w.close(net.n, net.n)
    pops = net.cells["pops"]
    rows = []
    plastic_types = set(edge_type_ids(net, conn)[conn.plastic].tolist())
    for pre in pops:
        for post in pops:
            if (pre.name, post.name) in net.column.connections:
                tid = pre.code * 100 + post.code
                r1, r2 = RECEPTORS.get(pre.cls, ("", ""))
                rows.append((tid, pre.name, post.name, pre.cls, r1 or "none", r2 or "none", int(tid in plastic_types)))
    write_edge_types(path.parent / "edge_types.csv",
                     ["edge_type_id", "pre_type", "post_type", "pre_class", "receptor_1", "receptor_2", "plastic"], rows)


def write_final_gains(path, net):
    """Each rank writes the STDP gains of its plastic synapses, and the weights they make,
    into edges.h5, in turn (collective: every rank calls it)."""
    from ...io.record import open_to_write
    from ...io.space import guarded
    pc = parallel_context()
    rows = net.netcon_rows[net.plastic_local]
    w1 = net.local_w1[net.plastic_local]
    gains = net.local_plastic_gains()
    order = np.argsort(rows)

    @guarded   # a full disk skips it, never raises between two barriers
    def write():
        with open_to_write(path) as f:
            group = f[f"edges/{EDGE_POPULATION}/0"]
            group["stdp_gain"][rows[order]] = gains[order]
            group["syn_weight_final"][rows[order]] = w1[order] * gains[order]
    for r in range(int(pc.nhost())):
        pc.barrier()
        if r == pc.id() and len(rows):
            write()
    pc.barrier()
