"""What the Treasury, Fed balance-sheet, backstop, holder and supply blocks share: the maturity
buckets, linear interpolation across them, and :class:`Flows`, the values one block's step
hands to the next within a step (bucket yields, maturing amounts, interest, revenue, ...).

Every function works on a whole block of paths: the state is (rows, paths) and each stage is a
loop over the paths of one or a few rows, so LLVM vectorises it. Sums over buckets run
bucket-outer, paths-inner into a row of :class:`Flows`, which adds in the same order as a
per-path loop. Conditions are selects (``a if c else b``, ``&`` rather than ``and``), not
branches, so the loops stay vectorisable.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .layout import CPN0, DEBT0, GROSS0, MATURITY, N_B, SOMA0

BUCKET_YEARS = np.array(MATURITY)


class Flows(NamedTuple):
    """Scratch rows of one step of the fiscal blocks, (N_B, paths) per bucket or (paths,);
    amounts in USD bn over the step unless stated."""

    Y: np.ndarray  # bucket yields at the end of the step (decimals)
    MAT: np.ndarray  # Treasury debt maturing, by bucket
    SMAT: np.ndarray  # SOMA holdings maturing, by bucket
    ISS: np.ndarray  # issuance, by bucket
    BUY: np.ndarray  # the Fed's wanted purchases, by bucket
    LO: np.ndarray  # least issuance each bucket may get
    income: np.ndarray  # Fed net income
    remit: np.ndarray  # remittances
    redeemed: np.ndarray  # SOMA redemptions not reinvested
    reinvest: np.ndarray  # share of maturing SOMA holdings reinvested
    face: np.ndarray  # debt outstanding before the step
    interest: np.ndarray  # interest over the step
    revenue: np.ndarray  # revenue over the step
    outlays: np.ndarray  # non-interest outlays over the step
    d_tga: np.ndarray  # TGA change financed
    need: np.ndarray  # borrowing before the TGA change
    gross: np.ndarray  # gross issuance (scratch of allocate)
    debt: np.ndarray  # debt outstanding after the step
    ep_amt: np.ndarray  # emergency purchases this step
    soma: np.ndarray  # SOMA holdings after runoff (and then after purchases)
    want: np.ndarray  # the Fed's wanted purchases, then the scale that fits them
    bought: np.ndarray  # the Fed's purchases
    loss: np.ndarray  # banks' unrealized loss (USD bn)
    x: np.ndarray  # scratch


N_ROWS = 6 * N_B + 18  # rows of the array Flows views


@njit(cache=True, nogil=True)
def flows(W):
    """:class:`Flows` viewing the rows of the scratch array ``W`` (N_ROWS, paths)."""
    b = N_B
    return Flows(
        W[0:b],
        W[b : 2 * b],
        W[2 * b : 3 * b],
        W[3 * b : 4 * b],
        W[4 * b : 5 * b],
        W[5 * b : 6 * b],
        W[6 * b],
        W[6 * b + 1],
        W[6 * b + 2],
        W[6 * b + 3],
        W[6 * b + 4],
        W[6 * b + 5],
        W[6 * b + 6],
        W[6 * b + 7],
        W[6 * b + 8],
        W[6 * b + 9],
        W[6 * b + 10],
        W[6 * b + 11],
        W[6 * b + 12],
        W[6 * b + 13],
        W[6 * b + 14],
        W[6 * b + 15],
        W[6 * b + 16],
        W[6 * b + 17],
    )


@njit(cache=True, nogil=True)
def interp_weights(x, xs):
    """(lower index, upper index, weight) that interpolate linearly at ``x`` in ``xs`` (increasing),
    flat beyond the ends: value = ys[lo] + w * (ys[hi] - ys[lo])."""
    n = xs.shape[0]
    if x <= xs[0]:
        return 0, 0, 0.0
    for j in range(1, n):
        if x <= xs[j]:
            return j - 1, j, (x - xs[j - 1]) / (xs[j] - xs[j - 1])
    return n - 1, n - 1, 0.0


@njit(cache=True, nogil=True)
def interp(x, xs, ys):
    """Linear interpolation in ``xs`` (increasing), flat beyond the ends."""
    lo, hi, w = interp_weights(x, xs)
    return ys[lo] + w * (ys[hi] - ys[lo])


@njit(cache=True, nogil=True)
def totals(S, w):
    """Debt, its coupon cost, its WAM numerator (each bucket at half its maturity), SOMA holdings
    and gross issuance summed over the buckets of every path, into w.debt, w.interest, w.face,
    w.soma and w.gross (the step's rows, free between steps), for the recorded variables."""
    B = S.shape[1]
    debt, cost, wam, soma, gross = w.debt, w.interest, w.face, w.soma, w.gross
    debt[:] = 0.0
    cost[:] = 0.0
    wam[:] = 0.0
    soma[:] = 0.0
    gross[:] = 0.0
    for b in range(N_B):
        yb = BUCKET_YEARS[b]
        for p in range(B):
            f = S[DEBT0 + b, p]
            debt[p] += f
            cost[p] += f * S[CPN0 + b, p]
            wam[p] += f * yb * 0.5
            soma[p] += S[SOMA0 + b, p]
            gross[p] += S[GROSS0 + b, p]
