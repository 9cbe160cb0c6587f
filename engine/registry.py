"""The one table of the model: its blocks, their state rows and recorded variables, the Gaussian
shocks, and the additive yield components. Everything else derives from it: the state layout
(:mod:`engine.core.layout`), the scenario sections (:mod:`engine.scenario`), the packing of
parameters and the initial state (:mod:`engine.model`), the shocks events can move, the yield
components the curve composes and the results report, and the schema docs.

This module is plain data and imports nothing from the engine, so every layer can read it. A
block's code lives in ``engine.blocks.<name>`` (:func:`module`), which holds its parameter
model ``Params``, its packing and its ``@njit`` step; the kernel's sequencer
(:mod:`engine.kernel`) calls the steps in the order of DESIGN.md.

Adding a block: its module, its entry in :data:`BLOCKS` (with :data:`SHOCKS` and
:data:`COMPONENTS` rows if it draws shocks or adds a yield component), a line in the sequencer if
it steps, and its tests.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType

#: Maturity buckets of the Treasury's debt and the Fed's holdings, and each bucket's original
#: maturity in years (bills are rolled at the 3-month yield).
BUCKETS = ("bills", "2y", "3y", "5y", "7y", "10y", "20y", "30y")
MATURITY = (0.25, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0)


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of the per-path state. ``fan``: the name it is recorded under (None: internal,
    not recorded); ``unit``: the unit of the recorded value (``pct``: decimals shown as percent).
    ``buckets``: the row is one per maturity bucket (``<name>_<bucket>``)."""

    name: str
    doc: str
    fan: str | None = None
    unit: str = "pct"
    buckets: bool = False


@dataclasses.dataclass(frozen=True)
class Output:
    """A recorded variable that a block computes from the state (rather than a state row).
    ``metric``: its value at the horizon is a per-path metric the results report (running totals
    and maxima are kept as state, so the horizon value covers every step)."""

    name: str
    unit: str
    metric: bool = False


@dataclasses.dataclass(frozen=True)
class Block:
    """An economic block. ``group``: ``core`` blocks always run; ``fiscal`` blocks run together
    when ``treasury.enabled`` (they carry the debt); ``plumbing`` blocks each run when their own
    ``enabled`` is set (their rows come after the core rows, their outputs after the fiscal
    ones). ``rows``: the state it owns, in order; ``outputs``: what its ``record`` step writes,
    in order (fiscal and plumbing blocks). ``reads``: the other blocks' rows its step reads (core
    blocks; tests/test_pay_for_what_you_ask.py changes every other row and checks that the step does not see it).
    """

    name: str
    doc: str
    group: str = "core"
    rows: tuple[Row, ...] = ()
    outputs: tuple[Output, ...] = ()
    reads: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Shock:
    """A Gaussian shock: drawn when its volatility (``block``'s ``vol`` parameter) is non-zero in
    some regime. The order of :data:`SHOCKS` is the order of the normals drawn each step.
    ``regime``: the volatility regime (engine.blocks.volatility) scales it."""

    name: str
    block: str
    vol: str
    regime: bool = False


@dataclasses.dataclass(frozen=True)
class Component:
    """An additive yield component: ``sign`` x loading(tenor) x the ``row`` factor (plus event
    overlays). ``block`` gives its loadings over tenors (``loadings(params, tenors_years)``)."""

    name: str
    block: str
    row: str
    sign: float = 1.0


def _r(name: str, doc: str, fan: str | None = "", unit: str = "pct", buckets: bool = False) -> Row:
    return Row(name, doc, name if fan == "" else fan, unit, buckets)


def _i(name: str, doc: str, buckets: bool = False, unit: str = "") -> Row:
    """An internal row (not recorded as it is)."""
    return Row(name, doc, None, unit, buckets)


BLOCKS: tuple[Block, ...] = (
    Block(
        "macro",
        "output gap, inflation, long-run inflation expectations, neutral real rate",
        rows=(
            _r("output_gap", "output gap, decimal of potential GDP"),
            _r("inflation", "inflation (core PCE y/y), decimal"),
            _r("inflation_expectations", "long-run inflation expectations, decimal"),
            _r("neutral_rate", "neutral real rate r*, decimal"),
        ),
    ),
    Block(
        "policy",
        "policy rate: inertial Taylor rule, lower bound, FOMC steps, fixed path",
        rows=(
            _r("policy_stance", "discretionary deviation of the Fed's target from the rule, decimal"),
            _r("policy_cycle", "the policy cycle: the stance's drift, decimal per year (not priced by the curve)"),
            _r("shadow_rate", "the rule's rate, not floored, decimal"),
            _r("policy_rate", "policy rate (fed funds) actually set, decimal"),
            _r(
                "cum_rate",
                "integral of the policy rate since the start (years x decimal); recorded, and shown "
                "as the discount factor exp(-x)",
                unit="ratio",
            ),
        ),
        reads=("output_gap", "inflation", "neutral_rate"),
    ),
    Block(
        "term_premium",
        "10y term premium: mean-reverting factor with shocks and Poisson jumps",
        rows=(_r("term_premium", "10y term-premium factor, decimal", fan="term_premium_10y"),),
    ),
    Block(
        "inflation_risk_premium",
        "10y inflation risk premium, rising with de-anchoring",
        rows=(
            _r(
                "inflation_risk_premium", "10y inflation-risk-premium factor, decimal", fan="inflation_risk_premium_10y"
            ),
        ),
        reads=("inflation_expectations",),
    ),
    Block(
        "convenience_yield",
        "3m convenience yield: the money-like value of Treasuries",
        rows=(_r("convenience_yield", "3m convenience-yield factor, decimal", fan="convenience_yield_3m"),),
    ),
    Block(
        "liquidity_wedge",
        "10y supply/liquidity wedge, moved by events",
        rows=(_r("liquidity_wedge", "10y supply/liquidity wedge factor, decimal", fan="liquidity_wedge_10y"),),
    ),
    Block(
        "fire_sale",
        "10y fire-sale dislocation, fast-decaying, moved by events and by the basis-trade unwind",
        rows=(_r("fire_sale", "10y fire-sale dislocation factor, decimal", fan="fire_sale_10y"),),
    ),
    Block(
        "bill_wedge",
        "3m bill wedge from stablecoin flows: bill tenors only, decaying, moved by events",
        rows=(_r("bill_wedge", "3m bill-yield wedge (negative: bills richer), decimal", fan="bill_wedge_3m"),),
    ),
    Block(
        "volatility",
        "volatility regimes: a stochastic multiplier of the core blocks' shock volatilities",
        rows=(
            _r(
                "volatility_regime",
                "log of the rate shocks' volatility multiplier (before its normalisation), decimal log points",
            ),
        ),
    ),
    # -- the plumbing blocks (each on with its own ``enabled``): stablecoin issuers' bill demand,
    # and the basis trade's margin spiral
    Block(
        "stablecoins",
        "stablecoin market cap, runs, GENIUS-Act reserves and their bill purchases and sales",
        group="plumbing",
        rows=(
            _i("stablecoin_cap", "stablecoin market cap, USD bn", unit="usd_bn"),
            _i("stablecoin_bills", "issuers' bill holdings (direct and via government MMFs), USD bn", unit="usd_bn"),
            _i("stablecoin_flow", "net flow into stablecoins over the last step, USD bn per day", unit="usd_bn/day"),
            _i("stablecoin_run", "run starting this step, decimal share of the cap (events move it)"),
            _i("stablecoin_run_left", "redemptions of the running runs still to come, USD bn", unit="usd_bn"),
            _i("stablecoin_run_time", "years the running run still lasts (<= 0: none)", unit="years"),
            _i("stablecoin_depeg", "1 if the last step had run redemptions, else 0", unit="count"),
            _i("stablecoin_forced_sales", "bills sold to meet run redemptions, cumulative USD bn", unit="usd_bn"),
            _i(
                "stablecoin_sales_step",
                "bills sold to meet run redemptions over the last step, USD bn per day",
                unit="usd_bn/day",
            ),
            _i("stablecoin_wedge_peak", "highest bill wedge so far (cheapest bills), decimal"),
            _i("stablecoin_wedge_trough", "lowest bill wedge so far (richest bills), decimal"),
            _i("stablecoin_runs", "runs so far", unit="count"),
        ),
        outputs=(
            Output("stablecoin_cap", "usd_bn"),
            Output("stablecoin_bills", "usd_bn"),
            Output("stablecoin_flow", "usd_bn/day"),
            Output("stablecoin_forced_bill_sales", "usd_bn", metric=True),
            Output("stablecoin_bill_sales_day", "usd_bn/day"),
            Output("stablecoin_depeg", "share"),
            Output("stablecoin_runs", "count", metric=True),
            Output("bill_wedge_peak", "pct", metric=True),
            Output("bill_wedge_trough", "pct", metric=True),
        ),
    ),
    Block(
        "basis_trade",
        "cash-futures basis trade: leverage, margins, forced sales, dealer capacity, the Fed backstop",
        group="plumbing",
        rows=(
            _i("basis_position", "funds' long cash Treasury position (futures short alike), USD bn", unit="usd_bn"),
            _i("basis_equity", "funds' equity (capital), USD bn", unit="usd_bn"),
            _i("basis_margin", "futures initial-margin add-on set by events, decimal of notional"),
            _i("basis_margin_rate", "futures initial margin in force, decimal of notional"),
            _i("basis_rvar", "realised variance of the 10y (EWMA), decimal^2 per year"),
            _i("basis_y10", "10y yield at the last step, decimal"),
            _i("basis_spread", "cash-futures basis above its normal level, decimal"),
            _i("basis_sold", "forced sales so far, USD bn", unit="usd_bn"),
            _i("basis_sold_day", "forced sales this step, USD bn per day", unit="usd_bn/day"),
            _i("basis_sold_peak", "largest forced sales of a step so far, USD bn per day", unit="usd_bn/day"),
            _i("basis_other_sold", "other forced sellers' sales so far (events set their pace), USD bn", unit="usd_bn"),
            _i("basis_to_dealers", "forced sales taken by dealers so far, USD bn", unit="usd_bn"),
            _i("basis_to_fed", "forced sales taken by the Fed's backstop so far, USD bn", unit="usd_bn"),
            _i(
                "basis_to_investors",
                "forced sales taken by end investors at a concession so far, USD bn",
                unit="usd_bn",
            ),
            _i("basis_losses", "funds' mark-to-market losses so far, USD bn", unit="usd_bn"),
            _i("basis_backstop", "Fed backstop purchases so far, USD bn", unit="usd_bn"),
            _i("basis_backstop_on", "1 once the backstop has been triggered", unit="count"),
            _i(
                "basis_needed_backstop",
                "1 once sales beyond dealers' capacity would, without the Fed, have pushed the dislocation "
                "past the backstop trigger",
                unit="count",
            ),
            _i("basis_drawdown", "largest fall of fund equity from the start so far, USD bn", unit="usd_bn"),
            _i("basis_spread_peak", "widest basis so far, decimal"),
            _i("basis_iterations", "fixed-point iterations of the spiral at the last step", unit="count"),
            _i("basis_iterations_max", "most fixed-point iterations of a step so far", unit="count"),
            _i("basis_unconverged", "steps whose spiral did not converge within the iteration cap", unit="count"),
        ),
        outputs=(
            Output("basis_position", "usd_bn"),
            Output("basis_fraction_unwound", "share", metric=True),
            Output("basis_forced_sales_day", "usd_bn/day"),
            Output("basis_forced_sales_total", "usd_bn", metric=True),
            Output("basis_forced_sales_peak_day", "usd_bn/day", metric=True),
            Output("basis_spread", "pct"),
            Output("basis_spread_peak", "pct", metric=True),
            Output("basis_margin_rate", "pct"),
            Output("basis_fund_equity", "usd_bn"),
            Output("basis_fund_losses", "usd_bn", metric=True),
            Output("basis_fund_drawdown", "usd_bn", metric=True),
            Output("basis_backstop_purchases", "usd_bn", metric=True),
            Output("basis_needed_backstop", "share", metric=True),
            Output("basis_other_sales_total", "usd_bn"),
            Output("basis_sold_to_dealers", "usd_bn"),
            Output("basis_sold_to_fed", "usd_bn"),
            Output("basis_sold_to_investors", "usd_bn"),
            Output("basis_iterations", "count"),
            Output("basis_iterations_max", "count", metric=True),
            Output("basis_unconverged_steps", "count", metric=True),
        ),
    ),
    # -- the Treasury, Fed balance-sheet, backstop, holder and supply blocks (treasury.enabled)
    Block(
        "treasury",
        "GDP, revenue, outlays, debt by bucket, rollover, issuance policy, TGA",
        group="fiscal",
        rows=(
            _i("nominal_gdp", "nominal GDP, USD bn per year", unit="usd_bn/yr"),
            _i("tga", "Treasury General Account at the Fed, USD bn", unit="usd_bn"),
            _i("debt", "face of debt held by the public, USD bn", buckets=True, unit="usd_bn"),
            _i("coupon", "average coupon of each bucket, decimal", buckets=True, unit="pct"),
            _i("gross", "gross issuance by bucket, USD bn per year", buckets=True, unit="usd_bn/yr"),
            _i("revenue", "revenue incl. Fed remittances, USD bn per year", unit="usd_bn/yr"),
            _i("outlays", "non-interest outlays, USD bn per year", unit="usd_bn/yr"),
            _i("interest", "interest on debt held by the public, USD bn per year", unit="usd_bn/yr"),
            _i("tga_change", "change in the TGA, USD bn per year", unit="usd_bn/yr"),
        ),
        outputs=(
            Output("nominal_gdp", "usd_bn"),
            Output("debt", "usd_bn"),
            Output("debt_to_gdp", "pct"),
            Output("net_interest", "usd_bn/yr"),
            Output("net_interest_to_gdp", "pct"),
            Output("net_interest_to_revenue", "pct"),
            Output("net_interest_to_outlays", "pct"),
            Output("deficit_to_gdp", "pct"),
            Output("primary_deficit_to_gdp", "pct"),
            Output("revenue_to_gdp", "pct"),
            Output("average_interest_rate", "pct"),
            Output("wam_years", "years"),
            Output("bill_share", "pct"),
            Output("tga", "usd_bn"),
        )
        + tuple(Output(f"gross_issuance_{b}", "usd_bn/yr") for b in BUCKETS)
        + (Output("gross_issuance", "usd_bn/yr"),),
    ),
    Block(
        "fed_balance_sheet",
        "SOMA by bucket, QE, QT caps, reserves, ON RRP, income and remittances",
        group="fiscal",
        rows=(
            _i("soma", "Fed (SOMA) face holdings, USD bn", buckets=True, unit="usd_bn"),
            _i("soma_coupon", "average coupon of SOMA holdings, decimal", buckets=True, unit="pct"),
            _i("other_assets", "Fed's other assets (agency MBS and the rest), USD bn", unit="usd_bn"),
            _i("reserves", "bank reserves (the balance-sheet residual), USD bn", unit="usd_bn"),
            _i("rrp", "overnight reverse repo, USD bn", unit="usd_bn"),
            _i("currency", "currency in circulation, USD bn", unit="usd_bn"),
            _i("deferred_asset", "cumulative unremitted losses, USD bn", unit="usd_bn"),
            _i("remittances", "Fed remittances to the Treasury, USD bn per year", unit="usd_bn/yr"),
            _i("fed_income", "Fed net income before remittances, USD bn per year", unit="usd_bn/yr"),
            _i("qt_runoff", "SOMA redemptions not reinvested, USD bn per year", unit="usd_bn/yr"),
            _i(
                "fed_purchases", "SOMA purchases (QE, backstops, reserve management), USD bn per year", unit="usd_bn/yr"
            ),
        ),
        outputs=(
            Output("soma", "usd_bn"),
            Output("fed_assets", "usd_bn"),
            Output("reserves", "usd_bn"),
            Output("on_rrp", "usd_bn"),
            Output("fed_net_income", "usd_bn/yr"),
            Output("remittances", "usd_bn/yr"),
            Output("deferred_asset", "usd_bn"),
            Output("qt_runoff", "usd_bn/yr"),
            Output("fed_purchases", "usd_bn/yr"),
        ),
    ),
    Block(
        "backstops",
        "emergency Treasury purchases and a par-value lending facility, switched on by stress",
        group="fiscal",
        rows=(
            _i("btfp", "par-value lending facility balance, USD bn", unit="usd_bn"),
            _i("ep_left", "emergency purchases still to make, USD bn", unit="usd_bn"),
            _i("ep_time", "years the emergency purchases still run (<= 0: not running)", unit="years"),
            _i("ep_fired", "1 once the emergency purchases have been triggered", unit="count"),
            _i("btfp_time", "years the lending facility still runs", unit="years"),
            _i("btfp_fired", "1 once the facility has been triggered", unit="count"),
        ),
        outputs=(Output("btfp", "usd_bn"),),
    ),
    Block(
        "holders",
        "foreign official demand, banks' securities book, rating downgrades",
        group="fiscal",
        rows=(
            _i("foreign_official", "foreign official holdings, USD bn", unit="usd_bn"),
            _i("bank_loss", "banks' unrealized securities losses (positive = loss), USD bn", unit="usd_bn"),
            _i("downgrades", "rating downgrades so far", unit="count"),
        ),
        outputs=(
            Output("foreign_official", "usd_bn"),
            Output("bank_treasuries", "usd_bn"),
            Output("other_private", "usd_bn"),
            Output("bank_unrealized_loss", "usd_bn"),
            Output("bank_loss_to_capital", "pct"),
            Output("bank_stress", "share"),
            Output("downgrades", "count"),
        ),
    ),
    Block(
        "supply",
        "supply effects on the term premium and the bill convenience yield",
        group="fiscal",
        rows=(
            _i("supply_term_premium", "supply + downgrade part of the 10y term premium, decimal"),
            _i("supply_convenience_yield", "supply + downgrade part of the 3m convenience yield, decimal"),
            _i("private_duration", "duration supply held privately, 10y equivalents / GDP, decimal"),
            _i("private_bills", "bills held privately / GDP, decimal"),
        ),
        outputs=(
            Output("private_duration_to_gdp", "pct"),
            Output("private_bills_to_gdp", "pct"),
            Output("supply_term_premium_10y", "pct"),
            Output("supply_convenience_yield_3m", "pct"),
        ),
    ),
)

#: Internal rows of the core blocks, after every recorded core row (so the recorded rows are the
#: first ones of the state and a record is a contiguous copy).
CORE_INTERNAL: tuple[tuple[str, Row], ...] = (
    ("term_premium", _i("jump_threshold", "next term-premium jump threshold in integrated intensity")),
)

#: The Gaussian shocks in the order their normals are drawn each step.
SHOCKS: tuple[Shock, ...] = (
    Shock("output_gap", "macro", "gap_vol", regime=True),
    Shock("inflation", "macro", "inflation_vol", regime=True),
    Shock("inflation_expectations", "macro", "expectations_vol", regime=True),
    Shock("neutral_rate", "macro", "neutral_rate_vol", regime=True),
    Shock("policy_rate", "policy", "shock_vol", regime=True),
    Shock("term_premium", "term_premium", "vol", regime=True),
    Shock("inflation_risk_premium", "inflation_risk_premium", "vol", regime=True),
    Shock("convenience_yield", "convenience_yield", "vol", regime=True),
    Shock("policy_stance", "policy", "stance_vol", regime=True),
    Shock("volatility_regime", "volatility", "dispersion"),
    Shock("policy_cycle", "policy", "cycle_vol", regime=True),
)

#: The additive yield components, in the order the curve adds them (after the expected real
#: short rate and expected inflation): y = real + inflation + sum(sign x loading x factor).
COMPONENTS: tuple[Component, ...] = (
    Component("inflation_risk_premium", "inflation_risk_premium", "inflation_risk_premium"),
    Component("term_premium", "term_premium", "term_premium"),
    Component("liquidity_wedge", "liquidity_wedge", "liquidity_wedge"),
    Component("convenience_yield", "convenience_yield", "convenience_yield", sign=-1.0),
    Component("fire_sale", "fire_sale", "fire_sale"),
    Component("bill_wedge", "bill_wedge", "bill_wedge"),
)

#: The two parts of a yield that come from the expected short-rate path (closed form).
EXPECTATION_PARTS = ("real_rate", "expected_inflation")

#: The last part of every yield: what its lower bound adds, ``max(0, policy.lower_bound -
#: policy.floor_margin - the sum of the parts before it)`` (no yield sits further below the
#: policy floor than the margin). The parts of a yield are EXPECTATION_PARTS, the COMPONENTS, RESIDUAL_PART,
#: then this.
FLOOR_PART = "floor"
#: The start's pricing error: what the observed initial curve has beyond the model's fitted yield
#: at each tenor (zero at tenor 0, linear up to and between the observed tenors, flat beyond the
#: longest), decaying with
#: ``initial.pricing_error_half_life``; the same on every path. It comes before the floor.
RESIDUAL_PART = "pricing_error"

#: Core rows a dated ``shock:`` event may move (a level change; components may also take a
#: decaying overlay with ``half_life``). A shock to ``policy_rate`` moves the shadow rate too.
EVENT_TARGETS = (
    "output_gap",
    "inflation",
    "inflation_expectations",
    "neutral_rate",
    "policy_stance",
    "policy_cycle",
    "policy_rate",
    "term_premium",
    "inflation_risk_premium",
    "convenience_yield",
    "liquidity_wedge",
    "fire_sale",
    "bill_wedge",
    "volatility_regime",
    "stablecoin_run",
    "basis_margin",
)


def block(name: str) -> Block:
    """The registry entry of block ``name``."""
    for b in BLOCKS:
        if b.name == name:
            return b
    raise KeyError(name)


def module(name: str) -> ModuleType:
    """The module ``engine.blocks.<name>`` holding a block's code."""
    return importlib.import_module(f"engine.blocks.{name}")


def core_blocks() -> tuple[Block, ...]:
    return tuple(b for b in BLOCKS if b.group == "core")


def fiscal_blocks() -> tuple[Block, ...]:
    return tuple(b for b in BLOCKS if b.group == "fiscal")


def plumbing_blocks() -> tuple[Block, ...]:
    return tuple(b for b in BLOCKS if b.group == "plumbing")
