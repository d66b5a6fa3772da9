"""Run an experiment of any model: assemble it, initialise, advance block by block,
checkpoint, finalise.

The simulation itself runs inside NEURON (``pc.psolve``); Python only acts between
blocks: it gathers the block's spikes to rank 0, writes them, and reports progress.
The model contributes everything else through its assembly (see
:mod:`netcol.build.assemble`): its timeline actions, probes, inputs and checkpoint state.
SIGINT and SIGTERM stop the run at the end of the current block with every file
closed and readable, and the run marked ``interrupted`` in run.json.

Errors during the blocks are settled between blocks, on every rank together: an
exception on any rank (in a timeline event, before or after a block, an injected
fault) is kept while that rank still takes part in every collective call of the block;
the stop-flag reduction at the block's end tells every rank, the ranks' errors are
gathered, and rank 0, the only writer of run.json, closes its files and marks the run
``failed`` naming the first failing rank and its error (:class:`RunFailed`), before any
rank ends.  A (nearly) full disk stops the writes (netcol.io.space) and ends the run
``failed`` the same way, its files closed and readable, resumable from its last
checkpoint.
"""
import errno
import resource
import signal
import sys
import time
import traceback

import numpy as np

from .. import __version__
from ..build.assemble import assemble
from .checkpoint import write as write_checkpoint
from .faults import inject, planned_fault
from .progress import Progress
from ..io.record import (NODE_SETS_FILE, SpikeWriter, circuit_files, run_metadata, stamp_run_id,
                         write_sonata_configs)
from ..io import space
from ..io.rundir import DiskFullError, claim, new_run_id, release_space, reserve_space, write_json_atomic
from .runtime import neuron_h, parallel_context
from .scheduler import Scheduler
from .traces import Traces


#: Seconds of wall time between progress updates of run.json.
META_EVERY = 2.0


class RunFailed(RuntimeError):
    """An error on one rank during the blocks, raised on every rank once rank 0 has
    recorded it in run.json (see the module's description).

    Attributes
    ----------
    rank : int
        The first rank that failed.
    kind : str
        The type name of its exception (e.g. InjectedFault, MemoryError).
    details : str
        Its traceback, as that rank printed it.
    """

    collective = True   # the same on every rank: rank 0 reports it, nobody aborts

    def __init__(self, rank, kind, message, details=""):
        super().__init__(message)
        self.rank, self.kind, self.details = rank, kind, details


class SetupInterrupted(Exception):
    """SIGINT or SIGTERM during a run's set-up (building the network can take minutes):
    raised at once, between two set-up steps, instead of waiting for the first block."""

    def __init__(self, signum):
        super().__init__(f"interrupted by {signal.Signals(signum).name} during set-up, before the run began")
        self.signum = signum


class _StopFlag:
    """Set by SIGINT/SIGTERM (from the start of set-up on); checked between blocks.
    During set-up (until the Run is built) a signal raises SetupInterrupted at once."""

    def __init__(self):
        self.signum = None
        self.during_setup = True
        self.run = None   # the Run being set up (for closing its files)
        self._old = {}

    def __enter__(self):
        for s in (signal.SIGINT, signal.SIGTERM):
            self._old[s] = signal.signal(s, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum
        if self.during_setup:
            self.during_setup = False   # once: its handling is not interrupted again
            raise SetupInterrupted(signum)

    def __exit__(self, *exc):
        for s, old in self._old.items():
            signal.signal(s, old)


def configure_integrator(h, pc, dt):
    """Fixed step dt (ms); spike exchange every minimum NetCon delay (at most 10 ms).

    The step must be exact in binary (a multiple of a power of two such as 1/32 ms): with
    a step like 0.025 ms, h.t drifts by rounding and psolve stops a step short of where
    it was asked to (see :func:`neuron_time`)."""
    if float(dt).as_integer_ratio()[1] > 2 ** 20:
        raise ValueError(f"the binding's step DT = {dt!r} ms is not exact in binary; use e.g. 1/32 ms")
    h.CVode().active(0)
    h.dt = dt
    pc.set_maxstep(10)


def neuron_time(t_ms, dt):
    """Where NEURON stops for a protocol time: the nearest whole number of its steps.

    Parameters
    ----------
    t_ms : float
        A protocol time (ms), a whole number of the model's steps
        (netcol.cells.protocol_step).
    dt : float
        NEURON's step (ms), exact in binary.

    Returns
    -------
    float
        A multiple of dt, which h.t reaches exactly.  It may differ from t_ms where the
        model's step is not a multiple of dt (0.1 against 1/32 ms), but never by more
        than dt / 2, and no event of such a model lies that close to a whole step (see
        netcol.cells.condlif.PROTOCOL_STEP): stopping there leaves the state at t_ms.
    """
    return round(t_ms / dt) * dt


def gather_spikes(pc, tvec, idvec):
    """Move this rank's recorded spikes to rank 0 (returns arrays there, None elsewhere)."""
    # np.array copies through the buffer protocol; Vector.as_numpy() leaks about 0.4 KB a
    # call in NEURON 9.0.2 (0.8 MB per 1000 blocks of a run)
    local = (np.array(tvec), np.array(idvec).astype(np.uint64))
    tvec.resize(0)
    idvec.resize(0)
    parts = pc.py_gather(local, 0)
    if pc.id() != 0:
        return None
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def write_timeline(path, events):
    """timeline.csv: every protocol event as time (s), name."""
    lines = ["time_s,event"] + [f"{t / 1000.0:.6g},{name}" for t, name in events]
    path.write_text("\n".join(lines) + "\n")


class Run:
    """One run of an experiment: initialise (fresh or from a checkpoint), advance block by
    block, finalise.  Every rank creates the same Run; rank 0 writes the files.

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
        Already checked.
    out_dir : pathlib.Path
        Already prepared (see :func:`netcol.io.rundir.prepare_output_dir`).
    argv : sequence of str
        Command line, recorded in run.json.
    quiet : bool
        No progress output.
    checkpoint_every : float, optional
        Seconds of simulated time between checkpoints.
    resume : dict, optional
        A checkpoint (netcol.engine.checkpoint.read) to continue from.
    stop : _StopFlag, optional
        Set by a signal; the run stops at the end of the current block.
    """

    def __init__(self, experiment, out_dir, argv=(), quiet=False, checkpoint_every=None, resume=None, stop=None):
        self.h, self.pc = neuron_h(), parallel_context()
        self.rank = int(self.pc.id())
        self.experiment, self.out_dir, self.quiet, self.resume = experiment, out_dir, quiet, resume
        self.stop = stop
        self.error = None   # the first exception on this rank during the blocks
        self.failure = None   # (rank, type name, message, traceback) of the run's first failing rank
        self.guard = space.activate(out_dir)
        self.writer = None
        self.model = self.traces = None
        if stop is not None:
            stop.run = self
        self.run_s = 0.0
        # wall seconds of simulation of the earlier parts of a resumed run
        self.wall_before = resume.get("wall_seconds", 0.0) if resume else 0.0
        self.t_run0 = time.time()
        self.fault = planned_fault(self.rank)
        p = self.p = experiment.params
        t_wall0 = time.time()
        self.meta = None
        self.run_id = resume.get("run_id") if resume else new_run_id()
        if self.rank == 0:
            self.meta = run_metadata(experiment, int(self.pc.nhost()), list(argv))
            self.meta.update(checkpoint_every=checkpoint_every, run_id=self.run_id)
            if resume:
                self.meta.update(resumed_from_ms=resume["t"], t_reached_ms=resume["t"])
            claim(out_dir, "run.json")
            reserve_space(out_dir)
            write_json_atomic(out_dir / "run.json", self.meta)
            self.meta_written = time.time()
        # from here on only rank 0 writes run.json: no rank may fail before it is there
        self.pc.barrier()
        self.model = assemble(experiment, needs=("checkpoints",) if checkpoint_every or resume else ())
        events = self.model.timeline(checkpoint_every)
        self.traces = Traces(experiment, self.model, resume)   # [[record]] tables
        actions = dict(self.model.actions(), checkpoint=self.checkpoint, **self.traces.actions())
        self.scheduler = Scheduler(self.traces.timeline(events), actions, self.model.after_event, keep_errors=True)
        self.n_spikes = resume["spikes_written"] if resume else 0
        self.recent = (np.empty(0), np.empty(0, dtype=np.uint64))   # rank 0: the last spikes, for checkpoints
        # the protocol time reached (ms); h.t is its image on NEURON's grid (neuron_time)
        self.t = self.t_last_gather = self.t_written = resume["t"] if resume else 0.0
        self.rates = (0.0, 0.0)
        if self.rank == 0:
            self._open_files(events)
        self.setup_s = time.time() - t_wall0
        self.tvec, self.idvec = self.h.Vector(), self.h.Vector()
        self.pc.spike_record(-1, self.tvec, self.idvec)
        self.dt = self.model.binding.DT
        configure_integrator(self.h, self.pc, self.dt)
        self.tstop = p["duration"] * 1000.0
        self.block = p["block"] * 1000.0
        if stop is not None:   # from here on a signal stops the run at a block's end
            stop.during_setup = False

    def _open_files(self, events):
        network = self.model.sonata_network()
        reports, node_sets = self.traces.sonata_reports()   # the [[record]] tables' reports, listed
        # state.h5: every model's state file (see netcol.engine.checkpoint.belongs_to_run)
        claim(self.out_dir, "spikes.h5", "state.h5", "timeline.csv", "circuit_config.json", "simulation_config.json",
              *circuit_files(network), *([NODE_SETS_FILE] if node_sets else []))
        self.writer = SpikeWriter(self.out_dir / "spikes.h5", population=self.model.population,
                                  keep=self.n_spikes if self.resume else None, run_id=self.run_id)
        self.model.write_nodes(self.out_dir / "nodes.h5")
        write_sonata_configs(self.out_dir, network, self.p["duration"] * 1000.0, self.model.binding.DT, self.p["seed"],
                             reports, node_sets)
        write_timeline(self.out_dir / "timeline.csv", events)
        self.model.open_outputs(self.out_dir, self.run_id, self.resume)
        self.traces.open(self.out_dir, self.run_id)
        for name in circuit_files(network):
            if name.endswith(".h5") and (self.out_dir / name).exists():
                stamp_run_id(self.out_dir / name, self.run_id)

    # ------------------------------------------------------------------ initialise
    def initialize(self):
        """Initialise the model, from t = 0 or from the checkpoint, and start the timeline."""
        self.model.initialize(self.resume)
        if self.resume:   # the model restored the state at t; NEURON's clock stays on its own grid
            self.h.t = neuron_time(self.t, self.dt)
        self.scheduler.start(from_time=self.t + 1e-6 if self.resume else 0.0)

    # ------------------------------------------------------------------ advance
    def _local(self, work, *args):
        """Do this rank's own work (no collective call in it), unless this rank has
        already failed; keep its exception instead of raising it."""
        if self.error is None:
            self._catching(work, *args)

    def _catching(self, work, *args):
        """Do work whose collective calls come before its own part (every rank must call
        it, also after failing); keep its exception instead of raising it."""
        try:
            work(*args)
        except Exception as err:
            if self.error is None:
                self.error = err

    def _gather(self, t):
        """Write the spikes up to protocol time t (ms) since the last gather; keep the E
        and I rates (Hz) over that span (rank 0)."""
        self._catching(self.traces.flush)
        spikes = gather_spikes(self.pc, self.tvec, self.idvec)
        span = (t - self.t_last_gather) / 1000.0
        self.t_last_gather = t
        if self.rank == 0:
            self._local(self._write_spikes, t, spikes, span)

    def _write_spikes(self, t, spikes, span):
        ex = self.model.excitatory
        n_e = np.count_nonzero(ex[spikes[1].astype(np.int64)])
        if span > 0:   # a block's end right after a checkpoint's gather has nothing new: keep the rates
            self.rates = (n_e / ex.sum() / span, (len(spikes[1]) - n_e) / (~ex).sum() / span)
        self.writer.append(*spikes)
        if space.stopped():   # not written: the count stays that of spikes.h5
            return
        self.n_spikes += len(spikes[0])
        self.t_written = t
        if time.time() - self.meta_written > META_EVERY:   # how far a running or killed run got
            self.guard.attempt(self._write_meta, t_reached_ms=t)
        t_all = np.concatenate([self.recent[0], spikes[0]])
        g_all = np.concatenate([self.recent[1], spikes[1]])
        # the spikes a resume delivers again: those still in flight, up to the model's
        # longest delay (pathway delays) after their emission
        window = max(20.0, getattr(self.model, "longest_delay_ms", 0.0) + 1.0)
        keep = t_all > t_all.max() - window if len(t_all) else slice(0)
        self.recent = (t_all[keep], g_all[keep])

    def advance(self):
        """Run to the end, or until a stop (see :meth:`_stop_requested`); return 'complete',
        'interrupted', 'failed' (a full disk) or 'error' (an error on any rank)."""
        pc = self.pc
        progress = Progress(self.tstop, t_start=self.t, enabled=(self.rank == 0 and not self.quiet))
        status = "complete"
        self.t_run0 = time.time()
        if self._stop_requested():   # a signal during set-up
            status = "interrupted"
        while status == "complete" and self.t < self.tstop - 1e-9:
            # blocks on a fixed grid from 0, also after a resume
            t_next = min((np.floor(self.t / self.block + 1e-9) + 1) * self.block, self.tstop)
            self._local(self.model.before_block, t_next)
            pc.psolve(neuron_time(t_next, self.dt))
            self.t = t_next
            self._local(self.model.after_block, self.t)
            self._gather(self.t)
            if self.rank == 0:
                progress.update(self.t, *self.rates)
            self._local(self._inject)
            status = self._stop_requested() or status
            if status == "complete" and self.fault and self.fault[0] == "fill":
                self._local(self._inject, True)
        progress.close()
        self.run_s = time.time() - self.t_run0
        return status

    def _inject(self, after_check=False):
        self.fault = inject(self.fault, self.t, self.out_dir, after_check)

    def _failed_here(self):
        """This rank's first error of the run so far, or None."""
        return self.error or self.scheduler.error

    def _stop_requested(self):
        """'error' after an error on any rank (self.failure then names the first failing
        rank and its error, on every rank), 'failed' when the disk is nearly full (see
        netcol.io.space) or a write found it full, 'interrupted' after a signal on any
        rank, else None; the same answer on every rank."""
        full = not self.guard.ok() if self.rank == 0 else self.guard.message is not None
        code = 3.0 if self._failed_here() else 2.0 if full else 1.0 if self.stop and self.stop.signum else 0.0
        code = self.pc.allreduce(code, 2)
        if code == 3.0:
            err = self._failed_here()
            mine = None if err is None else (type(err).__name__, str(err) or repr(err),
                                             "".join(traceback.format_exception(err)))
            everyone = self.pc.py_allgather(mine)
            rank = next(r for r, e in enumerate(everyone) if e is not None)
            self.failure = (rank, *everyone[rank])
        return {0.0: None, 1.0: "interrupted", 2.0: "failed", 3.0: "error"}[code]

    # ------------------------------------------------------------------ checkpoint
    def checkpoint(self, t):
        """Save the complete state at time t (called by the scheduler at t, on every rank);
        nothing is saved once a rank has failed or the writes have stopped for a full disk."""
        # the model first: it brings the cells to t, and an engine that handles its events
        # in windows emits the spikes before t only then
        model_state = self.model.checkpoint_state(t)
        self._gather(t)
        # the same answer on every rank (they all take part in a checkpoint)
        bad = self.pc.allreduce(1.0 if self._failed_here() or self.guard.message else 0.0, 2)
        if self.rank != 0 or bad:
            return
        data = dict(t=t, netcol_version=__version__, effective=self.experiment.effective(), run_id=self.run_id,
                    recent_spikes=self.recent, spikes_written=self.n_spikes, file_counts=self.model.output_counts(),
                    trace_rows=self.traces.rows(),
                    wall_seconds=self.wall_before + time.time() - self.t_run0, **model_state)
        if self.guard.attempt(write_checkpoint, self.out_dir, data):
            self.guard.attempt(self._write_meta, last_checkpoint_ms=t, t_reached_ms=t)

    def _write_meta(self, **fields):
        """Update run.json (rank 0)."""
        self.meta.update(fields)
        write_json_atomic(self.out_dir / "run.json", self.meta)
        self.meta_written = time.time()

    # ------------------------------------------------------------------ finalise
    def finalize(self, status):
        """Final snapshot, close files, complete run.json; return the summary on rank 0."""
        pc = self.pc
        self.model.finalize(status, self.t, self.out_dir)
        peak_mb = pc.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 2)
        # a write of the final state on any rank may have met a full disk
        if pc.allreduce(1.0 if self.guard.message else 0.0, 2):
            status = "failed"
        if self.rank != 0:
            return None
        if status == "failed":   # as far as the files go
            self.t = self.t_written
        if self.guard.gone:   # nothing left to write to
            self.abandon()
            raise RunFailed(0, "RunFolderGone", f"{self.guard.message}; stopped at t = {self.t / 1000:.3f} s")
        release_space(self.out_dir)   # room for HDF5's last metadata on a full disk
        self.writer.close()
        self.traces.close()
        self.model.close_outputs()
        self._write_meta(status=status, t_reached_ms=self.t, spikes=self.n_spikes, setup_seconds=round(self.setup_s, 3),
                         run_seconds=round(self.run_s, 3), run_seconds_total=round(self.wall_before + self.run_s, 3),
                         wall_seconds_per_simulated_second=round(self.run_s / max((self.t - self._t0()) / 1000, 1e-9), 5),
                         peak_rss_mb_per_rank=round(peak_mb, 1), **self.model.summary())
        if status == "failed":
            message = self.guard.message or f"a write on another rank found the device of {self.out_dir} full"
            self._write_meta(error=f"DiskFullError: {message}")
            print(f"netcol: error: {message}; stopped at t = {self.t / 1000:.3f} s with every file closed\n"
                  f"  hint: free space on that file system, then netcol resume from the last checkpoint",
                  file=sys.stderr)
        if status == "interrupted":
            print(f"netcol: interrupted at t = {self.t / 1000:.3f} s of {self.tstop / 1000:g} s; "
                  f"{self.n_spikes} spikes written to {self.out_dir / 'spikes.h5'} (readable)", file=sys.stderr)
        return self.meta

    def _t0(self):
        return self.resume["t"] if self.resume else 0.0

    def record_failure(self):
        """After an error on any rank (advance returned 'error'): rank 0 closes its files
        and marks the run failed in run.json; then every rank raises the same RunFailed."""
        rank, kind, message, details = self.failure
        if self.rank == 0:
            release_space(self.out_dir)
            self.abandon()
            self._write_meta(status="failed", t_reached_ms=self.t, spikes=self.n_spikes, error=f"{kind}: {message}",
                             failed_on_rank=rank)
        return RunFailed(rank, kind, message, details)

    def abandon(self):
        """Close the output files after an error, keeping every completed block readable."""
        closers = [self.writer.close if self.writer else None, self.model.close_outputs if self.model else None,
                   self.traces.close if self.traces else None]
        for close in closers:
            if close is not None:
                try:
                    close()
                except Exception:   # the error being handled is the one to report
                    pass


def _setup_interrupted(out_dir, run):
    """After SetupInterrupted: close what the set-up opened and (rank 0) mark run.json
    interrupted at t = 0, if the run had written it."""
    from pathlib import Path
    from ..engine.runtime import launcher_rank_and_size
    from ..io.rundir import mark_status
    if run is not None:
        run.abandon()
    if launcher_rank_and_size()[0] == 0 and (Path(out_dir) / "run.json").exists():
        try:
            mark_status(out_dir, "interrupted", t_reached_ms=0.0)
        except OSError:
            pass


#: True once this process has started a run: NEURON keeps a run's cells until the process ends.
_started = False


def run_experiment(experiment, out_dir, argv=(), quiet=False, checkpoint_every=None, resume=None):
    """Build, initialise, run and finalise an experiment (see :class:`Run`), once per
    process (:func:`netcol.run` runs each experiment in its own process).

    Parameters
    ----------
    experiment : netcol.config.experiment.Experiment
    out_dir : str or pathlib.Path
        The run folder; created (parents too) if missing.

    Returns
    -------
    dict
        Summary on rank 0 (status, spikes, wall times); None on other ranks.

    Raises
    ------
    RuntimeError
        This process has already run an experiment.
    """
    from pathlib import Path
    from ..io.rundir import OutputError
    global _started
    if _started:
        raise RuntimeError("this process has already run an experiment, and NEURON keeps its cells until the "
                           "process ends: run each experiment in a process of its own (netcol.run does)")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"output directory {out_dir} cannot be created: {err.strerror}") from None
    _started = True
    with _StopFlag() as stop:
        run = None
        try:
            run = Run(experiment, out_dir, argv, quiet, checkpoint_every, resume, stop)
            run.initialize()
            status = run.advance()
            if status == "error":
                raise run.record_failure()
            return run.finalize(status)
        except OSError as err:
            if err.errno == errno.ENOSPC or "No space left" in str(err):
                # HDF5 cannot close a file whose write failed midway (it crashes at exit):
                # the files stay as of their last flush and the caller ends the process
                raise DiskFullError(errno.ENOSPC, f"no space left on the device of {out_dir}") from None
            if run is not None:
                run.abandon()
            raise
        except RunFailed:
            raise
        except SetupInterrupted:
            _setup_interrupted(out_dir, stop.run)
            raise
        except BaseException:
            if run is not None:
                run.abandon()
            raise
