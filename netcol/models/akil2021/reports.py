"""The akil2021 records for other formats: NWB time series (E and I rates, the mean
currents onto E and I cells, the mean weight of each plastic pathway).  The model
records no per-cell time series, so it has no SONATA element reports."""
import numpy as np

from . import activity


#: Why ``netcol export-reports`` has nothing to write for this model (it has no
#: ``export_reports``).
NO_ELEMENT_REPORTS = ("records population rates, currents and weights, not per-cell"
                      " time series; they are in state.h5 /records (netcol export-nwb writes them)")


def nwb_series(run_dir):
    """{name: (data, timestamps in s, unit, description)} for the NWB export."""
    r = activity.records(run_dir)
    if not len(r["time"]):
        return {}
    return {"rates": (np.stack([r["rate_e"], r["rate_i"]], axis=1), r["time"], "Hz",
                      "mean E and I rate over the interval before each record (columns E, I)"),
            "currents_onto_e": (r["current_e"], r["time"], "mV/ms",
                                "mean I_E, I_I, I_X onto E cells over the interval before each record"),
            "currents_onto_i": (r["current_i"], r["time"], "mV/ms",
                                "mean I_E, I_I, I_X onto I cells over the interval before each record"),
            "weight_means": (r["w_mean"], r["time"], "mV/ms",
                             "mean weight of E->E, E->I, I->E, I->I (NaN where static)")}
