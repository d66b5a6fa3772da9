"""The plastic synapses whose weights are recorded over time: per recurrent pathway the k
synapses with the smallest score, a hash of (seed, pre, post), so the choice depends on
the network alone, not on the number of ranks."""
import numpy as np

from ...engine.runtime import parallel_context

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
    pre = np.concatenate([src for src, _ in plastic.values()] or [np.zeros(0, np.int32)]).astype(np.int64)
    post = np.repeat(np.array(list(plastic), np.int64), [len(src) for src, _ in plastic.values()])
    pw_local = np.concatenate([pw for _, pw in plastic.values()] or [np.zeros(0, np.int8)])
    s = score(seed, pre, post)
    best = []
    for pw in np.unique(pw_local):   # this rank's k best of each pathway
        mine = np.flatnonzero(pw_local == pw)
        best.append(mine[np.argsort(s[mine], kind="stable")[:k]])
    best = np.concatenate(best) if best else np.zeros(0, np.int64)
    everyone = parallel_context().py_allgather([(int(s[i]), int(pre[i]), int(post[i]), int(pw_local[i]))
                                                for i in best])
    candidates = sorted(c for part in everyone for c in part)
    chosen = []
    for pw in range(4):
        chosen += [c for c in candidates if c[3] == pw][:k]
    chosen_pre = np.array([c[1] for c in chosen], np.int64)
    chosen_post = np.array([c[2] for c in chosen], np.int64)
    pathway = np.array([c[3] for c in chosen], np.int64)
    # a synapse is (pre, post): one key per pair, found among this rank's by sorting; the
    # position in the local arrays is the index among this rank's plastic weights
    big = np.int64(1 << 31)
    keys, wanted = pre * big + post, chosen_pre * big + chosen_post
    order = np.argsort(keys)
    at = np.searchsorted(keys[order], wanted)
    index = {}
    for j, pos in enumerate(at):
        if pos < len(order) and keys[order[pos]] == wanted[j]:
            index[j] = int(order[pos])
    return (chosen_pre, chosen_post, pathway), index
