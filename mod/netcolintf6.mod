COMMENT
NetcolIntf6: an event-driven integrate-and-fire cell with AMPA, NMDA and GABA-A
receptors (proximal and distal), after-hyperpolarisation, relative refractoriness,
nearest-spike STDP and homeostatic synaptic scaling.  Written for netcol from the
behavioural specification of the INTF6 cell (shared/spec/intf6.md); delivery goes
through ordinary NetCons so that the cell works with ParallelContext across ranks.

NetCon weight vector (16 slots, 0-based), shared by every NetCon onto this cell
------------------------------------------------------------------------------
 0 AM    AMPA proximal weight (mV jump at rest)
 1 NM    NMDA proximal weight
 2 GA    GABA-A proximal weight (positive number; the sign is the receptor's)
 3 GB    GABA-B weight: accepted and ignored (no GABA-B state)
 4 AM2   AMPA distal weight
 5 NM2   NMDA distal weight
 6 GA2   GABA-A distal weight
 7 kind  0 = external input (never scaled, never plastic);
         1 = internal synapse from an excitatory cell;
         2 = internal synapse from an inhibitory cell;
         3 = control, not a synaptic event: slot 0 = 2: re-read the playback input
             from now; slot 0 = 3: re-send the cell's pending self-events (drive,
             refractory end, next trial) from its state, after a resume
 8 wgain STDP gain multiplying the AMPA weight of kind-1 synapses (reset to 1 at
         INITIAL when reset_plast is 1)
 9 plinc STDP increment A (0 = not plastic)
10 pltau STDP time constant (ms)
11 plmax STDP maximal gain
12 dly   the NetCon's delay (ms); arrival time - dly = presynaptic spike time
13 tpre  presynaptic spike time of the previous arrival (-1 = none since INITIAL)
14 tdone time of the last postsynaptic spike already paired (bookkeeping)
15 cut   1 = presynaptic cell deleted: arrivals are ignored entirely

Event flags: 0 NetCon input, 3 end of the absolute refractory period (self-event),
4 start of a stimulus trial (self-event, every trial_len ms from 0 when trial_len > 0),
10 + g external drive (self-event of drive generation g; a trial or drive control event
starts a new generation, which makes the pending event of the old one stale).

Trials.  At the start of trial k (time k * trial_len) the cell re-keys its four Poisson
streams to Random123 ids (gid, 1000 + 16 key + stream, drive_seed) and restarts them:
unique trials (even k) use key 2 + k, repeat trials (odd k) always key 1, so every
repeat trial replays exactly the same input times relative to its start.

Timing of plasticity.  The original stores gains with the presynaptic cell and
applies potentiation at the postsynaptic spike and depression at the presynaptic
spike, reading the partner's most recent somatic spike time.  Here the gain lives in
the NetCon on the postsynaptic rank, and each arrival replays, in time order, the
pairings the original would have made since the previous arrival: postsynaptic
spikes before the presynaptic spike time pair with the previous presynaptic spike,
then depression at the presynaptic spike, then postsynaptic spikes since the
presynaptic spike pair with it.  A postsynaptic spike at exactly the presynaptic
spike time counts as after it (potentiation with delta 0, no depression); in the
original the order of such a tie depends on the event queue.  Gains read at delivery therefore equal the
original's whenever the presynaptic cell's inter-spike interval exceeds the synaptic
delay (true for RS cells: refractory 5 ms >= delays <= 5 ms) and the postsynaptic
cell fired at most NRING spikes in the pairing window.  A gain as stored lags the
pairings of postsynaptic spikes since the last arrival; netcol.cell.settled_gain
adds them for reporting.

Scaling steps.  In the original every event a live cell receives, including the
delivery callbacks its own spikes produce (one per distinct outgoing delay), runs one
proportional-integral scale-factor update.  Here the callbacks are replayed lazily:
the cell keeps its distinct outgoing delays (set_outgoing_delays) and, before each
real event, performs the pending steps at spike time + delay in time order.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolIntf6
    RANGE RMP, VTH, Vblock, refrac, tauRR, RRWght, ahpwt, tauahp, AHP2REF
    RANGE tauAM, tauNM, tauGA, tauAM2, tauNM2, tauGA2, mg0, maxnmc
    RANGE VAM, VNM, VGA, VAM2, VNM2, VGA2, AHP, VTHC, VTHR, refractory, t0, trrs
    RANGE gid, inhib, dead, spkcnt, blkcnt
    RANGE act, goal, interr, sfac, tu, tev
    RANGE xr0, xr1, xr2, xr3, xw0, xw1, xw2, xw3, xs0, xs1, xs2, xs3, xgain
    RANGE xt0, xt1, xt2, xt3, xnext, drivegen, pbi, pbt, trial_len, drive_seed, trial_k, tref
    RANGE ring, nspk, pend, pendk, npend
    RANDOM rx0, rx1, rx2, rx3
    GLOBAL EAM, ENM, EGA, mg, eps
    GLOBAL scaling, iscaling, scaling_ton, act_tau, act_tau_decay, beta, gamma
    GLOBAL stdp_on, plast_start, plast_end, maxplastt, soft_stdp, potw, depw, reset_plast
    GLOBAL exp_table, delmin, init_events
}

DEFINE NRING 32
DEFINE NPEND 4

PARAMETER {
    RMP = -65 (mV)
    VTH = -45 (mV)
    Vblock = -20 (mV)
    refrac = 5 (ms)
    tauRR = 6 (ms)
    RRWght = 0.75
    ahpwt = 0 (mV)
    tauahp = 10 (ms)
    AHP2REF = 0 (ms/mV)
    tauAM = 10 (ms)
    tauNM = 300 (ms)
    tauGA = 10 (ms)
    tauAM2 = 20 (ms)
    tauNM2 = 300 (ms)
    tauGA2 = 20 (ms)
    mg0 = 3.57 (mM)
    maxnmc = 1
    gid = -1
    inhib = 0
    xr0 = 0 (/s)  xr1 = 0 (/s)  xr2 = 0 (/s)  xr3 = 0 (/s)
    xw0 = 0 (mV)  xw1 = 0 (mV)  xw2 = 0 (mV)  xw3 = 0 (mV)
    xs0 = 4  xs1 = 5  xs2 = 2  xs3 = 6
    xgain = 1
    trial_len = 0 (ms)
    drive_seed = 0
    EAM = 65 (mV)
    ENM = 90 (mV)
    EGA = -15 (mV)
    mg = 1.6 (mM)
    eps = 1e-11
    scaling = 0
    iscaling = 0
    scaling_ton = 0 (ms)
    act_tau = 100000 (ms)
    act_tau_decay = 100000 (ms)
    beta = 4e-8
    gamma = 1e-10
    stdp_on = 0
    plast_start = -1 (ms)
    plast_end = -1 (ms)
    maxplastt = 120 (ms)
    soft_stdp = 1
    potw = 1
    depw = 1
    reset_plast = 1
    exp_table = 0
    delmin = 1e-5 (ms)
    init_events = 1
}

ASSIGNED {
    VAM (mV) VNM (mV) VGA (mV) VAM2 (mV) VNM2 (mV) VGA2 (mV) AHP (mV)
    VTHC (mV) VTHR (mV) refractory t0 (ms) trrs (ms)
    dead spkcnt blkcnt
    act goal interr sfac tu (ms) tev (ms)
    xt0 (ms) xt1 (ms) xt2 (ms) xt3 (ms) xnext (ms) drivegen pbi pbt (ms) trial_k tref (ms)
    ring[NRING] nspk pend[NPEND] pendk[NPEND] npend
}

VERBATIM
/* libm exp directly: arguments here are never positive and underflow to 0 is wanted */
#undef exp
#include <unordered_map>
#include <vector>
#include <algorithm>
#include <cmath>
/* Per-cell data too large or too variable for RANGE variables, keyed by gid
   (one table per process; every rank holds only its own cells). */
struct NetcolExtra {
    std::vector<double> odel;             /* distinct outgoing delays, ascending */
    std::vector<double> play_t, play_s, play_w;  /* playback input: times, slots, weights */
};
static std::unordered_map<long, NetcolExtra> netcol_extra;
static NetcolExtra* netcol_get(double g) { return &netcol_extra[(long) g]; }
static NetcolExtra* netcol_find(double g) {
    auto it = netcol_extra.find((long) g);
    return it == netcol_extra.end() ? nullptr : &it->second;
}
static double netcol_exptab[5001];
static int netcol_exptab_ready = 0;
ENDVERBATIM

INITIAL {
    LOCAL k
    VAM = 0  VNM = 0  VGA = 0  VAM2 = 0  VNM2 = 0  VGA2 = 0  AHP = 0
    VTHC = VTH  VTHR = VTH  refractory = 0  t0 = t  trrs = t
    spkcnt = 0  blkcnt = 0  dead = 0
    act = 0  goal = -1  interr = 0  sfac = 1  tu = t  tev = t
    nspk = 0  npend = 0
    FROM k = 0 TO NRING - 1 { ring[k] = -1e9 }
    FROM k = 0 TO NPEND - 1 { pend[k] = -1e9  pendk[k] = 0 }
    xt0 = 1e20  xt1 = 1e20  xt2 = 1e20  xt3 = 1e20
    if (xr0 > 0) { xt0 = t + draw_interval(0, xr0) }
    if (xr1 > 0) { xt1 = t + draw_interval(1, xr1) }
    if (xr2 > 0) { xt2 = t + draw_interval(2, xr2) }
    if (xr3 > 0) { xt3 = t + draw_interval(3, xr3) }
    pbi = 0
    pbt = pb_time(0)
    drivegen = 0
    trial_k = -1
    tref = -1
    : init_events = 0 when a run resumes from a checkpoint: the state and the pending
    : events are restored afterwards (control slot 0 = 3)
    if (init_events) {
        if (next_drive() < 1e19) { net_send(next_drive(), 10) }
        if (trial_len > 0) { net_send(0, 4) }
    }
}

: Re-key the four Poisson streams for a trial (see the header) and restart them at t.
PROCEDURE start_trial() {
    LOCAL k, key
    k = floor(t / trial_len + 0.5)
    trial_k = k
    if (k - 2 * floor(k / 2) == 0) { key = 2 + k } else { key = 1 }
    random_setids(rx0, gid, 1000 + 16 * key, drive_seed)
    random_setids(rx1, gid, 1000 + 16 * key + 1, drive_seed)
    random_setids(rx2, gid, 1000 + 16 * key + 2, drive_seed)
    random_setids(rx3, gid, 1000 + 16 * key + 3, drive_seed)
    random_setseq(rx0, 0)
    random_setseq(rx1, 0)
    random_setseq(rx2, 0)
    random_setseq(rx3, 0)
    restart_streams()
}

PROCEDURE restart_streams() {
    xt0 = 1e20  xt1 = 1e20  xt2 = 1e20  xt3 = 1e20
    if (xr0 > 0) { xt0 = t + draw_interval(0, xr0) }
    if (xr1 > 0) { xt1 = t + draw_interval(1, xr1) }
    if (xr2 > 0) { xt2 = t + draw_interval(2, xr2) }
    if (xr3 > 0) { xt3 = t + draw_interval(3, xr3) }
}

FUNCTION draw_interval(k, rate) {
    if (k == 0) { draw_interval = random_negexp(rx0) * 1000 / rate }
    else if (k == 1) { draw_interval = random_negexp(rx1) * 1000 / rate }
    else if (k == 2) { draw_interval = random_negexp(rx2) * 1000 / rate }
    else { draw_interval = random_negexp(rx3) * 1000 / rate }
}

: Delay to the earliest next drive input; the caller sends the single pending
: drive self-event with it.  With no input left it returns 1e20 (never delivered).
FUNCTION next_drive() {
    LOCAL m
    m = xt0
    if (xt1 < m) { m = xt1 }
    if (xt2 < m) { m = xt2 }
    if (xt3 < m) { m = xt3 }
    if (pbt < m) { m = pbt }
    xnext = m
    if (m < 1e19) { next_drive = m - t } else { next_drive = 1e20 }
}

FUNCTION expd(x) {
    : exp(x) for x <= 0; exp_table = 1 reproduces the original's table
    : (5000 linear intervals on [-20, 0], arguments below -20 clamped)
    LOCAL p, i
    if (exp_table == 0) {
        expd = exp(x)
    } else {
VERBATIM
        if (!netcol_exptab_ready) {
            for (int j = 0; j <= 5000; ++j) { netcol_exptab[j] = std::exp(-20.0 + j * (20.0 / 5000.0)); }
            netcol_exptab_ready = 1;
        }
        {
            double xx = _lx;
            if (xx < -20.0) { xx = -20.0; }
            if (xx > 0.0) { xx = 0.0; }
            double pos = (xx + 20.0) * (5000.0 / 20.0);
            int j = (int) pos;
            if (j >= 5000) { j = 4999; }
            double fr = pos - j;
            _lexpd = netcol_exptab[j] + fr * (netcol_exptab[j + 1] - netcol_exptab[j]);
        }
        return _lexpd;
ENDVERBATIM
    }
}

: Analytic decay of all contributions to time t, and threshold relaxation.
: (Distal AMPA and GABA-A usually share a time constant: one exp serves both.)
PROCEDURE decay_to(tt) {
    LOCAL dt0, e2
    dt0 = tt - t0
    if (dt0 > 0) {
        if (VAM > eps) { VAM = VAM * expd(-dt0 / tauAM) } else { VAM = 0 }
        if (VNM > eps) { VNM = VNM * expd(-dt0 / tauNM) } else { VNM = 0 }
        if (VGA < -eps) { VGA = VGA * expd(-dt0 / tauGA) } else { VGA = 0 }
        e2 = -1
        if (VAM2 > eps) {
            e2 = expd(-dt0 / tauAM2)
            VAM2 = VAM2 * e2
        } else { VAM2 = 0 }
        if (VNM2 > eps) { VNM2 = VNM2 * expd(-dt0 / tauNM2) } else { VNM2 = 0 }
        if (VGA2 < -eps) {
            if (e2 < 0 || tauGA2 != tauAM2) { e2 = expd(-dt0 / tauGA2) }
            VGA2 = VGA2 * e2
        } else { VGA2 = 0 }
        if (AHP < -eps) { AHP = AHP * expd(-dt0 / tauahp) } else { AHP = 0 }
    }
    if (refractory == 0 && VTHC != VTH) {
        VTHC = VTH + (VTHR - VTH) * expd(-(tt - trrs) / tauRR)
    }
    t0 = tt
}

FUNCTION nmda_block(vabs (mV)) {
    nmda_block = maxnmc / (1 + exp(-0.062 * vabs) * mg / mg0)
}

: One proportional-integral scale-factor step at time tt (activity decayed first).
: tu is the time the sensor value refers to, tev the time of the cell's previous
: event (the integral's time step).  Without scaling the sensor is decayed only
: when it is raised or read (exact, since its decays compose): one exp less per event.
PROCEDURE scale_step(tt) {
    if (scaling && tt >= scaling_ton && (inhib == 0 || iscaling)) {
        act = act * exp(-(tt - tu) / act_tau_decay)
        if (goal < 0) {
            if (tt > 0) { goal = spkcnt / tt } else { goal = 0 }
        }
        sfac = sfac + beta * sfac * (goal - act) + gamma * sfac * interr
        interr = interr + (goal - act) * (tt - tev)
        tu = tt
    }
    tev = tt
}

: Replay, in time order, the scaling steps of the original's delivery callbacks
: (one per distinct outgoing delay per spike) that fall at or before tt.
PROCEDURE callback_steps(tt) {
    LOCAL i, best, bt, ct, n
    n = odel_count()
    while (npend > 0) {
        best = -1
        bt = 1e20
        FROM i = 0 TO NPEND - 1 {
            if (pendk[i] < n && pend[i] > -1e8) {
                ct = pend[i] + odel_at(pendk[i])
                if (ct < bt) { bt = ct  best = i }
            }
        }
        if (best < 0 || bt > tt) {
            if (best < 0) { npend = 0 }
            VERBATIM
            break;
            ENDVERBATIM
        }
        scale_step(bt)
        pendk[best] = pendk[best] + 1
        if (pendk[best] >= n) { pend[best] = -1e9  npend = npend - 1 }
    }
}

PROCEDURE prologue(tt) {
    if (npend > 0) { callback_steps(tt) }
    scale_step(tt)
}

PROCEDURE add_inputs(D, wam, wnm, wga, wam2, wnm2, wga2) {
    if (wam > 0) {
        VAM = VAM + wam * (1 - D / EAM)
        if (VAM < 0) { VAM = 0 }
    }
    if (wam2 > 0) {
        VAM2 = VAM2 + wam2 * (1 - D / EAM)
        if (VAM2 < 0) { VAM2 = 0 }
    }
    if (wnm > 0 && VNM < ENM) {
        VNM = VNM + wnm * nmda_block(RMP + D) * (1 - D / ENM)
        if (VNM < 0) { VNM = 0 }
    }
    if (wnm2 > 0 && VNM2 < ENM) {
        VNM2 = VNM2 + wnm2 * nmda_block(RMP + D) * (1 - D / ENM)
        if (VNM2 < 0) { VNM2 = 0 }
    }
    if (wga > 0 && VGA > EGA) {
        VGA = VGA - wga * (1 - D / EGA)
        if (VGA > 0) { VGA = 0 }
    }
    if (wga2 > 0 && VGA2 > EGA) {
        VGA2 = VGA2 - wga2 * (1 - D / EGA)
        if (VGA2 > 0) { VGA2 = 0 }
    }
}

FUNCTION dev_sum() {
    dev_sum = VAM + VNM + VGA + AHP + VAM2 + VNM2 + VGA2
}

: Driving-force deviation, clipped to [RMP, -RMP].
FUNCTION drive_dev() {
    LOCAL D
    D = dev_sum()
    if (D < RMP) { D = RMP }
    if (D > -RMP) { D = -RMP }
    drive_dev = D
}

: Integrate one input (weights already final) at the current t, then the
: threshold stage; returns 1 if the cell spiked (the caller emits the spike).
FUNCTION integrate(wam, wnm, wga, wam2, wnm2, wga2) {
    decay_to(t)
    add_inputs(drive_dev(), wam, wnm, wga, wam2, wnm2, wga2)
    integrate = threshold_stage()
}

: Integrate a weight w on receptor slot s (slot 3, GABA-B, and unknown slots add nothing).
FUNCTION integrate_slot(s, w) {
    if (s == 0) { integrate_slot = integrate(w, 0, 0, 0, 0, 0) }
    else if (s == 1) { integrate_slot = integrate(0, w, 0, 0, 0, 0) }
    else if (s == 2) { integrate_slot = integrate(0, 0, w, 0, 0, 0) }
    else if (s == 4) { integrate_slot = integrate(0, 0, 0, w, 0, 0) }
    else if (s == 5) { integrate_slot = integrate(0, 0, 0, 0, w, 0) }
    else if (s == 6) { integrate_slot = integrate(0, 0, 0, 0, 0, w) }
    else { integrate_slot = integrate(0, 0, 0, 0, 0, 0) }
}

: Threshold test at the current t; on a spike, all post-spike effects except the
: spike emission and the refractory-end event, which the caller sends.
FUNCTION threshold_stage() {
    LOCAL V, k
    threshold_stage = 0
    V = RMP + dev_sum()
    if (V < -90) { V = -90 }
    if (V > 0) { V = 0 }
    if (refractory == 0 && V > VTHC) {
        if (V > Vblock) {
            blkcnt = blkcnt + 1
        } else {
            AHP = AHP - ahpwt
            act = act * exp(-(t - tu) / act_tau_decay)
            act = act + (1 - act) / act_tau
            tu = t
            k = ringidx(nspk)
            ring[k] = t
            nspk = nspk + 1
            spkcnt = spkcnt + 1
            if (scaling && (inhib == 0 || iscaling) && odel_count() > 0) { add_pending(t) }
            VTHC = VTH + RRWght * (Vblock - VTH)
            VTHR = VTHC
            refractory = 1
            threshold_stage = 1
        }
    }
}

FUNCTION ringidx(n) {
    ringidx = n - floor(n / NRING) * NRING
}

PROCEDURE add_pending(ts) {
    LOCAL i, slot
    slot = -1
    FROM i = 0 TO NPEND - 1 {
        if (slot < 0 && pend[i] < -1e8) { slot = i }
    }
    if (slot < 0) {
        : more overlapping spikes than slots: finish the oldest chain now
        callback_steps(1e19)
        slot = 0
    }
    pend[slot] = ts
    pendk[slot] = 0
    npend = npend + 1
}

: Most recent postsynaptic spike strictly before tt (-1e9 if none in the ring).
FUNCTION last_spike_before(tt) {
    LOCAL i, n, s, k
    last_spike_before = -1e9
    n = nspk
    if (n > NRING) { n = NRING }
    FROM i = 1 TO n {
        k = ringidx(nspk - i)
        s = ring[k]
        if (s < tt) {
            last_spike_before = s
            VERBATIM
            break;
            ENDVERBATIM
        }
    }
}

FUNCTION in_window(ts) {
    in_window = (plast_start < 0 || plast_end < 0 || (plast_start <= ts && ts <= plast_end))
}

FUNCTION potentiated(w, dlt, inc, tau, wmax) {
    LOCAL a
    if (soft_stdp) { a = inc * (1 - w / wmax) } else { a = inc }
    w = w + potw * a * exp(-dlt / tau)
    if (w < 0) { w = 0 } else if (!soft_stdp && w > wmax) { w = wmax }
    potentiated = w
}

FUNCTION depressed(w, dlt, inc, tau, wmax) {
    LOCAL a
    if (soft_stdp) { a = inc * w / wmax } else { a = inc }
    w = w - depw * a * exp(-dlt / tau)
    if (w < 0) { w = 0 } else if (!soft_stdp && w > wmax) { w = wmax }
    depressed = w
}

NET_RECEIVE (wam, wnm, wga, wgb, wam2, wnm2, wga2, kind, wgain, plinc, pltau, plmax, dly, tpre, tdone, cut) {
    LOCAL tp, i, n, s, lp, g1, g2, ga, fa, k, spiked, dnext
    INITIAL {
        if (kind > 0 && kind < 3 && reset_plast) { wgain = 1 }
        tpre = -1
        tdone = -1e9
    }
    spiked = 0
    dnext = -1
    if (dead == 0 && (flag == 4 || (flag == 0 && kind == 3))) {
        : trial start or drive control: not synaptic events, so no scaling step
        if (flag == 4) {
            start_trial()
            net_send(trial_len, 4)
        } else if (wam == 2) {
            pbi = 0
            while (pb_time(pbi) < t) { pbi = pbi + 1 }
            pbt = pb_time(pbi)
        } else if (wam == 3) {
            if (refractory) { net_send(tref - t, 3) }
            if (trial_len > 0) { net_send((trial_k + 1) * trial_len - t, 4) }
        }
        drivegen = drivegen + 1
        dnext = next_drive()
    } else if (dead == 0 && !(flag == 0 && cut > 0) && !(flag >= 10 && flag != 10 + drivegen)) {
        prologue(t)
        if (flag == 3) {
            decay_to(t)
            refractory = 0
            trrs = t
        } else if (flag >= 10) {
            : external drive: the stream with the earliest next time supplies this input
            if (pbt <= xt0 && pbt <= xt1 && pbt <= xt2 && pbt <= xt3) {
                s = pb_slot(pbi)
                fa = pb_weight(pbi)
                pbi = pbi + 1
                pbt = pb_time(pbi)
            } else if (xt0 <= xt1 && xt0 <= xt2 && xt0 <= xt3) {
                s = xs0  fa = xw0 * xgain  xt0 = xt0 + draw_interval(0, xr0)
            } else if (xt1 <= xt2 && xt1 <= xt3) {
                s = xs1  fa = xw1 * xgain  xt1 = xt1 + draw_interval(1, xr1)
            } else if (xt2 <= xt3) {
                s = xs2  fa = xw2 * xgain  xt2 = xt2 + draw_interval(2, xr2)
            } else {
                s = xs3  fa = xw3 * xgain  xt3 = xt3 + draw_interval(3, xr3)
            }
            dnext = next_drive()
            spiked = integrate_slot(s, fa)
        } else if (kind == 0) {
            spiked = integrate(wam, wnm, wga, wam2, wnm2, wga2)
        } else {
            if (kind == 1 && plinc > 0 && stdp_on) {
                : replay the pairings since the previous arrival (see header)
                tp = t - dly
                lp = last_spike_before(tp)
                n = nspk
                if (n > NRING) { n = NRING }
                FROM i = 0 TO n - 1 {
                    k = ringidx(nspk - n + i)
                    s = ring[k]
                    if (s > tdone && s < tp && tpre >= 0 && s - tpre <= maxplastt && in_window(s)) {
                        wgain = potentiated(wgain, s - tpre, plinc, pltau, plmax)
                    }
                }
                if (lp > -1e8 && tp - lp < maxplastt && in_window(tp)) {
                    wgain = depressed(wgain, tp - lp, plinc, pltau, plmax)
                }
                FROM i = 0 TO n - 1 {
                    k = ringidx(nspk - n + i)
                    s = ring[k]
                    if (s > tdone && s >= tp && s <= t && s - tp <= maxplastt && in_window(s)) {
                        wgain = potentiated(wgain, s - tp, plinc, pltau, plmax)
                    }
                }
                if (nspk > 0) {
                    k = ringidx(nspk - 1)
                    tdone = ring[k]
                }
                tpre = tp
            }
            g1 = 1
            g2 = 1
            if (kind == 1) { ga = wgain } else { ga = 1 }
            if (scaling) {
                if (inhib == 0) { g1 = sfac  g2 = 1 / sfac } else { g1 = 1 / sfac  g2 = sfac }
            }
            if (wam > 0 || wnm > 0 || wga > 0 || wam2 > 0 || wnm2 > 0 || wga2 > 0) {
                spiked = integrate(wam * ga * g1, wnm, wga * g2, wam2 * ga * g1, wnm2, wga2 * g2)
            }
        }
    }
    if (dnext >= 0 && dnext < 1e19) { net_send(dnext, 10 + drivegen) }
    if (spiked) {
        net_event(t)
        tref = t + refrac - AHP * AHP2REF
        net_send(refrac - AHP * AHP2REF, 3)
    }
}

: ---------------------------------------------------------------- helpers

: Activity sensor decayed to the current time (spikes/ms).
FUNCTION activity() {
    activity = act * exp(-(t - tu) / act_tau_decay)
}

: Component i decayed to the current time without changing state:
: 0 VAM 1 VNM 2 VGA 3 VAM2 4 VNM2 5 VGA2 6 AHP 7 VTHC.
FUNCTION component(i) {
    LOCAL dt0
    dt0 = t - t0
    if (i == 0) { component = VAM * exp(-dt0 / tauAM) }
    else if (i == 1) { component = VNM * exp(-dt0 / tauNM) }
    else if (i == 2) { component = VGA * exp(-dt0 / tauGA) }
    else if (i == 3) { component = VAM2 * exp(-dt0 / tauAM2) }
    else if (i == 4) { component = VNM2 * exp(-dt0 / tauNM2) }
    else if (i == 5) { component = VGA2 * exp(-dt0 / tauGA2) }
    else if (i == 6) { component = AHP * exp(-dt0 / tauahp) }
    else {
        if (refractory == 0 && VTHC != VTH) {
            component = VTH + (VTHR - VTH) * exp(-(t - trrs) / tauRR)
        } else { component = VTHC }
    }
}

: Unclipped absolute membrane potential at the current time (mV).
FUNCTION vm() {
    LOCAL i
    vm = RMP
    FROM i = 0 TO 6 { vm = vm + component(i) }
}

: i-th most recent spike time (i = 0 newest); -1e9 if not held in the ring.
FUNCTION spike_time(i) {
    LOCAL k
    if (i < nspk && i < NRING) {
        k = ringidx(nspk - 1 - i)
        spike_time = ring[k]
    }
    else { spike_time = -1e9 }
}

PROCEDURE set_outgoing_delays() {
VERBATIM
    {
        IvocVect* v = vector_arg(1);
        int n = vector_capacity(v);
        double* d = vector_vec(v);
        std::vector<double> s(d, d + n);
        std::sort(s.begin(), s.end());
        std::vector<double>& o = netcol_get(gid)->odel;
        o.clear();
        for (double x : s) {
            if (o.empty() || x - o.back() > delmin) { o.push_back(x); }
        }
    }
ENDVERBATIM
}

FUNCTION odel_count() {
VERBATIM
    {
        NetcolExtra* e = netcol_find(gid);
        _lodel_count = e ? (double) e->odel.size() : 0.0;
    }
ENDVERBATIM
}

FUNCTION odel_at(i) {
VERBATIM
    _lodel_at = netcol_get(gid)->odel[(size_t) _li];
ENDVERBATIM
}

: Input played back at given times, slots and weights (training signal, or the
: whole drive in reference mode).  Times must be ascending; they are taken as
: absolute times and replace any previous playback.
PROCEDURE set_playback() {
VERBATIM
    {
        NetcolExtra* e = netcol_get(gid);
        IvocVect* vt = vector_arg(1);
        IvocVect* vs = vector_arg(2);
        IvocVect* vw = vector_arg(3);
        int n = vector_capacity(vt);
        if (vector_capacity(vs) != n || vector_capacity(vw) != n) {
            hoc_execerror("NetcolIntf6.set_playback: vectors differ in length", 0);
        }
        e->play_t.assign(vector_vec(vt), vector_vec(vt) + n);
        e->play_s.assign(vector_vec(vs), vector_vec(vs) + n);
        e->play_w.assign(vector_vec(vw), vector_vec(vw) + n);
    }
ENDVERBATIM
}

FUNCTION pb_time(i) {
VERBATIM
    {
        NetcolExtra* e = netcol_find(gid);
        size_t j = (size_t) _li;
        _lpb_time = (e && j < e->play_t.size()) ? e->play_t[j] : 1e20;
    }
ENDVERBATIM
}

FUNCTION pb_slot(i) {
VERBATIM
    _lpb_slot = netcol_get(gid)->play_s[(size_t) _li];
ENDVERBATIM
}

FUNCTION pb_weight(i) {
VERBATIM
    _lpb_weight = netcol_get(gid)->play_w[(size_t) _li];
ENDVERBATIM
}
