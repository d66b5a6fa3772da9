COMMENT
NetcolEif: a population of current-based exponential integrate-and-fire cells advanced
by forward Euler on a fixed step, with unit-area exponential E, I and external currents
and a pre/post trace rule on each plastic pathway (Akil, Rosenbaum & Josic 2021); written
for netcol from shared/spec/akil2021.md.

One mechanism per rank, as NetcolCondLif (see there): one self-event per step for all of
the rank's cells, a spike fanned out here once per (source, rank) over the rank's targets
of that source, remote spikes read from NEURON's exchange records, a NetcolRelay per cell
as its spike source.  External (X) sources are not cells: their spikes are computed in
Python a block ahead (netcol.models.akil2021.inputs) and queued here by step.

Time.  Step k is computed at t = (k + 1/2) dt - step_early and its spikes carry
(k + 1/2) dt (the reference writes the step's end, (k + 1) dt).

Delays.  Each recurrent synapse has a delay of d whole steps (d >= 1, given per synapse at
set-up; netcol gives each pathway its own): the jump and the rule's presynaptic update of
a spike of step s come in part 1 of step s + d, so the spike first moves the target's V
in step s + d, as the reference's (d = 1, the default).  Spikes wait in a ring of the
last longest-delay steps (NetcolSpikeRing); ranks exchange once a step, within the
shortest delay.  The traces are the cells' own (x of a cell, as the reference keeps
them): they take a spike in the step after it whatever the delays, and a rule reads the
source's trace and the target's as they are when it acts.  External spikes act in the
step they are queued for (no delay).

One step k, in the reference's order, for every local cell p (the reference does all of
a step at once; here the part that needs the step's spikes from every rank is done at
the start of the next step, once they have arrived):
  1. the rest of step k - 1, whose spikes have now arrived, delay class by class
     (delays ascending; with one delay, the spikes of step k - 1), in each sources in
     ascending gid:
       - recurrent jumps: I_E += J / tau_E per arriving E weight J, likewise I_I;
       - the rules, presynaptic updates then postsynaptic ones, reading the traces from
         before step k - 1's spikes: at a presynaptic spike
         J <- J + eta (a0 + a1 x_post + a2 J + a3 x_post J), at a postsynaptic one
         J <- J + eta (b0 + b1 x_pre + b2 J + b3 x_pre J) (netcol_rule_unbounded);
         a weight is delivered before its update;
       - traces: x += 1 for the cells that spiked in step k - 1;
       - Euler decay: I_a -= dt I_a / tau_a, x -= dt x / tau_stdp;
  2. the external jumps of step k: I_X += J / tau_X per X spike (after I_X's decay);
  3. Euler: V += dt / C (g_L (E_L - V) + g_L D_T exp((V - V_T) / D_T) + I_E + I_I + I_X);
  4. a spike where V >= V_th; V <- V_re (no refractory period).
1 / tau is a reciprocal multiplied in (J / tau as J * (1 / tau)).  A rank keeps the traces
of its own cells and of the remote sources of its plastic synapses, each decayed at every
step (the reference's Euler form); its own cells' in the pass over the cells.

Pathways: 0 E->E, 1 E->I, 2 I->E, 3 I->I, 4 X->E, 5 X->I; static ones carry their
pathway's weight, plastic ones their own.  The reference package's quirks (option
"reference", netcol.models.akil2021) set route_e for the first I cell (its spikes go to
I_E with tau_E) and no_post_into_i for it (it takes no postsynaptic update on E->I and
I->I), and leave X source 0 silent (in Python).

eta_scale multiplies every learning rate (1 in batch runs; a control in the GUI).
wide_targets = 1 keeps the by-source targets in 32 bits where 16 would do (a test of the
32-bit path).

Set-up, from Python (netcol.cells.eif): setup(), set_pathway() per pathway, add_cell()
per local cell, add_synapses() per local cell (its sources ascending: recurrent gids,
then X sources numbered from ntot; their delays), then finitialize; INITIAL indexes the
synapses, empties the ring and schedules step kstep.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolEif
    RANGE pid, kstep, nsteps
    GLOBAL stepdt, c_m, g_l, e_l, v_t, d_t, v_th, v_re, tau_e, tau_i, tau_x, tau_stdp
    GLOBAL init_events, step_early, eta_scale, wide_targets
}

PARAMETER {
    stepdt = 0.1 (ms)
    c_m = 1
    g_l = 0.0666666666666666667
    e_l = -72 (mV)
    v_t = -55 (mV)
    d_t = 1 (mV)
    v_th = -50 (mV)
    v_re = -75 (mV)
    tau_e = 8 (ms)
    tau_i = 4 (ms)
    tau_x = 10 (ms)
    tau_stdp = 200 (ms)
    init_events = 1
    step_early = 5e-7 (ms)
    eta_scale = 1
    wide_targets = 0
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

enum { EE = 0, EI = 1, IE = 2, II = 3, XE = 4, XI = 5, NPATH = 6 };

/* One rank's population: parameters, per-cell state, per-source traces, the synapse
   table by source (delivery and presynaptic updates) and the plastic synapses by target
   (postsynaptic updates), the queued external spikes. */
struct EifPop {
    int ntot = 0, nx = 0, ne = 0;          /* recurrent cells, X sources, E cells (gids 0 .. ne-1) */
    double sdt, cm, gl, el, vt, dt_, vth, vre, taue, taui, taux;
    double jw[NPATH] = {0};                /* static weight of each pathway */
    double eta[NPATH] = {0};               /* learning rate of each pathway (0: static) */
    double rpre[NPATH][4] = {{0}}, rpost[NPATH][4] = {{0}};
    double fs;                             /* dt / tau_stdp */
    std::vector<int> gid;
    std::vector<Point_process*> relay;
    std::vector<double> v, ie, ii, ix;     /* I_X holds the value for the next step: decayed, with its X jumps */
    std::vector<std::uint8_t> above;       /* per block of 64 local cells: 1 if one is at V_th after the step */
    std::vector<long> nspk;
    std::vector<char> no_post_into_i;
    /* traces before the spikes of the step to finish: the local cells' (by local index),
       then those of the remote sources with plastic synapses here; xslot: a recurrent
       source's position in xt, or -1 */
    std::vector<double> xt;
    std::vector<int> xslot;
    std::vector<char> route_e;             /* per recurrent source: its spikes go to I_E */
    /* set-up order (by target, sources ascending), until indexed */
    std::vector<int> syn_src, syn_tgt, syn_plastic;
    netcol_big_vector<double> w, w0;       /* plastic weights now and as set up (delivery order once indexed) */
    std::vector<int> setup_slot;           /* set-up position -> position in w, once indexed */
    /* by source i (netcol_by_source): per delay class c its local targets onto E cells, then
       onto I cells (one pathway each side), group g = ngroups i + 2 c + side in
       bs_tgt[src_seg[g] .. src_seg[g + 1]), each ascending; its plastic weights from
       w[src_w[i]] on, in that order, those of group g from w[grp_w[g]] */
    int ngroups = 2;
    std::vector<int> src_seg, src_w, grp_w;
    NetcolTargets bs_tgt;
    NetcolDelays delays;                   /* per synapse until indexed, then the classes */
    /* per local cell p, from tgt_ptr[p]: its plastic synapses' weights (positions in w) and
       sources (their gids, then once indexed their positions in xt), sources ascending:
       those from E cells before tgt_mid[p] */
    std::vector<int> tgt_ptr{0}, tgt_mid;
    netcol_big_vector<int> tgt_w, tgt_src;
    bool indexed = false;
    NetcolSpikeRing inflight;              /* recurrent spikes still to be delivered, by step */
    std::vector<int> fired;                /* local cells that spiked in the previous step */
    std::vector<int> order;                /* sources of the previous step's spikes, ascending */
    std::vector<int> due;                  /* sources of the spikes one delay class brings now */
    int pending = 0;
    std::vector<double> cs_e, cs_i, cs_x;  /* per local cell, since the last currents(): sums over */
    long cur_steps = 0;                    /* steps of I_E, I_I, I_X */
    std::vector<long> xq_step;             /* queued external spikes: step, source (ascending step) */
    std::vector<int> xq_src;
    std::size_t xq_head = 0;
    IvocVect* rec_t = nullptr;
    IvocVect* rec_id = nullptr;
};
static std::vector<std::unique_ptr<EifPop>> eif_pops;
static EifPop* eif_pop(double id) { return eif_pops.at((std::size_t) id).get(); }

/* the pathway of a synapse from source i (X sources from ntot) onto a cell of gid g */
static inline int eif_pathway(const EifPop& P, int i, int g) {
    const int onto_i = g >= P.ne;
    return i < P.ne ? EE + onto_i : i < P.ntot ? IE + onto_i : XE + onto_i;
}

static inline bool eif_plastic(const EifPop& P, int pw) { return pw < XE && P.eta[pw] != 0.0; }

/* the synapses of source i of delay class c onto E cells (side 0) or I cells (side 1):
   group eif_group and its by-source positions [src_seg[g], src_seg[g + 1]) */
static inline int eif_group(const EifPop& P, int i, int c, int side) { return P.ngroups * i + 2 * c + side; }

/* the traces kept here: the local cells' (positions 0 .. n-1, by local index) and those of
   the remote sources of plastic synapses (after them, by gid); tgt_src from gids to positions */
static void eif_keep_traces(EifPop& P) {
    const int n = (int) P.gid.size();
    P.xslot.assign(P.ntot, -1);
    for (int p = 0; p < n; ++p) { P.xslot[P.gid[p]] = p; }
    std::vector<int> remote;
    for (int i : P.tgt_src) {
        if (P.xslot[i] == -1) { P.xslot[i] = -2; remote.push_back(i); }   /* -2: listed */
    }
    std::sort(remote.begin(), remote.end());
    for (std::size_t k = 0; k < remote.size(); ++k) { P.xslot[remote[k]] = n + (int) k; }
    for (int& i : P.tgt_src) { i = P.xslot[i]; }
    P.xt.assign(n + remote.size(), 0.0);
}

static void eif_index(EifPop& P) {
    P.delays.fix();
    P.ngroups = 2 * P.delays.n_classes();
    auto group = [&P](std::size_t s) { return 2 * P.delays.klass(s) + (P.gid[P.syn_tgt[s]] >= P.ne ? 1 : 0); };
    NetcolBySource B = netcol_by_source(P.syn_src, P.syn_tgt, P.syn_plastic, P.ntot + P.nx, P.ngroups, group, P.w,
                                        P.w0, P.tgt_w);
    std::vector<int>().swap(P.syn_src);
    std::vector<int>().swap(P.syn_tgt);
    std::vector<int>().swap(P.syn_plastic);
    P.delays.forget_setup();
    P.src_seg.swap(B.seg);
    P.src_w.swap(B.first_w);
    P.grp_w.swap(B.group_w);
    P.setup_slot.swap(B.setup_slot);
    eif_keep_traces(P);
    P.bs_tgt.store(std::move(B.tgt), (int) P.gid.size(), wide_targets != 0);
    P.inflight.size_for(P.ntot, P.delays.longest());
    P.indexed = true;
}

/* recurrent source i's spike of step s */
static inline void eif_arrive(EifPop& P, int i, long s) { P.inflight.put(i, s); }

/* the remote sources' traces decayed by a step, as eif_integrate decays the local cells' */
NETCOL_VECTOR_LOOP
static void eif_decay_remote_traces(EifPop& P) {
    double* __restrict__ X = P.xt.data();
    const double fs = P.fs;
    for (std::size_t s = P.gid.size(); s < P.xt.size(); ++s) { X[s] = __builtin_fma(-fs, X[s], X[s]); }
}

/* the spikes of step tp (see the COMMENT, part 1): jumps into I_E / I_I, the rules, the
   traces; the currents' decay follows in eif_step's pass over the cells */
static void eif_finish(EifPop& P, long tp) {
    P.inflight.sources_of(tp, P.order);
    double eta[NPATH];
    for (int k = 0; k < NPATH; ++k) { eta[k] = P.eta[k] * eta_scale; }
    const double ite = 1.0 / P.taue, iti = 1.0 / P.taui;
    /* (the tables through local pointers: stores through double pointers could otherwise
       change a vector's own, and each would be read again) */
    double* const W = P.w.data();
    const double* const X = P.xt.data();
    for (int c = 0; c < P.delays.n_classes(); ++c) {
        const int d = P.delays.steps[c];
        /* with a delay of one step (the default) the spikes due are those of step tp */
        const std::vector<int>& due = d == 1 ? P.order : (P.inflight.sources_of(tp + 1 - d, P.due), P.due);
        P.bs_tgt.with([&](const auto* tgt) {
            for (std::size_t q = 0; q < due.size(); ++q) {
                if (q + 2 < due.size()) { __builtin_prefetch(&tgt[P.src_seg[eif_group(P, due[q + 2], c, 0)]]); }
                const int i = due[q];
                const bool to_e = P.route_e[i];
                double* const cur = to_e ? P.ie.data() : P.ii.data();
                const double scale = to_e ? ite : iti;
                const int pw0 = i < P.ne ? EE : IE;   /* onto E cells; pw0 + 1 onto I cells */
                for (int side = 0; side < 2; ++side) {
                    const int pw = pw0 + side, g = eif_group(P, i, c, side);
                    const int j0 = P.src_seg[g], j1 = P.src_seg[g + 1];
                    if (!eif_plastic(P, pw)) {
                        const double cw = P.jw[pw] * scale;
                        for (int j = j0; j < j1; ++j) { cur[tgt[j]] += cw; }
                        continue;
                    }
                    const double e = eta[pw], *k = P.rpre[pw];
                    double* w = W + P.grp_w[g];
                    for (int j = j0; j < j1; ++j, ++w) {
                        const int p = tgt[j];
                        cur[p] += *w * scale;
                        *w = netcol_rule_unbounded(*w, e, k, X[p]);
                    }
                }
            }
        });
    }
    /* a cell's plastic weights lie scattered in delivery order: each is fetched ahead */
    const int* const tw = P.tgt_w.data();
    const int* const ts = P.tgt_src.data();
    for (int p : P.fired) {
        if (P.no_post_into_i[p]) { continue; }   /* (an I cell: its plastic synapses are E->I, I->I) */
        const int onto_i = P.gid[p] >= P.ne;
        for (int side = 0; side < 2; ++side) {   /* from E cells, then from I cells */
            const int pw = (side ? IE : EE) + onto_i;
            const int j0 = side ? P.tgt_mid[p] : P.tgt_ptr[p], j1 = side ? P.tgt_ptr[p + 1] : P.tgt_mid[p];
            const double e = eta[pw], *k = P.rpost[pw];
            for (int j = j0; j < j1; ++j) {
                if (j + 12 < j1) { __builtin_prefetch(&W[tw[j + 12]], 1); }
                W[tw[j]] = netcol_rule_unbounded(W[tw[j]], e, k, X[ts[j]]);
            }
        }
    }
    /* traces of step tp's spikers: +1; then the step's decay, here for the remote
       sources, in eif_integrate for the local cells (the same arithmetic: a trace has the
       same value on every rank that keeps it) */
    for (int i : P.order) {
        const int s = P.xslot[i];
        if (s >= 0) { P.xt[s] += 1.0; }
    }
    eif_decay_remote_traces(P);
    P.fired.clear();
}

/* one Euler step of every cell (see the COMMENT, parts 1-3), reciprocals instead of
   divisions, the exponential in the same pass (one pass over the cells' arrays, not
   two); V holds the new value, the threshold is the caller's.  The jumps are already in the currents; I_X is decayed here for the next
   step, after its use, because the next step's X jumps come after that decay.  One loop
   per case of finishing, so that no test is left in it. */
template <bool finishing>
__attribute__((always_inline)) static inline void eif_integrate_cells(
    const EifPop& P, int n, double* __restrict__ IE, double* __restrict__ II, double* __restrict__ IX,
    double* __restrict__ V, double* __restrict__ X, double* __restrict__ CE, double* __restrict__ CI,
    double* __restrict__ CX) {
    /* (the arrays come as restrict parameters: as restrict locals, GCC does not vectorise
       the loop once the exponential is in it) */
    const double h = P.sdt;
    const double fe = h / P.taue, fi = h / P.taui, fxd = h / P.taux, fs = P.fs;
    const double hc = h / P.cm, gl = P.gl, el = P.el, gld = P.gl * P.dt_, vt = P.vt, idt = 1.0 / P.dt_;
    for (int p = 0; p < n; ++p) {
        double e = IE[p], i = II[p];
        const double x = IX[p];
        if (finishing) {
            e = __builtin_fma(-fe, e, e);
            i = __builtin_fma(-fi, i, i);
            IE[p] = e;
            II[p] = i;
            X[p] = __builtin_fma(-fs, X[p], X[p]);
        }
        IX[p] = __builtin_fma(-fxd, x, x);
        CE[p] += e; CI[p] += i; CX[p] += x;
        const double v = V[p];
        /* the exponential term added last: the sum of the others does not wait for it */
        const double rest = gl * (el - v) + e + i + x;
        V[p] = __builtin_fma(hc, __builtin_fma(gld, netcol_exp((v - vt) * idt), rest), v);
    }
}

NETCOL_VECTOR_LOOP
static void eif_integrate(EifPop& P, int n, bool finishing) {
    double *IE = P.ie.data(), *II = P.ii.data(), *IX = P.ix.data(), *V = P.v.data(), *X = P.xt.data();
    double *CE = P.cs_e.data(), *CI = P.cs_i.data(), *CX = P.cs_x.data();
    if (finishing) {
        eif_integrate_cells<true>(P, n, IE, II, IX, V, X, CE, CI, CX);
    } else {
        eif_integrate_cells<false>(P, n, IE, II, IX, V, X, CE, CI, CX);
    }
}

/* above[b] = 1 if a cell of block b (64 cells) is at threshold: a pass that vectorises
   (in the pass over the cells, the test cost more than it does here) */
NETCOL_VECTOR_LOOP
static void eif_mark_above(EifPop& P, int n) {
    const double* __restrict__ V = P.v.data();
    const double vth = P.vth;
    for (int b = 0; b < n; b += 64) {
        const int b1 = b + 64 < n ? b + 64 : n;
        int any = 0;
        for (int p = b; p < b1; ++p) { any |= V[p] >= vth; }
        P.above[b / 64] = (std::uint8_t) any;
    }
}

/* the local cells at threshold into fired, reset (only in the blocks marked above) */
static void eif_threshold(EifPop& P, int n) {
    eif_mark_above(P, n);
    for (int b = 0; b < n; b += 64) {
        if (!P.above[b / 64]) { continue; }
        for (int p = b; p < b + 64 && p < n; ++p) {
            if (P.v[p] >= P.vth) { P.fired.push_back(p); P.nspk[p]++; P.v[p] = P.vre; }
        }
    }
}

static void eif_step(EifPop& P, long k) {
    if (!P.indexed) { eif_index(P); }
    const double h = P.sdt;
    const double tk = ((double) k + 0.5) * h;
    P.inflight.begin_step(k);
    netcol_collect_records(P.rec_t, P.rec_id, tk,
                           [&P, h](int i, double ts) { eif_arrive(P, i, netcol_spike_step(ts, h)); });
    const bool finishing = P.pending;
    if (finishing) { eif_finish(P, k - 1); }
    /* external jumps of this step */
    while (P.xq_head < P.xq_step.size() && P.xq_step[P.xq_head] < k) { P.xq_head++; }
    const double itx = 1.0 / P.taux;
    double* IX = P.ix.data();
    while (P.xq_head < P.xq_step.size() && P.xq_step[P.xq_head] == k) {
        const int s = P.ntot + P.xq_src[P.xq_head++];
        const double ce = P.jw[XE] * itx, ci = P.jw[XI] * itx;
        /* (an external source's synapses are all in the class of one step: see add_synapses) */
        P.bs_tgt.with([&](const auto* tgt) {
            for (int c = 0; c < P.delays.n_classes(); ++c) {
                const int g = eif_group(P, s, c, 0);
                for (int j = P.src_seg[g]; j < P.src_seg[g + 1]; ++j) { IX[tgt[j]] += ce; }
                for (int j = P.src_seg[g + 1]; j < P.src_seg[g + 2]; ++j) { IX[tgt[j]] += ci; }
            }
        });
    }
    /* the decay ending step k - 1, Euler, in a loop that vectorises; then the threshold */
    const int n = (int) P.gid.size();
    eif_integrate(P, n, finishing);
    eif_threshold(P, n);
    P.cur_steps++;
    /* this rank's own sources reach its targets without a NetCon */
    netcol_emit(P.relay.data(), P.fired.data(), (int) P.fired.size(), tk, [&P, k](int p) { eif_arrive(P, P.gid[p], k); });
    P.pending = 1;
}
ENDVERBATIM

: the synapses indexed (if not yet), nothing in flight: a fresh start, or a resume whose
: spikes in flight come again through arrive_spike
INITIAL {
VERBATIM
    {
        EifPop& P = *eif_pop(pid);
        if (!P.indexed) { eif_index(P); }
        P.inflight.reset_at((long) kstep);
    }
ENDVERBATIM
    if (init_events && kstep < nsteps) {
        net_send((kstep + 0.5) * stepdt - step_early - t, 1)
    }
}

: flag 1: the next step (remote spikes come as records, see listen_records)
NET_RECEIVE(w) {
    if (flag == 1) {
VERBATIM
        eif_step(*eif_pop(pid), (long) kstep);
ENDVERBATIM
        kstep = kstep + 1
        if (kstep < nsteps) {
            net_send((kstep + 0.5) * stepdt - step_early - t, 1)
        }
    }
}

: setup(ntot, ne, nx, nsteps): a new empty population in a network of ntot cells (the
: first ne excitatory) and nx external sources, to run nsteps steps, with the module's
: parameters as they are now
PROCEDURE setup(ntot, ne, nx, steps) {
VERBATIM
    auto P = std::make_unique<EifPop>();
    P->ntot = (int) _lntot; P->ne = (int) _lne; P->nx = (int) _lnx;
    P->sdt = stepdt; P->cm = c_m; P->gl = g_l; P->el = e_l; P->vt = v_t; P->dt_ = d_t; P->vth = v_th;
    P->vre = v_re; P->taue = tau_e; P->taui = tau_i; P->taux = tau_x;
    P->fs = stepdt / tau_stdp;
    P->route_e.assign(P->ntot, 0);
    for (int i = 0; i < P->ne; ++i) { P->route_e[i] = 1; }
    pid = (double) eif_pops.size();
    eif_pops.push_back(std::move(P));
ENDVERBATIM
    kstep = 0
    nsteps = steps
}

: set_pathway(pw, J, eta, a0, a1, a2, a3, b0, b1, b2, b3): pathway pw's static weight,
: learning rate (0: static) and rule coefficients (presynaptic a, postsynaptic b)
PROCEDURE set_pathway(pw, J, eta, a0, a1, a2, a3, b0, b1, b2, b3) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    const int k = (int) _lpw;
    P.jw[k] = _lJ; P.eta[k] = _leta;
    const double a[4] = {_la0, _la1, _la2, _la3}, b[4] = {_lb0, _lb1, _lb2, _lb3};
    std::copy(a, a + 4, P.rpre[k]);
    std::copy(b, b + 4, P.rpost[k]);
ENDVERBATIM
}

: route_first_i_as_e(): the reference package's quirk: the first I cell's spikes go to
: I_E (with tau_E) and it takes no postsynaptic update on E->I and I->I
PROCEDURE route_first_i_as_e() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    P.route_e.at(P.ne) = 1;
    for (std::size_t p = 0; p < P.gid.size(); ++p) { P.no_post_into_i[p] = P.gid[p] == P.ne; }
ENDVERBATIM
}

: add_cell(gid, relay, v0): the next local cell (local index = call order), its V at t = 0
PROCEDURE add_cell(gid) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.gid.empty() && _lgid <= P.gid.back()) { hoc_execerror("NetcolEif: cells are added in ascending gid", 0); }
    P.gid.push_back((int) _lgid);
    P.relay.push_back(ob2pntproc(*hoc_objgetarg(2)));
    P.v.push_back(*getarg(3));
    P.ie.push_back(0.0); P.ii.push_back(0.0); P.ix.push_back(0.0);
    P.above.resize((P.gid.size() + 63) / 64, 0);
    P.cs_e.push_back(0.0); P.cs_i.push_back(0.0); P.cs_x.push_back(0.0);
    P.nspk.push_back(0);
    P.no_post_into_i.push_back(0);
    P.tgt_ptr.push_back(P.tgt_ptr.back());
    P.tgt_mid.push_back(P.tgt_ptr.back());
ENDVERBATIM
}

: add_synapses(src, pathway, w[, delay]): all the incoming synapses of the last added cell,
: in one call (sources ascending; X sources numbered from ntot); w is read on plastic
: pathways; delay: each synapse's delay in whole steps, >= 1 (without it, one step each;
: an external synapse's is not read: its spikes act in the step they are queued for)
PROCEDURE add_synapses() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (P.indexed) { hoc_execerror("NetcolEif: synapses are added before the first step", 0); }
    if (P.gid.empty()) { hoc_execerror("NetcolEif: synapses are added to a cell after add_cell", 0); }
    IvocVect* vs = vector_arg(1);
    IvocVect* vp = vector_arg(2);
    IvocVect* vw = vector_arg(3);
    const int m = vector_capacity(vs);
    const double *src = vector_vec(vs), *pw = vector_vec(vp), *w = vector_vec(vw);
    const double* dl = ifarg(4) ? vector_vec(vector_arg(4)) : nullptr;
    if (dl && vector_capacity(vector_arg(4)) != m) { hoc_execerror("NetcolEif: one delay per synapse", 0); }
    const int p = (int) P.gid.size() - 1;
    for (int j = 0; j < m; ++j) {
        const int i = (int) src[j];
        const int k = (int) pw[j];
        if (j > 0 && src[j] < src[j - 1]) { hoc_execerror("NetcolEif: a cell's sources are added ascending", 0); }
        if (k != eif_pathway(P, i, P.gid[p])) {
            hoc_execerror("NetcolEif: a synapse's pathway does not match its source and target", 0);
        }
        if (!P.delays.note(dl && i < P.ntot ? dl[j] : 1.0)) {
            hoc_execerror("NetcolEif: a delay is a whole number of steps, >= 1", 0);
        }
        P.syn_src.push_back(i);
        P.syn_tgt.push_back(p);
        if (eif_plastic(P, k)) {
            P.syn_plastic.push_back((int) P.w.size());
            P.tgt_w.push_back((int) P.w.size());
            P.tgt_src.push_back(i);
            if (i < P.ne) { P.tgt_mid.back()++; }
            P.w.push_back(w[j]);
            P.w0.push_back(w[j]);
        } else {
            P.syn_plastic.push_back(-1);
        }
    }
    P.tgt_ptr.back() = (int) P.tgt_w.size();
ENDVERBATIM
}

: index(): regroup the synapses by source now (otherwise at the first step) and free
: the set-up order, which holds twice the memory of the tables
PROCEDURE index() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
ENDVERBATIM
}

: queue_x(steps, sources): external spikes (steps ascending) appended to the queue; the
: steps before the current one are dropped first
PROCEDURE queue_x() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    P.xq_step.erase(P.xq_step.begin(), P.xq_step.begin() + P.xq_head);
    P.xq_src.erase(P.xq_src.begin(), P.xq_src.begin() + P.xq_head);
    P.xq_head = 0;
    IvocVect* vk = vector_arg(1);
    IvocVect* vs = vector_arg(2);
    const int m = vector_capacity(vk);
    const double *k = vector_vec(vk), *s = vector_vec(vs);
    for (int j = 0; j < m; ++j) {
        P.xq_step.push_back((long) k[j]);
        P.xq_src.push_back((int) s[j]);
    }
ENDVERBATIM
}

: listen_records(tvec, idvec): the vectors into which NEURON records the spikes of remote
: sources at each exchange (see netcol_population.hpp)
PROCEDURE listen_records() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    P.rec_t = vector_arg(1);
    P.rec_id = vector_arg(2);
ENDVERBATIM
}

: arrive(g): the spike of recurrent source g of the previous step
PROCEDURE arrive(g) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    const int i = (int) _lg;
    if (i < 0 || i >= P.ntot) { hoc_execerror("NetcolEif: arrival from an unknown source", 0); }
    if (!P.indexed) { eif_index(P); }
    eif_arrive(P, i, (long) kstep - 1);
ENDVERBATIM
}

: arrive_spike(g, ts): the spike of recurrent source g at time ts (a resume's spikes in
: flight at its checkpoint; one older than the longest delay is ignored: it has done all
: it does)
PROCEDURE arrive_spike(g, ts) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    const int i = (int) _lg;
    if (i < 0 || i >= P.ntot) { hoc_execerror("NetcolEif: arrival from an unknown source", 0); }
    if (!P.indexed) { eif_index(P); }
    eif_arrive(P, i, netcol_spike_step(_lts, P.sdt));
ENDVERBATIM
}

: longest_delay(): the longest delay of this rank's synapses (steps; 1 without delays)
FUNCTION longest_delay() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    _llongest_delay = (double) P.delays.longest();
ENDVERBATIM
}

: get_weights(v) / set_weights(v): the plastic weights, in set-up order
PROCEDURE get_weights() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    IvocVect* v = vector_arg(1);
    vector_resize(v, (int) P.w.size());
    double* o = vector_vec(v);
    for (std::size_t k = 0; k < P.w.size(); ++k) { o[k] = P.w[P.setup_slot[k]]; }
ENDVERBATIM
}

: weights_at(idx, out): the plastic weights at set-up positions idx (the recorded samples)
PROCEDURE weights_at() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    IvocVect* vi = vector_arg(1);
    IvocVect* vo = vector_arg(2);
    const int m = vector_capacity(vi);
    vector_resize(vo, m);
    const double* idx = vector_vec(vi);
    double* o = vector_vec(vo);
    for (int j = 0; j < m; ++j) { o[j] = P.w[P.setup_slot[(std::size_t) idx[j]]]; }
ENDVERBATIM
}

PROCEDURE set_weights() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    const double* src = vector_vec(vector_arg(1));
    for (std::size_t k = 0; k < P.w.size(); ++k) { P.w[P.setup_slot[k]] = src[k]; }
ENDVERBATIM
}

: get_state(v) / set_state(v): per local cell V, I_E, I_I, I_X, spike count, fired in the
: previous step, its three current sums (9 values each); then pending and the steps of
: the current sums; then per recurrent source its trace before the spikes of the step to
: finish and 1 if this rank keeps it, else (0, 0) (2 ntot); set_state reads the traces this
: rank keeps
PROCEDURE get_state() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    IvocVect* vec = vector_arg(1);
    const std::size_t n = P.gid.size();
    vector_resize(vec, (int) (9 * n + 2 + 2 * P.ntot));
    double* o = vector_vec(vec);
    std::vector<char> fired(n, 0);
    for (int p : P.fired) { fired[p] = 1; }
    for (std::size_t p = 0; p < n; ++p, o += 9) {
        o[0] = P.v[p]; o[1] = P.ie[p]; o[2] = P.ii[p]; o[3] = P.ix[p]; o[4] = (double) P.nspk[p]; o[5] = fired[p];
        o[6] = P.cs_e[p]; o[7] = P.cs_i[p]; o[8] = P.cs_x[p];
    }
    o[0] = P.pending;
    o[1] = (double) P.cur_steps;
    o += 2;
    for (int i = 0; i < P.ntot; ++i) {
        const int s = P.xslot[i];
        o[2 * i] = s >= 0 ? P.xt[s] : 0.0;
        o[2 * i + 1] = s >= 0 ? 1.0 : 0.0;
    }
ENDVERBATIM
}

PROCEDURE set_state() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    if (!P.indexed) { eif_index(P); }
    const double* o = vector_vec(vector_arg(1));
    const std::size_t n = P.gid.size();
    P.fired.clear();
    for (std::size_t p = 0; p < n; ++p, o += 9) {
        P.v[p] = o[0]; P.ie[p] = o[1]; P.ii[p] = o[2]; P.ix[p] = o[3]; P.nspk[p] = (long) o[4];
        if (o[5] != 0) { P.fired.push_back((int) p); }
        P.cs_e[p] = o[6]; P.cs_i[p] = o[7]; P.cs_x[p] = o[8];
    }
    P.pending = (int) o[0];
    P.cur_steps = (long) o[1];
    o += 2;
    for (int i = 0; i < P.ntot; ++i) {
        if (P.xslot[i] >= 0) { P.xt[P.xslot[i]] = o[2 * i]; }
    }
ENDVERBATIM
}

: restart(v0): back to the state as set up (weights included, V from the vector v0 of
: local cells), next step 0, no queued external spikes (GUI inits)
PROCEDURE restart() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    const double* v0 = vector_vec(vector_arg(1));
    for (std::size_t p = 0; p < P.gid.size(); ++p) {
        P.v[p] = v0[p]; P.ie[p] = 0; P.ii[p] = 0; P.ix[p] = 0; P.nspk[p] = 0;
    }
    std::fill(P.xt.begin(), P.xt.end(), 0.0);
    P.inflight.drop_all();
    P.fired.clear();
    P.w = P.w0;
    P.pending = 0;
    std::fill(P.cs_e.begin(), P.cs_e.end(), 0.0);
    std::fill(P.cs_i.begin(), P.cs_i.end(), 0.0);
    std::fill(P.cs_x.begin(), P.cs_x.end(), 0.0);
    P.cur_steps = 0;
    P.xq_step.clear(); P.xq_src.clear(); P.xq_head = 0;
ENDVERBATIM
    kstep = 0
}

: probe(i, p): variable i (0 V, 1 I_E, 2 I_I, 3 I_X, 4 spike count) of local cell p
FUNCTION probe(i, p) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    std::size_t q = (std::size_t) _lp;
    int i = (int) _li;
    _lprobe = i == 0 ? P.v.at(q) : i == 1 ? P.ie.at(q) : i == 2 ? P.ii.at(q) : i == 3 ? P.ix.at(q)
            : (double) P.nspk.at(q);
ENDVERBATIM
}

: record_values(out, cells, what): variables what (0 V, 1 I_E, 2 I_I, 3 I_X) of the local cells
: cells (set-up indices) into out, cell by cell, in one call (netcol.cells.eif.sampler)
PROCEDURE record_values() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    netcol_record_values(vector_arg(1), vector_arg(2), vector_arg(3), [&P](std::size_t q, int k) {
        return k == 0 ? P.v.at(q) : k == 1 ? P.ie.at(q) : k == 2 ? P.ii.at(q) : P.ix.at(q);
    });
ENDVERBATIM
}

: currents(v): per local cell the sums over the steps since the last call of I_E, I_I,
: I_X (3 values each), then the number of steps; restarts the sums
PROCEDURE currents() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    IvocVect* vec = vector_arg(1);
    const std::size_t n = P.gid.size();
    vector_resize(vec, (int) (3 * n + 1));
    double* o = vector_vec(vec);
    for (std::size_t p = 0; p < n; ++p) {
        o[3 * p] = P.cs_e[p]; o[3 * p + 1] = P.cs_i[p]; o[3 * p + 2] = P.cs_x[p];
    }
    o[3 * n] = (double) P.cur_steps;
    std::fill(P.cs_e.begin(), P.cs_e.end(), 0.0);
    std::fill(P.cs_i.begin(), P.cs_i.end(), 0.0);
    std::fill(P.cs_x.begin(), P.cs_x.end(), 0.0);
    P.cur_steps = 0;
ENDVERBATIM
}

: weight_sums(v): per local cell the sums of its plastic weights from E sources and from
: I sources, in set-up order (2 values each)
PROCEDURE weight_sums() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    IvocVect* vec = vector_arg(1);
    const std::size_t n = P.gid.size();
    vector_resize(vec, (int) (2 * n));
    double* o = vector_vec(vec);
    std::fill(o, o + 2 * n, 0.0);
    /* the weights in delivery order (sources ascending, so a cell's sums add its weights
       in set-up order) */
    P.bs_tgt.with([&](const auto* tgt) {
        for (int i = 0; i < P.ntot; ++i) {
            const int col = i < P.ne ? 0 : 1;
            for (int g = P.ngroups * i; g < P.ngroups * (i + 1); ++g) {
                if (!eif_plastic(P, (i < P.ne ? EE : IE) + g % 2)) { continue; }
                const double* w = P.w.data() + P.grp_w[g];
                for (int j = P.src_seg[g]; j < P.src_seg[g + 1]; ++j) { o[2 * tgt[j] + col] += *w++; }
            }
        }
    });
ENDVERBATIM
}

: table_bytes(): the memory of this rank's synapse tables (by source, plastic weights and
: their indices), for the bytes per synapse the benchmark reports
FUNCTION table_bytes() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    auto bytes = [](const auto& v) { return (double) (v.capacity() * sizeof(v[0])); };
    _ltable_bytes = bytes(P.src_seg) + bytes(P.src_w) + bytes(P.grp_w) + P.bs_tgt.bytes() + bytes(P.w)
                    + bytes(P.w0) + bytes(P.tgt_ptr) + bytes(P.tgt_w) + bytes(P.tgt_src) + bytes(P.tgt_mid)
                    + bytes(P.setup_slot);
ENDVERBATIM
}

: trace_count(): the traces this rank keeps (its cells' and its remote plastic sources')
FUNCTION trace_count() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    _ltrace_count = (double) P.xt.size();
ENDVERBATIM
}

: target_bits(): the width of the stored by-source targets (16 or 32; 0 before indexing)
FUNCTION target_bits() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    _ltarget_bits = !P.indexed ? 0.0 : P.bs_tgt.is_narrow ? 16.0 : 32.0;
ENDVERBATIM
}

: synapse_count(): this rank's synapses (recurrent and external)
FUNCTION synapse_count() {
VERBATIM
    EifPop& P = *eif_pop(pid);
    _lsynapse_count = P.indexed ? (double) P.bs_tgt.size() : (double) P.syn_src.size();
ENDVERBATIM
}

: count_spikes(g0, g1): spikes so far of this rank's cells with gid in [g0, g1)
FUNCTION count_spikes(g0, g1) {
VERBATIM
    EifPop& P = *eif_pop(pid);
    double s = 0;
    for (std::size_t p = 0; p < P.gid.size(); ++p) {
        if (P.gid[p] >= _lg0 && P.gid[p] < _lg1) { s += (double) P.nspk[p]; }
    }
    _lcount_spikes = s;
ENDVERBATIM
}
