"""``ustsim compare`` and ``ustsim sweep`` on common random numbers, in process: a scenario
compared with itself differs by exactly zero; common random numbers cut the standard error of a
difference at least 5x against independent seeds at the same path count (also when a block is
switched on); results do not depend on threads; the CLI writes its tables and refuses bad input
with exit status 2."""

import io
import json
import math
import os

import numpy as np
import pandas as pd
from conftest import BASELINE

import engine
from engine.cli import main
from engine.comparison import compare, sweep

SMALL = ["simulation.paths=1200", "simulation.horizon=1y", "simulation.seed=11"]


def load(*overrides):
    return engine.load_scenario(BASELINE, overrides=SMALL + list(overrides))


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def test_a_scenario_compared_with_itself_differs_by_exactly_zero():
    c = engine.compare([load(), load()])  # the package-level API
    diff = c.table[[col for col in c.table.columns if " - " in col]]
    assert (diff.to_numpy() == 0.0).all()
    assert (c.components.to_numpy() == 0.0).all()
    sev = c.severity.loc[c.names[1]]
    # the median of the same distribution sits at the 50th percentile, to within its bin
    assert abs(sev["percentile"] - 0.5) <= sev["percentile_resolution"] + 1e-9


def _se_ratio(stress_overrides, row):
    """(paired standard error of the difference, independent-seeds standard error) for ``row``."""
    base, stress = load(), load(*stress_overrides)
    c = compare([base, stress])
    name = c.names[1]
    paired = c.table.loc[row, f"{name} - {c.names[0]} se"]
    # the same two scenarios run on independent seeds: the difference's error adds in quadrature
    a = engine.run(base)
    b = engine.run(stress.with_overrides(["simulation.seed=99"]))
    metric, _ = row
    key = {"change to horizon": "change_to_horizon_bp", "rise to peak": "peak_pct"}[metric.split(" ", 1)[1]]
    tenor = metric.split(" ")[0][len("yield_") :]
    scale = 100.0 if key == "peak_pct" else 1.0
    se_a = a.metrics["yields"][tenor][key]["std_error"] * scale
    se_b = b.metrics["yields"][tenor][key]["std_error"] * scale
    return paired, math.hypot(se_a, se_b), c


def test_common_random_numbers_cut_the_error_of_a_parameter_stress_at_least_5x():
    paired, independent, c = _se_ratio(["term_premium.mean=2.5%"], ("yield_10y change to horizon", "bp"))
    assert paired > 0 and independent / paired >= 5.0, (paired, independent)
    # and the difference itself is there: the higher long-run term premium lifts the 10y
    d = c.table.loc[("yield_10y change to horizon", "bp"), f"{c.names[1]} - {c.names[0]}"]
    assert d > 5 * paired


def test_common_random_numbers_cut_the_error_when_a_block_is_switched_on():
    paired, independent, _ = _se_ratio(["stablecoins.enabled=true"], ("yield_3m change to horizon", "bp"))
    assert paired > 0 and independent / paired >= 5.0, (paired, independent)


def test_compare_results_do_not_depend_on_threads():
    one = compare([load(), load("term_premium.mean=2.5%")], threads=1)
    two = compare([load(), load("term_premium.mean=2.5%")], threads=2)
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)
    pd.testing.assert_frame_equal(one.components, two.components, check_exact=True)


def test_sweep_runs_the_grid_on_common_random_numbers():
    sw = sweep(load(), {"term_premium.mean": ["1%", "2%"], "policy.shock_vol": ["0.5%/sqrt(yr)", "1%/sqrt(yr)"]})
    assert len(sw.table) == 4
    assert list(sw.table["term_premium.mean"]) == ["1%", "1%", "2%", "2%"]
    col = "yield_10y change to horizon (bp)"
    t = sw.table
    # a higher long-run term premium lifts the 10y, far beyond the paired error
    up = t[col][2] - t[col][0]
    assert up > 5 * t[col + " diff se"][2] > 0
    assert t[col + " diff"][0] == 0.0


def test_cli_compare_writes_its_tables_and_report(tmp_path):
    rc, _, err = cli(
        "compare", BASELINE, "deanchoring", "--paths", "600", "--horizon", "1y", "--out", str(tmp_path / "c"), "--quiet"
    )
    assert rc == 0, err
    files = set(os.listdir(tmp_path / "c"))
    assert {"compare.csv", "compare.md", "compare.json", "components.csv", "severity.csv"} <= files
    data = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert data["base"] == "baseline" and data["grid"]["paths"] == 600
    table = pd.read_csv(tmp_path / "c" / "compare.csv")
    assert {"metric", "unit", "baseline", "baseline se"} <= set(table.columns)
    assert np.isfinite(table["baseline"]).all()


def test_cli_refusals_are_one_line_exit_2(tmp_path):
    for args in (
        ("compare", BASELINE),
        ("compare", BASELINE, BASELINE, "--headline", "worst"),
        ("compare", BASELINE, BASELINE, "--tenor", "7y"),
        ("sweep", BASELINE, "--set", "term_premium.mean=1%,,2%"),
        ("sweep", BASELINE, "--set", "term_premium.mean=" + ",".join(f"{i}%" for i in range(70))),
        ("sweep", BASELINE, "--set", "term_premium.mean=1%,banana"),
    ):
        rc, _, err = cli(*args, "--paths", "300", "--horizon", "3m", "--quiet")
        assert rc == 2, (args, err)
        assert err.strip() and "internal error" not in err, (args, err)


def test_the_common_grid_is_the_stresses_window_at_the_finest_step():
    from engine.catalog import library_path
    from engine.comparison import common_grid

    sc = [engine.load_scenario(library_path(n)) for n in ("baseline", "tariff_shock_2025", "basis_unwind")]
    g = common_grid(sc, 0)
    # the finest step (1d), the longest stress horizon (tariff's 3m), daily records (63 points),
    # the base's paths and seed
    assert (g["step"], g["horizon"], g["record"]) == ("1d", "3m", "1d")
    assert (g["paths"], g["seed"]) == (sc[0].simulation.paths, sc[0].simulation.seed)
    # ten years of daily records would be over MAX_RECORDS: the base's monthly record instead
    assert common_grid(sc, 0, horizon="10y")["record"] == "1m"
    assert common_grid(sc, 0, step="1w", paths=7)["record"] == "1w"
