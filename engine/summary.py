"""Streaming, mergeable summaries: what a run keeps instead of every path.

A run's paths are reduced block by block (256 paths) into a :class:`Summary` whose size depends
on the recorded grid and the number of variables, never on the number of paths:

* **moments** (count, mean, sum of squared deviations) of every fan variable at every recorded
  date, merged with Chan et al.'s pairwise formula. Floating-point merges are done in one fixed
  order (block by block inside a *unit* of ``UNIT_BLOCKS`` blocks, then unit by unit), so the
  result is bit-identical whatever the chunking, threads or Dask workers;
* **quantile windows**: for every requested quantile, a fine histogram of ``NB`` bins over a
  window that a *pilot* (the run's own first ``PILOT_PATHS`` paths) shows the quantile lies in
  with overwhelming probability, plus the count of values below the window. Counts are integers,
  so they merge exactly in any order;
* a **coarse histogram** (``NC`` bins over the pilot range widened by half on each side, plus an
  under- and an overflow bin) and the exact **min/max**, used where a quantile's rank falls outside
  every window (a window miss; counted and reported);
* for the per-path scalar metrics (horizon values, peaks, maximum moves, threshold crossings),
  the same sketch plus **group sums** for the standard error of the mean: groups are paths, or
  antithetic pairs, or quasi-random blocks (the unit of independent randomness).

Error bound. A quantile is the linear interpolation ``(1-t) x_(f) + t x_(f+1)`` of two order
statistics (numpy's default). Each order statistic is known to lie in the bin holding its rank;
it is estimated by the bin's midpoint (bins clipped to the exact min/max), so its error is at
most half the bin width, and the interpolated estimate's error is at most the interpolated half
widths. :meth:`Summary.quantiles` returns that bound with every value; ``tests/test_summary.py``
checks it against exact quantiles of runs that keep every path.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .blocks import curve
from .model import (MET_FALL, MET_FALL_W, MET_PEAK, MET_RISE, MET_RISE_W, MET_SUMSQ, MET_TROUGH, REC_NAMES, Model)
from .scenario import THRESHOLD_RE
from .units import parse

NB = 128            # bins per quantile window
NC = 64             # bins of the coarse histogram (plus an under- and an overflow bin)
PILOT_PATHS = 8192  # the first paths of the run fix the windows (they are reduced like all others)
UNIT_BLOCKS = 16    # blocks per merge unit (4096 paths): moments merge block by block within a unit
GROUP_BLOCKS = 8    # blocks reduced together, date by date (their histograms for a date stay in cache)
Z_WINDOW = 5.0      # a window spans the pilot quantile's rank +/- Z_WINDOW binomial standard deviations

GROUP_PATH, GROUP_PAIR, GROUP_BLOCK = 0, 1, 2
N_GROUP_SUMS = 5    # groups, total weight, sum w^2, sum w^2 d, sum w^2 d^2 (d = group mean - shift)

STATE_SCALARS = ("policy_rate", "inflation", "inflation_expectations", "output_gap", "neutral_rate",
                 "policy_stance", "term_premium_10y")
# per-path scalar metrics of each tenor, in decimals (sumsq in decimal^2)
TENOR_SCALARS = ("horizon", "change_to_horizon", "peak", "trough", "max_rise_1step", "max_fall_1step",
                 "realized_vol", "sumsq")
WEEK_SCALARS = ("max_rise_1w", "max_fall_1w")

N_FAN_STATES = len(REC_NAMES) - 1  # every recorded state but cum_rate
V_DF = N_FAN_STATES                # the discount factor
V_TENOR0 = V_DF + 1                # then per tenor: yield and its 7 components
PER_TENOR = 8
_CUM = REC_NAMES.index("cum_rate")
N_REC = len(REC_NAMES)
_R_TP, _R_IRP, _R_CY, _R_W, _R_F = (REC_NAMES.index(n) for n in (
    "term_premium_10y", "inflation_risk_premium_10y", "convenience_yield_3m", "liquidity_wedge_10y", "fire_sale_10y"))


def fan_names(tenor_labels: list[str], extra: tuple[str, ...] = ()) -> list[str]:
    """Fan variables: the core states, the discount factor, each tenor's yield and components,
    then ``extra`` (recorded rows after the core states: the fiscal variables) as recorded."""
    from .results import COMPONENTS
    out = [n for n in REC_NAMES if n != "cum_rate"] + ["discount_factor"]
    for t in tenor_labels:
        out += [f"yield_{t}"] + [f"yield_{t}/{c}" for c in COMPONENTS]
    return out + list(extra)


# ------------------------------------------------------------------------------------------ values
@njit(cache=True, nogil=True)
def fan_values(R, cn, cp, lb, load, vals):
    """Fan variables of one recorded date. R: (n_state_rec, B) records; cn/cp: (n_tenor, 7)
    expectation coefficients; lb: lower bound; load: (5, n_tenor). vals: (NV, B) output, decimals.
    The yield arithmetic is the kernel's (engine.kernel._curve_point), in its order. Recorded
    rows after the core states (fiscal variables) follow the tenors unchanged."""
    B = R.shape[1]
    x0 = V_TENOR0 + PER_TENOR * cn.shape[0]
    for e in range(R.shape[0] - N_REC):
        for p in range(B):
            vals[x0 + e, p] = R[N_REC + e, p]
    for v in range(N_FAN_STATES):
        for p in range(B):
            vals[v, p] = R[v, p]
    for p in range(B):
        vals[V_DF, p] = math.exp(-R[_CUM, p])
    for j in range(cn.shape[0]):
        b = V_TENOR0 + PER_TENOR * j
        c0, c1, c2, c3, c4, c5, c6 = cn[j, 0], cn[j, 1], cn[j, 2], cn[j, 3], cn[j, 4], cn[j, 5], cn[j, 6]
        d0, d1, d2, d3, d4, d5, d6 = cp[j, 0], cp[j, 1], cp[j, 2], cp[j, 3], cp[j, 4], cp[j, 5], cp[j, 6]
        l_irp, l_tp, l_w, l_cy, l_f = (load[curve.L_IRP, j], load[curve.L_TP, j], load[curve.L_W, j],
                                       load[curve.L_CY, j], load[curve.L_F, j])
        for p in range(B):
            en = c6 + c0 * R[0, p] + c1 * R[1, p] + c2 * R[2, p] + c3 * R[3, p] + c4 * R[4, p] + c5 * R[5, p]
            en = max(en, lb)
            ei = d6 + d0 * R[0, p] + d1 * R[1, p] + d2 * R[2, p] + d3 * R[3, p] + d4 * R[4, p] + d5 * R[5, p]
            real = en - ei
            irp = l_irp * R[_R_IRP, p]
            tp = l_tp * R[_R_TP, p]
            w = l_w * R[_R_W, p]
            cy = l_cy * R[_R_CY, p]
            f = l_f * R[_R_F, p]
            y = real + ei
            y = y + irp
            y = y + tp
            y = y + w
            y = y - cy
            vals[b, p] = y + f
            vals[b + 1, p] = real
            vals[b + 2, p] = ei
            vals[b + 3, p] = irp
            vals[b + 4, p] = tp
            vals[b + 5, p] = w
            vals[b + 6, p] = cy
            vals[b + 7, p] = f


@njit(cache=True, nogil=True)
def update_hits(vals, th_kind, th_a, th_b, th_gt, th_lvl, hits):
    """Threshold crossings at one recorded date (kind 1: 'A [- B] > level' on fan variables)."""
    B = vals.shape[1]
    for k in range(th_kind.shape[0]):
        if th_kind[k] != 1:
            continue
        a, b, lvl = th_a[k], th_b[k], th_lvl[k]
        for p in range(B):
            x = vals[a, p] - (vals[b, p] if b >= 0 else 0.0)
            if (x > lvl) if th_gt[k] else (x < lvl):
                hits[k, p] = 1.0


@njit(cache=True, nogil=True)
def scalar_values(first, last, M, hits, th_kind, th_a, th_gt, th_lvl, state_idx, years, weekly, svals):
    """Per-path scalar metrics (see ``scalar_names``) from the first and last dates' fan values,
    the kernel's per-path metrics M (N_MET, n_tenor, B) and the threshold hits."""
    B = first.shape[1]
    n_ten = M.shape[1]
    k_per = 10 if weekly else 8
    for j in range(n_ten):
        b = V_TENOR0 + PER_TENOR * j
        o = k_per * j
        for p in range(B):
            svals[o, p] = last[b, p]
            svals[o + 1, p] = last[b, p] - first[b, p]
            svals[o + 2, p] = M[MET_PEAK, j, p]
            svals[o + 3, p] = M[MET_TROUGH, j, p]
            svals[o + 4, p] = M[MET_RISE, j, p]
            svals[o + 5, p] = M[MET_FALL, j, p]
            svals[o + 6, p] = math.sqrt(M[MET_SUMSQ, j, p] / years)
            svals[o + 7, p] = M[MET_SUMSQ, j, p]
            if weekly:
                svals[o + 8, p] = M[MET_RISE_W, j, p]
                svals[o + 9, p] = M[MET_FALL_W, j, p]
    o = k_per * n_ten
    for s in range(state_idx.shape[0]):
        for p in range(B):
            svals[o + s, p] = last[state_idx[s], p]
    o += state_idx.shape[0]
    for k in range(th_kind.shape[0]):
        for p in range(B):
            if th_kind[k] == 0:
                x = M[MET_PEAK, th_a[k], p] if th_gt[k] else M[MET_TROUGH, th_a[k], p]
                svals[o + k, p] = 1.0 if ((x > th_lvl[k]) if th_gt[k] else (x < th_lvl[k])) else 0.0
            else:
                svals[o + k, p] = hits[k, p]


# ------------------------------------------------------------------------------------------ sketch
@njit(cache=True, nogil=True)
def accumulate(vals, d, lo, hi, sc, slot, win, clo, csc, coarse, mn, mx, mean, m2, n_before):
    """Add one block's values (NV, B) at date index d to the sketch and merge the block's moments
    into the unit's (mean, m2 hold n_before values; Chan et al.'s update).

    Windows are sorted (lo and hi ascending in the quantile), so a value needs one scan: k =
    the number of windows starting at or below it (``slot[k] += 1``; the count below window q is
    ``sum(slot[:q+1])``), and it lies in windows k-1, k-2, ... for as long as it is below their hi."""
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


@njit(cache=True, nogil=True)
def reduce_group(R, M, cn, cp, lb, load, th_kind, th_a, th_b, th_gt, th_lvl, state_idx, years, weekly, group_mode,
                 f_lo, f_hi, f_sc, f_slot, f_win, f_clo, f_csc, f_coarse, f_mn, f_mx, f_mean, f_m2,
                 s_lo, s_hi, s_sc, s_slot, s_win, s_clo, s_csc, s_coarse, s_mn, s_mx, s_mean, s_m2, s_shift, groups,
                 n_before, vals, first, last, hits, svals):
    """Reduce G consecutive blocks of B paths: R (G, n_rec, n_state_rec, B) records and
    M (G, N_MET, n_tenor, B) metrics, into the fan sketch (f_*), the scalar sketch (s_*) and the
    group sums; ``n_before`` paths of the unit came before. Date-major over the blocks, so each
    date's histograms stay in cache while all G blocks fill them; each (date, variable) still
    merges its blocks' moments in block order. vals (NV, B), first/last (G, NV, B), hits
    (G, n_threshold, B) and svals (NS, B) are scratch."""
    G, n_rec = R.shape[0], R.shape[1]
    B = R.shape[3]
    hits[:, :, :] = 0.0
    for i in range(n_rec):
        for g in range(G):
            fan_values(R[g, i], cn[i], cp[i], lb[i], load, vals)
            if i == 0:
                first[g] = vals
            if i == n_rec - 1:
                last[g] = vals
            update_hits(vals, th_kind, th_a, th_b, th_gt, th_lvl, hits[g])
            accumulate(vals, i, f_lo, f_hi, f_sc, f_slot, f_win, f_clo, f_csc, f_coarse, f_mn, f_mx, f_mean, f_m2,
                       n_before + g * B)
    for g in range(G):
        scalar_values(first[g], last[g], M[g], hits[g], th_kind, th_a, th_gt, th_lvl, state_idx, years, weekly,
                      svals)
        accumulate(svals, 0, s_lo, s_hi, s_sc, s_slot, s_win, s_clo, s_csc, s_coarse, s_mn, s_mx, s_mean, s_m2,
                   n_before + g * B)
        group_sums(svals, group_mode, s_shift, groups)


@njit(cache=True)
def _extract(q, lo, sc, slot, win, clo, csc, coarse, mn, mx, est, bound, misses):
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
                    m_c, b_c = _order_stat(min(f + 1, n - 1), d, v, lo, sc, slot, win, clo, csc, coarse, mn, mx,
                                           misses)
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


# ------------------------------------------------------------------------------------------ plan
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

    def empty_like(self) -> "Sketch":
        """A zeroed sketch sharing this one's windows."""
        new = Sketch.__new__(Sketch)
        new.lo, new.hi, new.sc, new.clo, new.csc = self.lo, self.hi, self.sc, self.clo, self.csc
        new._zero()
        return new

    def add(self, other: "Sketch") -> None:
        self.slot += other.slot
        self.win += other.win
        self.coarse += other.coarse
        np.minimum(self.mn, other.mn, out=self.mn)
        np.maximum(self.mx, other.mx, out=self.mx)

    def fill_args(self) -> tuple:
        """Arguments of :func:`accumulate` after (vals, d) and before the moments."""
        return self.lo, self.hi, self.sc, self.slot, self.win, self.clo, self.csc, self.coarse, self.mn, self.mx

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


class View:
    """What the reduction needs from the model: record-point coefficients, thresholds, layout."""

    def __init__(self, model: Model):
        a = model.arrays
        rp = model.cal.record_points
        self.labels = [str(t) for t in model.tenors]
        self.fan_names = fan_names(self.labels, model.rec_names[len(REC_NAMES):])
        self.cn = np.ascontiguousarray(a["coef_n"][rp])
        self.cp = np.ascontiguousarray(a["coef_pi"][rp])
        self.lb = np.ascontiguousarray(a["lb_t"][rp])
        self.load = np.ascontiguousarray(a["load"])
        cal = model.cal
        self.years = cal.n_steps * cal.dt
        self.weekly = cal.steps_per_week > 0
        sc = model.scenario
        sim = sc.data["simulation"]
        self.group_mode = GROUP_BLOCK if sim["quasi_random"] else GROUP_PAIR if sim["antithetic"] else GROUP_PATH
        self.qs = np.array(sorted(q.value for q in sc.data["outputs"]["quantiles"]))
        self.state_idx = np.array([self.fan_names.index(n) for n in STATE_SCALARS], dtype=np.int64)
        self.thresholds = list(sc.data["outputs"]["thresholds"])
        n = len(self.thresholds)
        self.th_kind = np.zeros(n, dtype=np.int64)
        self.th_a = np.zeros(n, dtype=np.int64)
        self.th_b = -np.ones(n, dtype=np.int64)
        self.th_gt = np.zeros(n, dtype=np.bool_)
        self.th_lvl = np.zeros(n)
        for k, expr in enumerate(self.thresholds):
            m = THRESHOLD_RE.match(expr)
            a, b, op, lvl = m.group(1), m.group(2), m.group(3), parse(m.group(4), "rate").value
            self.th_gt[k], self.th_lvl[k] = op == ">", lvl
            if b is None and a.startswith("yield_") and a[6:] in self.labels:
                self.th_kind[k], self.th_a[k] = 0, self.labels.index(a[6:])
            else:
                self.th_kind[k], self.th_a[k] = 1, self.fan_names.index(a)
                if b is not None:
                    self.th_b[k] = self.fan_names.index(b)
        self.scalar_names = scalar_names(self.labels, self.weekly, self.thresholds)
        self.n_rec = len(rp)

    @property
    def n_fan(self) -> int:
        return len(self.fan_names)

    @property
    def n_scalar(self) -> int:
        return len(self.scalar_names)


def scalar_names(labels: list[str], weekly: bool, thresholds: list[str]) -> list[str]:
    out = []
    for t in labels:
        out += [f"yield_{t}:{n}" for n in TENOR_SCALARS + (WEEK_SCALARS if weekly else ())]
    out += [f"{n}:horizon" for n in STATE_SCALARS]
    out += [f"threshold:{e}" for e in thresholds]
    return out


class Plan:
    """Windows for the fans and the scalars, and the shifts of the group sums, from a pilot."""

    def __init__(self, view: View, fan: Sketch, scal: Sketch, shift: np.ndarray, pilot_paths: int):
        self.view, self.fan, self.scal, self.shift, self.pilot_paths = view, fan, scal, shift, pilot_paths

    @classmethod
    def from_pilot(cls, view: View, R: np.ndarray, M: np.ndarray) -> "Plan":
        n = R.shape[2]
        qs = view.qs
        r = np.array([window_ranks(q, n) for q in qs], dtype=np.int64).reshape(len(qs), 2)
        r_lo, r_hi = r[:, 0].copy(), r[:, 1].copy()
        hist = np.zeros(PILOT_HIST, dtype=np.int64)
        fan = Sketch(view.n_rec, view.n_fan, len(qs))
        vals = np.empty((view.n_fan, n))
        hits = np.zeros((len(view.thresholds), n))
        first = None
        for i in range(view.n_rec):
            fan_values(R[i], view.cn[i], view.cp[i], view.lb[i], view.load, vals)
            update_hits(vals, view.th_kind, view.th_a, view.th_b, view.th_gt, view.th_lvl, hits)
            if i == 0:
                first = vals.copy()
            set_windows(vals, i, r_lo, r_hi, fan.lo, fan.hi, fan.sc, fan.clo, fan.csc, hist)
        sv = np.empty((view.n_scalar, n))
        scalar_values(first, vals, M, hits, view.th_kind, view.th_a, view.th_gt, view.th_lvl, view.state_idx,
                      view.years, view.weekly, sv)
        scal = Sketch(1, view.n_scalar, len(qs))
        set_windows(sv, 0, r_lo, r_hi, scal.lo, scal.hi, scal.sc, scal.clo, scal.csc, hist)
        shift = sv.mean(axis=1)
        return cls(view, fan, scal, np.where(np.isfinite(shift), shift, 0.0), n)


class Partial:
    """What one chunk of work returns: its sketches (exact to merge) and the moments and group
    sums of each of its units (merged in unit order by :class:`Summary`)."""

    def __init__(self, plan: Plan):
        self.fan = plan.fan.empty_like()
        self.scal = plan.scal.empty_like()
        self.units: list[tuple] = []  # (unit index, n, fan mean, fan m2, scalar mean, scalar m2, group sums)

    @property
    def nbytes(self) -> int:
        return self.fan.nbytes + self.scal.nbytes + sum(u[2].nbytes * 2 + u[4].nbytes * 2 + u[6].nbytes
                                                        for u in self.units)


def reduce_unit(plan: Plan, unit: int, groups_of_blocks, partial: Partial) -> None:
    """Reduce one unit, given as an iterable of (R, M) groups of blocks in block order (shapes
    (G, n_rec, n_state_rec, B) and (G, N_MET, n_tenor, B)), into ``partial``."""
    v = plan.view
    f, s = partial.fan, partial.scal
    f_mean = np.zeros((v.n_rec, v.n_fan))
    f_m2 = np.zeros_like(f_mean)
    s_mean = np.zeros((1, v.n_scalar))
    s_m2 = np.zeros_like(s_mean)
    gsum = np.zeros((v.n_scalar, N_GROUP_SUMS))
    n = 0
    scratch = None
    for R, M in groups_of_blocks:
        G, B = R.shape[0], R.shape[3]
        if scratch is None or scratch[0].shape[1] != B or scratch[1].shape[0] != G:
            scratch = (np.empty((v.n_fan, B)), np.empty((G, v.n_fan, B)), np.empty((G, v.n_fan, B)),
                       np.empty((G, len(v.thresholds), B)), np.empty((v.n_scalar, B)))
        reduce_group(R, M, v.cn, v.cp, v.lb, v.load, v.th_kind, v.th_a, v.th_b, v.th_gt, v.th_lvl, v.state_idx,
                     v.years, v.weekly, v.group_mode, *f.fill_args(), f_mean, f_m2, *s.fill_args(), s_mean, s_m2,
                     plan.shift, gsum, n, *scratch)
        n += G * B
    partial.units.append((unit, n, f_mean, f_m2, s_mean, s_m2, gsum))


class Summary:
    """Everything a run keeps about all its paths; built by merging :class:`Partial` results."""

    def __init__(self, plan: Plan):
        self.plan = plan
        v = plan.view
        self.fan = plan.fan.empty_like()
        self.scal = plan.scal.empty_like()
        self.fan_mom = Moments(v.n_rec, v.n_fan)
        self.scal_mom = Moments(1, v.n_scalar)
        self.groups = np.zeros((v.n_scalar, N_GROUP_SUMS))
        self._pending: dict[int, tuple] = {}
        self._next = 0
        self.misses = 0

    def merge(self, partial: Partial) -> None:
        """Add a chunk's partial result (any order; unit moments are folded in unit order)."""
        self.fan.add(partial.fan)
        self.scal.add(partial.scal)
        for u in partial.units:
            self._pending[u[0]] = u
        while self._next in self._pending:
            _, n, fm, f2, sm, s2, g = self._pending.pop(self._next)
            self.fan_mom.merge(n, fm, f2)
            self.scal_mom.merge(n, sm, s2)
            self.groups += g
            self._next += 1

    @property
    def n_paths(self) -> int:
        return self.fan_mom.n

    def complete(self, n_units: int) -> None:
        if self._pending or self._next != n_units:
            raise RuntimeError(f"summary incomplete: {self._next} of {n_units} units merged, "
                               f"{len(self._pending)} waiting")

    def quantiles(self, which: str = "fan") -> tuple[np.ndarray, np.ndarray]:
        """(estimates, error bounds), each (D, V, nq), decimals, for the plan's sorted quantiles."""
        sk = self.fan if which == "fan" else self.scal
        qs = self.plan.view.qs
        est = np.empty(sk.lo.shape[:2] + (len(qs),))
        bound = np.empty_like(est)
        misses = np.zeros(1, dtype=np.int64)
        _extract(qs, sk.lo, sk.sc, sk.slot, sk.win, sk.clo, sk.csc, sk.coarse, sk.mn, sk.mx, est, bound, misses)
        if which == "fan":
            self.misses = int(misses[0])
        return est, bound

    def std_error(self) -> np.ndarray:
        """Standard error of the mean of every scalar (NS,), from the group sums:
        G/(G-1) * sum w^2 (m - mean)^2 / W^2, with d = m - shift."""
        g = self.groups
        G, W, A0, A1, A2 = (g[:, k] for k in range(N_GROUP_SUMS))
        dbar = self.scal_mom.mean[0] - self.plan.shift
        ss = A2 - 2.0 * dbar * A1 + dbar * dbar * A0
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(G > 1, G / (G - 1) * np.maximum(ss, 0.0) / (W * W), 0.0)
        return np.sqrt(var)
