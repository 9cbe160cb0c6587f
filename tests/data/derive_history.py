"""Derive the monthly history shipped with the package for ``ustsim backtest``
(``engine/history/us_monthly.csv``) from the public series in ``../shared/data``: FRED copies of
the Federal Reserve's H.15 release and of BEA's core PCE price index, and the Federal Reserve's
FRB/US model database. Run from the repository root: ``python tests/data/derive_history.py``;
``tests/test_backtest.py`` checks the committed file against a fresh derivation whenever
``../shared/data`` is beside the checkout.

Columns (percent; a row per month, dated at its last calendar day; empty where the source has
no value):

- ``dgs2``, ``dgs10``, ``dgs30``: the month's last non-empty daily close of DGS2/DGS10/DGS30
  (Treasury constant-maturity yields, H.15). DGS30 is not published 2002-02 → 2006-02.
- ``fed_funds``: FEDFUNDS, the month's average effective federal funds rate (H.15).
- ``core_pce_yoy``: 100 × (PCEPILFE this month / PCEPILFE twelve months before − 1) (BEA).
- ``inflation_expectations``: FRB/US ``PTR``, the 10-year PCE inflation expectation (from the
  Survey of Professional Forecasters), quarterly, held for each of the quarter's months.
- ``output_gap``: FRB/US ``XGAP2``, the output gap (percent of potential), quarterly, held.
"""

from __future__ import annotations

import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
OUT = os.path.join(ROOT, "engine", "history", "us_monthly.csv")
FIRST, LAST = "1980-01", "2025-12"


def _fred(name: str, shared: str) -> pd.Series:
    path = os.path.join(shared, "fred", f"{name}.csv")
    return pd.read_csv(path, parse_dates=[0], index_col=0).iloc[:, 0].dropna()


def _month_end(s: pd.Series) -> pd.Series:
    s = s.copy()
    s.index = s.index.to_period("M").to_timestamp("M")
    return s


def table(shared: str = SHARED) -> pd.DataFrame:
    """The table, exactly as committed."""
    idx = pd.period_range(FIRST, LAST, freq="M").to_timestamp("M")
    out = pd.DataFrame(index=pd.DatetimeIndex(idx, name="date"))
    for t in (2, 10, 30):
        out[f"dgs{t}"] = _fred(f"DGS{t}", shared).resample("ME").last()
    out["fed_funds"] = _month_end(_fred("FEDFUNDS", shared))
    pce = _month_end(_fred("PCEPILFE", shared))
    out["core_pce_yoy"] = (100 * (pce / pce.shift(12) - 1)).round(4)
    frbus = pd.read_csv(os.path.join(shared, "frbus_histdata.csv"), usecols=["OBS", "PTR", "XGAP2"])
    frbus.index = pd.PeriodIndex(frbus.pop("OBS").str.replace("Q", "-Q"), freq="Q")
    quarter = out.index.to_period("Q")
    out["inflation_expectations"] = frbus["PTR"].reindex(quarter).to_numpy().round(4)
    out["output_gap"] = frbus["XGAP2"].reindex(quarter).to_numpy().round(4)
    return out


def write(shared: str = SHARED, path: str = OUT) -> None:
    table(shared).to_csv(path, date_format="%Y-%m-%d", float_format="%.4f")


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else SHARED)
