"""The sadeh2015 records for other formats: NWB time series (rates per learning block,
mean weights per pathway and E->E weight per |dPO| bin at every snapshot).  The model
records no per-cell time series, so it has no SONATA element reports."""
import numpy as np

from ...analysis.spikes import open_run_h5, read_nodes
from . import tuning


#: Why ``netcol export-reports`` has nothing to write for this model (it has no
#: ``export_reports``).
NO_ELEMENT_REPORTS = ("records weight snapshots, not per-cell time series; they are"
                      " in state.h5 /weights (netcol export-nwb writes their summaries)")


def nwb_series(run_dir):
    """{name: (data, timestamps in s, unit, description)} for the NWB export."""
    from pathlib import Path
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    out = {}
    blocks, e, i = tuning.block_rates(run_dir)
    seg = tuning.read_protocol(run_dir)
    learn = seg["phase"] == "learning"
    if len(blocks):
        starts = np.array([seg["t0"][learn & (seg["index"] == b)][0] for b in blocks]) / 1000.0
        out["block_rates"] = (np.stack([e, i], axis=1), starts, "Hz",
                              "mean E and I rate per learning block (columns E, I), at each block's start")
    with open_run_h5(Path(run_dir) / "state.h5") as f:
        g = f["weights"]
        n = g["time"].shape[0]
        times, pre, post = g["time"][:n] / 1000.0, g["pre"][:], g["post"][:]
        values = g["values"][:n]
    if n:
        means = [values[:, (ex[pre] == (a == "E")) & (ex[post] == (b == "E"))].mean(axis=1)
                 for a, b in ("EE", "EI", "IE", "II")]
        out["mean_weights"] = (np.stack(means, axis=1), times, "mV",
                               "mean weight of existing synapses per pathway (columns EE, EI, IE, II)")
        out["ee_weight_by_dpo"] = (np.array([tuning.mean_weight_by_dpo(run_dir, k) for k in range(n)]), times, "mV",
                                   "mean E->E weight per |dPO| bin 0-30, 30-60, 60-90 degrees, absent synapses as 0")
    return out
