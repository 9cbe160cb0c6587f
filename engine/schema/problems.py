"""Translation of pydantic's validation errors into the one-line problems users see:
``file:line: dotted.key: what is wrong; what is expected``. See :mod:`engine.schema`."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from .. import units
from ..errors import Problem
from ..yamlio import dotted
from .fields import ERROR, Spec, did_you_mean
from .maps import TAGS


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
        if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
            tp = next(a for a in args if a is not type(None))
            continue
        return tp, meta


def _walk(root: Any, loc: tuple) -> tuple[Any, list, Any]:
    """Follow ``loc`` from the model class ``root``: (type at loc, its metadata, the model class
    that holds the last key or None)."""
    tp, holder = root, None
    meta: list = []
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
        elif origin in (typing.Union, types.UnionType) and part in TAGS:
            tp = next(
                (a for a in typing.get_args(tp) if any(getattr(m, "tag", None) == part for m in _unwrap(a)[1])), None
            )
        else:
            return None, [], None
    bare, more = _unwrap(tp)
    return bare, meta + more, holder


def _expects(meta: list, tp: Any) -> str:
    for m in meta:
        if isinstance(m, Spec):
            return m.expects()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping with keys " + ", ".join(f.alias or n for n, f in tp.model_fields.items())
    return "a value"


def problems(
    exc: ValidationError, root: Any, where: Callable[[tuple], tuple[str, int | None]], prefix: tuple = ()
) -> list[Problem]:
    """One :class:`Problem` per error of ``exc`` (raised validating the model class ``root``);
    ``where(path)`` gives the file and line a key path came from."""
    out = []
    for e in exc.errors(include_url=False):
        kind, inp = e["type"], e.get("input")
        raw = tuple(p for p in e["loc"] if p != "[key]")  # union tags kept: they choose the branch walked
        # union tags are dropped from the path shown, except an unknown key that a user spelt like one
        # (the last part of an extra_forbidden error is always the key given)
        last = len(raw) - 1 if kind == "extra_forbidden" else -1
        loc = tuple(p for i, p in enumerate(raw) if p not in TAGS or i == last)
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
            keys = (
                [f.alias or n for n, f in tp.model_fields.items()]
                if isinstance(tp, type) and issubclass(tp, BaseModel)
                else []
            )
            hint = getattr(tp, "not_a_mapping", None)
            msg = f"{units.describe(inp)} is not " + (
                hint or ("a mapping" + (f"; expected keys {', '.join(keys)}" if keys else ""))
            )
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
