"""The scenario language's reference, generated from the typed models (every section of the
registry's blocks and the fixed sections): one table per section with each key, what it takes,
its default as written in YAML, and its meaning. ``ustsim schema --markdown`` prints it;
``docs/scenario-reference.md`` is its committed copy (a test keeps the two equal)."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .registry import BLOCKS
from .scenario import ScenarioModel
from .schema import Dated, NameMap, Spec, TenorMap, Text, Unit
from .schema.problems import _unwrap

_KIND = {
    "rate": "rate (`4.33%`, `25bp`)",
    "gdp_share": "share of GDP (`6.2% of gdp`)",
    "money": "USD (`850bn`, `1.2tn`)",
    "flow": "flow (`60bn/month`)",
    "tenor": "tenor (`1d`, `1w`, `6m`, `10y`)",
    "speed": "speed (`0.65/yr`)",
    "vol": "volatility (`1%/sqrt(yr)`)",
    "memory": "memory (`4GB`)",
    "date": "date (`2025-04-02`)",
}


def _kind(annotation: Any, metadata: list) -> tuple[str, type | None]:
    """What a field takes, in words, and the section model inside it (if any)."""
    tp, meta = _unwrap(annotation)
    meta = list(metadata) + meta
    optional = typing.get_origin(annotation) is not None and type(None) in typing.get_args(annotation)
    for m in meta:
        if isinstance(m, Unit):
            bounds = []
            if m.lo is not None:
                bounds.append(f"{'above' if m.lo_open else 'at least'} {m._fmt(m.lo)}")
            if m.hi is not None:
                bounds.append(f"at most {m._fmt(m.hi)}")
            return _KIND[m.dim] + "".join(", " + b for b in bounds) + (" or null" if optional else ""), None
        if isinstance(m, Text) and m.choices:
            return "one of " + ", ".join(f"`{c}`" for c in m.choices), None
        if isinstance(m, TenorMap):
            return "mapping tenor -> " + _kind(m.value, [])[0], None
        if isinstance(m, NameMap):
            return "mapping bucket -> " + _kind(m.value, [])[0] + (" (sums to 100%)" if m.total else ""), None
        if isinstance(m, Dated):
            return _kind(m.value, [])[0] + ", or a mapping date -> value (a dated path)", None
        if isinstance(m, Spec):
            return m.expects() + (" or null" if optional else ""), None
    if typing.get_origin(tp) is list:
        inner = _unwrap(typing.get_args(tp)[0])[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return "list of mappings", inner
        return "list of " + _kind(typing.get_args(tp)[0], [])[0], None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mapping" + (" or null" if optional else ""), tp
    return "see below", None


def _default(f: Any) -> str:
    if f.default is PydanticUndefined:
        return "required"
    d = f.default
    if d is None:
        return "null"
    if d == {} or (isinstance(d, dict) and not d):
        return "defaults below"
    if isinstance(d, (dict, list)):
        return f"`{d}`".replace("'", "")
    return f"`{str(d).lower() if isinstance(d, bool) else d}`"


def _section(title: str, model: Any, out: list[str], depth: int = 3) -> None:
    """A table of the keys of section ``model`` (a pydantic model class), then its subsections."""
    out += [f"{'#' * depth} `{title}`", ""]
    if model.__doc__:
        out += [" ".join(model.__doc__.split()), ""]
    out += ["| key | takes | default | meaning |", "|---|---|---|---|"]
    nested = []
    for name, f in model.model_fields.items():
        key = f.alias or name
        kind, inner = _kind(f.annotation, list(f.metadata))
        out.append(f"| `{key}` | {kind} | {_default(f)} | {(f.description or '').replace('|', '/')} |")
        if inner is not None:
            nested.append((f"{title}.{key}", inner))
    out.append("")
    for t, m in nested:
        _section(t, m, out, depth)


def markdown() -> str:
    """The reference as markdown."""
    out = [
        "# Scenario reference",
        "",
        "Generated from the typed models by `ustsim schema --markdown`; every key, what it takes, its default "
        "as written in YAML and its meaning. Quantities carry units (README: Scenario files).",
        "",
    ]
    fields = ScenarioModel.model_fields
    out += [
        "## Top level",
        "",
        "| key | takes | default | meaning |",
        "|---|---|---|---|",
        "| `extends` | text | none | base scenario file, relative to this one |",
        f"| `name` | text | `unnamed` | {fields['name'].description} |",
        f"| `description` | text | empty | {fields['description'].description} |",
        "",
    ]
    for name in ("simulation", "initial"):
        _section(name, fields[name].annotation, out, 2)
    out += ["## Blocks", "", "One section per block of the registry (engine/registry.py), in the order they step.", ""]
    for b in BLOCKS:
        _section(b.name, fields[b.name].annotation, out, 3)
    _section("outputs", fields["outputs"].annotation, out, 2)
    out += [
        "## `correlations` and `events`",
        "",
        f"`correlations`: {fields['correlations'].description}.",
        "",
        "`events`: a list of dated shocks (`{date, shock, size, half_life, sets_target, note}`) and parameter changes "
        "(`{date, set, value, note}`); see README: Scenario files.",
        "",
    ]
    return "\n".join(out)


def library_lines() -> list[str]:
    """One line per library scenario (engine.catalog): name, period and step, the optional blocks
    it switches on and its number of events, and its description."""
    from . import catalog
    from .core.calendar import end_date
    from .scenario import load_scenario

    rows = []
    for name in catalog.names():
        sc = load_scenario(catalog.library_path(name) or name)
        sim = sc.simulation
        on = [b for b in ("treasury", "stablecoins", "basis_trade") if sc.section(b).enabled]
        n = len(sc.events)
        blocks = "+".join(["core", *on]) + (f", {n} event{'s' if n > 1 else ''}" if n else "")
        period = f"{sim.start} -> {end_date(sim.start, sim.horizon)} by {sim.step}"
        rows.append((name, period, blocks, sc.description or ""))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    return [f"{n:<{w0}}  {p:<{w1}}  {b:<{w2}}  {d}" for n, p, b, d in rows]
