"""The library scenarios that replay history hold the realised paths inside their bands.

For each replay the realised H.15 closes (FRED DGS2/DGS10, as copied into ../shared/data/fred) on
the scenario's recorded dates are kept in small tables under tests/data, derived here
(:func:`replay_tables`; ``python tests/test_replays.py`` rewrites them) and checked against a fresh
derivation whenever ../shared/data is beside the checkout, as tests/test_history_tables.py does for
tests/data/derive.py. The March 2020 replay (dash_for_cash_2020) is held against its closes in
tests/test_basis_trade.py.

What "inside the band" must mean. If a replay were right, the realised yield would lie inside the
simulated 5-95% band on a recorded date with probability 0.90. Over n recorded dates the count
inside is then at least the 5% point of Binomial(n, 0.90) with 95% probability: that count, k(n)
(:func:`required_inside`), is the stated share; for 24 monthly dates it is 19 (79%), for 42 it is
34 (81%), for 62 daily dates 52 (84%), for 104 weekly dates 88 (85%). The dates of one path are
autocorrelated, so the count scatters more than a binomial and the test is stricter than a 5%
test, never looser: a path drawn from the model itself falls below k(n) more often than 5% (on
the kept paths of these replays the 5% point of the share inside is only 45-55%). The band's own
sampling error is small beside that (2,000 paths: each quantile's coverage is 0.05 +/- 0.005).
A replay that misses k(n) is therefore not declared a pass by a looser rule: it is marked as a
known failure, with the figure measured, and left to the scenario's owner (issue 13).

The closes are those on or before each recorded date (monthly dates fall on weekends; H.15 has
no close on holidays); the start date is left out (the band there is the fitted point).
"""

from __future__ import annotations

import functools
import io
import os

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, SHARED_DATA, TEST_DATA
from scipy.stats import binom

import engine

PATHS = 2000
LEVEL = 0.05  # one-sided: the count inside may fall below k(n) with this probability under independence
COVERAGE = 0.90  # the 5-95% band

# replay -> (first date, record step, last date) of the dates held against the band: the
# scenario's recorded dates up to its horizon or the last close in ../shared/data (2025-12-30)
REPLAYS = {
    "hiking_2022": ("2021-12-31", "1m", "2023-12-31"),
    "qe_2020": ("2020-03-09", "1w", "2022-03-07"),
    "qt_runoff": ("2022-06-01", "1m", "2025-12-01"),
    "qe1_2009": ("2009-03-18", "1m", "2012-03-18"),
    "tariff_shock_2025": ("2025-04-01", "1d", "2025-07-01"),
}


def table_name(replay: str) -> str:
    return f"h15_{replay}_replay.csv"


def _series(fred: str, name: str) -> pd.Series:
    return pd.read_csv(os.path.join(fred, f"{name}.csv"), parse_dates=[0], index_col=0).iloc[:, 0].dropna()


def _record_dates(first: str, step: str, last: str) -> pd.DatetimeIndex:
    """The recorded dates after the start: calendar months or weeks from the start date (as the
    engine's calendar makes them), or, for a daily replay, the days with an H.15 close."""
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    if step == "1m":
        dates = [start + pd.DateOffset(months=k) for k in range(1, 1000)]
    else:
        dates = [start + pd.Timedelta(weeks=k) for k in range(1, 10000)]
    return pd.DatetimeIndex([d for d in dates if d <= end], name="date")


def replay_tables(fred: str = os.path.join(SHARED_DATA, "fred")) -> dict[str, pd.DataFrame]:
    """file name -> table of the 2y and 10y closes (percent) on each replay's recorded dates."""
    closes = {t: _series(fred, f"DGS{t}") for t in (2, 10)}
    out = {}
    for replay, (first, step, last) in REPLAYS.items():
        if step == "1d":
            both = pd.DataFrame({f"DGS{t}": s[first:last] for t, s in closes.items()})
            table = both.loc[both.index > pd.Timestamp(first)].dropna(how="all")
        else:
            dates = _record_dates(first, step, last)
            table = pd.DataFrame({f"DGS{t}": s.asof(dates).to_numpy() for t, s in closes.items()}, index=dates)
        out[table_name(replay)] = table.rename_axis("date")
    return out


def test_committed_replay_tables_equal_a_fresh_derivation():
    fred = os.path.join(SHARED_DATA, "fred")
    if not os.path.isdir(fred):
        pytest.skip("../shared/data is not beside this checkout: the committed tables are the record")
    for name, fresh in replay_tables(fred).items():
        committed = pd.read_csv(os.path.join(TEST_DATA, name), index_col=0)
        again = pd.read_csv(io.StringIO(fresh.to_csv(float_format="%.12g")), index_col=0)
        pd.testing.assert_frame_equal(committed, again, check_exact=True)


def required_inside(n: int) -> int:
    """Least count of n dates inside a 90% band that a right replay reaches with probability
    1 - LEVEL if the dates were independent (the 5% point of Binomial(n, 0.9))."""
    return int(binom.ppf(LEVEL, n, COVERAGE))


def test_required_share_is_the_binomial_bound():
    # the stated shares in the module docstring
    assert [required_inside(n) for n in (24, 42, 62, 104)] == [19, 34, 52, 88]
    for n in (24, 42, 62, 104):
        k = required_inside(n)
        assert binom.cdf(k - 1, n, COVERAGE) <= LEVEL < binom.cdf(k, n, COVERAGE)


@functools.cache
def _run(replay: str):
    sc = engine.load_scenario(os.path.join(SCENARIOS, f"{replay}.yaml"), overrides=[f"simulation.paths={PATHS}"])
    return engine.run(sc)


@functools.cache
def _realised(replay: str) -> pd.DataFrame:
    return pd.read_csv(os.path.join(TEST_DATA, table_name(replay)), parse_dates=[0], index_col=0)


def _coverage(replay: str, tenor: str) -> tuple[int, int, int, int]:
    """(inside, n, above, below): recorded dates on which the realised close lies strictly inside
    the simulated 5-95% band of ``yield_<tenor>``, of n held dates; above / below the band."""
    res, real = _run(replay), _realised(replay)
    held = real.index
    recorded = set(res.dates)
    missing = [d.date() for d in held if d not in recorded]
    assert not missing, f"{replay}: table dates the scenario does not record: {missing[:5]}"
    actual = real[f"DGS{tenor[:-1]}"]
    held = actual.dropna().index
    fan = res.fan(f"yield_{tenor}").loc[held]
    x = actual.loc[held].to_numpy()
    above = int(np.sum(x >= fan.q95.to_numpy()))
    below = int(np.sum(x <= fan.q5.to_numpy()))
    return len(held) - above - below, len(held), above, below


def _assert_covers(replay: str, tenor: str) -> None:
    inside, n, above, below = _coverage(replay, tenor)
    k = required_inside(n)
    assert inside >= k, (
        f"{replay} {tenor}: realised close inside the 5-95% band on {inside} of {n} dates "
        f"(above {above}, below {below}); needs {k} ({k / n:.0%})"
    )


# -- what holds ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("replay", "tenor"),
    [
        ("hiking_2022", "10y"),  # measured: 23 of 24 months
        ("qe_2020", "10y"),  # 104 of 104 weeks
        ("hiking_2022", "2y"),  # 22 of 24; issue 13: a strict xfail (12 of 24 inside) before the policy cycle
        ("qt_runoff", "2y"),  # issue 13: a strict xfail (31 of 42 inside) before the policy cycle
        ("qt_runoff", "10y"),  # 40 of 42 months
        ("tariff_shock_2025", "10y"),  # 60 of 62 days
        ("tariff_shock_2025", "2y"),  # 59 of 62 days
    ],
)
def test_replay_holds_the_realised_close_inside_its_band(replay, tenor):
    _assert_covers(replay, tenor)


# issue 13: was a strict xfail (48 of 104 weeks with the estimated term-premium loadings as the
# default); with the levels' shape as the default loadings and the yields' floor it holds its band
def test_qe_2020_holds_the_realised_2y():
    _assert_covers("qe_2020", "2y")


# -- the 2022-23 inversion (issue 13, part 4) --------------------------------------------------------
# The 18 month ends of 2022-23 on which the realised DGS10 - DGS2 was negative (2022-07 .. 2023-12):
# realised mean -56.3bp. The replay's depth is the mean over those months of the median spread
# across paths (2,000 paths, the scenario's seed 2122): -81.5bp (bootstrap standard error over the
# paths 2.1bp; seed 7 gives -88.0bp). With the hikes as policy-rate shocks the rule took back
# (before `sets_target`) it was -4.4bp: the median policy rate at those months was 3.38% against the
# realised 4.32% (now 4.46%), the 2y 3.01% against 4.39% (now 4.38%). The miss left is the 10y
# (3.57% against 3.83%), most of it the carried pricing error of the start's fit (the end-2021 10y
# sits 33bp below the fitted curve; initial.pricing_error=drop gives -59.8bp); the QT of 2022-23
# (in the replay since the depth was -84.4bp) adds about 10bp to the 10y by end-2023. Against the
# model's own uncertainty the realised depth is near: per path, the mean spread over those months
# has its 25-75% range at -138 / -26bp, and the realised -56bp sits at its 62nd percentile.
INVERSION_DEPTH_BP = -81.5
INVERSION_TOL_BP = 13.0  # four times the larger of the bootstrap s.e. (2.1) and half the seed-to-seed gap (3.25)


@functools.cache
def _kept(replay: str):
    sc = engine.load_scenario(
        os.path.join(SCENARIOS, f"{replay}.yaml"),
        overrides=[f"simulation.paths={PATHS}", f"outputs.keep_paths={PATHS}"],
    )
    return engine.run(sc)


def inversion_depth_bp(res, realised: pd.DataFrame) -> tuple[float, float]:
    """(model, realised) mean 10y - 2y (bp) over the recorded dates on which the realised spread
    was negative: the model's is the mean over those dates of the median spread across paths."""
    spread = realised["DGS10"] - realised["DGS2"]
    inverted = spread[spread < 0].index
    rows = [list(res.dates).index(d) for d in inverted]
    paths = (res.raw("yield_10y") - res.raw("yield_2y"))[rows] * 1e4
    return float(np.median(paths, axis=1).mean()), float(spread[inverted].mean() * 100)


def test_hiking_2022_inverts_about_as_deeply_as_2022_23_did():
    model, realised = inversion_depth_bp(_kept("hiking_2022"), _realised("hiking_2022"))
    assert realised == pytest.approx(-56.3, abs=0.05)
    # a change of the engine or of the paths' numbers that moves the depth by more is a change of
    # the model, to be measured and written here
    assert abs(model - INVERSION_DEPTH_BP) <= INVERSION_TOL_BP, f"median 10y-2y {model:.1f}bp at the inverted months"
    assert model < realised + 25.0, f"{model:.1f}bp against the realised {realised:.1f}bp"


def test_hiking_2022_s_realised_inversion_lies_in_the_middle_half_of_its_paths():
    """Per path, the mean 10y - 2y over the 18 inverted month ends; the realised mean (-56.3bp)
    lies between that distribution's 25th and 75th percentiles (62nd measured): the replay's depth
    is near the realised one on the model's own scale of uncertainty. A coarse check: that range
    is 112bp wide, so only a depth some 50bp further from the realised one fails it; the depth
    itself is pinned above, and the slope's year-ahead bands are held against history in
    tests/test_backtest.py."""
    res, real = _kept("hiking_2022"), _realised("hiking_2022")
    spread = real["DGS10"] - real["DGS2"]
    inverted = spread[spread < 0].index
    rows = [list(res.dates).index(d) for d in inverted]
    per_path = ((res.raw("yield_10y") - res.raw("yield_2y"))[rows] * 1e4).mean(axis=0)
    pct = float((per_path < spread[inverted].mean() * 100).mean())
    assert 0.25 <= pct <= 0.75, pct


def test_hiking_2022_holds_the_hikes_it_replays():
    # the replay's policy rate at the inverted months is near the realised one (FEDFUNDS 4.32% on
    # average; 4.46% measured), not taken back by the rule (3.38% as plain shocks)
    res = _kept("hiking_2022")
    realised = _realised("hiking_2022")
    inverted = realised.index[(realised["DGS10"] - realised["DGS2"]) < 0]
    rows = [list(res.dates).index(d) for d in inverted]
    median_rate = float(np.median(res.raw("policy_rate")[rows], axis=1).mean() * 100)
    assert median_rate == pytest.approx(4.32, abs=0.25)


# -- known failures (issue 13): the tests stay, marked, so a fix shows as an unexpected pass ----------
@pytest.mark.parametrize(
    "tenor",
    [
        pytest.param(
            "10y",
            marks=pytest.mark.xfail(
                strict=True,
                reason="qe1_2009 is the deterministic QE calibration run (every volatility off): its band is a "
                "line, and the realised 10y is inside it on 0 of 36 months (above 7, below 29; 70bp below it on "
                "average)",
            ),
        ),
        pytest.param(
            "2y",
            marks=pytest.mark.xfail(
                strict=True,
                reason="qe1_2009 (deterministic): the realised 2y is below the model's line on all 36 months "
                "(inside 0), by 2.1pp on average",
            ),
        ),
    ],
)
def test_qe1_2009_holds_the_realised_close(tenor):
    _assert_covers("qe1_2009", tenor)


@pytest.mark.xfail(
    strict=True,
    reason="issue 13: qe_2020's median 2y sits on the yields' floor (lower_bound - floor_margin = -0.05%) from "
    "2020-03-23 (it went to -0.25% before the floor) while the realised 2y never closed below 0.11%: at the floor "
    "the expected path has no option value, so nothing holds the 2y above it",
)
def test_qe_2020_2y_median_stays_at_or_above_zero():
    res, real = _run("qe_2020"), _realised("qe_2020")
    assert real["DGS2"].min() > 0.0
    median = res.fan("yield_2y").q50
    assert median.min() >= 0.0, f"median 2y {median.min():.2f}% on {median.idxmin().date()}"


def write_tables() -> None:
    for name, table in replay_tables().items():
        table.to_csv(os.path.join(TEST_DATA, name), float_format="%.12g")


if __name__ == "__main__":
    write_tables()
