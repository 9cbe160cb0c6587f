"""The monthly history ``ustsim backtest`` scores against: ``us_monthly.csv`` beside this file
(installed with the package; see its README for sources and units), or a user's own file of the
same format (``--data DIR`` reads ``DIR/us_monthly.csv``).

:func:`load` returns a DataFrame indexed by month-end dates, one column per :data:`COLUMNS`, in
percent (NaN where empty). A missing or malformed file is refused with one line naming the file,
the line or column and what was expected.
"""

from __future__ import annotations

import csv
import math
import os

import pandas as pd

from ..errors import UstsimError

FILE = "us_monthly.csv"
#: the packaged history's folder (the same inside an installed package and a checkout)
PACKAGED = os.path.dirname(os.path.abspath(__file__))
#: column -> what it holds (all percent)
COLUMNS = {
    "dgs2": "2-year Treasury yield, month-end close",
    "dgs10": "10-year Treasury yield, month-end close",
    "dgs30": "30-year Treasury yield, month-end close",
    "fed_funds": "effective federal funds rate, monthly average",
    "core_pce_yoy": "core PCE inflation, year on year",
    "inflation_expectations": "10-year PCE inflation expectations (SPF)",
    "output_gap": "output gap, percent of potential",
}
MAX_ROWS = 100_000


def path_of(data_dir: str | None = None) -> str:
    """The history file of ``data_dir`` (a folder holding ``us_monthly.csv``, or the file
    itself), or the packaged one."""
    if data_dir is None:
        return os.path.join(PACKAGED, FILE)
    return data_dir if os.path.isfile(data_dir) else os.path.join(data_dir, FILE)


def load(data_dir: str | None = None) -> pd.DataFrame:
    """The history as a DataFrame (index ``date``, month ends; columns :data:`COLUMNS`, percent)."""
    path = path_of(data_dir)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:  # a byte-order mark is not part of 'date'
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise UstsimError(
            f"{path}: file not found; expected the monthly history {FILE} (see ustsim backtest --help)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UstsimError(f"{path}: cannot read the file ({exc}); expected a CSV text file") from None
    if not rows:
        raise UstsimError(f"{path}:1: the file is empty; expected a header: date,{','.join(COLUMNS)}")
    if len(rows) > MAX_ROWS:
        raise UstsimError(f"{path}: {len(rows):,} lines; expected a monthly history of at most {MAX_ROWS:,}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("date", *COLUMNS) if c not in header]
    if missing:
        raise UstsimError(
            f"{path}:1: column {missing[0]!r} is missing; expected a header naming date,{','.join(COLUMNS)}"
        )
    twice = [c for c in ("date", *COLUMNS) if header.count(c) > 1]
    if twice:
        raise UstsimError(f"{path}:1: column {twice[0]!r} is named twice; expected each column once")
    where = {c: header.index(c) for c in ("date", *COLUMNS)}
    dates: list[pd.Timestamp] = []
    values: dict[str, list[float]] = {c: [] for c in COLUMNS}
    for ln, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        if len(row) != len(header):
            raise UstsimError(f"{path}:{ln}: {len(row)} fields; expected {len(header)} as in the header")
        raw = row[where["date"]].strip()
        try:
            d = pd.Timestamp(raw)
        except (ValueError, TypeError):
            d = None
        if d is None or d is pd.NaT or d != d + pd.offsets.MonthEnd(0) or d.time() != pd.Timestamp(0).time():
            raise UstsimError(f"{path}:{ln}: date: {raw!r} is not a month's last day; expected e.g. 1989-12-31")
        if dates and d != dates[-1] + pd.offsets.MonthEnd(1):
            raise UstsimError(
                f"{path}:{ln}: date: {raw} does not follow {dates[-1].date()}; expected consecutive months"
            )
        dates.append(d)
        for c in COLUMNS:
            f = row[where[c]].strip()
            try:
                v = float(f) if f else math.nan
            except ValueError:
                v = None
            if v is None or math.isinf(v) or (not math.isnan(v) and abs(v) > 100):
                raise UstsimError(
                    f"{path}:{ln}: {c}: {f!r} is not a value in percent; expected a number like 4.25 or empty"
                )
            values[c].append(v)
    if not dates:
        raise UstsimError(f"{path}:2: no data rows; expected one row per month")
    return pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"))
