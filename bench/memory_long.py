"""Resident memory over a long run: is it flat?

Usage:  .venv/bin/python bench/memory_long.py [--experiment baseline] [--duration 20000]
                                              [--checkpoint-every 2000] [--set KEY=VALUE ...]
                                              [--out FILE.csv]

Starts ``netcol run`` (one rank, no figure) and samples the process's resident memory
(VmRSS from /proc) every second of wall time, together with how far the run got
(run.json).  Prints the memory at every tenth of the run and the growth over its second
half, and writes every sample to a CSV file as it goes (an interrupted measurement keeps
what it saw).  A flat run grows by well under a megabyte over its second half.
``--set`` passes parameters on (for example ``--set rng=original`` for reference mode).
"""
import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rss_mb(pid):
    """Resident memory of a process (MB), or None once it has ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiment", default="baseline")
    ap.add_argument("--duration", type=float, default=20000.0, help="simulated seconds")
    ap.add_argument("--checkpoint-every", type=float, default=2000.0,
                    help="simulated seconds between checkpoints (0: none; the column's baseline then runs on its "
                         "rank engine)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter for the run")
    ap.add_argument("--out", default="memory_long.csv", help="CSV of the samples")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "netcol.cli", "run", args.experiment, "--set", f"duration={args.duration:g}",
               *[a for kv in args.set for a in ("--set", kv)],
               *(("--checkpoint-every", f"{args.checkpoint_every:g}") if args.checkpoint_every > 0 else ()),
               "--out", str(run_dir), "--quiet", "--no-figure"]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples, start = [], time.time()
        with open(args.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["wall_s", "simulated_s", "rss_mb"])
            while proc.poll() is None:
                mb = rss_mb(proc.pid)
                try:
                    t_sim = json.loads((run_dir / "run.json").read_text()).get("t_reached_ms", 0.0) / 1000.0
                except (OSError, ValueError):
                    t_sim = 0.0
                if mb is not None:
                    samples.append((round(time.time() - start, 1), t_sim, round(mb, 1)))
                    w.writerow(samples[-1])
                    f.flush()
                time.sleep(1.0)
        if proc.returncode != 0:
            sys.exit(f"netcol run failed: {proc.stderr.read().decode()[-2000:]}")
    print(f"{args.experiment}, {args.duration:g} s simulated, {samples[-1][0]:.0f} s of wall time")
    for frac in [k / 10 for k in range(1, 11)]:
        t_goal = frac * args.duration
        s = next((s for s in samples if s[1] >= t_goal), samples[-1])
        print(f"  at {s[1]:8.0f} s simulated: {s[2]:6.1f} MB")
    half = [s for s in samples if s[1] >= args.duration / 2]
    if half:
        print(f"growth over the second half: {half[-1][2] - half[0][2]:+.1f} MB "
              f"(peak {max(s[2] for s in samples):.1f} MB)")


if __name__ == "__main__":
    main()
