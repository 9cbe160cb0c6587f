"""Centring a stochastic run on its deterministic path (issue 13): the compensated term-premium
jumps and the policy rule's floor centring. Each mechanism is checked against its closed form on
small Monte Carlo runs with fixed seeds, within Z standard errors."""

import numpy as np
import pytest
from conftest import BASELINE, NO_VOL

import engine

Z = 3.0  # standard errors


def run(path, overrides):
    return engine.run(engine.load_scenario(path, overrides=list(overrides)))


def _mean_se(r, name, scale=100.0):
    """Per recorded date: the mean over the kept paths and its standard error."""
    x = r.raw(name) * scale
    return x.mean(axis=1), np.array([r.std_error(row) for row in x])


# ------------------------------------------------------------------------------------ jumps
JUMPS = [
    *[o for o in NO_VOL if not o.startswith("term_premium.jump_intensity")],
    "term_premium.jump_intensity=2/yr",  # often, so the jumps' mean (2 x 15 bp / 0.333 = 90 bp) is large
    "simulation.horizon=10y",
    "simulation.record=1y",
    "simulation.paths=2000",
    "outputs.keep_paths=2000",
]


def test_compensated_jumps_leave_the_term_premiums_expected_path_unchanged():
    """With only jumps moving the term premium, the compensated factor's mean is the jump-free
    (deterministic) path at every date; uncompensated, it sits above it by the closed form
    lambda mu_J (1 - e^{-k t}) / k."""
    free = run(BASELINE, [*JUMPS, "term_premium.jump_intensity=0/yr"]).raw("term_premium_10y")[:, 0] * 100
    comp = run(BASELINE, [*JUMPS, "term_premium.compensate_jumps=true"])
    m, se = _mean_se(comp, "term_premium_10y")
    assert se[1:].min() > 0
    assert (np.abs(m - free) <= Z * se + 1e-12).all(), np.abs(m - free) / np.maximum(se, 1e-12)
    raw = run(BASELINE, JUMPS)
    m0, se0 = _mean_se(raw, "term_premium_10y")
    t = np.arange(len(m0))  # years
    lam, mu, k = 2.0, 0.15, 0.333
    want = free + lam * mu * (1 - np.exp(-k * t)) / k
    assert (np.abs(m0 - want) <= Z * se0 + 1e-12).all(), (m0 - want) / np.maximum(se0, 1e-12)
    assert m0[-1] - m[-1] > 0.5  # pp: the uncompensated mean is well above


def test_compensation_without_jumps_changes_nothing():
    ov = ["simulation.horizon=2y", "simulation.paths=64", "outputs.keep_paths=64", "term_premium.jump_intensity=0/yr"]
    a = run(BASELINE, ov)
    b = run(BASELINE, [*ov, "term_premium.compensate_jumps=true"])
    assert a.records.tobytes() == b.records.tobytes()


@pytest.mark.parametrize(
    "override, message",
    [
        ("term_premium.compensate_jumps=maybe", "is not true or false"),
        ("term_premium.speed=0/yr", "needs term_premium.speed above 0/yr"),
        (  # a regime a `set` event starts is held to the same rules (named by the event)
            "events=[{date: 2027-01-01, set: term_premium.speed, value: 0/yr}]",
            r"events\[0\]\.value: from 2027-01-01 term_premium would break its rules: needs term_premium\.speed",
        ),
    ],
)
def test_bad_compensation_settings_are_refused_in_one_line(override, message):
    with pytest.raises(engine.ScenarioError, match=message) as e:
        engine.load_scenario(BASELINE, overrides=["term_premium.compensate_jumps=true", override])
    assert "\n" not in str(e.value).strip()


# ------------------------------------------------------------------------------------ floor centring
GAUSS = [
    "volatility.dispersion=0%",  # Gaussian shocks: the regime's scale mixture is what the closed form leaves out
    "simulation.horizon=10y",
    "simulation.record=1y",
]
ZERO_SHOCK = [*NO_VOL, "policy.shock_vol=0%/sqrt(yr)"]


def _moments(overrides):
    from engine.blocks import policy
    from engine.core.events import regimes
    from engine.model import build

    sc = engine.load_scenario(BASELINE, overrides=list(overrides))
    m = build(sc)
    regs, reg_of_step = regimes(sc, m.cal)
    return policy.centring_moments(sc, regs, reg_of_step, m.cal, m.init, m.events)


def test_the_shadow_rates_moments_are_the_kernels():
    """The centring's moments of the shadow rate (the kernel's one-step map carried forward): the
    mean is the zero-shock path to rounding, and the mean and s.d. match a Monte Carlo run."""
    mo = _moments([*GAUSS, "simulation.record=1m"])
    det = run(BASELINE, [*GAUSS, *ZERO_SHOCK, "simulation.record=1m"]).raw("shadow_rate")[:, 0]
    assert np.abs(mo[:, 0] - det).max() < 1e-12
    n = 4000
    r = run(BASELINE, [*GAUSS, f"simulation.paths={n}", f"outputs.keep_paths={n}"])
    s = r.raw("shadow_rate") * 100
    at = mo[::12] * 100  # monthly steps, yearly records
    se = np.array([r.std_error(row) for row in s])
    assert (np.abs(s.mean(axis=1) - at[:, 0]) <= Z * se + 1e-12).all()
    sd = s.std(axis=1)
    # the s.d. of a sample s.d. is about sd / sqrt(2 n) for a normal (the baseline's paths are independent)
    assert (np.abs(sd[1:] - at[1:, 1]) <= Z * at[1:, 1] / np.sqrt(2 * n)).all(), (sd, at[:, 1])
    assert at[-1, 1] > 3.0  # pp: ten years out the shadow rate is wide (the floor's option value matters)


def test_floored_mean_and_the_shift_are_the_closed_form():
    from scipy import integrate, stats

    from engine.blocks.policy import centring_shift, floored_mean

    for mu, lb, sd in [
        (0.03, 0.001, 0.045),
        (0.0, 0.001, 0.01),
        (0.05, 0.0, 0.002),
        (-0.02, 0.001, 0.03),
        (0.004, 0.001, 0.03),
    ]:

        def f(z, mu=mu, lb=lb, sd=sd):
            return max(mu + sd * z, lb) * stats.norm.pdf(z)

        num = integrate.quad(f, -12, 12, points=[(lb - mu) / sd])[0]
        assert floored_mean(mu, lb, sd) == pytest.approx(num, abs=1e-12)
        shift = centring_shift(mu, lb, sd)
        if mu > lb:  # a root always exists; within 0.4 s.d. of the bound it puts the mean below the bound
            assert floored_mean(mu + shift, lb, sd) == pytest.approx(mu, abs=1e-14) and shift <= 0
            if mu - lb < 0.3989422804014327 * sd:
                assert mu + shift < lb
        else:  # at or below the bound no finite shift brings the floored mean down to it
            assert shift == 0.0
    # roots deep below the bound (Newton's steps shrink there; bisection finishes them)
    for mu, lb, sd in [(0.005, 0.0, 0.02), (0.0001, 0.0, 0.05), (0.5, 0.0, 2.0)]:
        shift = centring_shift(mu, lb, sd)
        assert floored_mean(mu + shift, lb, sd) == pytest.approx(mu, rel=1e-9, abs=1e-15), (mu, lb, sd, shift)
    assert centring_shift(0.5, 0.0, 2.0) == pytest.approx(-1.19, abs=0.01)  # the review's case (bisection: -1.19)
    assert centring_shift(0.03, 0.001, 0.0) == 0.0


def test_with_floor_centring_the_mean_policy_rate_is_the_zero_shock_path():
    """Gaussian shocks: the mean policy rate across paths equals the zero-shock path within Z
    standard errors at every recorded date; without centring it sits far above it ten years out."""
    n = 4000
    ov = [*GAUSS, f"simulation.paths={n}", f"outputs.keep_paths={n}"]
    det = run(BASELINE, [*GAUSS, *ZERO_SHOCK]).raw("policy_rate")[:, 0] * 100
    c = run(BASELINE, [*ov, "policy.floor_centring=mean"])
    m, se = _mean_se(c, "policy_rate")
    assert (np.abs(m - det) <= Z * se + 1e-12).all(), (m - det) / np.maximum(se, 1e-12)
    raw = run(BASELINE, ov)
    m0, se0 = _mean_se(raw, "policy_rate")
    assert m0[-1] - det[-1] > 0.3 + Z * se0[-1], (m0[-1], det[-1])
    # the offset lowers the median below the zero-shock path: the mean is centred, not the median
    assert np.median(c.raw("policy_rate")[-1]) * 100 < det[-1] - 0.3


def test_floor_centring_holds_the_mean_where_the_zero_shock_rate_is_near_the_bound():
    """A low start: for years the zero-shock rate is within 0.4 s.d. of the bound, where the
    shift puts the shadow rate's mean below the bound; the mean policy rate still follows the
    zero-shock path within Z standard errors."""
    low = ["initial.fed_funds=0.25%", "initial.inflation=0.5%", "initial.output_gap=-3%"]
    n = 4000
    det = run(BASELINE, [*GAUSS, *ZERO_SHOCK, *low]).raw("policy_rate")[:, 0] * 100
    c = run(BASELINE, [*GAUSS, *low, f"simulation.paths={n}", f"outputs.keep_paths={n}", "policy.floor_centring=mean"])
    m, se = _mean_se(c, "policy_rate")
    assert (np.abs(m - det) <= Z * se + 1e-12).all(), (m - det) / np.maximum(se, 1e-12)


def test_floor_centring_without_shocks_changes_nothing():
    ov = [*ZERO_SHOCK, "simulation.horizon=3y", "simulation.paths=8", "outputs.keep_paths=8"]
    a = run(BASELINE, ov)
    b = run(BASELINE, [*ov, "policy.floor_centring=mean"])
    assert a.records.tobytes() == b.records.tobytes()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["policy.floor_centring=median"], "policy.floor_centring: 'median'"),
        (["policy.floor_centring=mean", "policy.moves=fomc"], "needs policy.moves: continuous"),
        (
            [
                "policy.floor_centring=mean",
                "policy.fixed_path=[{date: 2026-01-01, rate: 3%}]",
                "policy.fixed_until=2027-01-01",
            ],
            "cannot be used with a fixed_path",
        ),
        (["policy.floor_centring=mean", "policy.rule_speed=0/yr"], "needs policy.rule_speed above 0/yr"),
        (
            ["policy.floor_centring=mean", "events=[{date: 2027-01-01, set: policy.rule_speed, value: 0/yr}]"],
            r"events\[0\]\.value: from 2027-01-01 policy would break its rules: 'mean' needs policy\.rule_speed",
        ),
    ],
)
def test_bad_floor_centring_settings_are_refused_in_one_line(overrides, message):
    with pytest.raises(engine.ScenarioError, match=message) as e:
        engine.load_scenario(BASELINE, overrides=overrides)
    assert "\n" not in str(e.value).strip()
