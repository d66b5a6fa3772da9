COMMENT
NetcolColumn: all of a rank's column cells (the NetcolIntf6 cell, shared/spec/intf6.md) in
one mechanism with its own queue, so that synaptic arrivals cost a sift in a small heap
each instead of a NEURON queue event (a spike's arrivals wait in it as one event:
netcol_arrival_queue.hpp), and the drive costs none.

The cells are the core's (netcol_intf6_core.hpp): the same nc::Cell and the same functions
as NetcolIntf6's (the drive streams, arrivals, the threshold stage, the sensor and scaling
steps with the delivery callbacks, STDP, played-back input, and the events' work,
nc::apply_event), so the spikes are the same bit for bit.  This file is the per-rank
shell: the cells, synapses and queue of a rank, the exchange with other ranks and the
calls from Python.  It runs the drive, synapses, spikes, activity sensors, synaptic
scaling, deletion (kill: dead cells, cut synapses; set_drive_gain: the external
scale-down; set_outgoing_delays), trials (each cell's trial starts are events of its
queue), STDP (set_plastic: each synapse's rule; its state in plain per-synapse arrays,
ColPlastic, which plastic_gains reads), played-back input (set_playback: the training
signal, refilled ahead by Python), checkpoints (get_state, set_state, resume), the GUI
(set_scaling and set_stdp, its live switches; restart, at every init; its cell browser
reads a cell with value_at) and reference mode with each of the original's quirks: its
MCellRan4 streams (set_original), stream caps (set_caps), the settings' quirks
(set_settings) and chained arrival times (set_chain, set_groups: an arrival of a later
group of its presynaptic cell's delivery chain is deferred, when the chain's first
callback comes, to its group's time, an event of type COL_DEFERRED, as NetcolIntf6 defers
it with flag 5).

Time runs in windows of `epoch` ms: the shortest synaptic delay in whole steps of the
fixed step, NEURON's spike-exchange interval (the listening NetCons carry it as their
delay).  Within a window no cell hears of another's spike, so each cell runs alone:
nc::run_until applies its drive inputs, played-back entries and refractory end one at a
time in time order (each an event of its own, which is what NetcolIntf6's planned drive
events stand for, hence the same bits, with no planning and no queue operation).  The
queue holds the arrivals, trial starts and control events: each is handled in time order
after its cell has run up to it, and at the window's end every cell runs up to it.  At
t = k epoch, after that time's exchange, the mechanism takes the remote spikes NEURON has
recorded (listen_records) and handles the window before t; a protocol action at t, or
the run loop after a block, asks for the same first (handle_until), after which every
cell's state is at t.  A spike at t_s reaches its targets at t_s + delay >= t_s + epoch
(chained: at t_s + the chain's first delay, then deferred): local targets get it at once,
remote ranks through the cell's NetcolRelay, emitted when its cell runs past t_s
(NEURON's own t set to t_s for the call: NEURON refuses a spike before t), at the next
exchange, which comes before they handle events at t_s + delay.  A remote arrival before
the time already handled would be out of order: it stops the run with an error instead.
Protocol actions at times inside a window (records, deletion rounds, checkpoints), which
handle the events before their time first, have met none: tests/test_rank_engine.py runs
one at every step on 2 ranks.  A resume at t initialises with tstart = t: the windows run
from t, and resume queues the cells' trial starts and the spikes in flight (chained:
those deferred before t to a time at or after it too).
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetcolColumn
    RANGE pid, epoch, tstart
}

PARAMETER {
    epoch = 1 (ms)
    tstart = 0 (ms) : a resume's time: INITIAL leaves the cells to restore_state and resume
}

ASSIGNED {
    pid
}

VERBATIM
#undef exp
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>
#include <nrnran123.h>
#include "netcol_arrival_queue.hpp"
#include "netcol_intf6_core.hpp"

/* The queue's events (netcol_arrival_queue.hpp; each cell's drive inputs and refractory
   end are its own, run by nc::run_until): COL_ARRIVAL, a spike's arrivals; COL_TRIAL, the
   start of a cell's trial; COL_REREAD, a cell reads its played-back input again from the
   event's time on (after a refill found it with none left, as NetcolIntf6's control
   event); COL_DEFERRED, an arrival deferred to its place in its presynaptic cell's
   delivery chain */
enum { COL_ARRIVAL = ncq::ARRIVAL, COL_TRIAL = 1, COL_REREAD = 2, COL_DEFERRED = 3 };

/* A synapse: its receptor weights AM, NM, GA, GB, AM2, NM2, GA2, kind (nc::SYN_FROM_E or
   nc::SYN_FROM_I), and whether its presynaptic cell was deleted (its arrivals dropped,
   those in flight too); its target and delay are in its presynaptic cell's outgoing list
   (ncq::Target).  One cache line each, which an arrival reads whole. */
struct alignas(64) ColSyn { double w[7]; signed char kind; bool cut; };

/* The synapses' STDP state by synapse (the order of add_synapses), in plain arrays, empty
   when none is plastic (set_plastic fills them): nc::Plastic's fields (NetcolIntf6's weight
   slots 8 .. 14): the gain on AMPA, the presynaptic spike of the previous arrival, the last
   postsynaptic spike paired, the rule's increment (0: not plastic), time constant (ms) and
   bound, and the connection's delay (arrival - delay = the presynaptic spike; not the
   synapse's own delay when its arrivals are chained, which is the chain's first). */
struct ColPlastic { std::vector<double> gain, tpre, tdone, inc, tau, wmax, delay; };

struct ColEngine {
    std::vector<nc::Cell> cells;          /* the rank's cells (the core's, netcol_intf6_core.hpp) */
    std::vector<Point_process*> relays;   /* and each one's spike source */
    std::vector<ColSyn> syns;
    ncq::Outgoing out;   /* by presynaptic gid: its synapses onto this rank's cells */
    ColPlastic plastic;
    ncq::Queue q;
    std::vector<ncq::Target> due;   /* the arrivals being handled */
    std::uint64_t seq = 0;
    double handled = 0;   /* every event before this time (ms) has been handled */
    double span = 0;      /* the windows' length (ms, the mechanism's epoch): the shortest delay */
    double delmin = 0;    /* outgoing delays closer than this are one delivery callback */
    /* NetcolIntf6's module-wide settings; scaling switched on from ton by scaling_on, the
       plan horizon (the next time the protocol may change inputs) set by set_horizon. */
    nc::Settings settings;
    /* whether some cell needs the core's event path with every feature (nc::needs_full);
       else the engine runs the lean one, the same arithmetic in fewer instructions */
    bool full = false;
    /* chained arrival times (settings.chain, reference mode; see netcolintf6.mod's header):
       each presynaptic gid's chain (its delay differences, group 1 on; set_chain), and each
       synapse's presynaptic gid and group in that chain (set_groups) */
    std::vector<std::vector<double>> chains;
    std::vector<int> syn_pre, syn_group;
    IvocVect* rec_t = nullptr;
    IvocVect* rec_id = nullptr;

    ~ColEngine() {
        for (nc::Cell& c : cells) {
            for (nrnran123_State* r : c.rs) {
                if (r) { nrnran123_deletestream(r); }
            }
        }
    }

    /* a single event of cell (syn: a deferred arrival's synapse), counted as number s of
       the events queued */
    void push_at(double when, std::uint64_t s, int type, int cell, int syn) {
        q.push(ncq::Event{when, s, 0.0, type, cell, syn, -1});
    }

    void push(double when, int type, int cell, int syn) { push_at(when, seq++, type, cell, syn); }

    /* gid's spike at ts: its arrivals from the k-th in delay order on (ncq::push_spike),
       each counting one event queued */
    void push_spike(double ts, int gid, std::size_t k = 0) {
        fetch_ahead(ncq::push_spike(q, out, ts, gid, k, seq));
        seq += out.of[(std::size_t) gid].size();
    }

    /* cell c's drive streams, keyed as the build's (nc::key_streams; set_cells: a resume
       restores their ids and positions without an initialisation) */
    void make_streams(nc::Cell& c) {
        for (nrnran123_State*& r : c.rs) {
            if (!r) { r = nrnran123_newstream3(0, 0, 0); }
        }
        nc::key_streams(c, 0);
    }

    /* whether synapse si's arrival at its presynaptic cell's first callback is deferred to
       a later one of the chain (NetcolIntf6's flag 5) */
    bool defers(int si) const {
        return settings.chain && (std::size_t) si < syn_group.size() && syn_group[(std::size_t) si] > 0;
    }

    /* the time its group's callback comes, when the first comes at tt, summed as
       NetcolIntf6 sums it and landed as its net_send lands it: tt + (chained - tt) */
    double deferred(int si, double tt) const {
        const double a = nc::chained_arrival(tt, chains[(std::size_t) syn_pre[(std::size_t) si]],
                                             syn_group[(std::size_t) si]);
        return tt + (a - tt);
    }

    /* what the core asks for after an event of cell ci at te (its drive and refractory
       end are its own: nc::run_until runs them) */
    void enact(int ci, double te, int todo) {
        nc::Cell& c = cells[ci];
        if (todo & nc::DO_NEXT_TRIAL) { push(te + c.trial_ms, COL_TRIAL, ci, -1); }
        if (todo & nc::DO_SPIKE) { spike(ci, te); }
        if ((todo & nc::DO_RESEND) && c.trial_ms > 0) {   /* after a resume: the next trial start */
            push((c.trial_k + 1) * c.trial_ms, COL_TRIAL, ci, -1);
        }
    }

    void spike(int ci, double ts) {
        nc::Cell& c = cells[ci];
        const double now = t;   /* NEURON refuses a spike before its t: it is set for the call */
        t = ts;
        nrn_net_event(relays[ci], ts);
        t = now;
        push_spike(ts, (int) c.cell_gid);
    }

    void initialize() {
        q.clear();
        seq = 0;
        handled = 0;
        settings.scaling_active = false;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            nc::Cell& c = cells[i];
            for (nrnran123_State* r : c.rs) { nrnran123_setseq(r, 0, 0); }
            nc::init(c, settings, 0.0);
            if (c.trial_ms > 0) { push(0.0, COL_TRIAL, (int) i, -1); }   /* the first trial starts at 0 */
        }
        for (std::size_t i = 0; i < plastic.gain.size(); ++i) {
            nc::plastic_init(settings, syns[i].kind, plastic.gain[i], plastic.tpre[i], plastic.tdone[i]);
        }
        full = needs_full();
    }

    /* synapse si's STDP state for the core, in pl (null: it has none) */
    const nc::Plastic* plastic_of(int si, nc::Plastic& pl) {
        if (plastic.gain.empty()) { return nullptr; }
        const std::size_t i = (std::size_t) si;
        pl = nc::Plastic{&plastic.gain[i], plastic.inc[i], plastic.tau[i], plastic.wmax[i], plastic.delay[i],
                         &plastic.tpre[i], &plastic.tdone[i]};
        return &pl;
    }

    /* whether some cell needs the core's event path with every feature, or the synapses
       have STDP state: the lean path reads no gains and keeps no spike ring, whose
       pairings STDP switched on during a run (the GUI's) or a run after it needs */
    bool needs_full() const {
        return !plastic.gain.empty() ||
               std::any_of(cells.begin(), cells.end(), [this](const nc::Cell& c) { return nc::needs_full(c, settings); });
    }

    /* every event before t_end, in time order (see the COMMENT) */
    void advance(double t_end) {
        if (full) { advance_<true>(t_end); } else { advance_<false>(t_end); }
    }

    /* cell i's data on its way to the cache while the cell before it runs: beyond the
       caches (from about 10,000 cells) waiting for each cell's data was a quarter of the
       run (size 32 and 128 ran 1.3 times faster with it) */
    void prefetch(std::size_t i) const {
        const char* at = reinterpret_cast<const char*>(&cells[i]);
        for (std::size_t off = 0; off < sizeof(nc::Cell); off += 64) { __builtin_prefetch(at + off); }
    }

    /* the next event's cell on its way to the cache while this one is handled */
    void prefetch_next() const {
        if (!q.empty()) { prefetch((std::size_t) q.top().cell); }
    }

    /* a queued arrival's synapse on its way to the cache from when it is queued (waiting
       for it when the arrival came was a third of a busy column's time) */
    void fetch_ahead(const ncq::Target* a) const {
        if (a) { __builtin_prefetch(&syns[(std::size_t) a->syn]); }
    }

    /* an event of cell ci at te (syn: an arrival's synapse), the cell run up to it first */
    template <bool FULL>
    void handle(int type, int ci, int syn, double te) {
        nc::Cell& c = cells[(std::size_t) ci];
        run_cell<FULL>((std::size_t) ci, te);
        if (FULL && c.dead) { return; }
        bool all = false;
        int todo;
        if (type == COL_TRIAL) {
            todo = nc::apply_event<FULL>(c, settings, nc::EV_TRIAL, te, nullptr, all);
        } else if (type == COL_REREAD) {
            todo = nc::apply_event<FULL>(c, settings, nc::EV_REREAD, te, nullptr, all);
        } else {
            if (FULL && type == COL_ARRIVAL && defers(syn)) {   /* read at the first callback, as NetcolIntf6 does */
                push(deferred(syn, te), COL_DEFERRED, ci, syn);
                return;
            }
            const ColSyn& s = syns[(std::size_t) syn];
            if (s.cut) { return; }
            nc::Plastic pl;
            const nc::Synapse y{s.kind, s.w, s.cut, FULL ? plastic_of(syn, pl) : nullptr};
            todo = nc::apply_event<FULL>(c, settings, nc::EV_SYNAPSE, te, &y, all);
        }
        enact(ci, te, todo);
    }

    /* local cell i's own events before tt, its spikes emitted */
    template <bool FULL>
    void run_cell(std::size_t i, double tt) {
        nc::run_until<FULL>(cells[i], settings, tt, [this, i](double ts) { spike((int) i, ts); });
    }

    template <bool FULL>
    void advance_(double t_end) {
        if (rec_t) {   /* remote spikes (all recorded ones are of earlier windows) */
            const int n = vector_capacity(rec_t);
            const double* ts = vector_vec(rec_t);
            const double* id = vector_vec(rec_id);
            for (int j = 0; j < n; ++j) {
                const std::vector<ncq::Target>& o = out.of[(std::size_t) id[j]];
                if (!o.empty() && ts[j] + o[0].delay < handled) {   /* never silently out of order (o[0]: the first) */
                    char msg[200];
                    std::snprintf(msg, sizeof msg, "a remote spike's arrival at %.17g ms came after the events "
                                  "to %.17g ms were handled; run with engine = 'cells'", ts[j] + o[0].delay, handled);
                    hoc_execerror("NetcolColumn:", msg);
                }
                push_spike(ts[j], (int) id[j]);
            }
            vector_resize(rec_t, 0);
            vector_resize(rec_id, 0);
        }
        /* windows no longer than the shortest delay, within which no cell hears of another's spike */
        while (handled < t_end) {
            const double stop = span > 0 && t_end - handled > span ? handled + span : t_end;
            run_window<FULL>(stop);
            handled = stop;
        }
    }

    /* every event before stop in time order, each cell run up to its events first and all
       of them to stop at the end: a spike's arrivals come at or after stop */
    template <bool FULL>
    void run_window(double stop) {
        while (!q.empty() && q.top().when < stop) {
            const ncq::Event e = q.top();
            if (e.type != COL_ARRIVAL) {
                q.pop();
                prefetch_next();
                handle<FULL>(e.type, e.cell, e.syn, e.when);
                continue;
            }
            fetch_ahead(ncq::take_arrivals(q, out, due));
            prefetch_next();
            for (const ncq::Target& a : due) { handle<FULL>(COL_ARRIVAL, a.post, a.syn, e.when); }
        }
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i + 1 < cells.size()) { prefetch(i + 1); }
            run_cell<FULL>(i, stop);
        }
    }

    /* scaling on (its steps from ton) or off from tt, every event before tt handled with
       the old setting first: a switch that takes effect now, as NetcolIntf6's module-wide
       one does (it reads it at every event) */
    void set_scaling(double tt, bool on, double ton) {
        advance(tt);
        settings.scaling_active = on;
        settings.ton = ton;
    }

    /* STDP on or off from tt (its synapses' state makes the event path the full one) */
    void set_stdp(double tt, bool on) {
        advance(tt);
        settings.stdp = on;
    }

    /* the column as built, for a new run from t = 0 (the GUI's init; INITIAL then brings
       the cells back to life): every synapse uncut, each cell's drive at full gain and its
       streams keyed as make_streams keys them, from their start */
    void restart() {
        for (ColSyn& s : syns) { s.cut = false; }
        for (nc::Cell& c : cells) {
            c.drive_gain = 1;
            nc::key_streams(c, 0);
        }
    }

    /* delete local cells (indices) and drop every arrival from the deleted cells (gids,
       local or not) at t: every event before t handled first, each local one caught up */
    void kill(double tt, const double* local, int n_local, const double* gids, int n_gids) {
        advance(tt);
        for (int j = 0; j < n_local; ++j) { cells.at((std::size_t) local[j]).dead = true; }
        for (int j = 0; j < n_gids; ++j) {
            for (const ncq::Target& a : out.of.at((std::size_t) gids[j])) { syns[(std::size_t) a.syn].cut = true; }
        }
        full = full || n_local > 0;
    }
};
static std::vector<std::unique_ptr<ColEngine>> col_engines;
static ColEngine* col_engine(double id) { return col_engines.at((std::size_t) id).get(); }

/* Every local cell's state name into v (set: from v), size values per cell: the core's
   state by name and what the engine keeps beside it (see get_state). */
static void col_state(ColEngine& E, const char* name, IvocVect* v, bool set) {
    const bool ids = std::strcmp(name, "rxids") == 0, seqs = std::strcmp(name, "rxseq") == 0;
    const bool gain = std::strcmp(name, "xgain") == 0, count = std::strcmp(name, "count") == 0;
    const int core = nc::state_size(name);
    const int size = ids ? 12 : (seqs || count) ? 4 : gain ? 1 : core == 0 ? 1 : core;
    if (!(ids || seqs || gain || count) && core < 0) { hoc_execerror("NetcolColumn: no such state:", name); }
    const std::size_t n = E.cells.size();
    if (set && (std::size_t) vector_capacity(v) != n * (std::size_t) size) {
        hoc_execerror("NetcolColumn.set_state: wrong number of values for", name);
    }
    if (!set) { vector_resize(v, (int) (n * (std::size_t) size)); }
    double* x = vector_vec(v);
    for (std::size_t i = 0; i < n; ++i) {
        nc::Cell& c = E.cells[i];
        double* row = x + i * (std::size_t) size;
        for (int k = 0; k < size; ++k) {
            if (ids) {
                std::uint32_t id[3];
                nrnran123_State* r = c.rs[k / 3];
                nrnran123_getids(r, &id[0], &id[1], &id[2]);
                if (set && k % 3 == 2) {
                    nrnran123_setids(r, (std::uint32_t) row[k - 2], (std::uint32_t) row[k - 1], (std::uint32_t) row[k]);
                } else if (!set) {
                    row[k] = id[k % 3];
                }
            } else if (seqs) {
                if (set) {
                    nrnran123_setseq(c.rs[k], row[k]);
                } else {
                    std::uint32_t sq;
                    char which;
                    nrnran123_getseq(c.rs[k], &sq, &which);
                    row[k] = (double) sq * 4 + which;
                }
            } else if (gain) {
                if (set) { c.drive_gain = row[k]; } else { row[k] = c.drive_gain; }
            } else if (count) {
                if (set) { c.count[k] = row[k]; } else { row[k] = c.count[k]; }
            } else if (set) {
                nc::state_set(c, name, k, row[k]);
            } else {
                nc::state_get(c, name, k, row[k]);
            }
        }
    }
}
ENDVERBATIM

INITIAL {
VERBATIM
    ColEngine& E = *col_engine(pid);
    E.span = epoch;
    E.out.sort();
    if (tstart == 0) {
        E.initialize();
    } else {   /* a resume's: its windows run from tstart (nothing before it is run again) */
        E.q.clear();
        E.seq = 0;
        E.handled = tstart;
    }
ENDVERBATIM
    net_send(tstart + epoch, 1)
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
    ColEngine& E = *col_engine(pid);
    E.cells.emplace_back();
    E.cells.back().cell_gid = _lgid;
    E.relays.push_back(ob2pntproc(*hoc_objgetarg(2)));
ENDVERBATIM
}

: set_cells(seed, delmin, par, streams, counts, delays): every local cell's parameters,
: in the order of add_cell (Vectors, one row per cell):
: - par: 24 values, NcPar's 19 (netcol_intf6_math.hpp, the table flag last), then refrac,
:   RRWght, ahpwt, AHP2REF, inhib;
: - streams: 4 drive streams of (rate Hz, weight, receptor slot), keyed by the drive seed
:   as the build's (nc::key_streams) from their start;
: - counts and delays: the cell's number of outgoing delays, then the delays themselves
:   (kept distinct beyond delmin, ascending), for the scaling steps of its delivery callbacks
PROCEDURE set_cells(seed, delmin) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const double* par = vector_vec(vector_arg(3));
    const double* streams = vector_vec(vector_arg(4));
    const double* counts = vector_vec(vector_arg(5));
    const double* delays = vector_vec(vector_arg(6));
    E.delmin = _ldelmin;
    for (nc::Cell& c : E.cells) {
        const double* a = par;
        c.p = NcPar{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14],
                    a[15], a[16], a[17], (int) a[18]};
        c.refrac_ms = a[19]; c.rr_weight = a[20]; c.ahp_step = a[21]; c.ahp2ref = a[22];
        c.inhibitory = a[23] != 0;
        par += 24;
        c.drive_seed_ = _lseed;
        for (int k = 0; k < 4; ++k) {
            c.xr[k] = streams[3 * k]; c.xw[k] = streams[3 * k + 1]; c.xs[k] = (int) streams[3 * k + 2];
        }
        streams += 12;
        const int n = (int) *counts++;
        c.odel = nc_distinct_delays(delays, n, _ldelmin);
        delays += n;
        E.make_streams(c);
    }
ENDVERBATIM
}

: set_settings(v): NetcolIntf6's module-wide settings, in nc::settings_from's order (a Vector)
PROCEDURE set_settings() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(1);
    if (vector_capacity(v) != nc::NSETTINGS) { hoc_execerror("NetcolColumn.set_settings:", "wrong number of settings"); }
    E.settings = nc::settings_from(vector_vec(v));
    E.settings.horizon = nc::NEVER;
ENDVERBATIM
}

: add_synapses(cell, pre, delay, w, kind): synapses, in the order given (Vectors): synapse k
: from gid pre[k] onto local cell cell[k] (its index in the order of add_cell), with
: delay[k] and kind[k] (1: from an E cell, 2: from an I cell); w holds its 7 receptor
: weights AM, NM, GA, GB, AM2, NM2, GA2 at 7 k .. 7 k + 6
PROCEDURE add_synapses() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* cv = vector_arg(1);
    const double* cell = vector_vec(cv);
    const double* pre = vector_vec(vector_arg(2));
    const double* delay = vector_vec(vector_arg(3));
    const double* w = vector_vec(vector_arg(4));
    const double* kind = vector_vec(vector_arg(5));
    const std::size_t n = (std::size_t) vector_capacity(cv);
    E.syns.reserve(E.syns.size() + n);
    for (std::size_t k = 0; k < n; ++k) {
        const double* wk = w + 7 * k;
        E.syns.push_back(ColSyn{{wk[0], wk[1], wk[2], wk[3], wk[4], wk[5], wk[6]}, (signed char) kind[k], false});
        E.out.add((std::size_t) pre[k], (int) E.syns.size() - 1, (int) cell[k], delay[k]);
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

: cell_value(i, k): local cell i's activity sensor (k = 0, 1/ms, as of tu), tu (k = 1,
: ms), goal (k = 2, 1/ms; -1 until scaling sets it), scale factor (k = 3) or whether it
: was deleted (k = 4)
FUNCTION cell_value(i, k) {
VERBATIM
    const nc::Cell& c = col_engine(pid)->cells.at((std::size_t) _li);
    const int k = (int) _lk;
    _lcell_value = k == 0 ? c.act : k == 1 ? c.tu : k == 2 ? c.goal : k == 3 ? c.sfac : (double) c.dead;
ENDVERBATIM
}

: value_at(i, k, tt): what a recording reads of local cell i at tt (after handle_until(tt)),
: as NetcolIntf6's value_at (nc::value_at's codes)
FUNCTION value_at(i, k, tt) {
VERBATIM
    const ColEngine& E = *col_engine(pid);
    _lvalue_at = nc::value_at(E.cells.at((std::size_t) _li), E.settings, (int) _lk, _ltt);
ENDVERBATIM
}

: set_horizon(h): the next time (ms) the protocol may change the cells' inputs, up to which
: they plan their drive (NetcolIntf6's plan_horizon)
PROCEDURE set_horizon(h) {
VERBATIM
    col_engine(pid)->settings.horizon = _lh;
ENDVERBATIM
}

: set_trials(trial_ms): stimulus trials of trial_ms from t = 0 (0: none; before INITIAL):
: each cell re-keys and restarts its drive streams at every trial start (nc::start_trial)
PROCEDURE set_trials(trial_ms) {
VERBATIM
    for (nc::Cell& c : col_engine(pid)->cells) { c.trial_ms = _ltrial_ms; }
ENDVERBATIM
}

: kill(tt, local, gids): delete cells at tt (Vectors): local cells by index (in the order of
: add_cell), and every arrival from the cells gids (local or not) dropped, those in flight
: too; every event before tt is handled first
PROCEDURE kill(tt) {
VERBATIM
    IvocVect* lv = vector_arg(2);
    IvocVect* gv = vector_arg(3);
    col_engine(pid)->kill(_ltt, vector_vec(lv), vector_capacity(lv), vector_vec(gv), vector_capacity(gv));
ENDVERBATIM
}

: set_drive_gain(g): every local cell's drive gain (the external scale-down of deletion
: rounds; handle_until first, so that the inputs before now keep the old gain)
PROCEDURE set_drive_gain(g) {
VERBATIM
    for (nc::Cell& c : col_engine(pid)->cells) { c.drive_gain = _lg; }
ENDVERBATIM
}

: set_outgoing_delays(i, delays): local cell i's outgoing delays (a Vector; kept distinct
: beyond delmin), for the scaling steps of its delivery callbacks
PROCEDURE set_outgoing_delays(i) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(2);
    E.cells.at((std::size_t) _li).odel = nc_distinct_delays(vector_vec(v), vector_capacity(v), E.delmin);
ENDVERBATIM
}


: handle_until(tt): handle every event before tt (after a block, so that its spikes are out;
: before Python reads or changes cells, whose state is then at tt)
PROCEDURE handle_until(tt) {
VERBATIM
    col_engine(pid)->advance(_ltt);
ENDVERBATIM
}

: set_scaling(tt, on, ton): synaptic scaling on (its steps from ton, ms) or off (on = 0)
: from tt (ms); every event before tt is handled first (the protocol switches it on at
: ton = tt, the GUI on or off at any time)
PROCEDURE set_scaling(tt, on, ton) {
VERBATIM
    col_engine(pid)->set_scaling(_ltt, _lon != 0, _lton);
ENDVERBATIM
}

: set_stdp(tt, on): STDP on or off from tt (ms; the GUI's live switch), every event before
: tt handled with the old setting (the synapses' STDP state needs set_plastic)
PROCEDURE set_stdp(tt, on) {
VERBATIM
    col_engine(pid)->set_stdp(_ltt, _lon != 0);
ENDVERBATIM
}

: restart(): the column as built, for a new run from t = 0 (the GUI's init, before
: INITIAL): every synapse uncut, each cell's drive gain 1 and its streams rewound
PROCEDURE restart() {
VERBATIM
    col_engine(pid)->restart();
ENDVERBATIM
}

: get_state(name, v): every local cell's state name, in the order of add_cell, size values
: each: nc::state_get's names (size nc::state_size), and xgain (the drive gain), count (4:
: each stream's events drawn), rxids (12: each stream's Random123 ids), rxseq (4: each
: stream's position, seq * 4 + which); set_state(name, v) sets them
PROCEDURE get_state() {
VERBATIM
    col_state(*col_engine(pid), hoc_gargstr(1), vector_arg(2), false);
ENDVERBATIM
}

PROCEDURE set_state() {
VERBATIM
    col_state(*col_engine(pid), hoc_gargstr(1), vector_arg(2), true);
ENDVERBATIM
}

: resume(t, tvec, gidvec): after INITIAL with tstart = t (every event before t counts as
: handled) and set_state: each cell catches up to t and queues its next trial start, and
: the spikes (tvec, gidvec: every spike, local or not, that may still be in flight) queue
: their arrivals at or after t
PROCEDURE resume(t) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const double tt = _lt;
    E.full = E.needs_full();
    for (std::size_t i = 0; i < E.cells.size(); ++i) {
        nc::Cell& c = E.cells[i];
        if (c.dead) { continue; }
        bool all = false;
        const int todo = E.full ? nc::apply_event<true>(c, E.settings, nc::EV_RESEND, tt, nullptr, all)
                                : nc::apply_event<false>(c, E.settings, nc::EV_RESEND, tt, nullptr, all);
        E.enact((int) i, tt, todo);
    }
    IvocVect* tv = vector_arg(2);
    const double* ts = vector_vec(tv);
    const double* id = vector_vec(vector_arg(3));
    for (int j = 0; j < vector_capacity(tv); ++j) {
        const std::size_t g = (std::size_t) id[j];
        const std::vector<ncq::Target>& o = E.out.of.at(g);
        std::size_t k = 0;   /* the arrivals before t, first in delay order */
        for (; k < o.size() && ts[j] + o[k].delay < tt; ++k) {
            const double arrival = ts[j] + o[k].delay;
            if (E.defers(o[k].syn) && E.deferred(o[k].syn, arrival) >= tt) {   /* deferred before t, due after it */
                E.push_at(E.deferred(o[k].syn, arrival), E.seq + (std::uint64_t) o[k].pos, COL_DEFERRED, o[k].post,
                          o[k].syn);
            }
        }
        E.push_spike(ts[j], (int) g, k);
    }
ENDVERBATIM
}

: set_original(v): reference mode's drive streams for every local cell, in the order of
: add_cell (a Vector, 8 values per cell): stream k is the original's NetStim of index jk
: seeded bk at construction, as b0 .. b3, j0 .. j3 (NetcolIntf6's set_original_streams)
PROCEDURE set_original() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(1);
    if ((std::size_t) vector_capacity(v) != 8 * E.cells.size()) {
        hoc_execerror("NetcolColumn.set_original:", "wrong number of values");
    }
    const double* x = vector_vec(v);
    for (nc::Cell& c : E.cells) {
        c.original = true;
        std::copy(x, x + 4, c.seed);
        std::copy(x + 4, x + 8, c.source);
        x += 8;
    }
ENDVERBATIM
}

: set_caps(v): every local cell's stream caps, in the order of add_cell (a Vector, 4 per
: cell; negative: none): stream k ends after its cap's events while capped is set
: (NetcolIntf6's set_caps)
PROCEDURE set_caps() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(1);
    if ((std::size_t) vector_capacity(v) != 4 * E.cells.size()) {
        hoc_execerror("NetcolColumn.set_caps:", "wrong number of values");
    }
    const double* x = vector_vec(v);
    for (nc::Cell& c : E.cells) {
        std::copy(x, x + 4, c.cap);
        x += 4;
    }
ENDVERBATIM
}

: set_chain(pregid, diffs): the delivery chain of presynaptic cell pregid (a Vector: each
: callback's delay minus the previous one's, from the second on), as NetcolIntf6's set_chain
PROCEDURE set_chain(pregid) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(2);
    E.chains.resize(E.out.of.size());
    E.chains.at((std::size_t) _lpregid).assign(vector_vec(v), vector_vec(v) + vector_capacity(v));
ENDVERBATIM
}

: set_groups(v): each synapse's group in its presynaptic cell's delivery chain, in the order
: of add_synapses (a Vector; -1: none, its target is dead): an arrival of group g > 0 is
: deferred from the chain's first callback to its g-th (chained arrival times)
PROCEDURE set_groups() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(1);
    if ((std::size_t) vector_capacity(v) != E.syns.size()) {
        hoc_execerror("NetcolColumn.set_groups:", "wrong number of values");
    }
    const double* x = vector_vec(v);
    E.syn_group.assign(x, x + E.syns.size());
    if (E.syn_pre.size() != E.syns.size()) {   /* each synapse's presynaptic gid, from the fan-out lists */
        E.syn_pre.assign(E.syns.size(), 0);
        for (std::size_t g = 0; g < E.out.of.size(); ++g) {
            for (const ncq::Target& a : E.out.of[g]) { E.syn_pre[(std::size_t) a.syn] = (int) g; }
        }
    }
ENDVERBATIM
}

: set_plastic(inc, tau, wmax, delay): every synapse's STDP rule, in the order of
: add_synapses (Vectors, one value per synapse): increment (0: not plastic), time constant
: (ms), bound and the connection's delay (ms), as NetcolIntf6's weight slots 9 .. 12 (its
: state is reset at INITIAL)
PROCEDURE set_plastic() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const std::size_t n = E.syns.size();
    std::vector<double>* rule[4] = {&E.plastic.inc, &E.plastic.tau, &E.plastic.wmax, &E.plastic.delay};
    for (int j = 0; j < 4; ++j) {
        IvocVect* v = vector_arg(j + 1);
        if ((std::size_t) vector_capacity(v) != n) { hoc_execerror("NetcolColumn.set_plastic:", "one value per synapse"); }
        rule[j]->assign(vector_vec(v), vector_vec(v) + n);
    }
    /* as NetcolIntf6's slots are built; INITIAL resets them (nc::plastic_init) */
    E.plastic.gain.assign(n, 1.0);
    E.plastic.tpre.assign(n, 0.0);
    E.plastic.tdone.assign(n, 0.0);
ENDVERBATIM
}

: plastic_gains(syn, out): the stored STDP gains of synapses syn (Vectors; indices in the
: order of add_synapses) into out, 1 for a synapse without STDP state (as NetcolIntf6's
: gain slot)
PROCEDURE plastic_gains() {
VERBATIM
    const ColEngine& E = *col_engine(pid);
    IvocVect* sv = vector_arg(1);
    IvocVect* ov = vector_arg(2);
    const int n = vector_capacity(sv);
    vector_resize(ov, n);
    const double* si = vector_vec(sv);
    double* o = vector_vec(ov);
    for (int k = 0; k < n; ++k) {
        const std::size_t i = (std::size_t) si[k];
        if (i >= E.syns.size()) { hoc_execerror("NetcolColumn.plastic_gains:", "no such synapse"); }
        o[k] = E.plastic.gain.empty() ? 1.0 : E.plastic.gain[i];
    }
ENDVERBATIM
}

: plastic_state(gain, tpre, tdone): every synapse's STDP state (Vectors, in the order of
: add_synapses), as nc::plastic_init leaves it for a synapse without STDP state;
: set_plastic_state(gain, tpre, tdone) sets it (a resume's; only after set_plastic)
PROCEDURE plastic_state() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const std::size_t n = E.syns.size();
    double* x[3];
    for (int j = 0; j < 3; ++j) {
        IvocVect* v = vector_arg(j + 1);
        vector_resize(v, (int) n);
        x[j] = vector_vec(v);
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (E.plastic.gain.empty()) {   /* as built (gain 1), then as nc::plastic_init leaves it */
            x[0][i] = 1;
            nc::plastic_init(E.settings, E.syns[i].kind, x[0][i], x[1][i], x[2][i]);
        } else {
            x[0][i] = E.plastic.gain[i]; x[1][i] = E.plastic.tpre[i]; x[2][i] = E.plastic.tdone[i];
        }
    }
ENDVERBATIM
}

PROCEDURE set_plastic_state() {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const std::size_t n = E.syns.size();
    std::vector<double>* state[3] = {&E.plastic.gain, &E.plastic.tpre, &E.plastic.tdone};
    if (E.plastic.gain.empty()) { hoc_execerror("NetcolColumn.set_plastic_state:", "no STDP state (set_plastic)"); }
    for (int j = 0; j < 3; ++j) {
        IvocVect* v = vector_arg(j + 1);
        if ((std::size_t) vector_capacity(v) != n) { hoc_execerror("NetcolColumn.set_plastic_state:", "one value per synapse"); }
        state[j]->assign(vector_vec(v), vector_vec(v) + n);
    }
ENDVERBATIM
}

: cut_flags(v): whether each synapse's presynaptic cell was deleted (1) or not (0), in the
: order of add_synapses
PROCEDURE cut_flags() {
VERBATIM
    const ColEngine& E = *col_engine(pid);
    IvocVect* v = vector_arg(1);
    vector_resize(v, (int) E.syns.size());
    double* x = vector_vec(v);
    for (std::size_t k = 0; k < E.syns.size(); ++k) { x[k] = E.syns[k].cut ? 1 : 0; }
ENDVERBATIM
}

: playback_positions(out): each local cell's next played-back entry (its index in what
: set_playback gave it), in the order of add_cell, into out (a Vector)
PROCEDURE playback_positions() {
VERBATIM
    const ColEngine& E = *col_engine(pid);
    IvocVect* ov = vector_arg(1);
    vector_resize(ov, (int) E.cells.size());
    double* o = vector_vec(ov);
    for (std::size_t i = 0; i < E.cells.size(); ++i) { o[i] = (double) E.cells[i].pbi; }
ENDVERBATIM
}

: set_playback(tt, reread, counts, times, slots, weights): every local cell's played-back
: input (Vectors; in the order of add_cell, counts[i] entries each, their times absolute and
: ascending), replacing what it had and read from its first entry on, as NetcolIntf6's
: set_playback followed by pbi = 0; with reread, a cell that had no entry left at tt (now)
: reads its new ones from tt on, an event at tt (as NetcolIntf6's control event
: CONTROL_REREAD_PLAYBACK)
PROCEDURE set_playback(tt, reread) {
VERBATIM
    ColEngine& E = *col_engine(pid);
    const double* counts = vector_vec(vector_arg(3));
    const double* ts = vector_vec(vector_arg(4));
    const double* ss = vector_vec(vector_arg(5));
    const double* ws = vector_vec(vector_arg(6));
    if (vector_capacity(vector_arg(3)) != (int) E.cells.size()) {
        hoc_execerror("NetcolColumn.set_playback:", "one count per cell");
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < E.cells.size(); ++i) {
        nc::Cell& c = E.cells[i];
        const std::size_t n = (std::size_t) counts[i];
        /* no entry left at tt: NetcolIntf6's test (pbt at NEVER) once every event before tt
           is handled (a resume's), else no entry at or after tt, for this engine may not
           have handled the entries before tt yet (they are kept, and consumed first) */
        const bool idle = E.handled >= _ltt ? c.pbt >= nc::NEVER_BELOW
                                            : c.pbi >= c.play_t.size() || c.play_t.back() < _ltt;
        c.play_t.assign(ts + at, ts + at + n);
        c.play_s.assign(ss + at, ss + at + n);
        c.play_w.assign(ws + at, ws + at + n);
        c.pbi = 0;
        at += n;
        if (_lreread != 0 && idle && n > 0) { E.push(_ltt, COL_REREAD, (int) i, -1); }
    }
    E.full = E.full || at > 0;   /* the lean event path has no playback */
ENDVERBATIM
}
