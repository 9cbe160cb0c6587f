"""The downgrade block's defaults are what the three US downgrades did (engine/blocks/holders.py):
re-derived here from the H.15 daily closes in ../shared/data/fred when that folder is beside the
checkout (elsewhere the block's docstring is the record), and a triggered downgrade adds exactly
its term premium on paths that are otherwise the same."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SHARED_DATA

import engine
from engine.blocks import holders


def _closes(series: str) -> pd.Series:
    s = pd.read_csv(os.path.join(SHARED_DATA, "fred", f"{series}.csv"), index_col=0, parse_dates=True).iloc[:, 0]
    return pd.to_numeric(s, errors="coerce").dropna()


def next_day_moves_bp(series: str) -> list[float]:
    """Per US downgrade: the close of the next business day minus the close of the announcement
    day (every one came after the US close), basis points."""
    s = _closes(series)
    out = []
    for d in holders.US_DOWNGRADES:
        i = s.index.get_loc(pd.Timestamp(d))
        out.append(round((s.iloc[i + 1] - s.iloc[i]) * 100, 6))
    return out


def test_the_defaults_are_the_three_us_downgrades_next_day_moves():
    if not os.path.exists(os.path.join(SHARED_DATA, "fred", "DGS10.csv")):
        pytest.skip("../shared/data is not beside this checkout: the block's docstring is the record")
    ten, two = next_day_moves_bp("DGS10"), next_day_moves_bp("DGS2")
    assert ten == [-18.0, 3.0, 3.0] and two == [-1.0, -4.0, -1.0]  # as the docstring states
    d = holders.Downgrades()
    assert d.term_premium_add.value * 1e4 == pytest.approx(float(np.median(ten)), abs=1e-9)
    assert max(two) <= 0.0 and d.convenience_cut.value == 0.0  # the short end never cheapened


def test_a_triggered_downgrade_adds_the_term_premium_and_nothing_else():
    """cbo_2025 for one month with a trigger every path passes at once (net interest / revenue is
    about 19% at the start) against the same draws with no trigger: exactly one downgrade a path,
    and the 10y term premium's supply part is higher by term_premium_add to rounding (the supply
    block's duration feedback has had no time to act: in the first step the debt is the same)."""
    cbo = os.path.join(os.path.dirname(BASELINE), "cbo_2025.yaml")
    common = ["simulation.horizon=1m", "simulation.paths=256", "outputs.keep_paths=256", "simulation.record=1m"]
    on = engine.run(
        engine.load_scenario(cbo, overrides=[*common, "holders.downgrades.trigger_net_interest_revenue=1%"])
    )
    off = engine.run(
        engine.load_scenario(cbo, overrides=[*common, "holders.downgrades.trigger_net_interest_revenue=null"])
    )
    n = on.raw("downgrades")[-1]
    assert np.all(n == 1.0) and np.all(off.raw("downgrades")[-1] == 0.0)
    add_bp = on.scenario.holders.downgrades.term_premium_add.value * 1e4
    d = (on.raw("supply_term_premium_10y")[-1] - off.raw("supply_term_premium_10y")[-1]) * 1e4
    assert np.allclose(d, add_bp, rtol=0, atol=1e-9), (d.min(), d.max(), add_bp)
    # convenience_cut is 0: the bills' convenience is the same to the bit, and so is everything
    # upstream of the supply block (the same draws)
    assert np.array_equal(on.raw("supply_convenience_yield_3m"), off.raw("supply_convenience_yield_3m"))
    assert np.array_equal(on.raw("policy_rate"), off.raw("policy_rate"))
