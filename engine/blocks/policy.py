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

Floor centring (``floor_centring: mean``). The floor cuts the left tail of the policy rate, so
across paths its mean sits above the zero-shock path by the floor's option value
E[max(s, lb)] - max(E s, lb), which grows with the shadow rate's spread (cbo_2025, 5,000 paths:
mean 3.7% against a zero-shock and median 3.0% in 2055). With centring, the rule's target is
lowered by a known offset delta_k per step, the same on every path, chosen so that the mean
policy rate across paths follows the zero-shock path: the macro states do not depend on the
policy rate and the step is linear, so from the start the shadow rate at time point k is
Gaussian N(m_k, v_k) (:func:`centring_offsets` carries the exact one-step map of the macro block
and this one, with the scenario's correlations, level events and regimes), the offset moves its
mean by D_k (D_k+1 = a D_k + (1 - a) delta_k, a = e^{-theta dt}) and leaves v_k alone, and D_k
solves

    E[max(Z, lb)] = lb + (mu - lb) Phi(d) + sqrt(v_k) phi(d) = max(m_k, lb),
    Z ~ N(mu, v_k),  mu = m_k + D_k,  d = (mu - lb) / sqrt(v_k)

(Newton; the left side rises with mu at slope Phi(d), from lb as mu goes to minus infinity, so
above the bound a root always exists, with mu below the bound where the zero-shock rate is less
than 0.4 s.d. above it: sqrt(v) phi(0) = 0.399 sqrt(v)). Where the zero-shock rate is at or
below the bound, no finite shift brings the mean down to it, and D_k is 0. What the Gaussian
leaves out: the volatility regime scales the shocks (a scale mixture with the same variance,
since E[m^2] = 1; cbo_2025's 2055 mean moved by 0.04 pp with dispersion 0) and the term-premium
jumps do not touch the policy rate. The curve's expectation does not anticipate the offset (it
prices max(E avg s, lb), without the floor's option value; README), so the expected path it
prices from a path's state converges to the rule's target without the offset. Like the
Bernanke, Kiley & Roberts (2019) "risk-adjusted" rule, whose intercept is lowered to offset the
lower bound's asymmetry, it is a statement about where the rule is centred, not a new shock.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.layout import (
    CUM_RATE,
    CYCLE,
    GAP,
    INFL,
    INFL_EXP,
    POLICY,
    RSTAR,
    SETS_TARGET,
    SH_CYCLE,
    SH_POLICY,
    SH_STANCE,
    SHADOW,
    SHOCK_NAMES,
    STANCE,
)
from ..core.ou import ou_coeffs, stack
from ..core.shocks import matrix as correlation_matrix
from ..schema import Checks, Date, Field, NonNegRate, Num, Rate, Section, Speed, Text, Vol
from . import macro as _macro

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
    # Off by default (every scenario but cbo_2025 keeps its paths); cbo_2025 centres on its
    # deterministic reference (issue 13). See the module docstring.
    floor_centring: Annotated[str, Text(("none", "mean"))] = Field(
        "none",
        description="'mean': the rule's target is lowered by a known offset per step (the same on every path) so "
        "the policy rate's mean across paths follows the zero-shock path instead of sitting above it by the "
        "floor's option value; 'none': no offset",
    )

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
        if self.floor_centring == "mean":
            if self.moves != "continuous":
                c.add(("floor_centring",), "'mean' needs policy.moves: continuous (25 bp steps are not linear)")
            if fp:
                c.add(("floor_centring",), "'mean' cannot be used with a fixed_path (the path sets the rate)")
            if self.rule_speed.value <= 0.0:
                c.add(("floor_centring",), "'mean' needs policy.rule_speed above 0/yr (the offset acts via the rule)")
        c.raise_all()
        return self


# events may set every number (dates, paths, the meeting mode and the centring are not numbers)
FIXED: tuple[str, ...] = ()

# packed slots: the rule's OU decay and shock s.d. per step, its responses, the target, the floor,
# the FOMC mode (1: moves at meetings), the stance's OU decay and shock s.d., the stance's
# response to the cycle held over a step, the cycle's OU decay and shock s.d.
A_S, SD_S, PHI_PI, PHI_X, PI_STAR, LB, FOMC_MODE, A_U, SD_U, C_U, A_V, SD_V = range(12)
N_SLOT = 12


class Packed(NamedTuple):
    """The policy block's kernel parameters: ``P`` (regime, slot), and per step k: whether a fixed
    path sets the rate (``fixed_on``), its rate (decimal), whether an FOMC meeting falls in it,
    and the floor centring's offset of the rule's target (``offset``, decimal; zero unless
    ``floor_centring: mean``, written by engine.model with :func:`centring_offsets`)."""

    P: np.ndarray
    fixed_on: np.ndarray
    fixed_rate: np.ndarray
    fomc: np.ndarray
    offset: np.ndarray


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
        np.zeros(cal.n_steps),
    )


def drift_rows(p: Params, target: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Rows of K over (gap, pi, pi_e, r*, u, s) for the stance u and the shadow rate s, and the
    constant of the shadow rate's drift (the stance's is zero)."""
    th = p.rule_speed.value
    row_u = np.array([0.0, 0.0, 0.0, 0.0, p.stance_speed.value, 0.0])
    row_s = np.array([-th * p.gap_response, -th * (1.0 + p.inflation_response), 0.0, -th, -th, th])
    c = -th * p.inflation_response * target
    return row_u, row_s, c


#: the centring's state z, in order: gap, inflation, expectations, r*, stance, cycle, shadow rate
#: (engine.core.layout rows), and the shock that moves each (engine.registry.SHOCKS names)
Z_ROWS = (GAP, INFL, INFL_EXP, RSTAR, STANCE, CYCLE, SHADOW)
Z_SHOCKS = (
    "output_gap",
    "inflation",
    "inflation_expectations",
    "neutral_rate",
    "policy_stance",
    "policy_cycle",
    "policy_rate",
)
_ZS = 6  # the shadow rate's index in z
_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


def _target_map(A: np.ndarray, b: np.ndarray, G: np.ndarray, pp: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """The rule's target over a step as t_row z + t_b + t_g e (without the centring's offset),
    from the macro rows of the step's map (A, b, G): the target reads the new gap, inflation and
    r* and the stance at the start of the step."""
    k_pi = 1.0 + pp[PHI_PI]
    t_row = A[3] + k_pi * A[1] + pp[PHI_X] * A[0]
    t_row[4] += 1.0
    t_b = b[3] + k_pi * b[1] + pp[PHI_X] * b[0] - pp[PHI_PI] * pp[PI_STAR]
    t_g = G[3] + k_pi * G[1] + pp[PHI_X] * G[0]
    return t_row, t_b, t_g


def one_step_map(pm: np.ndarray, pp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, b, G) of the kernel's macro and policy step with the continuous rule: z' = A z + b + G e
    for z (:data:`Z_ROWS`) and e the step's standard normal shocks (:data:`Z_SHOCKS`), from the
    packed slots of a regime (``pm``: engine.blocks.macro, ``pp``: this block) - the same
    equations as :func:`engine.blocks.macro.step` and :func:`step`, term for term."""
    mb = _macro
    A, b, G = np.zeros((7, 7)), np.zeros(7), np.zeros((7, 7))
    A[0, 0], G[0, 0] = pm[mb.A_X], pm[mb.SD_X]
    A[1, 1], A[1, 2], A[1, 0], G[1, 1] = pm[mb.A_PI], 1.0 - pm[mb.A_PI], pm[mb.C_PI], pm[mb.SD_PI]
    w, ae = pm[mb.W_ANCH], pm[mb.A_E]
    A[2, 1], A[2, 2], b[2], G[2, 2] = (1.0 - ae) * (1.0 - w), ae, (1.0 - ae) * w * pm[mb.PI_STAR], pm[mb.SD_E]
    A[3, 3], b[3], G[3, 3] = pm[mb.A_R], (1.0 - pm[mb.A_R]) * pm[mb.RBAR], pm[mb.SD_R]
    A[4, 4], A[4, 5], G[4, 4] = pp[A_U], pp[C_U], pp[SD_U]
    A[5, 5], G[5, 5] = pp[A_V], pp[SD_V]
    t_row, t_b, t_g = _target_map(A, b, G, pp)
    a = pp[A_S]
    A[_ZS] = (1.0 - a) * t_row
    A[_ZS, _ZS] += a
    b[_ZS] = (1.0 - a) * t_b
    G[_ZS] = (1.0 - a) * t_g
    G[_ZS, _ZS] += pp[SD_S]
    return A, b, G


def floored_mean(mu: float, lb: float, sd: float) -> float:
    """E[max(Z, lb)] for Z ~ N(mu, sd^2) (decimals): lb + (mu - lb) Phi(d) + sd phi(d), d = (mu - lb) / sd."""
    if sd <= 0.0:
        return max(mu, lb)
    d = (mu - lb) / sd
    return lb + (mu - lb) * 0.5 * math.erfc(-d * _INV_SQRT2) + sd * _INV_SQRT_2PI * math.exp(-0.5 * d * d)


def centring_shift(m: float, lb: float, sd: float) -> float:
    """D: the shift of the shadow rate's mean ``m`` (s.d. ``sd``) after which the mean policy rate
    E[max(m + D + sd Z, lb)] is max(m, lb). Decimals. Above the bound a shift always exists: the
    floored mean rises continuously from lb (as the mean goes to minus infinity) at slope Phi(d),
    so the root may put the shadow rate's mean below the bound. At or below the bound no finite
    shift brings the floored mean down to it, and the mean is left where it is (0). Newton from
    0: the floored mean is convex and increasing, so the iterates fall monotonically to the root;
    where they have not converged in 100 steps (a root deep below the bound, where the slope is
    tiny), bisection in d = (mu - lb) / sd finishes it."""
    if sd <= 0.0 or m <= lb:
        return 0.0
    want = m
    D = 0.0
    for _ in range(100):
        f = floored_mean(m + D, lb, sd) - want
        if abs(f) <= 1e-15:
            return D
        D -= f / (0.5 * math.erfc(-((m + D - lb) / sd) * _INV_SQRT2))
    lo, hi = -40.0, (m + D - lb) / sd  # the floored mean at d = -40 is lb to double precision
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if floored_mean(lb + mid * sd, lb, sd) < want:
            lo = mid
        else:
            hi = mid
    return lb + hi * sd - m


def _mean_path_start(regs: list, reg_of_step, cal, init: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`adopt_decisions` and :func:`centring_moments` carry the zero-shock path with:
    the index in z of each state row a level event may move (a policy-rate shock moves the
    shadow rate, as in the kernel), the macro block's and this block's packed slots per regime,
    and z at the start ``init`` (decimals)."""
    where = {row: i for i, row in enumerate(Z_ROWS)}
    where[POLICY] = _ZS
    Pm = _macro.pack(regs, cal, reg_of_step)
    Pp = np.array([pack_one(r.policy, r.macro.inflation_target.value, cal.dt) for r in regs])
    return where, Pm, Pp, np.array([init[row] for row in Z_ROWS])


def adopt_decisions(sc, regs: list, reg_of_step, cal, init: np.ndarray, events) -> None:
    """Resolve the rate decisions the rule adopts, in place: each mark ``SETS_TARGET`` that
    engine.core.events puts after a policy-rate shock with ``sets_target`` becomes a level shock
    to the stance, of the size that makes the rule's target in the step of the decision equal
    the new shadow rate on the scenario's zero-shock path (the mean path of the macro and policy
    states, carried through :func:`one_step_map` of each step's regime with the level events, as
    :func:`centring_moments` carries it). One decision, one shift: the same on every path, so
    each path keeps its own deviations from that path (decimals). ``init``: the starting state."""
    if not (events.row == SETS_TARGET).any():
        return
    where, Pm, Pp, m = _mean_path_start(regs, reg_of_step, cal, init)
    fixed_on, fixed_rate = fixed_path_rates(sc.policy, cal.dates, sc.initial.fed_funds.value)
    for k in range(cal.n_steps):
        r = reg_of_step[k]
        A, b, G = one_step_map(Pm[r], Pp[r])
        # engine.core.events puts a step's decisions after all its level shocks
        for e in range(events.ptr[k], events.ptr[k + 1]):
            row = events.row[e]
            if row == SETS_TARGET:
                t_row, t_b, _ = _target_map(A, b, G, Pp[r])
                du = m[_ZS] - (t_row @ m + t_b)
                events.row[e], events.size[e] = STANCE, du
                m[where[STANCE]] += du
            elif row in where:
                m[where[row]] += events.size[e]
        m = A @ m + b
        if fixed_on[k]:  # the kernel pins the shadow rate to a fixed path's rate
            m[_ZS] = fixed_rate[k]


def centring_moments(sc, regs: list, reg_of_step, cal, init: np.ndarray, events) -> np.ndarray:
    """(time point, 3): the mean and s.d. of the shadow rate without the offset, and the lower
    bound in force, at time points 0..n from the start ``init`` (known): the mean and covariance
    of z carried through :func:`one_step_map` of each step's regime, the scenario's correlations
    between the shocks, the level events of each step added to the mean (a shock to the policy
    rate moves the shadow rate, as in the kernel). Decimals."""
    idx = [SHOCK_NAMES.index(n) for n in Z_SHOCKS]
    R = correlation_matrix(sc.correlations)[np.ix_(idx, idx)]
    n_steps = cal.n_steps
    where, Pm, Pp, m = _mean_path_start(regs, reg_of_step, cal, init)
    C = np.zeros((7, 7))
    out = np.zeros((n_steps + 1, 3))
    out[0] = m[_ZS], 0.0, Pp[reg_of_step[0]][LB]
    for k in range(n_steps):
        r = reg_of_step[k]
        for e in range(events.ptr[k], events.ptr[k + 1]):
            if events.row[e] in where:
                m[where[events.row[e]]] += events.size[e]
        A, b, G = one_step_map(Pm[r], Pp[r])
        m = A @ m + b
        C = A @ C @ A.T + G @ R @ G.T
        out[k + 1] = m[_ZS], math.sqrt(max(C[_ZS, _ZS], 0.0)), Pp[r][LB]
    return out


def centring_offsets(sc, regs: list, reg_of_step, cal, init: np.ndarray, events) -> np.ndarray:
    """The floor centring's offset of the rule's target in each step (decimal; module docstring):
    D_k from :func:`centring_shift` at each time point's moments (:func:`centring_moments`), then
    delta_k = (D_k+1 - a D_k) / (1 - a) with a = e^{-theta dt} of step k's regime."""
    mo = centring_moments(sc, regs, reg_of_step, cal, init, events)
    n_steps = cal.n_steps
    D = np.array([centring_shift(mo[i, 0], mo[i, 2], mo[i, 1]) for i in range(n_steps + 1)])
    a = np.array([ou_coeffs(regs[reg_of_step[k]].policy.rule_speed.value, 0.0, cal.dt)[0] for k in range(n_steps)])
    # a = 1 (a `set` event stopping the rule) leaves the shadow rate deaf to its target: no offset there
    inert = a >= 1.0
    return np.where(inert, 0.0, (D[1:] - a * D[:-1]) / np.where(inert, 1.0, 1.0 - a))


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
    offset = pk.offset[k]  # the floor centring's (0 unless policy.floor_centring: mean)
    for p in range(S.shape[1]):
        x, pi, rs = S2[GAP, p], S2[INFL, p], S2[RSTAR, p]
        u, s0, old = S[STANCE, p], S[SHADOW, p], S[POLICY, p]
        target = rs + pi + phi_pi * (pi - pi_star) + phi_x * x + u + offset
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
    """Problems across sections: a fixed path must end after the simulation starts; a rate
    decision the rule adopts (``sets_target``) cannot fall in a step a fixed path sets, nor be
    combined with the floor centring."""
    p, start = sc.policy, sc.simulation.start
    out: list[tuple[tuple, str]] = []
    if p.fixed_path and p.fixed_until is not None and p.fixed_until <= start:
        out.append(
            (
                ("policy", "fixed_until"),
                f"{p.fixed_until} is not after the simulation start {start}; the fixed path would never apply",
            )
        )
    decisions = [(i, ev) for i, ev in enumerate(sc.events) if getattr(ev, "sets_target", None)]
    if not decisions:
        return out
    fixed_on = None
    if p.fixed_path and p.fixed_until is not None:
        cal = sc.calendar()
        fixed_on = fixed_path_rates(p, cal.dates, sc.initial.fed_funds.value)[0]
    for i, ev in decisions:
        if p.floor_centring == "mean":
            # the decision's size depends on the centring's offset, and the offset on the decision
            out.append(
                (
                    ("events", i, "sets_target"),
                    "a rate decision the rule adopts cannot be combined with policy.floor_centring: mean "
                    "(the centring's offsets would depend on the decision and the decision on them)",
                )
            )
        elif fixed_on is not None and fixed_on[cal.step_of(ev.date)]:
            out.append(
                (
                    ("events", i, "sets_target"),
                    f"{ev.date} falls in a step that policy.fixed_path sets (until {p.fixed_until}): the path sets "
                    "the rate, there is no rule to adopt the decision",
                )
            )
    return out
