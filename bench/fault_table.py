"""The tester's sweep of bad input and faults, as one command (issue 28).

Runs a table of short cases against every model (bad --set values, bad files and folders,
signals and kills at several times, resumes on 1 and 2 ranks, an error on one rank,
foreign files, a full disk, an edited run record, ...) and prints one row per case:
model, case, what is expected, what happened, and the verdict (ok / FAIL).  Each case is
a few simulated seconds of a small experiment of the model.

Usage::

    python bench/fault_table.py                       # every model, every case
    python bench/fault_table.py --models rowan2013 --cases resume,disk
    python bench/fault_table.py --keep /tmp/faults    # keep the run folders

Cases needing root (a small tmpfs for the full disk) are skipped without it.  Exit status
1 if any case failed.  It is a script, not a test: it takes several minutes per model.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from helpers import same_outputs  # noqa: E402

NETCOL = [sys.executable, "-m", "netcol.cli"]
QUIET = ["--quiet", "--no-figure"]
#: Per model: a small experiment, the settings that keep each case short (4 simulated
#: seconds in half-second blocks, a checkpoint every second), and a duration long enough
#: for a run to be still going when something is done to it.
MODELS = {
    "rowan2013": ("baseline", ["duration=4", "block=0.5"], 600),
    "vogels2011": ("vogels2011_small", ["duration=4", "block=0.5"], 600),
    "akil2021": ("akil2021_small", ["duration=4", "block=0.5"], 600),
    "sadeh2015": ("sadeh2015", ["duration=4", "block=0.5"], 100),   # its protocol's length
}
EVERY = ["--checkpoint-every", "1"]


def sets(items):
    return [a for s in items for a in ("--set", s)]


def netcol(*args, env=None, timeout=900):
    return subprocess.run([*NETCOL, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def meta(run):
    try:
        return json.loads((Path(run) / "run.json").read_text())
    except (OSError, ValueError):
        return {}


#: The error line of the last one_line check (shown as what happened).
_said = [""]


def said():
    return _said[0].removeprefix("netcol: error: ")[:70]


def one_line(r, *words):
    """'' if r is a one-line error (exit 2, one 'netcol: error' line, a hint at most, no
    traceback) holding every word; else what is wrong."""
    lines = r.stderr.splitlines()
    errors = [line for line in lines if line.startswith("netcol: error")]
    _said[0] = errors[0] if errors else ""
    if r.returncode != 2:
        return f"exit {r.returncode}: {last(r)}"
    if "Traceback" in r.stderr or len(errors) != 1:
        return f"{len(errors)} error lines, traceback: {'Traceback' in r.stderr}: {last(r)}"
    missing = [w for w in words if w not in errors[0]]
    return f"{errors[0][:90]} (lacks {missing})" if missing else ""


def last(r):
    text = (r.stderr or r.stdout).strip().splitlines()
    return text[-1][:100] if text else "(no output)"


def plain_h5(run):
    """'' if every HDF5 file of the run opens with plain h5py; else the first that does not."""
    import h5py
    for path in sorted(Path(run).glob("*.h5")):
        try:
            h5py.File(path, "r").close()
        except OSError:
            return f"{path.name} needs repair"
    return ""


class Cases:
    """The cases of one model; each method returns (expected, got, ok)."""

    def __init__(self, model, work):
        self.model, (self.exp, self.sets, self.long) = model, MODELS[model]
        self.work = Path(work) / model
        self.work.mkdir(parents=True, exist_ok=True)
        self._reference = None

    def run(self, out, *extra, np_=1, env=None, settings=()):
        return netcol("run", self.exp, *sets([*self.sets, *settings]), *EVERY, "--out", str(out), "--np", str(np_),
                      *QUIET, *extra, env=env)

    def reference(self):
        """The uninterrupted run every resume is compared with."""
        if self._reference is None:
            out = self.work / "reference"
            r = self.run(out)
            if r.returncode != 0:
                raise RuntimeError(f"{self.model}: the reference run failed: {last(r)}")
            self._reference = out
        return self._reference

    def copy_of_reference(self, name):
        dst = self.work / name
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(self.reference(), dst)
        return dst

    # ------------------------------------------------------------------ bad input
    def case_bad_set_unknown(self):
        got = one_line(self.run(self.work / "x1", settings=["nosuchparam=1"]), "nosuchparam")
        return "one line naming nosuchparam", got or said(), not got

    def case_bad_set_negative_duration(self):
        got = one_line(self.run(self.work / "x2", settings=["duration=-1"]), "duration")
        return "one line naming duration", got or said(), not got

    def case_bad_set_text_for_a_number(self):
        got = one_line(self.run(self.work / "x3", settings=["block=abc"]), "block")
        return "one line naming block", got or said(), not got

    def case_bad_checkpoint_every(self):
        r = netcol("run", self.exp, *sets(self.sets), "--checkpoint-every", "nan", "--out", str(self.work / "x4"),
                   *QUIET)
        got = one_line(r, "--checkpoint-every")
        return "one line", got or said(), not got

    def case_out_name_too_long(self):
        got = one_line(self.run(self.work / ("x" * 300) / "r"), "allows")
        return "one line, nothing made", got or said(), not got and not os.path.exists(self.work / ("x" * 300))

    def case_malformed_fault_variable(self):
        out = self.work / "x5"
        got = one_line(self.run(out, env={"NETCOL_FAULT": "boom"}), "NETCOL_FAULT")
        ok = not got and not (out / "run.json").exists()
        return "one line, no run.json", got or (said() + (", stub run.json" if not ok else "")), ok

    # ------------------------------------------------------------------ runs, kills, resumes
    def case_complete_run(self):
        out = self.reference()
        bad = plain_h5(out)
        return "complete, files closed", f"{meta(out).get('status')}{', ' + bad if bad else ''}", \
            meta(out).get("status") == "complete" and not bad

    def _interrupt_and_resume(self, name, fault, np_resume, np_run=1):
        out = self.work / name
        shutil.rmtree(out, ignore_errors=True)
        r = self.run(out, np_=np_run, env={"NETCOL_FAULT": fault})
        first = f"exit {r.returncode} {meta(out).get('status')}"
        r = netcol("resume", str(out), "--np", str(np_resume), *QUIET)
        if r.returncode != 0:
            return f"{first}; resume: exit {r.returncode}: {last(r)}", False
        try:
            same = same_outputs(self.reference(), out)
        except AssertionError as err:
            return f"{first}; resumed, differs: {str(err)[:80]}", False
        return f"{first}; resumed, identical" if same else f"{first}; differs", same

    def case_sigterm_then_resume_1_rank(self):
        got, ok = self._interrupt_and_resume("term1", "sigterm@1.5", 1)
        return "130 interrupted; resume identical", got, ok and got.startswith("exit 130 interrupted")

    def case_sigterm_then_resume_2_ranks(self):
        got, ok = self._interrupt_and_resume("term2", "sigterm@2.5", 2)
        return "130 interrupted; resume on 2 identical", got, ok and got.startswith("exit 130 interrupted")

    def case_sigterm_on_2_ranks_then_resume_on_1(self):
        got, ok = self._interrupt_and_resume("term21", "sigterm@1.5", 1, np_run=2)
        return "130 interrupted; resume on 1 identical", got, ok and got.startswith("exit 130 interrupted")

    def case_sigkill_then_resume(self):
        got, ok = self._interrupt_and_resume("kill", "sigkill@2", 1)
        return "killed (running); resume identical", got, ok and got.startswith("exit -9 running")

    def case_error_on_rank_1(self):
        out = self.work / "raise"
        shutil.rmtree(out, ignore_errors=True)
        r = self.run(out, np_=2, env={"NETCOL_FAULT": "raise@2@1"})
        m, bad = meta(out), plain_h5(out)
        problem = one_line(r, "on rank 1")
        got = f"{m.get('status')} on rank {m.get('failed_on_rank')}" + (f"; {problem}" if problem else "") \
            + (f"; {bad}" if bad else "")
        ok = not problem and m.get("status") == "failed" and m.get("failed_on_rank") == 1 and not bad
        return "one line; failed on rank 1; files closed", got, ok

    # ------------------------------------------------------------------ files and folders
    def case_foreign_spikes_file(self):
        other = self.work / "other"
        if not (other / "spikes.h5").exists():
            self.run(other, settings=["duration=1"])
        run = self.copy_of_reference("foreign")
        shutil.copy(other / "spikes.h5", run / "spikes.h5")
        got = one_line(netcol("info", str(run)), "belongs to another run")
        return "one line: belongs to another run", got or said(), not got

    def case_garbled_run_json(self):
        run = self.copy_of_reference("garbled")
        (run / "run.json").write_text("[]")
        got = one_line(netcol("info", str(run)), "run.json")
        return "one line naming run.json", got or said(), not got

    def case_truncated_spikes(self):
        run = self.copy_of_reference("truncated")
        os.truncate(run / "spikes.h5", (run / "spikes.h5").stat().st_size // 2)
        got = one_line(netcol("report", str(run)), "spikes.h5")
        return "one line naming spikes.h5", got or said(), not got

    def case_overwrite_refuses_foreign_files(self):
        run = self.copy_of_reference("foreignfile")
        (run / "notes.txt").write_text("mine")
        got = one_line(self.run(run, "--overwrite"), "notes.txt")
        return "one line naming notes.txt, kept", got or said(), not got and (run / "notes.txt").exists()

    def case_edited_duration(self):
        run = self.copy_of_reference("edited")
        m = meta(run)
        m["params"]["duration"], m["status"] = 99.0, "interrupted"
        (run / "run.json").write_text(json.dumps(m))
        got = one_line(netcol("resume", str(run), *QUIET), "differ")
        return "resume refused in one line", got or said(), not got

    def case_plot_window_outside(self):
        got = one_line(netcol("plot", str(self.reference()), "--what", "raster", "--window", "500", "600",
                              "--out", str(self.work / "window")), "--window")
        return "one line", got or said(), not got and not (self.work / "window.png").exists()

    # ------------------------------------------------------------------ a full disk
    def _tmpfs(self, name, size="200m"):
        """A small file system of its own (root only; the fill fault fills at most 256 MB)."""
        mnt = self.work / name
        mnt.mkdir(exist_ok=True)
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                                               capture_output=True).returncode:
            return None
        return mnt

    def case_disk_full_during_the_run(self):
        mnt = self._tmpfs("disk")
        if mnt is None:
            return "failed, resumable", "skipped (needs root for a tmpfs)", True
        try:
            out = mnt / "r"
            r = self.run(out, np_=2, env={"NETCOL_FAULT": "fill@2"})
            m, bad = meta(out), plain_h5(out)
            problem = one_line(r, "on the device")
            left = [p.name for p in out.iterdir() if p.name == ".netcol-reserve" or p.suffix == ".tmp"]
            (mnt / "netcol-fault-fill").unlink(missing_ok=True)
            resumed = netcol("resume", str(out), *QUIET)
            got = f"{m.get('status')} at {m.get('t_reached_ms')} ms" + (f"; {problem}" if problem else "") \
                + (f"; {bad}" if bad else "") + (f"; left {left}" if left else "") \
                + f"; resume exit {resumed.returncode}"
            ok = m.get("status") == "failed" and not (problem or bad or left) and resumed.returncode == 0
            return "one line, failed, files closed, resumes", got, ok
        finally:
            subprocess.run(["umount", "-l", str(mnt)])

    def case_disk_full_before_the_start(self):
        mnt = self._tmpfs("disk0")
        if mnt is None:
            return "one line, nothing written", "skipped (needs root for a tmpfs)", True
        try:
            with open(mnt / "filler", "wb", buffering=0) as f:
                try:
                    f.write(b"\0" * shutil.disk_usage(mnt).free)
                except OSError:
                    pass
            out = mnt / "r"
            got = one_line(self.run(out), "on the device")
            ok = not got and (not out.exists() or not list(out.iterdir()))
            return "one line, nothing written", got or said(), ok
        finally:
            subprocess.run(["umount", "-l", str(mnt)])

    def case_run_folder_deleted(self):
        out = self.work / "deleted"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [*NETCOL, "run", self.exp, *sets([*self.sets, f"duration={self.long}"]), *EVERY, "--out", str(out), *QUIET]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.time() + 300
        while not (out / "checkpoint.npz").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        shutil.rmtree(out, ignore_errors=True)
        try:
            _, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return "one line: the run folder is gone", "still running 300 s after", False
        r = subprocess.CompletedProcess(cmd, proc.returncode, "", err)
        got = one_line(r, "is gone")
        return "one line: the run folder is gone", got or said(), not got


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated (default: all)")
    p.add_argument("--cases", default="", help="comma-separated parts of case names (default: all)")
    p.add_argument("--keep", default=None, help="keep the run folders in this folder")
    args = p.parse_args()
    names = [n.removeprefix("case_") for n in dir(Cases) if n.startswith("case_")]
    wanted = [n for n in names if not args.cases or any(c in n for c in args.cases.split(","))]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="netcol-faults-"))
    rows = []
    try:
        for model in args.models.split(","):
            cases = Cases(model, work)
            for name in wanted:
                start = time.time()
                try:
                    expected, got, ok = getattr(cases, f"case_{name}")()
                except Exception as err:   # the harness goes on with the next case
                    expected, got, ok = "-", f"harness error: {type(err).__name__}: {err}"[:120], False
                rows.append((model, name.replace("_", " "), expected, got, "ok" if ok else "FAIL"))
                print(f"{model:<11} {name.replace('_', ' '):<36} {'ok' if ok else 'FAIL':<4} "
                      f"({time.time() - start:.0f} s)", file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    widths = [max(len(str(r[i])) for r in rows + [("model", "case", "expected", "got", "verdict")]) for i in range(5)]
    widths[3] = min(widths[3], 70)
    print("  ".join(h.ljust(w) for h, w in zip(("model", "case", "expected", "got", "verdict"), widths)))
    for row in rows:
        print("  ".join(str(v)[:w].ljust(w) for v, w in zip(row, widths)))
    failed = sum(r[4] != "ok" for r in rows)
    print(f"{len(rows) - failed} ok, {failed} FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
