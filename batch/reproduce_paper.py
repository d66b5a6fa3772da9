"""Reproduce Figures 2-7 of Rowan & Neymotin (2013) end to end and report how long it took.

Usage:
    .venv/bin/python batch/reproduce_paper.py [--out runs/paper] [--jobs 2] [--np 1] [--quick F]

Runs the five experiments of the paper (experiments.md §8) into <out>/<experiment>, each
with checkpoints and its output in <out>/<experiment>.log; an interrupted run is resumed
rather than restarted, a complete one is kept.  --jobs runs that many experiments at once,
the longest first, each on --np ranks; then it draws <out>/figure2..7.png and .pdf.

On a 2-core machine two one-rank runs at a time use the cores best: the column (470 cells)
runs 1.4 times faster on two ranks than on one (docs/performance.md), not twice as fast,
and on a loaded machine its ranks spend much of their time waiting in MPI.

Full length is about 500,000 simulated seconds: two 160,000-s deletion runs, one
160,000-s scaling run and two 9600-s training runs, whose runaway of activity makes them
as slow as a long run.  --quick F divides every duration and protocol time by F for a
preview (F = 100: a few minutes).
"""
import argparse
import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETCOL = [sys.executable, "-m", "netcol.cli"]

#: Time parameters (s) of each experiment that --quick scales down, the experiments in the
#: order they start: the longest in wall time first (measured on one rank), so that
#: parallel jobs end close together.
TIMES = {
    "onlyscaling": ("duration", "recording_interval", "recording_start", "scaling_start"),
    "onlytraining": ("duration", "learn_start", "learn_end", "recording_interval", "recording_start"),
    "scalingwithdeletion": ("duration", "segment_length", "trial_length", "recording_interval", "recording_start",
                            "scaling_start"),
    "onlydeletion": ("duration", "segment_length", "trial_length", "recording_interval", "recording_start"),
    "trainingandscaling": ("duration", "learn_start", "learn_end", "recording_interval", "recording_start",
                           "scaling_start"),
}


_SAY = threading.Lock()


def say(line):
    """Print one line whole: the runs report from parallel threads."""
    with _SAY:
        print(line, flush=True)


def quick_sets(name, factor):
    """--set values dividing the experiment's times by factor (block and checkpoints too)."""
    from netcol.config.experiment import load_experiment
    p = load_experiment(name).params
    sets = {k: p[k] / factor for k in TIMES[name]}
    # keep at most ~400 records: a record costs ~10 ms of wall time
    sets["recording_interval"] = max(sets["recording_interval"], sets["duration"] / 400)
    sets["block"] = max(0.5, min(p["block"], sets["duration"] / 20))
    return [f"{k}={v:g}" for k, v in sets.items()]


def next_step(out):
    """What to do with an experiment's folder: 'keep' a complete run, 'resume' one that
    stopped with a checkpoint, or 'run' it (afresh: nothing to resume)."""
    from netcol.io.rundir import CHECKPOINT_FILE
    meta = out / "run.json"
    if meta.exists():
        if json.loads(meta.read_text()).get("status") == "complete":
            return "keep"
        if (out / CHECKPOINT_FILE).exists():
            return "resume"
    return "run"


def run_one(name, out, np_, factor):
    """Run (or resume, or keep) one experiment, its output in <out>.log; return its status."""
    step = next_step(out)
    if step == "keep":
        say(f"  {name}: complete already, kept")
        return "complete (kept)"
    if step == "resume":
        cmd = [*NETCOL, "resume", str(out), "--np", str(np_)]
    else:
        duration = 160000.0 if "training" not in name else 9600.0
        every = max(duration / factor / 20, 1.0)
        cmd = [*NETCOL, "run", name, "--out", str(out), "--np", str(np_), "--checkpoint-every", f"{every:g}",
               "--overwrite"]
        for s in quick_sets(name, factor) if factor != 1 else []:
            cmd += ["--set", s]
    return run_logged(name, cmd, out)


def run_logged(name, cmd, out):
    """Run cmd, its output appended to <out>.log; return the status of the run in out
    (with the exit code if it failed)."""
    log = out.with_suffix(".log")
    say(f"  {name}: {' '.join(cmd[2:])}  (log: {log})")
    t = time.time()
    with open(log, "a") as f:
        code = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT).returncode
    meta = out / "run.json"
    status = json.loads(meta.read_text())["status"] if meta.exists() else "not started"
    if code != 0:
        status = f"{status}, exit code {code}"
    say(f"  {name}: {status} after {time.time() - t:.0f} s")
    return status


def run_all(jobs, names, start):
    """Call start(name) for every name, jobs at a time in the order given; return {name: status}."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip(names, pool.map(start, names)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/paper", help="folder of the runs and figures")
    ap.add_argument("--jobs", type=int, default=2, help="experiments run at once")
    ap.add_argument("--np", type=int, default=1, help="MPI ranks per run")
    ap.add_argument("--quick", type=float, default=1.0, metavar="F", help="divide all durations by F")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    statuses = run_all(args.jobs, list(TIMES), lambda name: run_one(name, out / name, args.np, args.quick))
    unfinished = {n: s for n, s in statuses.items() if s not in ("complete", "complete (kept)")}
    if unfinished:
        sys.exit(f"reproduce_paper: not complete after {time.time() - t0:.0f} s: "
                 + "; ".join(f"{n} {s}" for n, s in unfinished.items()) + " (run the same command again to resume)")
    for n in range(2, 8):
        subprocess.run([*NETCOL, "plot", str(out), "--figure", str(n)], cwd=REPO, check=True)
    print(f"reproduce_paper: all runs and figures 2-7 in {out} after {time.time() - t0:.0f} s "
          f"({'quick x1/' + format(args.quick, 'g') if args.quick != 1 else 'full length'})")


if __name__ == "__main__":
    main()
