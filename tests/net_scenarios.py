"""Column-level scenarios run in a fresh process (helpers.in_fresh_process)."""


def baseline_spikes(duration_ms, eager=False, scaling=False):
    """Spikes of the baseline column; eager=True forces a real event for every drive input
    (plan_horizon 0), which is what the lazy drive must reproduce exactly."""
    from netcol.assemble import assemble
    from netcol.cells.intf6 import DT
    from netcol.experiment import load_experiment
    from netcol.runtime import neuron_h, parallel_context
    from netcol.simulate import configure_integrator
    h, pc = neuron_h(), parallel_context()
    net = assemble(load_experiment("baseline", {"column.mechanism.beta": 4e-5})).net
    h.scaling_NetcolIntf6 = 1 if scaling else 0
    h.scaling_ton_NetcolIntf6 = 2000.0
    h.plan_horizon_NetcolIntf6 = 0.0 if eager else 1e20
    tv, iv = h.Vector(), h.Vector()
    pc.spike_record(-1, tv, iv)
    configure_integrator(h, pc, DT)
    h.finitialize()
    pc.psolve(duration_ms)
    net.catch_up(h.t)
    return dict(t=list(tv), gid=list(iv), sfac=[c.sfac for c in net.local.values()],
                vm=[c.vm() for c in net.local.values()])
