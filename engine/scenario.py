"""Scenario files: the top-level scenario model, ``extends:`` resolution, ``--set`` overrides.

A scenario names its base with ``extends: base.yaml`` (relative to its own file) and gives only
what differs. Sections merge key by key; lists (events, tenors, ...) and point maps (a tenor,
bucket or date -> value map such as ``initial.curve``, :data:`POINT_MAPS`) replace the base's
whole. ``--set dotted.key=value`` overrides apply last (``--set initial.curve={2y: 1%}`` replaces
the map; ``--set initial.curve.30y=4%`` sets one point of it). Every problem found anywhere is reported at
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
from typing import Any

from pydantic import BaseModel, PrivateAttr, ValidationError, create_model, model_validator

from . import catalog, units
from .core import calendar
from .core.events import regime_problems, regimes
from .core.layout import FISCAL_NAMES, PLUMBING_BLOCK, PLUMBING_UNITS
from .core.sampling import MAX_DIMENSION
from .core.shocks import Correlations, active_shocks
from .errors import Problem, ScenarioError
from .registry import BLOCKS, module
from .schema import Checks, Field, Section, Str, did_you_mean, is_point_map, problems
from .schema.problems import _unwrap
from .sections import RATE_VARIABLES, THRESHOLD_RE, Event, Initial, Outputs, Simulation
from .yamlio import MAX_BYTES, dump, load_text, parse_value


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
    correlations: Correlations = Field(
        {},
        description="pairwise correlations of the Gaussian shocks, e.g. "
        "{term_premium: {policy_rate: 0.3}}; unlisted pairs are "
        "uncorrelated",
    )
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
        order = [
            "name",
            "description",
            "simulation",
            "initial",
            *(b.name for b in BLOCKS),
            "correlations",
            "events",
            "outputs",
        ]
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
            if b.group == "core":  # the regimes `set` events start (the plumbing blocks check theirs)
                for path, msg in regime_problems(self, b.name):
                    c.add(path, msg)
        sim = self.simulation
        end = calendar.end_date(sim.start, sim.horizon)
        for i, ev in enumerate(self.events):
            if not sim.start <= ev.date < end:
                c.add(
                    ("events", i, "date"),
                    f"{ev.date} is outside the simulation [{sim.start}, {end}); expected a date in it",
                )
        outs = self.outputs
        names = [str(t) for t in outs.tenors]
        for i, n in enumerate(names):
            if n in names[:i]:
                c.add(("outputs", "tenors", i), f"tenor {n} is listed twice")
        for i, q in enumerate(outs.quantiles):
            if not 0.0 < q.value < 1.0:
                c.add(
                    ("outputs", "quantiles", i),
                    f"'{q}' is not a quantile; expected a value strictly between 0% and 100%",
                )
        variables = set(RATE_VARIABLES) | {f"yield_{n}" for n in names}
        if self.section("treasury").enabled:
            variables |= set(FISCAL_NAMES)
        variables |= {  # the plumbing blocks' rates, when on
            n for n, u in PLUMBING_UNITS.items() if u == "pct" and getattr(self, PLUMBING_BLOCK[n]).enabled
        }
        for i, expr in enumerate(outs.thresholds):
            m = THRESHOLD_RE.match(expr)
            where = ("outputs", "thresholds", i)
            if not m:
                c.add(
                    where,
                    f"{expr!r} is not a threshold; expected 'VARIABLE > RATE' or 'VARIABLE - VARIABLE < "
                    "RATE', like 'yield_10y > 5%'",
                )
                continue
            for v in (m.group(1), m.group(2)):
                if v is not None and v not in variables:
                    c.add(
                        where,
                        f"unknown variable {v!r}{did_you_mean(v, sorted(variables))}; expected one of "
                        f"{', '.join(sorted(variables))}",
                    )
            try:
                units.parse(m.group(4), "rate")
            except units.UnitError as exc:
                c.add(where, f"threshold {exc}")
        if sim.quasi_random and not c.items:
            cal = self.calendar()
            n_steps, k = cal.n_steps, len(active_shocks(regimes(self, cal)[0]))
            if n_steps * k > MAX_DIMENSION:
                c.add(
                    ("simulation", "quasi_random"),
                    f"needs steps x Gaussian shocks <= {MAX_DIMENSION} Sobol "
                    f"dimensions, here {n_steps} x {k} = {n_steps * k}; use longer steps, a "
                    "shorter horizon or fewer shocks",
                )
        c.raise_all()
        return self


#: The scenario model with one section per block of the registry (after the fixed sections).
ScenarioModel: type[Scenario] = create_model(  # type: ignore[call-overload]
    "Scenario",
    __base__=Scenario,
    __module__=__name__,
    **{b.name: (module(b.name).Params, Field({}, description=b.doc)) for b in BLOCKS},
)


def _point_maps(model: type[BaseModel], path: tuple = ()) -> frozenset[tuple[str, ...]]:
    """Key paths of every point map in the sections of ``model`` (not inside lists: a list
    replaces the base's whole anyway)."""
    out: set[tuple[str, ...]] = set()
    for name, f in model.model_fields.items():
        tp, meta = _unwrap(f.annotation)
        key = f.alias or name
        if is_point_map(list(f.metadata) + meta):
            out.add((*path, key))
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            out |= _point_maps(tp, (*path, key))
    return frozenset(out)


#: Key paths of the point maps (``initial.curve``, ``term_premium.loadings``, the maturity mixes,
#: the dated paths...): a child file that gives one replaces the inherited map as a whole (a map
#: is one observation or one schedule; merging two is never what is meant). docs/design.md.
POINT_MAPS = _point_maps(ScenarioModel)


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of scenario files, for editors."""
    d = ScenarioModel.model_json_schema()
    d["properties"] = {
        "extends": {"type": "string", "description": "base scenario file, relative to this one"},
        **d["properties"],
    }
    d["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    d["title"] = "ustsim scenario"
    return d


def _load_tree(
    path: str, stack: tuple[str, ...], origins: dict, problems: list[Problem], display: str, via: tuple | None
) -> dict | None:
    real = os.path.realpath(path)
    if real in stack:
        chain = " -> ".join(os.path.basename(p) for p in stack + (real,))
        assert via is not None  # the first file cannot be its own base
        file, line, key = via
        problems.append(Problem(file, line, key, f"extends cycle: {chain}"))
        return None
    try:
        if os.path.exists(path) and not os.path.isfile(path):
            file, line, key = (display, None, "") if via is None else via
            problems.append(Problem(file, line, key, f"{display!r} is not a regular file; expected a scenario file"))
            return None
        with open(path, encoding="utf-8") as fh:
            text = fh.read(MAX_BYTES + 1)  # a longer file is refused by load_text, unread beyond this
    except FileNotFoundError:
        if via is None:
            problems.append(Problem(display, None, "", "file not found"))
        else:
            problems.append(
                Problem(
                    via[0],
                    via[1],
                    via[2],
                    f"file {display!r} not found; expected a scenario file path relative to this file, or the "
                    "name of a library scenario (ustsim scenarios)",
                )
            )
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
            problems.append(
                Problem(
                    display,
                    eline,
                    "extends",
                    f"{units.describe(ext)} is not a file name; expected a path like baseline.yaml",
                )
            )
        else:
            bpath = os.path.join(os.path.dirname(path), ext)
            local = catalog.resolve(bpath)  # the file, or <file>.yaml, beside this one
            lib = None if os.path.exists(local) else catalog.library_path(ext)  # else extends: baseline
            ext_shown = ext + ".yaml" if local.endswith(".yaml") and not ext.endswith(".yaml") else ext
            bpath = lib or local
            bdisplay = lib or os.path.normpath(os.path.join(os.path.dirname(display), ext_shown))
            loaded = _load_tree(bpath, stack + (real,), origins, problems, bdisplay, (display, eline, "extends"))
            if loaded is not None:
                base = loaded
    for p, ln in lines.items():
        if p != ("extends",):
            origins[p] = (display, ln)
    return _merge(base, data)


def _merge(base: dict, over: dict, path: tuple = ()) -> dict:
    """``over`` on top of ``base``: sections merge key by key, everything else (values, lists,
    point maps) replaces."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and (*path, k) not in POINT_MAPS:
            out[k] = _merge(out[k], v, (*path, k))
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
            problems.append(
                Problem("command line", None, "--set", f"{key!r} is not a dotted key like simulation.paths")
            )
            continue
        try:
            value = parse_value(raw, key.strip())
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        node = data
        ok = True
        for i, part in enumerate(parts[:-1]):
            if not isinstance(node.get(part, {}), dict):
                problems.append(
                    Problem(
                        "command line",
                        None,
                        ".".join(parts[: i + 1]),
                        "is not a mapping; --set reaches keys of mappings only",
                    )
                )
                ok = False
                break
            node = node.setdefault(part, {})
        if ok:
            node[parts[-1]] = value
            for p in [p for p in origins if p[: len(parts)] == parts]:  # what the value replaced
                del origins[p]
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
    path = catalog.resolve(os.fspath(path))  # a file, or a library scenario by name
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
        base = _load_tree(
            catalog.resolve(str(ext)), (), origins, found, str(ext), (name, lines.get(("extends",)), "extends")
        )
        if base is None or found:
            raise ScenarioError(found)
        data = _merge(base, data)
    for p, ln in lines.items():
        origins[p] = (name, ln)
    _apply_overrides(data, origins, list(overrides), found)
    return _validate(data, origins, name, tuple(overrides), found)


__all__ = ["THRESHOLD_RE", "Scenario", "ScenarioModel", "json_schema", "load_scenario", "loads_scenario"]
