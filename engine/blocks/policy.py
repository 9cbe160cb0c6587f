"""Policy-rate block: an inertial Taylor rule with Gaussian shocks, a lower bound, optional
25 bp moves at FOMC meetings, and an optional fixed path.

The rule's (shadow) rate ``s`` is a Hull-White/Vasicek-type process around the Taylor target::

    ds = theta (i*(t) - s) dt + sigma dW,   i* = r* + pi + phi_pi (pi - pi*) + phi_x gap + u
    du = -k_u u dt + s_u dW

``u`` is the policy stance: a persistent, discretionary deviation of the Fed's target from the
rule (2025's "risk-management" cuts, or a hawkish hold), fading with its own half-life.

stepped exactly (Vasicek transition with the target held over the step). With the macro states
constant, ``s`` is exactly Vasicek with speed theta, mean i* and volatility sigma. The policy
rate set is ``max(s, lower_bound)``; with ``moves: fomc`` it changes only at meetings, by the
multiple of 25 bp nearest the rule's rate; over a ``fixed_path`` it is the path (the shadow
rate is pinned to it, so the rule resumes from the path's last rate).
"""
import datetime as _dt

import numpy as np
from numba import njit

from ..schema import Q, ListOf, Nullable, Num, Section, Str
from .ou import ou_coeffs

FOMC_STEP = 0.0025  # 25 bp

# The FOMC's 2026 meeting calendar (decision days), used as the yearly pattern when
# policy.fomc_dates is not given: Jan 28, Mar 18, Apr 29, Jun 17, Jul 29, Sep 16, Oct 28, Dec 9.
FOMC_PATTERN = ((1, 28), (3, 18), (4, 29), (6, 17), (7, 29), (9, 16), (10, 28), (12, 9))


def _check(p, path, ctx):
    fp = p["fixed_path"] or []
    if fp and p["fixed_until"] is None:
        ctx.error(path + ("fixed_until",), "missing; a fixed_path needs the date after which the rule takes over")
    dates = [e["date"] for e in fp]
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            ctx.error(path + ("fixed_path", i, "date"), f"{dates[i]} is not after {dates[i - 1]}; "
                                                        "expected fixed_path dates in increasing order")
    if fp and p["fixed_until"] is not None and p["fixed_until"] <= dates[-1]:
        ctx.error(path + ("fixed_until",), f"{p['fixed_until']} is not after the last fixed_path date {dates[-1]}")
    if p["fomc_dates"] is not None and p["moves"] != "fomc":
        ctx.error(path + ("fomc_dates",), "given but policy.moves is not 'fomc'; set moves: fomc to use meetings")


SCHEMA = Section({
    # CALIBRATION.md (FRB/US rffintay): i = 0.85 i_-1 + 0.15 target, quarterly -> -4 ln 0.85 = 0.650/yr.
    "rule_speed": Q("speed", "speed at which the rate closes the gap to the Taylor target (inertia)", "0.65/yr", lo=0.0),
    "inflation_response": Num("phi_pi: response to inflation above target (FRB/US 0.5; Taylor 1993 0.5)", 0.5),
    # Taylor (1993) 0.5 (CALIBRATION.md). FRB/US uses 1.0, but with the 1990-2019 gap process that
    # makes the 10y's monthly moves from gap news alone ~25 bp, near the 26 bp total of DGS10.
    "gap_response": Num("phi_x: response to the output gap (Taylor 1993 0.5; FRB/US 1.0)", 0.5),
    # Tuned with the term-premium vol so the baseline's 10y monthly-change s.d. is ~26 bp (DGS10 1990-2019)
    # and the fed funds monthly-change s.d. is ~17 bp (FEDFUNDS 1990-2019); see tests/test_calibration.py.
    "shock_vol": Q("vol", "volatility of discretionary policy shocks", "0.45%/sqrt(yr)", lo=0.0),
    # Effective fed funds at the zero lower bound, 2020-04..2021-12: 0.05-0.10% (FEDFUNDS).
    "lower_bound": Q("rate", "floor on the policy rate", "0.10%"),
    # Assumption: a discretionary stance fades with a half-life of ~1.4 years (0.5/yr).
    "stance_speed": Q("speed", "speed at which a policy stance (deviation from the rule) fades", "0.5/yr", lo=0.0),
    "stance_vol": Q("vol", "volatility of stance shocks (0: the stance moves by events and its fit only)",
                    "0%/sqrt(yr)", lo=0.0),
    "moves": Str("'continuous': the rate follows the rule every step; 'fomc': it moves in 25 bp "
                 "steps at FOMC meetings only", "continuous", choices=["continuous", "fomc"]),
    "fomc_dates": Nullable(ListOf(Q("date")), "meeting dates (default: the 2026 calendar's pattern each year)"),
    "fixed_path": ListOf(Section({
        "date": Q("date", "from this date the policy rate is..."),
        "rate": Q("rate", "...this rate"),
    }), "a fixed policy path (rate from each date to the next); empty for none", []),
    "fixed_until": Nullable(Q("date"), "date from which the rule takes over after a fixed_path"),
}, doc="Policy rate: inertial Taylor rule with shocks, lower bound, FOMC steps, fixed path.", check=_check)

A_S, SD_S, PHI_PI, PHI_X, PI_STAR, LB, FOMC_MODE, A_U, SD_U = range(9)
N_PARAM = 9


def pack(p: dict, macro: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[A_S], out[SD_S] = ou_coeffs(p["rule_speed"].value, p["shock_vol"].value, dt)
    out[PHI_PI] = p["inflation_response"]
    out[PHI_X] = p["gap_response"]
    out[PI_STAR] = macro["inflation_target"].value
    out[LB] = p["lower_bound"].value
    out[FOMC_MODE] = 1.0 if p["moves"] == "fomc" else 0.0
    out[A_U], out[SD_U] = ou_coeffs(p["stance_speed"].value, p["stance_vol"].value, dt)
    return out


def drift_rows(p: dict, macro: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """Rows of K over (gap, pi, pi_e, r*, u, s) for the stance u and the shadow rate s, and the
    constant of the shadow rate's drift (the stance's is zero)."""
    th = p["rule_speed"].value
    row_u = np.array([0.0, 0.0, 0.0, 0.0, p["stance_speed"].value, 0.0])
    row_s = np.array([-th * p["gap_response"], -th * (1.0 + p["inflation_response"]), 0.0, -th, -th, th])
    c = -th * p["inflation_response"] * macro["inflation_target"].value
    return row_u, row_s, c


def fomc_dates(p: dict, start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """Meeting dates in (start, end]."""
    if p["fomc_dates"] is not None:
        return [d for d in p["fomc_dates"] if start < d <= end]
    out = []
    for y in range(start.year, end.year + 1):
        out += [_dt.date(y, m, d) for m, d in FOMC_PATTERN if start < _dt.date(y, m, d) <= end]
    return out


def fixed_path_rates(p: dict, step_dates: list[_dt.date], initial_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """For each step interval k ([date_k, date_k+1)): (is_fixed, rate). Before the first path date the
    initial rate holds; from ``fixed_until`` on the rule is in charge."""
    n = len(step_dates) - 1
    on = np.zeros(n, dtype=np.int8)
    rate = np.zeros(n)
    fp = p["fixed_path"] or []
    if not fp:
        return on, rate
    until = p["fixed_until"]
    for k in range(n):
        d = step_dates[k]
        if d >= until:
            continue
        on[k] = 1
        r = initial_rate
        for e in fp:
            if e["date"] <= d:
                r = e["rate"].value
        rate[k] = r
    return on, rate


@njit(cache=True, nogil=True)
def step(x, pi, rs, u, s0, old, cum, P, e_policy, e_stance, fixed_on, fixed_rate, fomc_meeting, dt):
    """One step of (stance, shadow rate, policy rate, rate integral), after the macro step.

    ``x, pi, rs``: gap, inflation, r* at the end of the step; ``u, s0, old, cum``: stance, shadow
    rate, policy rate and integral of the policy rate at the start; ``e_*`` correlated standard
    normal shocks. Returns their new values.
    """
    target = rs + pi + P[PHI_PI] * (pi - P[PI_STAR]) + P[PHI_X] * x + u
    u1 = u * P[A_U] + P[SD_U] * e_stance
    s = target + (s0 - target) * P[A_S] + P[SD_S] * e_policy
    if fixed_on:
        s = fixed_rate
        new = fixed_rate
    elif P[FOMC_MODE] > 0.5:
        if fomc_meeting:
            want = max(s, P[LB])
            new = max(old + FOMC_STEP * np.round((want - old) / FOMC_STEP), P[LB])
        else:
            new = old
    else:
        new = max(s, P[LB])
    return u1, s, new, cum + 0.5 * (old + new) * dt
