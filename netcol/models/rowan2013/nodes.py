"""The column's node table, ``nodes.h5``: ``/nodes/column/`` with node_id, type,
type_code, cell_class, layer, excitatory (the one E/I flag every reader uses) and
x, y, z in um."""
import numpy as np

from ...record import POPULATION


def write_nodes(path, model, population=POPULATION):
    """Write the node table of a built column (a ColumnNetwork)."""
    import h5py
    cells, pops = model.cells, model.cells["pops"]
    ti = cells["type_index"]
    with h5py.File(path, "w") as f:
        g = f.create_group(f"nodes/{population}")
        g["node_id"] = np.arange(cells["n"], dtype=np.uint64)
        g["type"] = np.array([pops[i].name for i in ti], dtype="S")
        g["type_code"] = np.array([pops[i].code for i in ti], dtype=np.int32)
        g["cell_class"] = np.array([pops[i].cls for i in ti], dtype="S")
        g["layer"] = np.array([pops[i].layer for i in ti], dtype="S")
        g["excitatory"] = cells["excitatory"].astype(np.int8)
        for k, axis in enumerate("xyz"):
            g[axis] = model.xyz[:, k]
            g[axis].attrs["units"] = "um"
