/* A harness around the column's cell core (mod/netcol_intf6_core.hpp) for tests/test_core.py:
   compiled alone, with warnings as errors, into a shared library whose C functions the test
   calls through ctypes.  NEURON's Random123 streams are replaced by a small deterministic
   generator of its interface (the core only draws, re-keys and rewinds them). */
#include <cstdint>
#include <cstring>
#include <queue>
#include <vector>

#include "netcol_intf6_core.hpp"

/* ------------------------------------------------------------------ a stand-in for nrnran123 */
struct nrnran123_State { std::uint32_t id1, id2, id3; std::uint64_t seq; };

static std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
double nrnran123_negexp(nrnran123_State* s) {
    const std::uint64_t k = splitmix(splitmix(((std::uint64_t) s->id1 << 32) ^ s->id2) ^ ((std::uint64_t) s->id3 << 17) ^ s->seq);
    s->seq += 1;
    return -std::log(((double) (k >> 11) + 0.5) * (1.0 / 9007199254740992.0));
}
void nrnran123_setids(nrnran123_State* s, std::uint32_t id1, std::uint32_t id2, std::uint32_t id3) {
    s->id1 = id1;
    s->id2 = id2;
    s->id3 = id3;
}
void nrnran123_setseq(nrnran123_State* s, double seq4which) { s->seq = (std::uint64_t) (seq4which / 4); }

/* ------------------------------------------------------------------ a one-cell engine */
namespace {

struct Ev {
    double when;
    std::uint64_t seq;
    int kind;   /* 0 drive, 1 refractory end, 2 synaptic input */
    std::uint64_t gen;
    int syn;
    bool operator>(const Ev& o) const { return when > o.when || (when == o.when && seq > o.seq); }
};

/* One RS-like cell driven by four streams and a list of external inputs, its events handled
   as the engines do: as the per-cell engine, through nc::receive, queueing what it asks
   for; or as the rank engine, its own events run by nc::run_until up to each input and to
   the end, each input through nc::apply_event. */
struct OneCell {
    nc::Cell c;
    nc::Settings e;
    nrnran123_State rs[4];
    std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> q;
    std::uint64_t seq = 0;
    std::vector<double> syn_t, syn_w;
    std::vector<double> spikes;
    long events = 0;

    OneCell(double horizon, bool scaling, double ton) {
        c.p = NcPar{10, 300, 10, 20, 300, 20, 10, -65, -45, -20, 6, 65, 90, -15, 1.6, 3.57, 1, 1e-11, 0};
        c.refrac_ms = 5;
        c.ahp_step = 1.5;
        c.cell_gid = 7;
        const double rates[4] = {400, 120, 300, 80}, weights[4] = {1.3, 0.4, 1.1, 2.0};
        const int slots[4] = {4, 5, 2, 6};
        for (int k = 0; k < 4; ++k) {
            c.xr[k] = rates[k];
            c.xw[k] = weights[k];
            c.xs[k] = slots[k];
            rs[k] = nrnran123_State{7, 1000u + (std::uint32_t) k, 3, 0};
            c.rs[k] = &rs[k];
        }
        c.odel = {1.2, 2.5, 4.0};
        e.horizon = horizon;
        e.scaling_active = scaling;
        e.ton = ton;
        e.kp = 1e-3;
        e.ki = 1e-6;
        c.plan = std::make_unique<nc::Plan>();
    }

    void push(double when, int kind, std::uint64_t gen, int syn) { q.push(Ev{when, seq++, kind, gen, syn}); }

    /* the event path with every feature (FULL) or the lean one */
    template <bool FULL>
    void run(double t_end) {
        nc::init(c, e, 0.0);
        nc::replan(c, e, nc::NEVER);
        if (nc::next_drive_time(c) < nc::NEVER_BELOW) { push(c.xnext, 0, c.gen, -1); }
        for (std::size_t i = 0; i < syn_t.size(); ++i) { push(syn_t[i], 2, 0, (int) i); }
        while (!q.empty() && q.top().when < t_end) {
            const Ev ev = q.top();
            q.pop();
            int todo;
            if (ev.kind == 0) {
                todo = nc::receive<FULL>(c, e, nc::EV_DRIVE, ev.when, ev.gen);
            } else if (ev.kind == 1) {
                todo = nc::receive<FULL>(c, e, nc::EV_REFRACTORY, ev.when);
            } else {
                /* AMPA from an excitatory cell (scaled), or external (unscaled) */
                const double w[7] = {syn_w[ev.syn], 0, 0, 0, 0, 0, 0};
                const nc::Synapse y{ev.syn % 2 ? nc::SYN_FROM_E : nc::SYN_EXTERNAL, w, false, nullptr};
                todo = nc::receive<FULL>(c, e, nc::EV_SYNAPSE, ev.when, 0, &y);
            }
            events++;
            if (todo & nc::DO_DRIVE) { push(c.xnext, 0, c.gen, -1); }
            if (todo & nc::DO_SPIKE) {
                spikes.push_back(ev.when);
                push(c.tref, 1, 0, -1);
            }
        }
        nc::catch_up<FULL>(c, e, t_end);
    }
    /* the rank engine's way */
    template <bool FULL>
    void run_alone(double t_end) {
        nc::init(c, e, 0.0);
        const auto spiked = [this](double ts) { spikes.push_back(ts); };
        for (std::size_t i = 0; i < syn_t.size() && syn_t[i] < t_end; ++i) {
            nc::run_until<FULL>(c, e, syn_t[i], spiked);
            const double w[7] = {syn_w[i], 0, 0, 0, 0, 0, 0};
            const nc::Synapse y{i % 2 ? nc::SYN_FROM_E : nc::SYN_EXTERNAL, w, false, nullptr};
            bool all = false;
            if (nc::apply_event<FULL>(c, e, nc::EV_SYNAPSE, syn_t[i], &y, all) & nc::DO_SPIKE) { spiked(syn_t[i]); }
            events++;
        }
        nc::run_until<FULL>(c, e, t_end, spiked);
    }
};

}  // namespace

extern "C" {

/* the core's exp for NMODL's rules */
double core_hexp(double x) { return nc::hexp(x); }

/* n values of the original's NetStim stream at MCellRan4 index (high, low), as the core
   draws them (negexp(1) of each uniform) */
void core_mcellran4(double high, double low, int n, double* out) {
    for (int i = 0; i < n; ++i) { out[i] = nc::mcellran4_negexp(high, low); }
}

/* One cell for t_end ms with the given plan horizon (1e20: plan freely; 0: every drive input
   a real event of its own; negative: run alone, as the rank engine), scaling from ton or not, inputs at syn_t with AMPA weights
   syn_w (odd ones from an E cell, scaled; even ones external), on the event path with
   every feature (full) or the lean one; writes its spike times (up to max_spikes) and its
   final state (the 12 membrane values, then act, goal, interr, sfac, tu, tev, spkcnt,
   blkcnt) and returns the number of spikes; *events counts the events handled. */
int core_run_cell(double horizon, int scaling, double ton, int full, double t_end, int n_syn, const double* syn_t,
                  const double* syn_w, double* spikes, int max_spikes, double* state, long* events) {
    OneCell one(horizon, scaling != 0, ton);
    one.syn_t.assign(syn_t, syn_t + n_syn);
    one.syn_w.assign(syn_w, syn_w + n_syn);
    if (horizon < 0) {
        if (full) { one.run_alone<true>(t_end); } else { one.run_alone<false>(t_end); }
    } else if (full) {
        one.run<true>(t_end);
    } else {
        one.run<false>(t_end);
    }
    const int n = (int) one.spikes.size();
    for (int i = 0; i < n && i < max_spikes; ++i) { spikes[i] = one.spikes[i]; }
    std::memcpy(state, &one.c.s, sizeof(NcMemb));
    const double rest[8] = {one.c.act, one.c.goal, one.c.interr, one.c.sfac, one.c.tu, one.c.tev,
                            (double) one.c.spkcnt, (double) one.c.blkcnt};
    std::memcpy(state + NC_NMEMB, rest, sizeof rest);
    *events = one.events;
    return n;
}

/* Every state name of the core: set to a distinct value, read back (0: all round-trip;
   else the 1-based position of the first that does not). */
int core_state_round_trip(const char* const* names, int n) {
    nc::Cell c;
    for (int i = 0; i < n; ++i) {
        const int size = nc::state_size(names[i]);
        if (size < 0) { return i + 1; }
        for (int j = 0; j < (size ? size : 1); ++j) {
            const double v = 3 + i * 100 + j;
            double back = -1;
            if (!nc::state_set(c, names[i], j, v) || !nc::state_get(c, names[i], j, back)) { return i + 1; }
            if (back != v && !(std::strcmp(names[i], "dead") == 0 && back == 1)) { return i + 1; }
        }
    }
    double v;
    return nc::state_get(c, "no such state", 0, v) ? -1 : 0;
}

}  // extern "C"
