"""The column at the scale of a cluster: set-up time, run time per simulated second and
peak memory per rank for sizes 8 to 256 (3,760 to 120,320 cells) on 1 and 2 ranks.

Usage:  .venv/bin/python bench/column_scale.py [--sizes 8 16 32 64 128 256] [--ranks 1 2]
                                               [--duration S] [--out FILE.json]

Each point is one `netcol run baseline --set size=S --set engine=rank` of --duration
simulated seconds; set-up (the column's description, cells and synapses, before the first
step), run time and the peak resident memory of the largest rank come from the run's
run.json.  The table ends with the largest column that fits this machine's memory,
extrapolated from the per-cell memory of the largest size measured.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CELLS_AT_SIZE_1 = 470


def run(size, ranks, duration, out):
    """One baseline run on the rank engine; its run.json."""
    cmd = [sys.executable, "-m", "netcol.cli", "run", "baseline", "--set", f"size={size}", "--set",
           f"duration={duration}", "--set", "engine=rank", "--np", str(ranks), "--out", str(out), "--quiet",
           "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return json.loads((out / "run.json").read_text())


def machine_memory_mb():
    """Total memory of this machine (MB)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[8, 16, 32, 64, 128, 256])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--duration", type=float, default=1.0, help="simulated seconds per run")
    ap.add_argument("--out", type=Path, help="also write the table as JSON here")
    args = ap.parse_args()
    rows = []
    print(f"{'size':>5} {'cells':>7} {'ranks':>5} {'set-up s':>9} {'wall s / sim s':>15} {'peak MB/rank':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for ranks in args.ranks:
                meta = run(size, ranks, args.duration, Path(tmp) / f"s{size:g}r{ranks}")
                row = dict(size=size, cells=int(round(size * CELLS_AT_SIZE_1)), ranks=ranks,
                           setup_s=meta["setup_seconds"], wall_per_sim_s=meta["wall_seconds_per_simulated_second"],
                           peak_mb_per_rank=meta["peak_rss_mb_per_rank"])
                rows.append(row)
                print(f"{size:5g} {row['cells']:7d} {ranks:5d} {row['setup_s']:9.1f} {row['wall_per_sim_s']:15.3f} "
                      f"{row['peak_mb_per_rank']:13.0f}", flush=True)
    one = [r for r in rows if r["ranks"] == 1]
    if one:
        big = max(one, key=lambda r: r["cells"])
        per_cell = big["peak_mb_per_rank"] / big["cells"]
        fits = int(0.8 * machine_memory_mb() / per_cell)
        print(f"\nlargest column in 80 % of this machine's {machine_memory_mb():.0f} MB on one rank: about "
              f"{fits:,} cells (size {fits / CELLS_AT_SIZE_1:.0f}), at {per_cell * 1000:.1f} kB per cell")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
