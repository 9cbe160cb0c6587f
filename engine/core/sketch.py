"""A generic mergeable sketch of many variables at many dates: moments and windowed quantile
histograms that merge exactly in any order, with a stated error bound. Nothing here knows the
model; :mod:`engine.reduction` feeds it the model's variables.

* **moments** (count, mean, sum of squared deviations) of every variable at every date, merged
  with Chan et al.'s pairwise formula (:class:`Moments`, and block by block in
  :func:`accumulate`). Floating-point merges must be done in one fixed order by the caller;
* **quantile windows**: for every requested quantile, a fine histogram of ``NB`` bins over a
  window that a *pilot* sample shows the quantile lies in with overwhelming probability
  (:func:`set_windows`, :func:`window_ranks`), plus the count of values below the window.
  Counts are integers, so they merge exactly in any order;
* a **coarse histogram** (``NC`` bins over the pilot range widened by half on each side, plus an
  under- and an overflow bin) and the exact **min/max**, used where a quantile's rank falls outside
  every window (a window miss; counted and reported);
* **group sums** for the standard error of a mean from independent groups of values (single
  values, antithetic pairs, or blocks).

Error bound. A quantile is the linear interpolation ``(1-t) x_(f) + t x_(f+1)`` of two order
statistics (numpy's default). Each order statistic is known to lie in the bin holding its rank;
it is estimated by the bin's midpoint (bins clipped to the exact min/max), so its error is at
most half the bin width, and the interpolated estimate's error is at most the interpolated half
widths (:func:`extract`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

NB = 128  # bins per quantile window
NC = 64  # bins of the coarse histogram (plus an under- and an overflow bin)
Z_WINDOW = 5.0  # a window spans the pilot quantile's rank +/- Z_WINDOW binomial standard deviations

GROUP_PATH, GROUP_PAIR, GROUP_BLOCK = 0, 1, 2
N_GROUP_SUMS = 5  # groups, total weight, sum w^2, sum w^2 d, sum w^2 d^2 (d = group mean - shift)


class Hist(NamedTuple):
    """The arrays of a sketch of V variables at D dates and nq quantiles: window bounds ``lo``,
    ``hi`` and bins per unit ``sc`` (D, V, nq); counts below each window ``slot`` (D, V, nq + 1);
    window histograms ``win`` (D, V, nq, NB); the coarse range ``clo``/``csc`` (D, V) and
    histogram ``coarse`` (D, V, NC + 2); the exact extremes ``mn``/``mx`` (D, V)."""

    lo: np.ndarray
    hi: np.ndarray
    sc: np.ndarray
    slot: np.ndarray
    win: np.ndarray
    clo: np.ndarray
    csc: np.ndarray
    coarse: np.ndarray
    mn: np.ndarray
    mx: np.ndarray


@njit(cache=True, nogil=True)
def accumulate(vals, d, h, mean, m2, n_before):
    """Add one block's values (NV, B) at date index d to the sketch ``h`` (:class:`Hist`) and merge the block's moments
    into the unit's (mean, m2 hold n_before values; Chan et al.'s update).

    Windows are sorted (lo and hi ascending in the quantile), so a value needs one scan: k =
    the number of windows starting at or below it (``slot[k] += 1``; the count below window q is
    ``sum(slot[:q+1])``), and it lies in windows k-1, k-2, ... for as long as it is below their hi."""
    lo, hi, sc, slot, win, clo, csc, coarse, mn, mx = h
    NV, B = vals.shape
    nq = lo.shape[2]
    nb = win.shape[3]
    nc = coarse.shape[2] - 2
    B4 = B - B % 4
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
        lo_v, hi_v, sc_v = lo[d, v], hi[d, v], sc[d, v]
        sl, wv, cv = slot[d, v], win[d, v], coarse[d, v]
        cl, cs = clo[d, v], csc[d, v]
        a_mn, a_mx = mn[d, v], mx[d, v]
        for p in range(B):
            x = row[p]
            if x != x:
                continue
            a_mn = min(a_mn, x)
            a_mx = max(a_mx, x)
            k = 0
            for q in range(nq):  # branch-free count of the windows starting at or below x
                k += lo_v[q] <= x
            sl[k] += 1
            q = k - 1
            while q >= 0 and x < hi_v[q]:
                b = int((x - lo_v[q]) * sc_v[q])
                wv[q, min(max(b, 0), nb - 1)] += 1
                q -= 1
            t = (x - cl) * cs
            c = 0 if t < 0.0 else (1 + int(t) if t < nc else nc + 1)
            cv[c] += 1
        mn[d, v], mx[d, v] = a_mn, a_mx
        if n_before == 0:
            mean[d, v] = mb
            m2[d, v] = q2
        else:
            n = n_before + B
            delta = mb - mean[d, v]
            mean[d, v] += delta * B / n
            m2[d, v] += q2 + delta * delta * (n_before * B / n)


@njit(cache=True, nogil=True)
def set_windows(vals, d, r_lo, r_hi, lo, hi, sc, clo, csc, hist):
    """Windows of date d from the pilot's values (V, n): for quantile k, the pilot's order
    statistics of ranks r_lo[k] and r_hi[k] (located to within one of ``hist.size`` bins of the
    pilot's range, rounding outwards), padded by 2%, reaching beyond the pilot's extremes where a
    rank is one; then made monotone (only widening). The coarse range is the pilot's widened by
    half on each side."""
    V, n = vals.shape
    nq = r_lo.shape[0]
    nb = NB
    H = hist.shape[0]
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
        for k in range(nq):
            a = b = x_mn
            for side in range(2):
                r = min(r_lo[k] if side == 0 else r_hi[k], max(n_f - 1, 0))
                acc = 0
                for h in range(H):
                    acc += hist[h]
                    if r < acc:
                        if side == 0:
                            a = x_mn + h * w
                        else:
                            b = x_mn + (h + 1) * w if h < H - 1 else x_mx
                        break
            width = b - a
            if r_lo[k] == 0:
                a -= width
            if r_hi[k] >= n - 1:
                b += width
            pad = 0.02 * (b - a) + tiny
            lo[d, v, k] = a - pad
            hi[d, v, k] = b + pad
        for k in range(nq - 2, -1, -1):
            lo[d, v, k] = min(lo[d, v, k], lo[d, v, k + 1])
        for k in range(1, nq):
            hi[d, v, k] = max(hi[d, v, k], hi[d, v, k - 1])
        for k in range(nq):
            sc[d, v, k] = nb / (hi[d, v, k] - lo[d, v, k])
        pad = 0.5 * span + tiny
        clo[d, v] = x_mn - pad
        csc[d, v] = NC / (span + 2.0 * pad)


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
def extract(q, lo, sc, slot, win, clo, csc, coarse, mn, mx, est, bound, misses):
    """Quantiles q (nq,) of every (date, variable) from the sketch into est/bound (D, V, nq);
    misses[0] counts order statistics found only in the coarse histogram."""
    D, V, _ = lo.shape
    nc = coarse.shape[2] - 2
    for d in range(D):
        for v in range(V):
            n = 0
            for c in range(nc + 2):
                n += coarse[d, v, c]
            if n == 0:
                for k in range(q.shape[0]):
                    est[d, v, k] = np.nan
                    bound[d, v, k] = np.nan
                continue
            for k in range(q.shape[0]):
                h = q[k] * (n - 1)
                f = int(math.floor(h))
                t = h - f
                m_f, b_f = _order_stat(f, d, v, lo, sc, slot, win, clo, csc, coarse, mn, mx, misses)
                if t > 0.0:
                    m_c, b_c = _order_stat(min(f + 1, n - 1), d, v, lo, sc, slot, win, clo, csc, coarse, mn, mx, misses)
                else:
                    m_c, b_c = m_f, b_f
                est[d, v, k] = (1.0 - t) * m_f + t * m_c
                bound[d, v, k] = (1.0 - t) * b_f + t * b_c


@njit(cache=True)
def _order_stat(r, d, v, lo, sc, slot, win, clo, csc, coarse, mn, mx, misses):
    """(midpoint, half width) of the narrowest bin known to hold the order statistic of rank r
    (0-based), clipped to the exact min/max."""
    nb = win.shape[3]
    nc = coarse.shape[2] - 2
    lo_x, hi_x = mn[d, v], mx[d, v]
    best_w = np.inf
    best_a, best_b = lo_x, hi_x
    below = 0
    for w in range(lo.shape[2]):
        below += slot[d, v, w]  # values below window w
        if r < below:
            continue
        acc = below
        for b in range(nb):
            acc += win[d, v, w, b]
            if r < acc:
                a = lo[d, v, w] + b / sc[d, v, w]
                e = lo[d, v, w] + (b + 1) / sc[d, v, w]
                if e - a < best_w:
                    best_w, best_a, best_b = e - a, a, e
                break
    if best_w == np.inf:
        misses[0] += 1
        acc = 0
        for b in range(nc + 2):
            acc += coarse[d, v, b]
            if r < acc:
                if b == 0:
                    best_a, best_b = lo_x, clo[d, v]
                elif b == nc + 1:
                    best_a, best_b = clo[d, v] + nc / csc[d, v], hi_x
                else:
                    best_a, best_b = clo[d, v] + (b - 1) / csc[d, v], clo[d, v] + b / csc[d, v]
                break
    a = min(max(best_a, lo_x), hi_x)
    e = max(min(best_b, hi_x), a)
    # half width, plus a few ulps for the rounding of the bin arithmetic
    slack = 8.0 * 2.220446049250313e-16 * (abs(a) + abs(e))
    return 0.5 * (a + e), 0.5 * (e - a) + slack


class Sketch:
    """Windows, histograms, counts and extremes of V variables at D dates; everything but the
    windows (the plan) merges exactly, by integer addition and min/max."""

    def __init__(self, D: int, V: int, nq: int):
        self.lo = np.zeros((D, V, nq))
        self.hi = np.zeros((D, V, nq))
        self.sc = np.ones((D, V, nq))
        self.clo = np.zeros((D, V))
        self.csc = np.ones((D, V))
        self._zero()

    def _zero(self) -> None:
        D, V, nq = self.lo.shape
        self.slot = np.zeros((D, V, nq + 1), dtype=np.int64)
        self.win = np.zeros((D, V, nq, NB), dtype=np.int32)
        self.coarse = np.zeros((D, V, NC + 2), dtype=np.int64)
        self.mn = np.full((D, V), np.inf)
        self.mx = np.full((D, V), -np.inf)

    def empty_like(self) -> Sketch:
        """A zeroed sketch sharing this one's windows."""
        new = Sketch.__new__(Sketch)
        new.lo, new.hi, new.sc, new.clo, new.csc = self.lo, self.hi, self.sc, self.clo, self.csc
        new._zero()
        return new

    def add(self, other: Sketch) -> None:
        self.slot += other.slot
        self.win += other.win
        self.coarse += other.coarse
        np.minimum(self.mn, other.mn, out=self.mn)
        np.maximum(self.mx, other.mx, out=self.mx)

    def hist(self) -> Hist:
        """The arrays :func:`accumulate` fills."""
        return Hist(self.lo, self.hi, self.sc, self.slot, self.win, self.clo, self.csc, self.coarse, self.mn, self.mx)

    def quantiles(self, qs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """(estimates, error bounds, window misses) of the quantiles ``qs`` (sorted) of every
        (date, variable): (D, V, nq) each."""
        est = np.empty(self.lo.shape[:2] + (len(qs),))
        bound = np.empty_like(est)
        misses = np.zeros(1, dtype=np.int64)
        extract(
            qs,
            self.lo,
            self.sc,
            self.slot,
            self.win,
            self.clo,
            self.csc,
            self.coarse,
            self.mn,
            self.mx,
            est,
            bound,
            misses,
        )
        return est, bound, int(misses[0])

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.slot, self.win, self.coarse, self.mn, self.mx))


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
