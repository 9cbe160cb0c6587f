"""Volatility regimes: a stochastic-volatility state that scales every Gaussian shock of the core
blocks but its own (the macro shocks, the policy rate, stance and cycle, the term premium, the
inflation risk premium and the convenience yield; engine.registry.SHOCKS marks them with
``regime=True``).

The state ``h`` (the *volatility regime*, a log multiplier) is an Ornstein-Uhlenbeck process
around 0 with its own Gaussian shock, and each scaled shock of step k is multiplied by::

    m = exp(h - V_k),   dh = -k h dt + d sqrt(2k) dW   (stationary h ~ N(0, d^2))

where ``d`` is the ``dispersion`` (the stationary s.d. of ``h``) and ``V_k`` the variance of the
random part of ``h`` at step k (known in advance: ``V_0`` is d^2 when the start is drawn and 0
when it is given, then ``V_k+1 = a_k^2 V_k + sd_k^2`` through every regime). So E[m^2] =
exp(2 E[h]): 1 whenever the regime's mean is 0, whatever the dispersion has been set to by
events, and the unconditional variance of every scaled shock, hence the monthly volatilities the
blocks were calibrated to, is unchanged; what changes is how that variance is spread over time
(calm and turbulent years) and the fat tails of longer changes. A path's regime at the start is
drawn from the stationary distribution (the regime is not observed) unless
``initial.volatility_regime`` gives it (0: the volatilities as calibrated, x1); a ``shock`` event
moves it (a crisis starts turbulent: +69% doubles the scaled volatilities, then it fades at
``speed``). Units: ``h`` is in log points, written as a percent (+69% = log 2).
"""

from __future__ import annotations

import math
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit

from ..core import pcg
from ..core.layout import REGIME_SHOCKS, SH_VOL, VOLREG
from ..core.ou import ou_coeffs, stack
from ..schema import Field, Quantity, Section, Speed, Unit

#: the stationary s.d. of the log multiplier, in log points written as a percent (0-200%)
Dispersion = Annotated[Quantity, Unit("rate", lo=0.0, hi=2.0)]


class Params(Section):
    """Volatility regimes: a stochastic multiplier of the core blocks' shock volatilities."""

    # Calibrated to the yearly realised volatility of the 10y (s.d. of daily DGS10 changes x sqrt(252),
    # 2003-2025): 5th / 50th / 95th percentiles 57 / 84 / 136 bp, year-to-year autocorrelation of its
    # log 0.51 (computed from ../shared/data/fred/DGS10.csv). Speed 1/yr gives the baseline's yearly
    # autocorrelation 0.48; dispersion 35% its 5th/50th/95th percentiles 57/92/153 bp (daily steps, 600
    # paths x 5 years; tests/test_volatility.py checks them within +/-15%).
    speed: Speed = Field("1/yr", description="speed at which a volatility regime fades (half-life ~8 months)")
    dispersion: Dispersion = Field(
        "35%",
        description="stationary s.d. of the regime (the log of the volatility multiplier, log points as a "
        "percent); 0% turns regimes off",
    )


FIXED: tuple[str, ...] = ()  # both may change by a `set` event

# packed slots: OU decay and shock s.d. per step, d^2, whether the regime scales anything (0:
# every multiplier is exactly 1 and the scaling is skipped), the s.d. of the initial draw (0: the
# initial regime is given), whether the initial normal is drawn (whenever the regime's shock is
# drawn at all, so runs that give the start and runs that draw it share the regime's stream)
A, SD, D2, ON, SD0, DRAW = range(6)
N_SLOT = 6


class Packed(NamedTuple):
    """``P`` (regime, slot); ``var`` (time point): V_k, the variance of the random part of the
    regime at time point k, which normalises the multiplier."""

    P: np.ndarray
    var: np.ndarray


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    d = p.dispersion.value
    out[A], out[SD] = ou_coeffs(p.speed.value, d * math.sqrt(2.0 * p.speed.value), dt)
    out[D2] = d * d
    return out


def pack(regimes: list, cal, reg_of_step) -> Packed:
    """(regime, slot) coefficients and V_k. The scaling is on when a regime has a dispersion, an
    event shocks the regime or the initial regime is not 0; the initial draw's s.d. is d when the
    start is not given."""
    P = stack(regimes, lambda sc: pack_one(sc.volatility, cal.dt))
    sc = regimes[0]
    given = sc.initial.volatility_regime
    shocked = any(ev.kind == "shock" and ev.shock == "volatility_regime" for ev in sc.events)
    on = bool((P[:, D2] > 0).any() or shocked or (given is not None and given.value != 0.0))
    P[:, ON] = 1.0 if on else 0.0
    P[:, SD0] = math.sqrt(P[0, D2]) if given is None else 0.0
    P[:, DRAW] = 1.0 if (P[:, D2] > 0).any() else 0.0
    var = np.empty(cal.n_steps + 1)
    var[0] = P[0, SD0] ** 2
    for k in range(cal.n_steps):
        q = P[reg_of_step[k]]
        var[k + 1] = q[A] * q[A] * var[k] + q[SD] * q[SD]
    return Packed(np.ascontiguousarray(P), var)


def initial(sc, x: np.ndarray) -> None:
    """The regime at the start as given (default 0; drawn per path in the kernel when not given)."""
    given = sc.initial.volatility_regime
    x[VOLREG] = given.value if given is not None else 0.0


@njit(cache=True, nogil=True)
def first(rng, S, n_drawn, sd0):
    """Each path's initial regime: the given one (in ``S``) plus sd0 x a normal from the regime
    shock's stream (before its first step's normals; sd0 is 0 when the start is given, and the
    normal is drawn all the same); an antithetic partner takes the negated normal."""
    B = S.shape[1]
    for p in range(n_drawn):
        x = sd0 * pcg.normal(rng)
        S[VOLREG, p] += x
        if p + n_drawn < B:
            S[VOLREG, p + n_drawn] -= x


@njit(cache=True, nogil=True)
def scale(S, E, P, v, m):
    """Multiply the step's regime-scaled shocks (rows of E) of every path by exp(h - v), ``h``
    the regime at the start of the step and ``v`` its V_k; ``m`` (paths,) scratch."""
    if P[ON] > 0.5:
        for p in range(S.shape[1]):
            m[p] = math.exp(S[VOLREG, p] - v)
        for s in REGIME_SHOCKS:
            row = E[s]
            for p in range(row.shape[0]):
                row[p] *= m[p]


@njit(cache=True, nogil=True)
def step(S, S2, E, P):
    """The regime of every path over the step (its own shock is not scaled)."""
    for p in range(S.shape[1]):
        S2[VOLREG, p] = S[VOLREG, p] * P[A] + P[SD] * E[SH_VOL, p]
