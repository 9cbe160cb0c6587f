"""Convenience-yield block: the money-like value of Treasuries, largest for bills, that lowers
their yields. Factor = the 3m bill's convenience yield; at tenor tau the loading is

    (w + (1 - w) exp(-tau/L)) / (w + (1 - w) exp(-0.25/L))

so a share ``w`` of the bill convenience persists at long tenors. Mean-reverting with shocks.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from numba import njit

from ..core.layout import CY, SH_CY
from ..core.ou import ou_coeffs, stack
from ..schema import Field, Number, Rate, Section, Speed, Tenor, Vol


class Params(Section):
    """Convenience yield: the money-like value of Treasuries (largest for bills)."""

    # Bills trade close to fed funds since 2010 (FRB/US RTB - RFF averages +2 bp, 2010-2024); a modest
    # bill convenience of 10 bp against expected policy rates (assumption; Krishnamurthy & Vissing-Jorgensen,
    # JPE 2012, document the convenience demand for Treasuries).
    mean: Rate = Field("10bp", description="3m bill convenience yield, long-run mean")
    speed: Speed = Field("2/yr", description="mean reversion (half-life ~4 months)")
    vol: Vol = Field("0.10%/sqrt(yr)", description="volatility of convenience shocks (assumption)")
    long_share: Annotated[float, Number(0.0, 1.0)] = Field(
        0.5,
        description="share of the bill convenience yield that long tenors keep",
    )
    loading_scale: Tenor = Field("1y", description="tenor scale over which the bill premium fades")


FIXED = ("long_share", "loading_scale")

A, SD, MEAN = range(3)  # packed slots: OU decay and shock s.d. per step, mean
N_SLOT = 3


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], out[SD] = ou_coeffs(p.speed.value, p.vol.value, dt)
    out[MEAN] = p.mean.value
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc.convenience_yield, cal.dt))


def loadings(p: Params, tenors_years) -> np.ndarray:
    w, L = p.long_share, p.loading_scale.years
    ref = w + (1 - w) * math.exp(-0.25 / L)
    return np.array([(w + (1 - w) * math.exp(-t / L)) / ref for t in tenors_years])


def initial(sc, x: np.ndarray) -> None:
    x[CY] = (sc.initial.convenience_yield or sc.convenience_yield.mean).value


@njit(cache=True, nogil=True)
def step(S, S2, E, P):
    for p in range(S.shape[1]):
        S2[CY, p] = P[MEAN] + (S[CY, p] - P[MEAN]) * P[A] + P[SD] * E[SH_CY, p]
