"""The column's node table as SONATA nodes: ``nodes.h5`` and ``node_types.csv``.

``/nodes/column/`` holds ``node_id``, ``node_type_id`` (the cell type's code),
``node_group_id`` (0) and ``node_group_index``; group ``0/`` holds the attributes:
type, type_code, cell_class, layer, excitatory (the one E/I flag every reader uses) and
x, y, z in um.  ``node_types.csv`` lists each node type with its name, class, layer and
model (SONATA's space-separated CSV)."""
import numpy as np

from ...io.record import LIBVER, mark_sonata

#: The SONATA population name of the column's cells.
POPULATION = "column"


def write_nodes(path, model, population=POPULATION):
    """Write the node table of a built column (a ColumnNetwork) and node_types.csv beside it."""
    import h5py
    text = h5py.string_dtype()   # variable-length UTF-8, as SONATA readers expect
    cells, pops = model.cells, model.cells["pops"]
    ti = cells["type_index"]
    n = cells["n"]
    with h5py.File(path, "w", libver=LIBVER) as f:
        mark_sonata(f)
        g = f.create_group(f"nodes/{population}")
        g["node_id"] = np.arange(n, dtype=np.uint64)
        g["node_type_id"] = np.array([pops[i].code for i in ti], dtype=np.int64)
        g["node_group_id"] = np.zeros(n, dtype=np.int64)
        g["node_group_index"] = np.arange(n, dtype=np.int64)
        a = g.create_group("0")
        a.create_dataset("type", data=[pops[i].name for i in ti], dtype=text)
        a["type_code"] = np.array([pops[i].code for i in ti], dtype=np.int32)
        a.create_dataset("cell_class", data=[pops[i].cls for i in ti], dtype=text)
        a.create_dataset("layer", data=[pops[i].layer for i in ti], dtype=text)
        a["excitatory"] = cells["excitatory"].astype(np.int8)
        for k, axis in enumerate("xyz"):
            a[axis] = model.xyz[:, k]
            a[axis].attrs["units"] = "um"
    lines = ["node_type_id pop_name cell_class layer excitatory model_type model_template"]
    lines += [f"{p.code} {p.name} {p.cls} {p.layer} {int(p.excitatory)} point_neuron nrn:NetcolIntf6" for p in pops]
    (path.parent / "node_types.csv").write_text("\n".join(lines) + "\n")
