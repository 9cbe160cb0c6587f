"""Derive the small history tables the tests read, from the public-domain series in
``../shared/data`` (FRED copies of the Federal Reserve's H.15 release). Run from the repository
root: ``python tests/data/derive.py``; ``tests/test_history_tables.py`` checks that the committed
tables equal a fresh derivation whenever ``../shared/data`` is present."""

from __future__ import annotations

import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "fred"))
REPLAY_DAYS = ["2025-04-04", "2025-04-08", "2025-04-11", "2025-05-01", "2025-05-21", "2025-06-02", "2025-07-01"]


def _series(name: str, shared: str = SHARED) -> pd.Series:
    return pd.read_csv(os.path.join(shared, f"{name}.csv"), parse_dates=[0], index_col=0).iloc[:, 0].dropna()


def tables(shared: str = SHARED) -> dict[str, pd.DataFrame]:
    """name -> table, exactly as committed."""
    d10 = _series("DGS10", shared)
    month_end = d10.resample("ME").last()["1990":"2019"]
    daily = d10["1990":"2019"].diff().dropna() * 100  # bp
    by_year = daily.groupby(daily.index.year).agg(["count", "sum", lambda x: (x * x).sum()])
    by_year.columns = ["n", "sum_bp", "sumsq_bp2"]
    replay = pd.DataFrame({f"DGS{t}": _series(f"DGS{t}", shared).loc[REPLAY_DAYS] for t in (2, 10)})
    march = pd.DataFrame({f"DGS{t}": _series(f"DGS{t}", shared)["2020-03-06":"2020-05-01"] for t in (2, 10, 30)})
    return {
        "dgs10_month_end_1990_2019.csv": month_end.rename("DGS10").rename_axis("date").to_frame(),
        "dgs10_daily_changes_by_year_1990_2019.csv": by_year.rename_axis("year"),
        "h15_april_2025_replay.csv": replay.rename_axis("date"),
        "h15_march_2020_daily.csv": march.rename_axis("date"),
    }


def write(shared: str = SHARED) -> None:
    for name, df in tables(shared).items():
        df.to_csv(os.path.join(HERE, name), float_format="%.12g")


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else SHARED)
