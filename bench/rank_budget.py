"""Where the time of a run on one and on two ranks goes, from NEURON's own timers.

Usage:  .venv/bin/python bench/rank_budget.py EXPERIMENT [--duration S] [--set KEY=VALUE ...]

Runs `netcol run EXPERIMENT` on 1 and on 2 ranks (the project's mpiexec) and reports, per
rank, the run loop's wall time and what ParallelContext measured inside it: time in steps
(`pc.step_time()`), waiting for the other ranks at spike exchanges (`pc.wait_time()`),
and exchanging spikes (`pc.send_time()`); the rest is Python between blocks.  The 2-rank
speed-up is the ratio of the run loops' wall times.  Pause the machine's other work
while it runs: the waits are sensitive to it.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def child(argv):
    """Run netcol's CLI with the run loop timed; print one JSON line per rank."""
    import netcol.engine.simulate as simulate
    from netcol.cli import main
    advance = simulate.Run.advance

    def timed(self):
        pc, t0 = self.pc, time.time()
        status = advance(self)
        print("BUDGET " + json.dumps(dict(rank=int(pc.id()), wall=time.time() - t0, step=pc.step_time(),
                                          wait=pc.wait_time(), send=pc.send_time())), flush=True)
        return status
    simulate.Run.advance = timed
    sys.argv = ["netcol", *argv]
    return main()


def budget(experiment, ranks, duration, sets, out):
    mpiexec = Path(sys.executable).parent / "mpiexec"
    cmd = [str(mpiexec), "-n", str(ranks), sys.executable, __file__, "--child", "run", experiment, "--set",
           f"duration={duration}", *[a for s in sets for a in ("--set", s)], "--out", str(out), "--overwrite",
           "--quiet", "--no-figure"]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    # the ranks' lines may interleave on one line of the shared output
    rows = [json.loads(m) for m in re.findall(r"BUDGET (\{[^}]*\})", r.stdout)]
    return sorted(rows, key=lambda x: x["rank"])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return child(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("experiment")
    ap.add_argument("--duration", type=float, default=5.0, help="simulated seconds")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {n: budget(args.experiment, n, args.duration, args.set, Path(tmp) / f"r{n}") for n in (1, 2)}
    print(f"{args.experiment}, {args.duration:g} s simulated (seconds of wall time in the run loop)")
    print(f"{'ranks':>5} {'rank':>4} {'wall':>6} {'steps':>6} {'waiting':>7} {'exchange':>8} {'Python':>6}")
    for n, rows in runs.items():
        for x in rows:
            rest = x["wall"] - x["step"] - x["wait"] - x["send"]
            print(f"{n:>5} {x['rank']:>4} {x['wall']:>6.2f} {x['step']:>6.2f} {x['wait']:>7.2f} {x['send']:>8.2f} "
                  f"{rest:>6.2f}")
    print(f"2 ranks: {runs[1][0]['wall'] / max(x['wall'] for x in runs[2]):.2f} times faster than 1")


if __name__ == "__main__":
    sys.exit(main())
