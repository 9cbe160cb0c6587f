"""Typed scenario configuration: the pydantic v2 field types every block's ``Params`` model is
written with, and the translation of pydantic's errors into the one-line problems users see.

Every value with a dimension is a :class:`~engine.units.Quantity` that keeps the text it was
written with (``Rate``, ``Vol``, ``Speed``, ``Money``...: see :mod:`engine.units`), so a resolved
scenario dumps back to the same YAML. Plain coefficients are ``Num``, counts ``Int``. Models
derive from :class:`Section`: unknown keys are refused, values are frozen, defaults are written
as a user would write them and validated like user input. Cross-field rules are validators on
the models (``@model_validator(mode="after")``) that report through :func:`fail`, which can
name several keys at once; so ``ustsim validate`` refuses exactly what ``ustsim run`` refuses.

:func:`problems` turns a ``ValidationError`` into :class:`~engine.errors.Problem` lines
``file:line: dotted.key: what is wrong; what is expected``, with a did-you-mean for unknown keys
and the expected form for missing ones, using the YAML line map of :mod:`engine.yamlio`.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as _dt
import difflib
import typing
from typing import Annotated, Any, Callable, Iterable

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from . import units
from .errors import Problem
from .yamlio import dotted

ERROR = "ustsim"  # pydantic error type of every problem raised here


def _err(message: str) -> PydanticCustomError:
    return PydanticCustomError(ERROR, message)  # no context: the text is shown as it is


def did_you_mean(word: object, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------------------ leaf types
class _Spec:
    """Validator, serializer and JSON Schema of one kind of leaf value (pydantic metadata)."""

    def validate(self, value: Any) -> Any:
        raise NotImplementedError

    def serialize(self, value: Any) -> Any:
        return value

    def expects(self) -> str:
        raise NotImplementedError

    def json(self) -> dict:
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        def check(value: Any) -> Any:
            try:
                return self.validate(value)
            except units.UnitError as exc:
                raise _err(str(exc)) from None
        return core_schema.no_info_plain_validator_function(
            check, serialization=core_schema.plain_serializer_function_ser_schema(self.serialize))

    def __get_pydantic_json_schema__(self, cs: Any, handler: Any) -> dict:
        return self.json()


@dataclasses.dataclass(frozen=True)
class Unit(_Spec):
    """A quantity with a unit of dimension ``dim`` (:mod:`engine.units`); ``lo``/``hi`` bound the
    canonical value (``lo_open``: strictly above ``lo``)."""

    dim: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False

    def validate(self, value: Any) -> Any:
        q = units.parse(value, self.dim)
        v = q.years if isinstance(q, units.Tenor) else (q.value if isinstance(q, units.Quantity) else None)
        if v is not None:
            if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
                raise units.UnitError(f"{units.describe(value)} is out of range; expected a value "
                                      f"{'above' if self.lo_open else 'at least'} {self._fmt(self.lo)}")
            if self.hi is not None and v > self.hi:
                raise units.UnitError(f"{units.describe(value)} is out of range; expected at most {self._fmt(self.hi)}")
        return q

    def _fmt(self, v: float) -> str:
        if self.dim in ("rate", "gdp_share"):
            return f"{v * 1e4:g}bp" if abs(v) < 0.01 else f"{v * 100:g}%"
        return {"vol": f"{v * 100:g}%/sqrt(yr)", "speed": f"{v:g}/yr", "tenor": f"{v:g} years", "money": f"{v:g}bn",
                "flow": f"{v:g}bn/yr"}.get(self.dim, f"{v:g}")

    def serialize(self, value: Any) -> Any:
        return value if isinstance(value, _dt.date) else str(value)

    def expects(self) -> str:
        return units.EXAMPLES[self.dim]

    def json(self) -> dict:
        if self.dim == "date":
            return {"type": "string", "format": "date"}
        return {"type": "string", "pattern": units.PATTERNS[self.dim].pattern, "examples": [units.EXAMPLES[self.dim]]}


@dataclasses.dataclass(frozen=True)
class Number(_Spec):
    """A dimensionless number (coefficients, correlations, shares), within optional bounds."""

    lo: float | None = None
    hi: float | None = None
    kind = "number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (int, float))

    def type_error(self, value: Any) -> str:
        both = self.lo is not None and self.hi is not None
        return f"{units.describe(value)} is not a number; expected a plain number" + (f" {self._range()}" if both else "")

    def convert(self, value: Any) -> Any:
        return float(value)

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not self.accepts(value):
            raise units.UnitError(self.type_error(value))
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise units.UnitError(f"{value!r} is out of range; expected a {self.kind} {self._range()}")
        return self.convert(value)

    def _range(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"between {self.lo:g} and {self.hi:g}"
        return f"at least {self.lo:g}" if self.lo is not None else f"at most {self.hi:g}"

    def expects(self) -> str:
        return "a number"

    def json(self) -> dict:
        d: dict = {"type": "number"}
        if self.lo is not None:
            d["minimum"] = self.lo
        if self.hi is not None:
            d["maximum"] = self.hi
        return d


@dataclasses.dataclass(frozen=True)
class Whole(Number):
    """A whole number (counts such as paths, seeds)."""

    kind = "whole number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int)

    def type_error(self, value: Any) -> str:
        return f"{units.describe(value)} is not a whole number"

    def convert(self, value: Any) -> Any:
        return value

    def expects(self) -> str:
        return "a whole number"

    def json(self) -> dict:
        return dict(super().json(), type="integer")


class Flag(_Spec):
    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise units.UnitError(f"{units.describe(value)} is not true or false")
        return value

    def expects(self) -> str:
        return "true or false"

    def json(self) -> dict:
        return {"type": "boolean"}


@dataclasses.dataclass(frozen=True)
class Text(_Spec):
    """Text, optionally one of ``choices``; ``what`` names a choice in messages, ``example``
    says what to write when it is missing."""

    choices: tuple[str, ...] | None = None
    what: str | None = None
    example: str | None = None

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) and self.what is None:
            raise units.UnitError(f"{units.describe(value)} is not text")
        if self.choices is not None and value not in self.choices:
            if self.what is None:
                raise units.UnitError(f"{value!r} is not one of {', '.join(self.choices)}"
                                      f"{did_you_mean(value, self.choices)}")
            raise units.UnitError(f"{units.describe(value)} is not {self.what}{did_you_mean(value, self.choices)}; "
                                  f"expected one of {', '.join(self.choices)}")
        return value

    def expects(self) -> str:
        if self.example:
            return self.example
        return "text" if not self.choices else "one of " + ", ".join(self.choices)

    def json(self) -> dict:
        return {"type": "string", "enum": list(self.choices)} if self.choices else {"type": "string"}


Quantity = units.Quantity
Rate = Annotated[Quantity, Unit("rate")]
NonNegRate = Annotated[Quantity, Unit("rate", lo=0.0)]
Share = Annotated[Quantity, Unit("rate", lo=0.0, hi=1.0)]        # a share written in percent, 0-100%
Vol = Annotated[Quantity, Unit("vol", lo=0.0)]
Speed = Annotated[Quantity, Unit("speed", lo=0.0)]
Money = Annotated[Quantity, Unit("money", lo=0.0)]
PositiveMoney = Annotated[Quantity, Unit("money", lo=0.0, lo_open=True)]
Flow = Annotated[Quantity, Unit("flow", lo=0.0)]
GdpShare = Annotated[Quantity, Unit("gdp_share", lo=0.0)]
Memory = Annotated[Quantity, Unit("memory")]
Tenor = Annotated[units.Tenor, Unit("tenor")]
Date = Annotated[_dt.date, Unit("date")]
Num = Annotated[float, Number()]
Int = Annotated[int, Whole()]
Bool = Annotated[bool, Flag()]
Str = Annotated[str, Text()]


def choice(*options: str, what: str | None = None, example: str | None = None) -> Any:
    """Text that must be one of ``options``."""
    return Annotated[str, Text(tuple(options), what, example)]


def num(lo: float | None = None, hi: float | None = None) -> Any:
    return Annotated[float, Number(lo, hi)]


def whole(lo: float | None = None, hi: float | None = None) -> Any:
    return Annotated[int, Whole(lo, hi)]


def quantity(dim: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> Any:
    return Annotated[Quantity if dim not in ("tenor", "date") else Any, Unit(dim, lo, hi, lo_open)]


# ------------------------------------------------------------------------------------ mappings
@dataclasses.dataclass(frozen=True)
class _Key(_Spec):
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


def _mapping_of(what: str) -> Callable:
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


def tenor_map(value: Any, doc: str = "tenor to value") -> Any:
    """A mapping tenor -> value (``{2y: 3.45%, 10y: 4.14%}``); keys are tenors as text (``10y``)."""
    key = Annotated[str, _Key(_tenor_key, {"type": "string", "pattern": units.PATTERNS["tenor"].pattern})]
    from pydantic import WrapValidator
    return Annotated[dict[key, value], WrapValidator(_mapping_of(doc))]  # type: ignore[valid-type]


def name_map(names: tuple[str, ...], value: Any, total: bool = False, what: str = "bucket") -> Any:
    """A mapping from a fixed set of names (maturity buckets) to values; names left out are
    absent. With ``total`` the values (shares) must sum to 100%."""
    from pydantic import AfterValidator, WrapValidator

    def check(key: str) -> str | None:
        if key not in names:
            return f"unknown {what}{did_you_mean(key, names)}; expected one of {', '.join(names)}"
        return None

    def summed(d: dict) -> dict:
        s = sum(q.value for q in d.values())
        if total and d and abs(s - 1.0) > 1e-9:
            raise _err(f"shares sum to {s * 100:.6g}%; expected 100%")
        return d

    key = Annotated[str, _Key(key_checker(check), {"type": "string", "enum": list(names)})]
    return Annotated[dict[key, value], WrapValidator(  # type: ignore[valid-type]
        _mapping_of(f"{what} to value; expected keys among {', '.join(names)}")), AfterValidator(summed)]


@dataclasses.dataclass(frozen=True)
class DatedPath:
    """A path over time given at dates, ``{2025-09-30: 17.1% of gdp, 2055-09-30: 19.3% of gdp}``,
    linear between its dates and flat beyond the first and last; a single value is a constant
    path. ``points``: sorted (date, value) pairs, or one (None, value)."""

    points: tuple[tuple[_dt.date | None, Quantity], ...]

    def at(self, day: _dt.date) -> float:
        """Canonical value of the path at ``day``."""
        pts = self.points
        if pts[0][0] is None:
            return pts[0][1].value
        days = [d for d, _ in pts]
        i = bisect.bisect_right(days, day)  # type: ignore[type-var]
        if i == 0:
            return pts[0][1].value
        if i == len(pts):
            return pts[-1][1].value
        (d0, v0), (d1, v1) = pts[i - 1], pts[i]
        w = (day - d0).days / (d1 - d0).days  # type: ignore[operator]
        return v0.value + w * (v1.value - v0.value)

    def plain(self) -> Any:
        if self.points[0][0] is None:
            return str(self.points[0][1])
        return {d.isoformat(): str(v) for d, v in self.points}  # type: ignore[union-attr]


def _date_key(key: str) -> str | None:
    try:
        units.parse_date(key)
    except units.UnitError as exc:
        return f"key {exc}"
    return None


def dated(value: Any) -> Any:
    """A :class:`DatedPath` of ``value`` (a constant, or a mapping date -> value)."""
    from pydantic import AfterValidator, PlainSerializer
    key = Annotated[str, _Key(key_checker(_date_key), {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"})]

    def non_empty(d: dict) -> dict:
        if not d:
            raise _err("is empty; expected at least one {date: value} entry")
        return d

    def to_path(v: Any) -> DatedPath:
        if isinstance(v, DatedPath):
            return v
        if isinstance(v, dict):
            return DatedPath(tuple(sorted(((units.parse_date(k), q) for k, q in v.items()), key=lambda e: e[0])))
        return DatedPath(((None, v),))

    union = Annotated[Annotated[value, Tag("<constant>")]
                      | Annotated[Annotated[dict[key, value], AfterValidator(non_empty)],  # type: ignore[valid-type]
                                  Tag("<path>")],
                      Discriminator(lambda v: "<path>" if isinstance(v, (dict, DatedPath)) else "<constant>")]
    return Annotated[union, AfterValidator(to_path), PlainSerializer(lambda p: p.plain())]


TAGS = {"<constant>", "<path>", "<shock event>", "<set event>"}  # union tags, not keys: left out of paths


# ------------------------------------------------------------------------------------ models
class Section(BaseModel):
    """Base of every scenario section: strict keys, frozen values, validated defaults; ``null``
    stands for an empty section (all defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True,
                              arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, data: Any) -> Any:
        return {} if data is None else data


def fail(*problems: tuple[tuple, str], title: str = "scenario") -> None:
    """Raise the given (relative key path, message) problems at once from a model validator;
    pydantic prefixes each path with the model's own location."""
    if problems:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=_err(msg), loc=tuple(path), input=None) for path, msg in problems])


class Checks:
    """Collects cross-field problems in a validator: ``c.add(("key",), "message")`` then
    ``c.raise_all()``."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []

    def add(self, path: tuple, message: str) -> None:
        self.items.append((path, message))

    def raise_all(self) -> None:
        fail(*self.items)


# ------------------------------------------------------------------------------------ errors
def _unwrap(tp: Any) -> tuple[Any, list]:
    """(bare type, metadata) of an annotation, through Annotated and Optional."""
    meta: list = []
    while True:
        if typing.get_origin(tp) is Annotated:
            args = typing.get_args(tp)
            tp, meta = args[0], meta + list(args[1:])
            continue
        args = typing.get_args(tp)
        if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)) \
                and type(None) in args and len(args) == 2:
            tp = next(a for a in args if a is not type(None))
            continue
        return tp, meta


def _walk(root: Any, loc: tuple) -> tuple[Any, list, Any]:
    """Follow ``loc`` from the model class ``root``: (type at loc, its metadata, the model class
    that holds the last key or None)."""
    tp, meta, holder = root, [], None
    for part in loc:
        tp, meta = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            holder = tp
            fields = {f.alias or n: f for n, f in tp.model_fields.items()}
            f = fields.get(part) if isinstance(part, str) else None
            if f is None:
                return None, [], holder
            tp, meta = f.annotation, list(f.metadata)
            continue
        holder = None
        if origin is list and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) and part in TAGS:
            tp = next((a for a in typing.get_args(tp) if any(getattr(m, "tag", None) == part
                                                            for m in _unwrap(a)[1])), None)
        else:
            return None, [], None
    bare, more = _unwrap(tp)
    return bare, meta + more, holder


def _expects(meta: list, tp: Any) -> str:
    for m in meta:
        if isinstance(m, _Spec):
            return m.expects()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping with keys " + ", ".join(f.alias or n for n, f in tp.model_fields.items())
    return "a value"


def problems(exc: ValidationError, root: Any, where: Callable[[tuple], tuple[str, int | None]],
             prefix: tuple = ()) -> list[Problem]:
    """One :class:`Problem` per error of ``exc`` (raised validating the model class ``root``);
    ``where(path)`` gives the file and line a key path came from."""
    out = []
    for e in exc.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if p not in TAGS and p != "[key]")
        raw = tuple(p for p in e["loc"] if p not in TAGS)
        kind, inp = e["type"], e.get("input")
        if kind == ERROR:
            msg = e["msg"]
        elif kind == "missing":
            tp, meta, _ = _walk(root, raw)
            msg = f"missing; expected {_expects(meta, tp)}"
        elif kind == "extra_forbidden":
            _, _, holder = _walk(root, raw)
            keys = [f.alias or n for n, f in holder.model_fields.items()] if holder is not None else []
            msg = f"unknown key{did_you_mean(loc[-1], keys)}; expected one of {', '.join(keys)}"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            tp, _, _ = _walk(root, raw)
            keys = [f.alias or n for n, f in tp.model_fields.items()] if isinstance(tp, type) and \
                issubclass(tp, BaseModel) else []
            msg = f"{units.describe(inp)} is not a mapping" + (f"; expected keys {', '.join(keys)}" if keys else "")
        elif kind == "list_type":
            msg = f"{units.describe(inp)} is not a list"
        elif kind == "too_short":
            msg = f"expected at least {e['ctx']['min_length']} item(s)"
        else:
            msg = e["msg"]
        path = prefix + loc
        file, line = where(path)
        out.append(Problem(file, line, dotted(path), msg))
    return out


__all__ = ["Section", "fail", "Checks", "problems", "did_you_mean", "DatedPath", "dated", "tenor_map", "name_map",
           "choice", "num", "whole", "quantity", "Rate", "NonNegRate", "Share", "Vol", "Speed", "Money",
           "PositiveMoney", "Flow", "GdpShare", "Memory", "Tenor", "Date", "Num", "Int", "Bool", "Str", "Quantity",
           "Unit"]
