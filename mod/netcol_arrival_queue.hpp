/* The rank engine's event queue (NetcolColumn): a binary min-heap in which each spike's
   synaptic arrivals wait as one event.

   A spike at ts from cell src (its gid) reaches each of its synapses onto the rank at ts +
   the synapse's delay.
   Queued one event per arrival, the heap held every arrival in flight (in a runaway, E
   cells at 70 Hz, its pops took half of the run's time).  Here a spike is one event, its
   next arrival: the outgoing lists are sorted by delay, and handling an arrival puts the
   spike's next in its place with one sift (replace_top).  The heap then holds the spikes
   in flight, which stay in the cache.

   The order is the one-event-per-arrival queue's, exactly: events are handled by (when,
   seq), seq counting the events in the order they were queued, a spike's arrivals each one
   in the order of its outgoing list as built (its place there, pos).  A spike's arrivals
   come by ascending delay; two of them at the same time (equal delays, or unequal ones
   whose sums with ts round to the same value) come together from take_arrivals, in the
   order built.  No two events tie, so the heap's layout cannot change the order. */
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace ncq {

/* What an event is: a synaptic arrival (of a spike, or a single one: deferred) or one of
   the engine's own kinds, which the queue only carries. */
enum { ARRIVAL = 0 };

/* An event: when it is handled and its order among events at that time (seq); type;
   cell, the target; syn, a single event's synapse.  A spike's (type ARRIVAL): its cell's
   gid in syn, its time ts and k, its next arrival's place in the sorted outgoing list. */
struct Event {
    double when;
    std::uint64_t seq;
    double ts;
    int type;
    int cell;
    int syn;
    int k;
    bool before(const Event& o) const { return when < o.when || (when == o.when && seq < o.seq); }
};

/* A binary min-heap of events by (when, seq). */
class Queue {
    std::vector<Event> h;
    void down(std::size_t i) {
        const Event e = h[i];
        const std::size_t n = h.size();
        for (std::size_t c = 2 * i + 1; c < n; c = 2 * i + 1) {
            if (c + 1 < n && h[c + 1].before(h[c])) { ++c; }
            if (!h[c].before(e)) { break; }
            h[i] = h[c];
            i = c;
        }
        h[i] = e;
    }

  public:
    bool empty() const { return h.empty(); }
    const Event& top() const { return h.front(); }
    void clear() { h.clear(); }
    void push(const Event& e) {
        std::size_t i = h.size();
        h.push_back(e);
        while (i > 0 && e.before(h[(i - 1) / 2])) {
            h[i] = h[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        h[i] = e;
    }
    void pop() {
        h.front() = h.back();
        h.pop_back();
        if (!h.empty()) { down(0); }
    }
    void replace_top(const Event& e) {
        h.front() = e;
        down(0);
    }
};

/* Each presynaptic cell's synapses onto the rank, by gid (syn), with each one's place in
   the list as built (pos); sort puts every list in ascending delay, ties in the order
   built. */
struct Outgoing {
    std::vector<std::vector<int>> syn, pos;
    bool sorted = true;

    void resize(std::size_t nsrc) {
        syn.resize(nsrc);
        pos.resize(nsrc);
    }
    void add(std::size_t src, int si) {
        pos.at(src).push_back((int) syn[src].size());
        syn[src].push_back(si);
        sorted = false;
    }
    /* delay(si): synapse si's delay */
    template <class Delay>
    void sort(Delay delay) {
        if (sorted) { return; }
        std::vector<std::size_t> order;
        for (std::size_t g = 0; g < syn.size(); ++g) {
            std::vector<int>& o = syn[g];
            std::vector<int>& p = pos[g];
            order.resize(o.size());
            for (std::size_t i = 0; i < o.size(); ++i) { order[i] = i; }
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                const double da = delay(o[a]), db = delay(o[b]);
                return da < db || (da == db && p[a] < p[b]);
            });
            std::vector<int> so(o.size()), sp(o.size());
            for (std::size_t i = 0; i < o.size(); ++i) {
                so[i] = o[order[i]];
                sp[i] = p[order[i]];
            }
            o.swap(so);
            p.swap(sp);
        }
        sorted = true;
    }
};

/* Queue the spike at ts of cell src (gid): its arrivals from the k-th in delay order on,
   numbered (seq) from base in the order built.  delay(si), post(si): synapse si's delay
   and target. */
template <class Delay, class Post>
void push_spike(Queue& q, const Outgoing& out, Delay delay, Post post, double ts, int src, std::size_t k,
                std::uint64_t base) {
    const std::vector<int>& o = out.syn[(std::size_t) src];
    if (k < o.size()) {
        q.push(Event{ts + delay(o[k]), base + (std::uint64_t) out.pos[(std::size_t) src][k], ts, ARRIVAL, post(o[k]), src,
                     (int) k});
    }
}

/* The top event, a spike's arrival, with any others of it at the same time, into due (its
   synapses, in the order built); the spike's next arrival takes its place. */
template <class Delay, class Post>
void take_arrivals(Queue& q, const Outgoing& out, Delay delay, Post post, std::vector<int>& due) {
    const Event e = q.top();
    const std::vector<int>& o = out.syn[(std::size_t) e.syn];
    const std::vector<int>& pos = out.pos[(std::size_t) e.syn];
    const std::size_t k = (std::size_t) e.k;
    std::size_t end = k + 1;
    while (end < o.size() && e.ts + delay(o[end]) == e.when) { ++end; }
    const std::uint64_t base = e.seq - (std::uint64_t) pos[k];
    if (end < o.size()) {
        q.replace_top(Event{e.ts + delay(o[end]), base + (std::uint64_t) pos[end], e.ts, ARRIVAL, post(o[end]), e.syn,
                            (int) end});
    } else {
        q.pop();
    }
    due.clear();
    if (end == k + 1) {
        due.push_back(o[k]);
        return;
    }
    std::vector<std::size_t> same;
    for (std::size_t j = k; j < end; ++j) { same.push_back(j); }
    std::sort(same.begin(), same.end(), [&pos](std::size_t a, std::size_t b) { return pos[a] < pos[b]; });
    for (std::size_t j : same) { due.push_back(o[j]); }
}

}  // namespace ncq
