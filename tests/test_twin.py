"""The numba kernel and its plain-numpy twin: same equations, same random numbers, same results
bit for bit, across the features the kernel has (events, regimes, jumps, correlations, FOMC
steps, fixed paths, daily/weekly/monthly steps)."""

import numpy as np
import pytest
from conftest import BASELINE

import engine
from engine.driver import simulate
from engine.model import build
from engine.twin import simulate_twin

FEATURES = {
    "baseline": [],
    "events and regimes": [
        "events=[{date: 2026-02-10, shock: term_premium, size: 35bp, half_life: 6m},"
        " {date: 2026-03-02, shock: inflation_expectations, size: 30bp},"
        " {date: 2026-03-02, shock: policy_rate, size: -50bp},"
        " {date: 2026-05-01, shock: convenience_yield, size: -15bp, half_life: 3m},"
        " {date: 2026-06-01, set: macro.learning_gain, value: 0.4/yr},"
        " {date: 2026-09-01, set: term_premium.jump_intensity, value: 3/yr}]"
    ],
    "rate decisions the rule adopts, with a regime": [
        "events=[{date: 2026-03-02, shock: policy_rate, size: +50bp, sets_target: true},"
        " {date: 2026-06-01, set: policy.inflation_response, value: 1.0},"
        " {date: 2026-07-01, shock: policy_rate, size: -25bp, sets_target: true}]"
    ],
    "correlations": [
        "correlations={term_premium: {policy_rate: 0.3, inflation: 0.2}, inflation: {output_gap: 0.4}}",
        "policy.stance_vol=0.3%/sqrt(yr)",
    ],
    "fomc daily": ["simulation.step=1d", "simulation.record=1w", "simulation.horizon=6m", "policy.moves=fomc"],
    "fixed path weekly": [
        "simulation.step=1w",
        "policy.fixed_path=[{date: 2026-01-01, rate: 3.5%}, {date: 2026-06-01, rate: 3.25%}]",
        "policy.fixed_until=2027-01-01",
    ],
    "volatility regimes": [
        "volatility.dispersion=45%",
        "policy.stance_vol=1%/sqrt(yr)",
        "events=[{date: 2026-06-01, shock: volatility_regime, size: +69%},"
        " {date: 2026-09-01, set: volatility.dispersion, value: 30%}]",
    ],
    "volatility regime given, antithetic": [
        "volatility.dispersion=45%",
        "initial.volatility_regime=50%",
        "simulation.antithetic=true",
        "events=[{date: 2026-04-01, set: volatility.dispersion, value: 10%}]",
    ],
    "volatility regime drawn, antithetic": ["volatility.dispersion=45%", "simulation.antithetic=true"],
    "volatility regime drawn, quasi-random": ["volatility.dispersion=45%", "simulation.quasi_random=true"],
    "lower bound binds": ["initial.fed_funds=0.5%", "macro.neutral_rate_mean=-1%", "policy.lower_bound=0.25%"],
    # the yields' floor (lower bound less policy.floor_margin) binds on many paths (tests/test_floor.py)
    "yield floor binds": [
        "initial.fed_funds=0.5%",
        "macro.neutral_rate_mean=-1%",
        "policy.lower_bound=0.25%",
        "policy.floor_margin=0bp",
        "convenience_yield.mean=1%",
    ],
}


@pytest.mark.parametrize("name", FEATURES)
def test_kernel_equals_numpy_twin_bit_for_bit(name):
    sc = engine.load_scenario(
        BASELINE, overrides=["simulation.horizon=2y", "simulation.paths=600", "simulation.seed=9"] + FEATURES[name]
    )
    model = build(sc)
    k_rec, k_met = simulate(model, 600, 9, threads=2)
    t_rec, t_met = simulate_twin(model, 600, 9)
    assert np.array_equal(k_rec, t_rec)
    assert np.array_equal(k_met, t_met, equal_nan=True)
    assert np.isfinite(k_rec).all()
