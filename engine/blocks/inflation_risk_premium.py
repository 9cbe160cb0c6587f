"""Inflation-risk-premium block: compensation for inflation uncertainty, rising when long-run
expectations drift from target (de-anchoring)::

    d irp = k (m + beta (pi_e - pi*) - irp) dt + s dW

The premium at tenor tau is ``loading(tau) x factor`` (factor = 10y premium).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.layout import INFL_EXP, IRP, SH_IRP
from ..core.ou import nelson_siegel_loading, ou_coeffs, stack
from ..schema import Field, Num, Rate, Section, Speed, Tenor, Vol


class Params(Section):
    """Inflation risk premium: mean-reverting 10y factor that rises with de-anchoring."""

    # 10y breakeven (T10YIE) 2025 range 2.17-2.46% against ~2.1% survey expectations: a small positive
    # 10y premium (assumption within that band).
    mean: Rate = Field("0.15%", description="10y inflation risk premium with anchored expectations")
    speed: Speed = Field("0.5/yr", description="mean reversion (assumption: half-life ~1.4y)")
    deanchoring_sensitivity: Num = Field(
        0.5, description="pp of 10y premium per pp of expectations above target (assumption)"
    )
    # T10YIE monthly-change s.d. 2010-2019 = 14 bp, part of it expectations: 0.25%/sqrt(yr) = 7 bp/month.
    vol: Vol = Field("0.25%/sqrt(yr)", description="volatility of premium shocks")
    loading_scale: Tenor = Field("4y", description="shape of the loading across tenors (Nelson-Siegel scale)")


FIXED = ("loading_scale",)

# packed slots: OU decay and shock s.d. per step, mean, de-anchoring sensitivity, inflation target
A, SD, MEAN, BETA, PI_STAR = range(5)
N_SLOT = 5


def pack_one(p: Params, target: float, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], out[SD] = ou_coeffs(p.speed.value, p.vol.value, dt)
    out[MEAN] = p.mean.value
    out[BETA] = p.deanchoring_sensitivity
    out[PI_STAR] = target
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc.inflation_risk_premium, sc.macro.inflation_target.value, cal.dt))


def loadings(p: Params, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p.loading_scale.years) for t in tenors_years])


def initial(sc, x: np.ndarray) -> None:
    x[IRP] = (sc.initial.inflation_risk_premium or sc.inflation_risk_premium.mean).value


@njit(cache=True, nogil=True)
def step(S, S2, E, P):
    """New premium of every path from its value in ``S`` and the new long-run expectations in
    ``S2`` (after the macro step)."""
    for p in range(S.shape[1]):
        target = P[MEAN] + P[BETA] * (S2[INFL_EXP, p] - P[PI_STAR])
        S2[IRP, p] = target + (S[IRP, p] - target) * P[A] + P[SD] * E[SH_IRP, p]
