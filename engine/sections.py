"""The fixed sections of a scenario (``simulation``, ``initial``, ``outputs``) and its events; the
blocks' sections are each block's ``Params`` (engine/blocks), assembled in :mod:`engine.scenario`."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Tag, TypeAdapter, ValidationError, model_validator

from . import units
from .core import calendar
from .core.layout import REC_NAMES
from .registry import COMPONENTS, EVENT_TARGETS, core_blocks, module, plumbing_blocks
from .schema import (
    Bool,
    Checks,
    Date,
    Field,
    Number,
    Quantity,
    Rate,
    Section,
    Share,
    Spec,
    Str,
    Tenor,
    TenorMap,
    Text,
    Unit,
    Whole,
    did_you_mean,
    fail,
)

MAX_PATHS = 1_000_000_000  # a run's paths: beyond this a run cannot finish (years at ~2M path-steps/s)
MAX_STEPS = 60_000  # time steps: 200 years of business days
FIRST_DATE, LAST_START, LAST_DATE = _dt.date(1900, 1, 1), _dt.date(2200, 12, 31), _dt.date(2260, 12, 31)

# Threshold expressions: "yield_10y > 5%" or "yield_10y - yield_2y < 0bp".
THRESHOLD_RE = re.compile(r"^\s*([a-z_0-9]+)\s*(?:-\s*([a-z_0-9]+)\s*)?(>|<)\s*(\S+)\s*$")
RATE_VARIABLES = tuple(n for n in REC_NAMES if n != "cum_rate")


class Simulation(Section):
    """Time grid, paths and seed."""

    start: Date = Field(description="first date of the simulation (the state in `initial` is as of this date)")
    horizon: Tenor = Field(description="length of the simulation, like 1y or 30y")
    step: Tenor = Field("1m", description="time step: 1d (business days), 1w or 1m")
    record: Tenor | None = Field(None, description="recording interval (default: every step), like 1m")
    paths: Annotated[int, Whole(lo=1, hi=MAX_PATHS)] = Field(10000, description="number of Monte Carlo paths")
    seed: Annotated[int, Whole(lo=0, hi=2**64 - 1)] = Field(
        description="random seed (required: results depend only on scenario and seed)"
    )
    chunk_paths: Annotated[int, Whole(lo=1, hi=MAX_PATHS)] = Field(
        16384,
        description="paths per work chunk (memory/threading granularity; does not change results)",
    )
    antithetic: Bool = Field(
        False,
        description="antithetic variates: half the paths of each block take the negated "
        "random numbers of the other half (half the draws; standard errors "
        "are computed from pair means)",
    )
    quasi_random: Bool = Field(
        False,
        description="scrambled Sobol points through a Brownian bridge for the Gaussian "
        "shocks, one randomisation per block of 256 paths (standard errors "
        "from the spread of block means; jumps stay pseudo-random)",
    )
    max_memory: Annotated[Quantity, Unit("memory", lo=0.0, lo_open=True)] | None = Field(
        None, description="refuse a run whose estimated memory exceeds this (default: 80% of available memory)"
    )

    @model_validator(mode="after")
    def _check(self) -> Simulation:
        c = Checks()
        if str(self.step) not in calendar.STEPS:
            fail((("step",), f"'{self.step}' is not a supported step; expected one of {', '.join(calendar.STEPS)}"))
        if self.horizon.years < self.step.years - 1e-12:
            c.add(
                ("horizon",),
                f"'{self.horizon}' is shorter than one step ({self.step}); expected a horizon of at least one step",
            )
        elif self.step.unit == "m" and self.horizon.months is None:
            c.add(
                ("horizon",), f"'{self.horizon}' is not whole months; with monthly steps expected a horizon in m or y"
            )
        if self.antithetic and self.quasi_random:
            c.add(("quasi_random",), "cannot be combined with antithetic: true; choose one")
        if self.quasi_random and self.paths < 512:
            c.add(
                ("paths",),
                f"{self.paths} paths are too few for quasi_random: its standard errors come from the "
                "spread between blocks of 256 paths; expected at least 512",
            )
        if self.record is not None and self.record.years < self.step.years - 1e-12:
            c.add(
                ("record",),
                f"'{self.record}' is shorter than the step ({self.step}); expected a recording "
                "interval of at least one step",
            )
        if not FIRST_DATE <= self.start <= LAST_START:
            c.add(
                ("start",),
                f"{self.start} is outside the dates the calendar covers; expected a start between "
                f"{FIRST_DATE} and {LAST_START}",
            )
        elif calendar.end_date(self.start, self.horizon) > LAST_DATE:
            c.add(
                ("horizon",),
                f"'{self.horizon}' from {self.start} ends after {LAST_DATE}, the last date the "
                "calendar covers; expected a shorter horizon",
            )
        n_steps = self.horizon.years / self.step.years
        if n_steps > MAX_STEPS:
            c.add(
                ("horizon",),
                f"'{self.horizon}' in steps of {self.step} is {n_steps:,.0f} steps; expected at most "
                f"{MAX_STEPS:,} (use longer steps or a shorter horizon)",
            )
        c.raise_all()
        return self


class Initial(Section):
    """State of the market at the start."""

    fed_funds: Rate = Field(description="policy rate (effective fed funds) at the start")
    inflation: Rate | None = Field(None, description="inflation (core PCE y/y) at the start (default: target)")
    inflation_expectations: Rate | None = Field(None, description="long-run inflation expectations (default: target)")
    output_gap: Rate = Field("0%", description="output gap, % of potential")
    neutral_rate: Rate | None = Field(None, description="neutral real rate r* (default: its long-run mean)")
    curve: Annotated[dict[str, Quantity], TenorMap(Rate)] | None = Field(
        None,
        description="observed yields; the initial term premium is fitted to them",
    )
    term_premium: Rate | None = Field(None, description="initial 10y term premium (instead of a curve)")
    policy_stance: Rate = Field("0bp", description="deviation of the Fed's target from the rule at the start")
    fit_also: list[Annotated[str, Text(("policy_stance", "neutral_rate", "output_gap", "inflation_risk_premium"))]] = (
        Field(
            [],
            description="with a curve: states fitted by least squares together with the term premium (their values "
            "given here are then ignored)",
        )
    )
    pricing_error: Annotated[str, Text(("carry", "drop"))] = Field(
        "carry",
        description="with a curve: 'carry' what the observed yields have beyond the fitted model's (the fit's "
        "residuals; zero at tenor 0, linear up to and between the observed tenors, flat beyond the longest) as "
        "the yields' part 'pricing_error', the "
        "same on every path, decaying with pricing_error_half_life, so the yields start at the observed curve; "
        "'drop': the yields start at the model's fit",
    )
    # Measured (benchmarks/pricing_error_persistence.py, issue 13): the baseline's fit residuals at
    # every month end 1990-2024 (421 months) are persistent, monthly AR(1) 0.935 / 0.950 / 0.964 for
    # the 2y / 10y / 30y (half-lives 10.3 / 13.6 / 19.1 months; s.d. 14 / 24 / 15 bp): the 10y's, rounded.
    pricing_error_half_life: Tenor = Field("14m", description="half-life of the carried pricing error")
    inflation_risk_premium: Rate | None = Field(
        None, description="initial 10y inflation risk premium (default: its mean)"
    )
    convenience_yield: Rate | None = Field(None, description="initial 3m convenience yield (default: its mean)")
    liquidity_wedge: Rate = Field("0bp", description="initial 10y supply/liquidity wedge")
    fire_sale: Rate = Field("0bp", description="initial 10y fire-sale dislocation")
    volatility_regime: Rate | None = Field(
        None,
        description="initial volatility regime (log of the rate shocks' volatility multiplier, log points as a "
        "percent; +69% doubles it); default: drawn per path from its stationary distribution",
    )

    @model_validator(mode="after")
    def _check(self) -> Initial:
        c = Checks()
        if self.curve is not None and not self.curve:
            fail(
                (
                    ("curve",),
                    "is empty; expected observed yields like {2y: 3.45%, 10y: 4.14%}, or null with "
                    "initial.term_premium",
                )
            )
        if (self.term_premium is None) == (self.curve is None):
            c.add(
                ("curve" if self.term_premium is None else "term_premium",),
                "give exactly one of initial.curve (the term premium is fitted to it) or initial.term_premium",
            )
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

    tenors: Annotated[list[Annotated[units.Tenor, Unit("tenor", lo=1.0 / 252)]], Field(min_length=1)] = Field(
        ["3m", "2y", "5y", "10y", "30y"], description="yield tenors to compute and record"
    )
    quantiles: Annotated[list[Share], Field(min_length=1)] = Field(
        ["1%", "5%", "25%", "50%", "75%", "95%", "99%"], description="quantiles of the fans"
    )
    thresholds: list[Str] = Field(
        ["yield_10y > 5%", "yield_10y - yield_2y < 0bp"],
        description="crossing probabilities to report, like 'yield_10y > 5%' or 'yield_10y - yield_2y < 0bp'",
    )
    component_quantiles: Annotated[str, Text(("headline", "all", "none"))] = Field(
        "headline",
        description="which tenors' yield components get quantile fans (every variable keeps its mean and s.d.): "
        "'headline' the 10y (the longest tenor without a 10y), which the decomposition chart shows; 'all'; "
        "'none'. Quantiles cost most of a run's reduction, and the components are most of its variables",
    )
    path_metrics: Annotated[str, Text(("every_step", "recorded_dates"))] = Field(
        "every_step",
        description="where each tenor's per-path metrics (peak, trough, largest moves, realized vol; the 'yield_T > "
        "x' thresholds) look: 'every_step' composes every tenor's yield at every step; 'recorded_dates' only at the "
        "recorded dates (simulation.record), which makes a run that needs fans at few dates far cheaper; its moves "
        "are then between recorded dates and there are no weekly ones",
    )
    charts: Bool = Field(True, description="write PNG fan charts")
    keep_paths: Annotated[int, Whole(lo=0, hi=MAX_PATHS)] = Field(
        1000,
        description="paths whose full records are kept (the first ones; for "
        "Results.raw/paths and checks): fans and metrics always cover "
        "every path, from streaming summaries",
    )


# ------------------------------------------------------------------------------------ events
def settable() -> dict[str, Any]:
    """``block.key`` -> field annotation, for the numbers an event may set: every quantity (not a
    date) and plain number of the core and plumbing blocks' sections but their FIXED keys."""
    out = {}
    for b in core_blocks() + plumbing_blocks():
        mod = module(b.name)
        for key, f in mod.Params.model_fields.items():
            spec = next((m for m in f.metadata if isinstance(m, Spec)), None)
            if key in mod.FIXED or spec is None:
                continue
            if (isinstance(spec, Number) and not isinstance(spec, Whole)) or (
                isinstance(spec, Unit) and spec.dim != "date"
            ):
                out[f"{b.name}.{key}"] = Annotated[f.annotation, *f.metadata]
    return out


SETTABLE = settable()


class _Settable(Spec):
    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or value not in SETTABLE:
            raise units.UnitError(
                f"{units.describe(value)} is not a parameter an event can set{did_you_mean(value, SETTABLE)}"
            )
        return value

    def expects(self) -> str:
        return "a parameter, like macro.learning_gain"

    def json(self) -> dict:
        return {"enum": list(SETTABLE)}


class _NewValue(Spec):
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
    not_a_mapping: ClassVar[str | None] = (
        "an event; expected a mapping like {date: 2025-04-02, shock: term_premium, size: +35bp}"
    )
    date: Date = Field(description="when")
    shock: Annotated[str, Text(EVENT_TARGETS, "a shockable state", "the state to shock, e.g. term_premium")] = Field(
        description="the state moved"
    )
    size: Rate = Field(description="size of the move")
    half_life: Tenor | None = Field(None, description="a decaying overlay with this half-life (yield components only)")
    sets_target: Bool | None = Field(
        None,
        description="policy_rate only: a rate decision the rule adopts; the policy stance moves by what makes "
        "the rule's target, in the decision's step, the new rate on the zero-shock path (one shift, the same on "
        "every path), so the rule holds the move instead of taking it back",
    )
    note: Str | None = Field(None, description="free text")

    @model_validator(mode="after")
    def _check(self) -> ShockEvent:
        if self.sets_target and (self.shock != "policy_rate" or self.half_life is not None):
            fail(
                (
                    ("sets_target",),
                    f"{'an' if self.shock[0] in 'aeiou' else 'a'} {self.shock} shock"
                    f"{' with a half_life' if self.half_life is not None else ''} sets no "
                    "target; sets_target is for level shocks to policy_rate (a rate decision the rule adopts)",
                )
            )
        if self.half_life is not None and self.shock not in [c.row for c in COMPONENTS]:
            fail(
                (
                    ("half_life",),
                    f"{self.shock} takes level shocks only (they fade at the model's own persistence); "
                    f"half_life is for {', '.join(c.row for c in COMPONENTS)}",
                )
            )
        return self


class SetEvent(Section):
    """A dated change of a parameter: a new regime the market does not anticipate."""

    kind: ClassVar[str] = "set"
    not_a_mapping: ClassVar[str | None] = (
        "an event; expected a mapping like {date: 2026-01-01, set: macro.learning_gain, value: 0.3/yr}"
    )
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


Event = Annotated[
    Annotated[ShockEvent, Tag("<shock event>")] | Annotated[SetEvent, Tag("<set event>")], Discriminator(_event_kind)
]
