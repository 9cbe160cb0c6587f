"""Exact discretisation of an Ornstein-Uhlenbeck process, shared by the blocks.

dX = k (m - X) dt + s dW  ->  X' = m + (X - m) a + sd Z,  a = exp(-k dt),
sd = s sqrt((1 - a^2) / (2k)) (and s sqrt(dt) when k = 0). Exact for any dt.
"""

import math

import numpy as np


def ou_coeffs(speed: float, vol: float, dt: float) -> tuple[float, float]:
    """Return ``(a, sd)`` for speed (per year), vol (decimal per sqrt year), step dt (years)."""
    a = math.exp(-speed * dt)
    if speed * dt < 1e-12:
        return a, vol * math.sqrt(dt)
    return a, vol * math.sqrt(-math.expm1(-2.0 * speed * dt) / (2.0 * speed))


def nelson_siegel_loading(tenor_years: float, scale_years: float, ref_years: float = 10.0) -> float:
    """Premium loading h(tau)/h(ref), h(tau) = 1 - (1 - exp(-tau/L)) / (tau/L).

    Zero at tau = 0, one at the reference tenor, rising and concave: the usual shape of a term
    premium across maturities.
    """

    def h(t):
        x = t / scale_years
        return 1.0 - (-math.expm1(-x)) / x

    return h(tenor_years) / h(ref_years)


def stack(regimes: list, pack_one) -> np.ndarray:
    """(regime, slot) array of ``pack_one(regime)`` for every parameter regime (C-contiguous)."""
    return np.ascontiguousarray(np.array([pack_one(r) for r in regimes]))
