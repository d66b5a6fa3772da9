"""Speed, memory and rates of the vogels2011 network, side by side with Brian2.

Usage:  .venv/bin/python bench/vogels_speed.py [--duration S] [--brian2-python PY] [--nest-python PY]
                                               [--small] [--per-synapse] [--json FILE]

Runs `netcol run vogels2011` (or vogels2011_small with --small) for --duration simulated
seconds on one rank and on two, and reports CPU and wall seconds per simulated second,
peak memory per rank, memory per synapse and the E rate in every second.  It also runs
two independent one-rank runs at the same time: how much they slow each other down
(shared memory bandwidth and caches, or a host's sibling threads) bounds what two ranks
can gain on this machine, reported as the speed-up ceiling beside the 2-rank speed-up.  With
--brian2-python (the interpreter of a venv with brian2 and numpy<2.4, kept outside this
repository) it also builds the same network in Brian2 from vogels2011.md (the driver
below, written here) and runs it in runtime mode (Cython) in the same session,
single-threaded, reporting the same figures; --nest-python does the same with NEST
(iaf_cond_exp and vogels_sprekeler_synapse, one thread).  With --per-synapse it also runs netcol with
one NetCon per synapse instead of one per (source, rank) (`delivery = "netcon"`), the
design the fan-out replaces; its spikes must be identical.
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

#: The network of vogels2011.md in Brian2 (runtime mode), written from the spec.
BRIAN2_DRIVER = """
import json, resource, sys, time
from brian2 import *
prefs.codegen.target = "cython"
duration, n_e, n_i, p = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
seed(1)
defaultclock.dt = 0.1 * ms
eqs = '''dv/dt = (-10*nS*(v + 60*mV) - (ge*v + gi*(v + 80*mV)) + 200*pA) / (200*pF) : volt (unless refractory)
dge/dt = -ge / (5*ms) : siemens
dgi/dt = -gi / (10*ms) : siemens'''
cells = NeuronGroup(n_e + n_i, eqs, threshold="v > -50*mV", reset="v = -60*mV", refractory=5*ms,
                    method="euler")
exc, inh = cells[:n_e], cells[n_e:]
s_e = Synapses(exc, cells, on_pre="ge += 0.3*nS"); s_e.connect(p=p)
s_ii = Synapses(inh, inh, on_pre="gi += 3*nS"); s_ii.connect(p=p)
tau, alpha = 20 * ms, 2 * 3 * Hz * 20 * ms
s_ie = Synapses(inh, exc, '''w : 1
dpre/dt = -pre / tau : 1 (event-driven)
dpost/dt = -post / tau : 1 (event-driven)''',
                on_pre='''pre += 1.
w = clip(w + (post - alpha) * eta, 0, 100)
gi += w*nS''',
                on_post='''post += 1.
w = clip(w + pre * eta, 0, 100)''')
s_ie.connect(p=p); s_ie.w = 1e-10
mon = SpikeMonitor(exc)
eta = 0
run(0 * ms)   # build and compile first: not counted
t0 = time.process_time()
run(1 * second)
eta = 1e-2
run((duration - 1) * second)
cpu = time.process_time() - t0
counts = [int(((mon.t >= k * second) & (mon.t < (k + 1) * second)).sum()) for k in range(int(duration))]
import numpy as np
w = np.asarray(s_ie.w[:])
print(json.dumps(dict(cpu_s=cpu, e_rates=[c / n_e for c in counts], synapses=int(s_e.N + s_ii.N + s_ie.N),
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      w_final=dict(mean=float(w.mean()), quantiles=np.quantile(w, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist(),
                                   below_1e3=float((w < 1e-3).mean())))))
"""


#: The same network in NEST (iaf_cond_exp, vogels_sprekeler_synapse; one thread), written
#: from the spec.  NEST needs a delay: the smallest, 0.1 ms.  Its neuron integrates with
#: an adaptive solver, not Euler (vogels2011.md §6).
NEST_DRIVER = """
import json, resource, sys, time
import nest
nest.set_verbosity("M_ERROR")
duration, n_e, n_i, p = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
nest.ResetKernel()
nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1, "rng_seed": 1})
params = dict(C_m=200.0, g_L=10.0, E_L=-60.0, E_ex=0.0, E_in=-80.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0,
              I_e=200.0, tau_syn_ex=5.0, tau_syn_in=10.0, tau_minus=20.0, V_m=0.0)
exc = nest.Create("iaf_cond_exp", n_e, params=params)
inh = nest.Create("iaf_cond_exp", n_i, params=params)
rule = {"rule": "pairwise_bernoulli", "p": p, "allow_autapses": True}
nest.Connect(exc, exc + inh, rule, {"weight": 0.3, "delay": 0.1})
nest.Connect(inh, inh, rule, {"weight": -3.0, "delay": 0.1})
nest.Connect(inh, exc, rule, {"synapse_model": "vogels_sprekeler_synapse", "weight": -1e-10, "Wmax": -100.0,
                              "eta": 0.0, "alpha": 0.12, "tau": 20.0, "delay": 0.1})
rec = nest.Create("spike_recorder")
nest.Connect(exc, rec)
t0 = time.process_time()
nest.Simulate(1000.0)
nest.GetConnections(synapse_model="vogels_sprekeler_synapse").set(eta=0.01)
nest.Simulate((duration - 1) * 1000.0)
cpu = time.process_time() - t0
t = rec.get("events")["times"]
counts = [int(((t >= 1000 * k) & (t < 1000 * (k + 1))).sum()) for k in range(int(duration))]
print(json.dumps(dict(cpu_s=cpu, e_rates=[c / n_e for c in counts],
                      peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def run_netcol(experiment, ranks, duration, out, extra=()):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--np", str(ranks), "--set", f"duration={duration}",
           *extra, "--out", str(out), "--quiet", "--no-figure"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    meta = json.loads((out / "run.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    from netcol.analysis.spikes import class_rates
    from netcol.models.vogels2011.activity import snapshot
    import numpy as np
    w = snapshot(out, "final")
    return dict(ranks=ranks, process_wall_s=round(time.time() - t0, 2), setup_s=meta["setup_seconds"],
                run_wall_per_sim_s=meta["wall_seconds_per_simulated_second"],
                cpu_per_sim_s=round(cpu / duration, 4), peak_mb_per_rank=meta["peak_rss_mb_per_rank"],
                e_rates=[round(class_rates(out, k, k + 1)[0], 2) for k in range(int(duration))],
                w_final=dict(mean=float(w.mean()), quantiles=np.quantile(w, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist(),
                             below_1e3=float((w < 1e-3).mean())))


def run_two_at_once(experiment, duration, work):
    """Two independent one-rank runs started together; their mean run wall seconds."""
    procs = []
    for k in (0, 1):
        cmd = [sys.executable, "-m", "netcol.cli", "run", experiment, "--set", f"duration={duration}",
               "--out", str(work / f"pair{k}"), "--quiet", "--no-figure"]
        procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError("a run of the pair failed")
    return sum(json.loads((work / f"pair{k}" / "run.json").read_text())["run_seconds"] for k in (0, 1)) / 2


def same_spikes(a, b):
    """Two runs wrote the same spikes (times and gids, bit for bit)."""
    import numpy as np
    from netcol.analysis.spikes import read_spikes
    (ta, ga), (tb, gb) = read_spikes(a), read_spikes(b)
    return bool(np.array_equal(ta, tb) and np.array_equal(ga, gb))


def synapse_count(out):
    from netcol.io.rundir import read_run_json
    p = read_run_json(out)["params"]
    n = p["n_e"] + p["n_i"]
    return p["n_e"] * n * p["p_e"] + p["n_i"] * (p["n_i"] * p["p_ii"] + p["n_e"] * p["p_ie"])


def run_driver(driver, python, duration, n_e, n_i, p, work):
    """Run a reference simulator's driver (one thread) and return its figures."""
    (work / "driver.py").write_text(driver)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([python, "driver.py", str(duration), str(n_e), str(n_i), str(p)], cwd=work, check=True,
                          capture_output=True, text=True, env=env)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cpu_per_sim_s"] = round(out.pop("cpu_s") / duration, 4)
    out["e_rates"] = [round(r, 2) for r in out["e_rates"]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--small", action="store_true", help="vogels2011_small (1,000 cells) instead of 10,000")
    ap.add_argument("--brian2-python", help="python of a venv with brian2 (run side by side)")
    ap.add_argument("--nest-python", help="python of a venv with nest-simulator (run side by side)")
    ap.add_argument("--per-synapse", action="store_true", help="also run with one NetCon per synapse")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    experiment = "vogels2011_small" if args.small else "vogels2011"
    n_e, n_i, p = (800, 200, 0.2) if args.small else (8000, 2000, 0.02)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for ranks in (1, 2):
            results[f"netcol_{ranks}_rank"] = run_netcol(experiment, ranks, args.duration, tmp / f"r{ranks}")
        synapses = synapse_count(tmp / "r1")
        one = results["netcol_1_rank"]
        results["synapses"] = int(synapses)
        results["speedup_2_ranks"] = round(one["run_wall_per_sim_s"] / results["netcol_2_rank"]["run_wall_per_sim_s"], 2)
        alone = one["run_wall_per_sim_s"] * args.duration
        slowdown = run_two_at_once(experiment, args.duration, tmp) / alone
        results["two_independent_runs_slowdown"] = round(slowdown, 2)
        results["speedup_ceiling_2_ranks"] = round(2 / slowdown, 2)
        if args.per_synapse:
            results["netcol_netcon_per_synapse"] = run_netcol(experiment, 1, args.duration, tmp / "nc",
                                                              ("--set", "delivery=netcon"))
            results["netcon_per_synapse_same_spikes"] = same_spikes(tmp / "r1", tmp / "nc")
            results["cpu_ratio_netcon_over_fanout"] = round(
                results["netcol_netcon_per_synapse"]["cpu_per_sim_s"] / one["cpu_per_sim_s"], 2)
        for name, driver, python in (("brian2_runtime", BRIAN2_DRIVER, args.brian2_python),
                                     ("nest", NEST_DRIVER, args.nest_python)):
            if python:
                (tmp / name).mkdir()
                ref = results[name] = run_driver(driver, python, args.duration, n_e, n_i, p, tmp / name)
                results[f"cpu_ratio_{name}_over_netcol"] = round(ref["cpu_per_sim_s"] / one["cpu_per_sim_s"], 2)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
