COMMENT
NetcolIntf6: an event-driven integrate-and-fire cell with AMPA, NMDA and GABA-A
receptors (proximal and distal), after-hyperpolarisation, relative refractoriness,
nearest-spike STDP and homeostatic synaptic scaling.  Written for netcol from the
behavioural specification of the INTF6 cell (shared/spec/intf6.md); delivery goes
through ordinary NetCons so that the cell works with ParallelContext across ranks.

The cell itself is the core's (netcol_intf6_core.hpp, shared with the per-rank
NetcolColumn): its state lives in an nc::Cell, and every rule below is a function there.
This file is the per-cell shell around it: one nc::Cell per point process (CONSTRUCTOR),
its parameters as RANGE variables (copied into the nc::Cell at every entry, so that
Python may change them at any time, as it may any RANGE variable), the module-wide
settings as GLOBALs, NEURON's queue for its events (the core's receive says what to
queue; the sends are written here in NMODL so that their times keep the bits NMODL's
net_send gives them), and its state for Python by name: state_value("sfac"),
set_state_value("sfac", x), state_value("ring", i) (netcol.cells.intf6.state wraps them
as attributes).

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
the count again.

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
    RANGE gid, inhib
    RANGE xr0, xr1, xr2, xr3, xw0, xw1, xw2, xw3, xs0, xs1, xs2, xs3, xgain
    RANGE trial_len, drive_seed, xorig, core_id
    RANDOM rx0, rx1, rx2, rx3
    GLOBAL EAM, ENM, EGA, mg, eps
    GLOBAL scaling, iscaling, scaling_ton, act_tau, act_tau_decay, beta, gamma
    GLOBAL stdp_on, plast_start, plast_end, maxplastt, soft_stdp, potw, depw, reset_plast
    GLOBAL exp_table, delmin, init_events, plan_horizon, chained, capped
    GLOBAL callbacks_always, sensor_every_event, summed_corrections
}

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
    core_id   : the index of the cell's nc::Cell in netcol_cells
}

VERBATIM
#undef exp
#include <memory>
#include <unordered_map>
#include <vector>
#include "netcol_intf6_core.hpp"
/* This process's cells (a CONSTRUCTOR takes a slot, its DESTRUCTOR frees it) */
static std::vector<std::unique_ptr<nc::Cell>> netcol_cells;
static std::vector<std::size_t> netcol_free;
/* Per presynaptic gid: the delay differences of its delivery chain, group 1 on
   (chained arrival times, see the header). */
static std::unordered_map<long, std::vector<double>> netcol_chains;
/* The current instance's cell as it is (reading it) */
static nc::Cell& netcol_core() { return *netcol_cells[(std::size_t) core_id]; }
/* The current instance's cell with its parameters from the RANGE variables (running it) */
static nc::Cell& netcol_cell() {
    nc::Cell& c = netcol_core();
    c.p = NcPar{tauAM, tauNM, tauGA, tauAM2, tauNM2, tauGA2, tauahp, RMP, VTH, Vblock, tauRR, EAM, ENM, EGA, mg, mg0,
                maxnmc, eps, (int) exp_table};
    c.refrac_ms = refrac; c.rr_weight = RRWght; c.ahp_step = ahpwt; c.ahp2ref = AHP2REF;
    c.cell_gid = gid; c.inhibitory = inhib != 0;
    c.xr[0] = xr0; c.xr[1] = xr1; c.xr[2] = xr2; c.xr[3] = xr3;
    c.xw[0] = xw0; c.xw[1] = xw1; c.xw[2] = xw2; c.xw[3] = xw3;
    c.xs[0] = (int) xs0; c.xs[1] = (int) xs1; c.xs[2] = (int) xs2; c.xs[3] = (int) xs3;
    c.drive_gain = xgain; c.trial_ms = trial_len; c.drive_seed_ = drive_seed; c.original = xorig != 0;
    return c;
}
/* The module-wide settings in nc::settings_from's order */
static nc::Settings netcol_settings() {
    const double v[nc::NSETTINGS] = {scaling, iscaling, scaling_ton, act_tau, act_tau_decay, beta, gamma, stdp_on,
                                     plast_start, plast_end, maxplastt, soft_stdp, potw, depw, reset_plast,
                                     plan_horizon, chained, capped, callbacks_always, sensor_every_event,
                                     summed_corrections};
    return nc::settings_from(v);
}
ENDVERBATIM

CONSTRUCTOR {
VERBATIM
    {
        std::size_t i = netcol_cells.size();
        if (!netcol_free.empty()) {
            i = netcol_free.back();
            netcol_free.pop_back();
        } else {
            netcol_cells.emplace_back();
        }
        netcol_cells[i] = std::make_unique<nc::Cell>();
        netcol_cells[i]->plan = std::make_unique<nc::Plan>();
        core_id = (double) i;
    }
ENDVERBATIM
}

DESTRUCTOR {
VERBATIM
    netcol_cells[(std::size_t) core_id].reset();
    netcol_free.push_back((std::size_t) core_id);
ENDVERBATIM
}

INITIAL {
    LOCAL nd
VERBATIM
    {
        nc::Cell& c = netcol_cell();
        c.rs[0] = rx0; c.rs[1] = rx1; c.rs[2] = rx2; c.rs[3] = rx3;
        const nc::Settings e = netcol_settings();
        nc::init(c, e, t);
        nc::replan(c, e, nc::NEVER);
        _lnd = 1e20;
        /* init_events = 0 when a run resumes from a checkpoint: the state and the pending
           events are restored afterwards (control slot 0 = 3) */
        if (init_events) {
            const double m = nc::next_drive_time(c);
            if (m < 1e19) { _lnd = m - t; }
        }
    }
ENDVERBATIM
    if (init_events) {
        if (nd < 1e19) { net_send(nd, 10) }
        if (trial_len > 0) { net_send(0, 4) }
    }
}

NET_RECEIVE (wam, wnm, wga, wgb, wam2, wnm2, wga2, kind, wgain, plinc, pltau, plmax, dly, tpre, tdone, cut, pre, group) {
    LOCAL spiked, drive, trial, resend, gen, ahp, refr, tr, tk, nd
    INITIAL {
VERBATIM
        nc::plastic_init(netcol_settings(), (int) _args[7], _args[8], _args[13], _args[14]);
ENDVERBATIM
    }
    if (flag == 0 && chained && kind > 0 && kind < 3 && group > 0) {
        : the original's callback chain reaches this synapse's group later (see the header)
        net_send((chained_arrival(pre, group) - t), 5)
        VERBATIM
        return;
        ENDVERBATIM
    }
VERBATIM
    {
        nc::Cell& c = netcol_cell();
        const nc::Settings e = netcol_settings();
        const double fl = _lflag;
        int out;
        if (fl >= 10) {
            const std::uint64_t g = (std::uint64_t) (fl - 10);
            /* a drive event is its input's own time xnext: t + (xnext - t) as NEURON
               delivers it can miss that by a rounding step when it was sent at a time
               before xnext / 2 (early in a run), and the bits would then depend on how
               far ahead the cell planned */
            if (!c.dead && g == c.gen) { t = c.xnext; }
            out = nc::receive(c, e, nc::EV_DRIVE, t, g);
        } else if (fl == 3) {
            out = nc::receive(c, e, nc::EV_REFRACTORY, t);
        } else if (fl == 4) {
            out = nc::receive(c, e, nc::EV_TRIAL, t);
        } else if (fl == 0 && _args[7] == 3) {
            /* a control event (weight slot 0: the operation), not a synaptic one */
            out = nc::receive(c, e, _args[0] == 2 ? nc::EV_REREAD : _args[0] == 3 ? nc::EV_RESEND : nc::EV_CONTROL, t);
        } else {
            /* through a NetCon (flag 0), or deferred to its chained time (flag 5) */
            const nc::Plastic pl{&_args[8], _args[9], _args[10], _args[11], _args[12], &_args[13], &_args[14]};
            const nc::Synapse y{(int) _args[7], _args, _args[15] > 0, &pl};
            out = nc::receive(c, e, nc::EV_SYNAPSE, t, 0, &y);
        }
        _lspiked = (out & nc::DO_SPIKE) != 0;
        _ldrive = (out & nc::DO_DRIVE) != 0;
        _ltrial = (out & nc::DO_NEXT_TRIAL) != 0;
        _lresend = (out & nc::DO_RESEND) != 0;
        _lgen = (double) c.gen;
        _lnd = c.xnext - t;
        _lahp = c.s.c_ahp;
        _lrefr = c.s.c_refr;
        _ltr = c.tref;
        _ltk = c.trial_k;
    }
ENDVERBATIM
    : the sends as NMODL writes them (net_send(d) is t + d as written, left to right)
    if (trial) { net_send(trial_len, 4) }
    if (resend) {
        if (refr) { net_send(tr - t, 3) }
        if (trial_len > 0) { net_send((tk + 1) * trial_len - t, 4) }
    }
    if (drive) { net_send(nd, 10 + gen) }
    if (spiked) {
        net_event(t)
        net_send(refrac - ahp * AHP2REF, 3)
    }
}

: ---------------------------------------------------------------- for Python

: catch_up(tt): apply, in order and at their own times, the buffered drive inputs before tt
: (they were planned not to fire the cell).  Python calls it before reading or changing a
: cell.
PROCEDURE catch_up(tt) {
VERBATIM
    nc::catch_up(netcol_cell(), netcol_settings(), _ltt);
ENDVERBATIM
}

: Activity sensor decayed to the current time (spikes/ms).
FUNCTION activity() {
VERBATIM
    _lactivity = nc::activity(netcol_core(), netcol_settings(), t);
ENDVERBATIM
}

: Component i decayed to the current time without changing state:
: 0 VAM 1 VNM 2 VGA 3 VAM2 4 VNM2 5 VGA2 6 AHP 7 VTHC.
FUNCTION component(i) {
VERBATIM
    _lcomponent = nc::component(netcol_cell(), (int) _li, t);
ENDVERBATIM
}

: Unclipped absolute membrane potential at the current time (mV).
FUNCTION vm() {
VERBATIM
    _lvm = nc::vm(netcol_cell(), t);
ENDVERBATIM
}

: value_at(k, tt): what a recording reads of the cell at tt (ms; after catch_up(tt)),
: without changing it (nc::value_at: 0-6 the receptors and AHP, 7 the threshold, 8 V,
: 9 the sensor, 10 the goal, 11 the scale factor; NaN once the cell is deleted)
FUNCTION value_at(k, tt) {
VERBATIM
    _lvalue_at = nc::value_at(netcol_cell(), netcol_settings(), (int) _lk, _ltt);
ENDVERBATIM
}

: i-th most recent spike time (i = 0 newest); -1e9 if not held in the ring.
FUNCTION spike_time(i) {
VERBATIM
    _lspike_time = nc::spike_time(netcol_core(), (long) _li);
ENDVERBATIM
}

FUNCTION nmda_block(vabs (mV)) {
VERBATIM
    _lnmda_block = nc_block(netcol_cell().p, _lvabs);
ENDVERBATIM
}

: key_drive_streams(): key the four drive streams by (gid, drive_seed) as the build's and rewind
: them (nc::key_streams; set gid and drive_seed first)
PROCEDURE key_drive_streams() {
VERBATIM
    {
        nc::Cell& c = netcol_cell();
        c.rs[0] = rx0; c.rs[1] = rx1; c.rs[2] = rx2; c.rs[3] = rx3;
        nc::key_streams(c, 0);
    }
ENDVERBATIM
}

: state_value(name[, i]): the state variable name (element i of an array: ring, pend,
: pendk, bt, bs) as nc::state_get names it; set_state_value(name, [i, ]x) sets it;
: state_size(name): an array's length (0 for a scalar, -1 for no such state)
FUNCTION state_value() {
VERBATIM
    {
        const char* name = hoc_gargstr(1);
        double v = 0;
        if (!nc::state_get(netcol_core(), name, ifarg(2) ? (int) *hoc_getarg(2) : 0, v)) {
            hoc_execerror("NetcolIntf6.state_value: no such state:", name);
        }
        _lstate_value = v;
    }
ENDVERBATIM
}

PROCEDURE set_state_value() {
VERBATIM
    {
        const char* name = hoc_gargstr(1);
        const bool indexed = ifarg(3) != 0;
        if (!nc::state_set(netcol_core(), name, indexed ? (int) *hoc_getarg(2) : 0, *hoc_getarg(indexed ? 3 : 2))) {
            hoc_execerror("NetcolIntf6.set_state_value: no such state:", name);
        }
    }
ENDVERBATIM
}

FUNCTION state_size() {
VERBATIM
    _lstate_size = nc::state_size(hoc_gargstr(1));
ENDVERBATIM
}

PROCEDURE set_outgoing_delays() {
VERBATIM
    {
        IvocVect* v = vector_arg(1);
        netcol_core().odel = nc_distinct_delays(vector_vec(v), vector_capacity(v), delmin);
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
: callback at t (nc::chained_arrival).
FUNCTION chained_arrival(pregid, g) {
VERBATIM
    _lchained_arrival = nc::chained_arrival(t, netcol_chains[(long) _lpregid], (int) _lg);
ENDVERBATIM
}

: Input played back at given times, slots and weights (training signal, or the
: whole drive in reference mode).  Times must be ascending; they are taken as
: absolute times and replace any previous playback.
PROCEDURE set_playback() {
VERBATIM
    {
        nc::Cell& c = netcol_core();
        IvocVect* vt = vector_arg(1);
        IvocVect* vs = vector_arg(2);
        IvocVect* vw = vector_arg(3);
        int n = vector_capacity(vt);
        if (vector_capacity(vs) != n || vector_capacity(vw) != n) {
            hoc_execerror("NetcolIntf6.set_playback: vectors differ in length", 0);
        }
        c.play_t.assign(vector_vec(vt), vector_vec(vt) + n);
        c.play_s.assign(vector_vec(vs), vector_vec(vs) + n);
        c.play_w.assign(vector_vec(vw), vector_vec(vw) + n);
    }
ENDVERBATIM
}

: set_caps(n0, n1, n2, n3): stream k ends after nk events while capped = 1 (negative: never)
PROCEDURE set_caps(n0, n1, n2, n3) {
VERBATIM
    {
        nc::Cell& c = netcol_core();
        c.cap[0] = _ln0; c.cap[1] = _ln1; c.cap[2] = _ln2; c.cap[3] = _ln3;
    }
ENDVERBATIM
}

: stream_count(k): the events of stream k counted against its cap; set_stream_count(k, c)
: restores it (checkpoints)
FUNCTION stream_count(k) {
VERBATIM
    _lstream_count = netcol_core().count[(int) _lk];
ENDVERBATIM
}

PROCEDURE set_stream_count(k, c) {
VERBATIM
    netcol_core().count[(int) _lk] = _lc;
ENDVERBATIM
}

: set_original_streams(b0, b1, b2, b3, j0, j1, j2, j3): reference mode's streams: stream k
: is the original's source jk, seeded bk at construction (read at INITIAL and re-seeding)
PROCEDURE set_original_streams(b0, b1, b2, b3, j0, j1, j2, j3) {
VERBATIM
    {
        nc::Cell& c = netcol_core();
        const double b[4] = {_lb0, _lb1, _lb2, _lb3}, j[4] = {_lj0, _lj1, _lj2, _lj3};
        std::copy(b, b + 4, c.seed);
        std::copy(j, j + 4, c.source);
    }
ENDVERBATIM
}
