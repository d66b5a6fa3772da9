"""akil2021 side by side with its reference package, plastic_balanced_network 0.0.6.

Usage:  .venv/bin/python bench/akil_compare.py --reference-python PY [--duration S]
            [--n N] [--rules R] [--json FILE]

Runs the package's example (pbn_simulation.py's parameters: N = 5,000, I -> E and I -> I
iSTDP with eta = 0.015e-3, c_X = 0.1) for --duration simulated seconds in the reference
(PY: the interpreter of a venv holding the package, kept outside this repository; the
package's wheel lacks its VERSION file, which is written into the installed package
before the import) and in netcol (`netcol run akil2021 --set quirks=reference`), one
after the other on one core, and reports for both: E and I rates in the first and last
5 s (or halves of shorter runs), the mean I -> E and I -> I weight change, spike-count
correlations (250-ms windows, second half), CPU seconds per simulated second and peak
memory.  Both are seeded (the reference with numpy's and random2's global seeds); they
are not the same network, so the comparison is statistical.  The external input's
realisation moves the correlations and the rate fluctuations of both (its own count
correlation over 80 windows varies by about 15 % from seed to seed), so --same-input
gives the reference netcol's external spikes.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The package's example in its own API, written here from pbn_simulation.py's parameters.
REFERENCE_DRIVER = """
import importlib.util, json, os, resource, sys, time
spec = importlib.util.find_spec("plastic_balanced_network")
version = os.path.join(spec.submodule_search_locations[0], "VERSION")
if not os.path.exists(version):   # the 0.0.6 wheel lacks it and __init__ reads it
    open(version, "w").write("0.0.6\\n")
import numpy as np, random2
from plastic_balanced_network.network import PlasticNeuralNetwork
from plastic_balanced_network.helpers import spike_count_cov, cov2corr, average_cov_corr_over_subpops
T_s, N, seed, x_file = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
T = int(T_s * 1000)
np.random.seed(seed); random2.seed(seed)
t0 = time.process_time()
net = PlasticNeuralNetwork(N, T)
net.connectivity()
net.ffwd_spikes(T, cx=0.1)
if x_file != "-":   # netcol's external spikes instead (times mid-step: each acts in the same step)
    net.sx = np.load(x_file)
    net.nspikeX = net.sx.shape[1]
t1 = time.process_time()
out = net.simulate(eta_ei=0.015e-3, eta_ii=0.015e-3)
cpu, sim_cpu = time.process_time() - t0, time.process_time() - t1
s = out[0]
s = s[:, s[0] > 0]
ne = net.Ne
def rates(a, b):
    sel = (s[0] >= a) & (s[0] < b)
    return [float(np.sum(sel & (s[1] < ne)) / ne / (b - a) * 1000), float(np.sum(sel & (s[1] >= ne)) / (N - ne) / (b - a) * 1000)]
w = 5000 if T >= 20000 else T / 2
J = net.J
C = cov2corr(spike_count_cov(s, N, T / 2, T))
mc = average_cov_corr_over_subpops(C, N)
per_second = [rates(1000 * k, 1000 * (k + 1)) for k in range(int(T_s))]
# the mean over every synapse of the pathway (its 100 recorded ones are too few for a change of 1 %)
ie_block, ii_block = J[:ne, ne:], J[ne:, ne:]
w_ie, w_ii = ie_block[ie_block != 0].mean(), ii_block[ii_block != 0].mean()
print(json.dumps(dict(cpu_s=cpu, sim_cpu_s=sim_cpu, first=rates(0, w), last=rates(T - w, T), per_second=per_second,
                      w_change_ie=float(w_ie / (-150 / np.sqrt(N)) - 1),
                      w_change_ii=float(w_ii / (-250 / np.sqrt(N)) - 1),
                      corr=dict(EE=float(mc[0][0]), EI=float(mc[0][1]), II=float(mc[1][1])),
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def netcol_external(duration, n, seed, path):
    """netcol's external spikes of the example (quirks as the reference's) as the
    reference's sx array: times at the middle of their step, source indices."""
    import numpy as np
    from netcol.config.experiment import load_experiment
    from netcol.models.akil2021.inputs import external_spikes
    p = load_experiment("akil2021", {"duration": duration, "n": n, "seed": seed, "quirks": "reference"}).params
    steps, sources = external_spikes(p, 0, int(round(duration * 1000 / 0.1)), 0.1)
    np.save(path, np.stack([(steps + 0.5) * 0.1, sources.astype(float)]))


def run_reference(python, duration, n, seed, work, same_input):
    (work / "driver.py").write_text(REFERENCE_DRIVER)
    x_file = "-"
    if same_input:
        x_file = str(work / "x.npy")
        netcol_external(duration, n, seed, x_file)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([python, "driver.py", str(duration), str(n), str(seed), x_file], cwd=work,
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"the reference failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cpu_per_sim_s"] = round(out.pop("cpu_s") / duration, 3)
    out["simulate_cpu_per_sim_s"] = round(out.pop("sim_cpu_s") / duration, 3)
    return out


def run_netcol(duration, n, seed, out):
    from netcol.models.akil2021 import activity
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "netcol.cli", "run", "akil2021", "--set", f"duration={duration}", "--set", f"n={n}",
           "--set", f"seed={seed}", "--set", "quirks=reference", "--out", str(out), "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    meta = json.loads((out / "run.json").read_text())
    w = 5.0 if duration >= 20 else duration / 2
    r = activity.records(out)
    return dict(cpu_per_sim_s=round((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / duration, 3),
                simulate_wall_per_sim_s=meta["wall_seconds_per_simulated_second"], peak_mb=meta["peak_rss_mb_per_rank"],
                first=list(activity.window_rates(out, 0, w)), last=list(activity.window_rates(out, duration - w, duration)),
                per_second=[list(activity.window_rates(out, k, k + 1)) for k in range(int(duration))],
                w_change_ie=float(r["w_mean"][-1, 2] / r["w_mean"][0, 2] - 1),
                w_change_ii=float(r["w_mean"][-1, 3] / r["w_mean"][0, 3] - 1),
                corr=activity.correlations(out, duration / 2, duration, sample=n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference-python", required=True, help="python of a venv with plastic_balanced_network")
    ap.add_argument("--duration", type=float, default=50.0, help="simulated seconds (default 50, the example's)")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=31415)
    ap.add_argument("--same-input", action="store_true",
                    help="give the reference netcol's external spikes (the input's realisation then cancels out of "
                         "the comparison; correlations and rate fluctuations follow it)")
    ap.add_argument("--skip-reference", help="reuse the reference's figures from this JSON file")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    results = dict(duration_s=args.duration, n=args.n, seed=args.seed, same_input=args.same_input)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.time()
        results["netcol"] = run_netcol(args.duration, args.n, args.seed, tmp / "netcol")
        if args.skip_reference:
            results["reference"] = json.loads(Path(args.skip_reference).read_text())["reference"]
        else:
            results["reference"] = run_reference(args.reference_python, args.duration, args.n, args.seed, tmp,
                                                 args.same_input)
        results["bench_wall_s"] = round(time.time() - t0, 1)
    a, b = results["netcol"], results["reference"]
    results["cpu_ratio_reference_over_netcol"] = round(b["cpu_per_sim_s"] / a["cpu_per_sim_s"], 1)
    # the simulation alone: the reference's simulate() against netcol's run loop (set-up excluded)
    results["simulation_ratio_reference_over_netcol"] = round(b["simulate_cpu_per_sim_s"] / a["simulate_wall_per_sim_s"], 1)
    results["rate_ratio_netcol_over_reference"] = {
        k: [round(x / y, 3) for x, y in zip(a[k], b[k])] for k in ("first", "last")}
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
