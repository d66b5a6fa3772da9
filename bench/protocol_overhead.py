"""Cost of protocol machinery and memory over run length (issue 4), as ratios of one run.

Usage:  .venv/bin/python bench/protocol_overhead.py [--duration S]

1. Overhead: the baseline with one state record against the same run with records every
   10 s (the densest any protocol uses), trials every 8 s and a deletion round every 10 s
   (10x and 160x denser than the protocols) and a checkpoint every 20 s (scale 1, one rank).
   A record costs about 10 ms and a checkpoint about 0.4 s of wall time at scale 1.
2. Memory: peak resident memory of a run of D and of 5 D simulated seconds.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(exp, sets, out, extra=()):
    cmd = [sys.executable, "-m", "netcol.cli", "run", exp, "--out", str(out), "--quiet", "--no-figure", *extra]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return json.loads((out / "run.json").read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="simulated seconds of the short runs")
    d = ap.parse_args().duration
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        plain = run("baseline", [f"duration={d}", f"recording_interval={d}"], tmp / "plain")
        busy = run("scalingwithdeletion", [f"duration={d}", "scaling=false", "recording_interval=10",
                                           "trial_length=8", "segment_length=10", "deletion_step=1",
                                           "scale_external=false"], tmp / "busy", ["--checkpoint-every", "20"])
        a, b = plain["wall_seconds_per_simulated_second"], busy["wall_seconds_per_simulated_second"]
        print(f"baseline, one record:                                      {a:.4f} wall s per simulated s")
        print(f"records every 10 s, trials, deletions, checkpoints:        {b:.4f} ({100 * (b / a - 1):+.1f} %)")
        short = run("onlyscaling", [f"duration={d}", "scaling_start=5", "recording_interval=1"], tmp / "short")
        long = run("onlyscaling", [f"duration={5 * d}", "scaling_start=5", "recording_interval=1"], tmp / "long")
        print(f"peak memory per rank: {d:g} s run {short['peak_rss_mb_per_rank']:.0f} MB, "
              f"{5 * d:g} s run {long['peak_rss_mb_per_rank']:.0f} MB "
              f"(ratio {long['peak_rss_mb_per_rank'] / short['peak_rss_mb_per_rank']:.2f})")


if __name__ == "__main__":
    main()
