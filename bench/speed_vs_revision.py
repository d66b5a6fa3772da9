"""Speed of a model now against an earlier revision, measured side by side in one run.

Usage:  .venv/bin/python bench/speed_vs_revision.py --base REV [--experiment baseline]
            [--set KEY=VALUE ...] [--duration 60] [--repeats 3] [--cpu 0]

Checks REV out into a temporary git worktree and runs the same experiment (one rank, no
figure) with that checkout's code and with this one's, alternately, REPEATS times each,
in this environment (same NEURON, same compiled mechanisms when the mod files agree),
every run pinned to one core (--cpu; a virtual machine's cores need not run at one
speed, so runs that land on different cores differ by more than the code does).
Prints each run's wall seconds per simulated second of the run loop, the medians, and
their ratio (this checkout / REV; below 1 is faster).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one_run(checkout, experiment, sets, duration, out, cpu):
    """Wall seconds per simulated second of one run with a checkout's code, on core cpu."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration:g}",
           *[a for s in sets for a in ("--set", s)], "--out", str(out), "--overwrite", "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=checkout, env=env, check=True, capture_output=True)
    return json.loads((out / "run.json").read_text())["wall_seconds_per_simulated_second"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="git revision to compare with")
    ap.add_argument("--experiment", default="baseline", help="experiment to run (default: the column's baseline)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter, as netcol run's")
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds per run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0, help="the core every run is pinned to (default 0)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=REPO, check=True,
                       capture_output=True)
        try:
            times = {"base": [], "now": []}
            for k in range(args.repeats):
                for label, checkout in (("base", base), ("now", REPO)):
                    out = Path(tmp) / f"out-{label}"
                    times[label].append(one_run(checkout, args.experiment, args.set, args.duration, out, args.cpu))
                    print(f"  {label} run {k + 1}: {times[label][-1]:.4f} wall s per simulated s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, capture_output=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.experiment}, {args.duration:g} s, one rank: {args.base} {med['base']:.4f}, now {med['now']:.4f} "
          f"wall s per simulated s; ratio now / {args.base} = {med['now'] / med['base']:.3f}")


if __name__ == "__main__":
    main()
