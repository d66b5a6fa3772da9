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
