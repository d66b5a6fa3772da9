"""Reference mode against the default mode, side by side in one session.

Usage:  .venv/bin/python bench/reference_mode.py [--duration S] [--repeats N] [--json FILE]

Runs the baseline column (and onlytraining, with training on from the start) in the
default mode (keyed streams) and in reference mode (rng = original), alternating,
--repeats times each, every time for 2 s and for --duration simulated seconds.  It
reports the median CPU seconds per simulated second as the slope between the two (the
child processes' user + system time from getrusage: set-up cancels out, as in the
measurement of the original), the run loop's wall seconds per simulated second (from
run.json), the peak memory and the ratios.  The original model's slope (0.143 CPU s per
simulated s, NEURON 8.2, measured the same way by the issue that asks for this comparison,
on this kind of machine) is printed for orientation only: it was not measured here.
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The original's CPU seconds per simulated second (issue 17; not measured here).
ORIGINAL_S_PER_S = 0.143


def run(experiment, rng, duration, out, extra=()):
    """One run in its own process: (CPU s, run-loop wall s per simulated s, peak MB)."""
    cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration}", "--set",
           f"rng={rng}", *extra, "--out", str(out), "--overwrite", "--quiet", "--no-figure"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    meta = json.loads((out / "run.json").read_text())
    return cpu, meta["wall_seconds_per_simulated_second"], meta["peak_rss_mb_per_rank"]


def slope(experiment, rng, duration, out, extra):
    """CPU s per simulated s between a 2-s run and a run of duration s (extra(d): the
    settings for a run of d s), with the long run's loop figure and peak memory."""
    short, _, _ = run(experiment, rng, 2.0, out / "short", extra(2.0))
    long_cpu, loop, peak = run(experiment, rng, duration, out / "long", extra(duration))
    return (long_cpu - short) / (duration - 2.0), loop, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    cases = {"baseline": lambda d: (),
             "onlytraining": lambda d: ("--set", "learn_start=0.5", "--set", f"learn_end={d - 0.5:g}")}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in cases.items():
            got = {rng: {"cpu": [], "loop": [], "peak": []} for rng in ("keyed", "original")}
            for _ in range(args.repeats):
                for rng in ("keyed", "original"):   # alternating: the machine's noise hits both
                    cpu, loop, peak = slope(name, rng, args.duration, Path(tmp) / f"{name}-{rng}", extra)
                    got[rng]["cpu"].append(cpu)
                    got[rng]["loop"].append(loop)
                    got[rng]["peak"].append(peak)
            med = {rng: {k: statistics.median(v) for k, v in g.items()} for rng, g in got.items()}
            results[name] = dict(
                default_cpu_s_per_s=round(med["keyed"]["cpu"], 4), reference_cpu_s_per_s=round(med["original"]["cpu"], 4),
                ratio_cpu=round(med["original"]["cpu"] / med["keyed"]["cpu"], 2),
                default_run_s_per_s=round(med["keyed"]["loop"], 4), reference_run_s_per_s=round(med["original"]["loop"], 4),
                ratio_run=round(med["original"]["loop"] / med["keyed"]["loop"], 2),
                original_over_reference_cpu=round(ORIGINAL_S_PER_S / med["original"]["cpu"], 2),
                default_peak_mb=max(got["keyed"]["peak"]), reference_peak_mb=max(got["original"]["peak"]))
    results["original_cpu_s_per_s_not_measured_here"] = ORIGINAL_S_PER_S
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
