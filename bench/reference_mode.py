"""Reference mode against the default mode, side by side in one session.

Usage:  .venv/bin/python bench/reference_mode.py [--duration S] [--repeats N] [--json FILE]

Runs the baseline column (and onlytraining, with training on from the start) for
--duration simulated seconds in the default mode (keyed streams) and in reference mode
(rng = original), alternating, --repeats times each, and reports the median wall
seconds per simulated second, the peak memory and the ratio reference / default.  The
original model's own figure (0.143 s per simulated s, NEURON 8.2, measured by the issue
that asks for this comparison on this kind of machine) is printed beside it for
orientation only: it was not measured in this session.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The original's wall seconds per simulated second (issue 17; not measured here).
ORIGINAL_S_PER_S = 0.143


def run(experiment, rng, duration, out, extra=()):
    cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration}", "--set",
           f"rng={rng}", *extra, "--out", str(out), "--overwrite", "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    meta = json.loads((out / "run.json").read_text())
    return meta["wall_seconds_per_simulated_second"], meta["peak_rss_mb_per_rank"]


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
            walls, peaks = {"keyed": [], "original": []}, {"keyed": [], "original": []}
            for _ in range(args.repeats):
                for rng in ("keyed", "original"):   # alternating: the machine's noise hits both
                    wall, peak = run(name, rng, args.duration, Path(tmp) / f"{name}-{rng}", extra)
                    walls[rng].append(wall)
                    peaks[rng].append(peak)
            default, reference = statistics.median(walls["keyed"]), statistics.median(walls["original"])
            results[name] = dict(default_s_per_s=default, reference_s_per_s=reference,
                                 ratio_reference_over_default=round(reference / default, 2),
                                 default_peak_mb=max(peaks["keyed"]), reference_peak_mb=max(peaks["original"]))
    results["original_s_per_s_not_measured_here"] = ORIGINAL_S_PER_S
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
