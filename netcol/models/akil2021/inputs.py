"""The external layer (akil2021.md §3): n_x Poisson sources at r_x, independent (c_x = 0)
or correlated (c_x > 0: a mother Poisson train at r_x / c_x; each source keeps each mother
spike with probability c_x, as the reference's binomial count of distinct mother spikes,
and jitters it by a Gaussian of SD jitter, truncated at 8 SD).

Spikes are generated in chunks of CHUNK_MS of (mother) time, each from streams keyed by
(seed, purpose, chunk), so the spikes of any window are the same whatever the blocks,
ranks or resumes that ask for them: every rank computes them all and keeps those of its
targets (a few thousand per second).  A spike at time s acts in the step whose end is
the first at or after s (the reference's rule), step ceil(s / dt) - 1; spikes jittered
below 0 are dropped, as in the reference.

With quirks = "reference", source 0 never fires (the reference draws sources from 1).
"""
import functools
import math

import numpy as np

from ...build.streams import keyed_generator

#: Length of a generation chunk (ms).
CHUNK_MS = 1000.0
#: Jitter is truncated at this many SD, so a chunk's spikes stay within this margin of it.
JITTER_SDS = 8.0
#: Below this c_x the sources are independent (the reference's threshold).
MIN_CORRELATION = 1e-5


def _chunk(params, c, first):
    """Spike times (ms) and sources of chunk c (consecutive blocks ask for the same chunks
    again: they are kept)."""
    return _chunk_of(params["seed"], params["n_x"], params["r_x"], params["c_x"], params["jitter"], c, first)


@functools.lru_cache(maxsize=4)
def _chunk_of(seed, n_x, r_x, c_x, jitter, c, first):
    r_x = r_x / 1000.0
    t0 = c * CHUNK_MS
    if c_x < MIN_CORRELATION:
        # n_x r_x spikes per ms spread over the sources from `first` on, as the reference
        rng = keyed_generator(seed, "external", c)
        n = rng.poisson(n_x * r_x * CHUNK_MS)
        return t0 + rng.uniform(0.0, CHUNK_MS, n), rng.integers(first, n_x, n)
    rng = keyed_generator(seed, "mother", c)
    mother = t0 + rng.uniform(0.0, CHUNK_MS, rng.poisson(r_x / c_x * CHUNK_MS))
    thin = keyed_generator(seed, "thinning", c)
    which, source = _thinned(thin, len(mother), n_x - first, c_x)
    shift = np.clip(thin.standard_normal(len(which)), -JITTER_SDS, JITTER_SDS) * jitter
    return mother[which] + shift, source + first


def _thinned(rng, n_mother, n_sources, c_x):
    """Each source keeps each of n_mother mother spikes with probability c_x: the kept
    mother spikes' indices and their sources (0 .. n_sources - 1), source by source.

    The kept indices of a source are the partial sums of geometric gaps, drawn for all
    sources at once in rows long enough to pass the last mother spike almost always (10
    SD beyond the mean); if a row falls short, the whole draw is made again with rows
    twice as long (the stream goes on, so the result is still the same every time)."""
    mean = n_mother * c_x
    length = int(mean + 10.0 * math.sqrt(mean) + 10.0)
    while True:
        pos = np.cumsum(rng.geometric(c_x, size=(n_sources, length)), axis=1) - 1
        if n_sources == 0 or pos[:, -1].min() >= n_mother:
            break
        length *= 2
    source, col = np.nonzero(pos < n_mother)
    return pos[source, col], source


def external_spikes(params, k0, k1, dt):
    """The external spikes acting in steps k0 .. k1 - 1.

    Parameters
    ----------
    params : dict
        Checked experiment parameters (seed, n_x, r_x, c_x, jitter, quirks).
    k0, k1 : int
        Step range.
    dt : float
        The step (ms).

    Returns
    -------
    steps, sources : numpy.ndarray of int
        Sorted by step, then source.
    """
    first = 1 if params["quirks"] == "reference" else 0
    margin = JITTER_SDS * params["jitter"] if params["c_x"] >= MIN_CORRELATION else 0.0
    lo, hi = k0 * dt, k1 * dt
    chunks = range(max(0, math.floor((lo - margin) / CHUNK_MS)), math.floor((hi + margin) / CHUNK_MS) + 1)
    times, sources = [], []
    for c in chunks:
        t, s = _chunk(params, c, first)
        times.append(t)
        sources.append(s)
    t = np.concatenate(times) if times else np.zeros(0)
    s = np.concatenate(sources).astype(np.int64) if sources else np.zeros(0, np.int64)
    steps = np.ceil(t / dt).astype(np.int64) - 1
    keep = (t > 0) & (steps >= k0) & (steps < k1)
    steps, s = steps[keep], s[keep]
    order = np.lexsort((s, steps))
    return steps[order], s[order]
