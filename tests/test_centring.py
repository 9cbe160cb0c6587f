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
    ],
)
def test_bad_compensation_settings_are_refused_in_one_line(override, message):
    with pytest.raises(engine.ScenarioError, match=message) as e:
        engine.load_scenario(BASELINE, overrides=["term_premium.compensate_jumps=true", override])
    assert "\n" not in str(e.value).strip()
