"""The vogels2011 records for other formats: NWB time series (E and I rates, the I -> E
weight mean and quantiles at every record).  The model records no per-cell time series,
so it has no SONATA element reports."""
import numpy as np

from . import activity


#: Why ``netcol export-reports`` has nothing to write for this model (it has no
#: ``export_reports``).
NO_ELEMENT_REPORTS = ("records population rates and weight distributions, not per-cell time series;"
                      " they are in state.h5 /records (netcol export-nwb writes them)")


def nwb_series(run_dir):
    """{name: (data, timestamps in s, unit, description)} for the NWB export."""
    r = activity.records(run_dir)
    if not len(r["time"]):
        return {}
    levels = ", ".join(f"{q:g}" for q in r["levels"])
    return {"rates": (np.stack([r["rate_e"], r["rate_i"]], axis=1), r["time"], "Hz",
                      "mean E and I rate over the interval before each record (columns E, I)"),
            "ie_weight_mean": (r["w_mean"], r["time"], "nS", "mean plastic I->E weight"),
            "ie_weight_quantiles": (r["w_quantiles"], r["time"], "nS", f"I->E weight quantiles at levels {levels}")}
