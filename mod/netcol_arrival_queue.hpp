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
#include <cstddef>
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

/* One of a presynaptic cell's synapses onto the rank, as an arrival needs it: its delay,
   target (a local cell), index and place in the cell's list as built (pos).  Kept in the
   list itself, so that a spike's arrivals read them in sequence. */
struct Target {
    double delay;
    int post;
    int syn;
    int pos;
};

/* Each presynaptic cell's synapses onto the rank, by gid; sort puts every list in
   ascending delay, ties in the order built. */
struct Outgoing {
    std::vector<std::vector<Target>> of;
    bool sorted = true;

    void resize(std::size_t nsrc) { of.resize(nsrc); }
    void add(std::size_t src, int syn, int post, double delay) {
        std::vector<Target>& o = of.at(src);
        o.push_back(Target{delay, post, syn, (int) o.size()});
        sorted = false;
    }
    void sort() {
        if (sorted) { return; }
        for (std::vector<Target>& o : of) {
            std::sort(o.begin(), o.end(), [](const Target& a, const Target& b) {
                return a.delay < b.delay || (a.delay == b.delay && a.pos < b.pos);
            });
        }
        sorted = true;
    }
};

/* Queue the spike at ts of cell src (gid): its arrivals from the k-th in delay order on,
   numbered (seq) from base in the order built.  Its first arrival (null: none), which the
   caller may fetch ahead. */
inline const Target* push_spike(Queue& q, const Outgoing& out, double ts, int src, std::size_t k, std::uint64_t base) {
    const std::vector<Target>& o = out.of[(std::size_t) src];
    if (k >= o.size()) { return nullptr; }
    q.push(Event{ts + o[k].delay, base + (std::uint64_t) o[k].pos, ts, ARRIVAL, o[k].post, src, (int) k});
    return &o[k];
}

/* The top event, a spike's arrival, with any others of it at the same time, into due (in
   the order built); the spike's next arrival takes its place, and is returned (null:
   none) for the caller to fetch ahead. */
inline const Target* take_arrivals(Queue& q, const Outgoing& out, std::vector<Target>& due) {
    const Event e = q.top();
    const std::vector<Target>& o = out.of[(std::size_t) e.syn];
    const std::size_t k = (std::size_t) e.k;
    std::size_t end = k + 1;
    while (end < o.size() && e.ts + o[end].delay == e.when) { ++end; }
    const std::uint64_t base = e.seq - (std::uint64_t) o[k].pos;
    if (end < o.size()) {
        q.replace_top(Event{e.ts + o[end].delay, base + (std::uint64_t) o[end].pos, e.ts, ARRIVAL, o[end].post, e.syn,
                            (int) end});
    } else {
        q.pop();
    }
    due.assign(o.begin() + (std::ptrdiff_t) k, o.begin() + (std::ptrdiff_t) end);
    if (due.size() > 1) {
        std::sort(due.begin(), due.end(), [](const Target& a, const Target& b) { return a.pos < b.pos; });
    }
    return end < o.size() ? &o[end] : nullptr;
}

}  // namespace ncq
