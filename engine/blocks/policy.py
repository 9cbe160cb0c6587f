"""Policy-rate block: an inertial Taylor rule with Gaussian shocks, a lower bound, optional
25 bp moves at FOMC meetings, and an optional fixed path.

The rule's (shadow) rate ``s`` is a Hull-White/Vasicek-type process around the Taylor target::

    ds = theta (i*(t) - s) dt + sigma dW,   i* = r* + pi + phi_pi (pi - pi*) + phi_x gap + u
    du = -k_u u dt + s_u dW

``u`` is the policy stance: a persistent, discretionary deviation of the Fed's target from the
rule (2025's "risk-management" cuts, or a hawkish hold), fading with its own half-life. It
drifts with the policy cycle ``v`` (an easing or tightening cycle, fading at ``cycle_speed``)::

    du = (-k_u u + v) dt + s_u dW,   dv = -k_v v dt + s_v dW

The curve prices the stance but not the cycle (its expected path holds v at 0): a cycle shows in
yields as it moves the stance, so the expected path is revised in the direction of the cycle
month after month, as in the policy cycles of the data.

stepped exactly (Vasicek transition with the target held over the step). With the macro states
constant, ``s`` is exactly Vasicek with speed theta, mean i* and volatility sigma. The policy
rate set is ``max(s, lower_bound)``; with ``moves: fomc`` it changes only at meetings, by the
multiple of 25 bp nearest the rule's rate; over a ``fixed_path`` it is the path (the shadow
rate is pinned to it, so the rule resumes from the path's last rate).
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.layout import (
    CUM_RATE,
    CYCLE,
    GAP,
    INFL,
    POLICY,
    RSTAR,
    SH_CYCLE,
    SH_POLICY,
    SH_STANCE,
    SHADOW,
    STANCE,
)
from ..core.ou import ou_coeffs, stack
from ..schema import Checks, Date, Field, NonNegRate, Num, Rate, Section, Speed, Text, Vol

FOMC_STEP = 0.0025  # 25 bp

# The FOMC's 2026 meeting calendar (decision days), used as the yearly pattern when
# policy.fomc_dates is not given: Jan 28, Mar 18, Apr 29, Jun 17, Jul 29, Sep 16, Oct 28, Dec 9.
FOMC_PATTERN = ((1, 28), (3, 18), (4, 29), (6, 17), (7, 29), (9, 16), (10, 28), (12, 9))


class FixedRate(Section):
    date: Date = Field(description="from this date the policy rate is...")
    rate: Rate = Field(description="...this rate")


class Params(Section):
    """Policy rate: inertial Taylor rule with shocks, lower bound, FOMC steps, fixed path."""

    # Clarida, Gali & Gertler (2000, QJE) estimate quarterly inertia 0.79 for 1979-96 -> -4 ln 0.79 = 0.94/yr,
    # rounded to 1/yr (the backtest cannot tell 0.94 from 1)
    # (FRB/US rffintay uses 0.85 -> 0.65/yr, CALIBRATION.md). With 0.65/yr the fed funds a year ahead
    # moved far less than it did (backtest: simulated s.d. 38 bp against 117 bp realised errors).
    rule_speed: Speed = Field(
        "1/yr", description="speed at which the rate closes the gap to the Taylor target (inertia)"
    )
    inflation_response: Num = Field(
        0.5, description="phi_pi: response to inflation above target (FRB/US 0.5; Taylor 1993 0.5)"
    )
    # Taylor (1993) 0.5 (CALIBRATION.md). FRB/US uses 1.0, but with the 1990-2019 gap process that
    # makes the 10y's monthly moves from gap news alone ~25 bp, near the 26 bp total of DGS10.
    gap_response: Num = Field(0.5, description="phi_x: response to the output gap (Taylor 1993 0.5; FRB/US 1.0)")
    # Tuned with the term-premium vol so the baseline's 10y monthly-change s.d. is ~26 bp (DGS10 1990-2019)
    # and the fed funds monthly-change s.d. is ~17 bp (FEDFUNDS 1990-2019); see tests/test_calibration.py.
    shock_vol: Vol = Field("0.45%/sqrt(yr)", description="volatility of discretionary policy shocks")
    # Effective fed funds at the zero lower bound, 2020-04..2021-12: 0.05-0.10% (FEDFUNDS).
    lower_bound: Rate = Field("0.10%", description="floor on the policy rate")
    # The lowest Treasury yields relative to the effective fed funds rate at its floor: the 3m bill
    # 0.00% against EFFR 0.14% (Sep 2015; 3m - EFFR -14 bp, the lowest month of 2009-01..2015-11,
    # ust_monthly_1953_2019 and FEDFUNDS); 2020-04..2021-12: 3m - EFFR at least -4 bp (FRB/US RTB - RFF,
    # quarterly), the 2y never below EFFR (monthly mean DGS2 - FEDFUNDS >= +3.5 bp; 2009-15 >= +8 bp).
    floor_margin: NonNegRate = Field(
        "15bp", description="no yield of any tenor below lower_bound minus this (the convenience a bill can carry)"
    )
    # Assumption: a discretionary stance fades with a half-life of ~1.4 years (0.5/yr).
    stance_speed: Speed = Field("0.5/yr", description="speed at which a policy stance (deviation from the rule) fades")
    # With the cycle, set so the 2y's one-year bands cover history (engine.backtest, README) while its
    # monthly changes stay near the data's; see the cycle's comment below.
    stance_vol: Vol = Field(
        "2.5%/sqrt(yr)",
        description="volatility of stance shocks (0: the stance moves by events, the cycle and its fit)",
    )
    # The policy cycle (assumption, calibrated to the backtest): realised fed funds and 2y forecast errors
    # a year ahead are about 115-125 bp (engine.backtest, January starts 1990-2024) while monthly changes
    # are 17 bp (fed funds) and 25 bp (2y): changes are persistent (the variance of 12-month 2y changes
    # is twice 12 monthly ones), as the Fed moves in cycles the market learns as they unfold (Cieslak 2018,
    # RFS, "Short-Rate Expectations and Unexpected Returns in Treasury Bonds": fed funds forecast errors
    # are large and persistent). The cycle drives the stance and is not priced by the curve.
    cycle_speed: Speed = Field("1/yr", description="speed at which a policy cycle (the stance's drift) fades")
    cycle_vol: Vol = Field(
        "4%/sqrt(yr)",
        description="volatility of the policy cycle, the stance's drift (%/yr per sqrt(yr)); the curve does not "
        "price the cycle until it has moved the stance",
    )
    moves: Annotated[str, Text(("continuous", "fomc"))] = Field(
        "continuous",
        description="'continuous': the rate follows the rule every step; 'fomc': it moves in 25 bp "
        "steps at FOMC meetings only",
    )
    fomc_dates: list[Date] | None = Field(
        None, description="meeting dates (default: the 2026 calendar's pattern each year)"
    )
    fixed_path: list[FixedRate] = Field(
        [], description="a fixed policy path (rate from each date to the next); empty for none"
    )
    fixed_until: Date | None = Field(None, description="date from which the rule takes over after a fixed_path")

    @model_validator(mode="after")
    def _check(self) -> Params:
        c = Checks()
        fp = self.fixed_path
        if fp and self.fixed_until is None:
            c.add(("fixed_until",), "missing; a fixed_path needs the date after which the rule takes over")
        dates = [e.date for e in fp]
        for i in range(1, len(dates)):
            if dates[i] <= dates[i - 1]:
                c.add(
                    ("fixed_path", i, "date"),
                    f"{dates[i]} is not after {dates[i - 1]}; expected fixed_path dates in increasing order",
                )
        if fp and self.fixed_until is not None and self.fixed_until <= dates[-1]:
            c.add(("fixed_until",), f"{self.fixed_until} is not after the last fixed_path date {dates[-1]}")
        if self.fomc_dates is not None and self.moves != "fomc":
            c.add(("fomc_dates",), "given but policy.moves is not 'fomc'; set moves: fomc to use meetings")
        c.raise_all()
        return self


FIXED: tuple[str, ...] = ()  # events may set every number (dates, paths and the meeting mode are not numbers)

# packed slots: the rule's OU decay and shock s.d. per step, its responses, the target, the floor,
# the FOMC mode (1: moves at meetings), the stance's OU decay and shock s.d., the stance's
# response to the cycle held over a step, the cycle's OU decay and shock s.d.
A_S, SD_S, PHI_PI, PHI_X, PI_STAR, LB, FOMC_MODE, A_U, SD_U, C_U, A_V, SD_V = range(12)
N_SLOT = 12


class Packed(NamedTuple):
    """The policy block's kernel parameters: ``P`` (regime, slot), and per step k: whether a fixed
    path sets the rate (``fixed_on``), its rate (decimal), whether an FOMC meeting falls in it."""

    P: np.ndarray
    fixed_on: np.ndarray
    fixed_rate: np.ndarray
    fomc: np.ndarray


def pack_one(p: Params, target: float, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A_S], out[SD_S] = ou_coeffs(p.rule_speed.value, p.shock_vol.value, dt)
    out[PHI_PI] = p.inflation_response
    out[PHI_X] = p.gap_response
    out[PI_STAR] = target
    out[LB] = p.lower_bound.value
    out[FOMC_MODE] = 1.0 if p.moves == "fomc" else 0.0
    ku = p.stance_speed.value
    out[A_U], out[SD_U] = ou_coeffs(ku, p.stance_vol.value, dt)
    # exact response of u to a drift v held over the step: (1 - a)/k_u -> dt as k_u -> 0
    out[C_U] = (1.0 - out[A_U]) / ku if ku * dt > 1e-12 else dt
    out[A_V], out[SD_V] = ou_coeffs(p.cycle_speed.value, p.cycle_vol.value, dt)
    return out


def pack(regimes: list, cal, reg_of_step) -> Packed:
    base = regimes[0]
    fixed_on, fixed_rate = fixed_path_rates(base.policy, cal.dates, base.initial.fed_funds.value)
    fomc = np.zeros(cal.n_steps, dtype=np.int8)
    if base.policy.moves == "fomc":
        for md in fomc_dates(base.policy, cal.dates[0], cal.dates[-1]):
            fomc[cal.step_of(md)] = 1
    return Packed(
        stack(regimes, lambda sc: pack_one(sc.policy, sc.macro.inflation_target.value, cal.dt)),
        fixed_on,
        fixed_rate,
        fomc,
    )


def drift_rows(p: Params, target: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Rows of K over (gap, pi, pi_e, r*, u, s) for the stance u and the shadow rate s, and the
    constant of the shadow rate's drift (the stance's is zero)."""
    th = p.rule_speed.value
    row_u = np.array([0.0, 0.0, 0.0, 0.0, p.stance_speed.value, 0.0])
    row_s = np.array([-th * p.gap_response, -th * (1.0 + p.inflation_response), 0.0, -th, -th, th])
    c = -th * p.inflation_response * target
    return row_u, row_s, c


def fomc_dates(p: Params, start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """Meeting dates in (start, end]."""
    if p.fomc_dates is not None:
        return [d for d in p.fomc_dates if start < d <= end]
    out = []
    for y in range(start.year, end.year + 1):
        out += [_dt.date(y, m, d) for m, d in FOMC_PATTERN if start < _dt.date(y, m, d) <= end]
    return out


def fixed_path_rates(p: Params, step_dates: list[_dt.date], initial_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """For each step interval k ([date_k, date_k+1)): (is_fixed, rate). Before the first path date the
    initial rate holds; from ``fixed_until`` on the rule is in charge."""
    n = len(step_dates) - 1
    on = np.zeros(n, dtype=np.int8)
    rate = np.zeros(n)
    if not p.fixed_path or p.fixed_until is None:
        return on, rate
    for k in range(n):
        d = step_dates[k]
        if d >= p.fixed_until:
            continue
        on[k] = 1
        r = initial_rate
        for e in p.fixed_path:
            if e.date <= d:
                r = e.rate.value
        rate[k] = r
    return on, rate


def initial(sc, x: np.ndarray) -> None:
    """The shadow and policy rates start at fed funds; the stance as given; no rate integral yet."""
    x[SHADOW] = x[POLICY] = sc.initial.fed_funds.value
    x[STANCE] = sc.initial.policy_stance.value
    x[CYCLE] = 0.0
    x[CUM_RATE] = 0.0


@njit(cache=True, nogil=True)
def step(S, S2, E, pk, k, r, dt):
    """Cycle, stance, shadow rate, policy rate and its integral of every path over step ``k`` (regime
    ``r``), after the macro step: the rule reads the new gap, inflation and r* from ``S2`` and
    the stance, shadow and policy rates at the start of the step from ``S``. ``pk``:
    :class:`Packed`."""
    P = pk.P[r]
    fixed_on, fixed_rate, meeting = pk.fixed_on[k], pk.fixed_rate[k], pk.fomc[k]
    # the parameters as locals: read once, not once a path (S2 may alias P for all the compiler
    # knows), so the loop can vectorise; the same arithmetic, bit for bit
    phi_pi, pi_star, phi_x, a_u, c_u, sd_u = P[PHI_PI], P[PI_STAR], P[PHI_X], P[A_U], P[C_U], P[SD_U]
    a_v, sd_v, a_s, sd_s, lb, fomc = P[A_V], P[SD_V], P[A_S], P[SD_S], P[LB], P[FOMC_MODE] > 0.5
    for p in range(S.shape[1]):
        x, pi, rs = S2[GAP, p], S2[INFL, p], S2[RSTAR, p]
        u, s0, old = S[STANCE, p], S[SHADOW, p], S[POLICY, p]
        target = rs + pi + phi_pi * (pi - pi_star) + phi_x * x + u
        v = S[CYCLE, p]
        S2[STANCE, p] = u * a_u + c_u * v + sd_u * E[SH_STANCE, p]
        S2[CYCLE, p] = v * a_v + sd_v * E[SH_CYCLE, p]
        s = target + (s0 - target) * a_s + sd_s * E[SH_POLICY, p]
        if fixed_on:
            s = fixed_rate
            new = fixed_rate
        elif fomc:
            if meeting:
                want = max(s, lb)
                new = max(old + FOMC_STEP * np.round((want - old) / FOMC_STEP), lb)
            else:
                new = old
        else:
            new = max(s, lb)
        S2[SHADOW, p] = s
        S2[POLICY, p] = new
        S2[CUM_RATE, p] = S[CUM_RATE, p] + 0.5 * (old + new) * dt


def checks(sc) -> list[tuple[tuple, str]]:
    """Problems across sections: a fixed path must end after the simulation starts."""
    p, start = sc.policy, sc.simulation.start
    if p.fixed_path and p.fixed_until is not None and p.fixed_until <= start:
        return [
            (
                ("policy", "fixed_until"),
                f"{p.fixed_until} is not after the simulation start {start}; the fixed path would never apply",
            )
        ]
    return []
