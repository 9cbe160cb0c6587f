"""Supply into yields: privately held duration moves the 10y term premium, privately held bills
move the 3m convenience yield (the bill wedge).

    duration supply D = [sum_b (debt_b - SOMA_b) d_b - foreign official x d_f] / d_10 / NGDP
                        (10y-equivalents per GDP; d_b the modified duration of a bucket at half
                        its maturity, d_10 that of a new 10y note, both at a 4% yield)
    supply term premium  = duration_sensitivity x (D - D0) + downgrades x term_premium_add
    supply convenience   = -bill_sensitivity x (bills held privately / NGDP - start)
                           - downgrades x convenience_cut

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

import numpy as np

from ..schema import Q, Section
from .fiscal_state import MATURITY, N_B

REF_YIELD = 0.04

SCHEMA = Section({
    "duration_sensitivity": Q("rate", "10y term premium per pp of GDP of privately held 10y-equivalents", "10bp"),
    "bill_sensitivity": Q("rate", "fall of the 3m convenience yield per pp of GDP of privately held bills "
                          "(assumption)", "1bp"),
    "deficit_sensitivity": Q("rate", "10y term premium per pp of deficit/GDP above its start (Laubach's flow "
                             "measure; 0 because the stock channel already carries it)", "0bp"),
}, doc="Supply effects on the term premium and the bill convenience yield.")

DUR_S, BILL_S, DEF_S = range(3)
DUR0 = 3          # modified durations per bucket (years)
DUR_10 = DUR0 + N_B
PD0, PB0, DEF0 = DUR_10 + 1, DUR_10 + 2, DUR_10 + 3  # start values (set by engine.blocks.fiscal.Fiscal)
DUR_F = DEF0 + 1  # modified duration of foreign official holdings (set by engine.blocks.fiscal.Fiscal)
N_PARAM = DUR_F + 1


def duration(m: float) -> float:
    """Modified duration (years) of a par bond of remaining maturity m at REF_YIELD, continuous
    compounding."""
    return (1.0 - math.exp(-REF_YIELD * m)) / REF_YIELD


def pack(p: dict) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[DUR_S] = p["duration_sensitivity"].value / 0.01
    out[BILL_S] = p["bill_sensitivity"].value / 0.01
    out[DEF_S] = p["deficit_sensitivity"].value / 0.01
    for b in range(N_B):
        out[DUR0 + b] = duration(MATURITY[b] / 2.0)
    out[DUR_10] = duration(10.0)
    return out
