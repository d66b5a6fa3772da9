"""The column's speed in the default mode, on both engines, and in reference mode, side by
side in one session; against the original's figure.

Usage:  .venv/bin/python bench/reference_mode.py [--duration S] [--repeats N] [--cpu 0] [--json FILE]

Runs the baseline column (and onlytraining, with training on from the start) in the
default mode (keyed streams, engine = auto: one NetcolColumn per rank), in the default
mode on the per-cell engine (engine = cells, one NetcolIntf6 per cell) and in reference
mode (rng = original, engine = auto), alternating,
--repeats times each, every time for 2 s and for --duration simulated seconds, each run
pinned to one core (--cpu: a virtual machine's cores need not run at one speed).  It
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
#: The original's CPU seconds per simulated second (not measured here): issue 12 ran the
#: ModelDB code on NEURON 8.2, one process at a time on an idle machine of this kind, as
#: the slope of CPU time between a 2-s and a 60-s baseline, as this script does for netcol.
ORIGINAL_S_PER_S = 0.143


#: The modes compared: (rng, engine).
MODES = {"default": ("keyed", "auto"), "default_cells": ("keyed", "cells"), "reference": ("original", "auto")}


def run(experiment, mode, duration, out, extra, cpu):
    """One run in its own process, on core cpu: (CPU s, run-loop wall s per simulated s,
    peak MB, engine)."""
    rng, engine = MODES[mode]
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration}", "--set",
           f"rng={rng}", "--set", f"engine={engine}", *extra, "--out", str(out), "--overwrite", "--quiet",
           "--no-figure"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    meta = json.loads((out / "run.json").read_text())
    return cpu, meta["wall_seconds_per_simulated_second"], meta["peak_rss_mb_per_rank"], meta["engine"]


def slope(experiment, mode, duration, out, extra, cpu):
    """CPU s per simulated s between a 2-s run and a run of duration s (extra(d): the
    settings for a run of d s), with the long run's loop figure, peak memory and engine."""
    short = run(experiment, mode, 2.0, out / "short", extra(2.0), cpu)[0]
    long_cpu, loop, peak, engine = run(experiment, mode, duration, out / "long", extra(duration), cpu)
    return (long_cpu - short) / (duration - 2.0), loop, peak, engine


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0, help="the core every run is pinned to (default 0)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    cases = {"baseline": lambda d: (),
             "onlytraining": lambda d: ("--set", "learn_start=0.5", "--set", f"learn_end={d - 0.5:g}")}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in cases.items():
            got = {mode: {"cpu": [], "loop": [], "peak": []} for mode in MODES}
            engines = {}
            for _ in range(args.repeats):
                for mode in MODES:   # alternating: the machine's noise hits every mode
                    cpu, loop, peak, engines[mode] = slope(name, mode, args.duration, Path(tmp) / f"{name}-{mode}",
                                                           extra, args.cpu)
                    got[mode]["cpu"].append(cpu)
                    got[mode]["loop"].append(loop)
                    got[mode]["peak"].append(peak)
            med = {mode: {k: statistics.median(v) for k, v in g.items()} for mode, g in got.items()}
            results[name] = {f"{mode}_engine": engines[mode] for mode in MODES}
            for mode in MODES:
                results[name].update({f"{mode}_cpu_s_per_s": round(med[mode]["cpu"], 4),
                                      f"{mode}_run_s_per_s": round(med[mode]["loop"], 4),
                                      f"{mode}_peak_mb": max(got[mode]["peak"]),
                                      f"original_over_{mode}_cpu": round(ORIGINAL_S_PER_S / med[mode]["cpu"], 2)})
            results[name]["reference_over_default_cpu"] = round(med["reference"]["cpu"] / med["default"]["cpu"], 2)
    results["original_cpu_s_per_s_not_measured_here"] = ORIGINAL_S_PER_S
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
