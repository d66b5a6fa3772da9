"""Reading and analysing run directories, from Python, on complete, partial or
interrupted runs (every reader opens the HDF5 files in SWMR read mode).

- :func:`read_spikes`, :func:`read_nodes`: the raw outputs;
- :func:`rates_by_type`, :func:`class_rates`: firing rates per cell type or class over a window;
- :func:`population_counts`, :func:`multitaper_spectrum`, :func:`segment_spectra`: spectra
  of E and I population activity (experiments.md §7);
- :func:`fourier_information`: information from repeat and unique trials (Crumiller et
  al. 2011).

A model's own measures live in its package (the column's in
:mod:`netcol.models.rowan2013.measures`).
"""
from pathlib import Path

import numpy as np

from ..io.record import population_of


def open_run_h5(path):
    """Open one of a run's HDF5 files for reading (see :func:`netcol.io.runfiles.open_h5`)."""
    from ..io.runfiles import open_h5
    return open_h5(path)


def read_spikes(run_dir, window_s=None, population=None):
    """Spike times (ms) and gids of a run, all or within a window.

    Parameters
    ----------
    window_s : (float, float), optional
        [t0, t1] in seconds; only that part of the (time-sorted) file is read.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
    """
    with open_run_h5(Path(run_dir) / "spikes.h5") as f:
        g = f[f"spikes/{population or population_of(f, 'spikes')}"]
        ts, ids = g["timestamps"], g["node_ids"]
        # a running writer appends to both datasets one after the other: read the spikes
        # that both hold
        n = min(ts.shape[0], ids.shape[0])
        if window_s is None:
            return ts[:n], ids[:n].astype(np.int64)
        lo = _first_at_or_after(ts, n, window_s[0] * 1000.0)
        hi = _first_at_or_after(ts, n, window_s[1] * 1000.0, strict=True)
        return ts[lo:hi], ids[lo:hi].astype(np.int64)


def _first_at_or_after(ts, n, value, strict=False):
    """Binary search in a time-sorted dataset without reading it whole."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if ts[mid] < value or (strict and ts[mid] == value):
            lo = mid + 1
        else:
            hi = mid
    return lo


def read_nodes(run_dir, population=None):
    """The node table as a dict of arrays (strings decoded): node_id and every attribute
    of the SONATA nodes file (group 0), or of the flat table older runs wrote."""
    import h5py
    with open_run_h5(Path(run_dir) / "nodes.h5") as f:
        g = f[f"nodes/{population or population_of(f, 'nodes')}"]
        attrs = g["0"] if "0" in g else g
        out = {k: _text_or_numbers(d) for k, d in attrs.items() if isinstance(d, h5py.Dataset)}
        if "node_id" in g:
            out["node_id"] = g["node_id"][:]
        return out


def _text_or_numbers(d):
    """A dataset's values, strings (fixed or variable length) as str."""
    if d.dtype.kind == "S":
        return d[:].astype(str)
    if d.dtype.kind == "O":
        return np.array(d.asstr()[:], dtype=str)
    return d[:]


def run_end(run_dir):
    """How far the run got (s): run.json's t_reached_ms, or the last spike if later
    (run.json of a running or killed run lags by up to a few seconds of wall time)."""
    import json
    reached = 0.0
    meta = Path(run_dir) / "run.json"
    if meta.exists():
        reached = (json.loads(meta.read_text()).get("t_reached_ms") or 0.0) / 1000.0
    with open_run_h5(Path(run_dir) / "spikes.h5") as f:
        ts = f[f"spikes/{population_of(f, 'spikes')}/timestamps"]
        last = ts[ts.shape[0] - 1] / 1000.0 if ts.shape[0] else 0.0
    return max(reached, float(last))


def rates_by_type(run_dir, t0=0.0, t1=None):
    """Mean firing rate (Hz) per cell type over [t0, t1) seconds, with SD across cells.

    Parameters
    ----------
    run_dir : str or pathlib.Path
    t0, t1 : float
        Window in seconds (t1 defaults to the run's end, see :func:`run_end`).

    Returns
    -------
    dict of str to (mean, sd)
    """
    t, gid = read_spikes(run_dir)
    nodes = read_nodes(run_dir)
    t1 = t1 if t1 is not None else run_end(run_dir)
    sel = (t >= t0 * 1000.0) & (t < t1 * 1000.0)
    rates = np.bincount(gid[sel], minlength=len(nodes["type"])) / max(t1 - t0, 1e-12)
    return {name: (float(rates[nodes["type"] == name].mean()), float(rates[nodes["type"] == name].std()))
            for name in dict.fromkeys(nodes["type"])}


def class_rates(run_dir, t0=0.0, t1=None):
    """Mean rate (Hz) of all E and of all I cells over [t0, t1) seconds: (E, I)."""
    t, gid = read_spikes(run_dir)
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    t1 = t1 if t1 is not None else run_end(run_dir)
    sel = (t >= t0 * 1000.0) & (t < t1 * 1000.0)
    n_e = np.count_nonzero(ex[gid[sel]])
    span = max(t1 - t0, 1e-12)
    return n_e / ex.sum() / span, (np.count_nonzero(sel) - n_e) / (~ex).sum() / span


def population_counts(t_ms, t0_ms, t1_ms, bin_ms=5.0, binning="corrected"):
    """Spike counts of a population in bins of bin_ms.

    Parameters
    ----------
    t_ms : array
        Spike times of the population (ms).
    t0_ms, t1_ms : float
        The segment.
    binning : {'corrected', 'original'}
        'corrected': bins from the segment start, n = int((t1 - t0) / bin).  'original'
        (experiments.md §7): n = int((last - first) / bin) over the segment's first and last
        spike, and a spike at t goes to bin int((t mod (n bin)) / bin) — a circular
        rotation, with the final partial bin wrapped into bin 0.

    Returns
    -------
    numpy.ndarray
    """
    t = np.asarray(t_ms, dtype=float)
    t = t[(t >= t0_ms) & (t <= t1_ms)]
    if binning == "original":
        if len(t) < 2:
            return np.zeros(0)
        n = int((t.max() - t.min()) / bin_ms)
        if n <= 0:
            return np.zeros(0)
        idx = ((t % (n * bin_ms)) / bin_ms).astype(int)
        return np.bincount(np.minimum(idx, n - 1), minlength=n).astype(float)
    n = int((t1_ms - t0_ms) / bin_ms)
    idx = ((t - t0_ms) / bin_ms).astype(int)
    return np.bincount(idx[idx < n], minlength=n).astype(float)


def multitaper_spectrum(x, dt, nw=4.0, k=None):
    """One-sided multitaper power spectral density of a series (mean removed).

    DPSS (Slepian) tapers from scipy, time-bandwidth product nw, k = 2 nw - 1 tapers by
    default; the eigenspectra are averaged with equal weights (the original used adaptive
    weighting, which differs little for smooth spectra).  Scaled so that the integral over
    0..Nyquist equals the series' variance: units (counts/bin)^2 / Hz.

    Parameters
    ----------
    x : array
    dt : float
        Sampling interval (s).

    Returns
    -------
    (frequencies in Hz, psd)
    """
    from scipy.signal.windows import dpss
    x = np.asarray(x, dtype=float)
    x = x - x.mean()
    n = len(x)
    k = int(2 * nw - 1) if k is None else k
    tapers = dpss(n, nw, k)                      # (k, n), unit energy
    spec = np.mean(np.abs(np.fft.rfft(tapers * x, axis=1)) ** 2, axis=0) * dt
    spec[1:] *= 2.0                              # one-sided
    if n % 2 == 0:
        spec[-1] /= 2.0
    return np.fft.rfftfreq(n, dt), spec


def segment_spectra(run_dir, segment_s, bin_ms=5.0, binning="corrected", nw=4.0, start=0.0):
    """E and I population spectra for consecutive segments of segment_s seconds from start.

    Returns
    -------
    list of dict with 't0', 't1' (s), 'freq', 'E', 'I'
    """
    t, gid = read_spikes(run_dir)
    ex = read_nodes(run_dir)["excitatory"].astype(bool)
    end = run_end(run_dir) * 1000.0
    out = []
    seg, first = segment_s * 1000.0, start * 1000.0
    k = 0
    while first + (k + 1) * seg <= end + 1e-9 or (k == 0 and end > first):
        t0, t1 = first + k * seg, min(first + (k + 1) * seg, end)
        row = dict(t0=t0 / 1000.0, t1=t1 / 1000.0)
        for name, mask in (("E", ex[gid]), ("I", ~ex[gid])):
            counts = population_counts(t[mask], t0, t1, bin_ms, binning)
            f, p = multitaper_spectrum(counts, bin_ms / 1000.0, nw) if len(counts) > 16 else (np.zeros(0), np.zeros(0))
            row["freq"], row[name] = f, p
        out.append(row)
        k += 1
    return out


def _information_bits(parts_u, parts_r):
    """Bits per frequency from the real and imaginary parts of unique and repeat trials'
    transforms (trials x frequencies each)."""
    bits = 0.0
    for pu, pr in zip(parts_u, parts_r):
        ratio = pu.var(axis=0, ddof=1) / np.maximum(pr.var(axis=0, ddof=1), 1e-300)
        bits = bits + 0.5 * np.log2(np.maximum(ratio, 1.0))
    return bits


def fourier_information(unique, repeat, dt, fmax=None, resamples=200, seed=0):
    """Information rate (bits/s) from repeat and unique trials (Crumiller et al. 2011),
    with its bias and a 95% confidence interval.

    unique and repeat are arrays (trials x bins) of a response (e.g. population spike
    counts) in trials of equal length T = bins * dt.  Each trial's discrete Fourier
    transform is taken; at every frequency f the variance across unique trials of the
    real and of the imaginary part estimates signal + noise, the variance across repeat
    trials (the same stimulus each time) estimates the noise alone.  Treating each part
    as a Gaussian channel, the information at f is

        I(f) = 1/2 log2(var_U(Re) / var_R(Re)) + 1/2 log2(var_U(Im) / var_R(Im))   [bits]

    and the rate is the sum over 0 < f <= fmax divided by T.  Ratios below 1 (noise
    estimate above total) are clipped to 1, and finite trial counts make the estimate
    positive even without signal.  The bias is estimated as the mean rate over
    `resamples` random relabellings of the pooled trials into groups of the same sizes
    (no signal difference by construction) and subtracted.  The interval is the basic
    bootstrap interval (2 x estimate - the 97.5 and 2.5 % points of the rates over
    resamples of the trials within each group), which does not inherit the resamples'
    own upward bias.

    Returns
    -------
    dict with 'rate' (bits/s, uncorrected), 'bias', 'corrected', 'ci' (low, high of the
    corrected rate), 'freq' (Hz), 'bits' (per frequency), 'bias_bits' (per frequency)
    """
    u, r = np.asarray(unique, float), np.asarray(repeat, float)
    if u.ndim != 2 or r.ndim != 2 or u.shape[1] != r.shape[1] or min(len(u), len(r)) < 2:
        raise ValueError("fourier_information needs >= 2 unique and >= 2 repeat trials of equal length")
    freq = np.fft.rfftfreq(u.shape[1], dt)
    keep = (freq > 0) & (freq < 0.5 / dt) & ((freq <= fmax) if fmax else True)
    fu, fr = np.fft.rfft(u, axis=1)[:, keep], np.fft.rfft(r, axis=1)[:, keep]
    T = u.shape[1] * dt
    split = lambda f: (np.real(f), np.imag(f))
    bits = _information_bits(split(fu), split(fr))
    rng = np.random.default_rng(seed)
    pooled, nu = np.concatenate([fu, fr]), len(fu)
    null = []
    for _ in range(resamples):
        order = rng.permutation(len(pooled))
        null.append(_information_bits(split(pooled[order[:nu]]), split(pooled[order[nu:]])))
    bias_bits = np.mean(null, axis=0)
    bias = float(bias_bits.sum() / T)
    boot = [_information_bits(split(fu[rng.integers(0, len(fu), len(fu))]),
                              split(fr[rng.integers(0, len(fr), len(fr))])).sum() / T
            for _ in range(resamples)]
    rate = float(bits.sum() / T)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return dict(rate=rate, bias=bias, corrected=rate - bias, ci=(2 * rate - hi - bias, 2 * rate - lo - bias),
                freq=freq[keep], bits=bits, bias_bits=bias_bits)
