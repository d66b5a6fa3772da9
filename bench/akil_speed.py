"""akil2021's speed on one and two ranks, and its memory at N = 20,000.

Usage:  .venv/bin/python bench/akil_speed.py [--duration S] [--big-duration S] [--json FILE]

Runs the package's example (`netcol run akil2021`, N = 5,000) for --duration simulated
seconds on one rank and on two, and two independent one-rank runs at once (how much the
machine's two cores slow each other bounds what two ranks can gain); then
`akil2021_n20k` (N = 20,000, 44 million synapses) for --big-duration seconds on one rank
and on two: peak memory, set-up and run time, and the bytes per synapse of the
mechanism's tables (by source, plastic weights and their indices), read from the
mechanism itself.
Speed against the reference package is bench/akil_compare.py's.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from vogels_speed import run_two_at_once  # noqa: E402

#: Reads the mechanism's table size after set-up, in a process of its own.
TABLES = """
import json, sys
from netcol.build.assemble import assemble
from netcol.config.experiment import load_experiment
a = assemble(load_experiment("akil2021_n20k", {}))
print(json.dumps(dict(table_bytes=a.pop.table_bytes(), synapses=a.pop.synapse_count())))
"""


def run(experiment, ranks, duration, out):
    cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--np", str(ranks), "--set", f"duration={duration}",
           "--out", str(out), "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    meta = json.loads((out / "run.json").read_text())
    return dict(ranks=ranks, run_wall_per_sim_s=meta["wall_seconds_per_simulated_second"],
                setup_s=meta["setup_seconds"], peak_mb_per_rank=meta["peak_rss_mb_per_rank"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--big-duration", type=float, default=2.0)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for ranks in (1, 2):
            results[f"n5000_{ranks}_rank"] = run("akil2021", ranks, args.duration, tmp / f"r{ranks}")
        one = results["n5000_1_rank"]["run_wall_per_sim_s"]
        results["speedup_2_ranks"] = round(one / results["n5000_2_rank"]["run_wall_per_sim_s"], 2)
        slowdown = run_two_at_once("akil2021", args.duration, tmp) / (one * args.duration)
        results["two_independent_runs_slowdown"] = round(slowdown, 2)
        results["speedup_ceiling_2_ranks"] = round(2 / slowdown, 2)
        for ranks in (1, 2):
            results[f"n20000_{ranks}_rank"] = run("akil2021_n20k", ranks, args.big_duration, tmp / f"big{ranks}")
        results["n20000_speedup_2_ranks"] = round(results["n20000_1_rank"]["run_wall_per_sim_s"]
                                                  / results["n20000_2_rank"]["run_wall_per_sim_s"], 2)
    tables = json.loads(subprocess.run([sys.executable, "-c", TABLES], cwd=REPO, check=True, capture_output=True,
                                       text=True).stdout.strip().splitlines()[-1])
    results["n20000_synapses"] = int(tables["synapses"])
    results["n20000_table_bytes_per_synapse"] = round(tables["table_bytes"] / tables["synapses"], 1)
    results["n20000_peak_bytes_per_synapse"] = round(results["n20000_1_rank"]["peak_mb_per_rank"] * 2 ** 20
                                                     / tables["synapses"], 1)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
