"""Speed of the sadeh2015 protocol, on 1 and 2 ranks, side by side with the reference.

Usage:  .venv/bin/python bench/sadeh_speed.py [--reference DIR] [--seed S] [--json FILE]

Runs the whole protocol (`netcol run sadeh2015`: 100 s simulated, the reference's 84 s
plus 16 s of tuning runs) on one rank and on two, and reports wall and CPU seconds per
simulated second and peak memory per rank.  With --reference DIR (a folder holding the
ModelDB 182784 files network_run.py, network_simulator.py and params.py, kept outside
this repository) it also runs the reference in the same session, on a copy with the
fixes it needs on today's numpy (float sizes and slice bounds made integers; see the
README) and numpy seeded with --seed, and prints its CPU time and headline numbers beside
netcol's.
"""
import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: Textual fixes that make the reference run on numpy 2 (each: file, pattern, replacement).
REFERENCE_FIXES = [
    ("params.py", r"^stim_no = 20\. ", "stim_no = 20 "),
    ("params.py", r"^x_len = sim_time/dt", "x_len = int(sim_time/dt)"),
    ("network_simulator.py", r"ind_avg = t_avg\*1000/dt", "ind_avg = int(t_avg*1000/dt)"),
    ("network_run.py", r"^x_len_test = sim_time_test/dt", "x_len_test = int(sim_time_test/dt)"),
    ("network_run.py", r"x_len/len\(stim_rng\)", "x_len//len(stim_rng)"),
]

#: Run by the reference's interpreter: seed numpy, run the protocol, print the numbers.
REFERENCE_DRIVER = """
import json, sys, time
import numpy as np
import matplotlib; matplotlib.use("Agg")
np.random.seed(int(sys.argv[1]))
t0 = time.process_time()
import network_run as R
cpu = time.process_time() - t0
from params import ne, n, po_init
def rates(spk):
    c = np.bincount(spk[0], minlength=n) / 2.0
    return [float(c[:ne].mean()), float(c[ne:].mean())]
po = np.degrees(po_init)
d = np.abs((po[:ne, None] - po[None, :ne] + 90) % 180 - 90)
bins = [(d >= lo) & ((d < hi) if hi < 90 else (d <= hi)) for lo, hi in ((0, 30), (30, 60), (60, 90))]
print(json.dumps(dict(cpu_s=cpu, test_before=rates(R.spk_bp), last_block=rates(R.spk_wp_tot[-1]),
                      test_after=rates(R.spk_ap), ee_after=[float(R.Wf[:ne, :ne][b].mean()) for b in bins])))
"""


def run_netcol(ranks, out, seed):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    cmd = [sys.executable, "-m", "netcol.cli", "run", "sadeh2015", "--np", str(ranks), "--set", f"seed={seed}",
           "--out", str(out), "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    meta = json.loads((out / "run.json").read_text())
    sim_s = meta["t_reached_ms"] / 1000.0
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dict(ranks=ranks, simulated_s=sim_s, process_wall_s=round(time.time() - t0, 2),
                run_wall_per_sim_s=meta["wall_seconds_per_simulated_second"],
                cpu_per_sim_s=round(cpu / sim_s, 4), peak_mb_per_rank=meta["peak_rss_mb_per_rank"])


def headline(out):
    from netcol.models.sadeh2015 import tuning
    rates = tuning.phase_rates(out)
    return dict(test_before=rates["test_before"], last_block=rates["last block"], test_after=rates["test_after"],
                ee_after=tuning.mean_weight_by_dpo(out, -1).tolist())


def run_reference(src, seed, work):
    for name in ("network_run.py", "network_simulator.py", "params.py"):
        shutil.copy(Path(src) / name, work / name)
    for name, pattern, repl in REFERENCE_FIXES:
        path = work / name
        path.write_text(re.sub(pattern, repl, path.read_text(), flags=re.M))
    (work / "driver.py").write_text(REFERENCE_DRIVER)
    proc = subprocess.run([sys.executable, "driver.py", str(seed)], cwd=work, check=True, capture_output=True,
                          text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", help="folder with the ModelDB 182784 files (run side by side)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for ranks in (1, 2):
            results[f"netcol_{ranks}_rank"] = run_netcol(ranks, tmp / f"r{ranks}", args.seed)
        results["netcol_numbers"] = headline(tmp / "r1")
        if args.reference:
            (tmp / "ref").mkdir()
            ref = run_reference(args.reference, args.seed, tmp / "ref")
            results["reference"] = ref
            # the reference simulates the protocol without tuning runs: 84 s
            ref_cpu_per_s = ref["cpu_s"] / 84.0
            results["cpu_ratio_reference_over_netcol"] = round(ref_cpu_per_s / results["netcol_1_rank"]["cpu_per_sim_s"],
                                                               1)
    one, two = results["netcol_1_rank"], results["netcol_2_rank"]
    results["speedup_2_ranks"] = round(one["run_wall_per_sim_s"] / two["run_wall_per_sim_s"], 2)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
