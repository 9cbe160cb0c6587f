"""The command line, run in-process: files, stamps, round trip, atomic writes, validate, schema."""

import io
import json
import os
import re

import pandas as pd
import pytest
from conftest import BASELINE

import engine
from engine import report
from engine.cli import main

SMALL = ["--paths", "400", "--horizon", "2y", "--set", "simulation.seed=7"]


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli") / "baseline"
    rc, out, err = cli("run", BASELINE, *SMALL, "--out", str(d))
    assert rc == 0, err
    return d, out, err


def test_run_writes_every_output(run_dir):
    d, _, err = run_dir
    assert sorted(os.listdir(d)) == sorted(
        [
            "fans.parquet",
            "fans.csv",
            "metrics.json",
            "scenario.resolved.yaml",
            "fan_yield_10y.png",
            "components_10y.png",
            report.MARKER,
        ]
    )
    assert "memory needed" in err and "wrote" in err
    for png in ("fan_yield_10y.png", "components_10y.png"):
        assert (d / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_table_reports_curve_decomposition_and_thresholds(run_dir):
    _, out, _ = run_dir
    assert "400 paths x 24 steps of 1m" in out
    for line in (
        "yield_10y",
        "10y decomposition",
        "term_premium",
        "- convenience_yield",
        "yield_10y > 5%",
        "initial curve fit: 2y 3.45%",
    ):
        assert line in out, line


def test_fans_are_tidy_with_units_and_match_the_api(run_dir):
    d, _, _ = run_dir
    fans = pd.read_parquet(d / "fans.parquet")
    assert list(fans.columns) == ["date", "variable", "statistic", "value", "unit"]
    assert set(fans.statistic) == {"mean", "std", "q1", "q5", "q25", "q50", "q75", "q95", "q99"}
    assert {"yield_10y", "yield_10y/term_premium", "policy_rate", "discount_factor"} <= set(fans.variable)
    csv = pd.read_csv(d / "fans.csv", parse_dates=["date"])
    assert len(csv) == len(fans)
    res = engine.run(engine.load_scenario(d / "scenario.resolved.yaml"))
    ten = fans[(fans.variable == "yield_10y") & (fans.statistic == "q95")].set_index("date").value
    pd.testing.assert_series_equal(
        ten, res.fan("yield_10y")["q95"], check_names=False, check_freq=False, check_index_type=False
    )


def test_metrics_stamp_scenario_seed_and_version(run_dir):
    d, _, _ = run_dir
    m = json.loads((d / "metrics.json").read_text())
    assert m["engine_version"] == engine.__version__
    assert m["seed"] == 7 and m["paths"] == 400
    assert m["scenario"]["simulation"]["seed"] == 7 and m["scenario"]["policy"]["rule_speed"] == "1/yr"
    assert m["scenario_overrides"] == ["simulation.seed=7", "simulation.paths=400", "simulation.horizon=2y"]
    ten = m["yields"]["10y"]
    assert ten["max_rise_1step_bp"]["q99"] > 0 > ten["max_fall_1step_bp"]["q1"]
    assert 0 <= m["thresholds"][0]["probability"] <= 1 and m["thresholds"][0]["std_error"] > 0


def test_resolved_scenario_reruns_to_identical_results(run_dir):
    d, _, _ = run_dir
    again = d.parent / "again"
    rc, _, err = cli("run", str(d / "scenario.resolved.yaml"), "--out", str(again), "--quiet")
    assert rc == 0, err
    a = json.loads((d / "metrics.json").read_text())
    b = json.loads((again / "metrics.json").read_text())
    for m in (a, b):
        for k in ("run", "scenario_source", "scenario_overrides"):
            m.pop(k)
    assert a == b
    pd.testing.assert_frame_equal(pd.read_parquet(d / "fans.parquet"), pd.read_parquet(again / "fans.parquet"))


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(results, folder):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_charts", broken)
    rc, _, err = cli("run", BASELINE, *SMALL, "--out", str(tmp_path / "o"))
    assert rc == 1 and "internal error: RuntimeError: disk full" in err
    assert os.listdir(tmp_path) == []


def test_rerun_replaces_a_previous_output_but_never_a_foreign_folder(tmp_path):
    out = tmp_path / "o"
    assert cli("run", BASELINE, *SMALL, "--out", str(out), "--quiet", "--no-charts")[0] == 0
    first = os.readlink(out)
    assert cli("run", BASELINE, *SMALL, "--out", str(out), "--quiet", "--no-charts")[0] == 0
    # `o` links to the one hidden version it is made of; the previous version is gone
    assert sorted(os.listdir(tmp_path)) == sorted(["o", os.readlink(out)]) and os.readlink(out) != first
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    rc, _, err = cli("run", BASELINE, *SMALL, "--out", str(foreign))
    assert rc == 2 and "is not a ustsim output folder" in err
    assert os.listdir(foreign) == ["notes.txt"]


def test_validate_checks_without_running(tmp_path):
    rc, out, _ = cli("validate", BASELINE)
    assert rc == 0 and out.startswith(f"{BASELINE}: ok (baseline: 10,000 paths, 10y in steps of 1m, seed 20251231; ")
    assert re.search(r"; memory ~[\d.]+ MiB of [\d.]+ [KMG]iB\)$", out.strip()), out


def test_schema_is_json_schema_that_accepts_the_shipped_scenarios():
    rc, out, _ = cli("schema")
    assert rc == 0
    schema = json.loads(out)
    assert {"simulation", "macro", "policy", "term_premium", "events", "outputs"} <= set(schema["properties"])
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    jsonschema.Draft202012Validator.check_schema(schema)
    with open(BASELINE) as fh:
        data = yaml.safe_load(fh)
    data["simulation"]["start"] = str(data["simulation"]["start"])
    jsonschema.validate(data, schema)
    data["policy"] = {"shock_vol": 0.5}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_python_api_mirrors_the_cli():
    sc = engine.load_scenario(BASELINE, overrides=["simulation.paths=300", "simulation.horizon=1y"])
    res = engine.run(sc)
    comp = res.components("10y")
    assert list(comp.columns) == [
        "yield",
        "real_rate",
        "expected_inflation",
        "inflation_risk_premium",
        "term_premium",
        "liquidity_wedge",
        "convenience_yield",
        "fire_sale",
        "bill_wedge",
        "pricing_error",
        "floor",
    ]
    assert res.paths("yield_2y", n=5).shape == (13, 5)
    assert res.fan("policy_rate").index[0] == pd.Timestamp("2025-12-31")


def test_progress_bar_appears_only_on_long_runs():
    from engine.cli import ProgressBar

    quiet, shown = io.StringIO(), io.StringIO()
    short = ProgressBar(quiet, after=60.0)
    for done in (256, 512):
        short(done, 512)
    assert quiet.getvalue() == ""  # a run that ends before `after` seconds prints nothing
    long = ProgressBar(shown, after=0.0)
    # the pilot (8,192 paths), then chunks of one unit (4,096 paths): 8192, 12288, 14000
    sc = engine.load_scenario(
        BASELINE, overrides=["simulation.paths=14000", "simulation.horizon=1y", "simulation.chunk_paths=256"]
    )
    engine.run(sc, progress=long, threads=1)
    text = shown.getvalue()
    assert "14,000/14,000 paths" in text and text.count("\r") == 3 and text.endswith("\n")


def test_the_scenario_reference_in_docs_is_the_generated_one():
    """docs/scenario-reference.md is what `ustsim schema --markdown` prints (regenerate it with
    `ustsim schema --markdown > docs/scenario-reference.md` after changing a block's parameters)."""
    rc, out, _ = cli("schema", "--markdown")
    assert rc == 0 and "### `term_premium`" in out and "| `jump_intensity` |" in out
    with open(os.path.join(os.path.dirname(BASELINE), "..", "docs", "scenario-reference.md")) as fh:
        assert fh.read() == out


def test_usage_errors_and_help_go_to_the_streams_given():
    """argparse's own messages go where main() is told to write, like every other message (a
    --set value starting with '-' reads as an option: found by the fuzz test)."""
    rc, out, err = cli("validate", BASELINE, "--set", "-=null")
    assert rc == 2 and "argument --set: expected one argument" in err and out == ""
    rc, out, err = cli("backtest", "--help")
    assert rc == 0 and "--horizon" in out and err == ""
