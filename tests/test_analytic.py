"""Analytic limits: the short rate alone is Vasicek; zero volatility is deterministic and exact;
components sum to the yield; with no premia the curve is the expectations hypothesis.

Monte Carlo tolerances are multiples of the standard error (fixed seeds keep the tests
stable; the multiple keeps them honest): 4.5 s.e. when one statistic is checked at up to 121
correlated dates (the chance that any of 121 independent N(0,1) exceed 4.5 is 0.08%).
"""

import math

import numpy as np
import pytest
from conftest import BASELINE, NO_VOL, STEADY_MACRO

import engine

A, B_, SIG, R0 = 0.1, 0.04, 0.01, 0.03  # Vasicek: speed, mean, volatility, initial rate
Z = 4.5

# Macro pinned at its steady state with r* + pi* = b, so the Taylor target is the constant b.
VASICEK = (
    NO_VOL
    + STEADY_MACRO
    + [
        "initial.term_premium=0%",
        "initial.policy_stance=0bp",
        f"initial.fed_funds={100 * R0}%",
        f"policy.rule_speed={A}/yr",
        f"policy.shock_vol={100 * SIG}%/sqrt(yr)",
        "policy.lower_bound=-100%",
        "simulation.horizon=10y",
        "simulation.step=1m",
    ]
)


def vasicek_moments(t):
    e = np.exp(-A * t)
    return B_ + (R0 - B_) * e, SIG**2 * (1 - e**2) / (2 * A)


def vasicek_price(T):
    b = (1 - math.exp(-A * T)) / A
    lna = (B_ - SIG**2 / (2 * A**2)) * (b - T) - SIG**2 * b**2 / (4 * A)
    return math.exp(lna - b * R0)


@pytest.fixture(scope="module")
def vasicek_run():
    sc = engine.load_scenario(BASELINE, overrides=VASICEK + ["simulation.paths=20000", "simulation.seed=11"])
    return engine.run(sc)


def test_only_the_short_rate_draws_normals(vasicek_run):
    assert vasicek_run.model.n_draw == 1


def _moments(res, name: str, scale: float = 100.0):
    """Mean and variance over all paths at every date, from the run's streaming summary."""
    f = res.fan(name)
    return f["mean"].to_numpy() / scale, (f["std"].to_numpy() / scale) ** 2


def test_short_rate_mean_and_variance_match_vasicek_at_every_date(vasicek_run):
    m_hat, v_hat = _moments(vasicek_run, "policy_rate")
    n = vasicek_run.n_paths
    assert n == 20000
    t = np.arange(m_hat.size) / 12.0
    mean, var = vasicek_moments(t)
    z_mean = (m_hat[1:] - mean[1:]) / np.sqrt(v_hat[1:] / n)
    z_var = (v_hat[1:] - var[1:]) / (var[1:] * math.sqrt(2.0 / (n - 1)))
    assert np.abs(z_mean).max() < Z, np.abs(z_mean).max()
    assert np.abs(z_var).max() < Z, np.abs(z_var).max()
    assert m_hat[0] == pytest.approx(R0, rel=1e-14) and v_hat[0] < 1e-30


@pytest.mark.parametrize("T", [1, 2, 5, 10])
def test_zero_coupon_prices_from_simulated_discount_factors_match_closed_form(vasicek_run, T):
    """Discount factors integrate the short rate by the trapezoid rule on the exact monthly grid;
    its bias here is below 1e-6 in price ((T dt^2/12) a^2 |r0 - b| for the mean path), so the
    tolerance is the Monte Carlo error plus 1e-5."""
    m, v = _moments(vasicek_run, "discount_factor", 1.0)
    price, se = m[12 * T], math.sqrt(v[12 * T] / vasicek_run.n_paths)
    assert abs(price - vasicek_price(T)) < Z * se + 1e-5, (price, vasicek_price(T), se)


def test_wrong_model_would_fail_the_price_test(vasicek_run):
    """Power check: the 10y price of a Vasicek model with a 10% higher mean is far outside the band."""
    m, v = _moments(vasicek_run, "discount_factor", 1.0)
    price, se = m[120], math.sqrt(v[120] / vasicek_run.n_paths)
    b = (1 - math.exp(-A * 10)) / A
    wrong = math.exp((1.1 * B_ - SIG**2 / (2 * A**2)) * (b - 10) - SIG**2 * b**2 / (4 * A) - b * R0)
    assert abs(price - wrong) > 10 * se


@pytest.fixture(scope="module")
def deterministic():
    sc = engine.load_scenario(
        BASELINE,
        overrides=VASICEK
        + [
            "policy.shock_vol=0%/sqrt(yr)",
            "simulation.paths=300",
            "simulation.seed=3",
            "inflation_risk_premium.mean=0%",
            "initial.inflation_risk_premium=0%",
            "convenience_yield.mean=0%",
            "initial.convenience_yield=0%",
            # the term premium's mean level enters every tenor but the 10y (level - loading) x mean
            "term_premium.mean=0%",
        ],
    )
    return engine.run(sc)


def test_zero_volatility_is_deterministic_and_exact(deterministic):
    res = deterministic
    assert res.model.n_draw == 0
    for name in ["policy_rate", "yield_10y", "yield_3m", "discount_factor"]:
        x = res.raw(name)
        assert (x == x[:, :1]).all(), name  # every path identical
    r = res.raw("policy_rate")[:, 0]
    t = np.arange(len(r)) / 12.0
    # exact discretisation: the discrete path is the continuous solution at the grid points
    np.testing.assert_allclose(r, B_ + (R0 - B_) * np.exp(-A * t), rtol=0, atol=1e-15)


@pytest.mark.parametrize("tenor,tau", [("3m", 0.25), ("2y", 2.0), ("5y", 5.0), ("10y", 10.0), ("30y", 30.0)])
def test_expectations_part_of_the_curve_is_the_vasicek_average(deterministic, tenor, tau):
    """With only the policy rate off its steady state, E[avg r over tau] = b + (r0-b)(1-e^{-a tau})/(a tau)."""
    y0 = deterministic.raw(f"yield_{tenor}")[0, 0]
    expected = B_ + (R0 - B_) * (1 - math.exp(-A * tau)) / (A * tau)
    assert abs(y0 - expected) < 1e-12


@pytest.mark.parametrize("tenor", ["3m", "2y", "5y", "10y", "30y"])
def test_components_sum_to_the_yield(tenor):
    sc = engine.load_scenario(
        BASELINE,
        overrides=[
            "simulation.paths=300",
            "simulation.horizon=2y",
            "initial.liquidity_wedge=20bp",
            "initial.fire_sale=15bp",
            "events=[{date: 2025-12-31, shock: bill_wedge, size: -10bp}]",
        ],
    )
    res = engine.run(sc)
    from engine.results import COMPONENT_SIGN, COMPONENTS

    parts = [res.raw(f"yield_{tenor}/{c}") * COMPONENT_SIGN.get(c, 1.0) for c in COMPONENTS]
    total = np.array([math.fsum(v) for v in zip(*[p.ravel() for p in parts])]).reshape(parts[0].shape)
    y = res.raw(f"yield_{tenor}")
    assert np.abs(total - y).max() < 1e-12
    # every component takes part, but the bill wedge beyond bill tenors (its loading is zero there)
    # and the floor (no yield of this run comes near it; tests/test_floor.py)
    taking_part = [c for c in COMPONENTS if (c != "bill_wedge" or tenor == "3m") and c != "floor"]
    assert all(np.abs(p).max() > 0 for c, p in zip(COMPONENTS, parts) if c in taking_part)


def test_with_no_premia_the_curve_is_the_expected_average_short_rate():
    """Pure expectations hypothesis: with every premium and friction off, the 2y yield at the start
    equals the mean of the realised average policy rate over the next 2 years (all shocks on, no
    floor). Weekly steps; tolerance 4.5 s.e. + 1 bp for the operator-splitting discretisation
    (measured at about 0.3 bp)."""
    sc = engine.load_scenario(
        BASELINE,
        overrides=[
            "simulation.step=1w",
            "simulation.horizon=2y",
            "simulation.paths=8000",
            "simulation.seed=5",
            "term_premium.vol=0%/sqrt(yr)",
            "term_premium.jump_intensity=0/yr",
            "term_premium.mean=0%",
            "initial.curve=null",
            "initial.fit_also=[]",
            "initial.term_premium=0%",
            "initial.policy_stance=-1%",
            "inflation_risk_premium.vol=0%/sqrt(yr)",
            "inflation_risk_premium.mean=0%",
            "inflation_risk_premium.deanchoring_sensitivity=0",
            "initial.inflation_risk_premium=0%",
            "convenience_yield.vol=0%/sqrt(yr)",
            "convenience_yield.mean=0%",
            "initial.convenience_yield=0%",
            "policy.lower_bound=-100%",
        ],
    )
    res = engine.run(sc)
    y2 = res.raw("yield_2y")[0, 0]
    assert (res.raw("yield_2y/real_rate") + res.raw("yield_2y/expected_inflation") == res.raw("yield_2y")).all()
    avg = res.raw("discount_factor")[-1]
    realised = -np.log(avg) / 2.0
    se = realised.std(ddof=1) / math.sqrt(realised.size)
    assert abs(realised.mean() - y2) < Z * se + 1e-4, (realised.mean(), y2, se)
