"""Cell positions and intra-column connections (network.md §4, §5), drawn either from
streams keyed by (seed, purpose, gid) (default) or exactly as the original draws them
(reference mode, ``rng = "original"``).

Both give a :class:`Connectivity`: one row per connection, sorted by presynaptic gid
and then by delay, the same on every rank.
"""
from dataclasses import dataclass
import numpy as np

from .acg import ACG
from .column import class_pair, final_weight
from ...build.streams import keyed_generator


@dataclass
class Connectivity:
    """Connections as parallel arrays (sorted by pre gid, then delay)."""

    pre: np.ndarray
    post: np.ndarray
    delay: np.ndarray
    w1: np.ndarray      # primary weight: AMPA (E pre) or GABA-A (I pre)
    w2: np.ndarray      # NMDA weight (E pre), 0 for I pre

    def __len__(self):
        return len(self.pre)


def _pair_tables(column, cells, size):
    """Per (pre type, post type) arrays: base probability, radius squared, weight; per type
    the delay range; and the length constant, type index per gid and number of cells."""
    pops = cells["pops"]
    nt = len(pops)
    p = np.zeros((nt, nt))
    r2 = np.zeros((nt, nt))
    w = np.zeros((nt, nt))
    wg = column.wiring
    for (pre, post), (pb, wb) in column.connections.items():
        i = next(k for k, q in enumerate(pops) if q.name == pre)
        j = next(k for k, q in enumerate(pops) if q.name == post)
        pair = class_pair(column, pops[i].cls, pops[j].cls)
        p[i, j] = pb * wg[f"p_scale_{pair}"] / size
        r2[i, j] = wg[f"radius_{pair}"] ** 2
        w[i, j] = final_weight(column, pops[i].cls, pops[j].cls, wb)
    dmean = np.array([column.delays[q.cls]["mean"] for q in pops])
    dhalf = np.array([column.delays[q.cls]["halfwidth"] for q in pops])
    return p, r2, w, dmean, dhalf, column.wiring["length_constant"], cells["type_index"], cells["n"]


def _probability(p, d, lam):
    """P(d) = p for d <= lambda, p * exp(1 - d / lambda) beyond."""
    return np.where(d <= lam, p, p * np.exp(1.0 - d / lam))


def keyed_positions(column, cells, seed):
    """Positions from streams keyed by (seed, 'positions', gid): x, y ~ U(0, colside), z ~ N(0, z_sd)."""
    side, zsd = column.geometry["colside"], column.geometry["z_sd"]
    xyz = np.empty((cells["n"], 3))
    for gid in range(cells["n"]):
        g = keyed_generator(seed, "positions", gid)
        u = g.random(2)
        xyz[gid] = (u[0] * side, u[1] * side, g.normal(0.0, zsd))
    return xyz


def keyed_connectivity(column, cells, xyz, seed, size):
    """Connections from streams keyed by (seed, purpose, pre gid), one number per
    potential target gid, so that any rank can draw any pair.

    Returns
    -------
    Connectivity
    """
    p, r2, w, dmean, dhalf, lam, ti, n = _pair_tables(column, cells, size)
    rows = []
    for pre in range(n):
        tp = ti[pre]
        pb = p[tp, ti]
        dx = xyz[:, 0] - xyz[pre, 0]
        dy = xyz[:, 1] - xyz[pre, 1]
        d2 = dx * dx + dy * dy
        u = keyed_generator(seed, "wiring", pre).random(n)
        ok = (pb > 0) & (d2 < r2[tp, ti]) & (u < _probability(pb, np.sqrt(d2), lam))
        ok[pre] = False
        post = np.flatnonzero(ok)
        if post.size == 0:
            continue
        ud = keyed_generator(seed, "delays", pre).random(n)[post]
        delay = dmean[tp] - dhalf[tp] + 2.0 * dhalf[tp] * ud
        wmean = w[tp, ti[post]]
        if column.weights["randomise"]:
            z = keyed_generator(seed, "weights", pre).standard_normal(n)[post]
            w1 = np.maximum(0.0, wmean + np.sqrt(wmean) * z)
        else:
            w1 = wmean.copy()
        order = np.argsort(delay, kind="stable")
        rows.append((np.full(post.size, pre), post[order], delay[order], w1[order]))
    return _assemble(rows, column, cells)


def _assemble(rows, column, cells):
    pre = np.concatenate([r[0] for r in rows]).astype(np.int64)
    post = np.concatenate([r[1] for r in rows]).astype(np.int64)
    delay = np.concatenate([r[2] for r in rows])
    w1 = np.concatenate([r[3] for r in rows])
    w2 = np.where(cells["excitatory"][pre], column.weights["nmda_ratio"] * w1, 0.0)
    return Connectivity(pre, post, delay, w1, w2)


def original_positions(column, cells):
    """The original's positions: one ACG generator, three draws per cell in gid order."""
    side, zsd = column.geometry["colside"], column.geometry["z_sd"]
    r = ACG(column.original_seeds["positions"])
    xyz = np.empty((cells["n"], 3))
    for gid in range(cells["n"]):
        # each distribution-setting call returns (and consumes) the sample used
        xyz[gid] = (r.uniform(0, side), r.uniform(0, side), r.normal(0, zsd * zsd))
    return xyz


def original_connectivity(column, cells, xyz, size):
    """Replay of the original's wiring and weight draws (network.md §5.3, §5.7).

    Returns
    -------
    Connectivity
    """
    p, r2, w, dmean, dhalf, lam, ti, n = _pair_tables(column, cells, size)
    pops = cells["pops"]
    r = ACG(column.original_seeds["wiring"])
    pool_size = n * n

    def refill():
        r.uniform(0, 1)
        return np.array(r.repick_many(pool_size))

    pool, ptr = refill(), 0
    rows = []
    for pre in range(n):
        tp = ti[pre]
        posts, delays = [], []
        for tq, q in enumerate(pops):
            if p[tp, tq] <= 0 or q.count == 0:
                continue
            cand = np.arange(q.first_gid, q.first_gid + q.count)
            d2 = (xyz[cand, 0] - xyz[pre, 0]) ** 2 + (xyz[cand, 1] - xyz[pre, 1]) ** 2
            inside = d2 < r2[tp, tq]
            cand, d2 = cand[inside], d2[inside]
            k = cand.size
            if k == 0:
                continue
            if ptr + k >= pool_size:
                pool, ptr = refill(), 0
            u = pool[ptr:ptr + k]
            ptr += k
            made = cand[(_probability(p[tp, tq], np.sqrt(d2), lam) - u > 0) & (cand != pre)]
            if made.size == 0:
                continue
            lo, hi = dmean[tp] - dhalf[tp], dmean[tp] + dhalf[tp]
            r.uniform(lo, hi)
            posts.extend(made.tolist())
            delays.extend(r.repick() for _ in range(made.size))
        if posts:
            posts, delays = np.array(posts), np.array(delays)
            order = np.argsort(delays, kind="stable")
            rows.append([np.full(len(posts), pre), posts[order], delays[order], None])
    rw = ACG(column.original_seeds["weights"])
    ratio = abs(column.original_seeds["weights"]) or 1
    for row in rows:
        wmean = w[ti[row[0][0]], ti[row[1]]]
        if column.weights["randomise"]:
            row[3] = np.array([max(0.0, rw.normal(m, m / ratio)) for m in wmean])
        else:
            row[3] = wmean.copy()
    return _assemble(rows, column, cells)


def expected_counts(column, cells, size, samples=200000, seed=0):
    """Expected number of connections per type pair for uniformly placed cells
    (Monte Carlo over distances), for checks against a realisation."""
    p, r2, _, _, _, lam, _, _ = _pair_tables(column, cells, size)
    side = column.geometry["colside"]
    g = np.random.default_rng(seed)
    a, b = g.random((samples, 2)) * side, g.random((samples, 2)) * side
    d = np.sqrt(((a - b) ** 2).sum(axis=1))
    pops = cells["pops"]
    out = {}
    for i, pi in enumerate(pops):
        for j, pj in enumerate(pops):
            if p[i, j] > 0:
                frac = np.mean(np.where(d * d < r2[i, j], _probability(1.0, d, lam), 0.0))
                pairs = pi.count * (pj.count - (1 if i == j else 0))
                out[(pi.name, pj.name)] = p[i, j] * frac * pairs
    return out

