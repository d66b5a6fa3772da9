/* What netcol's fixed-step population mechanisms (NetcolCondLif, NetcolEif, NetcolLifMap)
   share, included from their VERBATIM blocks after NEURON's own declarations (IvocVect,
   vector_vec, Point_process, nrn_net_event):
   - remote spikes read from the records NEURON's spike exchange writes;
   - spikes kept by the step that emitted them until their longest delay has passed, and
     the synapses' delays as classes (per-pathway transmission delays);
   - a step's spikes emitted through the cells' relays;
   - a recording's values of chosen cells in one call;
   - the synapses regrouped by source, plastic weights renumbered in delivery order;
   - the pre/post trace rule, w <- clip(w + eta (k0 + k1 x + k2 w + k3 x w), lo, hi);
   - exp in plain operations, so that loops over cells vectorise where the processor allows.
   netcol compiles mod/ with this folder on the include path (netcol.mechanisms).  Names
   such as t and dt are macros in the generated code: not used here. */
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>
#include <sys/mman.h>
#include <vector>

/* An allocator of memory in 2-MB pages where the system gives them on request (Linux's
   transparent huge pages in "madvise" mode): the synapse tables of a rank are read at
   random over megabytes, and with 4-KB pages most of those reads also miss the
   translation cache. */
template <class T>
struct NetcolHugeAlloc {
    using value_type = T;
    NetcolHugeAlloc() = default;
    template <class U>
    NetcolHugeAlloc(const NetcolHugeAlloc<U>&) {}
    static constexpr std::size_t HUGE_PAGE = std::size_t(1) << 21;   /* smaller arrays: operator new */
    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < HUGE_PAGE) { return static_cast<T*>(::operator new(bytes)); }
        const std::size_t pages = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void* p = std::aligned_alloc(HUGE_PAGE, pages);
        if (!p) { throw std::bad_alloc(); }
#ifdef MADV_HUGEPAGE
        madvise(p, pages, MADV_HUGEPAGE);
#endif
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) {
        if (n * sizeof(T) < HUGE_PAGE) { ::operator delete(p); } else { std::free(p); }
    }
    template <class U>
    bool operator==(const NetcolHugeAlloc<U>&) const { return true; }
    template <class U>
    bool operator!=(const NetcolHugeAlloc<U>&) const { return false; }
};

template <class T>
using netcol_big_vector = std::vector<T, NetcolHugeAlloc<T>>;

/* A by-source target table kept in 16 bits where a rank has at most 65,536 cells (half
   the memory traffic of a fan-out over it), else in 32; wide forces 32 (a test of that
   path).  with(f) calls f with the table as stored. */
struct NetcolTargets {
    netcol_big_vector<int> wide;
    netcol_big_vector<std::uint16_t> narrow;
    bool is_narrow = false;
    void store(netcol_big_vector<int>&& table, int n_cells, bool force_wide) {
        wide = std::move(table);
        if (n_cells <= 65536 && !force_wide) {
            narrow.assign(wide.begin(), wide.end());
            netcol_big_vector<int>().swap(wide);
            is_narrow = true;
        }
    }
    template <class F>
    void with(F f) const {
        if (is_narrow) { f(narrow.data()); } else { f(wide.data()); }
    }
    std::size_t size() const { return is_narrow ? narrow.size() : wide.size(); }
    double bytes() const {
        return (double) (narrow.capacity() * sizeof(std::uint16_t) + wide.capacity() * sizeof(int));
    }
};

/* The recorded remote spikes of steps before the one stamped t_now join the arrivals
   (arrive(source gid, spike time)); any of step t_now itself (an exchange between two
   ranks' events of one step) wait for the next step.  The vectors are emptied of what
   was taken. */
template <class Arrive>
static inline void netcol_collect_records(IvocVect* rec_t, IvocVect* rec_id, double t_now, Arrive arrive) {
    if (!rec_t) {
        return;
    }
    const int n = vector_capacity(rec_t);
    double* ts = vector_vec(rec_t);
    double* id = vector_vec(rec_id);
    int keep = 0;
    for (int j = 0; j < n; ++j) {
        if (ts[j] < t_now) {
            arrive((int) id[j], ts[j]);
        } else {
            ts[keep] = ts[j];
            id[keep] = id[j];
            ++keep;
        }
    }
    vector_resize(rec_t, keep);
    vector_resize(rec_id, keep);
}

/* The step that emitted a spike of time ts, on a grid of steps of length h whose step k
   stamps its spikes (k + 1/2) h (every population mechanism does). */
static inline long netcol_spike_step(double ts, double h) {
    return std::lround(ts / h - 0.5);
}

/* The delays of a population's synapses, in whole steps (>= 1: a spike of step s first
   acts in step s + d), as classes: the distinct delays ascending, and a synapse's class
   the position of its delay among them.  Each synapse's delay is noted in set-up order
   (note); fix() fixes the classes (one class of 1 step when nothing was noted, the
   delivery of a population without delays).  The tables by source group their synapses
   by class first, so that a step delivers, class by class, the spikes its delay brings. */
struct NetcolDelays {
    std::vector<int> steps{1};           /* the distinct delays, ascending (once indexed) */
    std::vector<int> noted;              /* per synapse in set-up order, until indexed */
    /* a synapse's delay; false for a delay below one step */
    bool note(double d) {
        const long k = std::lround(d);
        if (k < 1 || (double) k != d) { return false; }
        noted.push_back((int) k);
        return true;
    }
    void fix() {
        steps = noted;
        std::sort(steps.begin(), steps.end());
        steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
        if (steps.empty()) { steps.assign(1, 1); }
    }
    int n_classes() const { return (int) steps.size(); }
    int longest() const { return steps.back(); }
    /* the class of set-up synapse s */
    int klass(std::size_t s) const {
        return (int) (std::lower_bound(steps.begin(), steps.end(), noted[s]) - steps.begin());
    }
    void forget_setup() { std::vector<int>().swap(noted); }
};

/* The spikes of the last slots steps by the step that emitted them, a bit per source
   each: what a delay of up to slots - 1 steps still has to deliver.  At step k, slot
   k - d holds the spikes that a delay of d brings now.  begin_step(k) begins step k: its
   slot (the spikes of step k - slots, past every delay) is emptied for the step's own
   spikes.  put() is idempotent (one NetCon per synapse may bring a spike many times) and
   ignores a spike outside the window (already delivered everywhere, or of a step not yet
   begun).  A bit per source and slot rather than a queue of events: a step reads its
   arrivals in ascending source gid with no sort, whatever order the exchange brought
   them in. */
struct NetcolSpikeRing {
    int words = 0, slots = 1;
    long now = 0;                         /* the step begun last */
    std::vector<std::uint64_t> bits;      /* slot-major: slot r holds words r*words .. */
    void size_for(int nsrc, int longest_delay) {
        words = (nsrc + 63) / 64;
        slots = longest_delay + 1;
        bits.assign((std::size_t) words * slots, 0);
    }
    std::uint64_t* row(long step) {
        const long r = ((step % slots) + slots) % slots;
        return bits.data() + (std::size_t) r * words;
    }
    const std::uint64_t* row(long step) const { return const_cast<NetcolSpikeRing*>(this)->row(step); }
    bool within(long step) const { return step <= now && step > now - slots; }
    void begin_step(long k) {
        now = k;
        std::uint64_t* r = row(k);
        std::fill(r, r + words, std::uint64_t(0));
    }
    /* source i spiked in step s (the step begun last or one before it within the window;
       after reset_at(k), the steps before k) */
    bool put(int i, long s) {
        if (!within(s)) { return false; }
        row(s)[i >> 6] |= std::uint64_t(1) << (i & 63);
        return true;
    }
    bool holds(int i, long s) const { return within(s) && ((row(s)[i >> 6] >> (i & 63)) & 1); }
    /* the sources that spiked in step s, ascending, into out (emptied first) */
    void sources_of(long s, std::vector<int>& out) const {
        out.clear();
        if (!within(s)) { return; }
        const std::uint64_t* r = row(s);
        for (int w = 0; w < words; ++w) {
            std::uint64_t b = r[w];
            while (b) {
                out.push_back(w * 64 + __builtin_ctzll(b));
                b &= b - 1;
            }
        }
    }
    /* next step to begin is k (a fresh start or a resume): nothing in flight */
    void reset_at(long k) {
        std::fill(bits.begin(), bits.end(), std::uint64_t(0));
        now = k - 1;
    }
    void drop_all() { std::fill(bits.begin(), bits.end(), std::uint64_t(0)); }
};

/* A recording's values in one call (a mechanism's record_values(out, cells, what)):
   out[i * nw + j] = value(cells[i], what[j]) for the local cells cells[0 .. nc) (indices
   in set-up order) and the variable codes what[0 .. nw); out is resized to nc * nw. */
template <class Value>
static inline void netcol_record_values(IvocVect* out, IvocVect* cells, IvocVect* what, Value value) {
    const int nc = vector_capacity(cells), nw = vector_capacity(what);
    const double* c = vector_vec(cells);
    const double* w = vector_vec(what);
    vector_resize(out, nc * nw);
    double* o = vector_vec(out);
    for (int i = 0; i < nc; ++i) {
        for (int j = 0; j < nw; ++j) {
            o[i * nw + j] = value((std::size_t) c[i], (int) w[j]);
        }
    }
}

/* The spikes of local cells fired[0 .. nf) leave at time tspike through their relays; relays
   and their spike sources lie scattered in memory, so each is prefetched a few spikes
   ahead (a quarter of a 10,000-cell network's time went to those cache misses).  then(p)
   runs after cell p's spike has left. */
template <class Then>
static inline void netcol_emit(Point_process* const* relay, const int* fired, int nf, double tspike, Then then) {
    for (int j = 0; j < nf; ++j) {
        if (j + 8 < nf) {
            __builtin_prefetch(relay[fired[j + 8]]);
        }
        if (j + 4 < nf) {
            const char* ps = (const char*) relay[fired[j + 4]]->presyn_;
            __builtin_prefetch(ps);
            __builtin_prefetch(ps + 64);
        }
        nrn_net_event(relay[fired[j]], tspike);
        then(fired[j]);
    }
}

/* Plastic weights in delivery order: the entries what >= 0 of a by-source table are the
   set-up positions of the weights their synapses use; they become positions in the order
   the table walks them, so a presynaptic spike's updates read its weights in order (in
   set-up order, target by target, each was a cache miss).  Returns slot, set-up position
   -> new position: apply it with netcol_permute to every per-weight array, and map every
   other index into them through it. */
static inline std::vector<int> netcol_delivery_order(std::vector<int>& what, std::size_t n_weights) {
    std::vector<int> slot(n_weights);
    int next = 0;
    for (int& k : what) {
        if (k >= 0) {
            slot[k] = next;
            k = next++;
        }
    }
    return slot;
}

/* v rearranged by slot (v'[slot[k]] = v[k]). */
template <class V>
static inline void netcol_permute(V& v, const std::vector<int>& slot) {
    V out(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) {
        out[slot[k]] = v[k];
    }
    v.swap(out);
}

/* A rank's synapses, given in set-up order (by target, sources ascending), regrouped by
   source for the fan-out: within a source by group (0 .. ngroups - 1, group(s) of set-up
   position s: the mechanism's choice, so that a delivery knows its group from where it
   is), each group's targets ascending.  Group g of source i is tgt[seg[i ngroups + g] ..
   seg[i ngroups + g + 1]).  The plastic weights (plastic[s] >= 0: the set-up position of
   synapse s's weight) are renumbered in delivery order in w, w0 and the per-target
   indices tgt_w into them; source i's come first at first_w[i], those of its group g at
   group_w[i ngroups + g]; setup_slot maps a set-up position to its new one. */
struct NetcolBySource {
    std::vector<int> seg, first_w, group_w, setup_slot;
    netcol_big_vector<int> tgt;
};

template <class Group, class Weights, class Indices>
static inline NetcolBySource netcol_by_source(const std::vector<int>& src, const std::vector<int>& target,
                                              const std::vector<int>& plastic, int nsrc, int ngroups, Group group,
                                              Weights& w, Weights& w0, Indices& tgt_w) {
    NetcolBySource B;
    B.seg.assign((std::size_t) nsrc * ngroups + 1, 0);
    for (std::size_t s = 0; s < src.size(); ++s) { B.seg[(std::size_t) src[s] * ngroups + group(s) + 1]++; }
    for (std::size_t k = 1; k < B.seg.size(); ++k) { B.seg[k] += B.seg[k - 1]; }
    std::vector<int> fill(B.seg.begin(), B.seg.end() - 1);
    std::vector<int> what(src.size());   /* set-up position of each plastic weight, or -1 */
    B.tgt.resize(src.size());
    for (std::size_t s = 0; s < src.size(); ++s) {
        const int j = fill[(std::size_t) src[s] * ngroups + group(s)]++;
        B.tgt[j] = target[s];
        what[j] = plastic[s];
    }
    B.first_w.assign(nsrc, 0);
    B.group_w.assign((std::size_t) nsrc * ngroups, 0);
    int nw = 0;
    for (int i = 0; i < nsrc; ++i) {
        B.first_w[i] = nw;
        for (int g = 0; g < ngroups; ++g) {
            const std::size_t ig = (std::size_t) i * ngroups + g;
            B.group_w[ig] = nw;
            for (int j = B.seg[ig]; j < B.seg[ig + 1]; ++j) { nw += what[j] >= 0; }
        }
    }
    B.setup_slot = netcol_delivery_order(what, w.size());
    netcol_permute(w, B.setup_slot);
    netcol_permute(w0, B.setup_slot);
    for (auto& k : tgt_w) { k = B.setup_slot[k]; }
    return B;
}

/* One update of a trace rule at a spike: x is the other side's trace (the postsynaptic
   one at a presynaptic spike, and the reverse), k the rule's four coefficients of that
   side.  Vogels et al. (2011) is k = (-alpha, 1, 0, 0) at a presynaptic spike and
   (0, 1, 0, 0) at a postsynaptic one, bounded to [0, w_max]; the rules of Akil et al.
   (2021) are unbounded (see NetcolEif): netcol_rule_unbounded. */
static inline double netcol_rule_unbounded(double w, double eta, const double* k, double x) {
    return w + eta * (k[0] + k[1] * x + k[2] * w + k[3] * x * w);
}

static inline double netcol_rule(double w, double eta, const double* k, double x, double lo, double hi) {
    const double v = netcol_rule_unbounded(w, eta, k, x);
    return v < lo ? lo : (v > hi ? hi : v);
}

/* exp(x) within 2 ulp of the correctly rounded value for |x| < 708 (tested in
   tests/test_akil.py against numpy): x = k ln2 + r with |r| <= ln2 / 2 (ln2 in two parts,
   Cody-Waite), exp(r) by its Taylor series to r^13 / 13!, times 2^k built in the exponent
   bits.  Multiplies, adds and fused multiply-adds, so that a loop of them vectorises (the
   library's exp is a call per value); the series is summed by Estrin's scheme (pairs of
   terms, then pairs of pairs with r^2, r^4, r^8), whose chain of dependent operations is
   4 long against Horner's 13: a loop over cells is bound by that chain's latency. */
static inline double netcol_exp(double x) {
    x = x < -708.0 ? -708.0 : (x > 708.0 ? 708.0 : x);
    const double shifter = 6755399441055744.0;   /* 1.5 * 2^52: adding it rounds to an integer */
    const double kd = __builtin_fma(x, 1.4426950408889634, shifter) - shifter;
    const double r = __builtin_fma(-kd, 1.9082149292705877e-10, __builtin_fma(-kd, 0.6931471803691238, x));
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double a0 = 1.0 + r, a1 = __builtin_fma(r, 1.0 / 6.0, 0.5),
                 a2 = __builtin_fma(r, 1.0 / 120.0, 1.0 / 24.0), a3 = __builtin_fma(r, 1.0 / 5040.0, 1.0 / 720.0),
                 a4 = __builtin_fma(r, 1.0 / 362880.0, 1.0 / 40320.0),
                 a5 = __builtin_fma(r, 1.0 / 39916800.0, 1.0 / 3628800.0),
                 a6 = __builtin_fma(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
    const double b0 = __builtin_fma(r2, a1, a0), b1 = __builtin_fma(r2, a3, a2), b2 = __builtin_fma(r2, a5, a4);
    const double p = __builtin_fma(r8, __builtin_fma(r4, a6, b2), __builtin_fma(r4, b1, b0));
    const std::int64_t bits = ((std::int64_t) kd + 1023) << 52;
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* NETCOL_VECTOR_LOOP before a function with a loop over cells: on x86-64 with GCC the
   function is compiled for three instruction sets and the processor's best is chosen at
   load time; contraction into fused multiply-adds is off, so every version gives the same
   bits as the plain one (elementwise IEEE operations, no reassociation).  Fused
   multiply-adds written out (__builtin_fma) are exact in every version too: an
   instruction in the x86-64-v3 and v4 ones, the C library's fma (correctly rounded, and
   slow) in the default one, for processors without FMA (before 2013). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NETCOL_VECTOR_LOOP \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("O3", "fp-contract=off")))
#else
#define NETCOL_VECTOR_LOOP
#endif

