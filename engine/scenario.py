"""Scenario files: the top-level schema, ``extends:`` resolution, ``--set`` overrides.

A scenario names its base with ``extends: base.yaml`` (relative to its own file) and gives only
what differs. Mappings merge key by key; lists (events, tenors, ...) replace the base's list.
``--set dotted.key=value`` overrides apply last. Every problem found anywhere is reported at
once, each as ``file:line: dotted.key: what is wrong, what is expected``.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import re

import yaml

from . import units
from .blocks import (backstops, convenience_yield, fed_balance_sheet, fire_sale, holders, inflation_risk_premium,
                     liquidity_wedge, macro, policy, supply, term_premium, treasury)
from .blocks.fiscal_state import RECORDED_NAMES
from .blocks.events import EventField, settable_fields
from .blocks.shocks import Correlations
from .blocks.state import STATE_NAMES
from .calendar import STEPS, end_date
from .errors import Problem, ScenarioError
from .schema import Bool, Ctx, Int, ListOf, Nullable, Q, Section, Str, TenorMap
from .yamlio import dotted, dump, load_text

BLOCKS = {
    "macro": macro.SCHEMA, "policy": policy.SCHEMA, "term_premium": term_premium.SCHEMA,
    "inflation_risk_premium": inflation_risk_premium.SCHEMA, "convenience_yield": convenience_yield.SCHEMA,
    "liquidity_wedge": liquidity_wedge.SCHEMA, "fire_sale": fire_sale.SCHEMA,
}
_FIXED = {"term_premium": term_premium.FIXED, "inflation_risk_premium": inflation_risk_premium.FIXED,
          "convenience_yield": convenience_yield.FIXED, "liquidity_wedge": liquidity_wedge.FIXED,
          "fire_sale": fire_sale.FIXED}
_NOT_SETTABLE = {"policy": ("fomc_dates", "fixed_path", "fixed_until", "moves")}

# Threshold expressions: "yield_10y > 5%" or "yield_10y - yield_2y < 0bp".
THRESHOLD_RE = re.compile(r"^\s*([a-z_0-9]+)\s*(?:-\s*([a-z_0-9]+)\s*)?(>|<)\s*(\S+)\s*$")
RATE_VARIABLES = tuple(n for n in STATE_NAMES if n != "cum_rate")


def _check_simulation(s, path, ctx):
    if s["step"] is not None and str(s["step"]) not in STEPS:
        ctx.error(path + ("step",), f"'{s['step']}' is not a supported step; expected one of {', '.join(STEPS)}")
        return
    if s["horizon"] is not None and s["step"] is not None:
        if s["horizon"].years < s["step"].years - 1e-12:
            ctx.error(path + ("horizon",), f"'{s['horizon']}' is shorter than one step ({s['step']}); "
                                           "expected a horizon of at least one step")
        elif s["step"].unit == "m" and s["horizon"].months is None:
            ctx.error(path + ("horizon",), f"'{s['horizon']}' is not whole months; with monthly steps "
                                           "expected a horizon in m or y")
    if s["antithetic"] and s["quasi_random"]:
        ctx.error(path + ("quasi_random",), "cannot be combined with antithetic: true; choose one")
    if s["quasi_random"] and s["paths"] is not None and s["paths"] < 512:
        ctx.error(path + ("paths",), f"{s['paths']} paths are too few for quasi_random: its standard errors come "
                                     "from the spread between blocks of 256 paths; expected at least 512")
    rec = s["record"]
    if rec is not None and s["step"] is not None and rec.years < s["step"].years - 1e-12:
        ctx.error(path + ("record",), f"'{rec}' is shorter than the step ({s['step']}); "
                                      "expected a recording interval of at least one step")


def _check_initial(s, path, ctx):
    if (s["term_premium"] is None) == (s["curve"] is None):
        key = "curve" if s["term_premium"] is None else "term_premium"
        ctx.error(path + (key,), "give exactly one of initial.curve (the term premium is fitted to it) "
                                 "or initial.term_premium")
    elif s["fit_also"]:
        if s["curve"] is None or len(s["curve"]) < 1 + len(s["fit_also"]):
            ctx.error(path + ("fit_also",), f"fitting {1 + len(s['fit_also'])} states needs an initial.curve "
                                            f"with at least {1 + len(s['fit_also'])} tenors")
        if len(set(s["fit_also"])) < len(s["fit_also"]):
            ctx.error(path + ("fit_also",), "lists a state twice")


SIMULATION = Section({
    "start": Q("date", "first date of the simulation (the state in `initial` is as of this date)"),
    "horizon": Q("tenor", "length of the simulation, like 1y or 30y"),
    "step": Q("tenor", "time step: 1d (business days), 1w or 1m", "1m"),
    "record": Nullable(Q("tenor"), "recording interval (default: every step), like 1m"),
    "paths": Int("number of Monte Carlo paths", 10000, lo=1),
    "seed": Int("random seed (required: results depend only on scenario and seed)", lo=0),
    "chunk_paths": Int("paths per work chunk (memory/threading granularity; does not change results)", 16384, lo=1),
    "antithetic": Bool("antithetic variates: half the paths of each block take the negated random numbers of "
                       "the other half (half the draws; standard errors are computed from pair means)", False),
    "quasi_random": Bool("scrambled Sobol points through a Brownian bridge for the Gaussian shocks, one "
                         "randomisation per block of 256 paths (standard errors from the spread of block means; "
                         "jumps stay pseudo-random)", False),
    "max_memory": Nullable(Q("memory"), "refuse a run whose estimated memory exceeds this (default: 80% of "
                                        "available memory)"),
}, doc="Time grid, paths and seed.", check=_check_simulation)

INITIAL = Section({
    "fed_funds": Q("rate", "policy rate (effective fed funds) at the start"),
    "inflation": Nullable(Q("rate"), "inflation (core PCE y/y) at the start (default: target)"),
    "inflation_expectations": Nullable(Q("rate"), "long-run inflation expectations (default: target)"),
    "output_gap": Q("rate", "output gap, % of potential", "0%"),
    "neutral_rate": Nullable(Q("rate"), "neutral real rate r* (default: its long-run mean)"),
    "curve": Nullable(TenorMap(Q("rate")), "observed yields; the initial term premium is fitted to them"),
    "term_premium": Nullable(Q("rate"), "initial 10y term premium (instead of a curve)"),
    "policy_stance": Q("rate", "deviation of the Fed's target from the rule at the start", "0bp"),
    "fit_also": ListOf(Str(choices=["policy_stance", "neutral_rate", "output_gap"]),
                       "with a curve: states fitted by least squares together with the term premium "
                       "(their values given here are then ignored)", []),
    "inflation_risk_premium": Nullable(Q("rate"), "initial 10y inflation risk premium (default: its mean)"),
    "convenience_yield": Nullable(Q("rate"), "initial 3m convenience yield (default: its mean)"),
    "liquidity_wedge": Q("rate", "initial 10y supply/liquidity wedge", "0bp"),
    "fire_sale": Q("rate", "initial 10y fire-sale dislocation", "0bp"),
}, doc="State of the market at the start.", check=_check_initial)

OUTPUTS = Section({
    "tenors": ListOf(Q("tenor", lo=1.0 / 252, ), "yield tenors to compute and record", ["3m", "2y", "5y", "10y", "30y"], min_len=1),
    "quantiles": ListOf(Q("rate", lo=0.0, hi=1.0), "quantiles of the fans", ["1%", "5%", "25%", "50%", "75%", "95%", "99%"], min_len=1),
    "thresholds": ListOf(Str(), "crossing probabilities to report, like 'yield_10y > 5%' or "
                                "'yield_10y - yield_2y < 0bp'", ["yield_10y > 5%", "yield_10y - yield_2y < 0bp"]),
    "charts": Bool("write PNG fan charts", True),
    "keep_paths": Int("paths whose full records are kept (the first ones; for Results.raw/paths and "
                      "checks): fans and metrics always cover every path, from streaming summaries", 1000, lo=0),
}, doc="What to record and report.")

_SETTABLE = settable_fields(BLOCKS, _FIXED, _NOT_SETTABLE)


def _check_fiscal(s, ctx):
    """Fed, backstop and holder settings act only with the Treasury block on: say so, rather than
    ignore them."""
    if not s["treasury"] or s["treasury"]["enabled"]:
        return
    need = "needs treasury.enabled: true (the Treasury block carries the debt that these act on)"
    fed, bs, hol = s["fed_balance_sheet"], s["backstops"], s["holders"]
    for key in ("qe", "qt"):
        if fed and fed[key]:
            ctx.error(("fed_balance_sheet", key), need)
    for key in ("emergency_purchases", "btfp"):
        if bs and bs[key] and bs[key]["enabled"]:
            ctx.error(("backstops", key, "enabled"), need)
    if hol and hol["foreign_official"] and hol["foreign_official"]["sell_start"] is not None:
        ctx.error(("holders", "foreign_official", "sell_start"), need)
    if hol and hol["downgrades"] and (hol["downgrades"]["dates"]
                                      or hol["downgrades"]["trigger_net_interest_revenue"] is not None):
        ctx.error(("holders", "downgrades"), need)


def _check_top(s, path, ctx):
    _check_fiscal(s, ctx)
    sim = s["simulation"]
    pol = s["policy"]
    if sim and pol and sim["start"] is not None and pol["fixed_until"] is not None and pol["fixed_path"]:
        if pol["fixed_until"] <= sim["start"]:
            ctx.error(("policy", "fixed_until"), f"{pol['fixed_until']} is not after the simulation start "
                                                 f"{sim['start']}; the fixed path would never apply")
    if sim and sim["start"] is not None and sim["horizon"] is not None:
        end = end_date(sim["start"], sim["horizon"])
        for i, ev in enumerate(s["events"] or []):
            if ev is None or "date" not in ev:
                continue
            if not sim["start"] <= ev["date"] < end:
                ctx.error(("events", i, "date"), f"{ev['date']} is outside the simulation "
                                                  f"[{sim['start']}, {end}); expected a date in it")
    outs = s["outputs"]
    if outs and outs["tenors"]:
        names = [str(t) for t in outs["tenors"]]
        for i, n in enumerate(names):
            if n in names[:i]:
                ctx.error(("outputs", "tenors", i), f"tenor {n} is listed twice")
        for i, q in enumerate(outs["quantiles"] or []):
            if q is not None and not 0.0 < q.value < 1.0:
                ctx.error(("outputs", "quantiles", i), f"'{q}' is not a quantile; expected a value strictly "
                                                       "between 0% and 100%")
        variables = set(RATE_VARIABLES) | {f"yield_{n}" for n in names}
        if s["treasury"] and s["treasury"]["enabled"]:
            variables |= set(RECORDED_NAMES)
        for i, expr in enumerate(outs["thresholds"] or []):
            if expr is None:
                continue
            m = THRESHOLD_RE.match(expr)
            where = ("outputs", "thresholds", i)
            if not m:
                ctx.error(where, f"{expr!r} is not a threshold; expected 'VARIABLE > RATE' or "
                                 "'VARIABLE - VARIABLE < RATE', like 'yield_10y > 5%'")
                continue
            for v in (m.group(1), m.group(2)):
                if v is not None and v not in variables:
                    from .schema import _did_you_mean
                    ctx.error(where, f"unknown variable {v!r}{_did_you_mean(v, sorted(variables))}; expected one "
                                     f"of {', '.join(sorted(variables))}")
            try:
                units.parse(m.group(4), "rate")
            except units.UnitError as exc:
                ctx.error(where, f"threshold {exc}")


SCHEMA = Section({
    "name": Str("scenario name", "unnamed"),
    "description": Str("what the scenario is about", ""),
    "simulation": SIMULATION,
    "initial": INITIAL,
    **BLOCKS,
    "treasury": treasury.SCHEMA,
    "fed_balance_sheet": fed_balance_sheet.SCHEMA,
    "backstops": backstops.SCHEMA,
    "holders": holders.SCHEMA,
    "supply": supply.SCHEMA,
    "correlations": Correlations(),
    "events": ListOf(EventField(_SETTABLE), "dated shocks and parameter changes", []),
    "outputs": OUTPUTS,
}, doc="A ustsim scenario.", check=_check_top)


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of scenario files, for editors."""
    d = SCHEMA.json()
    d["properties"] = {"extends": {"type": "string", "description": "base scenario file, relative to this one"},
                       **d["properties"]}
    d["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    d["title"] = "ustsim scenario"
    return d


@dataclasses.dataclass
class Scenario:
    """A validated scenario: resolved values (canonical units) plus where it came from."""

    data: dict
    source: str
    overrides: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def seed(self) -> int:
        return self.data["simulation"]["seed"]

    def to_plain(self) -> dict:
        return SCHEMA.to_plain(self.data)

    def to_yaml(self) -> str:
        head = f"# resolved from {self.source}" + (f" with --set {' '.join(self.overrides)}" if self.overrides else "")
        return head + "\n" + dump(self.to_plain())

    def digest(self) -> str:
        return hashlib.sha256(self.to_yaml().split("\n", 1)[1].encode()).hexdigest()[:16]

    def with_overrides(self, overrides) -> "Scenario":
        """A new scenario with ``dotted.key=value`` overrides applied to this one."""
        plain = self.to_plain()
        origins: dict = {}
        problems: list[Problem] = []
        _apply_overrides(plain, origins, list(overrides), problems)
        return _validate(plain, origins, self.source, tuple(self.overrides) + tuple(overrides), problems)


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


def _validate(data: dict, origins: dict, source: str, overrides: tuple, problems: list[Problem]) -> Scenario:
    ctx = Ctx(origins, source)
    ctx.problems.extend(problems)
    resolved = SCHEMA.resolve(data, (), ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    return Scenario(resolved, source, overrides)


def load_scenario(path: str | os.PathLike, overrides=()) -> Scenario:
    """Read, merge (``extends``), override (``dotted.key=value`` strings) and validate a scenario.

    Raises :class:`~engine.errors.ScenarioError` listing every problem found.
    """
    path = os.fspath(path)
    origins: dict = {}
    problems: list[Problem] = []
    data = _load_tree(path, (), origins, problems, path, None)
    if data is None or problems:  # unreadable files or broken extends: nothing more to check
        raise ScenarioError(problems)
    _apply_overrides(data, origins, list(overrides), problems)
    return _validate(data, origins, path, tuple(overrides), problems)


def loads_scenario(text: str, name: str = "<string>", overrides=()) -> Scenario:
    """Validate a scenario given as YAML text (``extends`` is resolved relative to the cwd)."""
    origins: dict = {}
    problems: list[Problem] = []
    data, lines = load_text(text, name)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", "a scenario must be a mapping of keys to values")])
    if "extends" in data:
        ext = data.pop("extends")
        base = _load_tree(str(ext), (), origins, problems, str(ext), (name, lines.get(("extends",)), "extends"))
        if base is None or problems:
            raise ScenarioError(problems)
        data = _merge(base, data)
    for p, ln in lines.items():
        origins[p] = (name, ln)
    _apply_overrides(data, origins, list(overrides), problems)
    return _validate(data, origins, name, tuple(overrides), problems)


__all__ = ["Scenario", "load_scenario", "loads_scenario", "json_schema", "SCHEMA", "dotted"]
