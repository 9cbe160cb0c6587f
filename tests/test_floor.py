"""No yield sits further below the policy floor than ``policy.floor_margin``: every tenor is
bounded below by ``lower_bound - floor_margin`` in :func:`engine.blocks.curve.compose`, and what the
bound adds is a part of its own (``floor``), so the parts still sum to the yield exactly."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE

import engine
from engine.core.layout import MET_TROUGH
from engine.results import COMPONENTS

# a low-rate start where the expected path sits at the lower bound and the premia push the short
# tenors below it: the floor binds on many paths
BINDING = [
    "simulation.horizon=2y",
    "simulation.paths=1024",
    "outputs.keep_paths=1024",
    "simulation.step=1w",
    "initial.fed_funds=0.25%",
    "initial.curve={3m: 0.05%, 2y: 0.30%, 10y: 1.0%}",
    "macro.neutral_rate_mean=-1%",
    "policy.lower_bound=0.10%",
    "convenience_yield.mean=0.8%",
    "outputs.tenors=[3m, 1y, 2y, 5y, 10y, 30y]",
]


@pytest.fixture(scope="module")
def binding():
    return engine.run(engine.load_scenario(BASELINE, overrides=BINDING))


def test_default_margin_is_the_sourced_one():
    p = engine.load_scenario(BASELINE).policy
    assert str(p.floor_margin) == "15bp"  # 3m bill - EFFR at the floor, lowest month 2009-15 (policy.py)


def test_no_yield_below_the_floor_on_any_path_or_step(binding):
    res = binding
    floor = 0.10e-2 - 15e-4
    for j, t in enumerate(res.tenor_labels()):
        y = res.raw(f"yield_{t}")
        assert y.min() >= floor - 1e-15, t
        # every step, not only recorded dates: the kernel's per-path trough
        assert res.path_metrics[MET_TROUGH, j].min() >= floor - 1e-15, t
    share = (res.raw("yield_3m/floor") > 0).mean()
    assert share > 0.1, f"the floor binds on {share:.1%} of the 3m's path-dates: the test shows nothing"


def test_the_parts_sum_to_the_yield_exactly_with_the_floor(binding):
    res = binding
    for t in res.tenor_labels():
        assert np.array_equal(res.component_sum(t), res.raw(f"yield_{t}")), t
        assert (res.raw(f"yield_{t}/floor") >= 0).all()
    assert COMPONENTS[-1] == "floor"
    # the bound adds exactly the shortfall: where it binds the yield is the floor (to rounding)
    y, fl = res.raw("yield_3m"), res.raw("yield_3m/floor")
    assert np.abs(y[fl > 0] - (0.10e-2 - 15e-4)).max() < 1e-17


def test_a_zero_margin_floors_every_yield_at_the_lower_bound():
    res = engine.run(engine.load_scenario(BASELINE, overrides=[*BINDING, "policy.floor_margin=0bp"]))
    for t in res.tenor_labels():
        assert res.raw(f"yield_{t}").min() >= 0.10e-2 - 1e-15
