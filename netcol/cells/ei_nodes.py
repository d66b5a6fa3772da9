"""SONATA nodes of a two-population (E and I) model made of one population mechanism:
``nodes.h5`` with node types 1 (E) and 2 (I), the attributes every reader of netcol uses
(type, cell_class, excitatory) and a model's own per-cell attributes, ``node_types.csv``
beside it, and the nodes entry of circuit_config.json."""
import numpy as np

from ..io.record import LIBVER, mark_sonata


def write_ei_nodes(path, population, excitatory, template, attributes=None):
    """Write nodes.h5 and node_types.csv.

    Parameters
    ----------
    path : pathlib.Path
        nodes.h5.
    population : str
        The SONATA node population.
    excitatory : numpy.ndarray of bool
        Per gid.
    template : str
        The mechanism's hoc name (node_types.csv's model_template, as nrn:<name>).
    attributes : dict of str to (numpy.ndarray, str or None), optional
        Further per-cell attributes with their units.
    """
    import h5py
    ex = np.asarray(excitatory, bool)
    n = len(ex)
    with h5py.File(path, "w", libver=LIBVER) as f:
        mark_sonata(f)
        g = f.create_group(f"nodes/{population}")
        g["node_id"] = np.arange(n, dtype=np.uint64)
        g["node_type_id"] = np.where(ex, 1, 2).astype(np.int64)
        g["node_group_id"] = np.zeros(n, dtype=np.int64)
        g["node_group_index"] = np.arange(n, dtype=np.int64)
        a = g.create_group("0")
        names = np.where(ex, "E", "I").tolist()
        a.create_dataset("type", data=names, dtype=h5py.string_dtype())
        a.create_dataset("cell_class", data=names, dtype=h5py.string_dtype())
        a["excitatory"] = ex.astype(np.int8)
        for name, (values, unit) in (attributes or {}).items():
            a[name] = values
            if unit:
                a[name].attrs["units"] = unit
    lines = ["node_type_id pop_name excitatory model_type model_template",
             f"1 E 1 point_neuron nrn:{template}", f"2 I 0 point_neuron nrn:{template}"]
    (path.parent / "node_types.csv").write_text("\n".join(lines) + "\n")


def nodes_circuit(population):
    """The networks entry of circuit_config.json with the nodes (edges: none; the caller
    adds its own)."""
    return {"nodes": [{"nodes_file": "$BASE_DIR/nodes.h5", "node_types_file": "$BASE_DIR/node_types.csv",
                       "populations": {population: {"type": "point_neuron"}}}], "edges": []}
