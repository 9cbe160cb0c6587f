"""Supply/liquidity-wedge block: extra yield demanded for absorbing Treasury supply or for poor
market liquidity, stronger at long tenors (Greenwood & Vayanos, RFS 2014). A mean-reverting
factor (10y wedge) moved by events; the Treasury-supply block (issuance, QT) drives the term
premium's supply part.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.layout import WEDGE
from ..core.ou import nelson_siegel_loading, ou_coeffs, stack
from ..schema import Field, Rate, Section, Speed, Tenor


class Params(Section):
    """Supply/liquidity wedge: 10y factor, stronger at long tenors; moved by events."""

    mean: Rate = Field("0bp", description="long-run 10y wedge (0 = supply is in the term premium's mean)")
    speed: Speed = Field("0.5/yr", description="speed at which a wedge shock fades (assumption: half-life ~1.4y)")
    loading_scale: Tenor = Field("4y", description="shape across tenors (Nelson-Siegel scale)")


FIXED = ("loading_scale",)

A, MEAN = range(2)  # packed slots: decay per step, mean
N_SLOT = 2


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], _ = ou_coeffs(p.speed.value, 0.0, dt)
    out[MEAN] = p.mean.value
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc.liquidity_wedge, cal.dt))


def loadings(p: Params, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p.loading_scale.years) for t in tenors_years])


def initial(sc, x: np.ndarray) -> None:
    x[WEDGE] = sc.initial.liquidity_wedge.value


@njit(cache=True, nogil=True)
def step(S, S2, P):
    for p in range(S.shape[1]):
        S2[WEDGE, p] = P[MEAN] + (S[WEDGE, p] - P[MEAN]) * P[A]
