"""Random streams keyed by (seed, purpose, index): the same numbers on any number of
ranks, whatever the order in which cells are created.

numpy's Philox is a counter-based generator like NEURON's Random123; its 128-bit key
holds the run seed, a purpose code and a gid (or a round number)."""
import numpy as np

#: Purpose codes of netcol's keyed streams (never reuse or renumber one).
PURPOSES = {"positions": 1, "wiring": 2, "delays": 3, "weights": 4, "training": 5,
            "deletion": 6, "trials": 7, "orientations": 8, "initial_v": 9, "external": 10, "mother": 11,
            "thinning": 12, "indegree": 13, "record": 14}
MAX_SEED = 2**32 - 1


def keyed_generator(seed, purpose, index=0):
    """A numpy Generator whose stream depends only on (seed, purpose, index).

    Parameters
    ----------
    seed : int
        Run seed, 0 <= seed < 2**32.
    purpose : str
        One of :data:`PURPOSES`.
    index : int
        gid, round or pulse number, 0 <= index < 2**40.

    Returns
    -------
    numpy.random.Generator
    """
    key = (int(seed) << 64) | (PURPOSES[purpose] << 40) | int(index)
    return np.random.Generator(np.random.Philox(key=key))


def bernoulli_sources(rng, n, p):
    """The sources 0 .. n-1 chosen by independent Bernoulli(p) draws, ascending: drawn as
    their equivalent, a binomial count and then that many distinct sources (far fewer
    random numbers than one per pair).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    p : float

    Returns
    -------
    numpy.ndarray of int
    """
    return np.sort(rng.choice(n, size=rng.binomial(n, p), replace=False))


#: Philox4x32's multipliers and key increments (Salmon et al. 2011, as in Random123).
_PHILOX_M = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_LOW32 = np.uint64(0xFFFFFFFF)


def philox4x32(counter, key, rounds=10):
    """Random123's Philox4x32 on arrays of counters: four 32-bit words per counter, a
    function of the counter and the key alone (so any rank computes any cell's numbers,
    all cells' at once).

    Parameters
    ----------
    counter : sequence of four arrays (or ints) of values below 2**32
        The counter words, broadcast against each other.
    key : (int, int)
        The two key words, each below 2**32.
    rounds : int
        10, Random123's default.

    Returns
    -------
    tuple of four numpy.ndarray of numpy.uint64
        The output words (each below 2**32).
    """
    c0, c1, c2, c3 = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint64) for c in counter))
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(rounds):
        p0, p1 = _PHILOX_M[0] * c0, _PHILOX_M[1] * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _LOW32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _LOW32)
        k0, k1 = (k0 + _PHILOX_W[0]) & 0xFFFFFFFF, (k1 + _PHILOX_W[1]) & 0xFFFFFFFF
    return c0, c1, c2, c3


def _open_unit(hi, lo):
    """A double in (0, 1) from two 32-bit words (53 random bits, centred in their cell:
    never 0, so that its logarithm is finite)."""
    bits = ((hi >> np.uint64(5)) << np.uint64(26)) | (lo >> np.uint64(6))
    return (bits.astype(np.float64) + 0.5) * 2.0 ** -53


def keyed_uniforms(seed, purpose, a, b=0, c=0):
    """Two uniform numbers in (0, 1) for each counter (a, b, c), keyed by (seed, purpose):
    the counter-based form of :func:`keyed_generator`, for drawing many cells' numbers
    at once.

    Parameters
    ----------
    seed : int
        Run seed, 0 <= seed < 2**32.
    purpose : str
        One of :data:`PURPOSES`.
    a, b, c : int or array of int
        Counter words (for example a gid, a population code, a draw number), each below
        2**32, broadcast against each other.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Two independent uniforms per counter.
    """
    w0, w1, w2, w3 = philox4x32((a, b, c, 0), (seed, PURPOSES[purpose]))
    return _open_unit(w0, w1), _open_unit(w2, w3)


def keyed_normals(seed, purpose, a, b=0, c=0):
    """A standard normal number for each counter (a, b, c), keyed by (seed, purpose)
    (Box-Muller on :func:`keyed_uniforms`)."""
    u1, u2 = keyed_uniforms(seed, purpose, a, b, c)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
