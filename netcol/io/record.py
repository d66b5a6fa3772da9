"""Output files of a run (written by rank 0).

- ``spikes.h5``: SONATA spikes, ``/spikes/<population>/timestamps`` (ms, float64) and
  ``node_ids`` (uint64), sorted by time (the ``sorting`` enum attribute), appended block
  by block;
- ``nodes.h5``: the node table ``/nodes/<population>/``, written by the model (for the
  column: :mod:`netcol.models.rowan2013.nodes`);
- the run id (:data:`RUN_ID_ATTR`) in ``spikes.h5`` and the model's ``state.h5`` from
  their start, in ``nodes.h5`` and ``edges.h5`` once written (:func:`stamp_run_id`), so
  that a reader tells another run's file;
- ``run.json``: effective parameters, seeds, versions, commit, status and progress
  (written through :mod:`netcol.io.rundir`).

HDF5 files are opened in SWMR mode, so a reader sees a consistent file at any time.
``spikes.h5`` is flushed after every block, so an interrupted run keeps every completed
block; the models' state files write their rows at least once a wall second and when
closed (:class:`StateFileWriter`).
"""
import datetime
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from .. import __version__
from .space import guarded

def population_of(f, kind):
    """The population name in an open SONATA file: the one group under /spikes or /nodes."""
    names = list(f[kind]) if kind in f else []
    if len(names) != 1:
        raise KeyError(f"{kind}: expected one population, found {names or 'none'}")
    return names[0]
#: Root attribute of spikes.h5 and state.h5: the id of the run that wrote them.
RUN_ID_ATTR = "netcol_run_id"
#: HDF5 format bounds of netcol's growing files: SWMR needs 1.10 at least, and readers
#: built on HDF5 1.14 (libsonata among them) cannot read 2.0's objects.
LIBVER = ("v110", "v114")
#: SONATA's root attributes: the magic number and the format version.
SONATA_MAGIC, SONATA_VERSION = 0x0A7A, (0, 1)
#: SONATA's spike sorting values (an HDF5 enum attribute).
SORTING = {"none": 0, "by_id": 1, "by_time": 2}


def file_run_id(f):
    """The run id an open HDF5 file of a run carries (:data:`RUN_ID_ATTR`), or None."""
    value = f.attrs.get(RUN_ID_ATTR)
    return value.decode() if isinstance(value, bytes) else value


def open_to_write(path, mode="a"):
    """Open an existing HDF5 file of a run to write into it, whoever reads it.

    HDF5 locks a file for as long as anyone has it open, and a reader's lock (``netcol
    info``, a notebook, a SWMR reader too) makes a writer's open fail: a running run that
    reopens its files (AppendFile, every REOPEN_EVERY flushes) died of it.  The run
    folder's own lock (netcol.io.rundir.RunLock) keeps a second writer out, so writers
    set HDF5's aside.

    Parameters
    ----------
    path : pathlib.Path
    mode : {'a', 'r+'}

    Returns
    -------
    h5py.File
    """
    import h5py
    return h5py.File(path, mode, libver=LIBVER, locking=False)


def stamp_run_id(path, run_id):
    """Tag a closed HDF5 file of a run (its nodes and edges) with the run's id."""
    with open_to_write(path) as f:
        f.attrs[RUN_ID_ATTR] = run_id


def mark_sonata(file):
    """Give an open HDF5 file SONATA's root attributes (magic and version)."""
    file.attrs["magic"] = np.uint32(SONATA_MAGIC)
    file.attrs["version"] = np.array(SONATA_VERSION, dtype=np.uint32)


def git_commit():
    """The netcol checkout's commit (with '-dirty' if modified), or 'unknown'."""
    repo = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def run_metadata(experiment, nhost, argv):
    """The run.json content at the start of a run."""
    import neuron
    return dict(netcol_version=__version__, neuron_version=neuron.__version__, git_commit=git_commit(),
                command=argv, ranks=nhost, started=datetime.datetime.now().isoformat(timespec="seconds"),
                status="running", t_reached_ms=0.0, **experiment.effective())


#: Rows copied at a time by copy_truncated (16 MB of float64 per column).
COPY_ROWS = 2_000_000


def copy_truncated(path, keep):
    """Rewrite an HDF5 file keeping the first keep[name] rows of the named datasets.

    Used when a run resumes: the file may come from a killed writer (its SWMR flags
    still set, so it cannot be reopened for writing), and rows written after the
    checkpoint must go.  The old file is read in SWMR read mode, copied to a temporary
    file and renamed over it.

    Parameters
    ----------
    path : pathlib.Path
    keep : dict of str to int
        Dataset path -> rows to keep; other datasets are copied whole.
    """
    import h5py
    tmp = Path(str(path) + ".tmp")
    with h5py.File(path, "r", swmr=True) as src, h5py.File(tmp, "w", libver=LIBVER) as dst:
        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = dst.require_group(name)
            else:
                rows = min(keep[name], obj.shape[0]) if name in keep else (obj.shape[0] if obj.shape else None)
                shape = (rows, *obj.shape[1:]) if obj.shape else ()
                # the layout as it was: a contiguous dataset given a maxshape would become chunked,
                # and h5py refuses data= with a chunk larger than an empty shape
                layout = dict(maxshape=obj.maxshape, chunks=obj.chunks) if obj.chunks else {}
                g = dst.create_dataset(name, shape=shape, dtype=obj.dtype, **layout)
                if not obj.shape:
                    g[()] = obj[()]
                # a slab at a time: the spikes of a long run do not fit in memory at once
                for lo in range(0, rows or 0, COPY_ROWS):
                    g[lo:lo + COPY_ROWS] = obj[lo:min(lo + COPY_ROWS, rows)]
            copy_attrs(obj, g)
        copy_attrs(src, dst)
        src.visititems(copy)
    os.replace(tmp, path)


def copy_attrs(src, dst):
    """Copy every attribute of an HDF5 object with its exact datatype: assigned plainly, an
    enum (SONATA's ``sorting``) would become a plain integer, which SONATA readers refuse."""
    for name in src.attrs:
        dst.attrs.create(name, src.attrs[name], dtype=src.attrs.get_id(name).dtype)


def reopen_truncated(path, keep, snapshots=None, t_keep=None):
    """Reopen a state file to continue a run from a checkpoint: keep the first keep[name]
    rows of its growing datasets and forget the snapshots taken after t_keep.

    Parameters
    ----------
    path : pathlib.Path
    keep : dict of str to int
    snapshots : (str, sequence of str), optional
        The snapshots' group (with a 'time' dataset, one entry per label) and labels.
    t_keep : float, optional
        The checkpoint's time (ms).

    Returns
    -------
    AppendFile
    """
    copy_truncated(path, keep)
    f = open_to_write(path)
    if snapshots:
        group, labels = snapshots
        times = f[f"{group}/time"]
        for i, label in enumerate(labels):
            if not times[i] <= t_keep:
                f[f"{group}/{label}"][:] = np.nan
                times[i] = np.nan
    return AppendFile(f)


#: Flushes between a writer's close and reopen: HDF5 holds memory for an open file that
#: grows with every append (about 16 MB over the first 1000 blocks) until it is closed.
REOPEN_EVERY = 100
#: A state file's rows are written together at least this often (wall seconds).
WRITE_ROWS_EVERY_S = 1.0


class AppendFile:
    """An HDF5 file open for appending in SWMR mode (readers see a consistent file at any
    time), flushed after every append and closed and reopened every
    :data:`REOPEN_EVERY` flushes, which keeps its memory bounded.

    Parameters
    ----------
    file : h5py.File
        Open for writing, with every object created (SWMR forbids creating more).
    """

    def __init__(self, file):
        self.file, self.path, self.flushes = file, file.filename, 0
        self.file.swmr_mode = True
        # the growing datasets and their lengths at the last successful flush: a write
        # that failed on a full disk is cut back to them when the file is closed
        self.growing = []
        file.visititems(lambda name, obj: self.growing.append(name) if getattr(obj, "maxshape", None)
                        and obj.maxshape[0] is None else None)
        self.flushed = self._lengths()

    def _lengths(self):
        return {name: self.file[name].shape[0] for name in self.growing}

    def __getitem__(self, name):
        return self.file[name]

    def __contains__(self, name):
        return name in self.file

    def flush(self):
        """Flush; every REOPEN_EVERY flushes, close and reopen the file."""
        self.file.flush()
        self.flushed = self._lengths()
        self.flushes += 1
        if self.flushes % REOPEN_EVERY == 0:
            self.file.close()
            self.file = open_to_write(self.path)
            self.file.swmr_mode = True

    def close(self):
        """Flush and close.  After writes stopped on a full disk (see netcol.io.space),
        first cut every growing dataset back to its length at the last successful flush:
        rows past it may hold zeros where a failed write left them; a file that still
        cannot be closed is named in the guard's ``unclosed``."""
        from .space import active, is_disk_full, stopped
        if not self.file:
            return
        try:
            if stopped():
                for name, n in self.flushed.items():
                    if self.file[name].shape[0] != n:
                        self.file[name].resize(n, axis=0)
            self.file.flush()
            self.file.close()
        except Exception as err:
            if not (stopped() and is_disk_full(err)):
                raise
            active().unclosed.append(str(self.path))
        self.file = None


def sorted_by_time_then_gid(times, gids):
    """True if the spikes are in SONATA's by_time order already (ties by gid)."""
    dt = np.diff(times)
    return bool(np.all((dt > 0) | ((dt == 0) & (np.diff(gids.astype(np.int64)) > 0))))


class SpikeWriter:
    """Append spikes to a SONATA spikes file, one block at a time."""

    def __init__(self, path, population, keep=None, run_id=""):
        """Create the file (tagged with the run's id), or with keep = n reopen it and keep
        its first n spikes (resume)."""
        import h5py
        self.group = f"spikes/{population}"
        if keep is not None:
            copy_truncated(path, {f"{self.group}/timestamps": keep, f"{self.group}/node_ids": keep})
            file = open_to_write(path)
            self.count = keep
        else:
            file = h5py.File(path, "w", libver=LIBVER)
            file.attrs[RUN_ID_ATTR] = run_id
            mark_sonata(file)
            grp = file.create_group(self.group)
            grp.attrs.create("sorting", SORTING["by_time"], dtype=h5py.enum_dtype(SORTING, basetype=np.uint8))
            grp.create_dataset("timestamps", shape=(0,), maxshape=(None,), dtype="f8", chunks=(65536,))
            grp["timestamps"].attrs["units"] = "ms"
            grp.create_dataset("node_ids", shape=(0,), maxshape=(None,), dtype="u8", chunks=(65536,))
            self.count = 0
        self.file = AppendFile(file)

    @guarded
    def append(self, times, gids):
        """Append one block of spikes (any order; sorted here by time, then gid)."""
        if len(times):
            times, gids = np.asarray(times), np.asarray(gids)
            if not sorted_by_time_then_gid(times, gids):   # (one rank's spikes usually are)
                order = np.lexsort((gids, times))
                times, gids = times[order], gids[order]
            n = len(times)
            for name, values in (("timestamps", times), ("node_ids", gids)):
                ds = self.file[f"{self.group}/{name}"]
                ds.resize((self.count + n,))
                ds[self.count:] = values
            self.count += n
        self.file.flush()

    def close(self):
        """Flush and close."""
        self.file.close()


#: The node sets of a run's reports (SONATA node sets), beside simulation_config.json.
NODE_SETS_FILE = "node_sets.json"


def circuit_files(network):
    """The file names a model's circuit entry (its sonata_network()) names, in order."""
    entries = [*network.get("nodes", []), *network.get("edges", [])]
    return [v.removeprefix("$BASE_DIR/") for e in entries for k, v in e.items() if k.endswith("_file")]


def write_sonata_configs(out_dir, network, tstop_ms, dt_ms, seed, reports=None, node_sets=None):
    """``circuit_config.json`` and ``simulation_config.json``: a run folder opens as a
    SONATA circuit and simulation (libsonata, BMTK).

    Parameters
    ----------
    out_dir : pathlib.Path
    network : dict
        The model's ``nodes`` and ``edges`` entries (paths relative to $BASE_DIR).
    tstop_ms, dt_ms : float
    seed : int
    reports : dict, optional
        The simulation's ``reports`` section, {report name: entry}
        (:meth:`netcol.engine.traces.Traces.sonata_reports`); left out when empty.
    node_sets : dict, optional
        The node sets the reports' ``cells`` name, written to ``node_sets.json`` and named
        by the simulation's ``node_sets_file``.
    """
    import json
    circuit = {"manifest": {"$BASE_DIR": "."}, "networks": network}
    simulation = {"manifest": {"$OUTPUT_DIR": "."}, "network": "circuit_config.json",
                  "run": {"tstop": tstop_ms, "dt": dt_ms, "random_seed": seed},
                  "output": {"output_dir": "$OUTPUT_DIR", "spikes_file": "spikes.h5", "spikes_sort_order": "by_time"}}
    if node_sets:
        # the simulation's own node sets file (SONATA lets it override the circuit's): the
        # sets are the recorded cells of this run, not a property of the circuit
        simulation["node_sets_file"] = f"$OUTPUT_DIR/{NODE_SETS_FILE}"
        # one set a line: a set of 10,000 node ids stays one line, not 10,000
        lines = [f"  {json.dumps(name)}: {json.dumps(entry)}" for name, entry in node_sets.items()]
        (out_dir / NODE_SETS_FILE).write_text("{\n" + ",\n".join(lines) + "\n}\n")
    if reports:
        simulation["reports"] = reports
    for name, data in (("circuit_config.json", circuit), ("simulation_config.json", simulation)):
        (out_dir / name).write_text(json.dumps(data, indent=2) + "\n")


class StateFileWriter:
    """What the models' state.h5 writers share: growing datasets appended a row at a time,
    labelled snapshots, the rows written so far (saved in checkpoints), closing.  A
    subclass opens ``self.f`` (an :class:`AppendFile`) and names its growing datasets in
    ``GROWING`` and its snapshot labels in ``SNAPSHOTS`` (kept in the group ``snapshots``
    with a ``time`` dataset).

    Rows are held and written together (one resize and one write per dataset, then a
    flush) once :data:`WRITE_ROWS_EVERY_S` of wall time has passed since the first one
    held, and before a snapshot, the counts of a checkpoint and closing: the file is
    always readable and at most that far behind.  Written one by one, the ten records a
    simulated second of akil2021 took 5 % of its run time."""

    GROWING = ()
    SNAPSHOTS = ()
    f = None
    _held = None
    _held_since = 0.0

    def append_row(self, group, row):
        """Add one value to each dataset group/name of row (a dict)."""
        if not self._held:
            self._held, self._held_since = {}, time.monotonic()
        self._held.setdefault(group, []).append(row)
        if time.monotonic() - self._held_since >= WRITE_ROWS_EVERY_S:
            self.write_rows()

    @guarded
    def write_rows(self):
        """Write the rows held, then flush."""
        if not self._held:
            return
        for group, rows in self._held.items():
            for name in rows[0]:
                d = self.f[f"{group}/{name}"]
                n = d.shape[0]
                d.resize(n + len(rows), axis=0)
                d[n:] = np.array([r[name] for r in rows], dtype=d.dtype)
        self._held = None
        self.f.flush()

    @guarded
    def snapshot(self, label, t_ms, values):
        """Every value of a labelled snapshot, taken at t_ms."""
        self.write_rows()
        self.f[f"snapshots/{label}"][:] = values
        self.f["snapshots/time"][self.SNAPSHOTS.index(label)] = t_ms
        self.f.flush()

    def counts(self):
        """Rows written so far in each growing dataset (the rows held are written first)."""
        self.write_rows()
        return {k: self.f[k].shape[0] for k in self.GROWING if k in self.f}

    def close(self):
        """Write the rows held, flush and close."""
        self.write_rows()
        self.f.close()
