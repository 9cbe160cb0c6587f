"""Stablecoin block: issuers' market cap, runs, GENIUS-Act reserves, and their bill purchases and
sales, which move bill yields through the bill wedge (:mod:`engine.blocks.bill_wedge`).

Per path and step (``dt`` years), with ``M`` the market cap (USD bn):

* trend growth and volatility: ``M' = M exp((g - s^2/2) dt + s sqrt(dt) z)`` (``z`` a normal
  of the plumbing's own stream, independent of the core shocks; ``g`` is the mean growth, the
  median grows at ``g - s^2/2``);
* runs: a run starts with probability ``1 - exp(-lambda dt)``, ``lambda = run_intensity x (1 +
  stress_sensitivity x max(fire-sale dislocation, 0) / 100bp)``, or when an event shocks
  ``stablecoin_run`` (a share of the cap, like ``+25%``); it redeems ``run_size`` of the cap at the
  start evenly over ``run_duration`` (the depeg state is 1 meanwhile);
* reserves follow the cap at the scenario's composition: issuers buy bills on inflows and sell
  them on outflows (``bills`` plus ``government_money_funds``, whose holdings are counted as bills);
  sales forced by run redemptions are recorded and must be absorbed by the rest of the market;
* flows move the 3m bill wedge: trend and noise flows by ``-inflow_impact x F`` (either way),
  run redemptions ``R`` by ``+inflow_impact x outflow_asymmetry x R``, bounded by ``max_wedge``
  (the asymmetry applies to redemptions only: applied to the noise it would make the wedge
  drift with the noise, and so with the step). Calibrated on Ahmed & Aldasoro (BIS WP 1270,
  2025): a 2-s.d. inflow (about $3.5bn over 5 days) lowers the 3m yield 2-2.5 bp within 10
  days (about 0.6-0.7 bp per $1bn of 5-day flow); outflows move it 2-3 times as much; no
  effect on long tenors.

Draws, per path and step, from their own streams (engine.core.sampling.stream): the cap's normal
(source ``stablecoins.cap``, with a volatility) and a uniform (``stablecoins.runs``, with runs
possible).
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.events import block_event_problems
from ..core.layout import BILL, FIRE, OUTP, ROW
from ..core.ou import stack
from ..schema import Bool, Field, Int, Money, NonNegRate, Number, Rate, Section, Share, Speed, Tenor, Vol, fail
from ..units import BUSINESS_DAYS_PER_YEAR

CAP, BILLS, FLOW, RUN, RUN_LEFT, RUN_TIME, DEPEG = (
    ROW["stablecoin_cap"],
    ROW["stablecoin_bills"],
    ROW["stablecoin_flow"],
    ROW["stablecoin_run"],
    ROW["stablecoin_run_left"],
    ROW["stablecoin_run_time"],
    ROW["stablecoin_depeg"],
)
SALES, SALES_STEP, PEAK, TROUGH, RUNS = (
    ROW["stablecoin_forced_sales"],
    ROW["stablecoin_sales_step"],
    ROW["stablecoin_wedge_peak"],
    ROW["stablecoin_wedge_trough"],
    ROW["stablecoin_runs"],
)
_ROWS = (CAP, BILLS, FLOW, RUN, RUN_LEFT, RUN_TIME, DEPEG, SALES, SALES_STEP, PEAK, TROUGH, RUNS)
O0 = OUTP["stablecoins"]  # first of the block's outputs, after the run's first plumbing record row
GENIUS_MAX_BILL_DAYS = 93  # GENIUS Act: Treasury bills with at most 93 days remaining


class Reserves(Section):
    """Reserve composition, shares of the cap summing to 100% (keys not given are 0%). The
    GENIUS Act (Public Law 119-27, signed 2025-07-18) allows cash and Fed balances, demand
    deposits, Treasuries of at most 93 days, overnight repo and reverse repo on such collateral,
    and government money funds holding only these; ``other`` (anything else) is allowed only with ``genius: false``."""

    bills: Share = Field("70%", description="Treasury bills (at most bill_max_days to maturity)")
    overnight_repo: Share = Field("12%", description="overnight repo / reverse repo on eligible collateral")
    deposits: Share = Field("5%", description="cash, Fed balances and demand deposits")
    government_money_funds: Share = Field("13%", description="government money funds (their holdings counted as bills)")
    other: Share = Field("0%", description="anything the GENIUS Act does not allow (needs genius: false)")

    @model_validator(mode="before")
    @classmethod
    def _given_is_whole(cls, data):
        """A composition that is given lists every holding: keys left out are 0% (the defaults
        hold only when ``reserves`` is not given at all)."""
        if isinstance(data, dict) and data:
            return {k: data.get(k, "0%") for k in cls.model_fields} | data
        return data

    @model_validator(mode="after")
    def _total(self) -> Reserves:
        total = sum(getattr(self, k).value for k in type(self).model_fields)
        if abs(total - 1.0) > 1e-9:
            fail(((), f"shares sum to {total * 100:.6g}%; expected 100%"))
        return self


class Params(Section):
    """Stablecoins: market cap, runs, GENIUS-Act reserves, bill flows and their yield effect."""

    enabled: Bool = Field(False, description="switch the stablecoin block on")
    cap: Money = Field(
        "300bn",
        description="market cap at the start (> $300bn in Oct 2025, unverified; > $200bn in Mar 2025, BIS WP 1270)",
    )
    growth: Rate = Field(
        "25%",
        description="trend growth of the cap per year, log (about $150bn in Nov 2022 to $300bn in Oct 2025: "
        "~25%/yr; Fed FEDS Note Dec 2022, BIS WP 1270)",
    )
    vol: Vol = Field(
        "7%/sqrt(yr)",
        description="volatility of the cap outside runs (BIS WP 1270: a 2-s.d. 5-day flow is ~$3.5bn at a "
        "cap near $175bn, 1% a 5-day s.d., ~7%/sqrt(yr))",
    )
    run_intensity: Speed = Field(
        "0.3/yr",
        description="runs per year in calm markets (assumption: fiat-backed runs on Tether in May 2022 and "
        "USDC in March 2023, ~2 in 5 years, on part of the market)",
    )
    stress_sensitivity: Annotated[float, Number(0.0, 1000.0)] = Field(
        2.0, description="run intensity rises by this multiple per 100bp of fire-sale dislocation (assumption)"
    )
    run_size: Share = Field(
        "10%",
        description="share of the cap redeemed in a run (Tether May 2022: 12% of USDT in ~12 days; USDC March "
        "2023: 23% in 3 weeks; on about half the market each)",
    )
    run_duration: Tenor = Field("10d", description="business days over which a run's redemptions come")
    reserves: Reserves = Field({}, description="reserve composition (GENIUS Act rules unless genius: false)")
    genius: Bool = Field(True, description="enforce the GENIUS Act's reserve rules")
    bill_max_days: Int = Field(
        90, description="longest remaining maturity of bills held, calendar days (GENIUS Act: at most 93)"
    )
    repo_term_days: Int = Field(1, description="term of the repo held, calendar days (GENIUS Act: overnight, 1)")
    inflow_impact: NonNegRate = Field(
        "0.7bp",
        description="3m bill wedge per $1bn of net inflow (BIS WP 1270: ~0.6-0.7 bp per $1bn of 5-day flow)",
    )
    outflow_asymmetry: Annotated[float, Number(0.0, 1000.0)] = Field(
        2.5, description="outflows move bills this many times as much as inflows (BIS WP 1270: 2-3x)"
    )
    max_wedge: Rate = Field(
        "50bp",
        description="bound on the bill wedge either way (assumption: the BIS estimate is for flows of a few "
        "$bn and is not extrapolated without limit)",
    )

    @model_validator(mode="after")
    def _genius(self) -> Params:
        probs: list[tuple[tuple, str]] = []
        if self.bill_max_days < 1:
            probs.append((("bill_max_days",), f"{self.bill_max_days} days; expected at least 1"))
        if self.repo_term_days < 1:
            probs.append((("repo_term_days",), f"{self.repo_term_days} days; expected at least 1"))
        if self.genius:
            if self.bill_max_days > GENIUS_MAX_BILL_DAYS:
                probs.append(
                    (
                        ("bill_max_days",),
                        f"{self.bill_max_days} days breaks the GENIUS Act, which allows bills with at most "
                        f"{GENIUS_MAX_BILL_DAYS} days remaining; expected at most {GENIUS_MAX_BILL_DAYS} (or genius: "
                        "false)",
                    )
                )
            if self.repo_term_days != 1:
                probs.append(
                    (
                        ("repo_term_days",),
                        f"{self.repo_term_days}-day repo breaks the GENIUS Act, which allows overnight repo only; "
                        "expected 1 (or genius: false)",
                    )
                )
            if self.reserves.other.value > 0:
                probs.append(
                    (
                        ("reserves", "other"),
                        f"{self.reserves.other} of reserves in assets the GENIUS Act does not allow; expected 0% "
                        "(or genius: false)",
                    )
                )
        if self.max_wedge.value <= 0:
            probs.append((("max_wedge",), f"'{self.max_wedge}'; expected a positive bound like 50bp"))
        fail(*probs)
        return self


FIXED = ("enabled", "cap", "reserves", "genius", "bill_max_days", "repo_term_days")

ON, GROWTH, SD, LAM, STRESS, RUN_SIZE, RUN_YEARS, BILL_SHARE, IMP_IN, IMP_OUT, MAX_W, DT, DAYS = range(13)
N_SLOT = 13


def pack_one(sc, dt: float) -> np.ndarray:
    p: Params = sc.stablecoins
    out = np.zeros(N_SLOT)
    s = p.vol.value
    out[ON] = 1.0 if p.enabled else 0.0
    out[GROWTH] = (p.growth.value - 0.5 * s * s) * dt
    out[SD] = s * math.sqrt(dt)
    out[LAM] = p.run_intensity.value
    out[STRESS] = float(p.stress_sensitivity)
    out[RUN_SIZE] = p.run_size.value
    out[RUN_YEARS] = max(p.run_duration.years, dt)
    out[BILL_SHARE] = p.reserves.bills.value + p.reserves.government_money_funds.value
    out[IMP_IN] = p.inflow_impact.value
    out[IMP_OUT] = p.inflow_impact.value * float(p.outflow_asymmetry)
    out[MAX_W] = p.max_wedge.value
    out[DT] = dt
    out[DAYS] = dt * BUSINESS_DAYS_PER_YEAR
    return out


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc, cal.dt))


def initial(sc, x: np.ndarray) -> None:
    p: Params = sc.stablecoins
    x[CAP] = p.cap.value
    x[BILLS] = p.cap.value * (p.reserves.bills.value + p.reserves.government_money_funds.value)
    for row in (FLOW, RUN, RUN_LEFT, RUN_TIME, DEPEG, SALES, SALES_STEP, PEAK, TROUGH, RUNS):
        x[row] = 0.0


def runs_possible(regimes: list) -> bool:
    return any(r.stablecoins.enabled and r.stablecoins.run_intensity.value > 0 for r in regimes)


def shock_possible(regimes: list) -> bool:
    return any(r.stablecoins.enabled and r.stablecoins.vol.value > 0 for r in regimes)


def checks(sc) -> list[tuple[tuple, str]]:
    """Events on the block need it on, its run/margin shocks are sized sensibly, and every
    regime ``set`` events start keeps the section's rules (engine.core.events)."""
    out = block_event_problems(sc, "stablecoins", ("stablecoin_run",))
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def step(S, O, z, u, P):
    """One step: from the old state O to S (whose core rows are stepped). ``z``: (B,) the cap's
    normals, ``u``: (B,) uniforms for the run draws (each unused when off). Amounts USD bn.

    Trend and noise flows move the wedge symmetrically (``inflow_impact`` either way, so the
    noise leaves no drift and the wedge does not depend on the step); redemptions in a run move
    it ``outflow_asymmetry`` times as much and force bill sales. Overlapping runs add their
    amounts, redeemed over the longer of the time left and a new run's duration."""
    if P[ON] == 0.0:
        for p in range(S.shape[1]):
            for row in _ROWS:
                S[row, p] = O[row, p]
        return
    dt = P[DT]
    for p in range(S.shape[1]):
        M = O[CAP, p]
        start = max(O[RUN, p], 0.0)
        runs = O[RUNS, p]
        if P[LAM] > 0.0:
            lam = P[LAM] * (1.0 + P[STRESS] * max(S[FIRE, p], 0.0) / 0.01)
            if u[p] < -math.expm1(-lam * dt):
                start += P[RUN_SIZE]
        left, t_left = O[RUN_LEFT, p], O[RUN_TIME, p]
        if start > 0.0:
            left += start * M
            t_left = max(t_left, P[RUN_YEARS])
            runs += 1.0
        redeem = 0.0
        if t_left > 0.0:
            last = t_left <= dt * (1.0 + 1e-6)  # the run's last step: what is left goes
            redeem = left if last else left * dt / t_left
            left -= redeem
            t_left = 0.0 if last else t_left - dt
            if last:
                left = 0.0
        grown = M * math.exp(P[GROWTH] + P[SD] * z[p])
        M_new = max(grown - redeem, 0.0)
        red = grown - M_new  # redemptions paid (at most the whole cap)
        w = S[BILL, p] - P[IMP_IN] * (grown - M) + P[IMP_OUT] * red
        w = min(max(w, -P[MAX_W]), P[MAX_W])
        sold = P[BILL_SHARE] * red
        S[BILL, p] = w
        S[CAP, p] = M_new
        S[BILLS, p] = P[BILL_SHARE] * M_new
        S[FLOW, p] = (M_new - M) / P[DAYS]
        S[RUN, p] = 0.0
        S[RUN_LEFT, p] = left
        S[RUN_TIME, p] = t_left
        S[DEPEG, p] = 1.0 if redeem > 0.0 else 0.0
        S[SALES, p] = O[SALES, p] + sold
        S[SALES_STEP, p] = sold / P[DAYS]
        S[PEAK, p] = max(O[PEAK, p], w)
        S[TROUGH, p] = min(O[TROUGH, p], w)
        S[RUNS, p] = runs


@njit(cache=True, nogil=True)
def record(S, out, rec0):
    """The block's outputs (engine.registry) into a record slot, from row ``rec0``."""
    o = rec0 + O0
    for p in range(S.shape[1]):
        out[o, p] = S[CAP, p]
        out[o + 1, p] = S[BILLS, p]
        out[o + 2, p] = S[FLOW, p]
        out[o + 3, p] = S[SALES, p]
        out[o + 4, p] = S[SALES_STEP, p]
        out[o + 5, p] = S[DEPEG, p]
        out[o + 6, p] = S[RUNS, p]
        out[o + 7, p] = S[PEAK, p]
        out[o + 8, p] = S[TROUGH, p]
