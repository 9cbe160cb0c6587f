"""``ustsim backtest`` (issue 13, part 1): the scores are right on samples where they are known in
closed form; on the model's own paths taken as history they are calibrated (PIT uniform, band
coverage nominal, within binomial standard errors); the command writes complete outputs or
refuses in one line; the packaged history is what ../shared/data says."""

import importlib.util
import io
import json
import math
import os
import tomllib

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED_DATA

import engine
from engine import history
from engine.backtesting import VARIABLES, score, score_start, simulate_start, start_scenario
from engine.cli import main
from engine.scenario import load_scenario


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------ scores in closed form
def test_pit_counts_ties_half_and_bands_use_the_sample_quantiles():
    sims = np.array([[0.01, 0.02, 0.03, 0.04]] * 4)
    s = score(sims, np.array([0.025, 0.03, 0.0, 0.05]))
    np.testing.assert_allclose(s["pit"], [0.5, (2 + 0.5) / 4, 0.0, 1.0])
    # linear quantiles of 1..4 (percent): 25% = 1.75, 75% = 3.25, 5% = 1.15, 95% = 3.85
    np.testing.assert_allclose(s["q25"], 0.0175)
    np.testing.assert_allclose(s["q95"], 0.0385)
    assert list(s["in_50"]) == [True, True, False, False]
    assert list(s["in_90"]) == [True, True, False, False]
    np.testing.assert_allclose(s["bias_bp"], [0.0, 50.0, -250.0, 250.0])  # median 2.5%


def test_crps_is_the_exact_sample_formula():
    # two points 0 and 1 against 0: mean|X - y| = 1/2, mean over all pairs |X - X'| = 1/2, CRPS = 1/4
    np.testing.assert_allclose(score(np.array([[0.0, 0.01]]), np.array([0.0]))["crps_bp"], [25.0])
    # one path: the absolute error
    np.testing.assert_allclose(score(np.array([[0.03]]), np.array([0.01]))["crps_bp"], [200.0])
    rng = np.random.default_rng(1)
    x = rng.normal(0.03, 0.01, (3, 301))
    y = np.array([0.02, 0.03, 0.06])
    brute = [np.abs(x[i] - y[i]).mean() - np.abs(x[i][:, None] - x[i][None, :]).mean() / 2 for i in range(3)]
    np.testing.assert_allclose(score(x, y)["crps_bp"], np.array(brute) * 1e4, rtol=1e-12)
    # and a large normal sample against the closed form of a normal's CRPS (sigma = 1%)
    z = 1.3
    big = rng.normal(0.0, 0.01, (1, 200_000))
    phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    exact = 100 * (z * (2 * cdf - 1) + 2 * phi - 1 / math.sqrt(math.pi))  # bp
    assert score(big, np.array([0.013]))["crps_bp"][0] == pytest.approx(exact, rel=0.01)


# ------------------------------------------------------------------ self-consistency
def test_the_models_own_paths_as_history_score_as_calibrated():
    """History drawn from the model itself, from the same start: at every month the PIT of an
    independent truth path is uniform, so over 300 truth paths the mean PIT is 1/2 +- sqrt(1/12/300)
    and the band coverages binomial. Each truth path is written as a history table and scored by
    the backtest's own per-start scoring (so an off-by-one month between the simulated records and
    the history's month ends would fail at month 1 at once), for every scored variable, at months
    1 and 12, against a forecast on another seed."""
    hist = history.load()
    start, origin = pd.Timestamp("2005-01-01"), pd.Timestamp("2004-12-31")
    base = load_scenario("baseline")
    truth, _ = simulate_start(start_scenario(base, origin, hist.loc[origin], 12, 300, 11), threads=1)
    fc, _ = simulate_start(start_scenario(base, origin, hist.loc[origin], 12, 2000, 12), threads=1)
    n = truth["yield_2y"].shape[1]
    ends = [origin + pd.offsets.MonthEnd(h) for h in range(13)]
    rows = []
    for j in range(n):
        single = {v: s.history[0] for v, s in VARIABLES.items() if len(s.history) == 1}
        fake = pd.DataFrame({col: truth[var][:, j] * 100 for var, col in single.items()}, index=ends)
        rows += score_start(fc, fake, start, origin)
    scores = pd.DataFrame(rows)
    sample = 2 * 0.05 * 0.95 / 2000  # the forecast's own 5%/95% quantile error, as a probability
    for var in VARIABLES:
        for month in (1, 12):
            d = scores[(scores["variable"] == var) & (scores["month"] == month)]
            assert len(d) == n
            assert abs(d["pit"].mean() - 0.5) < 3.5 * math.sqrt(1 / 12 / n + 1 / 12 / 2000), (var, month)
            for cover, p in (("in_50", 0.5), ("in_90", 0.9)):
                tol = 3.5 * math.sqrt(p * (1 - p) / n + sample)
                assert abs(d[cover].mean() - p) < tol, (var, month, cover, d[cover].mean())


# ------------------------------------------------------------------ the command
@pytest.fixture(scope="module")
def bt_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt") / "out"
    rc, stdout, err = _cli("backtest", "--from", "2019", "--to", "2020", "--paths", "200", "--out", str(out))
    assert rc == 0, err
    return out, stdout


def test_backtest_writes_complete_outputs(bt_dir):
    out, stdout = bt_dir
    from engine.backtest_report import FILES

    assert sorted(FILES) == sorted(f for f in os.listdir(out) if not f.startswith("."))
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 2 * 12 * len(VARIABLES)
    assert set(scores["start"]) == {"2019-01", "2020-01"}
    assert scores.notna().all().all()
    assert ((scores["pit"] >= 0) & (scores["pit"] <= 1)).all() and (scores["crps_bp"] >= 0).all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * len(VARIABLES)
    bins = summary[[f"pit_bin{k}" for k in range(1, 11)]].sum(axis=1)
    assert (bins == summary["n"]).all()
    md = (out / "summary.md").read_text()
    assert "| 2y yield | 1-12 | 24 |" in md and "2010s" in md
    settings = json.loads((out / "settings.json").read_text())
    assert settings["engine_version"] == engine.__version__ and settings["seed"] == 1990
    assert settings["data"].startswith("packaged") and settings["n_starts"] == 2
    assert load_scenario(str(out / "scenario.resolved.yaml")).name == "baseline"
    assert "yield_2y" in stdout and "cover_90" in stdout
    first = scores[(scores["start"] == "2019-01") & (scores["variable"] == "yield_10y")].iloc[0]
    assert first["month"] == 1 and first["date"] == "2019-01-31"
    assert first["realised_pct"] == pytest.approx(history.load().at[pd.Timestamp("2019-01-31"), "dgs10"])


def test_the_python_api_gives_the_same_scores(bt_dir):
    out, _ = bt_dir
    bt = engine.backtest("baseline", first=2019, last=2020, paths=200, threads=1)
    pd.testing.assert_frame_equal(
        bt.scores[["pit", "crps_bp"]].reset_index(drop=True),
        pd.read_csv(out / "scores.csv")[["pit", "crps_bp"]],
        rtol=1e-9,
    )
    assert list(bt.summary["variable"].unique()) == list(VARIABLES)
    assert callable(engine.backtest)  # the function, not shadowed by a submodule of the same name


def _bad_data(tmp_path, edit):
    d = tmp_path / "data"
    d.mkdir()
    with open(history.path_of()) as fh:
        text = fh.read().splitlines()
    (d / "us_monthly.csv").write_text("\n".join(edit(text)) + "\n")
    return d


def test_a_byte_order_mark_is_read_as_text_not_as_a_column_name(tmp_path):
    d = _bad_data(tmp_path, lambda t: ["\ufeff" + t[0]] + t[1:])
    assert history.load(str(d)).equals(history.load())


@pytest.mark.parametrize(
    ("edit", "expect"),
    [
        (lambda t: [t[0].replace("dgs10", "ten")] + t[1:], ":1: column 'dgs10' is missing"),
        (lambda t: t[:5] + [t[5].replace(",", ",x", 1)] + t[6:], ":6: dgs2: 'x"),
        (lambda t: t[:3] + t[4:], ":4: date: 1980-04-30 does not follow 1980-02-29"),
        (lambda t: t[:2] + [t[2].replace("-02-29", "-02-15")] + t[3:], ":3: date: '1980-02-15' is not a month's last"),
        (lambda t: [t[0] + ",dgs2"] + [r + ",1" for r in t[1:]], ":1: column 'dgs2' is named twice"),
    ],
)
def test_a_bad_data_folder_is_refused_in_one_line_and_nothing_is_written(tmp_path, edit, expect):
    d = _bad_data(tmp_path, edit)
    rc, _, err = _cli("backtest", "--data", str(d), "--out", str(tmp_path / "o"), "--paths", "50")
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and expect in err, err
    assert str(d / "us_monthly.csv") in err
    assert not os.path.lexists(tmp_path / "o")


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--data", "/nonexistent-folder"], "us_monthly.csv: file not found"),
        (["--from", "1975", "--to", "1990"], "start 1975-01 needs the data of 1974-12"),
        (["--from", "1981", "--to", "1981"], "has no core_pce_yoy for 1980-12"),
        (["--from", "2025", "--to", "2025"], "no start from 2025 to 2025 has 12 months of data"),
        (["--from", "2000", "--to", "1999"], "--from 2000 --to 1999"),
        (["--horizon", "2y"], "expected one of 1y, 3y"),
        (["--starts", "monthly"], "expected one of january, quarterly"),
        (["cbo_2025", "--from", "2000", "--to", "2001"], "treasury.enabled: is on; a backtest starts the core model"),
        (["fed_on_hold", "--from", "2000", "--to", "2001"], "policy.fixed_path: is given"),
    ],
)
def test_refusals_are_one_line_with_status_2(tmp_path, args, expect):
    rc, _, err = _cli("backtest", *args, "--out", str(tmp_path / "o"), "--paths", "50")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and expect in err, err
    assert not os.path.lexists(tmp_path / "o")


def test_starts_past_the_data_are_dropped_with_a_note():
    from engine.backtesting import plan

    hist = history.load()
    run, notes = plan(hist, "h", 2023, 2025, "january", 12)
    assert [f"{s:%Y}" for s, _ in run] == ["2023", "2024"]
    assert "2025-01" in notes[0] and "dropped 1 start" in notes[0]
    run, _ = plan(hist, "h", 2021, 2022, "quarterly", 36)  # 3y from 2022-Q1 ends 2024-12; fed funds to 2025-11
    assert len(run) == 8


# ------------------------------------------------------------------ the packaged history
def test_the_history_is_installed_as_package_data():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        tools = tomllib.load(fh)["tool"]["setuptools"]
    assert "engine.history" in tools["packages"]
    assert "*.csv" in tools["package-data"]["engine.history"]
    assert history.path_of() == os.path.join(os.path.dirname(engine.__file__), "history", "us_monthly.csv")
    h = history.load()
    assert h.index[0] == pd.Timestamp("1980-01-31") and len(h) < 600
    assert list(h.columns) == list(history.COLUMNS)


def test_the_packaged_history_matches_the_shared_data():
    if not os.path.isdir(os.path.join(SHARED_DATA, "fred")):
        pytest.skip("../shared/data is not beside this checkout: the packaged history is the record")

    def fred(name):
        return pd.read_csv(os.path.join(SHARED_DATA, "fred", f"{name}.csv"), index_col=0, parse_dates=True).iloc[:, 0]

    h = history.load()
    # spot dates read straight from the sources
    assert h.at[pd.Timestamp("1989-12-31"), "dgs2"] == fred("DGS2")["1989-12-29"]  # the last business day
    assert h.at[pd.Timestamp("2019-12-31"), "dgs10"] == fred("DGS10")["2019-12-31"]
    assert h.at[pd.Timestamp("2008-12-31"), "fed_funds"] == fred("FEDFUNDS")["2008-12-01"]
    pce = fred("PCEPILFE")
    assert h.at[pd.Timestamp("2022-09-30"), "core_pce_yoy"] == pytest.approx(
        100 * (pce["2022-09-01"] / pce["2021-09-01"] - 1), abs=1e-4
    )
    frbus = pd.read_csv(os.path.join(SHARED_DATA, "frbus_histdata.csv"), usecols=["OBS", "PTR", "XGAP2"], index_col=0)
    for month in ("1999-10-31", "1999-11-30", "1999-12-31"):  # a quarter's value held over its months
        assert h.at[pd.Timestamp(month), "inflation_expectations"] == pytest.approx(frbus.at["1999Q4", "PTR"], abs=1e-4)
        assert h.at[pd.Timestamp(month), "output_gap"] == pytest.approx(frbus.at["1999Q4", "XGAP2"], abs=1e-4)
    # and the whole file is a fresh derivation
    spec = importlib.util.spec_from_file_location(
        "derive_history", os.path.join(ROOT, "tests", "data", "derive_history.py")
    )
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    buf = io.StringIO()
    derive.table(SHARED_DATA).to_csv(buf, date_format="%Y-%m-%d", float_format="%.4f")
    with open(history.path_of()) as fh:
        assert buf.getvalue() == fh.read()


def test_the_slope_s_year_ahead_bands_hold_against_history():
    """The 10y - 2y slope (scored as the difference of the two yields on each path), January
    starts 1990-2024, months 1-12, fixed seed: the 5-95% band covers 85-95% of realised months
    and the mean PIT is 0.45-0.55 (issue 13's targets for the yields); the 25-75% band covers
    0.576 here and 0.586 at seed 7, a little above the yields' 0.58 (the slope's inner band is
    slightly wide), so it is held to 0.42-0.60; and twelve months out the simulated s.d. of the
    slope's change is within three sampling errors of the s.d. of the realised forecast errors
    (76.7 against 67.6 bp measured; 35 starts put 1/sqrt(2 x 34) = 12% of sampling error on the
    latter, so 36%: a width off by half fails). It guards the curve's
    year-ahead shape, which the 2022-23 replay's inversion depth is read against
    (tests/test_replays.py)."""
    s = engine.backtest("baseline", paths=2000).summary
    s = s[s.variable == "slope_10y_2y"].set_index("months")
    allm, m12 = s.loc["1-12"], s.loc["12"]
    assert 0.85 <= allm["cover_90"] <= 0.95 and 0.45 <= allm["mean_pit"] <= 0.55, allm
    assert 0.42 <= allm["cover_50"] <= 0.60, allm
    assert abs(m12["sim_sd_bp"] / m12["err_sd_bp"] - 1) <= 3 * 0.12, m12
