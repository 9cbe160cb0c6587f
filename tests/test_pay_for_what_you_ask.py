"""A run pays only for what it asks (issue 14): still blocks are not stepped, and with
``outputs.path_metrics: recorded_dates`` the curve is composed at the recorded dates only. Both
leave every result that is still computed bit for bit what it was."""

import numpy as np
import pytest
from conftest import BASELINE

import engine
from engine.blocks import policy
from engine.core.bundles import CORE_INDEX
from engine.core.layout import (
    MET_FALL,
    MET_PEAK,
    MET_RISE,
    MET_SUMSQ,
    MET_TROUGH,
    N_SHOCK,
    N_STATE,
    ROW,
    ROW_BLOCK,
)
from engine.driver import simulate
from engine.kernel import STEP_ALONE
from engine.model import build
from engine.registry import block
from engine.twin import simulate_twin

VASICEK = BASELINE.replace("baseline.yaml", "vasicek.yaml")
SHORT = ["simulation.horizon=2y", "simulation.paths=600", "simulation.seed=5"]


def _still(model) -> list[str]:
    return [n for n, i in CORE_INDEX.items() if model.params.still[i]]


# ------------------------------------------------------------------------------------ still blocks
def _policy_alone(S, S2, E, pr, r):
    policy.step(S, S2, E, pr.policy, 3, r, 1 / 12)


@pytest.mark.parametrize("name", [*STEP_ALONE, "policy"])
def test_a_core_step_reads_only_its_rows_and_its_declared_reads(name):
    """registry.Block.reads is what still_blocks trusts: change every other row of the state (in
    S and in S2, which a step reads the earlier blocks' new values from) and the block's rows
    come out the same."""
    model = build(engine.load_scenario(BASELINE))
    step = _policy_alone if name == "policy" else STEP_ALONE[name]
    rng = np.random.default_rng(1)
    B = 16
    S = model.init[:N_STATE, None] + 0.01 * rng.standard_normal((N_STATE, B))
    E = rng.standard_normal((N_SHOCK, B))
    b = block(name)
    own = [ROW[r.name] for r in b.rows]
    seen = set(own) | {ROW[x] for x in b.reads}
    other = [i for i in range(N_STATE) if i not in seen]
    S2 = S.copy()
    step(S, S2, E, model.params, 0)
    T, T2 = S.copy(), S.copy()
    T[other] += 0.37
    T2[other] += 0.37
    step(T, T2, E, model.params, 0)
    assert np.array_equal(S2[own], T2[own])
    for x in b.reads:  # and the declared reads are read (a stale declaration would show here)
        U, U2 = S.copy(), S.copy()
        U[ROW[x]] += 0.37
        U2[ROW[x]] += 0.37
        step(U, U2, E, model.params, 0)
        assert not np.array_equal(S2[own], U2[own]), (name, x)
        assert ROW_BLOCK[x] != name


def test_vasicek_steps_only_the_policy_rate_and_the_baseline_its_idle_wedges():
    assert _still(build(engine.load_scenario(VASICEK))) == [n for n in CORE_INDEX if n != "policy"]
    assert _still(build(engine.load_scenario(BASELINE))) == ["liquidity_wedge", "fire_sale", "bill_wedge"]


@pytest.mark.parametrize(
    "over, moving",
    [
        ("events=[{date: 2026-06-01, shock: liquidity_wedge, size: 20bp}]", "liquidity_wedge"),  # a level shock
        ("events=[{date: 2026-06-01, set: liquidity_wedge.mean, value: 10bp}]", "liquidity_wedge"),  # a regime
        ("term_premium.jump_intensity=1/yr", "term_premium"),  # draws jumps
        ("volatility.dispersion=40%", "volatility"),  # draws each path's regime
        ("convenience_yield.vol=0.1%/sqrt(yr)", "convenience_yield"),  # draws its shock
    ],
)
def test_a_block_that_can_move_is_stepped(over, moving):
    assert moving in _still(build(engine.load_scenario(VASICEK, overrides=SHORT)))
    assert moving not in _still(build(engine.load_scenario(VASICEK, overrides=[*SHORT, over])))


def test_every_core_block_is_stepped_with_the_fiscal_or_plumbing_blocks():
    """They write core rows (supply effects, the bill wedge, the fire-sale dislocation)."""
    for on in ("treasury.enabled=true", "stablecoins.enabled=true", "basis_trade.enabled=true"):
        assert _still(build(engine.load_scenario(BASELINE, overrides=[*SHORT, on]))) == []


def test_inflation_risk_premium_is_not_still_when_expectations_move():
    """IRP reads the new inflation expectations: with them moving, it is stepped even though its
    own shock, mean and start are all still."""
    m = build(engine.load_scenario(VASICEK, overrides=[*SHORT, "macro.expectations_vol=0.3%/sqrt(yr)"]))
    assert "macro" not in _still(m) and "inflation_risk_premium" not in _still(m)
    assert "term_premium" in _still(m)


@pytest.mark.parametrize(
    "scenario, extra",
    [
        (VASICEK, []),
        (BASELINE, []),
        # a decaying overlay moves the wedge's part of the yields, not its state row: the block stays still
        (VASICEK, ["events=[{date: 2026-06-01, shock: liquidity_wedge, size: 20bp, half_life: 3m}]"]),
    ],
)
def test_skipping_still_blocks_changes_nothing_bit_for_bit(scenario, extra):
    model = build(engine.load_scenario(scenario, overrides=[*SHORT, *extra]))
    assert model.params.still.any()
    rec, met = simulate(model, 600, 5, threads=2)
    model.params = model.params._replace(still=np.zeros_like(model.params.still))
    rec0, met0 = simulate(model, 600, 5, threads=2)
    assert np.array_equal(rec, rec0) and np.array_equal(met, met0, equal_nan=True)
    t_rec, t_met = simulate_twin(model, 600, 5)  # the twin steps every block
    assert np.array_equal(rec, t_rec) and np.array_equal(met, t_met, equal_nan=True)


# ------------------------------------------------------------------------------------ path metrics
def test_metrics_at_recorded_dates_equal_every_steps_when_every_step_is_recorded():
    over = [*SHORT, "outputs.keep_paths=600", "outputs.charts=false"]
    a = engine.run(engine.load_scenario(BASELINE, overrides=over))
    b = engine.run(engine.load_scenario(BASELINE, overrides=[*over, "outputs.path_metrics=recorded_dates"]))
    assert np.array_equal(a.records, b.records)
    assert np.array_equal(a.path_metrics, b.path_metrics, equal_nan=True)
    assert a.metrics["yields"] == b.metrics["yields"]
    assert b.metrics["path_metrics"] == "recorded_dates" and a.metrics["path_metrics"] == "every_step"


def test_metrics_at_recorded_dates_are_those_of_the_recorded_yields():
    """Daily steps recorded monthly: peaks, troughs, largest moves and the sum of squared moves
    are those of the recorded yields of each kept path; the fans are unchanged; there are no
    weekly metrics; the '10y > x' threshold is checked at the recorded dates."""
    over = [
        "simulation.step=1d",
        "simulation.record=1m",
        "simulation.horizon=1y",
        "simulation.paths=300",
        "outputs.keep_paths=300",
        "outputs.charts=false",
    ]
    every = engine.run(engine.load_scenario(BASELINE, overrides=over))
    rec = engine.run(engine.load_scenario(BASELINE, overrides=[*over, "outputs.path_metrics=recorded_dates"]))
    assert np.array_equal(every.records, rec.records)
    for j, t in enumerate(rec.tenor_labels()):
        y = rec.raw(f"yield_{t}")
        d = np.diff(y, axis=0)
        M = rec.path_metrics[:, j]
        assert np.array_equal(M[MET_PEAK], y.max(axis=0)) and np.array_equal(M[MET_TROUGH], y.min(axis=0))
        assert np.array_equal(M[MET_RISE], d.max(axis=0)) and np.array_equal(M[MET_FALL], d.min(axis=0))
        assert np.allclose(M[MET_SUMSQ], (d * d).sum(axis=0), rtol=1e-12, atol=0)
        # every step's extremes enclose the recorded dates'
        E = every.path_metrics[:, j]
        assert (E[MET_PEAK] >= M[MET_PEAK]).all() and (E[MET_TROUGH] <= M[MET_TROUGH]).all()
    assert "max_rise_1w_bp" in every.metrics["yields"]["10y"]
    assert "max_rise_1w_bp" not in rec.metrics["yields"]["10y"]
    res = {t["expr"]: t["resolution"] for t in rec.metrics["thresholds"]}
    assert res["yield_10y > 5%"] == "recorded dates"
    assert "max rise rec." in rec.summary()


def test_path_metrics_refuses_an_unknown_choice():
    with pytest.raises(engine.ScenarioError, match=r"outputs\.path_metrics"):
        engine.load_scenario(BASELINE, overrides=["outputs.path_metrics=sometimes"])


def test_a_comparison_looks_at_path_metrics_at_one_resolution():
    """compare/sweep put every scenario on the common grid's outputs.path_metrics: every step if
    any scenario has it (a peak from monthly points against one from weekly steps would bias the
    paired difference), recorded dates only if all do."""
    from engine.comparison import _on_grid, common_grid

    vas, base = engine.load_scenario(VASICEK), engine.load_scenario(BASELINE)
    grid = common_grid([vas, base], 0)
    assert grid["path_metrics"] == "every_step"
    assert build(_on_grid(vas, grid)).grid.every_step
    assert common_grid([vas, vas], 0)["path_metrics"] == "recorded_dates"
