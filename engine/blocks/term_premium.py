"""Term-premium block: a mean-reverting 10y term-premium factor with correlated Gaussian shocks
and Poisson jumps; the premium at tenor tau is ``loading(tau) x factor``.

    d tp = k (m - tp) dt + s dW + J dN,   N Poisson with intensity lambda, J ~ N(mu_J, s_J)

Jumps use exponential waiting times in integrated intensity, so a path draws random numbers
for a jump only when one happens, and a change of intensity by an event stays exact.
"""
import numpy as np
from numba import njit

from ..schema import Q, Section
from .ou import nelson_siegel_loading, ou_coeffs

SCHEMA = Section({
    # FRB/US database RG10P (10y term premium), mean 1990Q1-2024Q4 = 0.65% (computed from frbus_histdata.csv).
    "mean": Q("rate", "long-run mean of the 10y term premium (excluding jumps)", "0.65%"),
    # CALIBRATION.md: FRB/US rg10p quarterly AR 0.920 -> -4 ln 0.92 = 0.333/yr.
    "speed": Q("speed", "mean reversion of the term premium", "0.333/yr", lo=0.0),
    # Tuned so the baseline's 10y monthly-change s.d. is ~26 bp (DGS10 1990-2019); see tests/test_calibration.py.
    "vol": Q("vol", "volatility of term-premium shocks", "0.65%/sqrt(yr)", lo=0.0),
    # Assumption: a sizeable repricing (taper tantrum 2013, Apr 2025: ACM 10y TP +45 bp in a week,
    # CALIBRATION.md) about once every two years.
    "jump_intensity": Q("speed", "expected number of term-premium jumps per year", "0.5/yr", lo=0.0),
    "jump_mean": Q("rate", "mean jump size", "15bp"),
    "jump_vol": Q("rate", "s.d. of jump size", "20bp", lo=0.0),
    # L = 4y gives 5y/10y = 0.68 and 30y/10y = 1.37, close to FRB/US's mean term premia
    # 0.691 / 1.050 / 1.421 (5y / 10y / 30y; CALIBRATION.md): ratios 0.66 and 1.35.
    "loading_scale": Q("tenor", "shape of the loading across tenors (Nelson-Siegel scale)", "4y"),
}, doc="Term premium: mean-reverting 10y factor with shocks and Poisson jumps.")

A, SD, MEAN, LAM, JMU, JSD = range(6)
N_PARAM = 6
FIXED = ("loading_scale",)  # cannot change by a `set` event


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A], out[SD] = ou_coeffs(p["speed"].value, p["vol"].value, dt)
    out[MEAN] = p["mean"].value
    out[LAM] = p["jump_intensity"].value
    out[JMU] = p["jump_mean"].value
    out[JSD] = p["jump_vol"].value
    return out


def loadings(p: dict, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p["loading_scale"].years) for t in tenors_years])


@njit(cache=True, nogil=True)
def step(tp, P, e):
    """Diffusive part of the step (jumps are applied by the kernel after all normals are drawn)."""
    return P[MEAN] + (tp - P[MEAN]) * P[A] + P[SD] * e
