"""Leaf field types of the scenario schema: quantities with units, numbers, flags, text, each
with its validator, serializer, expected form and JSON Schema, and the base model of every
section. See :mod:`engine.schema`."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticUndefined, core_schema

from .. import units

ERROR = "ustsim"  # pydantic error type of every problem raised here


def _err(message: str) -> PydanticCustomError:
    return PydanticCustomError(ERROR, message)  # no context: the text is shown as it is


def did_you_mean(word: object, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------------------ leaf types
class Spec:
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
            check, serialization=core_schema.plain_serializer_function_ser_schema(self.serialize)
        )

    def __get_pydantic_json_schema__(self, cs: Any, handler: Any) -> dict:
        return self.json()


#: Canonical values beyond which a quantity of each dimension can only be a typing mistake
#: (a field may bound it tighter): rates within +-100%, volatilities up to 50%/sqrt(yr), speeds and
#: intensities up to 1000 a year, amounts and flows within $1,000tn, tenors up to 200 years, GDP
#: shares up to 100%, memory up to 1 PB. Refused with the bound named, before any work starts.
PLAUSIBLE = {
    "rate": (-1.0, 1.0),
    "gdp_share": (-1.0, 1.0),
    "vol": (0.0, 0.5),
    "speed": (-1000.0, 1000.0),
    "money": (-1e6, 1e6),
    "flow": (-1e6, 1e6),
    "tenor": (0.0, 200.0),
    "memory": (0.0, 1e15),
}
#: Plain coefficients (responses, sensitivities) beyond this magnitude can only be typing mistakes.
PLAUSIBLE_NUMBER = 1000.0


@dataclasses.dataclass(frozen=True)
class Unit(Spec):
    """A quantity with a unit of dimension ``dim`` (:mod:`engine.units`); ``lo``/``hi`` bound the
    canonical value (``lo_open``: strictly above ``lo``) within the dimension's plausible range
    (:data:`PLAUSIBLE`)."""

    dim: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False

    def validate(self, value: Any) -> Any:
        q = units.parse(value, self.dim)
        v = q.years if isinstance(q, units.Tenor) else (q.value if isinstance(q, units.Quantity) else None)
        if v is not None:
            if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
                raise units.UnitError(
                    f"{units.describe(value)} is out of range; expected a value "
                    f"{'above' if self.lo_open else 'at least'} {self._fmt(self.lo)}"
                )
            if self.hi is not None and v > self.hi:
                raise units.UnitError(f"{units.describe(value)} is out of range; expected at most {self._fmt(self.hi)}")
            lo, hi = PLAUSIBLE.get(self.dim, (-float("inf"), float("inf")))
            if v < lo or v > hi:
                raise units.UnitError(
                    f"{units.describe(value)} is implausible (a typing mistake?); expected a value "
                    + (f"at most {self._fmt(hi)}" if v > hi else f"at least {self._fmt(lo)}")
                )
        return q

    def _fmt(self, v: float) -> str:
        if self.dim in ("rate", "gdp_share"):
            return f"{v * 1e4:g}bp" if abs(v) < 0.01 else f"{v * 100:g}%"
        return {
            "vol": f"{v * 100:g}%/sqrt(yr)",
            "speed": f"{v:g}/yr",
            "tenor": f"{v:g} years",
            "money": f"{v / 1e3:g}tn" if abs(v) >= 1e3 else f"{v:g}bn",
            "flow": f"{v / 1e3:g}tn/yr" if abs(v) >= 1e3 else f"{v:g}bn/yr",
            "memory": f"{v / 1e12:g}TB",
        }.get(self.dim, f"{v:g}")

    def serialize(self, value: Any) -> Any:
        return value if isinstance(value, _dt.date) else str(value)

    def expects(self) -> str:
        return units.EXAMPLES[self.dim]

    def json(self) -> dict:
        if self.dim == "date":
            return {"type": "string", "format": "date"}
        return {"type": "string", "pattern": units.PATTERNS[self.dim].pattern, "examples": [units.EXAMPLES[self.dim]]}


@dataclasses.dataclass(frozen=True)
class Number(Spec):
    """A dimensionless number (coefficients, correlations, shares), within optional bounds."""

    lo: float | None = None
    hi: float | None = None
    kind = "number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (int, float))

    def type_error(self, value: Any) -> str:
        both = self.lo is not None and self.hi is not None
        return f"{units.describe(value)} is not a number; expected a plain number" + (
            f" {self._range()}" if both else ""
        )

    def convert(self, value: Any) -> Any:
        return float(value)

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not self.accepts(value):
            raise units.UnitError(self.type_error(value))
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise units.UnitError(f"{value!r} is out of range; expected a {self.kind} {self._range()}")
        if self.kind == "number" and abs(value) > PLAUSIBLE_NUMBER:
            raise units.UnitError(
                f"{value!r} is implausible (a typing mistake?); expected a number between "
                f"-{PLAUSIBLE_NUMBER:g} and {PLAUSIBLE_NUMBER:g}"
            )
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


class Flag(Spec):
    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise units.UnitError(f"{units.describe(value)} is not true or false")
        return value

    def expects(self) -> str:
        return "true or false"

    def json(self) -> dict:
        return {"type": "boolean"}


@dataclasses.dataclass(frozen=True)
class Text(Spec):
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
                raise units.UnitError(
                    f"{value!r} is not one of {', '.join(self.choices)}{did_you_mean(value, self.choices)}"
                )
            raise units.UnitError(
                f"{units.describe(value)} is not {self.what}{did_you_mean(value, self.choices)}; "
                f"expected one of {', '.join(self.choices)}"
            )
        return value

    def expects(self) -> str:
        if self.example:
            return self.example
        return "text" if not self.choices else "one of " + ", ".join(self.choices)

    def json(self) -> dict:
        return {"type": "string", "enum": list(self.choices)} if self.choices else {"type": "string"}


def Field(default: Any = PydanticUndefined, **kwargs: Any) -> Any:
    """``pydantic.Field``, typed so that a default is written as a user writes it in YAML
    (``Field("0.65/yr", description=...)`` on a quantity): defaults are validated like input."""
    return pydantic.Field(default, **kwargs)


Quantity = units.Quantity
Rate = Annotated[Quantity, Unit("rate")]
NonNegRate = Annotated[Quantity, Unit("rate", lo=0.0)]
Share = Annotated[Quantity, Unit("rate", lo=0.0, hi=1.0)]  # a share written in percent, 0-100%
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


# ------------------------------------------------------------------------------------ models
class Section(BaseModel):
    """Base of every scenario section: strict keys, frozen values, validated defaults; ``null``
    stands for an empty section (all defaults)."""

    #: what a value that is not a mapping is told it should be (None: "a mapping; expected keys ...")
    not_a_mapping: ClassVar[str | None] = None

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, populate_by_name=True, arbitrary_types_allowed=True
    )

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, data: Any) -> Any:
        return {} if data is None else data


def fail(*problems: tuple[tuple, str], title: str = "scenario") -> None:
    """Raise the given (relative key path, message) problems at once from a model validator;
    pydantic prefixes each path with the model's own location."""
    if problems:
        raise ValidationError.from_exception_data(
            title, [InitErrorDetails(type=_err(msg), loc=tuple(path), input=None) for path, msg in problems]
        )


class Checks:
    """Collects cross-field problems in a validator: ``c.add(("key",), "message")`` then
    ``c.raise_all()``."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []

    def add(self, path: tuple, message: str) -> None:
        self.items.append((path, message))

    def raise_all(self) -> None:
        fail(*self.items)
