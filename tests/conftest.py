"""Shared fixtures. Monte Carlo tests use fixed seeds and tolerances derived from the standard
error; runs are kept small so the suite stays fast (long runs are marked ``slow``)."""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join(ROOT, "scenarios")
BASELINE = os.path.join(SCENARIOS, "baseline.yaml")
SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")  # only to re-derive tests/data
TEST_DATA = os.path.join(ROOT, "tests", "data")  # small history tables, with their source (tests/data/README.md)

# Everything except the short rate switched off (used by analytic tests).
NO_VOL = [
    "macro.gap_vol=0%/sqrt(yr)",
    "macro.inflation_vol=0%/sqrt(yr)",
    "macro.expectations_vol=0%/sqrt(yr)",
    "macro.neutral_rate_vol=0%/sqrt(yr)",
    "term_premium.vol=0%/sqrt(yr)",
    "inflation_risk_premium.vol=0%/sqrt(yr)",
    "convenience_yield.vol=0%/sqrt(yr)",
    "term_premium.jump_intensity=0/yr",
    "policy.stance_vol=0%/sqrt(yr)",
    "policy.cycle_vol=0%/sqrt(yr)",
    "volatility.dispersion=0%",
]


# The macro states pinned at their steady state with r* + pi* = 4%, no curve fit.
STEADY_MACRO = [
    "macro.inflation_target=2%",
    "macro.neutral_rate_mean=2%",
    "initial.inflation=2%",
    "initial.inflation_expectations=2%",
    "initial.neutral_rate=2%",
    "initial.output_gap=0%",
    "initial.curve=null",
    "initial.fit_also=[]",
]


def windowed_sketch(pilot, qs):
    """A one-variable sketch (engine.core.sketch) whose quantile windows are placed by ``pilot``."""
    import numpy as np

    from engine.core.sketch import Sketch, set_windows, window_ranks

    sk = Sketch(1, 1, len(qs))
    r = np.array([window_ranks(q, pilot.size) for q in qs], dtype=np.int64)
    hist = np.zeros(4096, dtype=np.int64)
    set_windows(pilot[None, :].copy(), 0, r[:, 0].copy(), r[:, 1].copy(), sk.edge, sk.scale, hist)
    return sk


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run long Monte Carlo tests")
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/golden/*.csv from this code (say in the commit why they moved)",
    )
    parser.addoption(
        "--golden-exact",
        action="store_true",
        help="compare golden outputs bit for bit instead of within their tolerances",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="long run: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def write(tmp_path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)
