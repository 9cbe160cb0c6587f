"""Term-premium tenor loadings estimated from data (term_premium.ESTIMATED_LOADINGS, used by
tariff_shock_2025 and available to any scenario as term_premium.loadings): the slopes of quarterly
changes of FRB/US's 5y and 30y term premia on its 10y premium (re-derived here from ../shared/data
when it is beside the checkout), the map interpolates as documented, and a term-premium shock
moves the 30y by the estimated share of the 10y's move; without a map moves follow the levels'
Nelson-Siegel shape."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SHARED_DATA

import engine
from engine.blocks import term_premium

WINDOW = ("1990Q1", "2024Q4")
ZLB = 0.25  # percent: a quarter with RFF below this (or after one) is left out


def _ols_hac(y: np.ndarray, x: np.ndarray, lags: int = 4) -> tuple[float, float]:
    """Slope and its Newey-West (Bartlett, ``lags``) standard error."""
    X = np.column_stack([np.ones(len(x)), x])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    Xe = X * e[:, None]
    S = Xe.T @ Xe
    for k in range(1, lags + 1):
        G = Xe[k:].T @ Xe[:-k]
        S += (1 - k / (lags + 1)) * (G + G.T)
    inv = np.linalg.inv(X.T @ X)
    return float(b[1]), float(np.sqrt((inv @ S @ inv)[1, 1]))


def estimate(path: str) -> dict[str, tuple[float, float, int]]:
    """tenor -> (slope, s.e., quarters) of d(RG<t>P) on d(RG10P), WINDOW, without ZLB quarters."""
    d = pd.read_csv(path, usecols=["OBS", "RFF", "RG5P", "RG10P", "RG30P"]).set_index("OBS")
    ch = d[["RG5P", "RG10P", "RG30P"]].diff()  # the change into each quarter (1990Q1: from 1989Q4)
    keep = ~((d.RFF < ZLB) | (d.RFF.shift() < ZLB))
    ch = ch[keep].loc[WINDOW[0] : WINDOW[1]].dropna()
    return {t: (*_ols_hac(ch[f"RG{t[:-1]}P"].to_numpy(), ch.RG10P.to_numpy()), len(ch)) for t in ("5y", "30y")}


ESTIMATED = "term_premium.loadings={5y: 1.2, 10y: 1, 30y: 0.71}"


def test_the_shipped_estimates_are_the_data_s():
    path = os.path.join(SHARED_DATA, "frbus_histdata.csv")
    if not os.path.exists(path):
        pytest.skip("../shared/data is not beside this checkout: the schema comment is the record")
    est = estimate(path)
    assert est["5y"][2] == 102
    for t, (b, se, _) in est.items():
        assert term_premium.ESTIMATED_LOADINGS[t] == round(b, 2), (t, b, se)
    replay = engine.load_scenario(os.path.join(os.path.dirname(BASELINE), "tariff_shock_2025.yaml"))
    assert replay.term_premium.loadings == term_premium.ESTIMATED_LOADINGS
    assert abs(est["5y"][1] - 0.06) < 0.005 and abs(est["30y"][1] - 0.05) < 0.005  # stated s.e.


def test_the_map_interpolates_linearly_from_zero_and_is_flat_beyond():
    p = engine.load_scenario(BASELINE, overrides=[ESTIMATED]).term_premium
    got = term_premium.loadings(p, [0.0, 0.25, 2.0, 5.0, 7.5, 10.0, 20.0, 30.0, 50.0])
    want = [0.0, 0.06, 0.48, 1.2, 1.1, 1.0, 0.855, 0.71, 0.71]
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    # without a map, moves follow the levels' shape: the premium is loading x factor, no shift
    base = engine.load_scenario(BASELINE).term_premium
    assert np.allclose(term_premium.shift(base, [2.0, 5.0, 30.0]), 0.0, rtol=0, atol=1e-15)
    assert term_premium.loadings(base, [30.0])[0] == pytest.approx(1.37, abs=0.005)


def test_the_30y_moves_by_the_estimated_share_of_a_10y_term_premium_shock():
    """Same seed with and without a +50 bp term-premium shock: per path, the 30y's and the 5y's
    differences are the loadings times the 10y's (the premium enters every yield linearly)."""
    common = ["simulation.horizon=6m", "simulation.paths=512", "outputs.keep_paths=512", ESTIMATED]
    shock = ["events=[{date: 2026-01-15, shock: term_premium, size: 50bp}]"]
    a = engine.run(engine.load_scenario(BASELINE, overrides=common))
    b = engine.run(engine.load_scenario(BASELINE, overrides=common + shock))
    d10 = b.raw("yield_10y")[1:] - a.raw("yield_10y")[1:]
    assert d10.min() > 0.001  # the shock is there on every path and date after it
    for t, want in (("30y", 0.71), ("5y", 1.20), ("2y", 0.48)):
        ratio = (b.raw(f"yield_{t}")[1:] - a.raw(f"yield_{t}")[1:]) / d10
        assert np.abs(ratio - want).max() < 1e-9, t


def test_loading_scale_is_refused_with_the_replacement_and_the_10y_must_be_one():
    with pytest.raises(engine.ScenarioError, match=r"split in two: term_premium\.level_scale"):
        engine.load_scenario(BASELINE, overrides=["term_premium.loading_scale=4y"])
    with pytest.raises(engine.ScenarioError, match="loading there must be 1"):
        engine.load_scenario(BASELINE, overrides=["term_premium.loadings={5y: 0.7, 30y: 1.3}"])
    sc = engine.load_scenario(BASELINE, overrides=["term_premium.loadings={2y: 0.3, 10y: 1, 30y: 1.1}"])
    assert list(sc.term_premium.loadings) == ["2y", "10y", "30y"]  # replaced, not merged with the 5y
