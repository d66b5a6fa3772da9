"""Checkpoints: the complete state of a run at a time T, keyed by gid and connection row,
so that a run can resume from it on any number of ranks with the same result.

The run loop saves what every run has (time, version, parameters, run id, the spikes
still in flight, how far each output file had been written); the model adds its own
part (for the column: every cell's state through its binding, the NetCon weight slots
that change, played-back inputs, the protocol's decisions, the mechanism's settings).
It is taken inside a timeline event (exact time order) and written by rank 0 to
``checkpoint.npz`` through a temporary file and a rename.

Run folders are shared between people, so reading a checkpoint must never run code:
the file is a NumPy archive read with ``allow_pickle=False``.  Its member ``tree`` is
UTF-8 JSON describing the nested data; every array and NumPy scalar lives in one
member per dtype (``b0``, ``b1``, ...), so the bits and dtypes come back exactly.  In
the tree, JSON's own values stand for themselves (None, bools, ints, strings, lists,
finite floats: Python writes and reads floats exactly); everything else is an object
with one key: ``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}`` (keys of any of
these types, e.g. int gids), ``{"float": hex bits}`` (NaN, inf), ``{"array": [member,
offset, shape]}``, ``{"scalar": [member, offset]}``.  The pickled checkpoints of
earlier netcol versions (``checkpoint.pkl``) are refused, never read.
"""
import json
import os
import struct
from pathlib import Path

import numpy as np

from ..io.rundir import CHECKPOINT_FILE, RunFolderError, claim

FILE = CHECKPOINT_FILE
#: The pickled checkpoint of earlier netcol versions: refused, since unpickling runs code.
LEGACY_FILE = "checkpoint.pkl"
#: What the tree's header says: this format and its version.
FORMAT, FORMAT_VERSION = "netcol-checkpoint", 1
#: Array kinds a checkpoint holds (bool, integers, floats, complex, bytes, text, times):
#: every one whose dtype the .npy header keeps exactly without pickling.
ARRAY_KINDS = "biufcSUmM"


class _Packer:
    """Nested data -> a JSON tree, with the arrays' values gathered per dtype."""

    def __init__(self):
        self.members = {}   # dtype -> (member index, list of flat arrays, values so far)

    def _place(self, a, where):
        """(member, offset) of array a's values, appended to its dtype's member."""
        if a.dtype.kind not in ARRAY_KINDS or a.dtype.fields is not None:
            raise TypeError(f"checkpoint: {where}: an array of dtype {a.dtype} cannot be stored "
                            f"(kinds {ARRAY_KINDS} only)")
        if a.dtype not in self.members:
            self.members[a.dtype] = (len(self.members), [], 0)
        index, parts, size = self.members[a.dtype]
        parts.append(a.ravel())
        self.members[a.dtype] = (index, parts, size + a.size)
        return index, size

    def encode(self, x, where="checkpoint"):
        """The JSON tree of x (where: its path, for errors)."""
        if x is None or type(x) in (bool, int, str):
            return x
        if type(x) is float:
            return x if np.isfinite(x) else {"float": struct.pack("<d", x).hex()}
        if type(x) is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if type(x) is tuple:
            return {"tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]}
        if type(x) is dict:
            return {"dict": [[self.encode(k, f"{where} key"), self.encode(v, f"{where}[{k!r}]")]
                             for k, v in x.items()]}
        if type(x) is np.ndarray:
            return {"array": [*self._place(x, where), list(x.shape)]}
        if isinstance(x, np.generic):
            return {"scalar": list(self._place(np.asarray(x), where))}
        raise TypeError(f"checkpoint: {where}: a {type(x).__name__} cannot be stored")

    def arrays(self):
        """The archive's members of array values: b<index> -> one flat array per dtype."""
        out = {}
        for dtype, (index, parts, size) in self.members.items():
            # filled in place: np.concatenate would turn a non-native byte order native
            flat, at = np.empty(size, dtype), 0
            for part in parts:
                flat[at:at + part.size] = part
                at += part.size
            out[f"b{index}"] = flat
        return out


def encode(data):
    """The members of a checkpoint archive holding data (see the module's description)."""
    packer = _Packer()
    tree = dict(format=FORMAT, version=FORMAT_VERSION, data=packer.encode(data))
    text = json.dumps(tree, allow_nan=False, separators=(",", ":"))
    return dict(tree=np.frombuffer(text.encode(), dtype=np.uint8), **packer.arrays())


def _tag(node):
    """(tag, value) of a tagged JSON object."""
    if len(node) != 1:
        raise ValueError(f"not a tagged value: {sorted(node)}")
    return next(iter(node.items()))


def decode(node, members):
    """The data of a JSON tree, its array values taken from members (b<index> -> array)."""
    if not isinstance(node, (list, dict)):
        return node
    if isinstance(node, list):
        return [decode(v, members) for v in node]
    tag, value = _tag(node)
    if tag == "tuple":
        return tuple(decode(v, members) for v in value)
    if tag == "dict":
        return {decode(k, members): decode(v, members) for k, v in value}
    if tag == "float":
        return struct.unpack("<d", bytes.fromhex(value))[0]
    if tag == "array":
        index, offset, shape = value
        size = int(np.prod(shape, dtype=np.int64))
        return _values(members, index, offset, size).reshape(shape)
    if tag == "scalar":
        index, offset = value
        return _values(members, index, offset, 1)[0]
    raise ValueError(f"unknown tag {tag!r}")


def _values(members, index, offset, size):
    """size values of member b<index> from offset (a view), checked to lie inside it."""
    flat = members[f"b{index}"]
    if not (isinstance(offset, int) and 0 <= offset and 0 <= size and offset + size <= len(flat)):
        raise ValueError(f"values {offset}+{size} outside member b{index} of {len(flat)}")
    return flat[offset:offset + size]


def write(run_dir, data):
    """Write a checkpoint atomically (the previous one stays valid until the rename; a
    failed write, e.g. on a full disk, leaves no temporary file).

    Parameters
    ----------
    run_dir : path
    data : dict
        Nested dicts, lists and tuples of None, bools, ints, floats, strings, NumPy
        arrays (no object arrays) and NumPy scalars; dict keys of any of these types.

    Raises
    ------
    TypeError
        data holds something else (naming where).
    """
    path = Path(run_dir) / FILE
    members = encode(data)
    claim(run_dir, FILE)
    tmp = Path(f"{path}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Entries every checkpoint holds.
REQUIRED = ("t", "netcol_version", "effective", "recent_spikes", "spikes_written", "file_counts")


def refuse_legacy(run_dir):
    """Raise RunFolderError if run_dir holds a pickled checkpoint of an older netcol."""
    path = Path(run_dir) / LEGACY_FILE
    if path.exists():
        raise RunFolderError(f"{path}: a pickled checkpoint of an earlier netcol, never read since "
                             f"unpickling a file can run any code; delete it (the run's outputs stay readable)")


def read(run_dir):
    """Read the last checkpoint of a run directory, or None if there is none.

    Raises
    ------
    RunFolderError
        The file is damaged (truncated, not a checkpoint) or of another format, naming
        it; or the folder holds a pickled checkpoint of an older netcol (never read).
    """
    refuse_legacy(run_dir)
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            members = {name: archive[name] for name in archive.files}
        tree = json.loads(members.pop("tree").tobytes().decode())
        if tree.get("format") != FORMAT:
            raise ValueError("not a netcol checkpoint")
        if tree.get("version") != FORMAT_VERSION:
            raise RunFolderError(f"{path}: checkpoint format {tree.get('version')!r}, this netcol reads format "
                                 f"{FORMAT_VERSION}; resume it with the netcol that wrote it")
        data = decode(tree["data"], members)
    except RunFolderError:
        raise
    except Exception as err:   # a damaged archive or tree can fail in many ways, none runs code
        raise RunFolderError(f"{path}: damaged checkpoint, cannot be read ({type(err).__name__}: {err})") from None
    missing = [k for k in REQUIRED if not isinstance(data, dict) or k not in data]
    if missing:
        raise RunFolderError(f"{path}: not a complete netcol checkpoint (missing {', '.join(missing)})")
    return data


def belongs_to_run(run_dir, ck, meta):
    """Refuse a checkpoint that does not belong to the output files it would continue.

    The run id written into run.json, spikes.h5, state.h5 and the checkpoint must agree,
    and the files must hold at least what the checkpoint counted."""
    import h5py
    from ..io.record import file_run_id, population_of
    run_id = ck.get("run_id")
    if run_id is None:   # written before run ids existed
        return
    if meta.get("run_id") != run_id:
        raise RunFolderError(f"{run_dir}: the checkpoint belongs to another run than run.json (run ids {run_id} "
                         f"and {meta.get('run_id')}); refusing to splice two runs")
    for name in ("spikes.h5", "state.h5"):
        path = Path(run_dir) / name
        try:
            with h5py.File(path, "r", swmr=True) as f:
                file_id = file_run_id(f)
                if name == "spikes.h5":
                    counts = {"spikes": f[f"spikes/{population_of(f, 'spikes')}/timestamps"].shape[0]}
                    needed = {"spikes": ck["spikes_written"]}
                else:
                    counts = {k: f[k].shape[0] for k in ck["file_counts"]}
                    needed = ck["file_counts"]
        except (OSError, KeyError) as err:
            raise RunFolderError(f"{path}: damaged or missing, cannot resume ({err})") from None
        if file_id != run_id:
            raise RunFolderError(f"{path} belongs to another run than the checkpoint (run ids {file_id} and {run_id}); "
                             "refusing to splice two runs")
        short = [f"{k}: {counts[k]} < {n}" for k, n in needed.items() if counts[k] < n]
        if short:
            raise RunFolderError(f"{path} holds less than the checkpoint counted ({', '.join(short)}); it was truncated")


def differences(saved, current, prefix=""):
    """List of 'key: saved -> current' lines where two nested dicts differ."""
    out = []
    for k in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(k, "<absent>"), current.get(k, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += differences(a, b, f"{prefix}{k}.")
        elif a != b and not (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)):
            out.append(f"{prefix}{k}: {a!r} -> {b!r}")
    return out
