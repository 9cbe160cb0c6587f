"""The library's stress scenarios against the runs they extend: each stated mechanism shows up
with the right sign and a magnitude inside a sourced or derived range.

Each stress and its base run on the same seed and grid, so most of the noise cancels path by
path; every comparison is of the paired per-path difference (stress - base), whose Monte Carlo
standard error comes from the kept paths (all of them: ``outputs.keep_paths`` = paths) through
:meth:`engine.results.Results.std_error`. A "significant" sign means the mean is more than Z
standard errors from zero, and a range holds when the mean is inside it widened by Z standard
errors: the ranges are published figures (CALIBRATION.md) or the scenario's own parameters,
never a hand-picked slack. Nothing depends on the exact draws: with other random numbers the
differences move by a few standard errors at most.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from conftest import SCENARIOS

import engine
from engine.blocks.supply import duration

Z = 3.0  # standard errors
ROUNDING_BP = 1e-6  # floating-point rounding, for identities only
PATHS = 512

# CALIBRATION.md, Treasury supply: Laubach (2009), +3-4bp of 10y yield per pp of debt/GDP
LAUBACH_BP_PER_PP = (3.0, 4.0)


@dataclass
class Pair:
    stress: engine.results.Results
    base: engine.results.Results

    def diff(self, name: str, scale: float, date: str | None = None) -> np.ndarray:
        """stress - base of ``name`` per kept path at ``date`` (the horizon if None), times
        ``scale`` (1e4: decimals to bp; 100: to percentage points)."""
        i = -1 if date is None else self.stress.dates.get_loc(pd.Timestamp(date))
        return (self.stress.raw(name)[i] - self.base.raw(name)[i]) * scale

    def mean_se(self, x: np.ndarray) -> tuple[float, float]:
        return float(x.mean()), self.stress.std_error(x)

    def above(self, x: np.ndarray, lo: float = 0.0) -> None:
        m, se = self.mean_se(x)
        assert m - lo > Z * se, f"mean {m:.4f} not above {lo} by {Z} s.e. ({se:.4f})"

    def below(self, x: np.ndarray, hi: float = 0.0) -> None:
        m, se = self.mean_se(x)
        assert hi - m > Z * se, f"mean {m:.4f} not below {hi} by {Z} s.e. ({se:.4f})"

    def within(self, x: np.ndarray, lo: float, hi: float) -> None:
        m, se = self.mean_se(x)
        assert lo - Z * se <= m <= hi + Z * se, f"mean {m:.4f} outside [{lo}, {hi}] +/- {Z} s.e. ({se:.4f})"


# the stresses built on cbo_2025 keep their shocks uncentred (their files say so): their control is
# cbo_2025 set the same way, so each pair differs in the stress only
CBO_UNCENTRED = ["policy.floor_centring=none", "term_premium.compensate_jumps=false"]


def pair(stress: str, base: str, common: list[str], base_only: list[str] | None = None) -> Pair:
    ov = [f"simulation.paths={PATHS}", f"outputs.keep_paths={PATHS}", *common]
    rs = engine.run(engine.load_scenario(os.path.join(SCENARIOS, f"{stress}.yaml"), overrides=ov))
    rb = engine.run(engine.load_scenario(os.path.join(SCENARIOS, f"{base}.yaml"), overrides=ov + (base_only or [])))
    assert rs.scenario.seed == rb.scenario.seed
    assert list(rs.dates) == list(rb.dates)
    assert rs.n_kept == rs.n_paths == rb.n_kept
    return Pair(rs, rb)


def test_supply_surge_raises_the_term_premium_by_laubachs_amount_per_pp_of_debt():
    """Deficits 3.45% of GDP above CBO in 2026-27, financed at the 22% bill share: more debt and
    more privately held duration; a year after the surge the supply part of the 10y term premium
    is up by Laubach's 3-4bp per pp of extra debt/GDP; the 10y rises more than the 2y; bills
    cheapen; the absorption wedge is positive during the surge, at most the level the scenario
    sets, and less than half of it a year after."""
    p = pair("supply_surge", "cbo_2025", ["simulation.horizon=3y", "simulation.record=1m"], CBO_UNCENTRED)
    debt = p.diff("debt_to_gdp", 100)  # pp, at 2028-12-31
    tp = p.diff("supply_term_premium_10y", 1e4)
    p.above(debt)
    lo, hi = LAUBACH_BP_PER_PP
    p.within(tp - lo * debt, 0.0, math.inf)
    p.within(tp - hi * debt, -math.inf, 0.0)
    p.above(p.diff("yield_10y", 1e4))
    p.above(p.diff("yield_10y", 1e4) - p.diff("yield_2y", 1e4))
    p.below(p.diff("convenience_yield_3m", 1e4))
    wedge_bp = max(e.value.value for e in p.stress.scenario.events if getattr(e, "set", None) == "liquidity_wedge.mean")
    mid = p.diff("liquidity_wedge_10y", 1e4, "2027-06-30")
    p.above(mid)
    p.within(mid, 0.0, wedge_bp * 1e4)
    # 14 months after the sizes come down (2027-11-03), over four 3-month half-lives
    p.within(p.diff("liquidity_wedge_10y", 1e4), 0.0, wedge_bp * 1e4 / 2)


def test_tariff_inflation_delays_cuts_steepens_the_long_end_and_stresses_the_basis_trade():
    """Against the baseline with the basis trade on (same weekly steps): the policy rate ends the
    year above the baseline's, but by no more than the Taylor rule's full response (1 + phi_pi)
    to the extra inflation; 2y-10y and 2y-30y steepen; the 10y's rise stays below 2022's; the
    basis trade is forced to sell and a fire-sale dislocation opens, the funds selling a smaller
    share of their position than in March 2020."""
    weekly = ["simulation.horizon=1y", "simulation.step=1w", "simulation.record=1w"]
    p = pair("tariff_inflation", "baseline", weekly, ["basis_trade.enabled=true"])
    phi_pi = p.stress.scenario.policy.inflation_response
    rate, infl = p.diff("policy_rate", 1e4), p.diff("inflation", 1e4)
    p.above(rate)
    p.above(infl)
    p.within(rate - (1.0 + phi_pi) * infl, -math.inf, 0.0)
    spring = str(p.stress.dates[p.stress.dates <= pd.Timestamp("2026-04-30")][-1].date())
    two = p.diff("yield_2y", 1e4, spring)
    p.above(p.diff("yield_10y", 1e4, spring) - two)
    p.above(p.diff("yield_30y", 1e4, spring) - two)
    # DGS10 1.52% (2021-12-31) -> 3.88% (2022-12-30): +236bp in the year of the inflation shock
    p.within(p.diff("yield_10y", 1e4), 0.0, 236.0)
    # the baseline forces sales only on the rare path whose volatility regime turns turbulent
    assert np.mean(p.base.raw("basis_forced_sales_total")[-1] > 0.0) < 0.05
    p.above(p.diff("basis_forced_sales_total", 1.0))
    # March 2020: hedge funds' net Treasury sales $173bn (Banegas, Monin & Petrasek 2021) of a
    # $400-500bn trade (Barth & Kahn): at least 35% of it; CALIBRATION.md
    p.within(p.stress.raw("basis_fraction_unwound")[-1], 0.0, 173.0 / 500.0)
    p.above(p.stress.raw("fire_sale_10y").max(axis=0) * 1e4 - p.base.raw("fire_sale_10y").max(axis=0) * 1e4)


def test_fiscal_dominance_lets_expectations_drift_and_raises_the_premia():
    """Against cbo_2025 after five years: long-run inflation expectations above CBO's run but
    below the 10y breakeven's 2022 peak (3.02%, CALIBRATION.md); a lower real policy rate; a
    higher inflation risk premium; a supply term premium of Laubach's size per pp of the extra
    debt; a higher 10y."""
    p = pair("fiscal_dominance", "cbo_2025", ["simulation.horizon=5y", "simulation.record=1m"], CBO_UNCENTRED)
    p.above(p.diff("inflation_expectations", 1e4))
    p.within(p.stress.raw("inflation_expectations")[-1] * 100, -math.inf, 3.02)
    p.below(p.diff("policy_rate", 1e4) - p.diff("inflation", 1e4))
    p.above(p.diff("inflation_risk_premium_10y", 1e4))
    debt, tp = p.diff("debt_to_gdp", 100), p.diff("supply_term_premium_10y", 1e4)
    p.above(debt)
    lo, hi = LAUBACH_BP_PER_PP
    p.within(tp - lo * debt, 0.0, math.inf)
    p.within(tp - hi * debt, -math.inf, 0.0)
    p.above(p.diff("yield_10y", 1e4))


def test_downgrade_cascade_adds_its_term_premium_per_downgrade_and_cheapens_bills():
    """Against cbo_2025 after five years: at least the two scheduled downgrades more, and more
    than two (the cascade's triggers); the supply part of the 10y term premium is 15bp per
    extra downgrade plus the supply block's duration feedback from the extra interest (10bp per
    pp of GDP of 10y-equivalents held privately, which must not be negative); the 10y rises at
    least by the term premium added; bills lose at least the 5bp convenience yield per
    downgrade."""
    p = pair("downgrade_cascade", "cbo_2025", ["simulation.horizon=5y", "simulation.record=1m"], CBO_UNCENTRED)
    d = p.stress.scenario.holders.downgrades
    add_bp, cut_bp = d.term_premium_add.value * 1e4, d.convenience_cut.value * 1e4
    n = p.diff("downgrades", 1.0)
    p.within(n, len(d.dates), d.max)
    p.above(n, len(d.dates))
    dur = p.diff("private_duration_to_gdp", 100)  # pp of GDP of 10y-equivalents
    p.within(dur, 0.0, math.inf)
    sens_bp = p.stress.scenario.supply.duration_sensitivity.value * 1e4
    # an identity of the supply block, exact up to floating-point rounding: each run's downgrades
    # add its own term premium (cbo_2025's smaller default, 3bp, on its paths that pass its trigger too)
    base_add_bp = p.base.scenario.holders.downgrades.term_premium_add.value * 1e4
    added = add_bp * p.stress.raw("downgrades")[-1] - base_add_bp * p.base.raw("downgrades")[-1]
    p.within(p.diff("supply_term_premium_10y", 1e4) - added - sens_bp * dur, -ROUNDING_BP, ROUNDING_BP)
    p.within(p.diff("yield_10y", 1e4) - added, 0.0, math.inf)
    p.within(p.diff("convenience_yield_3m", 1e4) + cut_bp * n, -math.inf, 0.0)
    p.above(p.diff("yield_3m", 1e4))


def test_de_dollarization_moves_duration_to_private_hands_and_the_term_premium_up():
    """Against cbo_2025 six years on: the $1.5tn is sold; privately held duration and the supply
    term premium rise, by at most what $1.5tn of 4y duration is in 10y-equivalents over the
    start's GDP at the supply block's 10bp per pp (GDP only grows)."""
    p = pair("de_dollarization", "cbo_2025", ["simulation.horizon=6y", "simulation.record=1m"], CBO_UNCENTRED)
    sc = p.stress.scenario
    f = sc.holders.foreign_official
    p.within(p.diff("foreign_official", 1.0), -f.sell_amount.value, -f.sell_amount.value)
    tenyear_eq = f.sell_amount.value * duration(f.duration.years) / duration(10.0)
    cap_bp = sc.supply.duration_sensitivity.value * 1e4 * 100 * tenyear_eq / sc.treasury.nominal_gdp.value
    tp = p.diff("supply_term_premium_10y", 1e4)
    p.above(tp)
    p.within(tp, 0.0, cap_bp)
    p.above(p.diff("yield_10y", 1e4))
