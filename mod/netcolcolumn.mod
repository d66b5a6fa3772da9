COMMENT
NetcolColumn: all of a rank's column cells (the NetcolIntf6 cell, shared/spec/intf6.md) in
one mechanism with its own event queue, so that drive events, synaptic arrivals and
refractory ends cost a heap operation each instead of a NEURON queue event.

It does the default mode's drive, synapses, spikes, activity sensors and synaptic scaling
(with NetcolIntf6's delivery-callback steps) so far: no plasticity, deletion, trials,
played-back input, reference mode, checkpoints or GUI probes
(netcol.models.rowan2013.ranknet runs those on NetcolIntf6).  The arithmetic
is NetcolIntf6's (netcol_intf6_math.hpp), as are the lazy drive and its planner (see
netcolintf6.mod), so the spikes are the same bit for bit.  In the per-cell mechanism
NEURON's event machinery was about a fifth of the column's time.

Time runs in windows of `epoch` ms: the shortest synaptic delay in whole steps of the
fixed step, NEURON's spike-exchange interval (the listening NetCons carry it as their
delay).  At t = k epoch, after that time's exchange, the mechanism takes the remote
spikes NEURON has recorded (listen_records) and handles every event before t in time
order; a protocol action at t, or the run loop after a block, asks for the same first
(catch_up, handle_until).  A spike at t_s reaches its targets at t_s + delay >= t_s +
epoch: local targets get it at once, remote ranks through the cell's NetcolRelay,
emitted when its window is handled (NEURON's own t set to t_s for the call: NEURON
refuses a spike before t), at the next exchange, which comes before they handle events
at t_s + delay.  A remote arrival before the time already handled would be out of
order: it stops the run with an error instead.  (A resume from a checkpoint on 2 ranks
met one: a record's catch-up at a block's end came before the exchange it needed, so
checkpointed runs stay on NetcolIntf6.)
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolColumn
    RANGE pid, epoch
}

PARAMETER {
    epoch = 1 (ms)
}

ASSIGNED {
    pid
}

VERBATIM
#undef exp
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <queue>
#include <vector>
#include <nrnran123.h>
#include "netcol_intf6_math.hpp"

enum { COL_NBUF = 12, COL_NPEND = 4, COL_DRIVE = 0, COL_ARRIVAL = 1, COL_REFRACTORY = 2 };

struct ColSyn { int post; double delay; double w[7]; };

struct ColCell {
    int gid = -1;
    Point_process* relay = nullptr;
    NcPar p{};
    double refrac = 5, rrw = 0.75, ahpwt = 0, ahp2ref = 0, xgain = 1, act_tau = 1e5, act_tau_decay = 1e5;
    bool inhib = false;                  /* an interneuron */
    bool scaled = true;                  /* scaling acts on it (excitatory, or iscaling) */
    std::vector<double> odel;            /* its distinct outgoing delays, ascending */
    std::uint32_t ids[4][3] = {};
    double xr[4] = {0, 0, 0, 0}, xw[4] = {0, 0, 0, 0};
    int xs[4] = {4, 5, 2, 6};
    nrnran123_State* rs[4] = {nullptr, nullptr, nullptr, nullptr};
    /* state */
    NcMemb s{};
    double tref = -1, act = 0, tu = 0, goal = -1, interr = 0, sfac = 1, tev = 0;
    long spkcnt = 0, blkcnt = 0;
    double pend[COL_NPEND];              /* pending delivery callbacks' spike times (-1e9: free) */
    int pendk[COL_NPEND];                /* and the next callback of each */
    int npend = 0;
    double xt[4] = {1e20, 1e20, 1e20, 1e20};
    double bt[COL_NBUF];
    int bs[COL_NBUF];
    int nb = 0, bi = 0, cvalid = 0;
    NcMemb cs[COL_NBUF];
    char cb[COL_NBUF];
    double xplan = 1e20, xnext = 1e20;
    unsigned gen = 0;
};

struct ColEvent {
    double when;
    std::uint64_t seq;
    int type;
    int cell;
    int syn;
    unsigned gen;
    bool operator>(const ColEvent& o) const { return when > o.when || (when == o.when && seq > o.seq); }
};

struct ColEngine {
    std::vector<ColCell> cells;
    std::vector<ColSyn> syns;
    std::vector<std::vector<int>> out;   /* by presynaptic gid: its synapses onto this rank's cells */
    std::priority_queue<ColEvent, std::vector<ColEvent>, std::greater<ColEvent>> q;
    std::uint64_t seq = 0;
    double handled = 0;   /* every event before this time (ms) has been handled */
    /* synaptic scaling (NetcolIntf6's module-wide values): on from t = ton once switched on */
    bool scaling = false;
    double ton = 0, beta = 0, gamma = 0;
    IvocVect* rec_t = nullptr;
    IvocVect* rec_id = nullptr;

    ~ColEngine() {
        for (ColCell& c : cells) {
            for (nrnran123_State* r : c.rs) {
                if (r) { nrnran123_deletestream(r); }
            }
        }
    }

    void push(double when, int type, int cell, int syn, unsigned gen) { q.push(ColEvent{when, seq++, type, cell, syn, gen}); }

    /* as NetcolIntf6's fill_buffer, replan, apply_buffered and catch_up (see there) */
    void fill_buffer(ColCell& c) {
        c.cvalid = 0;
        if (c.bi > 0) {
            for (int i = c.bi; i < c.nb; ++i) { c.bt[i - c.bi] = c.bt[i]; c.bs[i - c.bi] = c.bs[i]; }
            c.nb -= c.bi;
            c.bi = 0;
        }
        while (c.nb < COL_NBUF) {
            int k = 0;
            double m = c.xt[0];
            if (c.xt[1] < m) { k = 1; m = c.xt[1]; }
            if (c.xt[2] < m) { k = 2; m = c.xt[2]; }
            if (c.xt[3] < m) { k = 3; m = c.xt[3]; }
            if (m >= 1e19) { break; }
            c.bt[c.nb] = m;
            c.bs[c.nb] = k;
            c.nb++;
            c.xt[k] = m + nrnran123_negexp(c.rs[k]) * 1000.0 / c.xr[k];
        }
    }

    void replan(ColCell& c, double limit) {
        fill_buffer(c);
        NcMemb st = c.s;
        const NcPar& pa = c.p;
        const int n = c.nb;
        double plan = n > 0 ? c.bt[n - 1] : 1e20;
        int j = c.bi;
        for (; j < n; ++j) {
            const double tj = c.bt[j];
            if (st.c_refr != 0 && tj >= c.tref) { plan = 1e20; break; }
            if (tj >= limit) { plan = tj; break; }
            nc_decay(st, pa, tj);
            const int k = c.bs[j];
            nc_add_slot(st, pa, nc_drive_dev(st, pa), c.xs[k], c.xw[k] * c.xgain);
            const int test = nc_test(st, pa);
            if (test == 1) { plan = tj; break; }
            c.cs[j] = st;
            c.cb[j] = test == 2;
        }
        c.cvalid = j < n ? j : n;
        c.xplan = plan;
    }

    /* NetcolIntf6's scale_step, callback_steps, prologue and add_pending (see there) */
    void scale_step(ColCell& c, double tt) {
        if (scaling && tt >= ton && c.scaled) {
            c.act = c.act * std::exp(-(tt - c.tu) / c.act_tau_decay);
            if (c.goal < 0) { c.goal = tt > 0 ? (double) c.spkcnt / tt : 0; }
            c.sfac = c.sfac + beta * c.sfac * (c.goal - c.act) + gamma * c.sfac * c.interr;
            c.interr = c.interr + (c.goal - c.act) * (tt - c.tev);
            c.tu = tt;
        }
        c.tev = tt;
    }

    void callback_steps(ColCell& c, double tt) {
        const int n = (int) c.odel.size();
        while (c.npend > 0) {
            int best = -1;
            double bt = 1e20;
            for (int i = 0; i < COL_NPEND; ++i) {
                if (c.pendk[i] < n && c.pend[i] > -1e8) {
                    const double ct = c.pend[i] + c.odel[c.pendk[i]];
                    if (ct < bt) { bt = ct; best = i; }
                }
            }
            if (best < 0 || bt > tt) {
                if (best < 0) { c.npend = 0; }
                break;
            }
            scale_step(c, bt);
            c.pendk[best] += 1;
            if (c.pendk[best] >= n) {
                c.pend[best] = -1e9;
                c.npend -= 1;
            }
        }
    }

    void prologue(ColCell& c, double tt) {
        if (c.npend > 0) { callback_steps(c, tt); }
        scale_step(c, tt);
    }

    void add_pending(ColCell& c, double ts) {
        int slot = -1;
        for (int i = 0; i < COL_NPEND; ++i) {
            if (slot < 0 && c.pend[i] < -1e8) { slot = i; }
        }
        if (slot < 0) {   /* more overlapping spikes than slots: finish the oldest chain now */
            callback_steps(c, 1e19);
            slot = 0;
        }
        c.pend[slot] = ts;
        c.pendk[slot] = 0;
        c.npend += 1;
    }

    void catch_up(ColCell& c, double tt) {
        if (c.npend > 0 || (scaling && c.scaled)) {   /* each input's prologue may scale */
            while (c.bi < c.nb && c.bt[c.bi] < tt) {
                prologue(c, c.bt[c.bi]);
                apply_buffered(c);
                c.bi++;
            }
            return;
        }
        int j = c.bi;
        long blocked = 0;
        while (j < c.cvalid && c.bt[j] < tt) { blocked += c.cb[j] != 0; ++j; }
        if (j > c.bi) {   /* only the state after the last of them is needed */
            c.s = c.cs[j - 1];
            c.blkcnt += blocked;
            c.tev = c.bt[j - 1];
            c.bi = j;
        }
        while (c.bi < c.nb && c.bt[c.bi] < tt) {   /* beyond the cached states */
            prologue(c, c.bt[c.bi]);
            apply_buffered(c);
            c.bi++;
        }
    }

    /* buffered input bi: the state the planner cached, or the same arithmetic again */
    void apply_buffered(ColCell& c) {
        if (c.bi < c.cvalid) {
            if (c.cb[c.bi]) { c.blkcnt++; }
            c.s = c.cs[c.bi];
            return;
        }
        const int k = c.bs[c.bi];
        nc_decay(c.s, c.p, c.bt[c.bi]);
        nc_add_slot(c.s, c.p, nc_drive_dev(c.s, c.p), c.xs[k], c.xw[k] * c.xgain);
        if (nc_test(c.s, c.p) == 2) { c.blkcnt++; }
    }

    /* the threshold stage after an input at tt (NetcolIntf6's threshold_stage); true on a
       spike */
    bool threshold_stage(ColCell& c, double tt) {
        double V = c.p.c_rmp + nc_sum(c.s);
        if (V < -90) { V = -90; }
        if (V > 0) { V = 0; }
        if (c.s.c_refr != 0 || V <= c.s.c_vthc) { return false; }
        if (V > c.p.c_vblock) {
            c.blkcnt++;
            return false;
        }
        c.s.c_ahp = c.s.c_ahp - c.ahpwt;
        c.act = c.act * std::exp(-(tt - c.tu) / c.act_tau_decay);
        c.act = c.act + (1 - c.act) / c.act_tau;
        c.tu = tt;
        c.spkcnt++;
        if (scaling && c.scaled && !c.odel.empty()) { add_pending(c, tt); }
        c.s.c_vthc = c.p.c_vth + c.rrw * (c.p.c_vblock - c.p.c_vth);
        c.s.c_vthr = c.s.c_vthc;
        c.s.c_refr = 1;
        c.tref = tt + (c.refrac - c.s.c_ahp * c.ahp2ref);
        return true;
    }

    void send_drive(ColCell& c, int ci) {
        c.gen++;
        c.xnext = c.xplan;
        if (c.xnext < 1e19) { push(c.xnext, COL_DRIVE, ci, -1, c.gen); }
    }

    void spike(int ci, double ts) {
        ColCell& c = cells[ci];
        const double now = t;   /* NEURON refuses a spike before its t: it is set for the call */
        t = ts;
        nrn_net_event(c.relay, ts);
        t = now;
        for (int si : out[c.gid]) { push(ts + syns[si].delay, COL_ARRIVAL, syns[si].post, si, 0); }
        push(c.tref, COL_REFRACTORY, ci, -1, 0);
    }

    void initialize() {
        q = decltype(q)();
        seq = 0;
        handled = 0;
        scaling = false;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            ColCell& c = cells[i];
            c.s = NcMemb{0, 0, 0, 0, 0, 0, 0, c.p.c_vth, c.p.c_vth, 0, 0, 0};
            c.tref = -1; c.act = 0; c.tu = 0; c.spkcnt = 0; c.blkcnt = 0;
            c.goal = -1; c.interr = 0; c.sfac = 1; c.tev = 0;
            std::fill_n(c.pend, COL_NPEND, -1e9);
            std::fill_n(c.pendk, COL_NPEND, 0);
            c.npend = 0;
            c.nb = c.bi = c.cvalid = 0;
            for (int k = 0; k < 4; ++k) {
                if (!c.rs[k]) { c.rs[k] = nrnran123_newstream3(c.ids[k][0], c.ids[k][1], c.ids[k][2]); }
                nrnran123_setseq(c.rs[k], 0, 0);
                c.xt[k] = c.xr[k] > 0 ? 0.0 + nrnran123_negexp(c.rs[k]) * 1000.0 / c.xr[k] : 1e20;
            }
            replan(c, 1e20);
            send_drive(c, (int) i);
        }
    }

    /* every event before t_end, in time order (see the COMMENT) */
    void advance(double t_end) {
        if (rec_t) {   /* remote spikes (all recorded ones are of earlier windows) */
            const int n = vector_capacity(rec_t);
            const double* ts = vector_vec(rec_t);
            const double* id = vector_vec(rec_id);
            for (int j = 0; j < n; ++j) {
                for (int si : out[(std::size_t) id[j]]) {
                    const double arrival = ts[j] + syns[si].delay;
                    if (arrival < handled) {   /* never silently out of order */
                        char msg[200];
                        std::snprintf(msg, sizeof msg, "a remote spike's arrival at %.17g ms came after the events "
                                      "to %.17g ms were handled; run with engine = 'cells'", arrival, handled);
                        hoc_execerror("NetcolColumn:", msg);
                    }
                    push(arrival, COL_ARRIVAL, syns[si].post, si, 0);
                }
            }
            vector_resize(rec_t, 0);
            vector_resize(rec_id, 0);
        }
        if (t_end > handled) { handled = t_end; }
        while (!q.empty() && q.top().when < t_end) {
            const ColEvent e = q.top();
            q.pop();
            ColCell& c = cells[e.cell];
            bool spiked = false;
            const double te = e.when;
            if (e.type == COL_DRIVE) {
                if (e.gen != c.gen) { continue; }
                catch_up(c, te);
                prologue(c, te);
                if (c.bi < c.nb) {
                    const int k = c.bs[c.bi];
                    c.bi++;
                    nc_decay(c.s, c.p, te);
                    nc_add_slot(c.s, c.p, nc_drive_dev(c.s, c.p), c.xs[k], c.xw[k] * c.xgain);
                    spiked = threshold_stage(c, te);
                }
                replan(c, 1e20);
                send_drive(c, e.cell);
            } else {
                catch_up(c, te);
                prologue(c, e.type == COL_REFRACTORY ? c.tref : te);
                if (e.type == COL_REFRACTORY) {
                    nc_decay(c.s, c.p, c.tref);
                    c.s.c_refr = 0;
                    c.s.c_trrs = c.tref;
                } else {
                    const double* w = syns[e.syn].w;
                    /* scaled weights: AMPA by sfac and GABA-A by 1 / sfac onto E cells, the
                       other way round onto I cells (NMDA unscaled) */
                    double g1 = 1, g2 = 1;
                    if (scaling) {
                        g1 = c.inhib ? 1 / c.sfac : c.sfac;
                        g2 = c.inhib ? c.sfac : 1 / c.sfac;
                    }
                    if (w[0] > 0 || w[1] > 0 || w[2] > 0 || w[4] > 0 || w[5] > 0 || w[6] > 0) {
                        nc_decay(c.s, c.p, te);
                        nc_add(c.s, c.p, nc_drive_dev(c.s, c.p), w[0] * g1, w[1], w[2] * g2, w[4] * g1, w[5],
                               w[6] * g2);
                        spiked = threshold_stage(c, te);
                    }
                }
                replan(c, c.xnext);
                if (c.xplan < c.xnext) { send_drive(c, e.cell); }
            }
            if (spiked) { spike(e.cell, te); }
        }
    }
};
static std::vector<std::unique_ptr<ColEngine>> col_engines;
static ColEngine* col_engine(double id) { return col_engines.at((std::size_t) id).get(); }
ENDVERBATIM

INITIAL {
VERBATIM
    col_engine(pid)->initialize();
ENDVERBATIM
    net_send(epoch, 1)
}

: flag 1: the events before t (the window that has just ended)
NET_RECEIVE(w) {
    if (flag == 1) {
VERBATIM
        col_engine(pid)->advance(t);
ENDVERBATIM
        net_send(epoch, 1)
    }
}

: setup(ntot): a new empty engine in a network of ntot cells (gids 0 .. ntot - 1)
PROCEDURE setup(ntot) {
VERBATIM
    auto E = std::make_unique<ColEngine>();
    E->out.resize((std::size_t) _lntot);
    pid = (double) col_engines.size();
    col_engines.push_back(std::move(E));
ENDVERBATIM
}

: add_cell(gid, relay): the next local cell, with relay (a NetcolRelay) its spike source;
: set_cells gives it its parameters
PROCEDURE add_cell(gid) {
VERBATIM
    ColCell c;
    c.gid = (int) _lgid;
    c.relay = ob2pntproc(*hoc_objgetarg(2));
    col_engine(pid)->cells.push_back(c);
ENDVERBATIM
}

: set_cells(id2, id3, delmin, par, streams, counts, delays): every local cell's parameters,
: in the order of add_cell (Vectors, one row per cell):
: - par: 28 values, NcPar's 19 (netcol_intf6_math.hpp, the table flag last), then refrac,
:   RRWght, ahpwt, AHP2REF, xgain, act_tau, act_tau_decay, inhib, iscaling;
: - streams: 4 drive streams of (rate Hz, weight, receptor slot); stream k is the Random123
:   stream (gid, id2 + k, id3) from its start;
: - counts and delays: the cell's number of outgoing delays, then the delays themselves
:   (kept distinct beyond delmin, ascending), for the scaling steps of its delivery callbacks
PROCEDURE set_cells(id2, id3, delmin) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const double* par = vector_vec(vector_arg(4));
    const double* streams = vector_vec(vector_arg(5));
    const double* counts = vector_vec(vector_arg(6));
    const double* delays = vector_vec(vector_arg(7));
    for (ColCell& c : E.cells) {
        const double* a = par;
        c.p = NcPar{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14],
                    a[15], a[16], a[17], (int) a[18]};
        c.refrac = a[19]; c.rrw = a[20]; c.ahpwt = a[21]; c.ahp2ref = a[22]; c.xgain = a[23];
        c.act_tau = a[24]; c.act_tau_decay = a[25];
        c.inhib = a[26] != 0;
        c.scaled = !c.inhib || a[27] != 0;
        par += 28;
        for (int k = 0; k < 4; ++k) {
            c.ids[k][0] = (std::uint32_t) c.gid;
            c.ids[k][1] = (std::uint32_t) _lid2 + (std::uint32_t) k;
            c.ids[k][2] = (std::uint32_t) _lid3;
            c.xr[k] = streams[3 * k]; c.xw[k] = streams[3 * k + 1]; c.xs[k] = (int) streams[3 * k + 2];
        }
        streams += 12;
        const int n = (int) *counts++;
        c.odel = nc_distinct_delays(delays, n, _ldelmin);
        delays += n;
    }
ENDVERBATIM
}

: add_synapses(cell, pre, delay, w): synapses, in the order given (Vectors): synapse k
: from gid pre[k] onto local cell cell[k] (its index in the order of add_cell), with
: delay[k]; w holds its 7 receptor weights AM, NM, GA, GB, AM2, NM2, GA2 at 7 k .. 7 k + 6
PROCEDURE add_synapses() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* cv = vector_arg(1);
    const double* cell = vector_vec(cv);
    const double* pre = vector_vec(vector_arg(2));
    const double* delay = vector_vec(vector_arg(3));
    const double* w = vector_vec(vector_arg(4));
    const std::size_t n = (std::size_t) vector_capacity(cv);
    E.syns.reserve(E.syns.size() + n);
    for (std::size_t k = 0; k < n; ++k) {
        const double* wk = w + 7 * k;
        E.syns.push_back(ColSyn{(int) cell[k], delay[k], {wk[0], wk[1], wk[2], wk[3], wk[4], wk[5], wk[6]}});
        E.out.at((std::size_t) pre[k]).push_back((int) E.syns.size() - 1);
    }
ENDVERBATIM
}

: listen_records(tvec, idvec): where NEURON records the remote sources' spikes
PROCEDURE listen_records() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    E.rec_t = vector_arg(1);
    E.rec_id = vector_arg(2);
ENDVERBATIM
}

: catch_up(tt): handle every event before tt, then apply each cell's buffered drive inputs
: before tt (as NetcolIntf6's catch_up): the state at tt, for reading
PROCEDURE catch_up(tt) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    E.advance(_ltt);
    for (ColCell& c : E.cells) { E.catch_up(c, _ltt); }
ENDVERBATIM
}

: cell_value(i, k): local cell i's activity sensor (k = 0, 1/ms, as of tu), tu (k = 1,
: ms), goal (k = 2, 1/ms; -1 until scaling sets it) or scale factor (k = 3)
FUNCTION cell_value(i, k) {
VERBATIM
    const ColCell& c = col_engine(pid)->cells.at((std::size_t) _li);
    const int k = (int) _lk;
    _lcell_value = k == 0 ? c.act : k == 1 ? c.tu : k == 2 ? c.goal : c.sfac;
ENDVERBATIM
}


: handle_until(tt): handle every event before tt (after a block, so that its spikes are out)
PROCEDURE handle_until(tt) {
VERBATIM
    col_engine(pid)->advance(_ltt);
ENDVERBATIM
}

: set_scaling_gains(beta, gamma): the scaling steps' proportional and integral gains
PROCEDURE set_scaling_gains(beta, gamma) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    E.beta = _lbeta;
    E.gamma = _lgamma;
ENDVERBATIM
}

: scaling_on(ton): synaptic scaling from ton (ms) on; every event before ton is handled
: first
PROCEDURE scaling_on(ton) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    E.advance(_lton);
    E.scaling = true;
    E.ton = _lton;
ENDVERBATIM
}
