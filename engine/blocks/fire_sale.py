"""Fire-sale dislocation block: yield added by forced selling (basis-trade unwinds, dash for
cash) that dealers cannot absorb. A fast-decaying factor (10y dislocation) moved by events and
relieved by the Fed's emergency purchases (:mod:`engine.blocks.backstops`).

March 2020: 10y 0.54% (Mar 9) -> 1.18% (Mar 18) -> 0.76% (Mar 23) after Fed purchases
(CALIBRATION.md): dislocations fade within weeks, hence the default half-life of ~1.4 weeks.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.layout import FIRE
from ..core.ou import nelson_siegel_loading, ou_coeffs, stack
from ..schema import Field, Section, Speed, Tenor


class Params(Section):
    """Fire-sale dislocation: fast-decaying 10y factor moved by events."""

    speed: Speed = Field("26/yr", description="speed at which a dislocation fades (26/yr: half-life ~1.4 weeks)")
    loading_scale: Tenor = Field("4y", description="shape across tenors (Nelson-Siegel scale)")


FIXED = ("loading_scale",)

A = 0  # packed slot: decay per step
N_SLOT = 1


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], _ = ou_coeffs(p.speed.value, 0.0, dt)
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc.fire_sale, cal.dt))


def loadings(p: Params, tenors_years) -> np.ndarray:
    return np.array([nelson_siegel_loading(t, p.loading_scale.years) for t in tenors_years])


def initial(sc, x: np.ndarray) -> None:
    x[FIRE] = sc.initial.fire_sale.value


@njit(cache=True, nogil=True)
def step(S, S2, P):
    for p in range(S.shape[1]):
        S2[FIRE, p] = S[FIRE, p] * P[A]
