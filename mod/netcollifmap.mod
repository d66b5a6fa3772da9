COMMENT
NetcolLifMap: a population of leaky integrate-and-fire cells advanced by the exact map
on a fixed grid of mapdt (1 ms), with Poisson feedforward counts drawn in the cell and
a voltage-based (Clopath-type) plasticity rule on its incoming synapses, written for
netcol from the specification of Sadeh, Clopath & Rotter (2015) (shared/spec/sadeh2015.md).

Why one mechanism per rank, not one per cell.  The map is a dense, every-step update:
every cell changes at every step, and the plasticity rule reads, at every step, the
presynaptic trace of every source of a depolarised cell.  One ARTIFICIAL_CELL instance
holds all of a rank's cells as arrays, advances them with one self-event per step, keeps
one trace per presynaptic source for the whole rank (not one per synapse) and loops
over its synapses in compiled code.  Each cell still has its own gid: a NetcolRelay per
cell is its spike source for ParallelContext (cell() / gid_connect), and the
population emits a cell's spike through it.

A source on the same rank needs no NetCon: its spikes join the arrivals directly.

Time.  Step k (k = 0, 1, ...) is computed at t = (k + 1/2) mapdt and its spikes carry
that time.  A spike reaches every rank that holds targets of its cell through one
inactive NetCon per (source, rank) with delay mapdt / 2 (which makes ranks exchange
spikes every half step): NEURON records it at the exchange into the vectors given to
listen_records, and step k + 1 takes every recorded spike of earlier steps: the map's
one-step delay, with no queue event per spike.  No step lies on a whole multiple of
mapdt, where the protocol and checkpoints act.

Delays.  Each synapse has a delay of d whole steps (d >= 1, given per synapse at set-up;
netcol gives each pathway its own): a spike of step s reaches a target's y in step s + d
(the map's one step when d = 1, the default) and counts as the synapse's presynaptic
spike s_i in the rule of step s + d - 1 (the reference pairs it with the step of the
spike).  The trace x_i is the source's own: it takes the spike in step s + 1 whatever the
delays.  Spikes wait in a ring of the last longest-delay steps (NetcolSpikeRing); ranks
exchange every half step, within the shortest delay.  A segment's reset drops every
spike in flight.

One step, for every cell p of the rank (y: membrane from rest, mV):
  1. the plasticity of the previous step, if it was plastic (it needs that step's
     presynaptic spikes, which arrive only now);
  2. at the first step of a segment with reset: y, its filters, the averaging ring and
     the traces return to 0, and the spikes in flight are dropped; otherwise the filters
     take the previous y and spikes (ym <- Bm ym + y/tau_minus, yp <- Bp yp + y/tau_plus,
     x_i <- Bx x_i + s_i/tau_x, s_i the source's spike of the previous step) and
     y <- B y + counts + sum of the weights whose spikes arrive now;
     the counts are Poisson with mean rate mapdt (1 + m cos 2(theta - po)) / 1000;
  3. a spike where y > vth, with y reset to 0;
  4. y joins the averaging ring; in a plastic segment: ybar = mean of y over the
     previous avg_steps steps since the last reset (fewer at first), D = a_ltd ybar^2 / ltd_ref [ym - theta_minus]+,
     P = [y - theta_plus]+ [yp - theta_minus]+, kept for step 1 of the next step.
Summed arrivals are added in ascending (delay, source gid) (in ascending source gid where
all delays are equal), whatever the rank count.

The rule (step 1), for a synapse i -> p of weight w, with s_i the source's spike arriving
at the synapse (emitted d - 1 steps before the previous step) and x_i its trace at the
previous step:
  dwm = (-mapdt s_i) D_p,  dwp = (mapdt a_ltp x_i) P_p
  kind 1 (excitatory, plastic): if w != 0: w <- w + (dwm + dwp), then clipped to
         [0, w_max]; 0 is absorbing;
  kind 2 (inhibitory, plastic, sign inverted): w <- (w - dwp) - dwm, clipped to
         [w_min_inh, 0];
  kind 0: static.

Random counts: cell gid's stream of segment stream id s is Random123 (seed, gid, s);
draw n of a segment at step k is number offset + (k - k0) of that stream, so any segment
can replay another's input (same stream and offset) and a resumed run draws the same.

Set-up, from Python (netcol.cells.lifmap): setup(), then add_cell() per local cell, each
followed by add_synapses() if it has incoming synapses (with their delays), add_segment()
per protocol segment, then finitialize; INITIAL indexes the synapses, empties the ring
and schedules the step kstep.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolLifMap
    RANGE pid, kstep, nsteps
    GLOBAL mapdt, tau_m, vth, rate, tau_minus, tau_plus, tau_x, a_ltd, a_ltp, ltd_ref
    GLOBAL theta_minus, theta_plus, w_max, w_min_inh, avg_steps, init_events
}

PARAMETER {
    mapdt = 1 (ms)
    tau_m = 20 (ms)
    vth = 20 (mV)
    rate = 2000 (/s)
    tau_minus = 10 (ms)
    tau_plus = 7 (ms)
    tau_x = 15 (ms)
    a_ltd = 14e-5
    a_ltp = 8e-5
    ltd_ref = 70
    theta_minus = -20 (mV)
    theta_plus = 7.5 (mV)
    w_max = 2 (mV)
    w_min_inh = -5 (mV)
    avg_steps = 100
    init_events = 1
}

ASSIGNED {
    pid
    kstep
    nsteps
}

VERBATIM
/* libm exp: the mod's exp macro is hoc's checked version */
#undef exp
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>
#include "nrnran123.h"
#include "netcol_population.hpp"

struct LmSegment { long k0, len, stream, offset; double theta; int plastic, reset; };

/* One rank's population: parameters, per-cell state, synapses (grouped by target, with
   an index by source), per-source traces and arrivals, and the protocol's segments. */
struct LmPop {
    int ntot = 0;
    std::uint32_t seed = 0;
    double B, Bm, By, Bx, lam0, vthr, tminus, tplus, tx, altd, altp, lref, thm, thp, wmax, wmin, mdt;
    int navg;
    std::vector<int> gid;
    std::vector<double> po, mod;
    std::vector<Point_process*> relay;
    std::vector<std::map<long, nrnran123_State*>> streams;
    std::vector<double> y, ym, yp, D, P, ringsum, ring, acc, elam;
    std::vector<long> nspk;
    long ringn = 0;
    int pending = 0;
    std::vector<double> x;           /* per source gid: trace */
    NetcolSpikeRing inflight;        /* spikes still to be delivered, by step */
    std::vector<int> due;            /* sources of the spikes one delay class brings */
    NetcolDelays delays;             /* per synapse until indexed, then the classes */
    IvocVect* rec_t = nullptr;       /* remote sources' spikes as NEURON's exchange recorded */
    IvocVect* rec_id = nullptr;      /* them: times and source gids (listen_records) */
    std::vector<int> syn_ptr{0};     /* per local cell: its synapses [syn_ptr[p], syn_ptr[p+1]) */
    std::vector<int> syn_pre, syn_post;
    std::vector<double> syn_w, syn_w0;   /* weights now and as set up */
    std::vector<char> syn_kind;
    std::vector<int> syn_delay;      /* per synapse: its delay (steps) */
    /* per source gid i and delay class c: indices of its synapses here, targets ascending,
       src_syn[src_ptr[C i + c] .. src_ptr[C i + c + 1]) with C the classes */
    std::vector<int> src_ptr, src_syn;
    bool indexed = false;
    std::vector<LmSegment> segs;
    std::size_t cur = 0;             /* segment of the last step */
    std::vector<double> seg_lam;     /* per local cell: exp(-mean count) of the current segment */
    long lam_seg = -1;
    ~LmPop() { for (auto& m : streams) { for (auto& kv : m) { nrnran123_deletestream(kv.second); } } }
};
static std::vector<std::unique_ptr<LmPop>> lm_pops;
static LmPop* lm_pop(double id) { return lm_pops.at((std::size_t) id).get(); }

static void lm_index_sources(LmPop& P) {
    P.delays.fix();
    const int C = P.delays.n_classes();
    std::vector<int> cls(P.syn_pre.size());
    P.syn_delay.assign(P.syn_pre.size(), 1);
    for (std::size_t s = 0; s < cls.size(); ++s) {
        cls[s] = P.delays.klass(s);
        P.syn_delay[s] = P.delays.steps[cls[s]];
    }
    P.delays.forget_setup();
    P.src_ptr.assign((std::size_t) P.ntot * C + 1, 0);
    for (std::size_t s = 0; s < cls.size(); ++s) { P.src_ptr[(std::size_t) P.syn_pre[s] * C + cls[s] + 1]++; }
    for (std::size_t k = 1; k < P.src_ptr.size(); ++k) { P.src_ptr[k] += P.src_ptr[k - 1]; }
    P.src_syn.assign(P.syn_pre.size(), 0);
    std::vector<int> fill(P.src_ptr.begin(), P.src_ptr.end() - 1);
    int ncell = (int) P.gid.size();
    /* targets in ascending local index: every target's sum then runs in ascending source */
    for (int p = 0; p < ncell; ++p) {
        for (int s = P.syn_ptr[p]; s < P.syn_ptr[p + 1]; ++s) {
            P.src_syn[fill[(std::size_t) P.syn_pre[s] * C + cls[s]]++] = s;
        }
    }
    P.inflight.size_for(P.ntot, P.delays.longest());
    P.indexed = true;
}

static void lm_reset_cells(LmPop& P) {
    std::fill(P.y.begin(), P.y.end(), 0.0);
    std::fill(P.ym.begin(), P.ym.end(), 0.0);
    std::fill(P.yp.begin(), P.yp.end(), 0.0);
    std::fill(P.D.begin(), P.D.end(), 0.0);
    std::fill(P.P.begin(), P.P.end(), 0.0);
    std::fill(P.ringsum.begin(), P.ringsum.end(), 0.0);
    std::fill(P.x.begin(), P.x.end(), 0.0);
    P.ringn = 0;
}

/* The previous step's weight changes (see the header); k is the step being computed, so a
   synapse of delay d pairs the spike of step k - d. */
static void lm_plasticity(LmPop& P, long k) {
    const int ncell = (int) P.gid.size();
    const double kp = P.mdt * P.altp;
    for (int p = 0; p < ncell; ++p) {
        const double Pp = P.P[p];
        if (Pp <= 0) { continue; }
        const double Dp = P.D[p];
        for (int s = P.syn_ptr[p]; s < P.syn_ptr[p + 1]; ++s) {
            const char kind = P.syn_kind[s];
            if (kind == 0) { continue; }
            const int i = P.syn_pre[s];
            const double dwm = (-P.mdt * (double) P.inflight.holds(i, k - P.syn_delay[s])) * Dp;
            const double dwp = (kp * P.x[i]) * Pp;
            double w = P.syn_w[s];
            if (kind == 1) {
                if (w != 0) {
                    w = w + (dwm + dwp);
                    w = w >= P.wmax ? P.wmax : w;
                    w = w > 0 ? w : 0.0;
                }
            } else {
                w = (w - dwp) - dwm;
                w = w <= P.wmin ? P.wmin : w;
                w = w <= 0 ? w : 0.0;
            }
            P.syn_w[s] = w;
        }
    }
    /* depression alone at the targets without potentiation */
    const int C = P.delays.n_classes();
    for (int c = 0; c < C; ++c) {
        P.inflight.sources_of(k - P.delays.steps[c], P.due);
        for (int i : P.due) {
            for (int j = P.src_ptr[(std::size_t) i * C + c]; j < P.src_ptr[(std::size_t) i * C + c + 1]; ++j) {
                const int s = P.src_syn[j];
                const char kind = P.syn_kind[s];
                const int p = P.syn_post[s];
                if (kind == 0 || P.P[p] > 0 || P.D[p] == 0) { continue; }
                const double dwm = (-P.mdt * 1.0) * P.D[p];
                double w = P.syn_w[s];
                if (kind == 1) {
                    if (w != 0) {
                        w = w + dwm;
                        w = w >= P.wmax ? P.wmax : w;
                        w = w > 0 ? w : 0.0;
                    }
                } else {
                    w = w - dwm;
                    w = w <= P.wmin ? P.wmin : w;
                    w = w <= 0 ? w : 0.0;
                }
                P.syn_w[s] = w;
            }
        }
    }
}

static double lm_count(LmPop& P, int p, const LmSegment& g, long k) {
    auto& m = P.streams[p];
    auto it = m.find(g.stream);
    if (it == m.end()) {
        it = m.emplace(g.stream, nrnran123_newstream3(P.seed, (std::uint32_t) P.gid[p], (std::uint32_t) g.stream)).first;
    }
    long n = g.offset + (k - g.k0);
    nrnran123_setseq(it->second, (std::uint32_t) (n >> 2), (char) (n & 3));
    double u = nrnran123_dblpick(it->second);
    /* inverse of the Poisson distribution function: one uniform per count */
    double lam = -std::log(P.seg_lam[p]);
    double prob = P.seg_lam[p], F = prob;
    int c = 0;
    while (u > F && c < 10000) { ++c; prob *= lam / c; F += prob; }
    return (double) c;
}

static void lm_step(LmPop& P, long k, double tnow) {
    if (!P.indexed) { lm_index_sources(P); }
    P.inflight.begin_step(k);
    const double h = P.mdt;
    netcol_collect_records(P.rec_t, P.rec_id, tnow, [&P, h](int i, double ts) {
        if (i < 0 || i >= P.ntot) { hoc_execerror("NetcolLifMap: arrival from an unknown source", 0); }
        P.inflight.put(i, netcol_spike_step(ts, h));
    });
    while (P.cur + 1 < P.segs.size() && k >= P.segs[P.cur + 1].k0) { P.cur++; }
    const LmSegment& g = P.segs[P.cur];
    const int ncell = (int) P.gid.size();
    if ((long) P.cur != P.lam_seg) {
        for (int p = 0; p < ncell; ++p) {
            P.seg_lam[p] = std::exp(-P.lam0 * (1.0 + P.mod[p] * std::cos(2.0 * (g.theta - P.po[p]))));
        }
        P.lam_seg = (long) P.cur;
    }
    if (P.pending) { lm_plasticity(P, k); }
    P.pending = 0;
    const bool fresh = g.reset && k == g.k0;
    if (fresh) {
        lm_reset_cells(P);
        P.inflight.drop_all();   /* the spikes in flight are dropped */
        for (int p = 0; p < ncell; ++p) { P.y[p] = lm_count(P, p, g, k); }
    } else {
        std::fill(P.acc.begin(), P.acc.end(), 0.0);
        const int C = P.delays.n_classes();
        for (int c = 0; c < C; ++c) {
            P.inflight.sources_of(k - P.delays.steps[c], P.due);
            for (int i : P.due) {
                for (int j = P.src_ptr[(std::size_t) i * C + c]; j < P.src_ptr[(std::size_t) i * C + c + 1]; ++j) {
                    const int s = P.src_syn[j];
                    P.acc[P.syn_post[s]] += P.syn_w[s];
                }
            }
        }
        for (int p = 0; p < ncell; ++p) {
            P.ym[p] = P.Bm * P.ym[p] + P.y[p] / P.tminus;
            P.yp[p] = P.By * P.yp[p] + P.y[p] / P.tplus;
            P.y[p] = (P.B * P.y[p] + lm_count(P, p, g, k)) + P.acc[p];
        }
        for (int i = 0; i < P.ntot; ++i) { P.x[i] = P.Bx * P.x[i] + (double) P.inflight.holds(i, k - 1) / P.tx; }
    }
    for (int p = 0; p < ncell; ++p) {
        if (P.y[p] > P.vthr) {
            P.y[p] = 0.0;
            P.nspk[p]++;
            nrn_net_event(P.relay[p], tnow);
            P.inflight.put(P.gid[p], k);   /* this rank's own sources need no NetCon */
        }
    }
    /* the ring holds every step since the last reset, plastic or not */
    const long nav = P.ringn < P.navg ? P.ringn : P.navg;
    const int slot = (int) (P.ringn % P.navg);
    for (int p = 0; p < ncell; ++p) {
        if (g.plastic) {
            const double ybar = nav > 0 ? P.ringsum[p] / (double) nav : 0.0;
            const double rm = P.ym[p] - P.thm;
            P.D[p] = (P.altd * ybar * ybar / P.lref) * (rm > 0 ? rm : 0.0);
            const double r1 = P.y[p] - P.thp, r2 = P.yp[p] - P.thm;
            P.P[p] = (r1 > 0 ? r1 : 0.0) * (r2 > 0 ? r2 : 0.0);
        }
        double* ring = &P.ring[(std::size_t) p * P.navg];
        if (P.ringn >= P.navg) { P.ringsum[p] -= ring[slot]; }
        ring[slot] = P.y[p];
        P.ringsum[p] += P.y[p];
    }
    P.ringn++;
    if (P.ringn % P.navg == 0) {   /* re-add from the ring: no drift of the running sum */
        for (int p = 0; p < ncell; ++p) {
            double sum = 0.0;
            const double* ring = &P.ring[(std::size_t) p * P.navg];
            for (int j = 0; j < P.navg; ++j) { sum += ring[j]; }
            P.ringsum[p] = sum;
        }
    }
    P.pending = g.plastic;
}
ENDVERBATIM

: the synapses indexed (if not yet), nothing in flight: a fresh start, or a resume whose
: spikes in flight come again through arrive_spike
INITIAL {
VERBATIM
    {
        LmPop& P = *lm_pop(pid);
        if (!P.indexed) { lm_index_sources(P); }
        P.inflight.reset_at((long) kstep);
    }
ENDVERBATIM
    if (init_events && kstep < nsteps) {
        net_send((kstep + 0.5) * mapdt - t, 1)
    }
}

: flag 1: the next step (remote spikes come as records, see listen_records)
NET_RECEIVE(w) {
    if (flag == 1) {
VERBATIM
        lm_step(*lm_pop(pid), (long) kstep, t);
ENDVERBATIM
        kstep = kstep + 1
        if (kstep < nsteps) {
            net_send(mapdt, 1)
        }
    }
}

: setup(ntot, seed): a new empty population of ntot cells in all (every rank), with the
: module's parameters as they are now
PROCEDURE setup(ntot, seed) {
VERBATIM
    auto P = std::make_unique<LmPop>();
    P->ntot = (int) _lntot;
    P->seed = (std::uint32_t) _lseed;
    P->mdt = mapdt;
    P->B = std::exp(-mapdt / tau_m);
    P->Bm = std::exp(-mapdt / tau_minus);
    P->By = std::exp(-mapdt / tau_plus);
    P->Bx = std::exp(-mapdt / tau_x);
    P->lam0 = rate * mapdt / 1000.0;
    P->vthr = vth; P->tminus = tau_minus; P->tplus = tau_plus; P->tx = tau_x;
    P->altd = a_ltd; P->altp = a_ltp; P->lref = ltd_ref; P->thm = theta_minus; P->thp = theta_plus;
    P->wmax = w_max; P->wmin = w_min_inh; P->navg = (int) avg_steps;
    P->x.assign(P->ntot, 0.0);
    pid = (double) lm_pops.size();
    lm_pops.push_back(std::move(P));
ENDVERBATIM
    kstep = 0
    nsteps = 0
}

: add_cell(gid, po, m, relay): the next local cell (local index = call order)
PROCEDURE add_cell(gid, po, m) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    P.gid.push_back((int) _lgid);
    P.po.push_back(_lpo);
    P.mod.push_back(_lm);
    P.relay.push_back(ob2pntproc(*hoc_objgetarg(4)));
    P.streams.emplace_back();
    for (auto* v : {&P.y, &P.ym, &P.yp, &P.D, &P.P, &P.ringsum, &P.acc, &P.seg_lam}) { v->push_back(0.0); }
    P.nspk.push_back(0);
    P.ring.resize(P.gid.size() * (std::size_t) P.navg, 0.0);
    P.syn_ptr.push_back(P.syn_ptr.back());
ENDVERBATIM
}

: add_synapses(pre, w, kind[, delay]): the incoming synapses of the last added cell, sources
: in ascending gid (Vectors of equal length); delay: each synapse's delay in whole steps,
: >= 1 (without it, one step each)
PROCEDURE add_synapses() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    if (P.indexed) { hoc_execerror("NetcolLifMap: synapses are added before the first step", 0); }
    if (P.gid.empty()) { hoc_execerror("NetcolLifMap: synapses are added to a cell after add_cell", 0); }
    IvocVect* vpre = vector_arg(1);
    IvocVect* vw = vector_arg(2);
    IvocVect* vk = vector_arg(3);
    int n = vector_capacity(vpre);
    double *pre = vector_vec(vpre), *w = vector_vec(vw), *kd = vector_vec(vk);
    const double* dl = ifarg(4) ? vector_vec(vector_arg(4)) : nullptr;
    if (dl && vector_capacity(vector_arg(4)) != n) { hoc_execerror("NetcolLifMap: one delay per synapse", 0); }
    for (int j = 0; j < n; ++j) {
        if (!P.delays.note(dl ? dl[j] : 1.0)) {
            hoc_execerror("NetcolLifMap: a delay is a whole number of steps, >= 1", 0);
        }
        P.syn_pre.push_back((int) pre[j]);
        P.syn_post.push_back((int) P.gid.size() - 1);
        P.syn_w.push_back(w[j]);
        P.syn_w0.push_back(w[j]);
        P.syn_kind.push_back((char) kd[j]);
    }
    P.syn_ptr.back() = (int) P.syn_pre.size();
ENDVERBATIM
}

: add_segment(k0, len, theta, plastic, reset, stream, offset): the next protocol segment
: (steps k0 .. k0 + len - 1, in ascending k0)
PROCEDURE add_segment(k0, len, theta, plastic, reset, stream, offset) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    P.segs.push_back(LmSegment{(long) _lk0, (long) _llen, (long) _lstream, (long) _loffset, _ltheta,
                               (int) _lplastic, (int) _lreset});
ENDVERBATIM
    nsteps = k0 + len
}

: get_weights(w) / set_weights(w): every local synapse's weight, in set-up order
PROCEDURE get_weights() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    IvocVect* v = vector_arg(1);
    vector_resize(v, (int) P.syn_w.size());
    std::copy(P.syn_w.begin(), P.syn_w.end(), vector_vec(v));
ENDVERBATIM
}

PROCEDURE set_weights() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    IvocVect* v = vector_arg(1);
    const double* src = vector_vec(v);
    std::copy(src, src + P.syn_w.size(), P.syn_w.begin());
ENDVERBATIM
}

: get_state(v) / set_state(v): per local cell y, ym, yp, D, P, ring sum, spike count and
: its ring (5 + 2 + avg_steps values each), then ringn, pending, current segment, and the
: traces of every source (ntot)
PROCEDURE get_state() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    IvocVect* v = vector_arg(1);
    const std::size_t nc = P.gid.size(), per = 7 + (std::size_t) P.navg;
    vector_resize(v, (int) (nc * per + 3 + P.ntot));
    double* out = vector_vec(v);
    for (std::size_t p = 0; p < nc; ++p) {
        double* o = out + p * per;
        o[0] = P.y[p]; o[1] = P.ym[p]; o[2] = P.yp[p]; o[3] = P.D[p]; o[4] = P.P[p]; o[5] = P.ringsum[p];
        o[6] = (double) P.nspk[p];
        std::copy(&P.ring[p * P.navg], &P.ring[p * P.navg] + P.navg, o + 7);
    }
    double* tail = out + nc * per;
    tail[0] = (double) P.ringn; tail[1] = P.pending; tail[2] = (double) P.cur;
    std::copy(P.x.begin(), P.x.end(), tail + 3);
ENDVERBATIM
}

PROCEDURE set_state() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    IvocVect* v = vector_arg(1);
    const std::size_t nc = P.gid.size(), per = 7 + (std::size_t) P.navg;
    const double* in = vector_vec(v);
    for (std::size_t p = 0; p < nc; ++p) {
        const double* o = in + p * per;
        P.y[p] = o[0]; P.ym[p] = o[1]; P.yp[p] = o[2]; P.D[p] = o[3]; P.P[p] = o[4]; P.ringsum[p] = o[5];
        P.nspk[p] = (long) o[6];
        std::copy(o + 7, o + 7 + P.navg, &P.ring[p * P.navg]);
    }
    const double* tail = in + nc * per;
    P.ringn = (long) tail[0]; P.pending = (int) tail[1]; P.cur = (std::size_t) tail[2];
    std::copy(tail + 3, tail + 3 + P.ntot, P.x.begin());
    P.lam_seg = -1;
ENDVERBATIM
}

: restart(): back to the state as set up (weights included), next step 0; for the GUI's
: re-initialisations
PROCEDURE restart() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    lm_reset_cells(P);
    P.syn_w = P.syn_w0;
    P.inflight.drop_all();
    std::fill(P.nspk.begin(), P.nspk.end(), 0);
    P.pending = 0; P.cur = 0; P.lam_seg = -1;
ENDVERBATIM
    kstep = 0
}

: listen_records(tvec, idvec): the vectors into which NEURON records the spikes of remote
: sources at each exchange (their NetCons inactive: no queue event per spike); each step
: reads and empties them
PROCEDURE listen_records() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    P.rec_t = vector_arg(1);
    P.rec_id = vector_arg(2);
ENDVERBATIM
}

: arrive(g): the spike of source g of the previous step
PROCEDURE arrive(g) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    if (_lg < 0 || _lg >= P.ntot) { hoc_execerror("NetcolLifMap: arrival from an unknown source", 0); }
    if (!P.indexed) { lm_index_sources(P); }
    P.inflight.put((int) _lg, (long) kstep - 1);
ENDVERBATIM
}

: arrive_spike(g, ts): the spike of source g at time ts (a resume re-delivers the spikes in
: flight at its checkpoint this way; one older than the longest delay is ignored: it has
: done all it does)
PROCEDURE arrive_spike(g, ts) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    if (_lg < 0 || _lg >= P.ntot) { hoc_execerror("NetcolLifMap: arrival from an unknown source", 0); }
    if (!P.indexed) { lm_index_sources(P); }
    P.inflight.put((int) _lg, netcol_spike_step(_lts, P.mdt));
ENDVERBATIM
}

: longest_delay(): the longest delay of this rank's synapses (steps; 1 without delays)
FUNCTION longest_delay() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    if (!P.indexed) { lm_index_sources(P); }
    _llongest_delay = (double) P.delays.longest();
ENDVERBATIM
}

: probe(i, p): variable i (0 y, 1 ym, 2 yp, 3 spike count) of local cell p, for probes
FUNCTION probe(i, p) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    std::size_t q = (std::size_t) _lp;
    int i = (int) _li;
    _lprobe = i == 0 ? P.y.at(q) : i == 1 ? P.ym.at(q) : i == 2 ? P.yp.at(q) : (double) P.nspk.at(q);
ENDVERBATIM
}

: record_values(out, cells, what): variables what (0 y, the membrane from rest) of the local
: cells cells (set-up indices) into out, cell by cell, in one call (netcol.cells.lifmap.sampler)
PROCEDURE record_values() {
VERBATIM
    LmPop& P = *lm_pop(pid);
    netcol_record_values(vector_arg(1), vector_arg(2), vector_arg(3), [&P](std::size_t q, int) {
        return P.y.at(q);
    });
ENDVERBATIM
}

: count(p, k): the feedforward count of local cell p at step k (for tests; it leaves the
: population as it was)
FUNCTION count(p, k) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    std::size_t s = 0;
    while (s + 1 < P.segs.size() && (long) _lk >= P.segs[s + 1].k0) { ++s; }
    const LmSegment& g = P.segs.at(s);
    const int q = (int) _lp;
    const double keep = P.seg_lam.at(q);
    P.seg_lam[q] = std::exp(-P.lam0 * (1.0 + P.mod[q] * std::cos(2.0 * (g.theta - P.po[q]))));
    _lcount = lm_count(P, q, g, (long) _lk);
    P.seg_lam[q] = keep;
ENDVERBATIM
}

: count_spikes(lo, hi): spikes so far of the local cells with lo <= gid < hi
FUNCTION count_spikes(lo, hi) {
VERBATIM
    LmPop& P = *lm_pop(pid);
    double total = 0;
    for (std::size_t p = 0; p < P.gid.size(); ++p) {
        if (P.gid[p] >= _llo && P.gid[p] < _lhi) { total += (double) P.nspk[p]; }
    }
    _lcount_spikes = total;
ENDVERBATIM
}
