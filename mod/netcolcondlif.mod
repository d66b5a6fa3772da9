COMMENT
NetcolCondLif: a population of conductance-based leaky integrate-and-fire cells advanced
by forward Euler on a fixed step, with excitatory and inhibitory exponential
conductances, a constant background current, and inhibitory STDP (Vogels et al. 2011)
with all-to-all traces on its plastic synapses; written for netcol from
shared/spec/vogels2011.md.

Why one mechanism per rank.  Every cell changes at every 0.1-ms step, so one self-event
per step for the whole rank replaces one per cell; and a spike reaches a rank once per
(source, rank), then is fanned out here over the rank's targets of that source (a table
in compiled code), instead of one NetCon and one queue event per synapse.  A source on
another rank has one inactive NetCon here: NEURON records its spikes at each exchange
into the vectors given to listen_records, which each step reads (no queue event per
spike); a source on the same rank needs no NetCon at all (its spikes join the arrivals
directly).  Each cell has its own gid through a NetcolRelay (its spike source).

Time.  Step k is computed at t = (k + 1/2) dt - step_early and its spikes carry
(k + 1/2) dt.  The NetCons' delay, dt - 2 step_early, makes ranks exchange spikes about
once per step, so step k + 1 finds the spikes of step k recorded.  Whole multiples of dt,
where the protocol and checkpoints act, lie between steps.

Delays.  Each synapse has a delay of d whole steps (d >= 1, given per synapse at set-up;
netcol gives each pathway its own): a spike of step s takes its pathway (below) in step
s + d, so it first moves the target's v in the Euler step of s + d.  One step, the
default, is the reference's zero delay (Brian2 runs a pathway in the step of the spike,
and the conductance it raises acts from the next step on), so a delay of d steps is
Brian2's delay of (d - 1) dt.  Spikes wait in a ring of the last longest-delay steps
(NetcolSpikeRing); exchanging once a step stays within the shortest delay, one step.
The whole presynaptic pathway is delayed, its trace A_pre included (as Brian2 delays
on_pre): the trace lives at the synapse, so a source's plastic synapses here must share
one delay.

One step k, in the reference's order (Brian2: state update, threshold, synaptic
pathways (all presynaptic before postsynaptic), reset), for every local cell p:
  1. the pathways of step k - 1: the presynaptic ones of the spikes their delay brings
     now (delay class by class, delays ascending; in each, ascending source gid), with
     step k - 1's learning rate:
       - presynaptic: excitatory synapse ge += w_e; static inhibitory gi += w_ii;
         plastic: A_pre(i) <- A_pre(i) decayed + 1, then per synapse
         w <- clip(w + eta (A_post(p) - alpha), 0, w_max) and gi += w;
       - postsynaptic, for the cells that spiked in step k - 1:
         A_post(p) <- A_post(p) decayed + 1, then per plastic synapse onto p
         w <- clip(w + eta A_pre(i), 0, w_max);
     traces decay exactly, exp(-steps dt / tau_stdp), kept per source and per target;
  2. Euler: v += (dt / c) (-g_l (v - e_l) - ge v - gi (v - e_i) + i_bg), unless the cell
     is refractory (the v of a spiking cell stays frozen for refrac / dt steps);
     ge *= 1 - dt / tau_e, gi *= 1 - dt / tau_i, from the same old values;
  3. a spike where v > v_th and the cell is not refractory; v <- v_reset.
Arriving weights are summed in ascending (delay, source gid) for every target (in
ascending source gid where all delays are equal), whatever the number of ranks.

Synapse kinds: 0 excitatory (weight w_e), 1 static inhibitory (weight w_ii), 2 plastic
inhibitory (own weight).  A source's targets are kept by delay class, then kind
(NetcolTargets: 16 bits a target where a rank has at most 65,536 cells; wide_targets = 1
keeps 32, a test of that path), so a delivery knows its kind from where it is, and a
source's plastic weights are contiguous.

Set-up, from Python (netcol.cells.condlif): setup(), add_cell() per local cell,
add_synapses() per local cell (its sources in ascending gid, their delays), then
finitialize; INITIAL indexes the synapses, empties the ring and schedules step kstep.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolCondLif
    RANGE pid, kstep, nsteps
    GLOBAL stepdt, c_m, g_l, e_l, e_i, v_th, v_reset, refrac, i_bg, tau_e, tau_i, w_e, w_ii
    GLOBAL tau_stdp, alpha, eta, w_max, v_init, init_events, step_early, local_direct, wide_targets
}

PARAMETER {
    stepdt = 0.1 (ms)
    c_m = 200 (pF)
    g_l = 10 (nS)
    e_l = -60 (mV)
    e_i = -80 (mV)
    v_th = -50 (mV)
    v_reset = -60 (mV)
    refrac = 5 (ms)
    i_bg = 200 (pA)
    tau_e = 5 (ms)
    tau_i = 10 (ms)
    w_e = 0.3 (nS)
    w_ii = 3 (nS)
    tau_stdp = 20 (ms)
    alpha = 0.12
    eta = 0
    w_max = 100
    v_init = 0 (mV)
    init_events = 1
    wide_targets = 0
    step_early = 1e-7 (ms)
    local_direct = 1
}

ASSIGNED {
    pid
    kstep
    nsteps
}

VERBATIM
#undef exp
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>
#include "netcol_population.hpp"

/* One rank's population: parameters, per-cell state, per-source traces, the synapse
   table by source (delivery) and the plastic synapses by target (postsynaptic rule). */
struct ClPop {
    int ntot = 0;
    double sdt, cm, gl, el, ei, vth, vreset, ibg, taue, taui, we, wii, wmax, tau;
    double rule_pre[4], rule_post[4];     /* the rule's coefficients (netcol_rule) */
    long nref;
    std::vector<double> decay;            /* exp(-n dt / tau_stdp), n = 0 .. */
    std::vector<int> gid;
    std::vector<Point_process*> relay;
    std::vector<double> v, ge, gi, apost;
    std::vector<long> lastspike, lastpost, nspk;
    std::vector<char> ready;              /* not refractory, as of the last threshold */
    std::vector<double> apre;             /* per source gid */
    std::vector<long> lastpre;
    std::vector<int> syn_src, syn_tgt;    /* per synapse in set-up order (by target, sources ascending),
                                             until indexed */
    std::vector<char> syn_kind;
    std::vector<int> syn_plastic;         /* per synapse: index into w, or -1 */
    netcol_big_vector<double> w;          /* plastic weights (delivery order once indexed) */
    netcol_big_vector<double> w0;         /* as set up */
    std::vector<int> setup_slot;          /* set-up position -> position in w, once indexed */
    /* by source i (netcol_by_source): its local targets of delay class c and kind k (0
       excitatory, 1 static inhibitory, 2 plastic) in bs_tgt[src_seg[g] .. src_seg[g + 1]),
       g = ngroups i + 3 c + k, each group ascending; its plastic weights from w[src_w[g]]
       on, in that order */
    int ngroups = 3;
    std::vector<int> src_seg, src_w;
    NetcolTargets bs_tgt;
    NetcolDelays delays;                  /* per synapse until indexed, then the classes */
    std::vector<int> tgt_ptr{0}, tgt_w;   /* per local cell: its plastic synapses' w indices and sources */
    std::vector<int> tgt_src;
    bool indexed = false;
    NetcolSpikeRing inflight;             /* the spikes still to be delivered, by step */
    std::vector<int> order;               /* sources of one step's spikes, ascending */
    std::vector<int> fired;               /* local cells that spiked in the previous step */
    IvocVect* rec_t = nullptr;            /* remote sources' spikes as NEURON's exchange recorded */
    IvocVect* rec_id = nullptr;           /* them: times and source gids (listen_records) */
    double pend_eta = 0;
    int pending = 0;
};
static std::vector<std::unique_ptr<ClPop>> cl_pops;
static ClPop* cl_pop(double id) { return cl_pops.at((std::size_t) id).get(); }

static inline double cl_decay(ClPop& P, long n) {
    if (n < (long) P.decay.size()) { return P.decay[n]; }
    return std::exp(-((double) n * P.sdt) / P.tau);
}

static void cl_index(ClPop& P) {
    /* regrouped by delay class, then kind, within a source: a delivery knows its delay
       and kind from where it is */
    P.delays.fix();
    P.ngroups = 3 * P.delays.n_classes();
    auto group = [&P](std::size_t s) { return 3 * P.delays.klass(s) + (int) P.syn_kind[s]; };
    NetcolBySource B = netcol_by_source(P.syn_src, P.syn_tgt, P.syn_plastic, P.ntot, P.ngroups, group, P.w, P.w0,
                                        P.tgt_w);
    /* the set-up order is not needed any more */
    std::vector<int>().swap(P.syn_src);
    std::vector<int>().swap(P.syn_tgt);
    std::vector<char>().swap(P.syn_kind);
    std::vector<int>().swap(P.syn_plastic);
    P.delays.forget_setup();
    P.src_seg.swap(B.seg);
    P.src_w.swap(B.group_w);
    P.setup_slot.swap(B.setup_slot);
    P.bs_tgt.store(std::move(B.tgt), (int) P.gid.size(), wide_targets != 0);
    /* A_pre is the source's trace at its plastic synapses: one delay for all of them */
    for (int i = 0; i < P.ntot; ++i) {
        int classes = 0;
        for (int c = 0; c < P.delays.n_classes(); ++c) {
            const int g = P.ngroups * i + 3 * c + 2;
            classes += P.src_seg[g] < P.src_seg[g + 1];
        }
        if (classes > 1) { hoc_execerror("NetcolCondLif: a source's plastic synapses share one delay", 0); }
    }
    P.inflight.size_for(P.ntot, P.delays.longest());
    P.indexed = true;
}

/* source i's spike of step s (idempotent: one NetCon per synapse may bring it many times) */
static inline void cl_arrive(ClPop& P, int i, long s) { P.inflight.put(i, s); }

/* the pathways at step tp + 1 (see the COMMENT, part 1) */
static void cl_pathways(ClPop& P, long tp) {
    const double eta_p = P.pend_eta;
    double* const GE = P.ge.data();
    double* const GI = P.gi.data();
    double* const W = P.w.data();
    for (int c = 0; c < P.delays.n_classes(); ++c) {
        P.inflight.sources_of(tp + 1 - P.delays.steps[c], P.order);
        P.bs_tgt.with([&](const auto* tgt) {
            for (int i : P.order) {
                const int g = P.ngroups * i + 3 * c;
                const int* seg = &P.src_seg[g];
                if (seg[2] < seg[3]) {
                    P.apre[i] = P.apre[i] * cl_decay(P, tp - P.lastpre[i]) + 1.0;
                    P.lastpre[i] = tp;
                }
                for (int j = seg[0]; j < seg[1]; ++j) { GE[tgt[j]] += P.we; }
                for (int j = seg[1]; j < seg[2]; ++j) { GI[tgt[j]] += P.wii; }
                double* w = W + P.src_w[g + 2];
                for (int j = seg[2]; j < seg[3]; ++j, ++w) {
                    const int p = tgt[j];
                    const double ap = P.apost[p] * cl_decay(P, tp - P.lastpost[p]);
                    *w = netcol_rule(*w, eta_p, P.rule_pre, ap, 0.0, P.wmax);
                    GI[p] += *w;
                }
            }
        });
    }
    for (int p : P.fired) {
        P.apost[p] = P.apost[p] * cl_decay(P, tp - P.lastpost[p]) + 1.0;
        P.lastpost[p] = tp;
        for (int j = P.tgt_ptr[p]; j < P.tgt_ptr[p + 1]; ++j) {
            const int i = P.tgt_src[j];
            double& w = P.w[P.tgt_w[j]];
            w = netcol_rule(w, eta_p, P.rule_post, P.apre[i] * cl_decay(P, tp - P.lastpre[i]), 0.0, P.wmax);
        }
    }
    P.fired.clear();
}

/* Euler from the old values for every cell (v frozen while refractory, as of the last
   threshold) and the cells' readiness for this step's threshold; a loop that vectorises */
NETCOL_VECTOR_LOOP
static void cl_euler(ClPop& P, int n, long k) {
    const double h = P.sdt;
    const double hc = h / P.cm, fe = 1.0 - h / P.taue, fi = 1.0 - h / P.taui;
    const double gl = P.gl, el = P.el, ei = P.ei, ibg = P.ibg;
    const long nref = P.nref;
    double* __restrict__ V = P.v.data();
    double* __restrict__ GE = P.ge.data();
    double* __restrict__ GI = P.gi.data();
    char* __restrict__ R = P.ready.data();
    const long* __restrict__ LS = P.lastspike.data();
    for (int p = 0; p < n; ++p) {
        const double v = V[p], ge = GE[p], gi = GI[p];
        const double euler = v + hc * (-gl * (v - el) - (ge * v + gi * (v - ei)) + ibg);
        V[p] = R[p] ? euler : v;
        GE[p] = ge * fe;
        GI[p] = gi * fi;
        R[p] = k - LS[p] >= nref;
    }
}

static void cl_step(ClPop& P, long k, double eta_now) {
    if (!P.indexed) { cl_index(P); }
    const double h = P.sdt;
    P.inflight.begin_step(k);
    netcol_collect_records(P.rec_t, P.rec_id, ((double) k + 0.5) * h,
                           [&P, h](int i, double ts) { cl_arrive(P, i, netcol_spike_step(ts, h)); });
    if (P.pending) { cl_pathways(P, k - 1); }
    const int n = (int) P.gid.size();
    const double tk = ((double) k + 0.5) * h;
    cl_euler(P, n, k);
    /* threshold and reset, where the Euler step could not branch */
    double* V = P.v.data();
    char* R = P.ready.data();
    for (int p = 0; p < n; ++p) {
        if (R[p] && V[p] > P.vth) {
            P.lastspike[p] = k;
            R[p] = 0;
            P.nspk[p]++;
            P.fired.push_back(p);
            V[p] = P.vreset;
        }
    }
    /* this rank's own sources reach its targets without a NetCon (no queue event), unless
       every synapse has its own NetCon (local_direct = 0, for comparison) */
    netcol_emit(P.relay.data(), P.fired.data(), (int) P.fired.size(), tk, [&P, k](int p) {
        if (local_direct) { cl_arrive(P, P.gid[p], k); }
    });
    P.pend_eta = eta_now;
    P.pending = 1;
}
ENDVERBATIM

: each step's self-event comes a hair (step_early, ms) before (k + 1/2) dt, which 0.1-ms
: steps cannot hit exactly; its spikes carry (k + 1/2) dt itself, computed from k, so they
: are the same however the run reached step k (uninterrupted or resumed)

: the synapses indexed (if not yet), nothing in flight: a fresh start, or a resume whose
: spikes in flight come again through arrive_spike
INITIAL {
VERBATIM
    {
        ClPop& P = *cl_pop(pid);
        if (!P.indexed) { cl_index(P); }
        P.inflight.reset_at((long) kstep);
    }
ENDVERBATIM
    if (init_events && kstep < nsteps) {
        net_send((kstep + 0.5) * stepdt - step_early - t, 1)
    }
}

: flag 0: the spike of source gid w (previous step: the NetCons' delay is just under one
: step), with one NetCon per synapse (delivery = "netcon", for comparison; arrive() takes
: it once); flag 1: the next step
NET_RECEIVE(w) {
    if (flag == 1) {
VERBATIM
        cl_step(*cl_pop(pid), (long) kstep, eta);
ENDVERBATIM
        kstep = kstep + 1
        if (kstep < nsteps) {
            net_send((kstep + 0.5) * stepdt - step_early - t, 1)
        }
    } else {
        arrive(w)
    }
}

: setup(ntot, nsteps): a new empty population in a network of ntot cells, to run nsteps
: steps, with the module's parameters as they are now
PROCEDURE setup(ntot, steps) {
VERBATIM
    auto P = std::make_unique<ClPop>();
    P->ntot = (int) _lntot;
    P->sdt = stepdt; P->cm = c_m; P->gl = g_l; P->el = e_l; P->ei = e_i; P->vth = v_th; P->vreset = v_reset;
    P->ibg = i_bg; P->taue = tau_e; P->taui = tau_i; P->we = w_e; P->wii = w_ii; P->wmax = w_max;
    P->nref = std::lround(refrac / stepdt);
    /* w += eta (A_post - alpha) at a presynaptic spike, w += eta A_pre at a postsynaptic one */
    const double pre[4] = {-alpha, 1.0, 0.0, 0.0}, post[4] = {0.0, 1.0, 0.0, 0.0};
    std::copy(pre, pre + 4, P->rule_pre);
    std::copy(post, post + 4, P->rule_post);
    P->tau = tau_stdp;
    const long ntab = std::lround(30.0 * tau_stdp / stepdt) + 1;   /* beyond 30 tau the tail is computed */
    P->decay.resize(ntab);
    for (long j = 0; j < ntab; ++j) { P->decay[j] = std::exp(-((double) j * stepdt) / tau_stdp); }
    P->apre.assign(P->ntot, 0.0);
    P->lastpre.assign(P->ntot, 0);
    pid = (double) cl_pops.size();
    cl_pops.push_back(std::move(P));
ENDVERBATIM
    kstep = 0
    nsteps = steps
}

: add_cell(gid, relay): the next local cell (local index = call order)
PROCEDURE add_cell(gid) {
VERBATIM
    ClPop& P = *cl_pop(pid);
    P.gid.push_back((int) _lgid);
    P.relay.push_back(ob2pntproc(*hoc_objgetarg(2)));
    P.v.push_back(v_init); P.ge.push_back(0.0); P.gi.push_back(0.0); P.apost.push_back(0.0);
    P.lastspike.push_back(-1000000000L); P.lastpost.push_back(0); P.nspk.push_back(0); P.ready.push_back(1);
    P.tgt_ptr.push_back(P.tgt_ptr.back());
ENDVERBATIM
}

: add_synapses(src, kind, w[, delay]): the incoming synapses of the last added cell, sources
: in ascending gid; w is read for plastic synapses (kind 2); delay: each synapse's delay in
: whole steps, >= 1 (without it, one step each)
PROCEDURE add_synapses() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    if (P.indexed) { hoc_execerror("NetcolCondLif: synapses are added before the first step", 0); }
    if (P.gid.empty()) { hoc_execerror("NetcolCondLif: synapses are added to a cell after add_cell", 0); }
    IvocVect* vs = vector_arg(1);
    IvocVect* vk = vector_arg(2);
    IvocVect* vw = vector_arg(3);
    const int m = vector_capacity(vs);
    const double *src = vector_vec(vs), *kd = vector_vec(vk), *w = vector_vec(vw);
    const double* dl = ifarg(4) ? vector_vec(vector_arg(4)) : nullptr;
    if (dl && vector_capacity(vector_arg(4)) != m) { hoc_execerror("NetcolCondLif: one delay per synapse", 0); }
    const int p = (int) P.gid.size() - 1;
    for (int j = 0; j < m; ++j) {
        const int i = (int) src[j];
        if (kd[j] != 0 && kd[j] != 1 && kd[j] != 2) { hoc_execerror("NetcolCondLif: a synapse kind is 0, 1 or 2", 0); }
        if (!P.delays.note(dl ? dl[j] : 1.0)) {
            hoc_execerror("NetcolCondLif: a delay is a whole number of steps, >= 1", 0);
        }
        P.syn_src.push_back(i);
        P.syn_tgt.push_back(p);
        P.syn_kind.push_back((char) kd[j]);
        if ((int) kd[j] == 2) {
            P.syn_plastic.push_back((int) P.w.size());
            P.tgt_w.push_back((int) P.w.size());
            P.tgt_src.push_back(i);
            P.w.push_back(w[j]);
            P.w0.push_back(w[j]);
        } else {
            P.syn_plastic.push_back(-1);
        }
    }
    P.tgt_ptr.back() = (int) P.tgt_w.size();
    P.indexed = false;
ENDVERBATIM
}

: arrive(g): the spike of source g of the previous step (one NetCon per synapse)
PROCEDURE arrive(g) {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const int i = (int) _lg;
    if (i < 0 || i >= P.ntot) { hoc_execerror("NetcolCondLif: arrival from an unknown source", 0); }
    if (!P.indexed) { cl_index(P); }
    cl_arrive(P, i, (long) kstep - 1);
ENDVERBATIM
}

: arrive_spike(g, ts): the spike of source g at time ts (a resume's spikes in flight at its
: checkpoint; one older than the longest delay is ignored: it has done all it does)
PROCEDURE arrive_spike(g, ts) {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const int i = (int) _lg;
    if (i < 0 || i >= P.ntot) { hoc_execerror("NetcolCondLif: arrival from an unknown source", 0); }
    if (!P.indexed) { cl_index(P); }
    cl_arrive(P, i, netcol_spike_step(_lts, P.sdt));
ENDVERBATIM
}

: longest_delay(): the longest delay of this rank's synapses (steps; 1 without delays)
FUNCTION longest_delay() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    if (!P.indexed) { cl_index(P); }
    _llongest_delay = (double) P.delays.longest();
ENDVERBATIM
}

: listen_records(tvec, idvec): the vectors into which NEURON records the spikes of remote
: sources at each exchange (their NetCons inactive: no queue event per spike); each step
: reads and empties them
PROCEDURE listen_records() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    P.rec_t = vector_arg(1);
    P.rec_id = vector_arg(2);
ENDVERBATIM
}

: get_weights(v) / set_weights(v): the plastic weights, in set-up order
PROCEDURE get_weights() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    IvocVect* v = vector_arg(1);
    if (!P.indexed) { cl_index(P); }
    vector_resize(v, (int) P.w.size());
    double* o = vector_vec(v);
    for (std::size_t k = 0; k < P.w.size(); ++k) { o[k] = P.w[P.setup_slot[k]]; }
ENDVERBATIM
}

PROCEDURE set_weights() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const double* src = vector_vec(vector_arg(1));
    if (!P.indexed) { cl_index(P); }
    for (std::size_t k = 0; k < P.w.size(); ++k) { P.w[P.setup_slot[k]] = src[k]; }
ENDVERBATIM
}

: get_state(v) / set_state(v): per local cell v, ge, gi, A_post, last spike, last post
: update, ready, spike count, fired in the previous step (9 values each); then pending,
: its learning rate; then per source A_pre and its last update (2 ntot)
PROCEDURE get_state() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    IvocVect* vec = vector_arg(1);
    const std::size_t n = P.gid.size();
    vector_resize(vec, (int) (9 * n + 2 + 2 * P.ntot));
    double* o = vector_vec(vec);
    std::vector<char> fired(n, 0);
    for (int p : P.fired) { fired[p] = 1; }
    for (std::size_t p = 0; p < n; ++p, o += 9) {
        o[0] = P.v[p]; o[1] = P.ge[p]; o[2] = P.gi[p]; o[3] = P.apost[p]; o[4] = (double) P.lastspike[p];
        o[5] = (double) P.lastpost[p]; o[6] = P.ready[p]; o[7] = (double) P.nspk[p]; o[8] = fired[p];
    }
    o[0] = P.pending; o[1] = P.pend_eta;
    o += 2;
    for (int i = 0; i < P.ntot; ++i) { o[2 * i] = P.apre[i]; o[2 * i + 1] = (double) P.lastpre[i]; }
ENDVERBATIM
}

PROCEDURE set_state() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const double* o = vector_vec(vector_arg(1));
    const std::size_t n = P.gid.size();
    P.fired.clear();
    for (std::size_t p = 0; p < n; ++p, o += 9) {
        P.v[p] = o[0]; P.ge[p] = o[1]; P.gi[p] = o[2]; P.apost[p] = o[3]; P.lastspike[p] = (long) o[4];
        P.lastpost[p] = (long) o[5]; P.ready[p] = (char) o[6]; P.nspk[p] = (long) o[7];
        if (o[8] != 0) { P.fired.push_back((int) p); }
    }
    P.pending = (int) o[0]; P.pend_eta = o[1];
    o += 2;
    for (int i = 0; i < P.ntot; ++i) { P.apre[i] = o[2 * i]; P.lastpre[i] = (long) o[2 * i + 1]; }
ENDVERBATIM
}

: restart(): back to the state as set up (weights included), next step 0 (GUI inits)
PROCEDURE restart() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const std::size_t n = P.gid.size();
    for (std::size_t p = 0; p < n; ++p) {
        P.v[p] = v_init; P.ge[p] = 0; P.gi[p] = 0; P.apost[p] = 0; P.lastspike[p] = -1000000000L;
        P.lastpost[p] = 0; P.ready[p] = 1; P.nspk[p] = 0;
    }
    std::fill(P.apre.begin(), P.apre.end(), 0.0);
    std::fill(P.lastpre.begin(), P.lastpre.end(), 0);
    P.inflight.drop_all();
    P.fired.clear();
    P.w = P.w0;
    P.pending = 0; P.pend_eta = 0;
ENDVERBATIM
    kstep = 0
}

: probe(i, p): variable i (0 v, 1 ge, 2 gi, 3 spike count) of local cell p
FUNCTION probe(i, p) {
VERBATIM
    ClPop& P = *cl_pop(pid);
    const std::size_t q = (std::size_t) _lp;
    const int i = (int) _li;
    _lprobe = i == 0 ? P.v.at(q) : i == 1 ? P.ge.at(q) : i == 2 ? P.gi.at(q) : (double) P.nspk.at(q);
ENDVERBATIM
}

: record_values(out, cells, what): variables what (0 v, 1 ge, 2 gi) of the local cells cells
: (set-up indices) into out, cell by cell, in one call (netcol.cells.condlif.sampler)
PROCEDURE record_values() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    netcol_record_values(vector_arg(1), vector_arg(2), vector_arg(3), [&P](std::size_t q, int k) {
        return k == 0 ? P.v.at(q) : k == 1 ? P.ge.at(q) : P.gi.at(q);
    });
ENDVERBATIM
}

: target_bits(): the width of the stored by-source targets (16 or 32; 0 before indexing)
FUNCTION target_bits() {
VERBATIM
    ClPop& P = *cl_pop(pid);
    _ltarget_bits = !P.indexed ? 0.0 : P.bs_tgt.is_narrow ? 16.0 : 32.0;
ENDVERBATIM
}

: count_spikes(lo, hi): spikes so far of the local cells with lo <= gid < hi
FUNCTION count_spikes(lo, hi) {
VERBATIM
    ClPop& P = *cl_pop(pid);
    double total = 0;
    for (std::size_t p = 0; p < P.gid.size(); ++p) {
        if (P.gid[p] >= _llo && P.gid[p] < _lhi) { total += (double) P.nspk[p]; }
    }
    _lcount_spikes = total;
ENDVERBATIM
}
