"""Supply into yields: privately held duration moves the 10y term premium, privately held bills
move the 3m convenience yield (the bill wedge).

    duration supply D = [sum_b (debt_b - SOMA_b) d_b - foreign official x d_f] / d_10 / NGDP
                        (10y-equivalents per GDP; d_b the modified duration of a bucket at half
                        its maturity, d_10 that of a new 10y note, both at a 4% yield)
    supply term premium  = duration_sensitivity x (D - D_ref(t)) + downgrades x term_premium_add
    supply convenience   = -bill_sensitivity x (bills held privately / NGDP - bills_ref(t))
                           - downgrades x convenience_cut

``measured_against`` says what D_ref(t) and bills_ref(t) (and the deficit's reference) are:
``level``: their values at the start, so the effects respond to the level of supply;
``reference``: the values of the reference path (``treasury.reference``: a deterministic
scenario, CBO's outlook in cbo_2025) at the same date, so a path that tracks the reference adds
nothing to the rates that the reference already assumes (CBO's projected rates embed the effect
of its own projected debt), and only the deviation from it moves the premia. Without a
reference both are the start's values.

Both are persistent parts of the term-premium and convenience-yield states (stock effects: the
state's own shocks mean-revert around them), zero at the start, whose initial premia are fitted
to the observed curve.

Calibration, one coefficient for all three (tests/test_fiscal.py checks each; figures measured
with the default 10 bp per pp of GDP):

* Gagnon, Raskin, Remache & Sack (2011): QE1's $1.75tn lowered the 10y term premium by 50-100 bp.
  Bought over a year with the default QE mix in 2009's economy ($14.4tn nominal GDP,
  scenarios/qe1_2009.yaml) it removes 5.85 pp of GDP of 10y-equivalents: -58.5 bp.
* Laubach (2009): +3-4 bp per pp of debt/GDP. One pp of debt/GDP financed under the default
  issuance policy (22% bills, the 2025 coupon auction mix) adds 0.32 pp of 10y-equivalents:
  +3.2 bp.
* Wei (2022): $2.2tn of runoff over 3 years is worth +29 bp (normal) to +74 bp (turbulent) of fed
  funds. Runoff under a $61bn/month cap from June 2022 (scenarios/qt_runoff.yaml) gives +23 bp
  of 10y term premium per $2.2tn redeemed: below Wei's normal-times figure, whose units (a
  fed-funds equivalent) are not a term premium; the test accepts 20-74 bp.
* Laubach's 25 bp per pp of projected deficit/GDP is the same channel measured through the flow
  (a deficit adds debt year after year), so adding it would double count; ``deficit_sensitivity``
  is available but 0 by default.
* Bills: the bill premium falls when bill supply rises (Greenwood, Hanson & Stein, JF 2015); the
  size, 1 bp per pp of GDP of bills held privately, is an assumption.
"""

from __future__ import annotations

import math
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit

from ..core.layout import (
    CY,
    DEBT0,
    DOWNGRADES,
    FOREIGN,
    INTEREST,
    MATURITY,
    N_B,
    NGDP,
    OUT0,
    OUTLAYS,
    PRIV_BILLS,
    PRIV_DUR,
    REVENUE,
    SOMA0,
    SUP_CY,
    SUP_TP,
    TP,
)
from ..schema import Field, Rate, Section, Text
from . import holders as _h

REF_YIELD = 0.04


class Params(Section):
    """Supply effects on the term premium and the bill convenience yield."""

    duration_sensitivity: Rate = Field(
        "10bp", description="10y term premium per pp of GDP of privately held 10y-equivalents"
    )
    bill_sensitivity: Rate = Field(
        "1bp", description="fall of the 3m convenience yield per pp of GDP of privately held bills (assumption)"
    )
    deficit_sensitivity: Rate = Field(
        "0bp",
        description="10y term premium per pp of deficit/GDP above its start "
        "(Laubach's flow measure; 0 because the stock channel "
        "already carries it)",
    )
    measured_against: Annotated[str, Text(("reference", "level"))] = Field(
        "reference",
        description="what supply is measured from: reference (the path of treasury.reference at the same date, "
        "so a path on the reference adds nothing its rates do not already hold; the start's levels when there "
        "is no reference) or level (the start's levels: effects grow with the level of debt)",
    )


# packed slots: the three sensitivities (per unit of the ratio), each bucket's modified duration,
# the new 10y's, the foreign official holdings' duration
DUR_S, BILL_S, DEF_S = range(3)
DUR0 = 3
DUR_10 = DUR0 + N_B
DUR_F = DUR_10 + 1
N_SLOT = DUR_F + 1


class Packed(NamedTuple):
    """``P`` (slot); per time point k, what supply is measured from (decimals of GDP): private
    duration (10y-equivalents), private bills and the deficit. :func:`initial` fills them with
    the start's values; engine.model overwrites them with the reference path when
    ``measured_against: reference`` and there is a reference."""

    P: np.ndarray
    ref_dur: np.ndarray
    ref_bills: np.ndarray
    ref_def: np.ndarray


def duration(m: float) -> float:
    """Modified duration (years) of a par bond of remaining maturity m at REF_YIELD, continuous
    compounding."""
    return (1.0 - math.exp(-REF_YIELD * m)) / REF_YIELD


def pack(sc, cal) -> Packed:
    p: Params = sc.supply
    out = np.zeros(N_SLOT)
    out[DUR_S] = p.duration_sensitivity.value / 0.01
    out[BILL_S] = p.bill_sensitivity.value / 0.01
    out[DEF_S] = p.deficit_sensitivity.value / 0.01
    for b in range(N_B):
        out[DUR0 + b] = duration(MATURITY[b] / 2.0)
    out[DUR_10] = duration(10.0)
    out[DUR_F] = duration(sc.holders.foreign_official.duration.years)
    n = cal.n_steps + 1
    return Packed(out, np.zeros(n), np.zeros(n), np.zeros(n))


def initial(sc, x: np.ndarray, pk: Packed, y0: np.ndarray) -> None:
    """Private supply at the start (after the other fiscal blocks' rows), what the supply effects
    are measured from unless a reference path replaces it; the supply parts of the premia start
    at zero."""
    full = x[:, None].copy()
    private(full, pk.P, np.empty(1))
    x[PRIV_DUR], x[PRIV_BILLS] = full[PRIV_DUR, 0], full[PRIV_BILLS, 0]
    pk.ref_dur[:], pk.ref_bills[:] = x[PRIV_DUR], x[PRIV_BILLS]
    pk.ref_def[:] = (x[OUTLAYS] - x[REVENUE] + x[INTEREST]) / x[NGDP]


# ------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def persist(S, O, a_tp, a_cy):
    """The supply parts of the term premium and the convenience yield persist: the core step
    shrank them with the premia's own mean reversion (``a_tp``, ``a_cy``: decay per step)."""
    for p in range(S.shape[1]):
        S[TP, p] += (1.0 - a_tp) * O[SUP_TP, p]
        S[CY, p] += (1.0 - a_cy) * O[SUP_CY, p]


@njit(cache=True, nogil=True)
def private(S, Ps, dsum):
    """Duration held privately (10y-equivalents / GDP) and bills held privately (/ GDP), decimals,
    from the debt, SOMA, foreign and GDP rows of S into its private-supply rows. ``dsum``: a
    scratch row (paths)."""
    B = S.shape[1]
    dsum[:] = 0.0
    for b in range(N_B):
        d = Ps[DUR0 + b]
        for p in range(B):
            dsum[p] += (S[DEBT0 + b, p] - S[SOMA0 + b, p]) * d
    dur_f, dur_10 = Ps[DUR_F], Ps[DUR_10]
    for p in range(B):
        S[PRIV_DUR, p] = (dsum[p] - S[FOREIGN, p] * dur_f) / dur_10 / S[NGDP, p]
        S[PRIV_BILLS, p] = (S[DEBT0, p] - S[SOMA0, p]) / S[NGDP, p]


@njit(cache=True, nogil=True)
def effects(S, O, k, dt, sup, hol, w):
    """The supply and downgrade parts of the 10y term premium and the 3m convenience yield at
    the end of step k, from private supply and the deficit against what they are measured from
    (``sup.ref_*`` at time point k + 1), written into the premia as changes of their parts."""
    Ps = sup.P
    private(S, Ps, w.x)
    Ph = hol.P
    dur_s, def_s, bill_s = Ps[DUR_S], Ps[DEF_S], Ps[BILL_S]
    pd0, def0, pb0 = sup.ref_dur[k + 1], sup.ref_def[k + 1], sup.ref_bills[k + 1]
    d_tp, d_cy = Ph[_h.D_TP], Ph[_h.D_CY]
    outlays, revenue, interest = w.outlays, w.revenue, w.interest
    for p in range(S.shape[1]):
        deficit_gdp = (outlays[p] - revenue[p] + interest[p]) / dt / S[NGDP, p]
        n = S[DOWNGRADES, p]
        new_tp = dur_s * (S[PRIV_DUR, p] - pd0) + def_s * (deficit_gdp - def0) + n * d_tp
        new_cy = -bill_s * (S[PRIV_BILLS, p] - pb0) - n * d_cy
        S[TP, p] += new_tp - O[SUP_TP, p]
        S[CY, p] += new_cy - O[SUP_CY, p]
        S[SUP_TP, p] = new_tp
        S[SUP_CY, p] = new_cy


_R = OUT0["supply"]
R_PRIV_DUR, R_PRIV_BILLS, R_SUP_TP, R_SUP_CY = range(_R, _R + 4)


@njit(cache=True, nogil=True)
def record(S, out):
    out[R_PRIV_DUR] = S[PRIV_DUR]
    out[R_PRIV_BILLS] = S[PRIV_BILLS]
    out[R_SUP_TP] = S[SUP_TP]
    out[R_SUP_CY] = S[SUP_CY]
