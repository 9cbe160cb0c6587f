"""Scenario files: the top-level scenario model, ``extends:`` resolution, ``--set`` overrides.

A scenario names its base with ``extends: base.yaml`` (relative to its own file) and gives only
what differs. Mappings merge key by key; lists (events, tenors, ...) replace the base's list.
``--set dotted.key=value`` overrides apply last. Every problem found anywhere is reported at
once, each as ``file:line: dotted.key: what is wrong, what is expected``.

The scenario is a pydantic model (:class:`Scenario`): its sections are the simulation, the
initial state, one section per block of :mod:`engine.registry` (each block's ``Params``), the
correlations, the events and the outputs. Cross-section rules are validators here and in the
blocks (``checks(sc)``), including the ones that need the time grid (quasi-random dimensions),
so ``ustsim validate`` refuses exactly what ``ustsim run`` would.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
from typing import Annotated, Any, ClassVar

import yaml
from pydantic import Discriminator, Field, PrivateAttr, Tag, TypeAdapter, ValidationError, create_model, \
    model_validator

from . import units
from .core import calendar
from .core.layout import COMPONENT_NAMES, FISCAL_NAMES, REC_NAMES
from .core.sampling import MAX_DIMENSION
from .core.shocks import Correlations, active_shocks
from .errors import Problem, ScenarioError
from .registry import BLOCKS, COMPONENTS, EVENT_TARGETS, core_blocks, module
from .schema import (Bool, Checks, Date, Int, Memory, Number, Rate, Section, Share, Str, Tenor, Unit, Whole, _Spec,
                     choice, did_you_mean, fail, problems, quantity, tenor_map, whole)
from .yamlio import dump, load_text

# Threshold expressions: "yield_10y > 5%" or "yield_10y - yield_2y < 0bp".
THRESHOLD_RE = re.compile(r"^\s*([a-z_0-9]+)\s*(?:-\s*([a-z_0-9]+)\s*)?(>|<)\s*(\S+)\s*$")
RATE_VARIABLES = tuple(n for n in REC_NAMES if n != "cum_rate")


class Simulation(Section):
    """Time grid, paths and seed."""

    start: Date = Field(description="first date of the simulation (the state in `initial` is as of this date)")
    horizon: Tenor = Field(description="length of the simulation, like 1y or 30y")
    step: Tenor = Field("1m", description="time step: 1d (business days), 1w or 1m")
    record: Tenor | None = Field(None, description="recording interval (default: every step), like 1m")
    paths: whole(lo=1) = Field(10000, description="number of Monte Carlo paths")  # type: ignore[valid-type]
    seed: whole(lo=0) = Field(description="random seed (required: results depend only on scenario and seed)")  # type: ignore[valid-type]
    chunk_paths: whole(lo=1) = Field(16384, description="paths per work chunk (memory/threading granularity; "  # type: ignore[valid-type]
                                                        "does not change results)")
    antithetic: Bool = Field(False, description="antithetic variates: half the paths of each block take the negated "
                                                "random numbers of the other half (half the draws; standard errors "
                                                "are computed from pair means)")
    quasi_random: Bool = Field(False, description="scrambled Sobol points through a Brownian bridge for the Gaussian "
                                                  "shocks, one randomisation per block of 256 paths (standard errors "
                                                  "from the spread of block means; jumps stay pseudo-random)")
    max_memory: Memory | None = Field(None, description="refuse a run whose estimated memory exceeds this (default: "
                                                        "80% of available memory)")

    @model_validator(mode="after")
    def _check(self) -> Simulation:
        c = Checks()
        if str(self.step) not in calendar.STEPS:
            fail((("step",), f"'{self.step}' is not a supported step; expected one of {', '.join(calendar.STEPS)}"))
        if self.horizon.years < self.step.years - 1e-12:
            c.add(("horizon",), f"'{self.horizon}' is shorter than one step ({self.step}); expected a horizon of at "
                                "least one step")
        elif self.step.unit == "m" and self.horizon.months is None:
            c.add(("horizon",), f"'{self.horizon}' is not whole months; with monthly steps expected a horizon in m "
                                "or y")
        if self.antithetic and self.quasi_random:
            c.add(("quasi_random",), "cannot be combined with antithetic: true; choose one")
        if self.quasi_random and self.paths < 512:
            c.add(("paths",), f"{self.paths} paths are too few for quasi_random: its standard errors come from the "
                              "spread between blocks of 256 paths; expected at least 512")
        if self.record is not None and self.record.years < self.step.years - 1e-12:
            c.add(("record",), f"'{self.record}' is shorter than the step ({self.step}); expected a recording "
                               "interval of at least one step")
        c.raise_all()
        return self


class Initial(Section):
    """State of the market at the start."""

    fed_funds: Rate = Field(description="policy rate (effective fed funds) at the start")
    inflation: Rate | None = Field(None, description="inflation (core PCE y/y) at the start (default: target)")
    inflation_expectations: Rate | None = Field(None, description="long-run inflation expectations (default: target)")
    output_gap: Rate = Field("0%", description="output gap, % of potential")
    neutral_rate: Rate | None = Field(None, description="neutral real rate r* (default: its long-run mean)")
    curve: tenor_map(Rate) | None = Field(None, description="observed yields; the initial term premium is fitted to "  # type: ignore[valid-type]
                                                            "them")
    term_premium: Rate | None = Field(None, description="initial 10y term premium (instead of a curve)")
    policy_stance: Rate = Field("0bp", description="deviation of the Fed's target from the rule at the start")
    fit_also: list[choice("policy_stance", "neutral_rate", "output_gap")] = Field(  # type: ignore[valid-type]
        [], description="with a curve: states fitted by least squares together with the term premium (their values "
                        "given here are then ignored)")
    inflation_risk_premium: Rate | None = Field(None, description="initial 10y inflation risk premium (default: its "
                                                                  "mean)")
    convenience_yield: Rate | None = Field(None, description="initial 3m convenience yield (default: its mean)")
    liquidity_wedge: Rate = Field("0bp", description="initial 10y supply/liquidity wedge")
    fire_sale: Rate = Field("0bp", description="initial 10y fire-sale dislocation")

    @model_validator(mode="after")
    def _check(self) -> Initial:
        c = Checks()
        if (self.term_premium is None) == (self.curve is None):
            c.add(("curve" if self.term_premium is None else "term_premium",),
                  "give exactly one of initial.curve (the term premium is fitted to it) or initial.term_premium")
        elif self.fit_also:
            n = 1 + len(self.fit_also)
            if self.curve is None or len(self.curve) < n:
                c.add(("fit_also",), f"fitting {n} states needs an initial.curve with at least {n} tenors")
            if len(set(self.fit_also)) < len(self.fit_also):
                c.add(("fit_also",), "lists a state twice")
        c.raise_all()
        return self


class Outputs(Section):
    """What to record and report."""

    tenors: Annotated[list[quantity("tenor", lo=1.0 / 252)], Field(min_length=1)] = Field(  # type: ignore[valid-type]
        ["3m", "2y", "5y", "10y", "30y"], description="yield tenors to compute and record")
    quantiles: Annotated[list[Share], Field(min_length=1)] = Field(
        ["1%", "5%", "25%", "50%", "75%", "95%", "99%"], description="quantiles of the fans")
    thresholds: list[Str] = Field(["yield_10y > 5%", "yield_10y - yield_2y < 0bp"],
                                  description="crossing probabilities to report, like 'yield_10y > 5%' or "
                                              "'yield_10y - yield_2y < 0bp'")
    charts: Bool = Field(True, description="write PNG fan charts")
    keep_paths: whole(lo=0) = Field(1000, description="paths whose full records are kept (the first ones; for "  # type: ignore[valid-type]
                                                      "Results.raw/paths and checks): fans and metrics always cover "
                                                      "every path, from streaming summaries")


# ------------------------------------------------------------------------------------ events
def settable() -> dict[str, Any]:
    """``block.key`` -> field annotation, for the numbers an event may set: every quantity (not a
    date) and plain number of the core blocks' sections but their FIXED keys."""
    out = {}
    for b in core_blocks():
        mod = module(b.name)
        for key, f in mod.Params.model_fields.items():
            spec = next((m for m in f.metadata if isinstance(m, _Spec)), None)
            if key in mod.FIXED or spec is None:
                continue
            if (isinstance(spec, Number) and not isinstance(spec, Whole)) or (isinstance(spec, Unit)
                                                                               and spec.dim != "date"):
                out[f"{b.name}.{key}"] = Annotated[f.annotation, *f.metadata]
    return out


SETTABLE = settable()


class _Settable(_Spec):
    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in SETTABLE:
            raise units.UnitError(f"{units.describe(value)} is not a parameter an event can set"
                                  f"{did_you_mean(value, SETTABLE)}")
        return value

    def expects(self) -> str:
        return "a parameter, like macro.learning_gain"

    def json(self) -> dict:
        return {"enum": list(SETTABLE)}


class _NewValue(_Spec):
    def validate(self, value: Any) -> Any:
        return value

    def serialize(self, value: Any) -> Any:
        return str(value) if isinstance(value, (units.Quantity, units.Tenor)) else value

    def expects(self) -> str:
        return "the parameter's new value"

    def json(self) -> dict:
        return {}


class ShockEvent(Section):
    """A dated shock: a level change of a state, or with ``half_life`` a decaying overlay on an
    additive yield component."""

    kind: ClassVar[str] = "shock"
    date: Date = Field(description="when")
    shock: choice(*EVENT_TARGETS, what="a shockable state", example="the state to shock, e.g. term_premium") = Field(  # type: ignore[valid-type]
        description="the state moved")
    size: Rate = Field(description="size of the move")
    half_life: Tenor | None = Field(None, description="a decaying overlay with this half-life (yield components "
                                                      "only)")
    note: Str | None = Field(None, description="free text")

    @model_validator(mode="after")
    def _check(self) -> ShockEvent:
        if self.half_life is not None and self.shock not in [c.row for c in COMPONENTS]:
            fail((("half_life",), f"{self.shock} takes level shocks only (they fade at the model's own persistence); "
                                  f"half_life is for {', '.join(c.row for c in COMPONENTS)}"))
        return self


class SetEvent(Section):
    """A dated change of a parameter: a new regime the market does not anticipate."""

    kind: ClassVar[str] = "set"
    date: Date = Field(description="when")
    set: Annotated[str, _Settable()] = Field(description="the parameter, like macro.learning_gain")
    value: Annotated[Any, _NewValue()] = Field(description="its new value, with its unit")
    note: Str | None = Field(None, description="free text")

    @model_validator(mode="after")
    def _value(self) -> SetEvent:
        adapter = TypeAdapter(SETTABLE[self.set])
        try:
            v = adapter.validate_python(self.value)
        except ValidationError as exc:
            fail(*((("value",), e["msg"]) for e in exc.errors(include_url=False)))
        object.__setattr__(self, "value", v)
        return self


def _event_kind(v: Any) -> str:
    return "<set event>" if isinstance(v, SetEvent) or (isinstance(v, dict) and "set" in v) else "<shock event>"


Event = Annotated[Annotated[ShockEvent, Tag("<shock event>")] | Annotated[SetEvent, Tag("<set event>")],
                  Discriminator(_event_kind)]


# ------------------------------------------------------------------------------------ scenario
class Scenario(Section):
    """A validated scenario: every section resolved to canonical units (quantities keep the text
    they were written with), plus where it came from. Sections are attributes:
    ``sc.simulation.paths``, ``sc.initial.fed_funds.value``, ``sc.term_premium.vol.value`` (one
    per block of engine.registry)."""

    name: Str = Field("unnamed", description="scenario name")
    description: Str = Field("", description="what the scenario is about")
    simulation: Simulation = Field({}, description="time grid, paths and seed")
    initial: Initial = Field({}, description="state of the market at the start")
    correlations: Correlations = Field({}, description="pairwise correlations of the Gaussian shocks, e.g. "
                                                       "{term_premium: {policy_rate: 0.3}}; unlisted pairs are "
                                                       "uncorrelated")
    events: list[Event] = Field([], description="dated shocks and parameter changes")
    outputs: Outputs = Field({}, description="what to record and report")
    _source: str = PrivateAttr("<string>")
    _overrides: tuple[str, ...] = PrivateAttr(())

    @property
    def source(self) -> str:
        return self._source

    @property
    def overrides(self) -> tuple[str, ...]:
        return self._overrides

    @property
    def seed(self) -> int:
        return self.simulation.seed

    def section(self, name: str) -> Any:
        """The parameters of block ``name`` (engine.registry)."""
        return getattr(self, name)

    def to_plain(self) -> dict:
        """Plain YAML data that resolves back to this scenario."""
        d = self.model_dump(mode="python", by_alias=True, exclude_none=True)
        order = ["name", "description", "simulation", "initial", *(b.name for b in BLOCKS), "correlations",
                 "events", "outputs"]
        return {k: d[k] for k in order if k in d}

    def to_yaml(self) -> str:
        head = f"# resolved from {self.source}" + (f" with --set {' '.join(self.overrides)}" if self.overrides else "")
        return head + "\n" + dump(self.to_plain())

    def digest(self) -> str:
        return hashlib.sha256(self.to_yaml().split("\n", 1)[1].encode()).hexdigest()[:16]

    def with_overrides(self, overrides) -> Scenario:
        """A new scenario with ``dotted.key=value`` overrides applied to this one."""
        plain = self.to_plain()
        origins: dict = {}
        probs: list[Problem] = []
        _apply_overrides(plain, origins, list(overrides), probs)
        return _validate(plain, origins, self.source, tuple(self.overrides) + tuple(overrides), probs)

    def calendar(self) -> calendar.Calendar:
        s = self.simulation
        return calendar.build(s.start, s.horizon, s.step, s.record)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        c = Checks()
        for b in BLOCKS:  # each block's rules across sections
            for path, msg in getattr(module(b.name), "checks", lambda sc: [])(self):
                c.add(path, msg)
        sim = self.simulation
        end = calendar.end_date(sim.start, sim.horizon)
        for i, ev in enumerate(self.events):
            if not sim.start <= ev.date < end:
                c.add(("events", i, "date"), f"{ev.date} is outside the simulation [{sim.start}, {end}); expected a "
                                             "date in it")
        outs = self.outputs
        names = [str(t) for t in outs.tenors]
        for i, n in enumerate(names):
            if n in names[:i]:
                c.add(("outputs", "tenors", i), f"tenor {n} is listed twice")
        for i, q in enumerate(outs.quantiles):
            if not 0.0 < q.value < 1.0:
                c.add(("outputs", "quantiles", i), f"'{q}' is not a quantile; expected a value strictly between 0% "
                                                   "and 100%")
        variables = set(RATE_VARIABLES) | {f"yield_{n}" for n in names}
        if self.section("treasury").enabled:
            variables |= set(FISCAL_NAMES)
        for i, expr in enumerate(outs.thresholds):
            m = THRESHOLD_RE.match(expr)
            where = ("outputs", "thresholds", i)
            if not m:
                c.add(where, f"{expr!r} is not a threshold; expected 'VARIABLE > RATE' or 'VARIABLE - VARIABLE < "
                             "RATE', like 'yield_10y > 5%'")
                continue
            for v in (m.group(1), m.group(2)):
                if v is not None and v not in variables:
                    c.add(where, f"unknown variable {v!r}{did_you_mean(v, sorted(variables))}; expected one of "
                                 f"{', '.join(sorted(variables))}")
            try:
                units.parse(m.group(4), "rate")
            except units.UnitError as exc:
                c.add(where, f"threshold {exc}")
        if sim.quasi_random and not c.items:
            from .core.events import regimes
            cal = self.calendar()
            n, k = cal.n_steps, len(active_shocks(regimes(self, cal)[0]))
            if n * k > MAX_DIMENSION:
                c.add(("simulation", "quasi_random"), f"needs steps x Gaussian shocks <= {MAX_DIMENSION} Sobol "
                                                      f"dimensions, here {n} x {k} = {n * k}; use longer steps, a "
                                                      "shorter horizon or fewer shocks")
        c.raise_all()
        return self


#: The scenario model with one section per block of the registry (after the fixed sections).
ScenarioModel: type[Scenario] = create_model(  # type: ignore[call-overload]
    "Scenario", __base__=Scenario, __module__=__name__,
    **{b.name: (module(b.name).Params, Field({}, description=b.doc)) for b in BLOCKS})


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of scenario files, for editors."""
    d = ScenarioModel.model_json_schema()
    d["properties"] = {"extends": {"type": "string", "description": "base scenario file, relative to this one"},
                       **d["properties"]}
    d["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    d["title"] = "ustsim scenario"
    return d


def _load_tree(path: str, stack: tuple[str, ...], origins: dict, problems: list[Problem],
               display: str, via: tuple | None) -> dict | None:
    real = os.path.realpath(path)
    if real in stack:
        chain = " -> ".join(os.path.basename(p) for p in stack + (real,))
        file, line, key = via
        problems.append(Problem(file, line, key, f"extends cycle: {chain}"))
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        if via is None:
            problems.append(Problem(display, None, "", "file not found"))
        else:
            problems.append(Problem(via[0], via[1], via[2], f"file {display!r} not found; expected a scenario file "
                                                            "path relative to this file"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(display, None, "", f"cannot read file: {exc}"))
        return None
    try:
        data, lines = load_text(text, display)
    except ScenarioError as exc:
        problems.extend(exc.problems)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(display, 1, "", "a scenario file must be a mapping of keys to values"))
        return None
    base: dict = {}
    if "extends" in data:
        ext = data.pop("extends")
        eline = lines.get(("extends",))
        if not isinstance(ext, str) or not ext.strip():
            problems.append(Problem(display, eline, "extends", f"{units.describe(ext)} is not a file name; "
                                                               "expected a path like baseline.yaml"))
        else:
            bpath = os.path.join(os.path.dirname(path), ext)
            bdisplay = os.path.normpath(os.path.join(os.path.dirname(display), ext))
            loaded = _load_tree(bpath, stack + (real,), origins, problems, bdisplay, (display, eline, "extends"))
            if loaded is not None:
                base = loaded
    for p, ln in lines.items():
        if p != ("extends",):
            origins[p] = (display, ln)
    return _merge(base, data)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _apply_overrides(data: dict, origins: dict, overrides: list[str], problems: list[Problem]) -> None:
    for item in overrides:
        if "=" not in item:
            problems.append(Problem("command line", None, "--set", f"{item!r} is not dotted.key=value"))
            continue
        key, raw = item.split("=", 1)
        parts = tuple(key.strip().split("."))
        if not all(parts):
            problems.append(Problem("command line", None, "--set", f"{key!r} is not a dotted key like simulation.paths"))
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = data
        ok = True
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node.get(part, {}), dict):
                problems.append(Problem("command line", None, ".".join(parts[:i + 1]),
                                        "is not a mapping; --set reaches keys of mappings only"))
                ok = False
                break
            node = node.setdefault(part, {})
        if ok:
            node[parts[-1]] = value
            origins[parts] = ("command line (--set)", None)


def _validate(data: dict, origins: dict, source: str, overrides: tuple, found: list[Problem]) -> Scenario:
    def where(path: tuple) -> tuple[str, int | None]:
        p = tuple(path)
        while True:
            if p in origins:
                return origins[p]
            if not p:
                return (source, None)
            p = p[:-1]

    out = list(found)
    sc = None
    try:
        sc = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        out += problems(exc, ScenarioModel, where)
    if out or sc is None:
        raise ScenarioError(out)
    sc._source, sc._overrides = source, tuple(overrides)
    return sc


def load_scenario(path: str | os.PathLike, overrides=()) -> Scenario:
    """Read, merge (``extends``), override (``dotted.key=value`` strings) and validate a scenario.

    Raises :class:`~engine.errors.ScenarioError` listing every problem found.
    """
    path = os.fspath(path)
    origins: dict = {}
    found: list[Problem] = []
    data = _load_tree(path, (), origins, found, path, None)
    if data is None or found:  # unreadable files or broken extends: nothing more to check
        raise ScenarioError(found)
    _apply_overrides(data, origins, list(overrides), found)
    return _validate(data, origins, path, tuple(overrides), found)


def loads_scenario(text: str, name: str = "<string>", overrides=()) -> Scenario:
    """Validate a scenario given as YAML text (``extends`` is resolved relative to the cwd)."""
    origins: dict = {}
    found: list[Problem] = []
    data, lines = load_text(text, name)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", "a scenario must be a mapping of keys to values")])
    if "extends" in data:
        ext = data.pop("extends")
        base = _load_tree(str(ext), (), origins, found, str(ext), (name, lines.get(("extends",)), "extends"))
        if base is None or found:
            raise ScenarioError(found)
        data = _merge(base, data)
    for p, ln in lines.items():
        origins[p] = (name, ln)
    _apply_overrides(data, origins, list(overrides), found)
    return _validate(data, origins, name, tuple(overrides), found)


__all__ = ["Scenario", "ScenarioModel", "load_scenario", "loads_scenario", "json_schema", "THRESHOLD_RE"]
