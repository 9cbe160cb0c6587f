"""Every shipped scenario validates and runs (small), with finite results."""

import glob
import os

import numpy as np
import pytest
from conftest import SCENARIOS

import engine

FILES = sorted(glob.glob(os.path.join(SCENARIOS, "*.yaml")))


def test_there_are_scenarios():
    assert any(f.endswith("baseline.yaml") for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_scenario_validates_and_runs_small(path):
    sc = engine.load_scenario(path)
    horizon = sc.simulation.horizon
    small = ["simulation.paths=256"] + (["simulation.horizon=2y"] if horizon.years > 2 else [])
    res = engine.run(sc.with_overrides(small))
    assert np.isfinite(res.records).all()
    m = res.metrics
    assert m["scenario_name"] == sc.name
    assert all(np.isfinite(v["horizon_pct"]["mean"]) for v in m["yields"].values())


def test_tariff_shock_replay_holds_the_april_2025_closes():
    """In-sample replay (the scenario's events were read from the episode): the actual H.15
    closes (tests/data, derived from ../shared/data) lie inside the simulated 5-95% bands, and
    the 10y's Apr 4 -> Apr 11 move (+47 bp) is reproduced in size by the median path (within 20 bp)."""
    import pandas as pd
    from conftest import TEST_DATA

    closes = pd.read_csv(os.path.join(TEST_DATA, "h15_april_2025_replay.csv"), parse_dates=[0], index_col=0)
    res = engine.run(
        engine.load_scenario(os.path.join(SCENARIOS, "tariff_shock_2025.yaml"), overrides=["simulation.paths=3000"])
    )
    for tenor in ("2y", "10y"):
        actual = closes[f"DGS{tenor[:-1]}"]
        fan = res.fan(f"yield_{tenor}")
        for t in actual.index:
            assert fan.q5[t] < actual[t] < fan.q95[t], (tenor, t, actual[t], fan.q5[t], fan.q95[t])
    f10 = res.fan("yield_10y").q50
    move = (f10[pd.Timestamp("2025-04-11")] - f10[pd.Timestamp("2025-04-04")]) * 100
    assert abs(move - 47) < 20, move
