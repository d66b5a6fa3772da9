"""The plastic synapses whose weights are recorded over time: per recurrent pathway the k
synapses with the smallest score, a hash of (seed, pre, post), so the choice depends on
the network alone, not on the number of ranks."""
import numpy as np

from ...runtime import parallel_context

_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def score(seed, pre, post):
    """A well-mixed 64-bit hash of (seed, pre, post) for arrays pre and post (splitmix64)."""
    with np.errstate(over="ignore"):
        x = (np.asarray(pre, np.uint64) * _M1) ^ (np.asarray(post, np.uint64) * _M3) ^ np.uint64(seed)
        x = (x ^ (x >> np.uint64(30))) * _M2
        x = (x ^ (x >> np.uint64(27))) * _M3
        return x ^ (x >> np.uint64(31))


def choose_samples(plastic, seed, k):
    """Choose the recorded synapses (collective).

    Parameters
    ----------
    plastic : dict
        Local gid -> (sources, pathways) of its plastic synapses, in set-up order.
    seed : int
    k : int
        Synapses per pathway.

    Returns
    -------
    (pre, post, pathway) : tuple of numpy.ndarray
        The chosen synapses, pathway by pathway, the same on every rank.
    index : dict of int to int
        Column of a chosen synapse -> its index among this rank's plastic weights.
    """
    rows, offset = [], 0
    for gid, (src, pathway) in plastic.items():
        rows.append(np.stack([src, np.full(len(src), gid), pathway, offset + np.arange(len(src))], axis=1))
        offset += len(src)
    local = np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 4), np.int64)
    s = score(seed, local[:, 0], local[:, 1])
    best = []
    for pw in np.unique(local[:, 2]):   # this rank's k best of each pathway
        mine = np.flatnonzero(local[:, 2] == pw)
        best.append(mine[np.argsort(s[mine], kind="stable")[:k]])
    best = np.concatenate(best) if best else np.zeros(0, np.int64)
    everyone = parallel_context().py_allgather([(int(s[i]), *map(int, local[i, :3])) for i in best])
    candidates = sorted(c for part in everyone for c in part)
    chosen = []
    for pw in range(4):
        chosen += [c for c in candidates if c[3] == pw][:k]
    pre = np.array([c[1] for c in chosen], np.int64)
    post = np.array([c[2] for c in chosen], np.int64)
    pathway = np.array([c[3] for c in chosen], np.int64)
    # a synapse is (pre, post): one key per pair, found among this rank's by sorting
    big = np.int64(1 << 31)
    keys, wanted = local[:, 0] * big + local[:, 1], pre * big + post
    order = np.argsort(keys)
    at = np.searchsorted(keys[order], wanted)
    index = {}
    for j, pos in enumerate(at):
        if pos < len(order) and keys[order[pos]] == wanted[j]:
            index[j] = int(local[order[pos], 3])
    return (pre, post, pathway), index
