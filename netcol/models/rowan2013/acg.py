"""The ACG random generator of NEURON <= 8 (hoc ``Random.ACG``), for the reference mode.

NEURON 9 no longer has ``Random.ACG``, but the original model draws its positions,
wiring and weights from it.  This module re-implements the generator (Knuth's
algorithm M as in the GNU C++ library: a lagged additive generator of 55 words whose
output selects and byte-permutes words of a 256-entry table refilled by a linear
congruential generator) together with the two distributions the model uses, with
NEURON's calling conventions: each ``uniform``/``normal`` call sets a new
distribution and returns one sample; ``repick`` draws again from the current one.

The constants below are those of the algorithm's published definition.
"""
import math
import struct

_MASK = 0xFFFFFFFF
_LC_A, _LC_C = 66049, 3907864577
#: (lag j, size k, auxiliary table size) pairs; NEURON uses size 55 -> (24, 55, 256).
_STATE_TABLE = ((3, 7, 16), (4, 9, 32), (3, 10, 32), (1, 11, 32), (1, 15, 64), (3, 17, 128),
                (7, 18, 128), (3, 20, 128), (2, 21, 128), (1, 22, 128), (5, 23, 128), (3, 25, 128),
                (2, 29, 128), (3, 31, 128), (13, 33, 256), (2, 35, 256), (11, 36, 256),
                (14, 39, 256), (3, 41, 256), (9, 49, 256), (3, 52, 256), (24, 55, 256), (7, 57, 256),
                (19, 58, 256), (38, 89, 512), (17, 95, 512), (6, 97, 512), (11, 98, 512))
#: Byte-permutation masks: 16 permutations of 4 masks each.
_PERMUTATIONS = (
    0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x0000ffff, 0x00ff0000, 0x00000000, 0xff000000,
    0xff0000ff, 0x0000ff00, 0x00000000, 0x00ff0000, 0x00ff00ff, 0x00000000, 0xff00ff00, 0x00000000,
    0xffff0000, 0x000000ff, 0x00000000, 0x0000ff00, 0x00000000, 0x00ff00ff, 0x00000000, 0xff00ff00,
    0xff000000, 0x00000000, 0x000000ff, 0x00ffff00, 0x00000000, 0x00000000, 0x00000000, 0xffffffff,
    0xff00ff00, 0x00000000, 0x00ff00ff, 0x00000000, 0x0000ff00, 0x00000000, 0x00ff0000, 0xff0000ff,
    0x00000000, 0x00000000, 0xffffffff, 0x00000000, 0x00000000, 0x0000ff00, 0xffff0000, 0x000000ff,
    0x00000000, 0xffffffff, 0x00000000, 0x00000000, 0x00ffff00, 0xff000000, 0x00000000, 0x000000ff,
    0x00000000, 0xff000000, 0x0000ffff, 0x00ff0000, 0x00000000, 0xff00ff00, 0x00000000, 0x00ff00ff)
_SEEDS = (0xbdcc47e5, 0x54aea45d, 0xec0df859, 0xda84637b, 0xc8c6cb4f, 0x35574b01, 0x28260b7d, 0x0d07fdbf,
          0x9faaeeb0, 0x613dd169, 0x5ce2d818, 0x85b9e706, 0xab2469db, 0xda02b0dc, 0x45c60d6e, 0xffe49d10,
          0x7224fea3, 0xf9684fc9, 0xfc7ee074, 0x326ce92a, 0x366d13b5, 0x17aaa731, 0xeb83a675, 0x7781cb32,
          0x4ec7c92d, 0x7f187521, 0x2cf346b4, 0xad13310f, 0xb89cff2b, 0x12164de1, 0xa865168d, 0x32b56cdf)


def _lcg(x):
    return (x * _LC_A + _LC_C) & _MASK


class ACG:
    """NEURON's ``Random().ACG(seed)`` with its uniform and normal distributions.

    Parameters
    ----------
    seed : int
        As given to hoc (negative values wrap to 32 bits, as in NEURON).
    size : int
        State size (NEURON's default 55).
    """

    def __init__(self, seed, size=55):
        entry = next((i for i, row in enumerate(_STATE_TABLE) if row[1] >= size), len(_STATE_TABLE) - 1)
        lag, self.n, naux = _STATE_TABLE[entry]
        seed &= _MASK
        u = _SEEDS[seed] if seed < len(_SEEDS) else seed ^ _SEEDS[seed & (len(_SEEDS) - 1)]
        state = []
        for _ in range(self.n + naux):
            u = _lcg(u)
            state.append(u)
        self.state, self.aux = state[:self.n], state[self.n:]
        self.naux = naux
        self.k = u % self.n
        self.j = self.k - (self.n - lag)
        if self.j < 0:
            self.j += self.n
        self.lcg = u
        self._dist = ("uniform", 0.0, 1.0)

    def position(self):
        """The generator's position as plain values (for checkpoints)."""
        return dict(n=self.n, naux=self.naux, k=self.k, j=self.j, lcg=self.lcg, state=list(self.state),
                    aux=list(self.aux), dist=self._dist)

    @classmethod
    def from_position(cls, s):
        """A generator at the position :meth:`position` saved."""
        g = cls.__new__(cls)
        g.n, g.naux, g.k, g.j, g.lcg = s["n"], s["naux"], s["k"], s["j"], s["lcg"]
        g.state, g.aux, g._dist = list(s["state"]), list(s["aux"]), tuple(s["dist"])
        return g

    def as_long(self):
        """Next 32 random bits."""
        st, k, j = self.state, self.k, self.j
        result = (st[k] + st[j]) & _MASK
        st[k] = result
        self.j = self.n - 1 if j <= 0 else j - 1
        self.k = self.n - 1 if k <= 0 else k - 1
        idx = (result >> 24) & (self.naux - 1)
        a = self.aux[idx]
        self.lcg = _lcg(self.lcg)
        self.aux[idx] = self.lcg
        p = result & 0x3C
        m = _PERMUTATIONS
        out = m[p] & a
        out |= m[p + 1] & (((a << 24) & _MASK) | ((a >> 8) & 0xFFFFFF))
        out |= m[p + 2] & (((a << 16) & _MASK) | ((a >> 16) & 0xFFFF))
        out |= m[p + 3] & (((a << 8) & _MASK) | ((a >> 24) & 0xFF))
        return out

    def as_double(self):
        """Uniform in [0, 1): 32 random low mantissa bits, then 20 high ones, of 1.x - 1."""
        low = self.as_long()
        high = 0x3FF00000 | (self.as_long() & 0x000FFFFF)
        return struct.unpack("<d", struct.pack("<II", low, high))[0] - 1.0

    def _draw(self):
        kind, a, b = self._dist
        if kind == "uniform":
            return a + b * self.as_double()
        while True:  # polar method; the second value would be cached, but NEURON's
            # setting calls make a new distribution, so only repick could use it
            v1 = 2 * self.as_double() - 1
            v2 = 2 * self.as_double() - 1
            w = v1 * v1 + v2 * v2
            if w <= 1:
                return v1 * math.sqrt((-2 * math.log(w)) / w) * b + a

    def uniform(self, low, high):
        """Set Uniform(low, high) and return one sample (hoc ``r.uniform``)."""
        lo, hi = (low, high) if low < high else (high, low)
        self._dist = ("uniform", lo, hi - lo)
        return self._draw()

    def normal(self, mean, variance):
        """Set Normal(mean, variance) and return one sample (hoc ``r.normal``)."""
        self._dist = ("normal", mean, math.sqrt(variance))
        return self._draw()

    def repick(self):
        """Another sample of the current distribution (uniform only here)."""
        if self._dist[0] != "uniform":
            raise NotImplementedError("repick of a normal distribution is not needed by netcol")
        return self._draw()

    def repick_many(self, n):
        """n samples of the current uniform distribution (hoc ``Vector.setrand``)."""
        return [self.repick() for _ in range(n)]
