"""Run an experiment: build the column, initialise, advance block by block, record.

The simulation itself runs inside NEURON (``pc.psolve``); Python only acts between
blocks: it gathers the block's spikes to rank 0, writes them, and reports progress.
SIGINT and SIGTERM stop the run at the end of the current block with every file
closed and readable, and the run marked ``interrupted`` in run.json.
"""
import resource
import signal
import sys
import time

import numpy as np

from .cell import apply_mechanism_settings
from .playback import OriginalBackground, Playback, TrainingPulses
from .network import build
from .progress import Progress
from .record import SpikeWriter, run_metadata, write_json_atomic, write_nodes
from .scheduler import Scheduler, StateRecorder
from .staterec import StateWriter
from .runtime import neuron_h, parallel_context


class _StopFlag:
    """Set by SIGINT/SIGTERM; checked between blocks."""

    def __init__(self):
        self.signum = None
        self._old = {}

    def __enter__(self):
        for s in (signal.SIGINT, signal.SIGTERM):
            self._old[s] = signal.signal(s, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum

    def __exit__(self, *exc):
        for s, old in self._old.items():
            signal.signal(s, old)


#: Fixed time step (ms).  All cells are artificial, so every event is still handled at
#: its exact time; the step only sets how often NEURON checks the queue, and a step
#: that is exact in binary keeps h.t free of rounding.  (Global CVODE gives the same
#: spikes but costs about 5x more per event.)
DT = 0.5


def configure_integrator(h, pc):
    """Fixed step DT; spike exchange every minimum NetCon delay (at most 10 ms)."""
    h.CVode().active(0)
    h.dt = DT
    pc.set_maxstep(10)


def gather_spikes(pc, tvec, idvec):
    """Move this rank's recorded spikes to rank 0 (returns arrays there, None elsewhere)."""
    local = (tvec.as_numpy().copy(), idvec.as_numpy().astype(np.uint64))
    tvec.resize(0)
    idvec.resize(0)
    parts = pc.py_gather(local, 0)
    if pc.id() != 0:
        return None
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def set_protocol_globals(h, p):
    """Plasticity window and scaling switch at the start of a run."""
    h.stdp_on_NetcolIntf6 = 1 if p["plasticity"] else 0
    h.plast_start_NetcolIntf6 = p["learn_start"] * 1000.0
    h.plast_end_NetcolIntf6 = p["learn_end"] * 1000.0
    h.scaling_NetcolIntf6 = 0
    h.scaling_ton_NetcolIntf6 = p["scaling_start"] * 1000.0


def write_timeline(path, events):
    """timeline.csv: every protocol event as time (s), name."""
    lines = ["time_s,event"] + [f"{t / 1000.0:.6g},{name}" for t, name in events]
    path.write_text("\n".join(lines) + "\n")


def run_experiment(experiment, out_dir, argv=(), quiet=False, checkpoint_every=None):
    """Build and run an experiment, writing its outputs into out_dir.

    Parameters
    ----------
    experiment : netcol.experiment.Experiment
        Already checked.
    out_dir : pathlib.Path
        Already prepared (see :func:`netcol.record.prepare_output_dir`).
    argv : sequence of str
        Command line, recorded in run.json.
    quiet : bool
        No progress output.
    checkpoint_every : float, optional
        Seconds of simulated time between checkpoints.

    Returns
    -------
    dict
        Summary on rank 0 (status, spikes, wall times); None on other ranks.
    """
    h = neuron_h()
    pc = parallel_context()
    rank = int(pc.id())
    p = experiment.params
    t_wall0 = time.time()
    meta = run_metadata(experiment, int(pc.nhost()), list(argv)) if rank == 0 else None
    if rank == 0:
        write_json_atomic(out_dir / "run.json", meta)
    apply_mechanism_settings(h, experiment.mechanism_settings())
    model = build(experiment.column, scale=p["scale"], seed=p["seed"], rng=p["rng"],
                  trial_ms=p["trial_length"] * 1000.0 if p["trials"] else 0.0)
    set_protocol_globals(h, p)
    sources = ([OriginalBackground(model)] if p["rng"] == "original" else []) + \
              ([TrainingPulses(model, p)] if p["training"] else [])
    playback = Playback(model, sources) if sources else None
    state = StateRecorder(model)
    labels = ["learn_start", "learn_end", "final"] if p["plasticity"] else []
    scheduler = Scheduler(model, p, state, playback, checkpoint_every=checkpoint_every)
    writer = None
    if rank == 0:
        writer = SpikeWriter(out_dir / "spikes.h5")
        write_nodes(out_dir / "nodes.h5", model)
        write_timeline(out_dir / "timeline.csv", scheduler.events)
        state.writer = StateWriter(out_dir / "state.h5", model.n, state.pair_names,
                                   model.conn.pre[state.plastic_rows], model.conn.post[state.plastic_rows],
                                   labels, p["deletion_rule"] if p["rng"] != "original" else "original")
    setup_s = time.time() - t_wall0
    tvec, idvec = h.Vector(), h.Vector()
    pc.spike_record(-1, tvec, idvec)
    configure_integrator(h, pc)
    tstop = p["duration"] * 1000.0
    block = p["block"] * 1000.0
    lookahead = block + 1000.0
    if playback:
        playback.extend_to(lookahead)
    h.finitialize()
    if playback:
        playback.started = True
    scheduler.start()
    progress = Progress(tstop, enabled=(rank == 0 and not quiet))
    status, t_run0, n_spikes = "complete", time.time(), 0
    with _StopFlag() as stop:
        while h.t < tstop - 1e-9:
            t_next = min(h.t + block, tstop)
            if playback and playback.generated_to < t_next + lookahead - block:
                playback.extend_to(t_next + lookahead)
            pc.psolve(t_next)
            spikes = gather_spikes(pc, tvec, idvec)
            if rank == 0:
                writer.append(*spikes)
                n_spikes += len(spikes[0])
                progress.update(h.t, n_spikes, model.n)
            if pc.allreduce(1.0 if stop.signum else 0.0, 2) > 0:
                status = "interrupted"
                break
    if p["plasticity"] and status == "complete":
        state.snapshot("final", h.t)
    run_s = time.time() - t_run0
    progress.close()
    peak_mb = pc.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 2)
    if rank != 0:
        return None
    writer.close()
    state.writer.close()
    meta.update(status=status, t_reached_ms=h.t, spikes=n_spikes, setup_seconds=round(setup_s, 3),
                run_seconds=round(run_s, 3), wall_seconds_per_simulated_second=round(run_s / max(h.t / 1000, 1e-9), 5),
                peak_rss_mb_per_rank=round(peak_mb, 1), alive_at_end=len(scheduler.alive),
                deletion_rounds=scheduler.round)
    write_json_atomic(out_dir / "run.json", meta)
    if status == "interrupted":
        print(f"netcol: interrupted at t = {h.t / 1000:.3f} s of {tstop / 1000:g} s; "
              f"{n_spikes} spikes written to {out_dir / 'spikes.h5'} (readable)", file=sys.stderr)
    return meta
