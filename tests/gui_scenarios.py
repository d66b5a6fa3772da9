"""GUI scenarios, run in a fresh process with a (virtual) display and NETCOL_GUI=1."""


def delete_from_the_controls():
    """Open the GUI on the baseline column, run 500 ms, delete 40 random cells with the
    control, run to 1000 ms; report the deleted cells and the spikes after deletion."""
    from netcol.assemble import assemble
    from netcol.experiment import load_experiment
    from netcol.runtime import neuron_h, window_names
    h = neuron_h()
    exp = load_experiment("baseline", {"duration": 1})
    window = exp.package.open_gui(assemble(exp, trials=False))
    h.netcol_gui_random = 40
    h.stdinit()
    h.continuerun(500.0)
    marks_before = window.marks
    deleted = window.delete_random()
    h.continuerun(1000.0)
    t = window.tvec.as_numpy()
    ids = window.idvec.as_numpy().astype(int)
    after = [int(g) for g, tt in zip(ids, t) if tt > 500.0 and g in set(deleted)]
    return dict(deleted=sorted(deleted), spikes_after=after, marks_before=marks_before, marks=window.marks,
                windows=window_names())
