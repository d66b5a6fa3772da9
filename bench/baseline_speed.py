"""Speed and memory of the baseline column (issue 3), reported as ratios of one run.

Usage:  .venv/bin/python bench/baseline_speed.py [--duration S] [--sizes 1 2 4 8] [--ranks 1 2]

For each size (population multiplier) and number of ranks it runs `netcol run baseline` for --duration
simulated seconds and reports wall seconds per simulated second, set-up time, peak
memory per rank, spikes and delivered events per wall second.  It then compares the
two designs of the external drive at size 1 on one rank: Poisson inputs generated
inside each cell (netcol's design: one self-event per input) against NetStim + NetCon
(two queue operations per input, four pending events per cell).
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def run(size, ranks, duration, out):
    cmd = [sys.executable, "-m", "netcol.cli", "run", "baseline", "--set", f"size={size}", "--set",
           f"duration={duration}", "--np", str(ranks), "--out", str(out), "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    return json.loads((out / "run.json").read_text())


def delivered_events(meta, out):
    """External inputs (rate x cells x time) plus internal deliveries (spikes x out-degree)."""
    import numpy as np
    from netcol.analysis.spikes import read_spikes
    from netcol.config.experiment import load_experiment
    from netcol.models.rowan2013.network import draw
    exp = load_experiment("baseline", {"size": meta["params"]["size"]})
    cells, _, conn = draw(exp.column, meta["params"]["size"], meta["params"]["seed"], "keyed")
    outdeg = np.bincount(conn.pre, minlength=cells["n"])
    _, gid = read_spikes(out)
    external = sum(sum(v["rate"] for v in exp.column.external[c].values()) for c in cells["classes"])
    return external * meta["t_reached_ms"] / 1000.0 + outdeg[gid].sum()


NETSTIM_SCRIPT = r"""
import sys, time
sys.path.insert(0, {repo!r})
from netcol.engine.runtime import neuron_h, parallel_context
from netcol.config.experiment import load_experiment
from netcol.models.rowan2013.network import build, set_background
from netcol.cells.intf6 import DT, SLOT, apply_mechanism_settings
from netcol.engine.simulate import configure_integrator
h = neuron_h(); pc = parallel_context()
exp = load_experiment("baseline")
apply_mechanism_settings(h, exp.mechanism_settings())
model = build(exp.column, seed=2, drive={drive})
keep = []
if not {drive}:
    for gid, cell in model.local.items():
        for k, (rec, spec) in enumerate(exp.column.external[model.cells["classes"][gid]].items()):
            ns = h.NetStim(); ns.interval = 1000.0 / spec["rate"]; ns.number = 1e9; ns.start = 0; ns.noise = 1
            ns.noiseFromRandom123(gid, 2000 + k, 2)
            nc = h.NetCon(ns, cell); nc.delay = 0; nc.weight[SLOT[rec]] = spec["weight"]
            keep += [ns, nc]
configure_integrator(h, pc, DT)
h.finitialize()
t0 = time.time(); pc.psolve({duration} * 1000.0)
print(time.time() - t0)
"""


def drive_design(duration):
    out = {}
    for name, drive in (("in-cell Poisson (netcol)", True), ("NetStim + NetCon", False)):
        code = NETSTIM_SCRIPT.format(repo=str(REPO), drive=drive, duration=duration)
        res = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
        out[name] = float(res.stdout.strip().splitlines()[-1]) / duration
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0, help="simulated seconds per run")
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    print(f"baseline, {args.duration:g} s simulated per run\n")
    print(f"{'size':>5} {'ranks':>5} {'cells':>6} {'wall s/sim s':>12} {'set-up s':>8} {'peak MB/rank':>12} "
          f"{'spikes/wall s':>13} {'events/wall s':>13}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for ranks in args.ranks:
                out = Path(tmp) / f"s{size}-r{ranks}"
                meta = run(size, ranks, args.duration, out)
                ev = delivered_events(meta, out)
                rate = meta["wall_seconds_per_simulated_second"]
                rows.append((size, ranks, rate))
                print(f"{size:>5g} {ranks:>5} {int(470 * size):>6} {rate:>12.4f} {meta['setup_seconds']:>8.2f} "
                      f"{meta['peak_rss_mb_per_rank']:>12.0f} {meta['spikes'] / meta['run_seconds']:>13.0f} "
                      f"{ev / meta['run_seconds']:>13.0f}", flush=True)
    base = dict(((s, r), v) for s, r, v in rows)
    if (1, 1) in base:
        print(f"\nsize 1, 1 rank: {base[(1, 1)]:.4f} s wall per simulated second "
              "(the comparison with the original, as CPU slopes: bench/reference_mode.py)")
    for size in sorted({s for s, _ in base}):
        if (size, 1) in base and (size, 2) in base:
            print(f"2 ranks vs 1 at size {size:g}: speed-up {base[(size, 1)] / base[(size, 2)]:.2f}x")
    d = drive_design(min(args.duration, 10.0))
    ref = d["in-cell Poisson (netcol)"]
    print("\nexternal drive design, size 1, 1 rank (wall s per simulated s, measured in this run):")
    for name, v in d.items():
        print(f"  {name:26s} {v:.4f}  ({v / ref:.2f}x the in-cell design)")


if __name__ == "__main__":
    main()
