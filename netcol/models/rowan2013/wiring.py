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
from ...config.schema import ParamError


@dataclass
class Connectivity:
    """Connections as parallel arrays (sorted by pre gid, then delay)."""

    pre: np.ndarray
    post: np.ndarray
    delay: np.ndarray
    w1: np.ndarray      # primary weight: AMPA (E pre) or GABA-A (I pre)
    w2: np.ndarray      # NMDA weight (E pre), 0 for I pre
    plastic: np.ndarray  # True where the synapse has STDP

    def __len__(self):
        return len(self.pre)


#: Rule codes in the per-pair table (distance = 0 everywhere reproduces the original's wiring).
RULE_CODE = {"distance": 0, "fixed_probability": 1, "fixed_indegree": 2, "list": 3}


def _pair_tables(column, cells, size):
    """Per (pre type, post type) arrays: base probability, radius squared, weight, delay
    range, rule code and STDP flag; and the length constant, type index per gid and
    number of cells."""
    pops = cells["pops"]
    nt = len(pops)
    p, r2, w = np.zeros((nt, nt)), np.zeros((nt, nt)), np.zeros((nt, nt))
    rule, plastic = np.zeros((nt, nt), dtype=np.int64), np.zeros((nt, nt), dtype=bool)
    dmean = np.array([[column.delays[q.cls]["mean"]] * nt for q in pops]).reshape(nt, nt)
    dhalf = np.array([[column.delays[q.cls]["halfwidth"]] * nt for q in pops]).reshape(nt, nt)
    wg = column.wiring
    index = {q.name: k for k, q in enumerate(pops)}
    for (pre, post), pr in column.connections.items():
        i, j = index[pre], index[post]
        pair = class_pair(column, pops[i].cls, pops[j].cls)
        p[i, j] = pr.p * wg[f"p_scale_{pair}"] / size
        r2[i, j] = wg[f"radius_{pair}"] ** 2
        w[i, j] = final_weight(column, pops[i].cls, pops[j].cls, pr.w)
        rule[i, j] = RULE_CODE[pr.rule]
        if pr.delay:
            dmean[i, j], dhalf[i, j] = pr.delay
        default_plastic = pair in ("EE", "EI") and column.stdp[f"{pair}_inc"] > 0
        plastic[i, j] = default_plastic if pr.plastic is None else pr.plastic
    return dict(p=p, r2=r2, w=w, dmean=dmean, dhalf=dhalf, rule=rule, plastic=plastic,
                lam=column.wiring["length_constant"], ti=cells["type_index"], n=cells["n"])


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
    tab = _pair_tables(column, cells, size)
    p, r2, w, ti, n, rule = tab["p"], tab["r2"], tab["w"], tab["ti"], tab["n"], tab["rule"]
    listed = _pairs_by_target(column, cells, seed)   # fixed_indegree and list pairs: pre -> {post: (w, delay)}
    rows = []
    for pre in range(n):
        tp = ti[pre]
        pb = p[tp, ti]
        dx = xyz[:, 0] - xyz[pre, 0]
        dy = xyz[:, 1] - xyz[pre, 1]
        d2 = dx * dx + dy * dy
        u = keyed_generator(seed, "wiring", pre).random(n)
        by_distance = (d2 < tab["r2"][tp, ti]) & (u < _probability(pb, np.sqrt(d2), tab["lam"]))
        ok = (pb > 0) & np.where(rule[tp, ti] == RULE_CODE["distance"], by_distance,
                                 (rule[tp, ti] == RULE_CODE["fixed_probability"]) & (u < pb))
        ok[pre] = False
        given = listed.get(pre, {})
        post = np.union1d(np.flatnonzero(ok), np.fromiter(given, dtype=np.int64)) if given else np.flatnonzero(ok)
        if post.size == 0:
            continue
        ud = keyed_generator(seed, "delays", pre).random(n)[post]
        dmean, dhalf = tab["dmean"][tp, ti[post]], tab["dhalf"][tp, ti[post]]
        delay = dmean - dhalf + 2.0 * dhalf * ud
        wmean = w[tp, ti[post]]
        if column.weights["randomise"]:
            z = keyed_generator(seed, "weights", pre).standard_normal(n)[post]
            w1 = np.maximum(0.0, wmean + np.sqrt(wmean) * z)
        else:
            w1 = wmean.copy()
        for k, q in enumerate(post):
            if q in given:   # a list file's own weight and delay, where it gives them
                w_given, d_given = given[q]
                w1[k] = w1[k] if w_given is None else w_given
                delay[k] = delay[k] if d_given is None else d_given
        order = np.argsort(delay, kind="stable")
        rows.append((np.full(post.size, pre), post[order], delay[order], w1[order]))
    return _assemble(rows, column, cells, tab)


#: Bits of a fixed_indegree stream's index that hold the target gid (the rest: the
#: presynaptic type's code).
INDEGREE_GID_BITS = 24


def _pairs_by_target(column, cells, seed):
    """The connections of the pairs whose rule chooses presynaptic cells per target
    (fixed_indegree, from streams keyed by (seed, 'indegree', the pre type's code and the
    post gid)) or
    reads them from a file (list): {pre gid: {post gid: (weight or None, delay or None)}}."""
    from .pairfiles import read_pair_file
    pops = {q.name: q for q in cells["pops"]}
    out = {}
    for (pre, post), pair in column.connections.items():
        P, Q = pops[pre], pops[post]
        if pair.rule == "fixed_indegree" and pair.indegree > 0 and Q.count:
            available = P.count - (1 if pre == post else 0)
            if pair.indegree > available:
                raise ParamError(f"connections.{pre}.{post}: indegree {pair.indegree} is more than the {available} "
                                 f"cells of {pre} that can project to a {post} cell at this size")
            for q in Q.gids:
                cand = np.array([g for g in P.gids if g != q])
                stream = keyed_generator(seed, "indegree", (P.code << INDEGREE_GID_BITS) | q)
                for g in stream.choice(cand, pair.indegree, replace=False):
                    out.setdefault(int(g), {})[q] = (None, None)
        elif pair.rule == "list":
            for g, q, wgt, d in read_pair_file(pair.file, P, Q, f"connections.{pre}.{post}"):
                if g == q:
                    raise ParamError(f"connections.{pre}.{post}: {pair.file} connects cell {g} to itself")
                out.setdefault(g, {})[q] = (wgt, d)
    return out


def _assemble(rows, column, cells, tab):
    if not rows:
        empty = np.empty(0)
        return Connectivity(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty.astype(bool))
    pre = np.concatenate([r[0] for r in rows]).astype(np.int64)
    post = np.concatenate([r[1] for r in rows]).astype(np.int64)
    delay = np.concatenate([r[2] for r in rows])
    w1 = np.concatenate([r[3] for r in rows])
    w2 = np.where(cells["excitatory"][pre], column.weights["nmda_ratio"] * w1, 0.0)
    plastic = tab["plastic"][tab["ti"][pre], tab["ti"][post]]
    return Connectivity(pre, post, delay, w1, w2, plastic)


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
    tab = _pair_tables(column, cells, size)
    p, r2, w, dmean, dhalf, lam, ti, n = (tab[k] for k in ("p", "r2", "w", "dmean", "dhalf", "lam", "ti", "n"))
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
            lo, hi = dmean[tp, tq] - dhalf[tp, tq], dmean[tp, tq] + dhalf[tp, tq]
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
    return _assemble(rows, column, cells, tab)


def expected_counts(column, cells, size, samples=200000, seed=0):
    """Expected number of connections per type pair for uniformly placed cells
    (Monte Carlo over distances), for checks against a realisation."""
    tab = _pair_tables(column, cells, size)
    p, r2, lam = tab["p"], tab["r2"], tab["lam"]
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

