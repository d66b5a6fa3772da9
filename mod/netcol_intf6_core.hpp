/* The column's cell (INTF6, shared/spec/intf6.md) once for both engines: its state (struct
   nc::Cell), the module-wide settings it reads (nc::Settings) and every algorithm it runs:
   the lazy drive (buffer fill, re-planning up to the plan horizon, catch-up, buffered inputs
   applied from the planner's cached states), stream caps and reference mode's MCellRan4
   streams, trials, played-back input, synaptic arrivals with STDP and the scaled weights,
   the threshold stage and refractoriness, the activity sensor and the scaling steps with the
   delivery callbacks (chained or not), deletion, and an event's work (nc::apply_event).

   NetcolIntf6 (netcolintf6.mod, one point process per cell on NEURON's queue) and
   NetcolColumn (netcolcolumn.mod, all of a rank's cells on a queue of its own) hold one
   nc::Cell per cell and call these functions; each keeps only what is its own: where its
   cells live, how it queues and delivers events, and how Python reaches them.  The
   per-cell engine plans the drive so that NEURON's queue sees only the inputs that may
   fire the cell (nc::receive); the rank engine, whose cells run alone within a window
   shorter than any delay, applies each input in time order (nc::run_until).  The
   features a run may leave out (reference mode, caps, chained arrivals, plasticity,
   playback, deleted cells) are switched by the cell's data and the settings.

   Header-only, every function static inline: nrnivmodl compiles only the .mod files, each of
   which includes this from its VERBATIM block (netcol.build.mechanisms puts mod/ on the
   include path), and inlining keeps the hot paths as fast as code written in each engine.
   A mod file's RANGE and GLOBAL variables and its FUNCTION and PROCEDURE names are macros
   in its generated C++, so no variable, field or type here is named as one of them (hence
   drive_gain for xgain, refrac_ms for refrac, scaling_active for scaling,
   ...): a RANGE variable's name would not compile, the others would rename silently.  Only
   functions share names with the mods' (catch_up, activity, ...): they are renamed in that
   file alone, harmless for static functions.  tests/test_core.py checks these names against
   the generated code, compiles the core alone with -Wall -Wextra -Werror and checks its
   rules. */
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>
#include <nrnran123.h>
#include "netcol_intf6_math.hpp"

/* generated NMODL code defines exp as hoc_Exp; the rules below choose their exp */
#pragma push_macro("exp")
#undef exp
#pragma GCC diagnostic push
#pragma GCC diagnostic warning "-Wall"
#pragma GCC diagnostic warning "-Wextra"

/* Inlined wherever called: the event path's small steps, which the compiler would
   otherwise call out of line from the engines' big dispatch loops. */
#define NC_INLINE static inline __attribute__((always_inline))

/* FULL, the template parameter of the event path's functions: true (the default) runs
   every feature; false leaves out, at compile time, what a run without them never needs
   (deletion, played-back input, reference mode's streams, caps, chained callbacks, the
   early callbacks and per-event sensor decay, STDP and the spike ring it reads), so that
   an engine whose cells need none of it (needs_full) runs the same arithmetic in fewer
   instructions.  Both give the same bits wherever FULL = false may be used (tested). */

namespace nc {

constexpr int NRING = 32;   /* the cell's most recent spikes, for STDP's pairings */
constexpr int NPEND = 4;    /* spikes whose delivery callbacks' scaling steps are pending */
constexpr int NBUF = 12;    /* drive inputs drawn ahead and planned */
constexpr double NEVER = 1e20;        /* a time that never comes */
constexpr double NEVER_BELOW = 1e19;  /* times at or above it are NEVER */
constexpr double NONE = -1e9;         /* an empty ring or callback slot */
constexpr double NONE_ABOVE = -1e8;   /* slots at or below it are empty */
/* Random123 id2 of a cell's drive streams: 1000 + 16 key + stream, key 0 the build's and
   each trial's its own (key_streams, start_trial) */
constexpr double DRIVE_STREAM_BASE = 1000;

/* The module-wide settings (NetcolIntf6's GLOBALs of the names in brackets). */
struct Settings {
    bool scaling_active = false;     /* [scaling] synaptic scaling switched on */
    bool scale_inhib = false;        /* [iscaling] interneurons scaled too */
    double ton = 0;                  /* [scaling_ton] scaling steps from this time (ms) */
    double sensor_tau = 1e5;         /* [act_tau] the activity sensor's step per spike is 1 / tau */
    double sensor_decay_tau = 1e5;   /* [act_tau_decay] and its decay (ms) */
    double kp = 4e-8, ki = 1e-10;    /* [beta, gamma] proportional and integral gains */
    bool stdp = false;               /* [stdp_on] */
    double window_start = -1, window_end = -1;  /* [plast_start, plast_end] (ms; negative: always) */
    double max_pair_dt = 120;        /* [maxplastt] (ms) */
    bool soft_bounds = true;         /* [soft_stdp] */
    double pot_scale = 1, dep_scale = 1;  /* [potw, depw] */
    bool reset_gains = true;         /* [reset_plast] gains back to 1 at initialisation */
    double horizon = NEVER;          /* [plan_horizon] the next time the protocol may change inputs (ms) */
    bool chain = false;              /* [chained] the original's chained callback times */
    bool caps = false;               /* [capped] stream caps act */
    bool early_callbacks = false;    /* [callbacks_always] every spike's callbacks give scaling steps */
    bool sensor_each_event = false;  /* [sensor_every_event] the sensor decays at every event */
    bool summed = false;             /* [summed_corrections] the scale factor adds its corrections' sum */
};
/* The order of settings_from's values (NetcolIntf6's GLOBALs; netcol.cells.intf6rank
   passes them in this order). */
constexpr int NSETTINGS = 21;
static inline Settings settings_from(const double* v) {
    Settings e;
    e.scaling_active = v[0] != 0; e.scale_inhib = v[1] != 0; e.ton = v[2]; e.sensor_tau = v[3];
    e.sensor_decay_tau = v[4]; e.kp = v[5]; e.ki = v[6]; e.stdp = v[7] != 0; e.window_start = v[8];
    e.window_end = v[9]; e.max_pair_dt = v[10]; e.soft_bounds = v[11] != 0; e.pot_scale = v[12];
    e.dep_scale = v[13]; e.reset_gains = v[14] != 0; e.horizon = v[15]; e.chain = v[16] != 0;
    e.caps = v[17] != 0; e.early_callbacks = v[18] != 0; e.sensor_each_event = v[19] != 0;
    e.summed = v[20] != 0;
    return e;
}

/* The per-cell engine's plan of a cell's drive (replan): the state after each planned
   input and whether it blocked.  The rank engine plans nothing and keeps none: its cells
   are a third of the size they would be with it, and its time goes to reading cells. */
struct Plan {
    NcMemb cs[NBUF];
    bool cb[NBUF] = {};
};

/* One cell: its parameters, per-cell data and state. */
struct Cell {
    /* parameters (NetcolIntf6 copies them from its RANGE variables at every entry) */
    NcPar p{};                       /* the membrane's (netcol_intf6_math.hpp) */
    double refrac_ms = 5;            /* [refrac] absolute refractory period */
    double rr_weight = 0.75;         /* [RRWght] threshold jump after a spike, of Vblock - VTH */
    double ahp_step = 0;             /* [ahpwt] AHP per spike (mV) */
    double ahp2ref = 0;              /* [AHP2REF] refractory extension per mV of AHP */
    double cell_gid = -1;            /* [gid] keys its streams */
    bool inhibitory = false;         /* [inhib] scaled the other way, and only with scale_inhib */
    double xr[4] = {0, 0, 0, 0};     /* drive streams: rate (Hz), */
    double xw[4] = {0, 0, 0, 0};     /* weight, */
    int xs[4] = {4, 5, 2, 6};        /* receptor slot */
    double drive_gain = 1;           /* [xgain] the drive's gain (deletion rounds scale it down) */
    double trial_ms = 0;             /* [trial_len] trial length (0: no trials) */
    double drive_seed_ = 0;          /* [drive_seed] id3 of the streams' Random123 ids */
    bool original = false;           /* [xorig] reference mode's MCellRan4 streams */
    nrnran123_State* rs[4] = {nullptr, nullptr, nullptr, nullptr};   /* the streams (not owned) */
    /* per-cell data */
    std::vector<double> odel;        /* distinct outgoing delays, ascending (callback steps) */
    std::vector<double> play_t, play_s, play_w;   /* played-back input: times, slots, weights */
    double cap[4] = {-1, -1, -1, -1};              /* stream caps (negative: none) */
    double seed[4] = {0, 0, 0, 0};   /* reference mode: each stream's construction seed */
    double source[4] = {0, 0, 0, 0}; /* and the index j of the original's NetStim */
    /* state */
    NcMemb s{};                      /* membrane, threshold, refractoriness */
    bool dead = false;               /* deleted: every event ignored */
    long spkcnt = 0, blkcnt = 0;     /* spikes, depolarisation blocks */
    double act = 0, tu = 0;          /* activity sensor (1/ms) and the time it refers to */
    double goal = -1, interr = 0, sfac = 1, tev = 0;   /* scaling: goal, integral, scale factor, last event */
    double ring[NRING];              /* recent spike times */
    long nspk = 0;
    double pend[NPEND];              /* pending callbacks: spike time (or the next callback's, chained) */
    int pendk[NPEND];                /* and the index of its next callback */
    int npend = 0;
    double count[4] = {0, 0, 0, 0};  /* events drawn per stream (caps) */
    double xt[4] = {NEVER, NEVER, NEVER, NEVER};   /* each stream's next event */
    double xh[4] = {0, 0, 0, 0}, xl[4] = {0, 0, 0, 0};   /* MCellRan4 index (high, low) */
    double bt[NBUF];                 /* buffered drive inputs: times, */
    int bs[NBUF];                    /* streams */
    int nb = 0, bi = 0;              /* buffered, applied */
    int cvalid = 0;                  /* inputs bi .. cvalid - 1 have cached states */
    std::unique_ptr<Plan> plan;      /* the per-cell engine's (receive's); null on the rank engine */
    double xplan = NEVER;            /* the input that needs a real event */
    double xnext = NEVER;            /* the drive event pending (planned input or playback entry) */
    std::uint64_t gen = 0;           /* its generation (older drive events are stale) */
    std::size_t pbi = 0;             /* next playback entry, */
    double pbt = NEVER;              /* and its time */
    double trial_k = -1;             /* the current trial */
    double tref = -1;                /* the refractory end's time */
    Cell() {
        std::fill_n(ring, NRING, NONE);
        std::fill_n(pend, NPEND, NONE);
        std::fill_n(pendk, NPEND, 0);
        std::fill_n(bt, NBUF, 0.0);
        std::fill_n(bs, NBUF, 0);
    }
};

/* NMODL's exp is NEURON's hoc_Exp: 0 below -700, exp(700) above 700 (with a warning there;
   arguments here are never positive).  The rules NetcolIntf6 wrote in NMODL use it, so as
   to keep their bits (tested against hoc_Exp in tests/test_core.py). */
static inline double hexp(double x) {
    if (x < -700.0) { return 0.0; }
    if (x > 700.0) { return std::exp(700.0); }
    return std::exp(x);
}

static inline bool scaled(const Cell& c, const Settings& e) { return !c.inhibitory || e.scale_inhib; }

/* ------------------------------------------------------------------ drive streams */

/* NEURON's MCellRan4 (src/oc/mcran4.cpp, nrnRan4int/nrnRan4dbl): a two-round hash of the
   64-bit index (high, low) whose upper 32 bits make a uniform in [0, 1); the hoc Random's
   negexp(1) returns -log of it.  high is the position and moves on by one. */
static inline std::uint32_t ran4_round(std::uint32_t x, std::uint32_t c1, std::uint32_t c2, std::uint32_t into) {
    std::uint32_t w = x ^ c1;
    std::uint32_t v = w >> 16;
    w &= 0xffffu;
    std::uint32_t u = ~((v - w) * (v + w));
    return into ^ ((((u >> 16) | (u << 16)) ^ c2) + w * v);
}
static inline double mcellran4_negexp(double& high, double low) {
    std::uint32_t n = (std::uint32_t) high;
    std::uint32_t m = (std::uint32_t) low;
    high = (double) (std::uint32_t) (n + 1u);
    m = ran4_round(n, 0xbaa96887u, 0x4b0f3b58u, m);
    n = ran4_round(m, 0x1e17d32cu, 0xe874f0c3u, n);
    return -std::log((double) n * (1.0 / 4294967296.0));
}

/* Stream k's next interval (ms): the original's NetStim (interval times its MCellRan4
   draw) in reference mode, else Random123.  The mode is a template parameter where the
   draws are many (fill_buffer), so that the choice is made once per fill. */
template <bool ORIGINAL>
NC_INLINE double draw_interval_(Cell& c, int k) {
    const double rate = c.xr[k];
    if (ORIGINAL) { return (1000.0 / rate) * mcellran4_negexp(c.xh[k], c.xl[k]); }
    return nrnran123_negexp(c.rs[k]) * 1000.0 / rate;
}
static inline double draw_interval(Cell& c, int k) {
    return c.original ? draw_interval_<true>(c, k) : draw_interval_<false>(c, k);
}

/* The buffered inputs not yet applied are dropped by the caller: they no longer count
   against their streams' caps (a kept one counts again when it is drawn into the buffer). */
static inline void uncount_buffered(Cell& c, const Settings& e) {
    if (e.caps) {
        for (int j = c.bi; j < c.nb; ++j) { c.count[c.bs[j]] -= 1; }
    }
}

/* Drop the buffer and draw each stream's first event after tt. */
static inline void restart_streams(Cell& c, const Settings& e, double tt) {
    uncount_buffered(c, e);
    c.nb = 0;
    c.bi = 0;
    c.cvalid = 0;
    for (int k = 0; k < 4; ++k) { c.xt[k] = NEVER; }
    for (int k = 0; k < 4; ++k) {
        if (c.xr[k] > 0) { c.xt[k] = tt + draw_interval(c, k); }
    }
}

/* Draw buffered drive inputs until the buffer is full, merged in time order over the four
   streams (on equal times the lower stream first).  A stream with a cap ends after that
   many events while caps act, as a NetStim after its number (the only place caps act).
   The stream kind and caps are template parameters: the choice is made once per fill. */
template <bool ORIGINAL, bool CAPS>
NC_INLINE void fill_buffer_(Cell& c) {
    c.cvalid = 0;
    if (c.bi > 0) {
        for (int i = c.bi; i < c.nb; ++i) {
            c.bt[i - c.bi] = c.bt[i];
            c.bs[i - c.bi] = c.bs[i];
        }
        c.nb -= c.bi;
        c.bi = 0;
    }
    while (c.nb < NBUF) {
        int k = 0;
        double m = c.xt[0];
        if (c.xt[1] < m) { k = 1; m = c.xt[1]; }
        if (c.xt[2] < m) { k = 2; m = c.xt[2]; }
        if (c.xt[3] < m) { k = 3; m = c.xt[3]; }
        if (m >= NEVER_BELOW) { break; }
        if (CAPS) {
            if (c.cap[k] >= 0 && c.count[k] >= c.cap[k]) { c.xt[k] = NEVER; continue; }
            c.count[k] += 1;
        }
        c.bt[c.nb] = m;
        c.bs[c.nb] = k;
        c.nb++;
        c.xt[k] = m + draw_interval_<ORIGINAL>(c, k);
    }
}
NC_INLINE void fill_buffer(Cell& c, const Settings& e) {
    if (c.original) {
        if (e.caps) { fill_buffer_<true, true>(c); } else { fill_buffer_<true, false>(c); }
    } else {
        if (e.caps) { fill_buffer_<false, true>(c); } else { fill_buffer_<false, false>(c); }
    }
}

/* Set xplan to the time of the buffered input that needs a real event: the first that could
   fire the cell, else the first at or after the plan horizon or at or after limit (the time
   of the drive event already pending, which applies that input), else the last buffered;
   NEVER while the cell stays refractory past the buffered inputs it can take (its
   refractory-end event replans) or when there is no drive.  The state after each input
   before it is cached for catch_up and apply_buffered, computed with the same arithmetic as
   the real path (so one event for many inputs gives the bits of one event per input). */
template <bool FULL = true>
static inline void replan(Cell& c, const Settings& e, double limit) {
    if (FULL) { fill_buffer(c, e); } else { fill_buffer_<false, false>(c); }
    NcMemb st = c.s;
    const NcPar& pa = c.p;
    const int n = c.nb;
    /* tj >= horizon or tj >= limit (a NaN horizon never stops, as in the comparison) */
    const double stop = e.horizon < limit ? e.horizon : limit;
    const double tref = c.tref;
    double plan = n > 0 ? c.bt[n - 1] : NEVER;
    int j = c.bi;
    for (; j < n; ++j) {
        const double tj = c.bt[j];
        if (st.c_refr != 0 && tj >= tref) { plan = NEVER; break; }
        if (tj >= stop) { plan = tj; break; }
        nc_decay(st, pa, tj);
        const int k = c.bs[j];
        nc_add_slot(st, pa, nc_drive_dev(st, pa), c.xs[k], c.xw[k] * c.drive_gain);
        const int test = nc_test(st, pa);
        if (test == 1) { plan = tj; break; }
        c.plan->cs[j] = st;
        c.plan->cb[j] = test == 2;
    }
    c.cvalid = j;
    c.xplan = plan;
}

/* The drive event the cell needs next (the planned input or the next playback entry,
   whichever comes first; NEVER: none), noted as pending. */
static inline double next_drive_time(Cell& c) {
    double m = c.xplan;
    if (c.pbt < m) { m = c.pbt; }
    c.xnext = m;
    return m;
}

/* Playback entry i's time (NEVER past the last). */
static inline double pb_time(const Cell& c, std::size_t i) { return i < c.play_t.size() ? c.play_t[i] : NEVER; }

/* ------------------------------------------------------------------ trials */

/* Trial k of the original's deletion protocol: each stream keeps the time of its next event
   and draws the intervals after it from seed T + 1 + j (a unique trial, k even; T the
   trial's start in ms) or 1234 + j (a repeat trial). */
static inline void reseed_original(Cell& c, const Settings& e, double k) {
    bool kept[4] = {false, false, false, false};
    for (int j = c.bi; j < c.nb; ++j) {   /* drawn ahead with the old seed */
        const int q = c.bs[j];
        if (!kept[q]) { c.xt[q] = c.bt[j]; kept[q] = true; }
    }
    uncount_buffered(c, e);
    c.nb = 0;
    c.bi = 0;
    c.cvalid = 0;
    const bool unique = k - 2 * std::floor(k / 2) == 0;
    const double s = unique ? std::floor(k * c.trial_ms + 0.5) + 1 : 1234;
    for (int q = 0; q < 4; ++q) {
        c.xl[q] = s + c.source[q];
        c.xh[q] = c.xl[q] + 1;
    }
}

/* Key the four Poisson drive streams with key (0: the build's) and rewind them: Random123
   ids (gid, DRIVE_STREAM_BASE + 16 key + stream, drive seed). */
static inline void key_streams(Cell& c, double key) {
    for (int q = 0; q < 4; ++q) {
        nrnran123_setids(c.rs[q], (std::uint32_t) c.cell_gid, (std::uint32_t) (DRIVE_STREAM_BASE + 16 * key + q),
                         (std::uint32_t) c.drive_seed_);
    }
    for (int q = 0; q < 4; ++q) { nrnran123_setseq(c.rs[q], 0.0); }
}

/* The start of the trial at tt: re-key the four Poisson streams (key_streams) and restart
   them at tt: unique trials (even k) use key 2 + k, repeat trials (odd k) always key 1, so
   every repeat trial replays exactly the same input times relative to its start.
   Reference mode re-seeds the original's streams. */
static inline void start_trial(Cell& c, const Settings& e, double tt) {
    const double k = std::floor(tt / c.trial_ms + 0.5);
    c.trial_k = k;
    if (c.original) {
        reseed_original(c, e, k);
        return;
    }
    key_streams(c, k - 2 * std::floor(k / 2) == 0 ? 2 + k : 1);
    restart_streams(c, e, tt);
}

/* ------------------------------------------------------------------ scaling */

/* One proportional-integral scale-factor step at tt (the sensor decayed first).  tu is the
   time the sensor value refers to, tev the time of the cell's previous event (the
   integral's time step).  Without scaling the sensor is decayed only when it is raised or
   read (exact, since its decays compose), unless sensor_each_event. */
template <bool FULL = true>
NC_INLINE void scale_step(Cell& c, const Settings& e, double tt) {
    if (e.scaling_active && tt >= e.ton && scaled(c, e)) {
        c.act = c.act * hexp(-(tt - c.tu) / e.sensor_decay_tau);
        if (c.goal < 0) { c.goal = tt > 0 ? (double) c.spkcnt / tt : 0; }
        if (e.summed) {
            /* the original adds the two terms' sum (another rounding than one at a time) */
            c.sfac = c.sfac + (e.kp * c.sfac * (c.goal - c.act) + e.ki * c.sfac * c.interr);
        } else {
            c.sfac = c.sfac + e.kp * c.sfac * (c.goal - c.act) + e.ki * c.sfac * c.interr;
        }
        c.interr = c.interr + (c.goal - c.act) * (tt - c.tev);
        c.tu = tt;
    } else if (FULL && e.sensor_each_event) {
        /* the original decays the sensor at every event, scaling or not: the decays'
           product rounds differently from one decay over the whole gap */
        c.act = c.act * hexp(-(tt - c.tu) / e.sensor_decay_tau);
        c.tu = tt;
    }
    c.tev = tt;
}

/* Replay, in time order, the scaling steps of the original's delivery callbacks (one per
   distinct outgoing delay per spike) that fall at or before tt. */
template <bool FULL = true>
static inline void callback_steps(Cell& c, const Settings& e, double tt) {
    const int n = (int) c.odel.size();
    const bool chain = FULL && e.chain;
    while (c.npend > 0) {
        int best = -1;
        double bt = NEVER;
        for (int i = 0; i < NPEND; ++i) {
            if (c.pendk[i] < n && c.pend[i] > NONE_ABOVE) {
                /* chained: pend holds the time of the chain's next callback */
                const double ct = chain ? c.pend[i] : c.pend[i] + c.odel[c.pendk[i]];
                if (ct < bt) { bt = ct; best = i; }
            }
        }
        if (best < 0 || bt > tt) {
            if (best < 0) { c.npend = 0; }
            break;
        }
        scale_step<FULL>(c, e, bt);
        c.pendk[best] += 1;
        if (c.pendk[best] >= n) {
            c.pend[best] = NONE;
            c.npend -= 1;
        } else if (chain) {
            c.pend[best] = c.pend[best] + (c.odel[c.pendk[best]] - c.odel[c.pendk[best] - 1]);
        }
    }
}

/* What every event of the original's cell does first: the callbacks' steps before it, then
   its own step. */
template <bool FULL = true>
NC_INLINE void prologue(Cell& c, const Settings& e, double tt) {
    if (c.npend > 0) { callback_steps<FULL>(c, e, tt); }
    scale_step<FULL>(c, e, tt);
}

/* A spike at ts: its delivery callbacks' steps are pending from now on. */
template <bool FULL = true>
static inline void add_pending(Cell& c, const Settings& e, double ts) {
    int slot = -1;
    for (int i = 0; i < NPEND; ++i) {
        if (slot < 0 && c.pend[i] < NONE_ABOVE) { slot = i; }
    }
    if (slot < 0) {
        /* more overlapping spikes than slots: finish the oldest chain now */
        callback_steps<FULL>(c, e, NEVER_BELOW);
        slot = 0;
    }
    c.pend[slot] = (FULL && e.chain) ? ts + c.odel[0] : ts;
    c.pendk[slot] = 0;
    c.npend += 1;
}

/* ------------------------------------------------------------------ the drive's catch-up */

/* Apply buffered input bi: the state replan computed for it if still valid, else the same
   arithmetic again (after a resume). */
NC_INLINE void apply_buffered(Cell& c) {
    if (c.bi < c.cvalid) {
        if (c.plan->cb[c.bi]) { c.blkcnt += 1; }
        c.s = c.plan->cs[c.bi];
        return;
    }
    const int k = c.bs[c.bi];
    nc_decay(c.s, c.p, c.bt[c.bi]);
    nc_add_slot(c.s, c.p, nc_drive_dev(c.s, c.p), c.xs[k], c.xw[k] * c.drive_gain);
    if (nc_test(c.s, c.p) == 2) { c.blkcnt += 1; }
}

/* Apply, in order and at their own times, the buffered drive inputs before tt (planned not
   to fire the cell).  A deleted cell is frozen. */
template <bool FULL = true>
static inline void catch_up(Cell& c, const Settings& e, double tt) {
    if (FULL && c.dead) { return; }
    if (c.npend == 0 && !(e.scaling_active && scaled(c, e))) {
        /* no scaling step can act on this cell: each input's prologue only notes its time,
           and only the state after the last of them is needed */
        const bool each = FULL && e.sensor_each_event;
        int j = c.bi;
        long blocked = 0;
        while (j < c.cvalid && c.bt[j] < tt) {
            blocked += c.plan->cb[j];
            if (each) {
                /* each input is an event of the original's, with its own sensor decay */
                c.act = c.act * std::exp(-(c.bt[j] - c.tu) / e.sensor_decay_tau);
                c.tu = c.bt[j];
            }
            ++j;
        }
        if (j > c.bi) {
            c.s = c.plan->cs[j - 1];
            c.blkcnt += blocked;
            c.tev = c.bt[j - 1];
            c.bi = j;
        }
    }
    while (c.bi < c.nb && c.bt[c.bi] < tt) {
        prologue<FULL>(c, e, c.bt[c.bi]);
        apply_buffered(c);
        c.bi++;
    }
}

/* ------------------------------------------------------------------ membrane events */

/* Threshold test at tt; on a spike every post-spike effect (the engine emits the spike and
   queues the refractory end at tref).  True on a spike. */
template <bool FULL = true>
NC_INLINE bool threshold_stage(Cell& c, const Settings& e, double tt) {
    double V = c.p.c_rmp + nc_sum(c.s);
    if (V < -90) { V = -90; }
    if (V > 0) { V = 0; }
    if (!(c.s.c_refr == 0 && V > c.s.c_vthc)) { return false; }
    if (V > c.p.c_vblock) {
        c.blkcnt += 1;
        return false;
    }
    c.s.c_ahp = c.s.c_ahp - c.ahp_step;
    c.act = c.act * hexp(-(tt - c.tu) / e.sensor_decay_tau);
    c.act = c.act + (1 - c.act) / e.sensor_tau;
    c.tu = tt;
    if (FULL) {
        c.ring[c.nspk % NRING] = tt;
        c.nspk += 1;
    }
    c.spkcnt += 1;
    if (((FULL && e.early_callbacks) || (e.scaling_active && scaled(c, e))) && !c.odel.empty()) {
        add_pending<FULL>(c, e, tt);
    }
    c.s.c_vthc = c.p.c_vth + c.rr_weight * (c.p.c_vblock - c.p.c_vth);
    c.s.c_vthr = c.s.c_vthc;
    c.s.c_refr = 1;
    /* the refractory end's own time, so that a resumed run re-sends it to the last bit */
    c.tref = tt + (c.refrac_ms - c.s.c_ahp * c.ahp2ref);
    return true;
}

/* Integrate one input (weights final) at tt, then the threshold stage. */
template <bool FULL = true>
NC_INLINE bool integrate(Cell& c, const Settings& e, double tt, double wam, double wnm, double wga, double wam2,
                         double wnm2, double wga2) {
    nc_decay(c.s, c.p, tt);
    nc_add(c.s, c.p, nc_drive_dev(c.s, c.p), wam, wnm, wga, wam2, wnm2, wga2);
    return threshold_stage<FULL>(c, e, tt);
}

/* Integrate weight w on receptor slot at tt (slot 3, GABA-B, and unknown slots add nothing). */
template <bool FULL = true>
NC_INLINE bool integrate_slot(Cell& c, const Settings& e, double tt, int slot, double w) {
    nc_decay(c.s, c.p, tt);
    nc_add_slot(c.s, c.p, nc_drive_dev(c.s, c.p), slot, w);
    return threshold_stage<FULL>(c, e, tt);
}

/* ------------------------------------------------------------------ STDP */

/* Most recent spike strictly before tt (NONE if none in the ring). */
static inline double last_spike_before(const Cell& c, double tt) {
    const long n = c.nspk < NRING ? c.nspk : NRING;
    for (long i = 1; i <= n; ++i) {
        const double s = c.ring[(c.nspk - i) % NRING];
        if (s < tt) { return s; }
    }
    return NONE;
}

/* i-th most recent spike time (i = 0 newest); NONE if not held in the ring. */
static inline double spike_time(const Cell& c, long i) {
    return (i >= 0 && i < c.nspk && i < NRING) ? c.ring[(c.nspk - 1 - i) % NRING] : NONE;
}

static inline bool in_window(const Settings& e, double ts) {
    return e.window_start < 0 || e.window_end < 0 || (e.window_start <= ts && ts <= e.window_end);
}

static inline double potentiated(const Settings& e, double w, double dlt, double inc, double tau, double wmax) {
    const double a = e.soft_bounds ? inc * (1 - w / wmax) : inc;
    w = w + e.pot_scale * a * hexp(-dlt / tau);
    if (w < 0) { w = 0; } else if (!e.soft_bounds && w > wmax) { w = wmax; }
    return w;
}

static inline double depressed(const Settings& e, double w, double dlt, double inc, double tau, double wmax) {
    const double a = e.soft_bounds ? inc * w / wmax : inc;
    w = w - e.dep_scale * a * hexp(-dlt / tau);
    if (w < 0) { w = 0; } else if (!e.soft_bounds && w > wmax) { w = wmax; }
    return w;
}

/* A plastic synapse's rule and state (NetcolIntf6: slots 8 .. 14 of its NetCon's weights). */
struct Plastic {
    double* gain;                    /* the STDP gain on AMPA */
    double inc, tau, wmax;           /* increment (0: not plastic), time constant (ms), bound */
    double delay;                    /* the synapse's delay: arrival - delay = presynaptic spike */
    double* tpre;                    /* presynaptic spike of the previous arrival (-1: none) */
    double* tdone;                   /* the last postsynaptic spike already paired */
};

/* A synapse's state at initialisation. */
static inline void plastic_init(const Settings& e, int kind, double& gain, double& tpre, double& tdone) {
    if (kind > 0 && kind < 3 && e.reset_gains) { gain = 1; }
    tpre = -1;
    tdone = NONE;
}

/* An arrival at tt replays, in time order, the pairings the original would have made since
   the previous arrival: postsynaptic spikes before the presynaptic spike time pair with the
   previous presynaptic spike, then depression at the presynaptic spike, then postsynaptic
   spikes since the presynaptic spike pair with it (see netcolintf6.mod's header). */
static inline void stdp_arrival(const Cell& c, const Settings& e, double tt, const Plastic& y) {
    const double tp = tt - y.delay;
    const double lp = last_spike_before(c, tp);
    const long n = c.nspk < NRING ? c.nspk : NRING;
    double w = *y.gain;
    const double tpre = *y.tpre, tdone = *y.tdone;
    for (long i = 0; i < n; ++i) {
        const double s = c.ring[(c.nspk - n + i) % NRING];
        if (s > tdone && s < tp && tpre >= 0 && s - tpre <= e.max_pair_dt && in_window(e, s)) {
            w = potentiated(e, w, s - tpre, y.inc, y.tau, y.wmax);
        }
    }
    if (lp > NONE_ABOVE && tp - lp < e.max_pair_dt && in_window(e, tp)) {
        w = depressed(e, w, tp - lp, y.inc, y.tau, y.wmax);
    }
    for (long i = 0; i < n; ++i) {
        const double s = c.ring[(c.nspk - n + i) % NRING];
        if (s > tdone && s >= tp && s <= tt && s - tp <= e.max_pair_dt && in_window(e, s)) {
            w = potentiated(e, w, s - tp, y.inc, y.tau, y.wmax);
        }
    }
    *y.gain = w;
    if (c.nspk > 0) { *y.tdone = c.ring[(c.nspk - 1) % NRING]; }
    *y.tpre = tp;
}

/* ------------------------------------------------------------------ events */

/* Kinds of synapse (NetcolIntf6's KIND slot). */
enum { SYN_EXTERNAL = 0, SYN_FROM_E = 1, SYN_FROM_I = 2 };

/* A synaptic event: its kind, receptor weights AM, NM, GA, GB, AM2, NM2, GA2, whether its
   presynaptic cell was deleted, and its plastic state (null: none, gain 1). */
struct Synapse {
    int kind;
    const double* w;
    bool cut;
    const Plastic* plastic;
};

/* Integrate a synaptic event at tt: external inputs as weighed; internal ones with AMPA
   times the STDP gain (from E cells), and with scaling AMPA by sfac and GABA-A by 1 / sfac
   onto E cells, the other way round onto I cells (NMDA unscaled).  True on a spike. */
template <bool FULL = true>
NC_INLINE bool arrive(Cell& c, const Settings& e, double tt, const Synapse& y) {
    const double* w = y.w;
    if (y.kind == SYN_EXTERNAL) { return integrate<FULL>(c, e, tt, w[0], w[1], w[2], w[4], w[5], w[6]); }
    double am = w[0], am2 = w[4];   /* AMPA times the STDP gain (a synapse without one: gain 1, x * 1 = x) */
    if (FULL && y.kind == SYN_FROM_E && y.plastic) {
        if (y.plastic->inc > 0 && e.stdp) { stdp_arrival(c, e, tt, *y.plastic); }
        am = w[0] * *y.plastic->gain;
        am2 = w[4] * *y.plastic->gain;
    }
    double g1 = 1, g2 = 1;
    if (e.scaling_active) {
        if (!c.inhibitory) { g1 = c.sfac; g2 = 1 / c.sfac; } else { g1 = 1 / c.sfac; g2 = c.sfac; }
    }
    if (w[0] > 0 || w[1] > 0 || w[2] > 0 || w[4] > 0 || w[5] > 0 || w[6] > 0) {
        return integrate<FULL>(c, e, tt, am * g1, w[1], w[2] * g2, am2 * g1, w[5], w[6] * g2);
    }
    return false;
}

/* Initialise the cell at tt (the streams' positions are the engine's: Random123 streams
   keyed and rewound, reference mode's from their seeds).  The engine then queues, with
   trials, a trial start at tt; the per-cell engine plans the drive (replan) and queues its
   first drive event at next_drive_time. */
static inline void init(Cell& c, const Settings& e, double tt) {
    c.s = NcMemb{0, 0, 0, 0, 0, 0, 0, c.p.c_vth, c.p.c_vth, tt, tt, 0};
    c.spkcnt = 0;
    c.blkcnt = 0;
    c.dead = false;
    c.act = 0;
    c.goal = -1;
    c.interr = 0;
    c.sfac = 1;
    c.tu = tt;
    c.tev = tt;
    c.nspk = 0;
    c.npend = 0;
    std::fill_n(c.ring, NRING, NONE);
    std::fill_n(c.pend, NPEND, NONE);
    std::fill_n(c.pendk, NPEND, 0);
    if (c.original) {
        for (int q = 0; q < 4; ++q) {
            c.xl[q] = c.seed[q];
            /* the original set negexp(1) after seeding, which used up each stream's first value */
            c.xh[q] = c.xl[q] + 1;
        }
    }
    std::fill_n(c.count, 4, 0.0);
    c.bi = 0;
    c.nb = 0;
    restart_streams(c, e, tt);
    c.pbi = 0;
    c.pbt = pb_time(c, 0);
    c.gen = 0;
    c.trial_k = -1;
    c.tref = -1;
    c.xplan = NEVER;
    c.xnext = NEVER;
}

/* What an event is. */
enum Event {
    EV_DRIVE,        /* the pending drive event (of generation gen) */
    EV_REFRACTORY,   /* the end of the absolute refractory period */
    EV_SYNAPSE,      /* a synaptic arrival */
    EV_TRIAL,        /* the start of a stimulus trial */
    EV_REREAD,       /* control: read the playback input again from now */
    EV_RESEND,       /* control: the engine re-queues the cell's pending self-events (resume) */
    EV_CONTROL       /* any other control event: only catches up and replans */
};
/* What the engine must do after an event (bits of apply_event's and receive's result; the
   refractory end is queued by the per-cell engine only: the rank engine's run_until ends
   it itself). */
enum {
    DO_SPIKE = 1,        /* emit a spike at the event's time, queue the refractory end at tref */
    DO_DRIVE = 2,        /* queue the drive event at xnext, generation gen (receive only) */
    DO_NEXT_TRIAL = 4,   /* queue the next trial start, trial_ms later */
    DO_RESEND = 8        /* queue the refractory end (if refractory) and the next trial start */
};

/* The end of the absolute refractory period, at its own time tref: after a resume its
   re-queued event may arrive a rounding error away from the time the uninterrupted run had. */
template <bool FULL = true>
NC_INLINE void refractory_end(Cell& c, const Settings& e) {
    prologue<FULL>(c, e, c.tref);
    nc_decay(c.s, c.p, c.tref);
    c.s.c_refr = 0;
    c.s.c_trrs = c.tref;
}

/* The next played-back entry, integrated at tt (after the prologue).  True on a spike. */
template <bool FULL = true>
NC_INLINE bool play_next(Cell& c, const Settings& e, double tt) {
    const std::size_t i = c.pbi;
    const int slot = (int) c.play_s[i];
    const double w = c.play_w[i];
    c.pbi = i + 1;
    c.pbt = pb_time(c, c.pbi);
    return integrate_slot<FULL>(c, e, tt, slot, w);
}

/* The next buffered drive input, integrated for real at tt (after the prologue).  True on
   a spike. */
template <bool FULL = true>
NC_INLINE bool drive_next(Cell& c, const Settings& e, double tt) {
    const int k = c.bs[c.bi];
    c.bi++;
    return integrate_slot<FULL>(c, e, tt, c.xs[k], c.xw[k] * c.drive_gain);
}

/* An event's own work at tt, for a live cell (and an uncut synapse, a current drive event):
   catch up, then what the event does.  Returns the DO_ bits but DO_DRIVE; all is set when
   the drive must be planned anew (after a drive, trial or control event). */
template <bool FULL = true>
NC_INLINE int apply_event(Cell& c, const Settings& e, Event ev, double tt, const Synapse* syn, bool& all) {
    int out = 0;
    bool spiked = false;
    switch (ev) {
    case EV_TRIAL:
    case EV_REREAD:
    case EV_RESEND:
    case EV_CONTROL:
        /* not synaptic events, so no scaling step */
        catch_up<FULL>(c, e, tt);
        if (ev == EV_TRIAL) {
            start_trial(c, e, tt);
            out |= DO_NEXT_TRIAL;
        } else if (ev == EV_REREAD) {
            c.pbi = 0;
            while (pb_time(c, c.pbi) < tt) { c.pbi++; }
            c.pbt = pb_time(c, c.pbi);
        } else if (ev == EV_RESEND) {
            out |= DO_RESEND;
        }
        all = true;
        break;
    case EV_DRIVE:
        catch_up<FULL>(c, e, tt);
        prologue<FULL>(c, e, tt);
        all = true;
        if (FULL && c.pbt <= c.xnext) {   /* the playback entry or the planned input, whichever is due */
            spiked = play_next<FULL>(c, e, tt);
        } else if (c.bi < c.nb) {
            spiked = drive_next<FULL>(c, e, tt);
        }
        break;
    case EV_REFRACTORY:
        catch_up<FULL>(c, e, tt);
        refractory_end<FULL>(c, e);
        break;
    case EV_SYNAPSE:
        catch_up<FULL>(c, e, tt);
        prologue<FULL>(c, e, tt);
        spiked = arrive<FULL>(c, e, tt, *syn);
        break;
    }
    return spiked ? out | DO_SPIKE : out;
}

/* Handle one event at tt (a drive event's tt is its xnext), the per-cell engine's way: the
   drive's inputs are planned (replan) and applied lazily.  A deleted cell ignores every
   event, a cut synapse its arrivals, a stale drive event (an older generation) itself.
   After any other event the pending drive event stays valid (it applies its own input for
   real), so only the inputs before it are planned again, and a new one is sent only when
   one of them could fire the cell; after a drive, trial or control event the drive is
   planned anew.  Returns the DO_ bits. */
template <bool FULL = true>
NC_INLINE int receive(Cell& c, const Settings& e, Event ev, double tt, std::uint64_t gen = 0,
                      const Synapse* syn = nullptr) {
    if (FULL && c.dead) { return 0; }
    if (ev == EV_DRIVE && gen != c.gen) { return 0; }
    if (ev == EV_SYNAPSE && syn->cut) { return 0; }
    bool all = false;   /* plan the drive anew */
    int out = apply_event<FULL>(c, e, ev, tt, syn, all);
    replan<FULL>(c, e, all ? NEVER : c.xnext);
    const double m = (FULL && c.pbt < c.xplan) ? c.pbt : c.xplan;   /* next_drive_time's */
    if (all || m < c.xnext) {
        c.gen += 1;
        c.xnext = m;
        if (m < NEVER_BELOW) { out |= DO_DRIVE; }
    }
    return out;
}

/* Run the cell's own events before tt, the rank engine's way: each drive input, played-back
   entry and refractory end in time order, each an event of its own (what receive's planned
   drive events stand for, so the same bits), with on_spike(ts) called at each spike.  The
   engine runs a cell up to each of its other events (arrivals, trials, control) and all of
   them to the end of each window: no cell hears of another's spike within the shortest
   delay.  Ties: the refractory end before an input, a played-back entry before both, as
   receive orders them.  A deleted cell is frozen. */
template <bool FULL = true, class OnSpike>
NC_INLINE void run_until(Cell& c, const Settings& e, double tt, OnSpike&& on_spike) {
    if (FULL && c.dead) { return; }
    for (;;) {
        if (c.bi >= c.nb) {
            if (FULL) { fill_buffer(c, e); } else { fill_buffer_<false, false>(c); }
        }
        const double tin = c.bi < c.nb ? c.bt[c.bi] : NEVER;
        const double tpb = FULL ? c.pbt : NEVER;
        const double tr = c.s.c_refr != 0 ? c.tref : NEVER;
        if (tr <= tin && tr < tpb) {
            if (tr >= tt) { return; }
            refractory_end<FULL>(c, e);
            continue;
        }
        const bool play = FULL && tpb <= tin;
        const double te = play ? tpb : tin;
        if (te >= tt) { return; }
        prologue<FULL>(c, e, te);
        if (play ? play_next<FULL>(c, e, te) : drive_next<FULL>(c, e, te)) { on_spike(te); }
    }
}

/* Whether the cell, under these settings, needs the event path with every feature
   (FULL = true): false only when none of what FULL = false leaves out can happen. */
static inline bool needs_full(const Cell& c, const Settings& e) {
    return c.dead || c.original || !c.play_t.empty() || e.caps || e.chain || e.early_callbacks ||
           e.sensor_each_event || e.stdp;
}

/* Arrival time of group g of a presynaptic cell's delivery chain whose first callback is at
   first: first + diff1 + ... + diffg (diffs: the chain's delay differences), summed one at
   a time as the original's callbacks add them. */
static inline double chained_arrival(double first, const std::vector<double>& diffs, int g) {
    double a = first;
    for (int i = 0; i < g && i < (int) diffs.size(); ++i) { a = a + diffs[i]; }
    return a;
}

/* ------------------------------------------------------------------ reading the cell */

/* The activity sensor decayed to tt (1/ms). */
static inline double activity(const Cell& c, const Settings& e, double tt) {
    return c.act * hexp(-(tt - c.tu) / e.sensor_decay_tau);
}

/* Component i decayed to tt without changing the cell: 0 VAM 1 VNM 2 VGA 3 VAM2 4 VNM2
   5 VGA2 6 AHP (mV deviations), 7 the threshold (mV). */
static inline double component(const Cell& c, int i, double tt) {
    const double d = tt - c.s.c_t0;
    const NcPar& p = c.p;
    switch (i) {
    case 0: return c.s.c_am * hexp(-d / p.c_tAM);
    case 1: return c.s.c_nm * hexp(-d / p.c_tNM);
    case 2: return c.s.c_ga * hexp(-d / p.c_tGA);
    case 3: return c.s.c_am2 * hexp(-d / p.c_tAM2);
    case 4: return c.s.c_nm2 * hexp(-d / p.c_tNM2);
    case 5: return c.s.c_ga2 * hexp(-d / p.c_tGA2);
    case 6: return c.s.c_ahp * hexp(-d / p.c_tahp);
    default:
        if (c.s.c_refr == 0 && c.s.c_vthc != p.c_vth) { return p.c_vth + (c.s.c_vthr - p.c_vth) * hexp(-(tt - c.s.c_trrs) / p.c_tRR); }
        return c.s.c_vthc;
    }
}

/* The unclipped absolute membrane potential at tt (mV). */
static inline double vm(const Cell& c, double tt) {
    double v = c.p.c_rmp;
    for (int i = 0; i <= 6; ++i) { v = v + component(c, i, tt); }
    return v;
}

/* What a recording reads of the cell at tt (after catch_up to tt), without changing it:
   0-5 VAM, VNM, VGA, VAM2, VNM2, VGA2 and 6 AHP decayed to tt (mV deviations), 7 the
   threshold (mV), 8 the unclipped membrane potential (mV), 9 the activity sensor (1/ms), 10
   the goal (1/ms; -1 until scaling sets it), 11 the scale factor; NaN once deleted. */
static inline double value_at(const Cell& c, const Settings& e, int k, double tt) {
    if (c.dead) { return std::nan(""); }
    const NcPar& p = c.p;
    const double d = tt - c.s.c_t0;
    const double v[7] = {c.s.c_am * std::exp(-d / p.c_tAM), c.s.c_nm * std::exp(-d / p.c_tNM),
                         c.s.c_ga * std::exp(-d / p.c_tGA), c.s.c_am2 * std::exp(-d / p.c_tAM2),
                         c.s.c_nm2 * std::exp(-d / p.c_tNM2), c.s.c_ga2 * std::exp(-d / p.c_tGA2),
                         c.s.c_ahp * std::exp(-d / p.c_tahp)};
    if (k >= 0 && k < 7) { return v[k]; }
    if (k == 7) {
        return (c.s.c_refr == 0 && c.s.c_vthc != p.c_vth)
            ? p.c_vth + (c.s.c_vthr - p.c_vth) * std::exp(-(tt - c.s.c_trrs) / p.c_tRR) : c.s.c_vthc;
    }
    if (k == 8) {
        double x = p.c_rmp;
        for (int i = 0; i < 7; ++i) { x += v[i]; }
        return x;
    }
    if (k == 9) { return c.act * std::exp(-(tt - c.tu) / e.sensor_decay_tau); }
    if (k == 10) { return c.goal; }
    return c.sfac;
}

/* ------------------------------------------------------------------ the state by name */

/* The state a checkpoint saves and Python reads, by NetcolIntf6's names: scalars (the
   X(name, field) list) and arrays (ring, pend, pendk, bt, bs). */
#define NC_STATE_SCALARS(X) \
    X(VAM, s.c_am) X(VNM, s.c_nm) X(VGA, s.c_ga) X(VAM2, s.c_am2) X(VNM2, s.c_nm2) X(VGA2, s.c_ga2) \
    X(AHP, s.c_ahp) X(VTHC, s.c_vthc) X(VTHR, s.c_vthr) X(refractory, s.c_refr) X(t0, s.c_t0) X(trrs, s.c_trrs) \
    X(dead, dead) X(spkcnt, spkcnt) X(blkcnt, blkcnt) X(act, act) X(goal, goal) X(interr, interr) X(sfac, sfac) \
    X(tu, tu) X(tev, tev) X(xt0, xt[0]) X(xt1, xt[1]) X(xt2, xt[2]) X(xt3, xt[3]) X(xnext, xnext) \
    X(drivegen, gen) X(pbi, pbi) X(pbt, pbt) X(trial_k, trial_k) X(tref, tref) X(nspk, nspk) X(npend, npend) \
    X(nb, nb) X(bi, bi) X(xplan, xplan) X(cvalid, cvalid) X(xh0, xh[0]) X(xh1, xh[1]) X(xh2, xh[2]) \
    X(xh3, xh[3]) X(xl0, xl[0]) X(xl1, xl[1]) X(xl2, xl[2]) X(xl3, xl[3])

/* The value of state name (element i of an array) in v; false if there is none such. */
static inline bool state_get(const Cell& c, const char* name, int i, double& v) {
#define NC_GET(n, f) if (std::strcmp(name, #n) == 0) { v = (double) c.f; return true; }
    NC_STATE_SCALARS(NC_GET)
#undef NC_GET
    if (std::strcmp(name, "ring") == 0 && i >= 0 && i < NRING) { v = c.ring[i]; return true; }
    if (std::strcmp(name, "pend") == 0 && i >= 0 && i < NPEND) { v = c.pend[i]; return true; }
    if (std::strcmp(name, "pendk") == 0 && i >= 0 && i < NPEND) { v = c.pendk[i]; return true; }
    if (std::strcmp(name, "bt") == 0 && i >= 0 && i < NBUF) { v = c.bt[i]; return true; }
    if (std::strcmp(name, "bs") == 0 && i >= 0 && i < NBUF) { v = c.bs[i]; return true; }
    return false;
}

/* Set state name (element i of an array) to v; false if there is none such. */
static inline bool state_set(Cell& c, const char* name, int i, double v) {
#define NC_SET(n, f) if (std::strcmp(name, #n) == 0) { c.f = (decltype(c.f)) v; return true; }
    NC_STATE_SCALARS(NC_SET)
#undef NC_SET
    if (std::strcmp(name, "ring") == 0 && i >= 0 && i < NRING) { c.ring[i] = v; return true; }
    if (std::strcmp(name, "pend") == 0 && i >= 0 && i < NPEND) { c.pend[i] = v; return true; }
    if (std::strcmp(name, "pendk") == 0 && i >= 0 && i < NPEND) { c.pendk[i] = (int) v; return true; }
    if (std::strcmp(name, "bt") == 0 && i >= 0 && i < NBUF) { c.bt[i] = v; return true; }
    if (std::strcmp(name, "bs") == 0 && i >= 0 && i < NBUF) { c.bs[i] = (int) v; return true; }
    return false;
}

/* The length of state array name (0: a scalar; -1: no such state). */
static inline int state_size(const char* name) {
    if (std::strcmp(name, "ring") == 0) { return NRING; }
    if (std::strcmp(name, "pend") == 0 || std::strcmp(name, "pendk") == 0) { return NPEND; }
    if (std::strcmp(name, "bt") == 0 || std::strcmp(name, "bs") == 0) { return NBUF; }
    Cell probe;
    double v;
    return state_get(probe, name, 0, v) ? 0 : -1;
}

}  // namespace nc

#undef NC_INLINE
#pragma GCC diagnostic pop
#pragma pop_macro("exp")
