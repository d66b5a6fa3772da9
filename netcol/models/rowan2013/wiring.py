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
from ...build.streams import keyed_generator, keyed_normals, keyed_uniforms
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


#: The columns of a Connectivity, in the order of its fields.
COLUMNS = ("pre", "post", "delay", "w1", "w2", "plastic")


def merged(parts):
    """One Connectivity from parts drawn for disjoint sets of targets, in the order every
    consumer expects (presynaptic gid, then delay, then postsynaptic gid)."""
    joined = {k: np.concatenate([getattr(c, k) for c in parts]) for k in COLUMNS}
    order = np.lexsort((joined["post"], joined["delay"], joined["pre"]))
    return Connectivity(**{k: v[order] for k, v in joined.items()})


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
    """Positions from counters keyed by (seed, 'positions'): cell gid's x, y ~ U(0, colside)
    from counter (gid, 0), z ~ N(0, z_sd) from counter (gid, 1); all cells at once."""
    side, zsd = column.geometry["colside"], column.geometry["z_sd"]
    gids = np.arange(cells["n"])
    x, y = keyed_uniforms(seed, "positions", gids, 0)
    return np.column_stack([x * side, y * side, zsd * keyed_normals(seed, "positions", gids, 1)])


#: Targets whose candidate draws are made in one pass (bounds the arrays to tens of MB).
TARGET_CHUNK = 4096


def keyed_connectivity(column, cells, xyz, seed, size, targets=None):
    """Connections from counters keyed by (seed, purpose, post gid), drawn target by
    target, so that each rank can draw only its own cells' afferent synapses and any
    number of ranks gives the same wiring.

    For a target q and a presynaptic population whose pair has peak probability p, the
    candidates are the population's cells chosen by independent Bernoulli(p) draws, made
    as geometric gaps (counter (q, population code, k) of 'wiring'): the expected work is
    the number of connections, not the number of cells.  The distance rule then keeps a
    candidate at distance d with probability P(d) / p (and d below the pair's radius),
    which makes each pair connected with probability P(d) independently, as the rule says.
    A connection's delay and weight come from counter (q, pre gid) of 'delays' and
    'weights'.

    Parameters
    ----------
    column : netcol.models.rowan2013.column.Column
    cells : dict
        The layout (:func:`netcol.models.rowan2013.column.cell_table`).
    xyz : numpy.ndarray
        Positions of all cells (um).
    seed : int
    size : float
    targets : array of int, optional
        The postsynaptic gids whose afferent connections to draw (default: all).

    Returns
    -------
    Connectivity
        Sorted by pre gid, then delay.
    """
    tab = _pair_tables(column, cells, size)
    ti, rule = tab["ti"], tab["rule"]
    targets = np.arange(tab["n"]) if targets is None else np.asarray(targets, dtype=np.int64)
    pops = cells["pops"]
    pre_parts, post_parts = [], []
    for tq in range(len(pops)):
        posts = targets[ti[targets] == tq]
        for tp, P in enumerate(pops):
            p0 = tab["p"][tp, tq]
            keyed = rule[tp, tq] in (RULE_CODE["distance"], RULE_CODE["fixed_probability"])
            if not keyed or p0 <= 0 or P.count == 0 or posts.size == 0:
                continue
            for lo in range(0, posts.size, TARGET_CHUNK):
                q, slot, idx = _bernoulli_candidates(seed, posts[lo:lo + TARGET_CHUNK], P, min(p0, 1.0))
                pre = P.first_gid + idx
                keep = pre != q
                if rule[tp, tq] == RULE_CODE["distance"]:
                    d2 = ((xyz[pre, :2] - xyz[q, :2]) ** 2).sum(axis=1)
                    u, _ = keyed_uniforms(seed, "wiring", q, P.code, slot + ACCEPT_LANE)
                    ratio = np.minimum(1.0, np.exp(1.0 - np.sqrt(d2) / tab["lam"]))
                    keep &= (d2 < tab["r2"][tp, tq]) & (u < ratio)
                pre_parts.append(pre[keep])
                post_parts.append(q[keep])
    listed = _pairs_by_target(column, cells, seed, targets)
    pre_parts.append(listed[0])
    post_parts.append(listed[1])
    pre, post = np.concatenate(pre_parts).astype(np.int64), np.concatenate(post_parts).astype(np.int64)
    tp, tq = ti[pre], ti[post]
    ud, _ = keyed_uniforms(seed, "delays", post, pre)
    delay = tab["dmean"][tp, tq] - tab["dhalf"][tp, tq] + 2.0 * tab["dhalf"][tp, tq] * ud
    wmean = tab["w"][tp, tq]
    if column.weights["randomise"]:
        w1 = np.maximum(0.0, wmean + np.sqrt(wmean) * keyed_normals(seed, "weights", post, pre))
    else:
        w1 = wmean.copy()
    # a list file's own weight and delay, where it gives them
    n_keyed = pre.size - listed[0].size
    given_w, given_d = np.concatenate([np.full(n_keyed, np.nan), listed[2]]), np.concatenate([np.full(n_keyed, np.nan), listed[3]])
    w1 = np.where(np.isnan(given_w), w1, given_w)
    delay = np.where(np.isnan(given_d), delay, given_d)
    return merged([_assemble(pre, post, delay, w1, column, cells, tab)])


#: The acceptance draws of the distance rule use the counters' third word from here on
#: (the candidate draws use the words below it).
ACCEPT_LANE = 2 ** 31


def _bernoulli_candidates(seed, posts, P, p):
    """For each target in posts, the indices (0 .. P.count - 1) of the cells of P chosen
    by independent Bernoulli(p) draws: geometric gaps from counters (target, P.code, k).

    Returns
    -------
    (q, slot, idx) : arrays
        One entry per chosen cell: its target, the draw number k that chose it and its
        index in P.
    """
    n = P.count
    mean = n * p
    width = int(mean + 6.0 * np.sqrt(mean) + 8)   # almost every target done in one pass
    log_q = np.log1p(-p) if p < 1.0 else -np.inf
    q_parts, k_parts, idx_parts = [], [], []
    rows, start, last = np.asarray(posts), 0, np.full(len(posts), -1.0)
    while rows.size:
        k = np.arange(start, start + width)
        u, _ = keyed_uniforms(seed, "wiring", rows[:, None], P.code, k[None, :])
        gaps = np.floor(np.log(u) / log_q) + 1.0 if p < 1.0 else np.ones_like(u)
        idx = last[:, None] + np.cumsum(np.minimum(gaps, n + 1.0), axis=1)
        inside = idx < n
        r, c = np.nonzero(inside)
        q_parts.append(rows[r])
        k_parts.append(k[c])
        idx_parts.append(idx[r, c].astype(np.int64))
        going = inside[:, -1]
        rows, last, start = rows[going], idx[going, -1], start + width
    return np.concatenate(q_parts), np.concatenate(k_parts), np.concatenate(idx_parts)


#: Bits of a fixed_indegree stream's index that hold the target gid (the rest: the
#: presynaptic type's code).
INDEGREE_GID_BITS = 24


def _pairs_by_target(column, cells, seed, targets):
    """The connections onto targets of the pairs whose rule chooses presynaptic cells per
    target (fixed_indegree, from streams keyed by (seed, 'indegree', the pre type's code
    and the post gid)) or reads them from a file (list).

    Returns
    -------
    (pre, post, weight, delay) : arrays
        weight and delay NaN where a list does not give them (and for fixed_indegree).
    """
    from .pairfiles import read_pair_file
    pops = {q.name: q for q in cells["pops"]}
    wanted = np.zeros(cells["n"], dtype=bool)
    wanted[targets] = True
    rows = []
    for (pre, post), pair in column.connections.items():
        P, Q = pops[pre], pops[post]
        if pair.rule == "fixed_indegree" and pair.indegree > 0 and Q.count:
            available = P.count - (1 if pre == post else 0)
            if pair.indegree > available:
                raise ParamError(f"connections.{pre}.{post}: indegree {pair.indegree} is more than the {available} "
                                 f"cells of {pre} that can project to a {post} cell at this size")
            for q in Q.gids:
                if not wanted[q]:
                    continue
                cand = np.array([g for g in P.gids if g != q])
                stream = keyed_generator(seed, "indegree", (P.code << INDEGREE_GID_BITS) | q)
                rows += [(int(g), q, np.nan, np.nan) for g in stream.choice(cand, pair.indegree, replace=False)]
        elif pair.rule == "list":
            for g, q, wgt, d in read_pair_file(pair.file, P, Q, f"connections.{pre}.{post}"):
                if g == q:
                    raise ParamError(f"connections.{pre}.{post}: {pair.file} connects cell {g} to itself")
                if wanted[q]:
                    rows.append((g, q, np.nan if wgt is None else wgt, np.nan if d is None else d))
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    pre, post, w, d = (np.array(c) for c in zip(*rows))
    return pre.astype(np.int64), post.astype(np.int64), w.astype(float), d.astype(float)


def _assemble(pre, post, delay, w1, column, cells, tab):
    pre, post = np.asarray(pre, dtype=np.int64), np.asarray(post, dtype=np.int64)
    w2 = np.where(cells["excitatory"][pre], column.weights["nmda_ratio"] * w1, 0.0)
    plastic = tab["plastic"][tab["ti"][pre], tab["ti"][post]]
    return Connectivity(pre, post, np.asarray(delay, dtype=float), np.asarray(w1, dtype=float), w2, plastic)


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
    if not rows:
        return _assemble([], [], [], [], column, cells, tab)
    return _assemble(*(np.concatenate([r[k] for r in rows]) for k in range(4)), column, cells, tab)


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

