COMMENT
NetcolIntf6: an event-driven integrate-and-fire cell with AMPA, NMDA and GABA-A
receptors (proximal and distal), after-hyperpolarisation, relative refractoriness,
nearest-spike STDP and homeostatic synaptic scaling.  Written for netcol from the
behavioural specification of the INTF6 cell (shared/spec/intf6.md); delivery goes
through ordinary NetCons so that the cell works with ParallelContext across ranks.

NetCon weight vector (18 slots, 0-based), shared by every NetCon onto this cell
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
16 pre   presynaptic gid (for the chained arrival times below)
17 group index of the synapse's group in its presynaptic cell's delivery chain

Event flags: 0 NetCon input, 5 a NetCon input deferred to its chained arrival time
(self-event, below), 3 end of the absolute refractory period (self-event),
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
original the order of such a tie depends on the event queue.  Gains read at delivery
therefore equal the original's whenever the presynaptic cell's inter-spike interval
exceeds the synaptic delay (true for RS cells: refractory 5 ms >= delays <= 5 ms) and the postsynaptic
cell fired at most NRING spikes in the pairing window.  A gain as stored lags the
pairings of postsynaptic spikes since the last arrival; netcol.cell.settled_gain
adds them for reporting.

Stream caps (GLOBAL capped = 1; set_caps).  A stream with a cap n >= 0 ends after its
n-th event, as the original's NetStims end after their `number` events
(netcol.models.rowan2013 sets n = int(0.5 + rate (tstop + 5 s)) when the quirk "input
count" is on).  Each stream counts the events drawn into its buffer, and fill_buffer
drops the events of a stream that has reached its cap (the only place caps act);
inputs dropped from the buffer unapplied (a trial's restart or re-seeding) are taken off
the count again.  Caps and
counts live in the per-gid table, not in RANGE variables: as eight RANGE variables
they made the default mode 3-6 % slower in A/B runs, though only runs with caps read
them (NEURON 9 keeps each RANGE variable in an array of its own).

Lazy drive.  Each cell draws its next Poisson drive inputs ahead into a buffer of
NBUF entries.  After every real event it simulates the buffered inputs on a copy of its
membrane state, with the same arithmetic as the real path, and sends a real self-event
only for the first input that could make it fire (or the buffer's last, or the first at
or after plan_horizon, the next time the protocol may change the cell's inputs).  The
inputs before it are applied, in order and at their own times, when the next real event
(or catch_up() from Python) comes, by copying the states the planner cached: they are
proven not to fire, so the result is the same as one event per input (bit for bit),
with far fewer queue operations.  Another event (a synaptic arrival, the refractory end)
changes the state, so the inputs before the pending drive event are planned again; the
pending event itself stays valid (it applies its own input for real), and a new one is
sent only when one of those inputs could now fire the cell.  Re-planning only up to the
pending event, with no stale events left in the queue, made the baseline 7 % faster.

Chained arrival times (GLOBAL chained = 1, reference mode).  The original delivers a
spike through a chain of callbacks: the first at t_s + d0 (the shortest delay), each next
one at the previous one's time + (its delay - the previous one's delay).  The arrival
times so computed differ in the last bits from t_s + delay, and over long runs those bits
decide spikes.  With chained = 1 every NetCon from a cell has the delay d0 and its weight
slots name the presynaptic gid and the synapse's group in the chain; the arrival at
t_s + d0 sums the chain's delay differences (set_chain) in the original's order and defers
itself to that time (flag 5; the difference of two nearby times is exact, so the
self-event lands on it to the bit).  The callback scaling steps use the same chained times.

Scaling steps.  In the original every event a live cell receives, including the
delivery callbacks its own spikes produce (one per distinct outgoing delay), runs one
proportional-integral scale-factor update.  Here the callbacks are replayed lazily:
the cell keeps its distinct outgoing delays (set_outgoing_delays) and, before each
real event, performs the pending steps at spike time + delay in time order.

Reference mode's prologue (GLOBALs, each a named quirk).  callbacks_always = 1: every
live cell's spikes have their callback steps from t = 0, so a spike fired just before
scaling switches on still gives its callbacks after it (the original's callbacks are
events whether scaling is on or not), and its first callback can be a cell's first
scaling step.  sensor_every_event = 1: the activity sensor decays at every event (each
drive input and callback too), not in one step over the gap to the next spike or record.
summed_corrections = 1: the scale factor's proportional and integral terms are summed
before they are added.  Each changes only the last bits, which long runs amplify.
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
    RANGE bt, bs, nb, bi, xplan, cvalid
    RANGE xorig, xh0, xh1, xh2, xh3, xl0, xl1, xl2, xl3
    RANGE ring, nspk, pend, pendk, npend
    RANDOM rx0, rx1, rx2, rx3
    GLOBAL EAM, ENM, EGA, mg, eps
    GLOBAL scaling, iscaling, scaling_ton, act_tau, act_tau_decay, beta, gamma
    GLOBAL stdp_on, plast_start, plast_end, maxplastt, soft_stdp, potw, depw, reset_plast
    GLOBAL exp_table, delmin, init_events, plan_horizon, chained, capped
    GLOBAL callbacks_always, sensor_every_event, summed_corrections
}

DEFINE NRING 32
DEFINE NPEND 4
DEFINE NBUF 12

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
    xorig = 0
    EAM = 65 (mV)
    ENM = 90 (mV)
    EGA = -15 (mV)
    mg = 1.6 (mM)
    eps = 1e-11
    scaling = 0
    iscaling = 0
    scaling_ton = 0 (ms)
    callbacks_always = 0
    sensor_every_event = 0
    summed_corrections = 0
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
    plan_horizon = 1e20 (ms)
    chained = 0
    capped = 0
}

ASSIGNED {
    VAM (mV) VNM (mV) VGA (mV) VAM2 (mV) VNM2 (mV) VGA2 (mV) AHP (mV)
    VTHC (mV) VTHR (mV) refractory t0 (ms) trrs (ms)
    dead spkcnt blkcnt
    act goal interr sfac tu (ms) tev (ms)
    xt0 (ms) xt1 (ms) xt2 (ms) xt3 (ms) xnext (ms) drivegen pbi pbt (ms) trial_k tref (ms)
    ring[NRING] nspk pend[NPEND] pendk[NPEND] npend
    bt[NBUF] (ms) bs[NBUF] nb bi xplan (ms)
    xh0 xh1 xh2 xh3 xl0 xl1 xl2 xl3
    cs[144] cb[NBUF] cvalid  : cs: NBUF cached states of NC_NMEMB doubles each
}

VERBATIM
/* libm exp directly: arguments here are never positive and underflow to 0 is wanted */
#undef exp
#include <unordered_map>
#include <vector>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
/* Per-cell data too large or too variable for RANGE variables, keyed by gid
   (one table per process; every rank holds only its own cells). */
struct NetcolExtra {
    std::vector<double> odel;             /* distinct outgoing delays, ascending */
    std::vector<double> play_t, play_s, play_w;  /* playback input: times, slots, weights */
    double cap[4] = {-1, -1, -1, -1};     /* stream caps (negative: none) and events counted */
    double count[4] = {0, 0, 0, 0};
    double seed[4] = {0, 0, 0, 0};        /* reference mode: construction seeds and source */
    double source[4] = {0, 0, 0, 0};      /* indices j of the original's NetStim streams */
};
static std::unordered_map<long, NetcolExtra> netcol_extra;
/* Per presynaptic gid: the delay differences of its delivery chain, group 1 on
   (chained arrival times, see the header). */
static std::unordered_map<long, std::vector<double>> netcol_chains;
static NetcolExtra* netcol_get(double g) { return &netcol_extra[(long) g]; }
static NetcolExtra* netcol_find(double g) {
    auto it = netcol_extra.find((long) g);
    return it == netcol_extra.end() ? nullptr : &it->second;
}
/* NEURON's MCellRan4 (src/oc/mcran4.cpp, nrnRan4int/nrnRan4dbl): a two-round hash of
   the 64-bit index (high, low) whose upper 32 bits make a uniform in [0, 1); the hoc
   Random's negexp(1) returns -log of it.  high is the position and moves on by one. */
static inline uint32_t netcol_ran4_round(uint32_t x, uint32_t c1, uint32_t c2, uint32_t into) {
    uint32_t w = x ^ c1;
    uint32_t v = w >> 16;
    w &= 0xffffu;
    uint32_t u = ~((v - w) * (v + w));
    return into ^ ((((u >> 16) | (u << 16)) ^ c2) + w * v);
}
static inline double netcol_mcellran4_negexp(double* high, double low) {
    uint32_t n = (uint32_t) *high;
    uint32_t m = (uint32_t) low;
    *high = (double) (uint32_t) (n + 1u);
    m = netcol_ran4_round(n, 0xbaa96887u, 0x4b0f3b58u, m);
    n = netcol_ran4_round(m, 0x1e17d32cu, 0xe874f0c3u, n);
    return -std::log((double) n * (1.0 / 4294967296.0));
}
#include "netcol_intf6_math.hpp"
#define NC_LOAD(s) NcMemb s{VAM, VNM, VGA, VAM2, VNM2, VGA2, AHP, VTHC, VTHR, trrs, t0, refractory}
#define NC_STORE(s) { VAM = s.c_am; VNM = s.c_nm; VGA = s.c_ga; VAM2 = s.c_am2; VNM2 = s.c_nm2; VGA2 = s.c_ga2; AHP = s.c_ahp; \
                      VTHC = s.c_vthc; VTHR = s.c_vthr; trrs = s.c_trrs; t0 = s.c_t0; refractory = s.c_refr; }
#define NC_PAR(p) NcPar p{tauAM, tauNM, tauGA, tauAM2, tauNM2, tauGA2, tauahp, RMP, VTH, Vblock, tauRR, EAM, ENM, EGA, \
                          mg, mg0, maxnmc, eps, (int) exp_table}
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
    if (xorig) {
VERBATIM
        {
            const NetcolExtra* ex = netcol_get(gid);
            xl0 = ex->seed[0]; xl1 = ex->seed[1]; xl2 = ex->seed[2]; xl3 = ex->seed[3];
        }
ENDVERBATIM
        : the original set negexp(1) after seeding, which used up each stream's first value
        xh0 = xl0 + 1  xh1 = xl1 + 1  xh2 = xl2 + 1  xh3 = xl3 + 1
    }
    if (capped) {
VERBATIM
        std::fill_n(netcol_get(gid)->count, 4, 0.0);
ENDVERBATIM
    }
    xt0 = 1e20  xt1 = 1e20  xt2 = 1e20  xt3 = 1e20
    if (xr0 > 0) { xt0 = t + draw_interval(0, xr0) }
    if (xr1 > 0) { xt1 = t + draw_interval(1, xr1) }
    if (xr2 > 0) { xt2 = t + draw_interval(2, xr2) }
    if (xr3 > 0) { xt3 = t + draw_interval(3, xr3) }
    pbi = 0
    pbt = pb_time(0)
    nb = 0
    bi = 0
    cvalid = 0
    drivegen = 0
    trial_k = -1
    tref = -1
    replan(1e20)
    xnext = 1e20
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
    if (xorig) {
        reseed_original(k)
        VERBATIM
        return 0;
        ENDVERBATIM
    }
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
    uncount_buffered()
    nb = 0
    bi = 0
    cvalid = 0
    xt0 = 1e20  xt1 = 1e20  xt2 = 1e20  xt3 = 1e20
    if (xr0 > 0) { xt0 = t + draw_interval(0, xr0) }
    if (xr1 > 0) { xt1 = t + draw_interval(1, xr1) }
    if (xr2 > 0) { xt2 = t + draw_interval(2, xr2) }
    if (xr3 > 0) { xt3 = t + draw_interval(3, xr3) }
}

: The buffered inputs not yet applied are dropped by the caller: they no longer count
: against their streams' caps (a kept one counts again when it is drawn into the buffer).
PROCEDURE uncount_buffered() {
VERBATIM
    if (capped) {
        NetcolExtra* ex = netcol_get(gid);
        for (int j = (int) bi; j < (int) nb; ++j) { ex->count[(int) bs[j]] -= 1; }
    }
ENDVERBATIM
}

: set_original_streams(b0, b1, b2, b3, j0, j1, j2, j3): reference mode's streams: stream k
: is the original's source jk, seeded bk at construction (read at INITIAL and re-seeding;
: kept out of RANGE variables, see the caps)
PROCEDURE set_original_streams(b0, b1, b2, b3, j0, j1, j2, j3) {
VERBATIM
    NetcolExtra* ex = netcol_get(gid);
    const double b[4] = {_lb0, _lb1, _lb2, _lb3}, j[4] = {_lj0, _lj1, _lj2, _lj3};
    std::copy(b, b + 4, ex->seed);
    std::copy(j, j + 4, ex->source);
ENDVERBATIM
}

: set_caps(n0, n1, n2, n3): stream k ends after nk events while capped = 1 (negative: never)
PROCEDURE set_caps(n0, n1, n2, n3) {
VERBATIM
    NetcolExtra* ex = netcol_get(gid);
    ex->cap[0] = _ln0; ex->cap[1] = _ln1; ex->cap[2] = _ln2; ex->cap[3] = _ln3;
ENDVERBATIM
}

: stream_count(k): the events of stream k counted against its cap; set_stream_count(k, c)
: restores it (checkpoints)
FUNCTION stream_count(k) {
VERBATIM
    _lstream_count = netcol_get(gid)->count[(int) _lk];
ENDVERBATIM
}

PROCEDURE set_stream_count(k, c) {
VERBATIM
    netcol_get(gid)->count[(int) _lk] = _lc;
ENDVERBATIM
}

: Trial k of the original's deletion protocol (experiments.md section 4.5): each stream keeps
: the time of its next event and draws the intervals after it from seed T + 1 + j (a
: unique trial, k even; T the trial's start in ms) or 1234 + j (a repeat trial).
PROCEDURE reseed_original(k) {
    LOCAL s, unique
VERBATIM
    {
        double* next[4] = {&xt0, &xt1, &xt2, &xt3};
        bool kept[4] = {false, false, false, false};
        for (int j = (int) bi; j < (int) nb; ++j) {   /* drawn ahead with the old seed */
            int k = (int) bs[j];
            if (!kept[k]) { *next[k] = bt[j]; kept[k] = true; }
        }
    }
ENDVERBATIM
    uncount_buffered()
    nb = 0
    bi = 0
    cvalid = 0
    unique = (k - 2 * floor(k / 2) == 0)
    if (unique) { s = floor(k * trial_len + 0.5) + 1 } else { s = 1234 }
VERBATIM
    {
        const NetcolExtra* ex = netcol_get(gid);
        xl0 = _ls + ex->source[0]; xl1 = _ls + ex->source[1]; xl2 = _ls + ex->source[2]; xl3 = _ls + ex->source[3];
    }
ENDVERBATIM
    xh0 = xl0 + 1  xh1 = xl1 + 1  xh2 = xl2 + 1  xh3 = xl3 + 1
}

: Stream k's next value as the original's NetStim draws it (MCellRan4 at index (xh, xl),
: as negexp(1)); moves the stream on by one.
FUNCTION original_draw(k) {
VERBATIM
    {
        double* high[4] = {&xh0, &xh1, &xh2, &xh3};
        const double low[4] = {xl0, xl1, xl2, xl3};
        int k = (int) _lk;
        _loriginal_draw = netcol_mcellran4_negexp(high[k], low[k]);
    }
ENDVERBATIM
}

FUNCTION draw_interval(k, rate) {
    if (xorig) {
        : the NetStim's interval times its draw, as the original's NetStim (network.md section 6.2)
        draw_interval = (1000 / rate) * original_draw(k)
    } else if (k == 0) { draw_interval = random_negexp(rx0) * 1000 / rate }
    else if (k == 1) { draw_interval = random_negexp(rx1) * 1000 / rate }
    else if (k == 2) { draw_interval = random_negexp(rx2) * 1000 / rate }
    else { draw_interval = random_negexp(rx3) * 1000 / rate }
}

: Delay to the drive self-event the cell needs next (the planned Poisson input or the
: next playback entry); the caller sends it.  With none it returns 1e20 (never delivered).
FUNCTION next_drive() {
    LOCAL m
    m = xplan
    if (pbt < m) { m = pbt }
    xnext = m
    if (m < 1e19) { next_drive = m - t } else { next_drive = 1e20 }
}


: Draw buffered drive inputs until the buffer is full, merged in time order over the
: four streams (on equal times the lower stream first).
PROCEDURE fill_buffer() {
    LOCAL i, j, nbuf
    nbuf = NBUF
    cvalid = 0
    if (bi > 0) {
        FROM i = bi TO nb - 1 {
            j = i - bi
            bt[j] = bt[i]
            bs[j] = bs[i]
        }
        nb = nb - bi
        bi = 0
    }
VERBATIM
    {
        double* next[4] = {&xt0, &xt1, &xt2, &xt3};
        NetcolExtra* ex = capped ? netcol_get(gid) : nullptr;
        const double rate[4] = {xr0, xr1, xr2, xr3};
        while (nb < _lnbuf) {
            int k = 0;
            double m = xt0;
            if (xt1 < m) { k = 1; m = xt1; }
            if (xt2 < m) { k = 2; m = xt2; }
            if (xt3 < m) { k = 3; m = xt3; }
            if (m >= 1e19) { break; }
            /* with capped = 1 a stream with a cap ends after that many events, as a
               NetStim after its number (only then are events counted) */
            if (ex) {
                if (ex->cap[k] >= 0 && ex->count[k] >= ex->cap[k]) { *next[k] = 1e20; continue; }
                ex->count[k] += 1;
            }
            const int j = (int) nb;
            bt[j] = m;
            bs[j] = k;
            nb = nb + 1;
            *next[k] = m + draw_interval(_threadargscomma_ (double) k, rate[k]);
        }
    }
ENDVERBATIM
}

: Set xplan to the time of the buffered input that needs a real event: the first that
: could fire the cell, else the first at or after plan_horizon or at or after limit (the
: time of the drive event already pending, which applies that input), else the last
: buffered; 1e20 while the cell stays refractory past the buffered inputs it can take
: (its refractory-end event replans) or when there is no drive.
PROCEDURE replan(limit (ms)) {
    fill_buffer()
VERBATIM
    {
        NC_LOAD(st);
        NC_PAR(pa);
        const double slot[4] = {xs0, xs1, xs2, xs3};
        const double w[4] = {xw0 * xgain, xw1 * xgain, xw2 * xgain, xw3 * xgain};
        const int n = (int) nb;
        const double* btp = &bt[0];
        const double* bsp = &bs[0];
        double* csp = &cs[0];
        double* cbp = &cb[0];
        double plan = n > 0 ? btp[n - 1] : 1e20;
        int j = (int) bi;
        for (; j < n; ++j) {
            double tj = btp[j];
            if (st.c_refr != 0 && tj >= tref) { plan = 1e20; break; }
            if (tj >= plan_horizon || tj >= _llimit) { plan = tj; break; }
            nc_decay(st, pa, tj);
            int k = (int) bsp[j];
            nc_add_slot(st, pa, nc_drive_dev(st, pa), (int) slot[k], w[k]);
            int test = nc_test(st, pa);
            if (test == 1) { plan = tj; break; }
            /* the state after a safe input, for catch_up to copy */
            std::memcpy(csp + j * NC_NMEMB, &st, sizeof(NcMemb));
            cbp[j] = test == 2;
        }
        cvalid = j < n ? j : n;
        xplan = plan;
    }
ENDVERBATIM
}

: Apply, in order and at their own times, the buffered drive inputs before tt (they were
: planned not to fire the cell).  Python calls it before reading or changing a cell.
PROCEDURE catch_up(tt) {
    : a deleted cell is frozen: nothing is applied any more
    if (dead == 0 && npend == 0 && !(scaling && (inhib == 0 || iscaling))) {
        : no scaling step can act on this cell: each input's prologue only notes its time
VERBATIM
        {
            /* only the state after the last of them is needed */
            int j = (int) bi;
            const int last = (int) cvalid;
            double blocked = 0;
            while (j < last && bt[j] < _ltt) {
                blocked += cb[j] != 0;
                if (sensor_every_event) {
                    /* each input is an event of the original's, with its own sensor decay */
                    act = act * exp(-(bt[j] - tu) / act_tau_decay);
                    tu = bt[j];
                }
                ++j;
            }
            if (j > (int) bi) {
                NcMemb st;
                std::memcpy(&st, &cs[0] + (j - 1) * NC_NMEMB, sizeof(NcMemb));
                NC_STORE(st);
                blkcnt = blkcnt + blocked;
                tev = bt[j - 1];
                bi = j;
            }
        }
ENDVERBATIM
    }
    while (dead == 0 && bi < nb && bt[bi] < tt) {
        prologue(bt[bi])
        apply_buffered()
        bi = bi + 1
    }
}

: Apply buffered input bi: the state replan() computed for it if still valid, else the
: same arithmetic again (after a resume).
PROCEDURE apply_buffered() {
VERBATIM
    if (bi < cvalid) {
        NcMemb st;
        std::memcpy(&st, &cs[0] + (int) bi * NC_NMEMB, sizeof(NcMemb));
        if (cb[(int) bi] != 0) { blkcnt = blkcnt + 1; }
        NC_STORE(st);
    } else {
        NC_LOAD(st);
        NC_PAR(pa);
        const double slot[4] = {xs0, xs1, xs2, xs3};
        const double w[4] = {xw0 * xgain, xw1 * xgain, xw2 * xgain, xw3 * xgain};
        int j = (int) bi;
        int k = (int) bs[j];
        nc_decay(st, pa, bt[j]);
        nc_add_slot(st, pa, nc_drive_dev(st, pa), (int) slot[k], w[k]);
        if (nc_test(st, pa) == 2) { blkcnt = blkcnt + 1; }
        NC_STORE(st);
    }
ENDVERBATIM
}

PROCEDURE decay_to(tt) {
VERBATIM
    { NC_LOAD(st); NC_PAR(pa); nc_decay(st, pa, _ltt); NC_STORE(st); }
ENDVERBATIM
}

FUNCTION nmda_block(vabs (mV)) {
VERBATIM
    { NC_PAR(pa); _lnmda_block = nc_block(pa, _lvabs); }
ENDVERBATIM
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
        if (summed_corrections) {
            : the original adds the two terms' sum (another rounding than one at a time)
            sfac = sfac + (beta * sfac * (goal - act) + gamma * sfac * interr)
        } else {
            sfac = sfac + beta * sfac * (goal - act) + gamma * sfac * interr
        }
        interr = interr + (goal - act) * (tt - tev)
        tu = tt
    } else if (sensor_every_event) {
        : the original decays the sensor at every event, scaling or not: the decays'
        : product rounds differently from one decay over the whole gap
        act = act * exp(-(tt - tu) / act_tau_decay)
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
                : chained: pend holds the time of the chain's next callback
                if (chained) { ct = pend[i] } else { ct = pend[i] + odel_at(pendk[i]) }
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
        if (pendk[best] >= n) {
            pend[best] = -1e9
            npend = npend - 1
        } else if (chained) {
            pend[best] = pend[best] + (odel_at(pendk[best]) - odel_at(pendk[best] - 1))
        }
    }
}

PROCEDURE prologue(tt) {
    if (npend > 0) { callback_steps(tt) }
    scale_step(tt)
}

PROCEDURE add_inputs(D, wam, wnm, wga, wam2, wnm2, wga2) {
VERBATIM
    { NC_LOAD(st); NC_PAR(pa); nc_add(st, pa, _lD, _lwam, _lwnm, _lwga, _lwam2, _lwnm2, _lwga2); NC_STORE(st); }
ENDVERBATIM
}

FUNCTION dev_sum() {
VERBATIM
    { NC_LOAD(st); _ldev_sum = nc_sum(st); }
ENDVERBATIM
}

: Driving-force deviation, clipped to [RMP, -RMP].
FUNCTION drive_dev() {
VERBATIM
    { NC_LOAD(st); NC_PAR(pa); _ldrive_dev = nc_drive_dev(st, pa); }
ENDVERBATIM
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
            if ((callbacks_always || (scaling && (inhib == 0 || iscaling))) && odel_count() > 0) { add_pending(t) }
            VTHC = VTH + RRWght * (Vblock - VTH)
            VTHR = VTHC
            refractory = 1
            : the refractory-end event's own delivery time (t + delay, as net_send adds it),
            : so that a resumed run re-sends it to the same last bit
            tref = t + (refrac - AHP * AHP2REF)
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
    if (chained) { pend[slot] = ts + odel_at(0) } else { pend[slot] = ts }
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

NET_RECEIVE (wam, wnm, wga, wgb, wam2, wnm2, wga2, kind, wgain, plinc, pltau, plmax, dly, tpre, tdone, cut, pre, group) {
    LOCAL tp, i, n, s, lp, g1, g2, ga, fa, k, spiked, resched, m, te
    INITIAL {
        if (kind > 0 && kind < 3 && reset_plast) { wgain = 1 }
        tpre = -1
        tdone = -1e9
    }
    if (flag == 0 && chained && kind > 0 && kind < 3 && group > 0) {
        : the original's callback chain reaches this synapse's group later (see the header)
        net_send((chained_arrival(pre, group) - t), 5)
        VERBATIM
        return;
        ENDVERBATIM
    }
    spiked = 0
    resched = 0
    if (dead == 0 && (flag == 4 || (flag == 0 && kind == 3))) {
        : trial start or drive control: not synaptic events, so no scaling step
        catch_up(t)
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
        resched = 2
    } else if (dead == 0 && !((flag == 0 || flag == 5) && cut > 0) && !(flag >= 10 && flag != 10 + drivegen)) {
        if (flag >= 10) {
            : a drive event is its input's own time xnext: t + (xnext - t) as NEURON
            : delivers it can miss that by a rounding step when it was sent at a time
            : before xnext / 2 (early in a run), and the bits would then depend on how
            : far ahead the cell planned
VERBATIM
            t = xnext;
ENDVERBATIM
        }
        : the buffered drive inputs before this event first
        catch_up(t)
        : the refractory end at its own time tref: after a resume its re-sent event may
        : arrive a rounding error away from the time the uninterrupted run had
        te = t
        if (flag == 3) { te = tref }
        prologue(te)
        resched = 1
        if (flag == 3) {
            decay_to(te)
            refractory = 0
            trrs = te
        } else if (flag >= 10) {
            : the playback entry or the planned Poisson input, whichever is due
            resched = 2
            if (pbt <= xnext) {
                s = pb_slot(pbi)
                fa = pb_weight(pbi)
                pbi = pbi + 1
                pbt = pb_time(pbi)
                spiked = integrate_slot(s, fa)
            } else if (bi < nb) {
                k = bs[bi]
                bi = bi + 1
                if (k == 0) { s = xs0  fa = xw0 * xgain }
                else if (k == 1) { s = xs1  fa = xw1 * xgain }
                else if (k == 2) { s = xs2  fa = xw2 * xgain }
                else { s = xs3  fa = xw3 * xgain }
                spiked = integrate_slot(s, fa)
            }
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
    if (resched) {
        : after any other event the pending drive event stays valid: it applies its own
        : input for real, so only the inputs before it are planned again, and a new
        : event is sent only when one of them could fire the cell
        if (resched == 1) { replan(xnext) } else { replan(1e20) }
        m = xplan
        if (pbt < m) { m = pbt }
        if (resched == 2 || m < xnext) {
            drivegen = drivegen + 1
            if (next_drive() < 1e19) { net_send(next_drive(), 10 + drivegen) }
        }
    }
    if (spiked) {
        net_event(t)
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

: value_at(k, tt): what a recording reads of the cell at tt (ms; after catch_up(tt)),
: without changing it: 0-5 VAM, VNM, VGA, VAM2, VNM2, VGA2 and 6 AHP decayed to tt (mV
: deviations), 7 the threshold (mV), 8 the unclipped membrane potential (mV), 9 the
: activity sensor (1/ms), 10 the goal (1/ms; -1 until scaling sets it), 11 the scale
: factor; NaN once the cell is deleted
FUNCTION value_at(k, tt) {
VERBATIM
    {
        const int k = (int) _lk;
        const double tt = _ltt, d = tt - t0;
        const double c[7] = {VAM * exp(-d / tauAM), VNM * exp(-d / tauNM), VGA * exp(-d / tauGA),
                             VAM2 * exp(-d / tauAM2), VNM2 * exp(-d / tauNM2), VGA2 * exp(-d / tauGA2),
                             AHP * exp(-d / tauahp)};
        double v;
        if (dead != 0) {
            v = std::nan("");
        } else if (k >= 0 && k < 7) {
            v = c[k];
        } else if (k == 7) {
            v = (refractory == 0 && VTHC != VTH) ? VTH + (VTHR - VTH) * exp(-(tt - trrs) / tauRR) : VTHC;
        } else if (k == 8) {
            v = RMP;
            for (int i = 0; i < 7; ++i) { v += c[i]; }
        } else if (k == 9) {
            v = act * exp(-(tt - tu) / act_tau_decay);
        } else if (k == 10) {
            v = goal;
        } else {
            v = sfac;
        }
        _lvalue_at = v;
    }
ENDVERBATIM
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
        netcol_get(gid)->odel = nc_distinct_delays(vector_vec(v), vector_capacity(v), delmin);
    }
ENDVERBATIM
}

PROCEDURE set_chain(pregid) {
VERBATIM
    {
        IvocVect* v = vector_arg(2);
        double* d = vector_vec(v);
        netcol_chains[(long) _lpregid].assign(d, d + vector_capacity(v));
    }
ENDVERBATIM
}

: Arrival time of group g of presynaptic cell pregid's chain, from the chain's first
: callback at t: t + diff1 + ... + diffg, summed one at a time as the original's
: callbacks add them.
FUNCTION chained_arrival(pregid, g) {
VERBATIM
    {
        const std::vector<double>& d = netcol_chains[(long) _lpregid];
        double a = t;
        int n = (int) _lg;
        for (int i = 0; i < n && i < (int) d.size(); ++i) { a = a + d[i]; }
        _lchained_arrival = a;
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
