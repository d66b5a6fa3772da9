"""Reference mode against the default mode, side by side in one session.

Usage:  .venv/bin/python bench/reference_mode.py [--duration S] [--repeats N] [--json FILE]

Runs the baseline column (and onlytraining, with training on from the start) for
--duration simulated seconds in the default mode (keyed streams) and in reference mode
(rng = original), alternating, --repeats times each.  For each it reports the median
CPU seconds per simulated second of the whole process (set-up included: the child's
user + system time from getrusage) and of the run alone (wall time of the run loop, from
run.json), the peak memory and the ratios reference / default.  The original model's
figure (0.143 CPU s per simulated s, NEURON 8.2, measured by the issue that asks for this
comparison on this kind of machine) is printed beside it for orientation only: it was
not measured in this session.
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
    """One run in its own process: (CPU s per simulated s, run-loop wall s per simulated s,
    peak MB)."""
    cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration}", "--set",
           f"rng={rng}", *extra, "--out", str(out), "--overwrite", "--quiet", "--no-figure"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    meta = json.loads((out / "run.json").read_text())
    return cpu / duration, meta["wall_seconds_per_simulated_second"], meta["peak_rss_mb_per_rank"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    cases = {"baseline": (), "onlytraining": ("--set", "learn_start=1", "--set", f"learn_end={args.duration - 1:g}")}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in cases.items():
            got = {rng: {"cpu": [], "loop": [], "peak": []} for rng in ("keyed", "original")}
            for _ in range(args.repeats):
                for rng in ("keyed", "original"):   # alternating: the machine's noise hits both
                    cpu, loop, peak = run(name, rng, args.duration, Path(tmp) / f"{name}-{rng}", extra)
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
