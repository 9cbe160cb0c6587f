"""Macro block: output gap, inflation, long-run inflation expectations, neutral real rate r*.

Continuous-time dynamics (all rates decimals, time in years)::

    d gap = -k_x gap dt + s_x dW
    d pi  = [k_pi (pi_e - pi) + lambda gap] dt + s_pi dW          (Phillips curve)
    d pi_e = [k_a (pi* - pi_e) + g (pi - pi_e)] dt + s_e dW         (anchoring vs learning)
    d r*  = k_r (rbar* - r*) dt + s_r dW

``k_a`` is how strongly the central bank's credibility pulls expectations to the target;
``g`` is the learning gain with which expectations chase realised inflation. De-anchoring is a
fall in ``k_a`` and/or a rise in ``g`` (for example with a ``set`` event).

Each step is the exact OU update of each equation with the other states held at their values
at the start of the step (first-order operator splitting in the couplings, exact in each own
mean reversion).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core.layout import GAP, INFL, INFL_EXP, RSTAR, SH_GAP, SH_INFL, SH_INFL_EXP, SH_RSTAR
from ..core.ou import ou_coeffs, stack
from ..schema import Field, Rate, Section, Speed, Vol


class Params(Section):
    """Macro block: output gap, inflation, long-run inflation expectations, neutral real rate."""

    # FRB/US database XGAP2, 1990Q1-2019Q4 (the window of the yield-volatility targets; 2020 would
    # dominate otherwise): quarterly AR(1) 0.981 -> -4 ln 0.981 = 0.077/yr, innovation s.d.
    # 0.509 pp/quarter -> 1.02%/sqrt(yr) (computed from ../shared/data/frbus_histdata.csv).
    gap_speed: Speed = Field("0.077/yr", description="mean reversion of the output gap")
    gap_vol: Vol = Field("1.02%/sqrt(yr)", description="volatility of output-gap shocks")
    # Core PCE y/y, monthly AR(1) 0.973 (1990-2019, CALIBRATION.md / PCEPILFE) -> 0.329/yr;
    # residual s.d. 0.134 pp/month -> 0.465%/sqrt(yr) (computed from PCEPILFE).
    inflation_speed: Speed = Field("0.329/yr", description="speed at which inflation returns to long-run expectations")
    inflation_vol: Vol = Field("0.465%/sqrt(yr)", description="volatility of inflation shocks")
    # Flat Phillips curve: 1 pp of gap adds 0.1 pp/yr to inflation (assumption; FRB/US-type slopes are 0.05-0.15).
    phillips_slope: Speed = Field("0.1/yr", description="pp of inflation per year per pp of output gap")
    inflation_target: Rate = Field("2%", description="the central bank's inflation target (PCE)")
    # SPF 10y expectations (FRB/US ZPI10) 1990-2024: quarterly AR 0.92 -> total 0.333/yr, split into
    # anchoring 0.283 and learning gain 0.05 (split is an assumption); innovation 0.15 pp/q -> 0.30%/sqrt(yr).
    anchoring_speed: Speed = Field(
        "0.283/yr", description="pull of long-run expectations toward the target (credibility)"
    )
    learning_gain: Speed = Field(
        "0.05/yr", description="speed at which expectations chase realised inflation (de-anchoring)"
    )
    expectations_vol: Vol = Field("0.30%/sqrt(yr)", description="volatility of long-run expectation shocks")
    # FOMC SEP longer-run fed funds median 3.0% less the 2% target (assumption stated in README).
    neutral_rate_mean: Rate = Field("1.0%", description="long-run mean of the neutral real rate r*")
    # CALIBRATION.md: r* adaptation 5% a quarter (FRB/US) -> -4 ln 0.95 = 0.205/yr.
    neutral_rate_speed: Speed = Field("0.205/yr", description="mean reversion of r*")
    # Assumption, raised from 0.25% with issue 13's backtest: the 10y's one-year bands were too narrow
    # (5-95% band covering 81% of January-start months 1990-2024) and its centre drifted by decade.
    neutral_rate_vol: Vol = Field("0.4%/sqrt(yr)", description="volatility of r* shocks (assumption)")


FIXED: tuple[str, ...] = ()  # every parameter may change by a `set` event

# packed slots: OU decay and shock s.d. per step of each state, the Phillips-curve response of
# inflation to the gap over a step, the target, the anchoring weight, r*'s mean
A_X, SD_X, A_PI, SD_PI, C_PI, PI_STAR, A_E, SD_E, W_ANCH, A_R, SD_R, RBAR = range(12)
N_SLOT = 12


def pack_one(p: Params, dt: float) -> np.ndarray:
    """Packed coefficients of one parameter regime for a step of ``dt`` years."""
    out = np.zeros(N_SLOT)
    out[A_X], out[SD_X] = ou_coeffs(p.gap_speed.value, p.gap_vol.value, dt)
    k_pi = p.inflation_speed.value
    out[A_PI], out[SD_PI] = ou_coeffs(k_pi, p.inflation_vol.value, dt)
    lam = p.phillips_slope.value
    # exact response of pi to a gap held over the step: (lam/k_pi)(1 - a) -> lam dt as k_pi -> 0
    out[C_PI] = lam / k_pi * (1.0 - out[A_PI]) if k_pi * dt > 1e-12 else lam * dt
    out[PI_STAR] = p.inflation_target.value
    ka, g = p.anchoring_speed.value, p.learning_gain.value
    out[A_E], out[SD_E] = ou_coeffs(ka + g, p.expectations_vol.value, dt)
    out[W_ANCH] = ka / (ka + g) if ka + g > 0 else 1.0
    out[A_R], out[SD_R] = ou_coeffs(p.neutral_rate_speed.value, p.neutral_rate_vol.value, dt)
    out[RBAR] = p.neutral_rate_mean.value
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    """(regime, slot) coefficients."""
    return stack(regimes, lambda sc: pack_one(sc.macro, cal.dt))


def drift_matrix(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """(K, c) of dX = (c - K X) dt for X = (gap, pi, pi_e, r*), used for closed-form expectations."""
    K = np.zeros((4, 4))
    c = np.zeros(4)
    K[0, 0] = p.gap_speed.value
    k_pi = p.inflation_speed.value
    K[1, 1], K[1, 2], K[1, 0] = k_pi, -k_pi, -p.phillips_slope.value
    ka, g = p.anchoring_speed.value, p.learning_gain.value
    K[2, 2], K[2, 1] = ka + g, -g
    c[2] = ka * p.inflation_target.value
    K[3, 3] = p.neutral_rate_speed.value
    c[3] = K[3, 3] * p.neutral_rate_mean.value
    return K, c


def initial(sc, x: np.ndarray) -> None:
    """Gap, inflation, expectations and r* at the start (``initial``; unset: the target, r*'s mean)."""
    ini, p = sc.initial, sc.macro
    pistar = p.inflation_target.value
    x[GAP] = ini.output_gap.value
    x[INFL] = ini.inflation.value if ini.inflation is not None else pistar
    x[INFL_EXP] = ini.inflation_expectations.value if ini.inflation_expectations is not None else pistar
    x[RSTAR] = ini.neutral_rate.value if ini.neutral_rate is not None else p.neutral_rate_mean.value


@njit(cache=True, nogil=True)
def step(S, S2, E, P):
    """Gap, inflation, expectations and r* of every path (the columns) from the state ``S`` at the
    start of the step into ``S2``. ``P``: this regime's packed slots; ``E``: the step's
    correlated standard normal shocks (shock, path)."""
    for p in range(S.shape[1]):
        x, pi, pe, rs = S[GAP, p], S[INFL, p], S[INFL_EXP, p], S[RSTAR, p]
        S2[GAP, p] = x * P[A_X] + P[SD_X] * E[SH_GAP, p]
        S2[INFL, p] = pe + (pi - pe) * P[A_PI] + P[C_PI] * x + P[SD_PI] * E[SH_INFL, p]
        te = P[W_ANCH] * P[PI_STAR] + (1.0 - P[W_ANCH]) * pi
        S2[INFL_EXP, p] = te + (pe - te) * P[A_E] + P[SD_E] * E[SH_INFL_EXP, p]
        S2[RSTAR, p] = P[RBAR] + (rs - P[RBAR]) * P[A_R] + P[SD_R] * E[SH_RSTAR, p]
