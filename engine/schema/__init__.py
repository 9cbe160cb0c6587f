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

from .fields import (
    ERROR,
    Bool,
    Checks,
    Date,
    Field,
    Flag,
    Flow,
    GdpShare,
    Int,
    Memory,
    Money,
    NonNegRate,
    Num,
    Number,
    PositiveMoney,
    Quantity,
    Rate,
    Section,
    Share,
    Spec,
    Speed,
    Str,
    Tenor,
    Text,
    Unit,
    Vol,
    Whole,
    did_you_mean,
    fail,
)
from .maps import TAGS, Dated, DatedPath, Key, NameMap, TenorMap, is_point_map, key_checker, mapping_of
from .problems import problems

__all__ = [
    "ERROR",
    "TAGS",
    "Bool",
    "Checks",
    "Date",
    "Dated",
    "DatedPath",
    "Field",
    "Flag",
    "Flow",
    "GdpShare",
    "Int",
    "Key",
    "Memory",
    "Money",
    "NameMap",
    "NonNegRate",
    "Num",
    "Number",
    "PositiveMoney",
    "Quantity",
    "Rate",
    "Section",
    "Share",
    "Spec",
    "Speed",
    "Str",
    "Tenor",
    "TenorMap",
    "Text",
    "Unit",
    "Vol",
    "Whole",
    "did_you_mean",
    "fail",
    "is_point_map",
    "key_checker",
    "mapping_of",
    "problems",
]
