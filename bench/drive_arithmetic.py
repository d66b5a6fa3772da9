"""The floor under the column's speed: its drive's exact arithmetic alone.

Usage:  .venv/bin/python bench/drive_arithmetic.py [--seconds 20] [--cpu 0]

Compiles bench/drive_arithmetic.cpp (the engines' own membrane functions from
mod/netcol_intf6_math.hpp, with the flags netcol compiles its mechanisms with) and runs
it pinned to one core: 470 cells under the column's four Poisson streams, one decay, jump
and threshold test per input, with a random interval and stream per input.  It prints
the CPU seconds per simulated second, to compare with the rank engine's run loop
(bench/speed_vs_revision.py, baseline) measured in the same session.
"""
import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from netcol.build.mechanisms import COMPILE_FLAGS

REPO = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="simulated seconds")
    ap.add_argument("--cpu", type=int, default=0, help="the core the loop is pinned to (default 0)")
    args = ap.parse_args()
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise SystemExit("drive_arithmetic: no C++ compiler")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "drive_arithmetic"
        subprocess.run([compiler, "-std=c++17", "-O2", *COMPILE_FLAGS.split(), f"-I{REPO / 'mod'}", str(REPO / "bench" / "drive_arithmetic.cpp"),
                        "-o", str(exe), "-ldl"], check=True)
        subprocess.run(["taskset", "-c", str(args.cpu), str(exe), f"{args.seconds:g}"], check=True)


if __name__ == "__main__":
    main()
