"""Volatility regimes and the policy cycle (issue 13): the regime keeps each scaled shock's
variance (E[m^2] = 1) while spreading it over time as DGS10's yearly volatility is spread, events
set it, and the policy cycle gives the 2y the persistent changes of the data.

Targets from the data (../shared/data/fred/DGS10.csv, computed in engine/blocks/volatility.py):
yearly realised 10y volatility (s.d. of daily changes x sqrt(252)) 2003-2025 has 5th/50th/95th
percentiles 57 / 84 / 136 bp and the issue's tolerance is +/-15%. The simulated percentiles come
from 600 paths x 5 years (3,000 path-years): the 5th and 95th percentiles of that sample have a
relative standard error of about 3% (order-statistic s.e. sqrt(p(1-p)/n)/f(q)), well inside 15%.
"""

import numpy as np
import pytest
from conftest import BASELINE

import engine

DGS10_YEARLY_VOL_BP = {5: 56.6, 50: 83.7, 95: 135.6}


@pytest.fixture(scope="module")
def daily():
    sc = engine.load_scenario(
        BASELINE,
        overrides=["simulation.step=1d", "simulation.record=1d", "simulation.horizon=5y", "simulation.paths=600"],
    )
    return engine.run(sc).raw("yield_10y") * 1e4


def test_yearly_10y_volatility_is_spread_like_dgs10(daily):
    ch = np.diff(daily, axis=0)
    years = ch.shape[0] // 252
    vol = np.array([ch[252 * i : 252 * (i + 1)].std(axis=0) * np.sqrt(252) for i in range(years)])
    for q, target in DGS10_YEARLY_VOL_BP.items():
        sim = np.percentile(vol, q)
        assert abs(sim / target - 1) < 0.15, (q, sim, target)
    # calm and turbulent years persist: the pooled year-to-year autocorrelation of log volatility
    # (DGS10 2003-2025: 0.51; a single 23-year series has a s.e. of about 0.18)
    lv = np.log(vol)
    assert 0.3 < np.corrcoef(lv[:-1].ravel(), lv[1:].ravel())[0, 1] < 0.7


def _run(*extra, paths=4000):
    sc = engine.load_scenario(
        BASELINE, overrides=["simulation.horizon=1y", f"simulation.paths={paths}", "simulation.seed=3", *extra]
    )
    return engine.run(sc)


def test_regimes_keep_the_variance_of_each_shock():
    """E[m^2] = 1: the 10y's monthly-change variance with regimes equals the one without, within
    the Monte Carlo error (the s.e. of a variance ratio from n changes with kurtosis k is about
    sqrt((k - 1)/n); with 4000 x 12 changes and k < 6 that is under 1.1%: 4 s.e. = 4.5%)."""
    on = np.diff(_run().raw("yield_10y"), axis=0)
    off = np.diff(_run("volatility.dispersion=0%").raw("yield_10y"), axis=0)
    assert abs(on.var() / off.var() - 1) < 0.045, on.var() / off.var()
    # ... and fattens the tails: the kurtosis of monthly changes rises above the Gaussian 3
    kurt = lambda x: ((x - x.mean()) ** 4).mean() / x.var() ** 2
    assert kurt(on) > kurt(off) + 0.2, (kurt(on), kurt(off))


def test_a_regime_event_makes_a_turbulent_start():
    """A +69% (log 2) regime shock doubles the scaled shocks' s.d. at once: the first month's 10y
    change s.d. rises by close to 2x (the unscaled jumps dilute it a little; the regime fades at
    1/yr, so over one month it keeps exp(-1/12) of its size)."""
    calm = _run("initial.volatility_regime=0%", "volatility.dispersion=0%")
    hot = _run(
        "initial.volatility_regime=0%",
        "volatility.dispersion=0%",
        "events=[{date: 2026-01-01, shock: volatility_regime, size: +69.3%}]",
    )
    d = lambda r: np.diff(r.raw("yield_10y")[:2], axis=0).std()
    ratio = d(hot) / d(calm)
    assert 1.7 < ratio < 2.05, ratio
    assert hot.raw("volatility_regime")[1].mean() == pytest.approx(0.693 * np.exp(-1 / 12), rel=1e-3)


def test_initial_regime_is_drawn_from_its_stationary_distribution():
    r = _run(paths=4000).raw("volatility_regime")[0]
    # N(0, 0.35^2): mean within 4 s.e. (0.35/sqrt(4000) = 0.0055), s.d. within 4 s.e. (0.35/sqrt(8000))
    assert abs(r.mean()) < 4 * 0.35 / np.sqrt(4000)
    assert abs(r.std() - 0.35) < 4 * 0.35 / np.sqrt(8000)


def test_the_policy_cycle_makes_2y_changes_persistent():
    """DGS2 1990-2019: monthly changes 24.9 bp, 12-month changes 119 bp, a variance ratio
    VR(12) = 119^2 / (12 x 24.9^2) = 1.9 (persistent policy cycles). The cycle raises the model's
    VR(12) (measured 1.13 without it, 1.39 with it; the data's 1.9 is not reached, issue 13's note).
    Standard error of each VR from 4,000 paths: VR x sqrt(2/4000 + 2/48000) = 0.03; the two runs
    share every other shock's draws, so their difference has at most sqrt(2) x 0.03 = 0.045: a
    rise of 0.15 is over 3 s.e. and the 1.25 floor sits 4.5 s.e. below the measured 1.39."""
    vr = lambda y: ((y[12] - y[0]).var()) / (12 * np.diff(y[:13], axis=0).var())
    with_cycle = vr(_run().raw("yield_2y"))
    without = vr(_run("policy.cycle_vol=0%/sqrt(yr)").raw("yield_2y"))
    assert with_cycle > without + 0.15, (with_cycle, without)
    assert with_cycle > 1.25, with_cycle


def test_a_given_start_or_a_new_dispersion_keeps_the_variance():
    """The multiplier is normalised by the variance the regime's random part has at each step
    (V_k), not by the stationary d^2: a start given at 0% scales the first step's shocks by exactly
    1 (its month-1 moves equal a run without regimes, as every other source shares its stream),
    and neither a given start nor a dispersion raised by an event changes the variance of monthly
    10y changes (4000 x 12 changes: 4.5% is 4 s.e., as above)."""
    off = _run("volatility.dispersion=0%").raw("yield_10y")
    given = _run("initial.volatility_regime=0%").raw("yield_10y")
    assert np.array_equal(given[:2], off[:2])
    raised = _run(
        "volatility.dispersion=0%", "events=[{date: 2026-02-01, set: volatility.dispersion, value: 50%}]"
    ).raw("yield_10y")
    v_off = np.diff(off, axis=0).var()
    for y in (given, raised):
        assert abs(np.diff(y, axis=0).var() / v_off - 1) < 0.045, np.diff(y, axis=0).var() / v_off
