"""Inflation-risk-premium block: compensation for inflation uncertainty, rising when long-run
expectations drift from target (de-anchoring)::

    d irp = k (m + beta (pi_e - pi*) - irp) dt + s dW

The premium at tenor tau is ``loading(tau) x factor`` (factor = 10y premium).
"""
import numpy as np
from numba import njit

from ..schema import Num, Q, Section
from .ou import nelson_siegel_loading, ou_coeffs

SCHEMA = Section({
    # 10y breakeven (T10YIE) 2025 range 2.17-2.46% against ~2.1% survey expectations: a small positive
    # 10y premium (assumption within that band).
    "mean": Q("rate", "10y inflation risk premium with anchored expectations", "0.15%"),
    "speed": Q("speed", "mean reversion (assumption: half-life ~1.4y)", "0.5/yr", lo=0.0),
    "deanchoring_sensitivity": Num("pp of 10y premium per pp of expectations above target (assumption)", 0.5),
    # T10YIE monthly-change s.d. 2010-2019 = 14 bp, part of it expectations: 0.25%/sqrt(yr) = 7 bp/month.
    "vol": Q("vol", "volatility of premium shocks", "0.25%/sqrt(yr)", lo=0.0),
    "loading_scale": Q("tenor", "shape of the loading across tenors (Nelson-Siegel scale)", "4y"),
}, doc="Inflation risk premium: mean-reverting 10y factor that rises with de-anchoring.")

A, SD, MEAN, BETA, PI_STAR = range(5)
N_PARAM = 5
FIXED = ("loading_scale",)


def pack(p: dict, macro: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A], out[SD] = ou_coeffs(p["speed"].value, p["vol"].value, dt)
    out[MEAN] = p["mean"].value
    out[BETA] = p["deanchoring_sensitivity"]
    out[PI_STAR] = macro["inflation_target"].value
    return out


def loadings(p: dict, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p["loading_scale"].years) for t in tenors_years])


@njit(cache=True, nogil=True)
def step(irp, pe, P, e):
    """New premium from ``irp`` and long-run expectations ``pe`` (after the macro step)."""
    target = P[MEAN] + P[BETA] * (pe - P[PI_STAR])
    return target + (irp - target) * P[A] + P[SD] * e
