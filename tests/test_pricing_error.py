"""The start's pricing error (issue 13): what the observed initial curve has beyond the fitted
model is carried as the yields' part 'pricing_error', the same on every path, decaying with
initial.pricing_error_half_life, so a run starts at the observed curve."""

import numpy as np
import pytest
from conftest import BASELINE

import engine

SHORT = ["simulation.horizon=3y", "simulation.paths=256", "outputs.keep_paths=256", "outputs.charts=false"]


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
    # between observed tenors, linear in the tenor
    e2, e10 = (fit[t][0] - fit[t][1] for t in ("2y", "10y"))
    assert r.raw("yield_5y/pricing_error")[0, 0] == pytest.approx(e2 + (e10 - e2) * 3 / 8, abs=1e-15)


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
    24 bp s.d.) leaves the 2y's 5-95% band short (0.80)."""
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
