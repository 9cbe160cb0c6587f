"""Convenience-yield block: the money-like value of Treasuries, largest for bills, that lowers
their yields. Factor = the 3m bill's convenience yield; at tenor tau the loading is

    (w + (1 - w) exp(-tau/L)) / (w + (1 - w) exp(-0.25/L))

so a share ``w`` of the bill convenience persists at long tenors. Mean-reverting with shocks.
"""
import math

import numpy as np
from numba import njit

from ..schema import Num, Q, Section
from .ou import ou_coeffs

SCHEMA = Section({
    # Bills trade close to fed funds since 2010 (FRB/US RTB - RFF averages +2 bp, 2010-2024); a modest
    # bill convenience of 10 bp against expected policy rates (assumption; Krishnamurthy & Vissing-Jorgensen,
    # JPE 2012, document the convenience demand for Treasuries).
    "mean": Q("rate", "3m bill convenience yield, long-run mean", "10bp"),
    "speed": Q("speed", "mean reversion (half-life ~4 months)", "2/yr", lo=0.0),
    "vol": Q("vol", "volatility of convenience shocks (assumption)", "0.10%/sqrt(yr)", lo=0.0),
    "long_share": Num("share of the bill convenience yield that long tenors keep", 0.5, lo=0.0, hi=1.0),
    "loading_scale": Q("tenor", "tenor scale over which the bill premium fades", "1y"),
}, doc="Convenience yield: the money-like value of Treasuries (largest for bills).")

A, SD, MEAN = range(3)
N_PARAM = 3
FIXED = ("long_share", "loading_scale")


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A], out[SD] = ou_coeffs(p["speed"].value, p["vol"].value, dt)
    out[MEAN] = p["mean"].value
    return out


def loadings(p: dict, tenors_years) -> np.ndarray:
    w, L = p["long_share"], p["loading_scale"].years
    ref = w + (1 - w) * math.exp(-0.25 / L)
    return np.array([(w + (1 - w) * math.exp(-t / L)) / ref for t in tenors_years])


@njit(cache=True, nogil=True)
def step(cy, P, e):
    return P[MEAN] + (cy - P[MEAN]) * P[A] + P[SD] * e
