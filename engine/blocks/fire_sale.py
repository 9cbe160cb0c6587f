"""Fire-sale dislocation block: yield added by forced selling (basis-trade unwinds, dash for
cash) that dealers cannot absorb. A fast-decaying factor (10y dislocation) moved by events; the
basis-trade block will drive it endogenously.

March 2020: 10y 0.54% (Mar 9) -> 1.18% (Mar 18) -> 0.76% (Mar 23) after Fed purchases
(CALIBRATION.md): dislocations fade within weeks, hence the default half-life of ~1.4 weeks.
"""
import numpy as np
from numba import njit

from ..schema import Q, Section
from .ou import nelson_siegel_loading, ou_coeffs

SCHEMA = Section({
    "speed": Q("speed", "speed at which a dislocation fades (26/yr: half-life ~1.4 weeks)", "26/yr", lo=0.0),
    "loading_scale": Q("tenor", "shape across tenors (Nelson-Siegel scale)", "4y"),
}, doc="Fire-sale dislocation: fast-decaying 10y factor moved by events.")

A = 0
N_PARAM = 1
FIXED = ("loading_scale",)


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A], _ = ou_coeffs(p["speed"].value, 0.0, dt)
    return out


def loadings(p: dict, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p["loading_scale"].years) for t in tenors_years])


@njit(cache=True, nogil=True)
def step(f, P):
    return f * P[A]
