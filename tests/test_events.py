"""Events, regimes, the fixed policy path, FOMC steps and the lower bound, checked against exact
expectations on zero-volatility runs (every path is then the deterministic path)."""

import math

import numpy as np
import pytest
from conftest import BASELINE, NO_VOL, STEADY_MACRO

import engine

STEADY = (
    NO_VOL
    + STEADY_MACRO
    + [
        "policy.shock_vol=0%/sqrt(yr)",
        "initial.term_premium=0.65%",
        "initial.policy_stance=0bp",
        "initial.fed_funds=4%",
        "simulation.paths=64",
        "simulation.horizon=3y",
        "simulation.start=2026-01-01",
    ]
)


def run(*extra):
    return engine.run(engine.load_scenario(BASELINE, overrides=STEADY + list(extra)))


def test_level_shock_to_the_term_premium_then_decays_at_its_own_speed():
    res = run("events=[{date: 2026-03-15, shock: term_premium, size: 50bp}]")
    tp = res.raw("term_premium_10y")[:, 0]
    a = math.exp(-0.333 / 12)
    k = res.model.cal.step_of(np.datetime64("2026-03-15").astype(object))  # step 2 holds Mar 15
    assert k == 2
    dev = tp - 0.0065
    assert np.abs(dev[: k + 1]).max() < 1e-15
    j = np.arange(k + 1, len(tp))
    np.testing.assert_allclose(dev[j], 0.005 * a ** (j - k), rtol=1e-10)


def test_shock_with_half_life_decays_at_exactly_that_half_life():
    res = run("events=[{date: 2026-01-01, shock: term_premium, size: 35bp, half_life: 6m}]")
    tp = res.raw("term_premium_10y")[:, 0]
    t = np.arange(len(tp)) / 12.0
    np.testing.assert_allclose(tp[1:] - 0.0065, 0.0035 * 0.5 ** (t[1:] / 0.5), rtol=1e-10)
    assert tp[0] == pytest.approx(0.0065, abs=1e-15)
    # and it passes into the 10y yield with the 10y loading (1 by construction)
    y = res.raw("yield_10y")[:, 0]
    np.testing.assert_allclose(y[1:] - y[-1], (tp[1:] - tp[-1]), atol=1e-12)


def test_policy_rate_shock_moves_policy_and_shadow_rate():
    res = run("events=[{date: 2026-01-01, shock: policy_rate, size: -100bp}]", "policy.rule_speed=0.5/yr")
    r = res.raw("policy_rate")[:, 0]
    t = np.arange(len(r)) / 12.0
    np.testing.assert_allclose(r, 0.04 - 0.01 * np.exp(-0.5 * t) * (t > 0), atol=1e-15)


def test_set_event_starts_a_new_regime():
    """rule_speed 0.5/yr, then 2/yr from 2027-01-01: the path is piecewise exponential."""
    res = run(
        "initial.fed_funds=3%",
        "policy.rule_speed=0.5/yr",
        "events=[{date: 2027-01-01, set: policy.rule_speed, value: 2/yr}]",
    )
    r = res.raw("policy_rate")[:, 0]
    t = np.arange(len(r)) / 12.0
    at_switch = 0.04 - 0.01 * math.exp(-0.5)
    expected = np.where(t <= 1.0, 0.04 - 0.01 * np.exp(-0.5 * t), 0.04 - (0.04 - at_switch) * np.exp(-2.0 * (t - 1.0)))
    np.testing.assert_allclose(r, expected, atol=1e-15)


def test_fixed_path_is_followed_and_priced_into_the_curve():
    """Flat 3% path for a year, then the rule (speed 0.5/yr toward 4%): the 2y expectation is
    [3% x 1y + (4% x 1y + (3% - 4%)(1 - e^-0.5)/0.5)] / 2."""
    res = run(
        "policy.rule_speed=0.5/yr",
        "policy.fixed_path=[{date: 2026-01-01, rate: 3%}]",
        "policy.fixed_until=2027-01-01",
        "inflation_risk_premium.mean=0%",
        "initial.inflation_risk_premium=0%",
        "convenience_yield.mean=0%",
        "initial.convenience_yield=0%",
        "initial.term_premium=0%",
        "term_premium.mean=0%",
    )
    r = res.raw("policy_rate")[:, 0]
    assert r[0] == 0.04 and (r[1:13] == 0.03).all()  # the path applies from the first step
    t = np.arange(13, len(r)) / 12.0
    np.testing.assert_allclose(r[13:], 0.04 - 0.01 * np.exp(-0.5 * (t - 1.0)), atol=1e-15)
    y2 = res.raw("yield_2y")[0, 0]
    expected = (0.03 + 0.04 + (0.03 - 0.04) * (1 - math.exp(-0.5)) / 0.5) / 2
    assert abs(y2 - expected) < 1e-12


def test_fomc_moves_only_at_meetings_in_25bp_steps():
    res = engine.run(
        engine.load_scenario(
            BASELINE,
            overrides=[
                "policy.moves=fomc",
                "simulation.paths=300",
                "simulation.horizon=2y",
                "simulation.step=1d",
                "simulation.record=1d",
            ],
        )
    )
    r = res.raw("policy_rate")
    moves = np.diff(r, axis=0)
    moved = set(np.nonzero(np.abs(moves).max(axis=1) > 0)[0] + 1)
    import datetime as dt

    from engine.blocks.policy import FOMC_PATTERN

    cal = res.model.cal
    meetings = [dt.date(y, m, d) for y in (2026, 2027) for m, d in FOMC_PATTERN if cal.dates[0] < dt.date(y, m, d)]
    after_meeting = {cal.step_of(d) + 1 for d in meetings}  # a decision shows at the next time point
    assert len(moved) >= 8 and moved <= after_meeting
    steps = moves[moves != 0] / 0.0025
    assert np.allclose(steps, np.round(steps), atol=1e-9)
    assert r.min() >= 0.001 - 1e-15


def test_lower_bound_floors_the_policy_rate_and_the_expected_path():
    res = engine.run(
        engine.load_scenario(
            BASELINE,
            overrides=[
                "initial.fed_funds=0.5%",
                "macro.neutral_rate_mean=-1.5%",
                "initial.neutral_rate=-1.5%",
                "initial.fit_also=[]",
                "policy.lower_bound=0.25%",
                "simulation.paths=500",
                "simulation.horizon=3y",
            ],
        )
    )
    assert res.raw("policy_rate").min() >= 0.0025
    assert res.raw("shadow_rate").min() < 0.0025  # the rule wants lower: the floor binds
    # the expected average policy rate (the real rate plus expected inflation: one rounding from the
    # floored value the curve uses) never sits below the floor
    en = res.raw("yield_2y/real_rate") + res.raw("yield_2y/expected_inflation")
    assert en.min() >= 0.0025 - 1e-16


# -- rate decisions the rule adopts (events with sets_target) --------------------------------------
def test_a_rate_decision_the_rule_adopts_is_held_not_taken_back():
    # steady macro and a stance that does not fade: the stance takes up the hike, the rule's
    # target is the new rate, and the rate stays there (a plain shock decays back to 4%:
    # test_policy_rate_shock_moves_policy_and_shadow_rate)
    res = run(
        "events=[{date: 2026-01-01, shock: policy_rate, size: +100bp, sets_target: true}]",
        "policy.stance_speed=0/yr",
    )
    r, u = res.raw("policy_rate")[:, 0], res.raw("policy_stance")[:, 0]
    t = np.arange(len(r)) / 12.0
    np.testing.assert_allclose(r, 0.04 + 0.01 * (t > 0), atol=1e-15)
    np.testing.assert_allclose(u, 0.01 * (t > 0), atol=1e-15)


ADOPTED = [
    "simulation.horizon=1y",
    "policy.stance_speed=0/yr",
    "initial.inflation=4.9%",  # away from the steady state: the macro moves and so does the rule's target
    "initial.output_gap=1%",
    "events=[{date: 2026-03-15, shock: policy_rate, size: +75bp, sets_target: true}]",
]


def test_an_adopted_decision_is_the_rules_target_in_its_step_on_the_zero_shock_path():
    # every volatility off: the path is the zero-shock path, and the rule's target in the step of
    # the decision is the new rate, so the shadow rate holds it over that step
    res = engine.run(
        engine.load_scenario(
            BASELINE, overrides=NO_VOL + ["policy.shock_vol=0%/sqrt(yr)", "simulation.paths=8", *ADOPTED]
        )
    )
    k = res.model.cal.step_of(np.datetime64("2026-03-15").astype(object))
    s = res.raw("shadow_rate")[:, 0]
    assert s[k + 1] == pytest.approx(s[k] + 0.0075, abs=1e-12)
    # a plain shock of the same size is pulled back by the rule over the step
    plain = engine.run(
        engine.load_scenario(
            BASELINE,
            overrides=NO_VOL
            + ["policy.shock_vol=0%/sqrt(yr)", "simulation.paths=8", *ADOPTED[:-1]]
            + ["events=[{date: 2026-03-15, shock: policy_rate, size: +75bp}]"],
        )
    )
    assert abs(plain.raw("shadow_rate")[k + 1, 0] - (s[k] + 0.0075)) > 1e-4


def test_an_adopted_decision_moves_every_paths_stance_alike():
    # one decision, one shift: with stochastic macro and policy shocks (no stance or cycle shocks,
    # a stance that does not fade) every path's stance moves by the same amount at the decision,
    # the amount the zero-shock path needs (the run with every volatility off)
    over = [
        "simulation.paths=256",
        "outputs.keep_paths=256",
        "policy.stance_vol=0%/sqrt(yr)",
        "policy.cycle_vol=0%/sqrt(yr)",
    ]
    res = engine.run(engine.load_scenario(BASELINE, overrides=over + ADOPTED))
    k = res.model.cal.step_of(np.datetime64("2026-03-15").astype(object))
    u = res.raw("policy_stance")
    shift = u[k + 1] - u[k]
    assert np.ptp(shift) < 1e-15
    zero = engine.run(
        engine.load_scenario(
            BASELINE, overrides=NO_VOL + ["policy.shock_vol=0%/sqrt(yr)", "simulation.paths=8", *ADOPTED]
        )
    )
    uz = zero.raw("policy_stance")[:, 0]
    assert shift[0] == pytest.approx(uz[k + 1] - uz[k], abs=1e-15)
    assert abs(shift[0]) > 1e-3


def test_a_decision_after_a_fixed_path_is_held_from_the_paths_rate():
    # the zero-shock path follows the fixed path's rate, as the kernel pins the shadow rate to it
    res = engine.run(
        engine.load_scenario(
            BASELINE,
            overrides=NO_VOL
            + [
                "policy.shock_vol=0%/sqrt(yr)",
                "simulation.paths=8",
                *ADOPTED[:-1],
                "policy.fixed_path=[{date: 2026-01-01, rate: 1%}]",
                "policy.fixed_until=2026-07-01",
                "events=[{date: 2026-08-15, shock: policy_rate, size: +50bp, sets_target: true}]",
            ],
        )
    )
    k = res.model.cal.step_of(np.datetime64("2026-08-15").astype(object))
    s = res.raw("shadow_rate")[:, 0]
    assert s[k + 1] == pytest.approx(s[k] + 0.005, abs=1e-12)


@pytest.mark.parametrize("first", ["decision", "inflation"])
def test_a_decision_sees_every_level_shock_of_its_step_whatever_the_order(first):
    decision = "{date: 2026-03-15, shock: policy_rate, size: +75bp, sets_target: true}"
    inflation = "{date: 2026-03-20, shock: inflation, size: +100bp}"
    events = [decision, inflation] if first == "decision" else [inflation, decision]
    res = engine.run(
        engine.load_scenario(
            BASELINE,
            overrides=NO_VOL
            + ["policy.shock_vol=0%/sqrt(yr)", "simulation.paths=8", *ADOPTED[:-1], f"events=[{', '.join(events)}]"],
        )
    )
    k = res.model.cal.step_of(np.datetime64("2026-03-15").astype(object))
    assert k == res.model.cal.step_of(np.datetime64("2026-03-20").astype(object))
    s = res.raw("shadow_rate")[:, 0]
    assert s[k + 1] == pytest.approx(s[k] + 0.0075, abs=1e-12)


def test_sets_target_is_written_back_only_where_given():
    # a shock without the key dumps as before (the resolved scenario's text and digest)
    sc = engine.load_scenario(BASELINE, overrides=["events=[{date: 2026-03-15, shock: inflation, size: +50bp}]"])
    assert "sets_target" not in sc.to_yaml()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["events=[{date: 2026-03-15, shock: term_premium, size: +50bp, sets_target: true}]"],
            "a term_premium shock sets no target",
        ),
        (
            ["events=[{date: 2026-03-15, shock: inflation, size: +50bp, sets_target: true}]"],
            "an inflation shock sets no target",
        ),
        (
            ["events=[{date: 2026-03-15, shock: policy_rate, size: +50bp, sets_target: 1}]"],
            "is not true or false",
        ),
        (  # after fixed_until, but in the step that still holds it (monthly steps from Jan 1)
            [
                "policy.fixed_path=[{date: 2026-01-01, rate: 3.5%}]",
                "policy.fixed_until=2026-06-10",
                "events=[{date: 2026-06-20, shock: policy_rate, size: +50bp, sets_target: true}]",
            ],
            "falls in a step that policy.fixed_path sets",
        ),
        (
            [
                "policy.floor_centring=mean",
                "events=[{date: 2026-03-15, shock: policy_rate, size: +50bp, sets_target: true}]",
            ],
            "cannot be combined with policy.floor_centring: mean",
        ),
        (
            [
                "policy.fixed_path=[{date: 2026-01-01, rate: 3.5%}]",
                "policy.fixed_until=2026-06-01",
                "events=[{date: 2026-03-15, shock: policy_rate, size: +50bp, sets_target: true}]",
            ],
            "falls in a step that policy.fixed_path sets",
        ),
    ],
)
def test_sets_target_is_refused_where_it_means_nothing(extra, message):
    with pytest.raises(engine.ScenarioError, match=message) as e:
        engine.load_scenario(BASELINE, overrides=extra)
    assert "sets_target" in str(e.value)
    assert "\n" not in str(e.value).strip()
