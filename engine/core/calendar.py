"""The time grid: step dates, the step length in years, and which time points are recorded.

Steps are business days (US federal holidays excluded, 252 per year by convention for dt),
weeks (dt = 1/52) or months (dt = 1/12). Records are taken at the last time point on or before
each date of the recording frequency, plus the start and the horizon.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar
from pandas.tseries.offsets import CustomBusinessDay

from ..units import BUSINESS_DAYS_PER_YEAR, Tenor

STEPS = {"1d": 1.0 / BUSINESS_DAYS_PER_YEAR, "1w": 1.0 / 52.0, "1m": 1.0 / 12.0}
_BDAY = CustomBusinessDay(calendar=USFederalHolidayCalendar())


@dataclasses.dataclass
class Calendar:
    dates: list[_dt.date]  # n_steps + 1 time points (index 0 = start)
    dt: float  # step length in years
    step: Tenor
    record_points: np.ndarray  # indices into dates that are recorded (int64, increasing)
    steps_per_week: int  # 5 for daily steps, 1 for weekly, 0 when a week is shorter than a step

    @property
    def n_steps(self) -> int:
        return len(self.dates) - 1

    @property
    def record_dates(self) -> list[_dt.date]:
        return [self.dates[i] for i in self.record_points]

    def step_of(self, d: _dt.date) -> int:
        """Index of the step whose interval [date_k, date_k+1) holds ``d`` (0 for d <= start)."""
        k = int(np.searchsorted(np.array(self.dates[1:], dtype="datetime64[D]"), np.datetime64(d), side="right"))
        return min(k, self.n_steps - 1)


def share_in(a: _dt.date, b: _dt.date, start: _dt.date, end: _dt.date = _dt.date.max) -> float:
    """Share of the step [a, b) that lies in the window [start, end), by calendar days: how much
    of a dated flow (a QE or QT programme, foreign sales) a step carries. A window counts from the
    step that holds its first day, as a dated event does (:meth:`Calendar.step_of`); a step wholly
    inside it gets exactly 1."""
    inside = (min(b, end) - max(a, start)).days
    return max(inside, 0) / (b - a).days


def offset(d: _dt.date, t: Tenor, n: int = 1) -> _dt.date:
    """``d`` moved forward by ``n`` times tenor ``t`` (business days for ``d``)."""
    ts = pd.Timestamp(d)
    if t.unit == "d":
        return (ts + n * t.count * _BDAY).date()
    if t.unit == "w":
        return (ts + pd.Timedelta(weeks=n * t.count)).date()
    months = t.months
    assert months is not None
    return (ts + pd.DateOffset(months=n * months)).date()


def end_date(start: _dt.date, horizon: Tenor) -> _dt.date:
    return offset(start, horizon)


def build(start: _dt.date, horizon: Tenor, step: Tenor, record: Tenor | None) -> Calendar:
    """Grid from ``start`` over ``horizon`` with steps of ``step``, recorded every ``record``."""
    end = end_date(start, horizon)
    dt = STEPS[str(step)]
    if step.unit == "d":
        dates = [start] + [x.date() for x in pd.date_range(pd.Timestamp(start) + _BDAY, pd.Timestamp(end), freq=_BDAY)]
        spw = 5
    elif step.unit == "w":
        n = int(round(horizon.years * 52)) if horizon.unit in ("m", "y") else (end - start).days // 7
        dates = [start + _dt.timedelta(weeks=k) for k in range(n + 1)]
        spw = 1
    else:
        months = horizon.months
        assert months is not None, "monthly steps need a horizon in whole months (checked by the scenario)"
        n = months
        dates = [offset(start, step, k) for k in range(n + 1)]
        spw = 0
    rec = record or step
    if str(rec) == str(step):
        points = np.arange(len(dates), dtype=np.int64)
    elif rec.years >= horizon.years:  # the start and the horizon only (and no date past the horizon computed)
        points = np.array(sorted({0, len(dates) - 1}), dtype=np.int64)
    else:
        arr = np.array(dates, dtype="datetime64[D]")
        pts = {0, len(dates) - 1}
        j = 1
        while True:
            rd = offset(start, rec, j)
            if rd > dates[-1]:
                break
            pts.add(int(np.searchsorted(arr, np.datetime64(rd), side="right")) - 1)
            j += 1
        points = np.array(sorted(pts), dtype=np.int64)
    return Calendar(dates=dates, dt=dt, step=step, record_points=points, steps_per_week=spw)
