"""Supply/liquidity-wedge block: extra yield demanded for absorbing Treasury supply or for poor
market liquidity, stronger at long tenors (Greenwood & Vayanos, RFS 2014). A mean-reverting
factor (10y wedge) moved by events; the Treasury-supply block (issuance, QT) will drive it.
"""
import numpy as np
from numba import njit

from ..schema import Q, Section
from .ou import nelson_siegel_loading, ou_coeffs

SCHEMA = Section({
    "mean": Q("rate", "long-run 10y wedge (0 = supply is in the term premium's mean)", "0bp"),
    "speed": Q("speed", "speed at which a wedge shock fades (assumption: half-life ~1.4y)", "0.5/yr", lo=0.0),
    "loading_scale": Q("tenor", "shape across tenors (Nelson-Siegel scale)", "4y"),
}, doc="Supply/liquidity wedge: 10y factor, stronger at long tenors; moved by events.")

A, MEAN = range(2)
N_PARAM = 2
FIXED = ("loading_scale",)


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A], _ = ou_coeffs(p["speed"].value, 0.0, dt)
    out[MEAN] = p["mean"].value
    return out


def loadings(p: dict, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p["loading_scale"].years) for t in tenors_years])


@njit(cache=True, nogil=True)
def step(w, P):
    return P[MEAN] + (w - P[MEAN]) * P[A]
