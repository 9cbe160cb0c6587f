"""The start's pricing error (issue 13): what the observed initial curve has beyond the fitted
model is carried as the yields' part 'pricing_error', the same on every path, decaying with
initial.pricing_error_half_life, so a run starts at the observed curve."""

import numpy as np
import pytest
from conftest import BASELINE

import engine

SHORT = [
    "simulation.horizon=3y",
    "simulation.paths=256",
    "outputs.keep_paths=256",
    "outputs.charts=false",
    "outputs.thresholds=[]",
]


def run(overrides):
    return engine.run(engine.load_scenario(BASELINE, overrides=[*SHORT, *overrides]))


def test_the_yields_start_at_the_observed_curve_and_the_error_halves_in_a_half_life():
    r = run(["outputs.tenors=[2y, 5y, 10y, 30y]", "simulation.record=1m"])
    fit = r.model.fit
    for t, (observed, model) in fit.items():
        y, pe = r.raw(f"yield_{t}"), r.raw(f"yield_{t}/pricing_error")
        assert np.allclose(y[0], observed, rtol=0, atol=1e-14), t
        assert np.all(pe[0] == pe[0, 0]) and pe[0, 0] == pytest.approx(observed - model, abs=1e-15)
        assert pe[14, 0] == pytest.approx(0.5 * pe[0, 0], rel=1e-12)  # 14 monthly steps: one half-life
        assert pe[28, 0] == pytest.approx(0.25 * pe[0, 0], rel=1e-12)
    # between observed tenors, linear in the tenor; from zero at tenor 0 (the short end is the
    # policy rate's) to the shortest observed tenor
    e2, e10 = (fit[t][0] - fit[t][1] for t in ("2y", "10y"))
    assert r.raw("yield_5y/pricing_error")[0, 0] == pytest.approx(e2 + (e10 - e2) * 3 / 8, abs=1e-15)
    r3m = run(["outputs.tenors=[3m, 2y]", "simulation.horizon=1y"])
    assert r3m.raw("yield_3m/pricing_error")[0, 0] == pytest.approx(e2 * 0.25 / 2, abs=1e-15)


def test_the_decay_runs_on_the_models_clock_with_daily_steps():
    """Daily steps: a business day is 1/252 year (the model's dt), so 14 months are 294 steps."""
    r = run(["simulation.step=1d", "simulation.record=1d", "simulation.horizon=2y", "outputs.tenors=[10y]"])
    pe = r.raw("yield_10y/pricing_error")[:, 0]
    k = np.arange(pe.size)
    assert np.allclose(pe, pe[0] * 0.5 ** (k / 252 / (14 / 12)), rtol=1e-12, atol=0)
    assert pe[294] == pytest.approx(0.5 * pe[0], rel=1e-12)


def test_the_start_is_the_observed_curve_where_the_floor_binds():
    """A 3m observed above a model that sits on the yields' floor: the error is measured before
    the floor, so the start is still the observed curve."""
    low = [
        "initial.curve={3m: 0.05%, 2y: 0.3%, 10y: 2%}",
        "initial.fed_funds=0.1%",
        "convenience_yield.mean=1%",
        "outputs.tenors=[3m, 2y, 10y]",
    ]
    r = run(low)
    fl = r.raw("yield_3m/floor")
    for t, (observed, _) in r.model.fit.items():
        assert np.allclose(r.raw(f"yield_{t}")[0], observed, rtol=0, atol=1e-14), t
    assert r.model.fit["3m"][1] < 0.0005 and fl[0, 0] == 0.0  # the model's 3m was on the floor


def test_a_reference_path_starts_its_curve_the_way_the_scenario_does():
    """cbo_2025_no_vol is its own reference: with either setting the supply effects measured from
    the reference are exactly zero on its path."""
    on = ["supply.duration_sensitivity=10bp", "supply.bill_sensitivity=1bp", "simulation.horizon=5y"]
    for pe in ("carry", "drop"):
        path = BASELINE.replace("baseline.yaml", "cbo_2025_no_vol.yaml")
        r = engine.run(
            engine.load_scenario(path, overrides=[*on, f"initial.pricing_error={pe}", "outputs.charts=false"])
        )
        assert np.abs(r.raw("supply_term_premium_10y")).max() == 0.0, pe


def test_drop_starts_at_the_model_and_changes_nothing_else():
    carry, drop = run([]), run(["initial.pricing_error=drop"])
    assert np.array_equal(carry.records, drop.records)  # the error is no state: every path is the same
    for t, (_, model) in drop.model.fit.items():
        assert np.allclose(drop.raw(f"yield_{t}")[0], model, rtol=0, atol=1e-14)
        assert not drop.raw(f"yield_{t}/pricing_error").any()
        diff = carry.raw(f"yield_{t}") - drop.raw(f"yield_{t}")
        # the yield moves by the error, and by what the floor adds where it binds on one of them
        floors = carry.raw(f"yield_{t}/floor") - drop.raw(f"yield_{t}/floor")
        assert np.allclose(diff, carry.raw(f"yield_{t}/pricing_error") + floors, rtol=0, atol=1e-15)


def test_without_a_curve_there_is_no_pricing_error():
    r = run(["initial.curve=null", "initial.term_premium=0.8%", "initial.fit_also=[]"])
    assert not r.raw("yield_10y/pricing_error").any()


def test_a_bad_setting_is_refused_in_one_line():
    with pytest.raises(engine.ScenarioError, match=r"initial\.pricing_error: 'keep'") as e:
        engine.load_scenario(BASELINE, overrides=["initial.pricing_error=keep"])
    assert "\n" not in str(e.value).strip()


def test_the_backtest_meets_its_bands_with_the_pricing_error_and_not_without():
    """Issue 13's targets, January starts 1990-2024, months 1-12, fixed seed: the 25-75% band
    covers 42-58% and the 5-95% band 85-95% of realised months, mean PIT 0.45-0.55, for the 2y
    and the 10y. Dropping the pricing error (yields start at the model's fit, 10y residuals of
    24 bp s.d.) leaves the 5-95% bands short (2y 0.80, 10y 0.84).

    The margins are thin and this is a pin at a fixed seed, not a statistical proof: at this
    seed the 10y's 5-95% coverage is 0.860 (4 of 420 months above 0.85), and 35 starts of 12
    overlapping months make the coverage's own sampling error against history about 0.04. It
    guards the calibration against a change that moves the bands, and shows the pricing error is
    what brought them in."""
    sc = engine.load_scenario(BASELINE)
    for pe, ok in (("carry", True), ("drop", False)):
        s = engine.backtest(sc.with_overrides([f"initial.pricing_error={pe}"]), paths=2000).summary
        s = s[s.months == "1-12"].set_index("variable")
        met = all(
            0.42 <= s.loc[v, "cover_50"] <= 0.58
            and 0.85 <= s.loc[v, "cover_90"] <= 0.95
            and 0.45 <= s.loc[v, "mean_pit"] <= 0.55
            for v in ("yield_2y", "yield_10y")
        )
        assert met == ok, (pe, s[["cover_50", "cover_90", "mean_pit"]])
        if not ok:  # what dropping it misses: the 5-95% bands of both yields
            assert s.loc["yield_2y", "cover_90"] < 0.85 and s.loc["yield_10y", "cover_90"] < 0.85
