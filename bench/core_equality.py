"""Byte equality of the column's outputs before and after a change of its engines.

Usage:
    .venv/bin/python bench/core_equality.py record DIR [--cases PATTERN ...]
    .venv/bin/python bench/core_equality.py check DIR REF [--cases PATTERN ...]
    .venv/bin/python bench/core_equality.py list

``record`` runs every case (below) with this checkout's code into DIR/<case>; run it on
the revision before the change.  ``check`` runs them again into DIR and compares each
with REF/<case>: every dataset of spikes.h5, state.h5 and edges.h5 (the same names, and
each of the same dtype, shape and bytes: spike times as float64, NaN payloads included).
It prints one line per case and exits 1 if any differs.

The cases are short runs of the six column experiments, shortened and accelerated so
that every kind of event occurs within seconds: STDP with the training signal, scaling
switched on inside the run (with large gains, so scale factors move by per cents),
deletion rounds with the external scale-down, unique and repeat trials, records inside
blocks, [[record]] traces of every variable at every step (their report_*.h5 compared
too); in the default mode and in reference mode (``rng=original``, every quirk on) on
both engines (1 and 2 ranks; a rank engine's run compared with its own reference run if
there is one, and with the per-cell engine's); and interrupted runs resumed from a
checkpoint on 2 ranks (default mode with deletion on both engines, scaling and training on
the rank engine, reference mode with training on the per-cell engine and with deletion on
the rank engine), each compared with the same run uninterrupted.
"""
import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETCOL = [sys.executable, "-m", "netcol.cli"]
#: The files compared, dataset for dataset (and the [[record]] reports, report_*.h5).
FILES = ("spikes.h5", "state.h5", "edges.h5")

_REC = ["recording_interval=2", "recording_start=1", "block=3.5"]
_SCALE = ["column.mechanism.beta=2e-3", "column.mechanism.gamma=1e-7"]
_DEL = ["duration=20", "segment_length=5", "trial_length=2.5", "recording_interval=2.5", "recording_start=1",
        "block=3"]
_TRAIN = ["duration=8", "learn_start=2", "learn_end=6", "column.stdp.EE_inc=0.01", "recording_interval=1.5",
          "recording_start=0.5", "block=2.5"]
#: Experiment and --set values of each protocol.
PROTOCOLS = {
    "baseline": ("baseline", ["duration=8", *_REC]),
    "onlyscaling": ("onlyscaling", ["duration=12", "scaling_start=3", *_SCALE, *_REC]),
    "onlytraining": ("onlytraining", _TRAIN),
    "trainingandscaling": ("trainingandscaling", [*_TRAIN, "scaling_start=2", *_SCALE]),
    "onlydeletion": ("onlydeletion", _DEL),
    "scalingwithdeletion": ("scalingwithdeletion", [*_DEL, "scaling_start=3", "column.mechanism.beta=4e-5"]),
}
#: Protocols the rank engine runs today.
RANK_PROTOCOLS = ("baseline", "onlyscaling", "onlytraining", "trainingandscaling", "onlydeletion",
                  "scalingwithdeletion")
#: [[record]] tables (as --set record=...): every variable of 5 % of the cells at every
#: step for 2 s inside a block, and what the rank engine can record.
TRACE_ALL = ('record={name = "all", variables = ["V", "VAM", "VNM", "VGA", "VAM2", "VNM2", "VGA2", "AHP", '
             '"threshold", "activity", "goal", "scale"], fraction = 0.05, interval = 0.0005, start = 4, stop = 6}')
TRACE_SCALING = ('record={name = "sc", variables = ["activity", "goal", "scale"], fraction = 0.2, '
                 'interval = 0.0005, start = 4, stop = 6}')
#: Traced runs: (protocol, mode, engine, --np, table).
TRACED = (("scalingwithdeletion", "default", "cells", 1, TRACE_ALL),
          ("scalingwithdeletion", "default", "rank", 1, TRACE_ALL),
          ("scalingwithdeletion", "original", "cells", 1, TRACE_ALL),
          ("scalingwithdeletion", "original", "cells", 2, TRACE_ALL),
          ("scalingwithdeletion", "original", "rank", 2, TRACE_ALL),
          ("onlyscaling", "default", "cells", 2, TRACE_SCALING),
          ("onlyscaling", "default", "rank", 2, TRACE_SCALING))
#: Interrupted runs: (protocol, mode, engine, checkpoint every s, stopped at s); resumed on 2
#: ranks.
RESUMED = (("scalingwithdeletion", "default", "cells", 9, 12), ("trainingandscaling", "original", "cells", 4, 5),
           ("scalingwithdeletion", "default", "rank", 9, 12), ("onlyscaling", "default", "rank", 5, 7),
           ("trainingandscaling", "default", "rank", 4, 5), ("scalingwithdeletion", "original", "rank", 9, 12))


def cases():
    """{name: (experiment, --set values, --np, extra arguments, resume)}; resume is None
    or (checkpoint s, stop s) for a case run, interrupted and resumed."""
    out = {}
    for proto, (exp, sets) in PROTOCOLS.items():
        for mode in ("default", "original"):
            mset = ["rng=original"] if mode == "original" else []
            engines = ("cells", "rank") if proto in RANK_PROTOCOLS else ("cells",)
            for engine in engines:
                for n in (1, 2):
                    out[f"{proto}-{mode}-{engine}-np{n}"] = (exp, [*sets, *mset, f"engine={engine}"], n, [], None)
    for proto, mode, engine, n, table in TRACED:
        exp, sets = PROTOCOLS[proto]
        mset = ["rng=original"] if mode == "original" else []
        out[f"{proto}-{mode}-{engine}-np{n}-traced"] = (exp, [*sets, *mset, f"engine={engine}", table], n, [], None)
    for proto, mode, engine, every, stop in RESUMED:
        exp, sets = PROTOCOLS[proto]
        mset = ["rng=original"] if mode == "original" else []
        args = ["--checkpoint-every", str(every)]
        name = f"{proto}-{mode}{'-rank' if engine == 'rank' else ''}"
        out[f"{name}-checkpointed"] = (exp, [*sets, *mset, f"engine={engine}"], 1, args, None)
        out[f"{name}-resumed"] = (exp, [*sets, *mset, f"engine={engine}"], 1, args, (every, stop))
    return out


def run_case(case, out):
    """Run one case into out (replacing it); return the seconds it took."""
    exp, sets, n, extra, resume = case
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [*NETCOL, "run", exp, *[a for s in sets for a in ("--set", s)], *extra, "--np", str(n), "--out", str(out),
           "--quiet", "--no-figure"]
    start = time.time()
    if resume is None:
        subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True)
    else:
        _, stop = resume
        r = subprocess.run(cmd, cwd=REPO, env=dict(env, NETCOL_FAULT=f"sigterm@{stop}"), capture_output=True)
        if r.returncode != 130:
            raise RuntimeError(f"the interrupted run ended with {r.returncode}: {r.stderr.decode()[-2000:]}")
        subprocess.run([*NETCOL, "resume", str(out), "--np", "2", "--quiet"], cwd=REPO, env=env, check=True,
                       capture_output=True)
    return time.time() - start


def datasets(path):
    """{name: array} of every dataset of an HDF5 file."""
    import h5py
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def differences(a, b):
    """What differs between the outputs of two run folders (empty: byte for byte equal)."""
    import numpy as np
    diffs = []
    reports = sorted({p.name for d in (a, b) for p in Path(d).glob("report_*.h5")})
    for name in (*FILES, *reports):
        pa, pb = Path(a) / name, Path(b) / name
        if not pa.exists() or not pb.exists():
            if pa.exists() != pb.exists():
                diffs.append(f"{name}: in one folder only")
            continue
        da, db = datasets(pa), datasets(pb)
        if sorted(da) != sorted(db):
            diffs.append(f"{name}: datasets {sorted(set(da) ^ set(db))} in one only")
        for key in sorted(set(da) & set(db)):
            x, y = np.asarray(da[key]), np.asarray(db[key])
            if x.dtype != y.dtype or x.shape != y.shape:
                diffs.append(f"{name}/{key}: {x.dtype}{x.shape} against {y.dtype}{y.shape}")
            elif np.ascontiguousarray(x).tobytes() != np.ascontiguousarray(y).tobytes():
                diffs.append(f"{name}/{key}: values differ")
    return diffs


def selected(patterns):
    return {k: v for k, v in cases().items() if not patterns or any(fnmatch.fnmatch(k, p) for p in patterns)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("record", "check", "list"))
    ap.add_argument("dir", nargs="?", type=Path)
    ap.add_argument("ref", nargs="?", type=Path)
    ap.add_argument("--cases", nargs="*", default=[], metavar="PATTERN", help="only cases matching a pattern")
    args = ap.parse_args()
    todo = selected(args.cases)
    if args.command == "list":
        for name, (exp, sets, n, extra, resume) in todo.items():
            print(name, exp, " ".join(sets), f"--np {n}", " ".join(extra), f"resumed {resume}" if resume else "")
        return 0
    if args.dir is None or (args.command == "check" and args.ref is None):
        ap.error("record needs DIR; check needs DIR and REF")
    args.dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name, case in todo.items():
        secs = run_case(case, args.dir / name)
        if args.command == "record":
            print(f"{name}: recorded ({secs:.0f} s)", flush=True)
            continue
        # the reference's run of the case and, for a rank engine's case, of the same case on
        # the per-cell engine; a resumed run must equal the same run uninterrupted
        # (a checkpointed run must equal the same run without checkpoints too)
        base = name.replace("-rank-", "-")
        same = (name, name.replace("-rank-", "-cells-"), base, base.replace("-checkpointed", "-cells-np1"))
        refs = [r for r in dict.fromkeys(args.ref / n for n in same) if r.exists()]
        if case[4] is not None:   # this check's own uninterrupted run (the reference's may not have it)
            refs += [d / name.replace("-resumed", "-checkpointed") for d in (args.ref, args.dir)
                     if (d / name.replace("-resumed", "-checkpointed")).exists()]
        diffs = [d for ref in refs for d in differences(ref, args.dir / name)] if refs else ["no reference run"]
        failed += bool(diffs)
        print(f"{name}: {'DIFFERS: ' + '; '.join(diffs) if diffs else 'identical'} ({secs:.0f} s)", flush=True)
    if args.command == "check":
        print(f"{len(todo) - failed} of {len(todo)} cases identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
