"""Antithetic variates: exact mirroring, the twin agrees, the standard error falls at equal cost,
and the reported (pair-based) standard error is itself right."""

import math

import numpy as np
import pytest
from conftest import BASELINE
from test_analytic import VASICEK, vasicek_price

import engine
from engine.driver import simulate
from engine.model import build
from engine.twin import simulate_twin

ANTI = ["simulation.antithetic=true"]


@pytest.mark.parametrize("paths", [601, 256 + 3])  # partial last blocks with an odd number of paths
def test_antithetic_kernel_equals_twin(paths):
    sc = engine.load_scenario(BASELINE, overrides=ANTI + ["simulation.horizon=2y", "term_premium.jump_intensity=4/yr"])
    model = build(sc)
    k = simulate(model, paths, 3, threads=2)
    t = simulate_twin(model, paths, 3)
    assert np.array_equal(k[0], t[0]) and np.array_equal(k[1], t[1], equal_nan=True)


def test_pairs_mirror_each_other_exactly():
    """Only the short rate is stochastic and linear: each pair averages to the deterministic path."""
    sc = engine.load_scenario(BASELINE, overrides=VASICEK + ANTI + ["simulation.paths=512", "simulation.horizon=5y"])
    res = engine.run(sc)
    r = res.raw("policy_rate")
    ids = res.pair_ids()
    first = np.array([np.nonzero(ids == i)[0] for i in range(ids.max() + 1)])
    a, b = r[:, first[:, 0]], r[:, first[:, 1]]
    det = engine.run(sc.with_overrides(["policy.shock_vol=0%/sqrt(yr)", "simulation.paths=1"])).raw("policy_rate")
    assert np.abs((a + b) / 2 - det).max() < 1e-15
    assert np.abs(a - b).max() > 1e-3  # the pairs do differ


def _price_run(paths, seed, anti):
    sc = engine.load_scenario(
        BASELINE,
        overrides=VASICEK
        + (ANTI if anti else [])
        + [f"simulation.paths={paths}", f"simulation.seed={seed}", f"outputs.keep_paths={paths}"],
    )
    res = engine.run(sc)
    df = res.raw("discount_factor")[120]
    return float(df.mean()), res.std_error(df), res


def test_antithetic_lowers_the_bond_price_standard_error_at_equal_cost():
    """Equal cost = the same number of normals drawn: 4,000 antithetic paths against 2,000 plain."""
    p_anti, se_anti, res = _price_run(4000, 1, True)
    p_plain, se_plain, _ = _price_run(2000, 1, False)
    assert res.model.n_draw == 1
    assert se_anti < se_plain / 3, (se_anti, se_plain)
    exact = vasicek_price(10)
    assert abs(p_anti - exact) < 4.5 * se_anti + 1e-5 and abs(p_plain - exact) < 4.5 * se_plain + 1e-5


def test_pair_based_standard_error_matches_the_scatter_across_seeds():
    """Across 30 independent seeds the s.d. of the antithetic price estimates agrees with the
    reported standard error (a 30-sample s.d. is within +/-40% of the truth at about 3 s.e.)."""
    runs = [_price_run(1000, seed, True)[:2] for seed in range(100, 130)]
    prices = np.array([p for p, _ in runs])
    reported = np.mean([se for _, se in runs])
    ratio = prices.std(ddof=1) / reported
    assert 0.6 < ratio < 1.4, ratio
    naive = np.mean([_naive_se(seed) for seed in range(100, 103)])
    assert naive > 3 * reported  # treating pairs as independent would overstate the error a lot


def _naive_se(seed):
    df = _price_run(1000, seed, True)[2].raw("discount_factor")[120]
    return df.std(ddof=1) / math.sqrt(df.size)


QUASI = ["simulation.quasi_random=true"]


def test_quasi_random_kernel_equals_twin():
    sc = engine.load_scenario(BASELINE, overrides=QUASI + ["simulation.horizon=2y", "simulation.paths=600"])
    model = build(sc)
    k = simulate(model, 600, 4, threads=2)
    t = simulate_twin(model, 600, 4)
    assert np.array_equal(k[0], t[0]) and np.array_equal(k[1], t[1], equal_nan=True)


def test_quasi_random_short_rate_keeps_the_vasicek_moments():
    """The Brownian bridge must give each step's normal unit variance and the right covariance:
    mean and variance of the short rate still match Vasicek at every date (4.5 s.e.)."""
    from test_analytic import vasicek_moments

    res = engine.run(
        engine.load_scenario(BASELINE, overrides=VASICEK + QUASI + ["simulation.paths=4096", "outputs.keep_paths=4096"])
    )
    r = res.raw("policy_rate")
    t = np.arange(r.shape[0]) / 12.0
    mean, var = vasicek_moments(t)
    for i in range(1, r.shape[0]):
        assert abs(r[i].mean() - mean[i]) < 4.5 * res.std_error(r[i]) + 1e-12
        dev2 = (r[i] - mean[i]) ** 2
        assert abs(dev2.mean() - var[i]) < 4.5 * res.std_error(dev2) + 1e-12


def _quasi_price(paths, seed, quasi):
    sc = engine.load_scenario(
        BASELINE,
        overrides=VASICEK
        + (QUASI if quasi else [])
        + [f"simulation.paths={paths}", f"simulation.seed={seed}", f"outputs.keep_paths={paths}"],
    )
    res = engine.run(sc)
    df = res.raw("discount_factor")[120]
    return float(df.mean()), res.std_error(df)


def test_sobol_with_brownian_bridge_lowers_the_bond_price_standard_error():
    """Equal cost: the same 8,192 paths and the same normals per path."""
    p_q, se_q = _quasi_price(8192, 1, True)
    _, se_p = _quasi_price(8192, 1, False)
    assert se_q < se_p / 5, (se_q, se_p)
    exact = vasicek_price(10)
    assert abs(p_q - exact) < 4.5 * se_q + 1e-5


def test_block_based_standard_error_matches_the_scatter_across_seeds():
    """Across 12 seeds the s.d. of the quasi-random price estimates agrees with the reported
    standard error (a 12-sample s.d. is within a factor 0.45-1.6 of the truth at about 3 s.e.)."""
    runs = [_quasi_price(2048, seed, True) for seed in range(200, 212)]
    ratio = np.std([p for p, _ in runs], ddof=1) / np.mean([se for _, se in runs])
    assert 0.45 < ratio < 1.6, ratio


@pytest.mark.parametrize(
    "overrides,key,msg",
    [
        (ANTI + QUASI, "simulation.quasi_random", "cannot be combined with antithetic"),
        (QUASI + ["simulation.paths=300"], "simulation.paths", "too few for quasi_random"),
        (QUASI + ["simulation.step=1d", "simulation.horizon=30y"], "simulation.quasi_random", "Sobol dimensions"),
    ],
)
def test_quasi_random_misuse_is_a_clear_error(overrides, key, msg):
    from engine.errors import ScenarioError

    with pytest.raises(ScenarioError) as exc:
        engine.run(engine.load_scenario(BASELINE, overrides=overrides))
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].key == key and msg in exc.value.problems[0].message
