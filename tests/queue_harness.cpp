/* A harness around the rank engine's event queue (mod/netcol_arrival_queue.hpp) for
   tests/test_core.py: compiled alone, with warnings as errors, into a shared library whose
   C function the test calls through ctypes. */
#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "netcol_arrival_queue.hpp"

namespace {

/* One handled event as the one-event-per-arrival queue orders them: (when, seq) and what
   it is (a synapse, or -1 - a single event's number). */
using Handled = std::tuple<double, std::uint64_t, int>;

}  // namespace

/* Queue random spikes of random outgoing lists, with single events between them, and
   handle everything as the engine does (take_arrivals for a spike's, pop for the others);
   0 if the order differs from the one-event-per-arrival queue's (every arrival and single
   event sorted by (when, seq)), else 1.  ties: how many times take_arrivals gave more than
   one arrival at once.  The delays come from a few values, with copies and neighbours one
   ulp apart, and the spike times are late (ts near 1.6e8 ms), so that unequal delays sum
   to equal arrival times. */
extern "C" int queue_order_matches(unsigned seed, int* ties) {
    std::mt19937_64 rng(seed);
    const int ngid = 20, nsyn = 400;
    std::vector<double> delay(nsyn);
    std::vector<int> post(nsyn);
    ncq::Outgoing out;
    out.resize(ngid);
    const double base_delays[] = {2.0, 3.0, 4.25};
    for (int si = 0; si < nsyn; ++si) {
        double d = base_delays[rng() % 3];
        for (int u = (int) (rng() % 3); u > 0; --u) { d = std::nextafter(d, 10.0); }
        delay[si] = d;
        post[si] = (int) (rng() % 50);
        out.add(rng() % ngid, si, post[si], d);
    }
    std::vector<Handled> expected;
    const std::vector<std::vector<ncq::Target>> built = out.of;   /* the order built, before sorting */
    out.sort();
    ncq::Queue q;
    std::uint64_t seq = 0;
    double ts = 1.6e8;
    for (int n = 0; n < 300; ++n) {
        ts += (double) (rng() % 4) * 0.125;   /* spikes at equal times too */
        if (rng() % 5 == 0) {   /* a single event */
            const double when = ts + 2.5;
            q.push(ncq::Event{when, seq, 0.0, 1, 0, -1 - n, -1});
            expected.emplace_back(when, seq, -1 - n);
            ++seq;
            continue;
        }
        const int g = (int) (rng() % ngid);
        for (std::size_t p = 0; p < built[(std::size_t) g].size(); ++p) {
            const int si = built[(std::size_t) g][p].syn;
            expected.emplace_back(ts + delay[(std::size_t) si], seq + p, si);
        }
        ncq::push_spike(q, out, ts, g, 0, seq);
        seq += built[(std::size_t) g].size();
    }
    std::sort(expected.begin(), expected.end());
    std::vector<int> got;
    std::vector<ncq::Target> due;
    *ties = 0;
    while (!q.empty()) {
        const ncq::Event e = q.top();
        if (e.type != ncq::ARRIVAL) {
            q.pop();
            got.push_back(e.syn);
            continue;
        }
        ncq::take_arrivals(q, out, due);
        *ties += due.size() > 1;
        for (const ncq::Target& a : due) {
            if (e.ts + delay[(std::size_t) a.syn] != e.when || a.post != post[(std::size_t) a.syn]) { return 0; }
            got.push_back(a.syn);
        }
    }
    if (got.size() != expected.size()) { return 0; }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != std::get<2>(expected[i])) { return 0; }
    }
    return 1;
}
