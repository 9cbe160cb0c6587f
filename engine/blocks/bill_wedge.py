"""Bill-wedge block: the part of bill yields moved by stablecoin issuers' bill purchases and
sales (:mod:`engine.blocks.stablecoins`), at bill tenors only. A factor (the 3m wedge, decimal;
negative when inflows make bills richer) that decays and is moved by events.

Ahmed & Aldasoro (BIS WP 1270, 2025): a 2-s.d. inflow (about $3.5bn over 5 days) lowers the 3m
bill yield 2-2.5 bp within 10 days, outflows move it 2-3 times as much, and there is limited to
no effect on longer tenors. The decay and the flow impact together reproduce that
(``tests/test_stablecoins.py``); the loading is 1 up to 3 months and falls linearly to 0 at
``bill_tenor_end``, so coupons are untouched.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.layout import BILL
from ..core.ou import ou_coeffs, stack
from ..schema import Field, Section, Speed, Tenor


class Params(Section):
    """Bill wedge: the 3m yield moved by stablecoin flows (bill tenors only)."""

    speed: Speed = Field(
        "6/yr",
        description="speed at which the wedge fades (half-life ~29 business days: with the stablecoin flow "
        "impact it puts a 5-day inflow's effect at 2-2.5 bp after 10 days, BIS WP 1270)",
    )
    bill_tenor_end: Tenor = Field(
        "1y", description="tenor at which the loading reaches zero (1 up to 3m, linear in between)"
    )


FIXED = ("bill_tenor_end",)

A = 0  # packed slot: decay per step
N_SLOT = 1


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], _ = ou_coeffs(p.speed.value, 0.0, dt)
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc.bill_wedge, cal.dt))


def loadings(p: Params, tenors_years) -> np.ndarray:
    end = max(p.bill_tenor_end.years, 0.25 + 1e-9)
    return np.array([1.0 if t <= 0.25 else max(0.0, 1.0 - (t - 0.25) / (end - 0.25)) for t in tenors_years])


def initial(sc, x: np.ndarray) -> None:
    x[BILL] = 0.0


@njit(cache=True, nogil=True)
def step(S, S2, P):
    for p in range(S.shape[1]):
        S2[BILL, p] = S[BILL, p] * P[A]
