"""What the column records every ``recording_interval`` into state.h5 (see
:mod:`.staterec`): each cell's activity sensor, goal, scale factor and alive flag, the
STDP gains of the plastic synapses summarised per type pair, gain snapshots at phase
ends, and the deletion and trial logs."""
import math

import numpy as np

from ...engine.gather import gather_by_gid
from ...engine.runtime import neuron_h, parallel_context


class StateRecorder:
    """Gathers cell states and STDP gains from all ranks; rank 0 writes them.

    Parameters
    ----------
    net : netcol.models.rowan2013.network.ColumnNetwork or .ranknet.RankNetwork
    conn : netcol.models.rowan2013.wiring.Connectivity or None
        The whole column's connections on rank 0 (``net.global_connections()``), None on
        the other ranks.
    writer : netcol.models.rowan2013.staterec.StateWriter, optional
        Set on rank 0 once the output files are open.
    """

    def __init__(self, net, conn, writer=None):
        self.net, self.writer = net, writer
        self.pc = parallel_context()
        self.pair_codes, self.pair_names = [], []
        if conn is None:   # ranks other than 0
            return
        ti = net.cells["type_index"]
        names = [p.name for p in net.cells["pops"]]
        self.plastic_rows = rows = np.flatnonzero(conn.plastic)
        pair_of_row = ti[conn.pre[rows]] * 64 + ti[conn.post[rows]]
        self.pair_codes = sorted(set(pair_of_row.tolist()))
        self.pair_names = [f"{names[c // 64]}->{names[c % 64]}" for c in self.pair_codes]
        self.pair_index = np.searchsorted(self.pair_codes, pair_of_row)

    def _gather_cells(self, fields):
        merged = gather_by_gid({gid: [f(c) for f in fields] for gid, c in self.net.states.items()})
        if merged is None:
            return None
        out = np.zeros((len(fields), self.net.n))
        for gid, vals in merged.items():
            out[:, gid] = vals
        return out

    def record(self, t):
        """Gather and write one state record (collective: every rank calls it)."""
        # the sensor is decayed to t itself (inside a callback h.t is the step's time); a
        # deleted cell's stays as it was at its deletion, as in the original
        self.net.catch_up(t)
        decay = neuron_h().act_tau_decay_NetcolIntf6

        def sensor(c):
            return c.act * (1.0 if c.dead else math.exp(-(t - c.tu) / decay)) * 1000.0
        vals = self._gather_cells([sensor, lambda c: c.goal, lambda c: c.sfac, lambda c: 1.0 - c.dead])
        gains = self._all_gains()
        if self.pc.id() != 0:
            return
        goal = np.where(vals[1] < 0, np.nan, vals[1] * 1000.0)
        self.writer.record(t, vals[0], goal, vals[2], vals[3].astype(np.int8))
        if len(self.pair_codes):
            # summed on rank 0 in connection order: the same numbers on any number of ranks
            mean = np.array([gains[self.pair_index == k].mean() for k in range(len(self.pair_codes))])
            sd = np.array([gains[self.pair_index == k].std() for k in range(len(self.pair_codes))])
            self.writer.gain_summary(t, mean, sd)

    def _all_gains(self):
        """Every plastic synapse's stored gain, in connection-row order, on rank 0."""
        rows = self.net.netcon_rows[self.net.plastic_local]
        gain = gather_by_gid(dict(zip(rows.tolist(), self.net.local_plastic_gains().tolist())))
        if gain is None:
            return None
        return np.array([gain[r] for r in self.plastic_rows])

    def gather_scale(self, t):
        """Every cell's scale factor at time t (ms), on every rank."""
        self.net.catch_up(t)
        return gather_by_gid({gid: c.sfac for gid, c in self.net.states.items()}, everywhere=True)

    def snapshot(self, label, t):
        """Every plastic synapse's stored gain at time t, aligned with the snapshot's pre/post
        (pairings of postsynaptic spikes since a synapse's last arrival are applied at its
        next arrival, see the mod file)."""
        gains = self._all_gains()
        if self.pc.id() == 0:
            self.writer.gain_snapshot(label, t, gains)

    def log_deletion(self, t, gids):
        """Log a deletion round (rank 0)."""
        if self.pc.id() == 0:
            self.writer.deletion(t, gids)

    def log_trial(self, t, kind, key):
        """Log a trial start (rank 0)."""
        if self.pc.id() == 0:
            self.writer.trial(t, kind, key)
