"""Quantities with units, as written in scenario files.

Every number in a scenario that has a dimension must carry its unit; this module
parses those strings into canonical internal values:

=============  =====================================  ==========================
dimension      written as                             internal value
=============  =====================================  ==========================
``rate``       ``4.33%``, ``25bp``, ``-15bp``         decimal per year (0.0433)
``gdp_share``  ``6.2% of gdp``                        decimal share of GDP
``money``      ``850bn``, ``1.2tn``, ``500mn``        USD billions
``flow``       ``60bn/month``, ``1.2tn/yr``           USD billions per year
``tenor``      ``1d``, ``1w``, ``6m``, ``10y``        :class:`Tenor`
``speed``      ``0.65/yr``, ``0.05/month``            per year
``vol``        ``1%/sqrt(yr)``, ``18bp/sqrt(month)``  decimal per sqrt(year)
``memory``     ``4GB``, ``512MB``, ``2GiB``           bytes
=============  =====================================  ==========================

A day (``d``) is a business day: 252 of them make a year. A month is 1/12 year.
Parsing keeps the text as written, so a resolved scenario written back to YAML
round-trips exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re

BUSINESS_DAYS_PER_YEAR = 252
WEEKS_PER_YEAR = 52


class UnitError(ValueError):
    """A value that is not a valid quantity of the expected dimension."""


@dataclasses.dataclass(frozen=True)
class Tenor:
    """A length of time: ``count`` of ``unit`` (``d`` business days, ``w``, ``m``, ``y``)."""

    count: int
    unit: str

    @property
    def years(self) -> float:
        """Length in years (a business day is 1/252 year, a week 1/52)."""
        per = {"d": 1.0 / BUSINESS_DAYS_PER_YEAR, "w": 1.0 / WEEKS_PER_YEAR, "m": 1.0 / 12.0, "y": 1.0}
        return self.count * per[self.unit]

    @property
    def months(self) -> int | None:
        """Whole months for ``m``/``y`` tenors, else None."""
        if self.unit == "m":
            return self.count
        if self.unit == "y":
            return 12 * self.count
        return None

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A parsed quantity: canonical ``value`` (see module table) and the ``text`` written."""

    value: float
    text: str
    dim: str

    def __str__(self) -> str:
        return self.text


_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
PATTERNS: dict[str, re.Pattern] = {
    "rate": re.compile(rf"^({_NUM})\s*(%|bp)$"),
    "gdp_share": re.compile(rf"^({_NUM})\s*%\s+of\s+gdp$", re.I),
    "money": re.compile(rf"^\$?({_NUM})\s*(mn|bn|tn)$", re.I),
    "flow": re.compile(rf"^\$?({_NUM})\s*(mn|bn|tn)\s*/\s*(day|d|week|w|month|m|quarter|q|year|yr|y)$", re.I),
    "tenor": re.compile(r"^(\d+)\s*(d|w|m|y)$"),
    "speed": re.compile(rf"^({_NUM})\s*/\s*(yr|year|y|month|m)$"),
    "vol": re.compile(rf"^({_NUM})\s*(%|bp)\s*/\s*sqrt\(\s*(yr|year|y|month|m|day|d)\s*\)$"),
    "memory": re.compile(rf"^({_NUM})\s*(kb|mb|gb|tb|kib|mib|gib|tib)$", re.I),
}

EXAMPLES = {
    "rate": "a rate with a unit, like 4.33% or 25bp",
    "gdp_share": "a share of GDP, like 6.2% of gdp",
    "money": "an amount in USD with a unit, like 850bn or 1.2tn",
    "flow": "a flow with a unit, like 60bn/month or 1.2tn/yr",
    "tenor": "a length of time, like 1d, 1w, 6m or 10y",
    "speed": "a rate of mean reversion per unit time, like 0.65/yr",
    "vol": "a volatility, like 1%/sqrt(yr) or 18bp/sqrt(month)",
    "memory": "a memory size, like 4GB or 512MB",
    "date": "an ISO date, like 2025-04-02",
}

_PERIOD_YEARS = {
    "day": 1.0 / BUSINESS_DAYS_PER_YEAR,
    "d": 1.0 / BUSINESS_DAYS_PER_YEAR,
    "week": 1.0 / WEEKS_PER_YEAR,
    "w": 1.0 / WEEKS_PER_YEAR,
    "month": 1.0 / 12.0,
    "m": 1.0 / 12.0,
    "quarter": 0.25,
    "q": 0.25,
    "year": 1.0,
    "yr": 1.0,
    "y": 1.0,
}
_MONEY_BN = {"mn": 1e-3, "bn": 1.0, "tn": 1e3}
_MEMORY = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _rate_scale(unit: str) -> float:
    return 0.01 if unit == "%" else 1e-4


def move_label(weekly: bool, every_step: bool, short: bool = False) -> str:
    """What a path's largest single rise (or fall) is measured over, as reports name it: a week
    ("1-week", when the run has weekly metrics), a step ("1-step") or the interval between recorded
    dates ("recorded-date", ``outputs.path_metrics: recorded_dates``). ``short``: the compact
    summary table's forms "1w", "1step" and "rec."."""
    if weekly:
        return "1w" if short else "1-week"
    if every_step:
        return "1step" if short else "1-step"
    return "rec." if short else "recorded-date"


def describe(value) -> str:
    """How a raw YAML value is shown inside an error message."""
    if isinstance(value, str):
        return repr(value)
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def parse(value, dim: str):
    """Parse a raw YAML value as a quantity of dimension ``dim``.

    Returns a :class:`Quantity` (or :class:`Tenor` for ``tenor``, ``datetime.date`` for
    ``date``). Raises :class:`UnitError` with a message saying what is expected.
    """
    if dim == "date":
        return parse_date(value)
    if isinstance(value, bool) or value is None:
        raise UnitError(f"{describe(value)} is not {EXAMPLES[dim]}")
    if isinstance(value, (int, float)):
        hint = {
            "rate": f"{value}% or {value}bp",
            "money": f"{value}bn",
            "flow": f"{value}bn/month",
            "tenor": f"{value}y",
            "speed": f"{value}/yr",
            "vol": f"{value}%/sqrt(yr)",
            "memory": f"{value}GB",
            "gdp_share": f"{value}% of gdp",
        }[dim]
        raise UnitError(f"'{value}' has no unit; write {hint}")
    if not isinstance(value, str):
        raise UnitError(f"{describe(value)} is not {EXAMPLES[dim]}")
    text = value.strip()
    m = PATTERNS[dim].match(text)
    if not m:
        raise UnitError(f"{describe(value)} is not {EXAMPLES[dim]}")
    if dim == "tenor":
        count = int(m.group(1))
        if count <= 0:
            raise UnitError(f"{describe(value)} must be a positive length of time")
        return Tenor(count, m.group(2))
    num = float(m.group(1))
    if not math.isfinite(num):
        raise UnitError(f"{describe(value)} is not a finite number")
    if dim == "rate":
        v = num * _rate_scale(m.group(2))
    elif dim == "gdp_share":
        v = num * 0.01
    elif dim == "money":
        v = num * _MONEY_BN[m.group(2).lower()]
    elif dim == "flow":
        v = num * _MONEY_BN[m.group(2).lower()] / _PERIOD_YEARS[m.group(3).lower()]
    elif dim == "speed":
        v = num / _PERIOD_YEARS[m.group(2)]
    elif dim == "vol":
        v = num * _rate_scale(m.group(2)) / math.sqrt(_PERIOD_YEARS[m.group(3)])
    elif dim == "memory":
        v = num * _MEMORY[m.group(2).lower()]
    else:  # pragma: no cover - every dim is handled above
        raise AssertionError(dim)
    return Quantity(v, text, dim)


def parse_date(value) -> _dt.date:
    """Parse an ISO date (YAML already turns unquoted ISO dates into ``date``)."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UnitError(f"{describe(value)} is not {EXAMPLES['date']}")
