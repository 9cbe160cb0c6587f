"""A small declarative schema for scenario files.

Each block module declares its parameters as a :class:`Section` of fields. Validation is
strict (unknown keys are errors, with a did-you-mean), gathers *all* problems before it
stops, and reports each with the file and line it came from. The same declarations export a
JSON Schema (``ustsim schema``) and write a resolved scenario back to YAML losslessly (a
quantity keeps the text it was written with).
"""
from __future__ import annotations

import datetime as _dt
import difflib
from typing import Any, Callable

from . import units
from .errors import Problem
from .yamlio import dotted

MISSING = object()


class Ctx:
    """Where values came from, and the problems found so far."""

    def __init__(self, origins: dict[tuple, tuple[str, int | None]], default_file: str):
        self.origins = origins
        self.default_file = default_file
        self.problems: list[Problem] = []

    def loc(self, path: tuple) -> tuple[str, int | None]:
        p = tuple(path)
        while True:
            if p in self.origins:
                return self.origins[p]
            if not p:
                return (self.default_file, None)
            p = p[:-1]

    def error(self, path: tuple, message: str) -> None:
        file, line = self.loc(path)
        self.problems.append(Problem(file, line, dotted(path), message))


class Field:
    """Base of all schema fields."""

    def __init__(self, doc: str = "", default: Any = MISSING):
        self.doc = doc
        self.default = default

    def resolve(self, value, path: tuple, ctx: Ctx):
        raise NotImplementedError

    def to_plain(self, resolved):
        """Resolved value → plain YAML data that resolves back to the same value."""
        return resolved

    def json(self) -> dict:
        raise NotImplementedError

    def _describe(self, d: dict) -> dict:
        if self.doc:
            d["description"] = self.doc
        if self.default is not MISSING and self.default is not None:
            d["default"] = self.default if not isinstance(self.default, _dt.date) else self.default.isoformat()
        return d


class Q(Field):
    """A quantity with a unit (see :mod:`engine.units`); ``lo``/``hi`` bound the canonical value."""

    def __init__(self, dim: str, doc: str = "", default: Any = MISSING, lo: float | None = None,
                 hi: float | None = None, lo_open: bool = False):
        super().__init__(doc, default)
        self.dim, self.lo, self.hi, self.lo_open = dim, lo, hi, lo_open

    def resolve(self, value, path, ctx):
        try:
            q = units.parse(value, self.dim)
        except units.UnitError as exc:
            ctx.error(path, str(exc))
            return None
        v = q.years if isinstance(q, units.Tenor) else (q.value if isinstance(q, units.Quantity) else None)
        if v is not None:
            if self.lo is not None and (v < self.lo or (self.lo_open and v == self.lo)):
                ctx.error(path, f"{units.describe(value)} is out of range; expected a value "
                                f"{'above' if self.lo_open else 'at least'} {self._fmt(self.lo)}")
                return None
            if self.hi is not None and v > self.hi:
                ctx.error(path, f"{units.describe(value)} is out of range; expected at most {self._fmt(self.hi)}")
                return None
        return q

    def _fmt(self, v: float) -> str:
        if self.dim in ("rate", "gdp_share"):
            return f"{v * 1e4:g}bp" if abs(v) < 0.01 else f"{v * 100:g}%"
        if self.dim == "vol":
            return f"{v * 100:g}%/sqrt(yr)"
        if self.dim == "speed":
            return f"{v:g}/yr"
        if self.dim == "tenor":
            return f"{v:g} years"
        if self.dim == "money":
            return f"{v:g}bn"
        if self.dim == "flow":
            return f"{v:g}bn/yr"
        return f"{v:g}"

    def to_plain(self, resolved):
        if isinstance(resolved, _dt.date):
            return resolved
        return None if resolved is None else str(resolved)

    def json(self):
        if self.dim == "date":
            return self._describe({"type": "string", "format": "date"})
        pat = units._PATTERNS[self.dim].pattern
        return self._describe({"type": "string", "pattern": pat, "examples": [units.EXAMPLES[self.dim]]})


class _Bounded(Field):
    """A number within optional bounds ``lo``/``hi`` (shared by :class:`Num` and :class:`Int`)."""

    kind = "number"
    json_type = "number"

    def __init__(self, doc: str = "", default: Any = MISSING, lo: float | None = None, hi: float | None = None):
        super().__init__(doc, default)
        self.lo, self.hi = lo, hi

    def _accepts(self, value) -> bool:
        raise NotImplementedError

    def _type_error(self, value) -> str:
        return f"{units.describe(value)} is not a {self.kind}"

    def resolve(self, value, path, ctx):
        if isinstance(value, bool) or not self._accepts(value):
            ctx.error(path, self._type_error(value))
            return None
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            ctx.error(path, f"{value!r} is out of range; expected a {self.kind} {self._range()}")
            return None
        return self._convert(value)

    def _convert(self, value):
        return value

    def _range(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"between {self.lo:g} and {self.hi:g}"
        return f"at least {self.lo:g}" if self.lo is not None else f"at most {self.hi:g}"

    def json(self):
        d: dict = {"type": self.json_type}
        if self.lo is not None:
            d["minimum"] = self.lo
        if self.hi is not None:
            d["maximum"] = self.hi
        return self._describe(d)


class Num(_Bounded):
    """A dimensionless number (coefficients, correlations, shares)."""

    kind = "number"

    def _accepts(self, value) -> bool:
        return isinstance(value, (int, float))

    def _type_error(self, value) -> str:
        both = self.lo is not None and self.hi is not None
        return (f"{units.describe(value)} is not a number; expected a plain number"
                + (f" {self._range()}" if both else ""))

    def _convert(self, value):
        return float(value)


class Int(_Bounded):
    """A whole number (counts such as paths, seeds)."""

    kind = "whole number"
    json_type = "integer"

    def _accepts(self, value) -> bool:
        return isinstance(value, int)


class Bool(Field):
    def resolve(self, value, path, ctx):
        if not isinstance(value, bool):
            ctx.error(path, f"{units.describe(value)} is not true or false")
            return None
        return value

    def json(self):
        return self._describe({"type": "boolean"})


class Str(Field):
    def __init__(self, doc: str = "", default: Any = MISSING, choices: list[str] | None = None):
        super().__init__(doc, default)
        self.choices = choices

    def resolve(self, value, path, ctx):
        if not isinstance(value, str):
            ctx.error(path, f"{units.describe(value)} is not text")
            return None
        if self.choices is not None and value not in self.choices:
            ctx.error(path, f"{value!r} is not one of {', '.join(self.choices)}{_did_you_mean(value, self.choices)}")
            return None
        return value

    def json(self):
        d: dict = {"type": "string"}
        if self.choices:
            d["enum"] = list(self.choices)
        return self._describe(d)


class Nullable(Field):
    """A field that may also be ``null`` (YAML ``~``)."""

    def __init__(self, inner: Field, doc: str = "", default: Any = None):
        super().__init__(doc or inner.doc, default)
        self.inner = inner

    def resolve(self, value, path, ctx):
        return None if value is None else self.inner.resolve(value, path, ctx)

    def to_plain(self, resolved):
        return None if resolved is None else self.inner.to_plain(resolved)

    def json(self):
        return self._describe({"anyOf": [self.inner.json(), {"type": "null"}]})


class ListOf(Field):
    def __init__(self, item: Field, doc: str = "", default: Any = MISSING, min_len: int = 0):
        super().__init__(doc, default)
        self.item, self.min_len = item, min_len

    def resolve(self, value, path, ctx):
        if not isinstance(value, list):
            ctx.error(path, f"{units.describe(value)} is not a list")
            return None
        if len(value) < self.min_len:
            ctx.error(path, f"expected at least {self.min_len} item(s)")
            return None
        out = [self.item.resolve(v, path + (i,), ctx) for i, v in enumerate(value)]
        return out

    def to_plain(self, resolved):
        return [self.item.to_plain(v) for v in resolved]

    def json(self):
        d = {"type": "array", "items": self.item.json()}
        if self.min_len:
            d["minItems"] = self.min_len
        return self._describe(d)


class TenorMap(Field):
    """A mapping tenor → value (for example an initial curve ``{2y: 3.45%, 10y: 4.14%}``)."""

    def __init__(self, value: Field, doc: str = "", default: Any = MISSING):
        super().__init__(doc, default)
        self.value = value

    def resolve(self, value, path, ctx):
        if not isinstance(value, dict):
            ctx.error(path, f"{units.describe(value)} is not a mapping of tenor to value")
            return None
        out = {}
        for k, v in value.items():
            try:
                t = units.parse(k, "tenor")
            except units.UnitError as exc:
                ctx.error(path + (k,), f"key {exc}")
                continue
            out[t] = self.value.resolve(v, path + (k,), ctx)
        return out

    def to_plain(self, resolved):
        return {str(k): self.value.to_plain(v) for k, v in resolved.items()}

    def json(self):
        return self._describe({"type": "object", "propertyNames": {"pattern": units._PATTERNS["tenor"].pattern},
                               "additionalProperties": self.value.json()})


class Section(Field):
    """A mapping with a fixed set of keys. ``check(resolved, path, ctx)`` adds cross-field checks."""

    def __init__(self, fields: dict[str, Field], doc: str = "", check: Callable | None = None):
        super().__init__(doc, default={})
        self.fields = fields
        self.check = check

    def resolve(self, value, path, ctx):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            ctx.error(path, f"{units.describe(value)} is not a mapping; expected keys "
                            f"{', '.join(self.fields)}")
            return None
        out: dict = {}
        for k in value:
            if k not in self.fields:
                ctx.error(path + (k,), f"unknown key{_did_you_mean(k, list(self.fields))}; "
                                       f"expected one of {', '.join(self.fields)}")
        for name, field in self.fields.items():
            if name in value:
                out[name] = field.resolve(value[name], path + (name,), ctx)
            elif field.default is MISSING:
                ctx.error(path + (name,), f"missing; expected {_expects(field)}")
                out[name] = None
            elif isinstance(field, Section):
                out[name] = field.resolve({}, path + (name,), ctx)
            else:
                out[name] = field.resolve(field.default, path + (name,), ctx) if field.default is not None else None
        if self.check is not None and not _has_errors_under(ctx, path):
            self.check(out, path, ctx)
        return out

    def to_plain(self, resolved):
        return {k: f.to_plain(resolved[k]) for k, f in self.fields.items() if resolved.get(k) is not None}

    def json(self):
        req = [k for k, f in self.fields.items() if f.default is MISSING]
        d = {"type": "object", "properties": {k: f.json() for k, f in self.fields.items()},
             "additionalProperties": False}
        if req:
            d["required"] = req
        if self.doc:
            d["description"] = self.doc
        return d


def _has_errors_under(ctx: Ctx, path: tuple) -> bool:
    pre = dotted(path)
    return any(p.key == pre or p.key.startswith(pre + ".") or p.key.startswith(pre + "[") or not pre
               for p in ctx.problems) if ctx.problems else False


def _expects(field: Field) -> str:
    if isinstance(field, Q):
        return units.EXAMPLES[field.dim]
    if isinstance(field, Int):
        return "a whole number"
    if isinstance(field, Num):
        return "a number"
    if isinstance(field, Str):
        return "text" if not field.choices else "one of " + ", ".join(field.choices)
    return "a value"


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class DatedPath(Field):
    """A path over time given at dates, ``{2025-09-30: 17.1% of gdp, 2055-09-30: 19.3% of gdp}``,
    linearly interpolated between its dates and flat beyond the first and last; a single value
    (no mapping) is a constant path. Resolves to a sorted list of (date, value)."""

    def __init__(self, value: Field, doc: str = "", default: Any = MISSING):
        super().__init__(doc, default)
        self.value = value

    def resolve(self, value, path, ctx):
        if not isinstance(value, dict):
            v = self.value.resolve(value, path, ctx)
            return None if v is None else [(None, v)]
        if not value:
            ctx.error(path, "is empty; expected at least one {date: value} entry")
            return None
        out = []
        for k, v in value.items():
            try:
                d = units.parse_date(k)
            except units.UnitError as exc:
                ctx.error(path + (str(k),), f"key {exc}")
                continue
            r = self.value.resolve(v, path + (str(k),), ctx)
            if r is not None:
                out.append((d, r))
        return sorted(out, key=lambda e: e[0])

    def to_plain(self, resolved):
        if len(resolved) == 1 and resolved[0][0] is None:
            return self.value.to_plain(resolved[0][1])
        return {d.isoformat(): self.value.to_plain(v) for d, v in resolved}

    def json(self):
        return self._describe({"anyOf": [self.value.json(), {
            "type": "object", "propertyNames": {"pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "additionalProperties": self.value.json(), "minProperties": 1}]})


class NameMap(Field):
    """A mapping from a fixed set of names (Treasury maturity buckets) to values. Unknown names
    are errors; names left out get ``missing`` (``None``: absent). With ``total``, the values
    (shares) must sum to 100%."""

    def __init__(self, names: tuple[str, ...], value: Field, doc: str = "", default: Any = MISSING,
                 total: bool = False):
        super().__init__(doc, default)
        self.names, self.value, self.total = names, value, total

    def resolve(self, value, path, ctx):
        if not isinstance(value, dict):
            ctx.error(path, f"{units.describe(value)} is not a mapping; expected keys among {', '.join(self.names)}")
            return None
        out = {}
        for k, v in value.items():
            if str(k) not in self.names:
                ctx.error(path + (str(k),), f"unknown bucket{_did_you_mean(str(k), list(self.names))}; expected one "
                                            f"of {', '.join(self.names)}")
                continue
            r = self.value.resolve(v, path + (str(k),), ctx)
            if r is not None:
                out[str(k)] = r
        if self.total and out and len(out) == len(value):
            s = sum(q.value for q in out.values())
            if abs(s - 1.0) > 1e-9:
                ctx.error(path, f"shares sum to {s * 100:.6g}%; expected 100%")
        return out

    def to_plain(self, resolved):
        return {k: self.value.to_plain(v) for k, v in resolved.items()}

    def json(self):
        return self._describe({"type": "object", "properties": {n: self.value.json() for n in self.names},
                               "additionalProperties": False})
