"""Single-cell experiments behind the intf6.md §16 verification facts.

Each function runs in a fresh process (helpers.in_fresh_process) and returns plain
numbers for the tests to compare with the spec."""
from lab import Lab

EPS = 1e-9  # sample just after an event: decay over 1e-9 ms is far below any tolerance


def psp_shapes():
    """§16.1: jumps and time courses of every receptor at rest (RS; NMDA also FS)."""
    lab = Lab(classes=("RS",) * 6 + ("FS",))
    inputs = [("AM2", 3.75), ("AM", 3.75), ("NM2", 0.75), ("GA", 2.0), ("GA2", 2.0), ("GB", 5.0), ("NM2", 0.75)]
    for cell, (slot, w) in zip(lab.cells, inputs):
        lab.at(10.0, lab.netcon(cell, {slot: w}))
    lab.init()
    times = [10 + EPS, 20.0, 30.0, 50.0, 310.0]
    samples = lab.sample(times, lambda: [c.vm() for c in lab.cells])
    return dict(times=times, inputs=inputs, v=samples)


def driving_force():
    """§16.2: n simultaneous AMPA events, and GABA-A at D = -15 and D = +10."""
    lab = Lab(classes=("RS",) * 11)
    for n, cell in enumerate(lab.cells[:9], start=1):
        for _ in range(n):
            lab.at(10.0, lab.netcon(cell, {"AM2": 3.75}))
    rec = [lab.spike_recorder(c) for c in lab.cells[:9]]
    at_rev, above = lab.cells[9], lab.cells[10]
    lab.at(10.0, lab.netcon(at_rev, {"GA": 15.0}))
    lab.at(10.0 + 1e-6, lab.netcon(at_rev, {"GA": 5.0}))
    lab.at(10.0, lab.netcon(above, {"AM2": 10.0}))
    lab.at(10.0 + 1e-6, lab.netcon(above, {"GA": 3.0}))
    lab.init()
    lab.run_to(10 + 2e-6)
    return dict(D=[c.VAM2 for c in lab.cells[:9]], spikes=[v.size() for v in rec],
                vga_at_reversal=at_rev.VGA, vga_above=above.VGA)


def nmda_block(mg):
    """§16.3: the Mg block B(v)."""
    lab = Lab(mg=mg)
    vs = [-90, -65, -63, -55, -47, -40, -25, -10, 0]
    return dict(v=vs, B=[lab.cell.nmda_block(v) for v in vs])


def spike_window(cls):
    """§16.4: single AMPA jumps that land just inside, at the top of, and just above
    the spike window (RMP + w)."""
    lab = Lab(classes=(cls,) * 3)
    c0 = lab.cells[0]
    low, top = c0.VTH + 0.5, c0.Vblock
    ws = [low - c0.RMP, top - c0.RMP, top + 1 - c0.RMP]
    recs = [lab.spike_recorder(c) for c in lab.cells]
    for c, w in zip(lab.cells, ws):
        lab.at(10.0, lab.netcon(c, {"AM2": w}))
    lab.init()
    lab.run_to(10 + EPS)
    return dict(spikes=[r.size() for r in recs], refractory=[c.refractory for c in lab.cells],
                blocked=[c.blkcnt for c in lab.cells])


def post_spike(cls):
    """§16.4: AHP, refractory period and threshold relaxation after one spike at 10 ms."""
    lab = Lab(classes=(cls,) * 2)
    c, c2 = lab.cells
    w = (c.VTH + c.Vblock) / 2 - c.RMP   # lands mid-window
    lab.at(10.0, lab.netcon(c, {"AM2": w}))
    rec2 = lab.spike_recorder(c2)
    # second cell: an input that lifts V well above VTH just before the refractory
    # period ends (no spike), then a zero-weight probe 2 ms after it ends (spike)
    lab.at(10.0, lab.netcon(c2, {"AM2": w}))
    lab.at(10.0 + c.refrac - 0.01, lab.netcon(c2, {"AM2": 10.0}))
    lab.at(10.0 + c.refrac + 2.0, lab.netcon(c2, {}))
    lab.init()
    end = 10.0 + c.refrac
    lab.run_to(end - 0.005)
    refractory_before = c.refractory
    lab.run_to(end + EPS)
    refractory_after = c.refractory
    rr = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0]
    vthc = lab.sample([end + EPS + d for d in rr], lambda: c.component(7))
    ahp = lab.sample([110.0, 210.0, 410.0], lambda: c.component(6))
    lab.run_to(500.0)
    return dict(vthc=vthc, ahp=ahp, refractory_before=refractory_before,
                refractory_after=refractory_after, second_cell_spikes=list(rec2))


def ahp_sum():
    """§16.4: AHPs add up over spikes (RS, spikes at 10 and 110 ms)."""
    lab = Lab()
    c = lab.cell
    lab.at(10.0, lab.netcon(c, {"AM2": 30.0}))
    lab.at(110.0, lab.netcon(c, {"AM2": 30.0}))
    rec = lab.spike_recorder()
    lab.init()
    lab.run_to(110 + EPS)
    return dict(ahp=c.component(6), spikes=list(rec))


def _stdp_lab():
    lab = Lab()
    h = lab.h
    h.stdp_on_NetcolIntf6 = 1
    h.plast_start_NetcolIntf6 = -1
    h.plast_end_NetcolIntf6 = -1
    return lab


def stdp_single(delta, mode, delay=1.0):
    """§16.5: one pairing at spike-time difference delta (ms), starting from w = 1.

    mode 'pot': presynaptic spike at 100 ms, postsynaptic at 100 + delta; a second
    presynaptic spike 300 ms later applies the pairing.  mode 'dep': postsynaptic
    spike at 100 ms, presynaptic at 100 + delta."""
    from netcol.cells.intf6 import settled_gain
    lab = _stdp_lab()
    syn = lab.plastic_synapse(delay=delay)
    kick = lab.netcon(lab.cell, {"AM2": 30.0})
    if mode == "pot":
        t_pre, t_post = 100.0, 100.0 + delta
        lab.at(t_pre + delay, syn)
        lab.at(t_post, kick)
        lab.init()
        lab.run_to(t_post + 150.0)
        settled = settled_gain(syn, lab.cell, lab.h)
        syn.event(t_post + 300.0 + delay)
        lab.run_to(t_post + 300.0 + delay + EPS)
        return dict(dw=syn.weight[8] - 1.0, settled_dw=settled - 1.0)
    t_post, t_pre = 100.0, 100.0 + delta
    lab.at(t_post, kick)
    lab.at(t_pre + delay, syn)
    lab.init()
    lab.run_to(t_pre + delay + EPS)
    return dict(dw=syn.weight[8] - 1.0)


def stdp_repeated(mode, counts, delta=10.0, period=300.0, delay=1.0):
    """§16.5: repeated pairings at fixed delta, gains after the given numbers of pairings."""
    lab = _stdp_lab()
    syn = lab.plastic_synapse(delay=delay)
    kick = lab.netcon(lab.cell, {"AM2": 30.0})
    n = max(counts)
    for k in range(n + 1):
        base = 100.0 + period * k
        if mode == "pot":
            lab.at(base + delay, syn)           # presynaptic spike at base
            if k < n:
                lab.at(base + delta, kick)      # postsynaptic spike delta later
        else:
            if k < n:
                lab.at(base, kick)              # postsynaptic spike at base
                lab.at(base + delta + delay, syn)
    lab.init()
    out = {}
    for k in range(1, n + 1):
        # after pairing k: potentiation is applied at the next presynaptic arrival
        t_read = 100.0 + period * k + delay + 2 * EPS if mode == "pot" else 100.0 + period * (k - 1) + delta + delay + 2 * EPS
        lab.run_to(t_read)
        if k in counts:
            out[str(k)] = syn.weight[8]
    return out


def activity_sensor(rate, duration=600.0, window=100.0):
    """§16.6: regular firing at rate Hz; time-averaged sensor over the last window
    seconds and its value at 100 s."""
    lab = Lab()
    c = lab.cell
    c.ahpwt = 0.0
    isi = 1000.0 / rate
    kick = lab.netcon(c, {"AM2": 28.0})
    n = int(duration * rate)
    for k in range(n):
        lab.at(1.0 + k * isi, kick)
    rec = lab.spike_recorder()
    lab.init()
    t100 = 100000.0 + isi / 2
    a100 = lab.sample([t100], lambda: c.activity())[0]
    start = max((duration - window) * 1000.0, t100 + 1.0)
    step = 7.31
    times = [start + step * i for i in range(int(window * 1000.0 / step))]
    vals = lab.sample(times, lambda: c.activity())
    return dict(mean=sum(vals) / len(vals), a100=a100, spikes=rec.size(), n_inputs=n)


def activity_jump():
    """§16.6: jump of the sensor at a spike, from a known sensor value."""
    lab = Lab()
    c = lab.cell
    lab.at(50.0, lab.netcon(c, {"AM2": 30.0}))
    lab.init()
    lab.run_to(49.0)
    c.act = 0.02
    c.tu = 49.0
    lab.run_to(50.0 - 1e-6)
    before = c.activity()
    lab.run_to(50.0 + EPS)
    return dict(before=before, after=c.act)


def scaling_recurrence(events_per_ms=1, sample_ms=(1, 1000, 10000, 50000, 100000)):
    """§16.7: scaling on from 0 with fixed goal 0.01, a(0) = 0.005, zero-weight events."""
    lab = Lab(beta=4e-8, gamma=1e-10, act_tau=1e5)
    h = lab.h
    h.scaling_NetcolIntf6 = 1
    h.scaling_ton_NetcolIntf6 = 0
    c = lab.cell
    stim = h.NetStim()
    stim.interval = 1.0 / events_per_ms
    stim.number = 1e9
    stim.start = stim.interval
    stim.noise = 0
    lab.netcon(c, {}, source=stim)
    lab.init()
    c.goal = 0.01
    c.act = 0.005
    c.tu = 0
    c.sfac = 1
    c.interr = 0
    out = []
    for ms in sample_ms:
        lab.run_to(ms + 0.25 / events_per_ms)
        out.append(dict(events=ms, a=c.act, e=c.goal - c.act, I=c.interr, s=c.sfac))
    return out


def callback_steps():
    """§16.8 / §10.4: a spike's delivery callbacks (delays 3.2 and 4.7 ms) each add one
    scaling step to the presynaptic cell; its targets receive the spike at those delays."""
    lab = Lab(classes=("RS", "RS", "RS"), beta=4e-3, gamma=1e-4)
    h = lab.h
    h.scaling_NetcolIntf6 = 1
    h.scaling_ton_NetcolIntf6 = 0
    pre, b, c = lab.cells
    pre.set_outgoing_delays(h.Vector([4.7, 3.2]))
    lab.netcon(b, {"AM2": 30.0}, source=pre, delay=3.2)
    lab.netcon(c, {"AM2": 30.0}, source=pre, delay=4.7)
    rb, rc = lab.spike_recorder(b), lab.spike_recorder(c)
    lab.at(10.0, lab.netcon(pre, {"AM2": 30.0}))
    lab.at(20.0, lab.netcon(pre, {}))
    lab.init()
    for cell in lab.cells:
        cell.goal = 0.01
        cell.act = 0.005
    lab.run_to(30.0)
    return dict(arrivals_b=list(rb), arrivals_c=list(rc), s=pre.sfac, I=pre.interr, a=pre.act,
                spikes=pre.spkcnt)


def deletion():
    """§16.8: a cell deleted at 12 ms, after spiking at 10 ms with delays 3.2 and 4.7 ms."""
    from netcol.cells.intf6 import cut, mark_dead
    lab = Lab(classes=("RS", "RS", "RS"))
    h = lab.h
    h.scaling_NetcolIntf6 = 1
    h.scaling_ton_NetcolIntf6 = 0
    pre, b, c = lab.cells
    out = [lab.netcon(b, {"AM2": 30.0}, source=pre, delay=3.2),
           lab.netcon(c, {"AM2": 30.0}, source=pre, delay=4.7)]
    rpre, rb, rc = lab.spike_recorder(pre), lab.spike_recorder(b), lab.spike_recorder(c)
    kick = lab.netcon(pre, {"AM2": 30.0})
    for t in (10.0, 30.0, 60.0):
        lab.at(t, kick)
    lab.init()
    lab.run_to(12.0)
    mark_dead(pre)
    for nc in out:
        cut(nc)
    frozen = (pre.act, pre.sfac, pre.goal, pre.VAM2)
    lab.run_to(100.0)
    return dict(pre_spikes=list(rpre), b_spikes=list(rb), c_spikes=list(rc),
                frozen=list(frozen), later=[pre.act, pre.sfac, pre.goal, pre.VAM2])


def background_mean_v(duration=20000.0):
    """§16.8 mean-field check: RS cell with the paper's external drive only."""
    from netcol.cells.intf6 import key_drive_streams
    lab = Lab()
    c = lab.cell
    key_drive_streams(c, 0, 1)
    for k, (rate, w, slot) in enumerate([(300, 3.75, 4), (50, 0.75, 5), (125, 1.875, 2), (125, 1.875, 6)]):
        setattr(c, f"xr{k}", rate)
        setattr(c, f"xw{k}", w)
        setattr(c, f"xs{k}", slot)
    rec = lab.spike_recorder()
    lab.init()
    times = [2000.0 + 1.37 * i for i in range(int((duration - 2000.0) / 1.37))]
    v = lab.sample(times, lambda: c.vm())
    return dict(mean_v=sum(v) / len(v), rate=rec.size() / (duration / 1000.0))


def playback_input():
    """§11: inputs played back at given times, slots and weights, then continued."""
    lab = Lab()
    c = lab.cell
    h = lab.h
    c.gid = 7
    c.set_playback(h.Vector([5.0, 12.0, 12.5]), h.Vector([4, 6, 5]), h.Vector([3.75, 2.0, 0.75]))
    lab.init()
    lab.run_to(5.0 + EPS)
    after_first = c.VAM2
    lab.run_to(12.0 + EPS)
    after_second = (c.VAM2, c.VGA2)
    lab.run_to(12.5 + EPS)
    return dict(after_first=after_first, after_second=after_second, vnm2=c.VNM2, consumed=c.pbi)


def trial_drive_times(trial_len=50.0, n_trials=6):
    """Next input time of each drive stream, relative to the trial start, sampled at fixed
    offsets within each trial (trials alternate unique, repeat, unique, ...)."""
    from netcol.cells.intf6 import key_drive_streams
    lab = Lab()
    c = lab.cell
    key_drive_streams(c, 5, 11)
    for k, (rate, slot) in enumerate([(300, 4), (50, 5), (125, 2), (125, 6)]):
        setattr(c, f"xr{k}", rate)
        setattr(c, f"xs{k}", slot)       # zero weights: inputs arrive, nothing changes
    c.trial_len = trial_len
    lab.init()
    out = []
    for k in range(n_trials):
        start = k * trial_len
        rel = []
        for off in (0.01, 10.0, 20.0, 30.0, 40.0):
            lab.run_to(start + off)
            rel.append([getattr(c, f"xt{i}") - start for i in range(4)])
        out.append(rel)
    return out


def delivered_weight_gains():
    """An internal E synapse delivers w * wgain * s on AMPA (NMDA unscaled) and an I synapse
    w / s on GABA-A, to an excitatory cell with scaling on (intf6.md §6.3)."""
    from netcol.cells.intf6 import KIND_FROM_E, KIND_FROM_I
    lab = Lab(classes=("RS", "RS"))
    h = lab.h
    h.scaling_NetcolIntf6 = 1
    h.scaling_ton_NetcolIntf6 = 1e9   # multiplication on, no updates
    e_cell, i_cell = lab.cells
    ne = lab.netcon(e_cell, dict(AM2=2.0, NM2=0.2, KIND=KIND_FROM_E, WGAIN=1.5))
    ni = lab.netcon(i_cell, dict(GA=2.0, KIND=KIND_FROM_I, WGAIN=1.5))
    lab.at(10.0, ne)
    lab.at(10.0, ni)
    lab.init()
    for c in lab.cells:
        c.sfac = 1.25
    ne.weight[8] = 1.5
    lab.run_to(10.0 + EPS)
    return dict(vam2=e_cell.VAM2, vnm2=e_cell.VNM2, vga=i_cell.VGA)
