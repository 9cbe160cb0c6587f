"""A generic mergeable sketch of many variables at many dates: moments and quantile histograms
that merge exactly in any order, with a stated error bound. Nothing here knows the model;
:mod:`engine.reduction` feeds it the model's variables.

* **moments** (count, mean, sum of squared deviations) of every variable at every date, merged
  with Chan et al.'s pairwise formula (:class:`Moments`, and block by block in
  :func:`accumulate`). Floating-point merges must be done in one fixed order by the caller;
* **one histogram per (date, variable) on a piecewise-uniform grid** placed by a *pilot* sample
  (:func:`set_windows`, :func:`window_ranks`): for every requested quantile a *window* of ``NB``
  fine bins that the pilot shows the quantile lies in with overwhelming probability, ``NG``
  coarse bins in each gap between windows and beyond the outer ones (out to the pilot's range
  widened by half on each side), and one bin below and one above everything. Overlapping
  windows are split where they overlap, so every value falls in exactly one bin: it is placed
  by counting the segment edges at or below it and one multiplication, with no branch that
  depends on the data, and a block whose values are all equal is counted in one step. Counts
  are integers, so they merge exactly in any order; the exact **min/max** are kept too;
* **group sums** for the standard error of a mean from independent groups of values (single
  values, antithetic pairs, or blocks).

Error bound. A quantile is the linear interpolation ``(1-t) x_(f) + t x_(f+1)`` of two order
statistics (numpy's default). Each order statistic is known to lie in the bin holding its rank;
it is estimated by the bin's midpoint (bins clipped to the exact min/max), so its error is at
most half the bin width, and the interpolated estimate's error is at most the interpolated half
widths (:func:`extract`). An order statistic outside every window (a window *miss*: in a gap's
coarse bins or beyond them) is counted and its wider bound reported.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

NB = 128  # bins per quantile window
NG = 8  # bins per gap between windows (and between the outer windows and the widened pilot range)
Z_WINDOW = 5.0  # a window spans the pilot quantile's rank +/- Z_WINDOW binomial standard deviations

GROUP_PATH, GROUP_PAIR, GROUP_BLOCK = 0, 1, 2
N_GROUP_SUMS = 5  # groups, total weight, sum w^2, sum w^2 d, sum w^2 d^2 (d = group mean - shift)


def grid(nq: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The fixed shape of the grid for ``nq`` quantiles: S = 2 nq + 1 segments (gap, window, gap,
    ..., window, gap). Indexed by k, the number of segment edges at or below a value (0 to S + 1):
    ``off[k]`` the first bin of what k points to (0: the bin below everything; S + 1: the bin
    above), ``last[k]`` its number of bins less one. Returns (off, last, number of bins)."""
    S = 2 * nq + 1
    nbin = np.array([NG if s % 2 == 0 else NB for s in range(S)], dtype=np.int64)
    off = np.zeros(S + 2, dtype=np.int64)
    off[1 : S + 1] = 1 + np.concatenate(([0], np.cumsum(nbin)[:-1]))
    n_bins = 2 + int(nbin.sum())
    off[S + 1] = n_bins - 1
    last = np.zeros(S + 2, dtype=np.int64)
    last[1 : S + 1] = nbin - 1
    return off, last, n_bins


class Hist(NamedTuple):
    """The arrays of a sketch of V variables at D dates: segment ``edge`` (D, V, S + 1) and
    bins per unit ``scale`` (D, V, S + 2; indexed like ``off``, 0 below and above everything),
    the grid's ``off``/``last`` (S + 2,) (:func:`grid`), the ``counts`` (D, V, n_bins) and the
    exact extremes ``mn``/``mx`` (D, V)."""

    edge: np.ndarray
    scale: np.ndarray
    off: np.ndarray
    last: np.ndarray
    counts: np.ndarray
    mn: np.ndarray
    mx: np.ndarray


@njit(cache=True, nogil=True)
def accumulate(vals, d, h, mean, m2, n_before, row_of):
    """Add one block's values (NV, B) at date index d: every variable's moments merge into the
    unit's (mean, m2: (D, NV), holding n_before values; Chan et al.'s update), and variable v's
    values into row ``row_of[v]`` of the sketch ``h`` (:class:`Hist`), if it is not -1. NaNs
    enter the moments (making them NaN) but not the histogram or the extremes."""
    edge, scale, off, last, counts, mn, mx = h
    NV, B = vals.shape
    n_edge = edge.shape[2]
    B4 = B - B % 4
    # unsigned indices: numba wraps negative signed indices, a select on every access
    k_of = np.empty(B, dtype=np.uint64)
    bin_of = np.empty(B, dtype=np.uint64)
    base = np.empty(n_edge + 1)  # each k's segment start (e[k - 1]; e[0] for k = 0)
    last_f = np.empty(n_edge + 1)  # last[k] as a float, compared with t before the conversion
    for v in range(NV):
        row = vals[v]
        # block mean and squared deviations, four interleaved sums (a fixed order, so still
        # deterministic) to break the floating-point add chains
        s0 = s1 = s2 = s3 = 0.0
        for p in range(0, B4, 4):
            s0 += row[p]
            s1 += row[p + 1]
            s2 += row[p + 2]
            s3 += row[p + 3]
        for p in range(B4, B):
            s0 += row[p]
        mb = ((s0 + s1) + (s2 + s3)) / B
        s0 = s1 = s2 = s3 = 0.0
        for p in range(0, B4, 4):
            e0, e1, e2, e3 = row[p] - mb, row[p + 1] - mb, row[p + 2] - mb, row[p + 3] - mb
            s0 += e0 * e0
            s1 += e1 * e1
            s2 += e2 * e2
            s3 += e3 * e3
        for p in range(B4, B):
            e0 = row[p] - mb
            s0 += e0 * e0
        q2 = (s0 + s1) + (s2 + s3)
        if n_before == 0:
            mean[d, v] = mb
            m2[d, v] = q2
        else:
            n = n_before + B
            delta = mb - mean[d, v]
            mean[d, v] += delta * B / n
            m2[d, v] += q2 + delta * delta * (n_before * B / n)
        r = row_of[v]
        if r < 0:
            continue
        # extremes, four interleaved chains (a NaN compares false, so it is skipped)
        a0 = a1 = a2 = a3 = np.inf
        c0 = c1 = c2 = c3 = -np.inf
        for p in range(0, B4, 4):
            x0, x1, x2, x3 = row[p], row[p + 1], row[p + 2], row[p + 3]
            a0 = x0 if x0 < a0 else a0
            a1 = x1 if x1 < a1 else a1
            a2 = x2 if x2 < a2 else a2
            a3 = x3 if x3 < a3 else a3
            c0 = x0 if x0 > c0 else c0
            c1 = x1 if x1 > c1 else c1
            c2 = x2 if x2 > c2 else c2
            c3 = x3 if x3 > c3 else c3
        for p in range(B4, B):
            x0 = row[p]
            a0 = x0 if x0 < a0 else a0
            c0 = x0 if x0 > c0 else c0
        b_mn = min(min(a0, a1), min(a2, a3))
        b_mx = max(max(c0, c1), max(c2, c3))
        if b_mn > b_mx:  # every value NaN
            continue
        mn[d, r] = min(mn[d, r], b_mn)
        mx[d, r] = max(mx[d, r], b_mx)
        e, sc, cnt = edge[d, r], scale[d, r], counts[d, r]
        nans = 0
        for p in range(B):
            nans += row[p] != row[p]
        if b_mn == b_mx:  # one value (a part that is zero on every path, say): one bin, B times
            k = 0
            for s in range(n_edge):
                k += e[s] <= b_mn
            cnt[off[k] + _bin((b_mn - e[max(k - 1, 0)]) * sc[k], last[k])] += B - nans
            continue
        for k in range(n_edge + 1):
            base[k] = e[max(k - 1, 0)]
            last_f[k] = last[k]
        for p in range(B):
            k_of[p] = 0
        # the edges at or below each value, branch-free and vectorised, four edges a pass over the
        # values (a pass per edge spent as much on loading and storing k_of as on comparing)
        s = 0
        while s + 3 < n_edge:
            ea, eb, ec, ed = e[s], e[s + 1], e[s + 2], e[s + 3]
            for p in range(B):
                x = row[p]
                k_of[p] += (np.uint64(ea <= x) + np.uint64(eb <= x)) + (np.uint64(ec <= x) + np.uint64(ed <= x))
            s += 4
        while s < n_edge:
            ea = e[s]
            for p in range(B):
                k_of[p] += np.uint64(ea <= row[p])
            s += 1
        for p in range(B):  # each value's bin (as _bin), then the counts
            k = k_of[p]
            t = (row[p] - base[k]) * sc[k]
            bin_of[p] = np.uint64(off[k] + (int(t) if t < last_f[k] else last[k]))
        if nans == 0:
            for p in range(B):
                cnt[bin_of[p]] += 1
        else:
            for p in range(B):
                if row[p] == row[p]:
                    cnt[bin_of[p]] += 1


@njit(cache=True, nogil=True, inline="always")
def _bin(t, last):
    """The bin within a segment of a value ``t`` bins above the segment's start: ``int(t)``,
    capped at ``last``; a NaN (an infinite value times a zero scale) goes to ``last``."""
    return int(t) if t < last else last


@njit(cache=True, nogil=True)
def set_windows(vals, d, r_lo, r_hi, edge, scale, hist):
    """The grid of date d from the pilot's values (V, n). Window k spans the pilot's order
    statistics of ranks r_lo[k] and r_hi[k] (located to within one of ``hist.size`` bins of the
    pilot's range, rounding outwards), padded by 2%, reaching beyond the pilot's extremes where a
    rank is one; the windows are made monotone (only widening), then split where neighbours
    overlap (at the middle of the overlap). The gaps reach out to the pilot's range widened by
    half on each side (further if a window does)."""
    V, n = vals.shape
    nq = r_lo.shape[0]
    H = hist.shape[0]
    lo = np.empty(nq)
    hi = np.empty(nq)
    for v in range(V):
        x_mn, x_mx, n_f = np.inf, -np.inf, 0
        for p in range(n):
            x = vals[v, p]
            if x == x:
                x_mn = min(x_mn, x)
                x_mx = max(x_mx, x)
                n_f += 1
        if n_f == 0:
            x_mn = x_mx = 0.0
        tiny = 1e-12 * (1.0 + abs(x_mn) + abs(x_mx))
        span = max(x_mx - x_mn, tiny)
        w = span / H
        hist[:] = 0
        for p in range(n):
            x = vals[v, p]
            if x == x:
                hist[min(int((x - x_mn) / w), H - 1)] += 1
        acc = 0
        for h in range(H):  # cumulative counts, in place: one pass, not one per rank
            acc += hist[h]
            hist[h] = acc
        for k in range(nq):
            a = b = x_mn
            for side in range(2):
                r = min(r_lo[k] if side == 0 else r_hi[k], max(n_f - 1, 0))
                h = np.searchsorted(hist, r, side="right")  # the first bin whose cumulative count exceeds r
                if h < H:
                    if side == 0:
                        a = x_mn + h * w
                    else:
                        b = x_mn + (h + 1) * w if h < H - 1 else x_mx
            width = b - a
            if r_lo[k] == 0:
                a -= width
            if r_hi[k] >= n - 1:
                b += width
            pad = 0.02 * (b - a) + tiny
            lo[k] = a - pad
            hi[k] = b + pad
        for k in range(nq - 2, -1, -1):
            lo[k] = min(lo[k], lo[k + 1])
        for k in range(1, nq):
            hi[k] = max(hi[k], hi[k - 1])
        for k in range(nq - 1):
            if hi[k] > lo[k + 1]:
                m = 0.5 * (hi[k] + lo[k + 1])
                hi[k] = m
                lo[k + 1] = m
        e = edge[d, v]
        pad = 0.5 * span + tiny
        e[0] = min(x_mn - pad, lo[0])
        for k in range(nq):
            e[1 + 2 * k] = lo[k]
            e[2 + 2 * k] = hi[k]
        e[2 * nq + 1] = max(x_mx + pad, hi[nq - 1])
        for s in range(1, 2 * nq + 2):
            e[s] = max(e[s], e[s - 1])
        sc = scale[d, v]
        sc[0] = 0.0
        sc[2 * nq + 2] = 0.0
        for s in range(2 * nq + 1):
            width = e[s + 1] - e[s]
            sc[s + 1] = ((NG if s % 2 == 0 else NB) / width) if width > 0.0 else 0.0


@njit(cache=True, nogil=True)
def group_sums(svals, mode, shift, out):
    """Add the standard-error group sums of one block's scalars (NS, B) to out (NS, N_GROUP_SUMS):
    groups are paths (mode 0), antithetic pairs p, p + ceil(B/2) (mode 1) or the block (mode 2)."""
    NS, B = svals.shape
    half = (B + 1) // 2
    for s in range(NS):
        c = shift[s]
        if mode == GROUP_BLOCK:
            m = 0.0
            for p in range(B):
                m += svals[s, p]
            _add_group(out, s, m / B - c, float(B))
        elif mode == GROUP_PAIR:
            for p in range(half):
                if p + half < B:
                    _add_group(out, s, (svals[s, p] + svals[s, p + half]) / 2.0 - c, 2.0)
                else:
                    _add_group(out, s, svals[s, p] - c, 1.0)
        else:
            for p in range(B):
                _add_group(out, s, svals[s, p] - c, 1.0)


@njit(cache=True, nogil=True)
def _add_group(out, s, d, w):
    out[s, 0] += 1.0
    out[s, 1] += w
    w2 = w * w
    out[s, 2] += w2
    out[s, 3] += w2 * d
    out[s, 4] += w2 * d * d


@njit(cache=True)
def extract(q, h, est, bound, misses):
    """Quantiles q (nq,) of every (date, variable) of the sketch ``h`` (:class:`Hist`) into
    est/bound (D, V, nq); misses[0] counts order statistics found outside every window."""
    counts = h.counts
    D, V, NT = counts.shape
    for d in range(D):
        for v in range(V):
            n = 0
            for c in range(NT):
                n += counts[d, v, c]
            if n == 0:
                for k in range(q.shape[0]):
                    est[d, v, k] = np.nan
                    bound[d, v, k] = np.nan
                continue
            for k in range(q.shape[0]):
                r = q[k] * (n - 1)
                f = int(math.floor(r))
                t = r - f
                m_f, b_f = _order_stat(f, d, v, h, misses)
                if t > 0.0:
                    m_c, b_c = _order_stat(min(f + 1, n - 1), d, v, h, misses)
                else:
                    m_c, b_c = m_f, b_f
                est[d, v, k] = (1.0 - t) * m_f + t * m_c
                bound[d, v, k] = (1.0 - t) * b_f + t * b_c


@njit(cache=True)
def _order_stat(r, d, v, h, misses):
    """(midpoint, half width) of the bin holding the order statistic of rank r (0-based),
    clipped to the exact min/max."""
    edge, scale, off = h.edge[d, v], h.scale[d, v], h.off
    cnt = h.counts[d, v]
    S = edge.shape[0] - 1
    lo_x, hi_x = h.mn[d, v], h.mx[d, v]
    acc = 0
    b = 0
    for b in range(cnt.shape[0]):
        acc += cnt[b]
        if r < acc:
            break
    # the segment k the bin belongs to (off is increasing in k)
    k = 0
    while k + 1 < off.shape[0] and off[k + 1] <= b:
        k += 1
    if k == 0:
        a, e = lo_x, edge[0]
    elif k == S + 1:
        a, e = edge[S], hi_x
    elif not scale[k] > 0.0:  # a segment too wide for its bins (an overflowing range): one bin
        a, e = edge[k - 1], edge[k]
    else:
        j = b - off[k]
        a = edge[k - 1] + j / scale[k]
        e = edge[k] if b == off[k] + h.last[k] else edge[k - 1] + (j + 1) / scale[k]
    if k % 2 == 1 or k == 0 or k == S + 1:  # a gap or beyond: outside every window
        misses[0] += 1
    a = min(max(a, lo_x), hi_x)
    e = max(min(e, hi_x), a)
    # half width, plus a few ulps for the rounding of the bin arithmetic
    slack = 8.0 * 2.220446049250313e-16 * (abs(a) + abs(e))
    return 0.5 * (a + e), 0.5 * (e - a) + slack


class Sketch:
    """Grids, histograms and extremes of V variables at D dates; everything but the grid (the
    plan) merges exactly, by integer addition and min/max."""

    def __init__(self, D: int, V: int, nq: int):
        self.off, self.last, self.n_bins = grid(nq)
        self.edge = np.zeros((D, V, 2 * nq + 2))
        self.scale = np.zeros((D, V, 2 * nq + 3))
        self._zero()

    def _zero(self) -> None:
        D, V = self.edge.shape[:2]
        self.counts = np.zeros((D, V, self.n_bins), dtype=np.int32)
        self.mn = np.full((D, V), np.inf)
        self.mx = np.full((D, V), -np.inf)

    def empty_like(self) -> Sketch:
        """A zeroed sketch sharing this one's grid."""
        new = Sketch.__new__(Sketch)
        new.off, new.last, new.n_bins, new.edge, new.scale = self.off, self.last, self.n_bins, self.edge, self.scale
        new._zero()
        return new

    def add(self, other: Sketch) -> None:
        self.counts += other.counts
        np.minimum(self.mn, other.mn, out=self.mn)
        np.maximum(self.mx, other.mx, out=self.mx)

    def hist(self) -> Hist:
        """The arrays :func:`accumulate` fills."""
        return Hist(self.edge, self.scale, self.off, self.last, self.counts, self.mn, self.mx)

    def quantiles(self, qs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(estimates, error bounds, window misses) of the quantiles ``qs`` (sorted) of every
        (date, variable): (D, V, nq) each."""
        est = np.empty(self.edge.shape[:2] + (len(qs),))
        bound = np.empty_like(est)
        misses = np.zeros(1, dtype=np.int64)
        extract(qs, self.hist(), est, bound, misses)
        return est, bound, int(misses[0])

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.counts, self.mn, self.mx))


def sketch_bytes(nq: int) -> int:
    """Bytes a sketch keeps per (date, variable) besides its grid: the counts and the extremes."""
    return grid(nq)[2] * 4 + 2 * 8


PILOT_HIST = 4096  # bins locating the pilot's order statistics


def window_ranks(q: float, n: int) -> tuple[int, int]:
    """Pilot ranks bounding the window of quantile q (n pilot values)."""
    h = q * (n - 1)
    half = Z_WINDOW * math.sqrt(n * q * (1.0 - q)) + 1.0
    return max(0, int(math.floor(h - half))), min(n - 1, int(math.ceil(h + half)))


class Moments:
    """Count, mean and sum of squared deviations of V variables at D dates (Chan et al.)."""

    def __init__(self, D: int, V: int):
        self.n = 0
        self.mean = np.zeros((D, V))
        self.m2 = np.zeros((D, V))

    def merge(self, n: int, mean: np.ndarray, m2: np.ndarray) -> None:
        if n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = n, mean.copy(), m2.copy()
            return
        tot = self.n + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / tot)
        self.m2 = self.m2 + m2 + delta * delta * (self.n * n / tot)
        self.n = tot

    def std(self) -> np.ndarray:
        return np.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else np.zeros_like(self.mean)


def std_error(groups: np.ndarray, mean: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Standard error of the mean of every variable (V,) from its group sums (V, N_GROUP_SUMS):
    G/(G-1) * sum w^2 (m - mean)^2 / W^2, with d = m - shift."""
    G, W, A0, A1, A2 = (groups[:, k] for k in range(N_GROUP_SUMS))
    dbar = mean - shift
    ss = A2 - 2.0 * dbar * A1 + dbar * dbar * A0
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(G > 1, G / (G - 1) * np.maximum(ss, 0.0) / (W * W), 0.0)
    return np.sqrt(var)
