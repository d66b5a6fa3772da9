"""Reproduce Figures 2-7 of Rowan & Neymotin (2013) end to end and report how long it took.

Usage:
    .venv/bin/python batch/reproduce_paper.py [--out runs/paper] [--np 2] [--quick F]

Runs the five experiments of the paper (experiments.md §8) into <out>/<experiment>, each
with checkpoints; an interrupted run is resumed rather than restarted, a complete one is
kept.  Then draws <out>/figure2..7.png and .pdf.  Full length: two 160 000-s deletion
runs, one 160 000-s scaling run and two 9600-s training runs (at about 0.05 s of wall time
per simulated second on 2 ranks, roughly 7 hours).  --quick F divides every duration and
protocol time by F for a preview (F = 100: about 5 minutes).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETCOL = [sys.executable, "-m", "netcol.cli"]

#: Time parameters (s) of each experiment that --quick scales down.
TIMES = {
    "onlydeletion": ("duration", "segment_length", "trial_length", "recording_interval", "recording_start"),
    "scalingwithdeletion": ("duration", "segment_length", "trial_length", "recording_interval", "recording_start",
                            "scaling_start"),
    "onlyscaling": ("duration", "recording_interval", "recording_start", "scaling_start"),
    "onlytraining": ("duration", "learn_start", "learn_end", "recording_interval", "recording_start"),
    "trainingandscaling": ("duration", "learn_start", "learn_end", "recording_interval", "recording_start",
                           "scaling_start"),
}


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
    """Run (or resume, or keep) one experiment; return its status."""
    step = next_step(out)
    if step == "keep":
        print(f"  {name}: complete already, kept", flush=True)
        return "complete"
    if step == "resume":
        print(f"  {name}: resuming from its checkpoint", flush=True)
        subprocess.run([*NETCOL, "resume", str(out), "--np", str(np_)], cwd=REPO, check=True)
        return json.loads((out / "run.json").read_text())["status"]
    duration = 160000.0 if "training" not in name else 9600.0
    every = max(duration / factor / 20, 1.0)
    cmd = [*NETCOL, "run", name, "--out", str(out), "--np", str(np_), "--checkpoint-every", f"{every:g}",
           "--overwrite"]
    for s in quick_sets(name, factor) if factor != 1 else []:
        cmd += ["--set", s]
    print(f"  {name}: {' '.join(cmd[2:])}", flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)
    return json.loads((out / "run.json").read_text())["status"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/paper", help="folder of the runs and figures")
    ap.add_argument("--np", type=int, default=2, help="MPI ranks per run")
    ap.add_argument("--quick", type=float, default=1.0, metavar="F", help="divide all durations by F")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for name in TIMES:
        t = time.time()
        status = run_one(name, out / name, args.np, args.quick)
        print(f"  {name}: {status} in {time.time() - t:.0f} s", flush=True)
    for n in range(2, 8):
        subprocess.run([*NETCOL, "plot", str(out), "--figure", str(n)], cwd=REPO, check=True)
    print(f"reproduce_paper: all runs and figures 2-7 in {out} after {time.time() - t0:.0f} s "
          f"({'quick x1/' + format(args.quick, 'g') if args.quick != 1 else 'full length'})")


if __name__ == "__main__":
    main()
