"""Mapping field types of the scenario schema: tenor -> value, bucket -> value (optionally summing
to 100%), dated paths, and the tags of the unions they use. See :mod:`engine.schema`."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, PlainSerializer, Tag
from pydantic_core import core_schema

from .. import units
from .fields import Quantity, Spec, _err, did_you_mean


# ------------------------------------------------------------------------------------ mappings
@dataclasses.dataclass(frozen=True)
class Key(Spec):
    """A mapping key read by ``parse(text) -> key`` (raising UnitError with the message)."""

    parse: Callable[[str], Any]
    schema: dict = dataclasses.field(compare=False)

    def validate(self, value: Any) -> Any:
        return self.parse(value.isoformat() if isinstance(value, _dt.date) else str(value))

    def expects(self) -> str:
        return "a key"

    def json(self) -> dict:
        return self.schema


def key_checker(check: Callable[[str], str | None]) -> Callable[[str], str]:
    """A key parser that keeps the key as written, refusing it with ``check(key)``'s message."""

    def parse(key: str) -> str:
        msg = check(key)
        if msg:
            raise units.UnitError(msg)
        return key

    return parse


def mapping_of(what: str) -> Callable:
    def wrap(value: Any, handler: Callable) -> Any:
        if not isinstance(value, dict):
            raise _err(f"{units.describe(value)} is not a mapping of {what}")
        return handler(value)

    return wrap


def _tenor_key(key: str) -> str:
    try:
        return str(units.parse(key, "tenor"))
    except units.UnitError as exc:
        raise units.UnitError(f"key {exc}") from None


def _dict_of(key: Any, value: Any) -> Any:
    """``dict[key, value]`` for types known only at run time."""
    return dict[key, value]


class _Mapping:
    """Metadata of a mapping field, ``Annotated[dict[str, X], TenorMap(X)]``: pydantic builds
    the schema from :meth:`schema_type` (a type with the key and value validators), refuses
    anything but a mapping with ``what`` in the message, and applies :meth:`after`."""

    what = "key to value"

    def schema_type(self) -> Any:
        raise NotImplementedError

    def after(self, value: Any) -> Any:
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        inner = handler.generate_schema(self.schema_type())
        return core_schema.no_info_after_validator_function(
            self.after, core_schema.no_info_wrap_validator_function(mapping_of(self.what), inner)
        )


@dataclasses.dataclass(frozen=True)
class TenorMap(_Mapping):
    """A mapping tenor -> ``value`` (``{2y: 3.45%, 10y: 4.14%}``); keys are tenors as text (``10y``)."""

    value: Any
    what = "tenor to value"

    def schema_type(self) -> Any:
        key = Annotated[str, Key(_tenor_key, {"type": "string", "pattern": units.PATTERNS["tenor"].pattern})]
        return _dict_of(key, self.value)


@dataclasses.dataclass(frozen=True)
class NameMap(_Mapping):
    """A mapping from a fixed set of ``names`` (maturity buckets) to ``value``; names left out are
    absent. With ``total`` the values (shares) must sum to 100%."""

    names: tuple[str, ...]
    value: Any
    total: bool = False

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"bucket to value; expected keys among {', '.join(self.names)}"

    def _check(self, key: str) -> str | None:
        if key not in self.names:
            return f"unknown bucket{did_you_mean(key, self.names)}; expected one of {', '.join(self.names)}"
        return None

    def schema_type(self) -> Any:
        key = Annotated[str, Key(key_checker(self._check), {"type": "string", "enum": list(self.names)})]
        return _dict_of(key, self.value)

    def after(self, d: dict) -> dict:
        s = sum(q.value for q in d.values())
        if self.total and d and abs(s - 1.0) > 1e-9:
            raise _err(f"shares sum to {s * 100:.6g}%; expected 100%")
        return d


@dataclasses.dataclass(frozen=True)
class DatedPath:
    """A path over time given at dates, ``{2025-09-30: 17.1% of gdp, 2055-09-30: 19.3% of gdp}``,
    linear between its dates and flat beyond the first and last; a single value is a constant
    path. ``points``: sorted (date, value) pairs, or one (None, value) for a constant."""

    points: tuple[tuple[_dt.date | None, Quantity], ...]

    def at(self, day: _dt.date) -> float:
        """Canonical value of the path at ``day``."""
        pts = self.points
        if pts[0][0] is None:
            return pts[0][1].value
        days = [d for d, _ in pts if d is not None]
        i = bisect.bisect_right(days, day)
        if i == 0:
            return pts[0][1].value
        if i == len(pts):
            return pts[-1][1].value
        (d0, v0), (d1, v1) = (days[i - 1], pts[i - 1][1]), (days[i], pts[i][1])
        w = (day - d0).days / (d1 - d0).days
        return v0.value + w * (v1.value - v0.value)

    def plain(self) -> Any:
        if self.points[0][0] is None:
            return str(self.points[0][1])
        return {str(d): str(v) for d, v in self.points}


def _date_key(key: str) -> str | None:
    try:
        units.parse_date(key)
    except units.UnitError as exc:
        return f"key {exc}"
    return None


def _non_empty(d: dict) -> dict:
    if not d:
        raise _err("is empty; expected at least one {date: value} entry")
    return d


def _to_path(v: Any) -> DatedPath:
    if isinstance(v, DatedPath):
        return v
    if isinstance(v, dict):
        pts = sorted(((units.parse_date(k), q) for k, q in v.items()), key=lambda e: e[0])
        return DatedPath(tuple((d, q) for d, q in pts))
    return DatedPath(((None, v),))


@dataclasses.dataclass(frozen=True)
class Dated:
    """Metadata of a :class:`DatedPath` field of ``value``s: ``Annotated[DatedPath, Dated(Rate)]``
    takes a constant or a mapping date -> value."""

    value: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        key = Annotated[str, Key(key_checker(_date_key), {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"})]
        constant: Any = Annotated[self.value, Tag("<constant>")]
        path: Any = Annotated[Annotated[_dict_of(key, self.value), AfterValidator(_non_empty)], Tag("<path>")]
        union: Any = Annotated[
            constant | path, Discriminator(lambda v: "<path>" if isinstance(v, (dict, DatedPath)) else "<constant>")
        ]
        return handler.generate_schema(Annotated[union, AfterValidator(_to_path), PlainSerializer(lambda p: p.plain())])


TAGS = {"<constant>", "<path>", "<shock event>", "<set event>"}  # union tags, not keys: left out of paths


def is_point_map(metadata: list) -> bool:
    """Whether a field with these metadata is a point map (tenor, bucket or date -> value): one
    observation or one schedule, which a scenario gives whole (:func:`point_map_paths`)."""
    return any(isinstance(m, (_Mapping, Dated)) for m in metadata)
