"""Model assembly: a validated scenario -> the bundles the kernel runs on (engine.core.bundles).

Nothing here runs per path. Every block of the registry packs its own parameters per regime
(``pack``) and, for the Treasury and the blocks that come with it, writes its rows of the initial
state (``initial``); this module builds the time grid, the shocks and events, precomputes the
closed-form expectation coefficients for every time point and tenor, and fits the initial term
premium to an observed curve. With ``treasury.reference``, it also runs the reference scenario
once, every random shock zero, through the kernel (:func:`reference_path`): the fiscal reaction
and the supply effects are measured from that path.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, NamedTuple

import numpy as np

from . import catalog, diagnostics, units
from .blocks import basis_trade, curve, policy, stablecoins, volatility
from .core.bundles import Events, Fiscal, Grid, Params, Plumbing, Shocks
from .core.calendar import Calendar
from .core.events import compile_events, regimes
from .core.layout import (
    FISCAL_NAMES,
    GAP,
    IRP,
    MATURITY,
    N_FULL_STATE,
    N_MET,
    N_PLUMBING_STATE,
    N_REC,
    N_STATE,
    PLUMBING_NAMES,
    REC_NAMES,
    ROW,
    RSTAR,
    SH_VOL,
    SRC_JUMPS,
    SRC_STABLECOIN_CAP,
    SRC_STABLECOIN_RUNS,
    STANCE,
    TP,
    X_STATES,
)
from .core.sampling import block_states
from .core.shocks import active_shocks
from .core.shocks import build as build_shocks
from .errors import Problem, ScenarioError
from .kernel import simulate_block, still_blocks
from .registry import COMPONENTS, core_blocks, fiscal_blocks, module, plumbing_blocks
from .scenario import Scenario, load_scenario


@dataclasses.dataclass
class Model:
    """A scenario ready to simulate: the kernel's bundles and what the results need to read them."""

    scenario: Scenario
    cal: Calendar
    tenors: list[units.Tenor]  # recorded tenors
    init: np.ndarray  # (rows,) initial state of every path
    grid: Grid
    shocks: Shocks
    events: Events
    params: Any  # engine.core.bundles.Params: each core block's packed parameters
    curve: curve.Curve  # at every time point, for the recorded tenors
    fiscal: Any  # engine.core.bundles.Fiscal of the Treasury/Fed/holder blocks, or None
    plumbing: Any  # engine.core.bundles.Plumbing of the stablecoin and basis-trade blocks, or None
    active_shocks: list[int]
    fit: dict  # initial curve fit: tenor -> (observed, model) decimals

    @property
    def bundles(self) -> tuple:
        """The kernel's arguments after (rngs, z, S): grid, shocks, events, params, curve, fiscal,
        plumbing."""
        return self.grid, self.shocks, self.events, self.params, self.curve, self.fiscal, self.plumbing

    @property
    def sources(self) -> tuple[int, ...]:
        """The random sources (engine.core.layout.SOURCE_NAMES) this model draws from
        pseudo-randomly: the active Gaussian shocks (unless quasi-random), the volatility regime's
        initial draw, the term-premium jumps, the stablecoin cap's shock and runs."""
        out = [] if self.scenario.simulation.quasi_random else list(self.active_shocks)
        if self.params.volatility.P[0, volatility.DRAW] > 0 and SH_VOL not in out:
            out.append(SH_VOL)  # the initial regime is drawn from its stream even in quasi-random runs
        if self.jumps_possible:
            out.append(SRC_JUMPS)
        if self.plumbing is not None and self.plumbing.shock:
            out.append(SRC_STABLECOIN_CAP)
        if self.plumbing is not None and self.plumbing.runs:
            out.append(SRC_STABLECOIN_RUNS)
        return tuple(out)

    @property
    def n_draw(self) -> int:
        """Normals drawn per path per step."""
        return self.shocks.n_draw

    @property
    def jumps_possible(self) -> bool:
        return bool(self.params.term_premium.cum_lam[-1] > 0)

    @property
    def tenor_years(self) -> np.ndarray:
        return np.array([t.years for t in self.tenors])

    @property
    def n_rec(self) -> int:
        return len(self.cal.record_points)

    @property
    def rec_names(self) -> tuple[str, ...]:
        """Names of the recorded rows: the core states, then the fiscal variables and the plumbing
        variables, each if on."""
        return (
            REC_NAMES
            + (FISCAL_NAMES if self.fiscal is not None else ())
            + (PLUMBING_NAMES if self.plumbing is not None else ())
        )

    @property
    def n_var(self) -> int:
        return len(self.rec_names)

    @property
    def n_tenor(self) -> int:
        return len(self.tenors)


def build(sc: Scenario) -> Model:
    sim = sc.simulation
    cal = sc.calendar()
    n = cal.n_steps
    regs, reg_of_step = regimes(sc, cal)
    packed = {b.name: module(b.name).pack(regs, cal, reg_of_step) for b in core_blocks()}
    params = Params(**packed, still=np.zeros(len(packed), dtype=np.bool_))  # set once the start is known
    active = active_shocks(regs)
    shocks = build_shocks(sc.correlations, active)
    events = compile_events(sc.events, cal)
    tenors = list(sc.outputs.tenors)

    curve_reg = np.concatenate([[reg_of_step[0]], reg_of_step]).astype(np.int64)
    lb_t = np.array([params.policy.P[curve_reg[i]][policy.LB] for i in range(n + 1)])
    # every yield's floor: the lower bound less the regime's margin (engine.blocks.curve)
    floor_t = lb_t - np.array([regs[curve_reg[i]].policy.floor_margin.value for i in range(n + 1)])
    bounds = _Bounds(lb_t, floor_t, [regs[r] for r in curve_reg])
    coefficients = _expectation_coefficients(sc, regs, curve_reg, cal, params.policy)
    cv = _curve(sc, coefficients, n, np.array([t.years for t in tenors]), bounds)
    if not all(np.isfinite(a).all() for a in (cv.coef_n, cv.coef_pi, cv.load, cv.shift, lb_t, floor_t)):
        raise diagnostics.not_computable(sc, "the expected path of the policy rate and inflation (the curve)")
    try:
        init, fit, miss = _initial_state(sc, lambda tau: coefficients(0, tau), lb_t[0], floor_t[0])
    except np.linalg.LinAlgError:
        init, fit, miss = np.full(N_STATE, np.nan), {}, {}
    if not np.isfinite(init[:N_REC]).all():
        raise diagnostics.not_computable(sc, "the initial state fitted to the curve")
    bounds = bounds._replace(pricing=_pricing_error(sc, miss, cal))
    # the yields start at the observed curve: the fit's residuals are the part 'pricing_error'
    cv = cv._replace(resid=_resid(bounds, n, np.array([t.years for t in tenors])))
    # rate decisions the rule adopts (events with sets_target): their stance shifts, from the fitted start
    policy.adopt_decisions(sc, regs, reg_of_step, cal, init, events)
    if sc.section("policy").floor_centring == "mean":  # the rule's offset, from the fitted start (engine.blocks.policy)
        params.policy.offset[:] = policy.centring_offsets(sc, regs, reg_of_step, cal, init, events)

    rec_slot = -np.ones(n + 1, dtype=np.int64)
    rec_slot[cal.record_points] = np.arange(len(cal.record_points))
    every = sc.outputs.path_metrics == "every_step"
    spw = cal.steps_per_week if every else 0  # no weekly metrics from the recorded dates alone
    grid = Grid(cal.dt, reg_of_step.astype(np.int64), rec_slot, spw, bool(sim.antithetic), every)
    fiscal = plumbing = None
    on = sc.section("stablecoins").enabled or sc.section("basis_trade").enabled
    if on or sc.section("treasury").enabled:
        cv10 = _curve(sc, coefficients, n, np.array([10.0]), bounds)  # the 10y the plumbing blocks read
        init = _plumbing_initial(sc, init, cv10, events.overlay)
    if sc.section("treasury").enabled:
        init, fiscal = _fiscal(sc, cal, init, _curve(sc, coefficients, n, np.array(MATURITY), bounds), events.overlay)
    if on:
        rec0 = N_REC + (len(FISCAL_NAMES) if fiscal is not None else 0)
        packed = {b.name: module(b.name).pack(regs, cal, reg_of_step) for b in plumbing_blocks()}
        plumbing = Plumbing(
            **packed,
            curve=cv10,
            rec0=rec0,
            position0=float(sc.section("basis_trade").position.value),
            runs=stablecoins.runs_possible(regs),
            shock=stablecoins.shock_possible(regs),
        )
    if fiscal is None and plumbing is None:  # those blocks write core rows: every core block steps with them
        params = params._replace(still=still_blocks(params, active, events, init, reg_of_step))
    return Model(sc, cal, tenors, init, grid, shocks, events, params, cv, fiscal, plumbing, active, fit)


def _plumbing_initial(sc: Scenario, init: np.ndarray, cv10: curve.Curve, overlay) -> np.ndarray:
    """The core state extended by the plumbing blocks' rows (each block writes its own; the basis
    trade starts from the 10y yield at the start)."""
    x = np.zeros(N_PLUMBING_STATE)
    x[:N_STATE] = init
    for b in plumbing_blocks():
        module(b.name).initial(sc, x)
    y0 = np.zeros((1, 1))
    curve.compose_all(x[:, None].copy(), 0, cv10, overlay, y0)
    x[basis_trade.Y10] = y0[0, 0]
    return x


def _fiscal(sc: Scenario, cal, init: np.ndarray, cv_b: curve.Curve, overlay) -> tuple[np.ndarray, Any]:
    """The fiscal blocks' packed parameters and rows of the initial state, in registry order (each
    reads the rows of the blocks before it); the banks' book is at par at the start bucket yields."""
    full = np.zeros(N_FULL_STATE)
    full[: len(init)] = init
    y0 = np.zeros((len(MATURITY), 1))
    curve.compose_all(full[:, None].copy(), 0, cv_b, overlay, y0)
    packed = {}
    for b in fiscal_blocks():
        mod = module(b.name)
        packed[b.name] = mod.pack(sc, cal)
        mod.initial(sc, full, packed[b.name], y0[:, 0])
    if sc.section("treasury").reference is not None:
        ref = reference_path(sc, cal)
        packed["treasury"].ref_debt[:] = ref["debt_to_gdp"]
        if sc.section("supply").measured_against == "reference":
            sup = packed["supply"]
            sup.ref_dur[:], sup.ref_bills[:] = ref["private_duration_to_gdp"], ref["private_bills_to_gdp"]
            sup.ref_def[:] = ref["deficit_to_gdp"]
    return full, Fiscal(**packed, curve=cv_b)


#: the reference path's variables (recorded fiscal outputs, decimals of GDP)
REFERENCE_VARIABLES = ("debt_to_gdp", "private_duration_to_gdp", "private_bills_to_gdp", "deficit_to_gdp")


def reference_path(sc: Scenario, cal) -> dict[str, np.ndarray]:
    """The reference fiscal path of ``sc`` on the time points of ``cal``: the scenario named by
    ``treasury.reference`` (a file, relative to ``sc``'s own first, or a library name), run once
    from its own start with ``sc``'s step to ``sc``'s horizon, every Gaussian shock zero, its own
    reference and reaction off; its :data:`REFERENCE_VARIABLES` at each date (linear in time
    between its dates, flat outside them). It must be deterministic otherwise: no term-premium
    jumps, no plumbing blocks."""
    name = str(sc.section("treasury").reference)
    here = os.path.dirname(sc.source) if os.path.exists(sc.source) else ""
    local = [p for p in (os.path.join(here, name), os.path.join(here, name + ".yaml")) if os.path.isfile(p)]
    path = local[0] if here and local else catalog.resolve(name)

    def refused(why: str) -> ScenarioError:
        return ScenarioError([Problem(sc.source, None, "treasury.reference", f"{name!r}: {why}")])

    if not os.path.isfile(path):
        raise refused("no such scenario file or library scenario (ustsim scenarios)")
    start = load_scenario(path).simulation.start
    if start > cal.dates[0]:
        raise refused(
            f"starts on {start}, after this scenario's start {cal.dates[0]}; a reference must cover every date "
            "of the scenario (it is run from its own start to this scenario's horizon)"
        )
    months = max(1, math.ceil((cal.dates[-1] - start).days / 30.4375) + 1)
    over = [
        "treasury.reference=null",
        # the reference starts from its own curve the way this scenario does
        f"initial.pricing_error={sc.initial.pricing_error}",
        f"initial.pricing_error_half_life={sc.initial.pricing_error_half_life}",
        f"simulation.step={cal.step}",
        f"simulation.record={cal.step}",
        f"simulation.horizon={months}m",
        "simulation.paths=1",
        "simulation.antithetic=false",
        "simulation.quasi_random=false",
    ]
    m = build(load_scenario(path, overrides=over))
    if m.fiscal is None:
        raise refused("has the Treasury block off; a reference must have it on (it gives the fiscal path)")
    if m.jumps_possible:
        raise refused("has term-premium jumps; a reference must be deterministic (term_premium.jump_intensity: 0/yr)")
    if m.plumbing is not None:
        raise refused("has a plumbing block on; a reference must have stablecoins and basis_trade off")
    n = m.cal.n_steps
    S = m.init[:, None].copy()
    rec = np.empty((m.n_rec, m.n_var, 1))
    met = np.empty((N_MET, m.n_tenor, 1))
    zero = np.zeros((n, m.n_draw, 1))
    bad = simulate_block(block_states(0, 0, m.sources), zero, S, *m.bundles, rec, met)
    if bad[0] >= 0:
        raise refused("its run is not finite")
    at = np.array([d.toordinal() for d in m.cal.record_dates], dtype=float)
    want = np.array([d.toordinal() for d in cal.dates], dtype=float)
    names = m.rec_names
    return {v: np.interp(want, at, rec[:, names.index(v), 0]) for v in REFERENCE_VARIABLES}


class _Bounds(NamedTuple):
    """Per time point 0..n: the lower bound, the yields' floor and the parameter regime; the
    start's pricing error (:func:`_pricing_error`: time point 0..n, observed tenor; with the
    observed tenors in years), or None before the fit or without a curve."""

    lb: np.ndarray
    floor: np.ndarray
    regime: list
    pricing: tuple[np.ndarray, np.ndarray] | None = None


def _pricing_error(sc: Scenario, miss: dict, cal) -> tuple[np.ndarray, np.ndarray] | None:
    """The start's pricing error at tenor 0 and the observed tenors, at every time point: zero at
    tenor 0 (the short end is the policy rate's), then ``miss`` (tenor -> observed less the
    fitted model's yield before the floor, decimal), times 2^(-t / initial.pricing_error_half_life)
    with t = the time point's index x dt years (business days of 1/252 year for daily steps, as
    the model's clock); returns (tenors in years, (n + 1, tenor) errors), or None without a curve
    or with ``initial.pricing_error: drop``."""
    h = sc.initial.pricing_error_half_life
    if not miss or sc.initial.pricing_error == "drop":
        return None
    pts = [(0.0, 0.0)] + sorted((units.parse(t, "tenor").years, e) for t, e in miss.items())
    t = np.arange(cal.n_steps + 1) * cal.dt
    decay = 0.5 ** (t / h.years)
    return np.array([p[0] for p in pts]), np.outer(decay, [p[1] for p in pts])


def _curve(sc: Scenario, coefficients, n: int, ty: np.ndarray, bounds: _Bounds) -> curve.Curve:
    """:class:`~engine.blocks.curve.Curve` at the tenors ``ty`` (years): expectation coefficients
    at time points 0..n, the lower bound, the yields' floor, the components' signed loadings and
    constant parts (these per regime: an event may set the term premium's mean), and the start's
    pricing error at ``ty`` (zero at tenor 0, linear in the tenor up to and between the observed
    ones, flat beyond the longest)."""
    coef_n = np.zeros((n + 1, len(ty), curve.N_COEF))
    coef_pi = np.zeros_like(coef_n)
    for i in range(n + 1):
        for j, tau in enumerate(ty):
            coef_n[i, j], coef_pi[i, j] = coefficients(i, tau)
    by_regime: dict = {}
    for r in bounds.regime:
        if id(r) not in by_regime:
            by_regime[id(r)] = curve.shifts(r, ty)
    shift = np.ascontiguousarray(np.array([by_regime[id(r)] for r in bounds.regime]))
    return curve.Curve(coef_n, coef_pi, bounds.lb, bounds.floor, curve.loadings(sc, ty), shift, _resid(bounds, n, ty))


def _resid(bounds: _Bounds, n: int, ty: np.ndarray) -> np.ndarray:
    """The start's pricing error (time point 0..n, tenor ``ty``), decimal: zero without one."""
    resid = np.zeros((n + 1, len(ty)))
    if bounds.pricing is not None:
        at, err = bounds.pricing
        for i in range(n + 1):
            resid[i] = np.interp(ty, at, err[i])
    return resid


def _expectation_coefficients(sc: Scenario, regs: list, curve_reg: np.ndarray, cal, pol):
    """A function (time point i, tenor in years) -> (E avg policy, E avg inflation) coefficients,
    memoised: within a regime they depend on the tenor only, except while a fixed path runs."""
    dt, n = cal.dt, cal.n_steps
    drift = {r: curve.drift(regs[r]) for r in range(len(regs))}
    t_end = -1.0
    p = sc.section("policy")
    if p.fixed_path:
        until = p.fixed_until
        later = [k for k, day in enumerate(cal.dates) if day >= until]
        t_end = later[0] * dt if later else n * dt + (until - cal.dates[-1]).days / 365.25
        on_idx = np.nonzero(pol.fixed_on)[0]
        piece_t, piece_r = on_idx * dt, pol.fixed_rate[on_idx]
    cache: dict = {}

    def coefficients(i: int, tau: float) -> tuple[np.ndarray, np.ndarray]:
        on_path = i * dt < t_end - 1e-12
        key = (i, tau) if on_path else (curve_reg[i], tau)
        if key not in cache:
            K, c = drift[curve_reg[i]]
            cs, cp = curve.expectation_coefficients(K, c, tau)
            if on_path:
                cs = curve.fixed_path_coefficients(K, c, i * dt, tau, piece_t, piece_r, t_end)
            cache[key] = (cs, cp)
        return cache[key]

    return coefficients


def _initial_state(sc: Scenario, coefficients, lb: float, floor: float) -> tuple[np.ndarray, dict, dict]:
    """State of every path at the start: each core block writes its rows (engine.registry); with
    an observed curve, the term premium (and the states in ``fit_also``) are then fitted to it."""
    init = np.full(N_STATE, np.nan)
    for b in core_blocks():
        module(b.name).initial(sc, init)
    if sc.initial.curve is None:
        return init, {}, {}
    return _fit_initial(sc, init, sc.initial.curve, coefficients, lb, floor, sc.initial.fit_also)


FITTABLE = {"policy_stance": STANCE, "neutral_rate": RSTAR, "output_gap": GAP, "inflation_risk_premium": IRP}


def _fit_initial(sc: Scenario, init, observed: dict, coefficients, lb, floor, also: list[str]):
    """Least-squares initial 10y term premium (and the states in ``also``) that best match the curve.

    The yield is linear in both while the expected policy rate is above its lower bound and the
    yield above its floor; the model's yields with both bounds (the full formula) are returned
    with the fit.
    """
    ty = [units.parse(t, "tenor").years for t in observed]
    obs = np.array([v.value for v in observed.values()])
    load = curve.loadings(sc, ty)  # signed, (component, tenor)
    shift = curve.shifts(sc, ty)
    rows = [ROW[c.row] for c in COMPONENTS]
    tp_col = [c.row for c in COMPONENTS].index("term_premium")

    def model_yields(x0, floored=True):
        out = []
        for i, tau in enumerate(ty):
            cs, _ = coefficients(tau)
            y = max(cs[curve.N_X] + cs[: curve.N_X] @ x0[list(X_STATES)], lb)
            for c, row in enumerate(rows):
                y = y + (load[c, i] * x0[row] + shift[c, i])
            out.append(y + max(floor - y, 0.0) if floored else y)
        return np.array(out)

    x = init.copy()
    x[TP] = 0.0
    cols = [load[tp_col]]
    comp_rows = [c.row for c in COMPONENTS]
    for name in also:
        st = FITTABLE[name]
        x[st] = 0.0
        if name in comp_rows:  # a yield component: its column is its loadings
            cols.append(load[comp_rows.index(name)])
        else:  # a state of the expected short-rate path
            cols.append(np.array([coefficients(tau)[0][X_STATES.index(st)] for tau in ty]))
    A = np.column_stack(cols)
    sol, *_ = np.linalg.lstsq(A, obs - model_yields(x, floored=False), rcond=None)
    x[TP] = sol[0]
    for name, v in zip(also, sol[1:]):
        x[FITTABLE[name]] = v
    fitted = model_yields(x)
    fit = {str(t): (float(obs[i]), float(fitted[i])) for i, t in enumerate(observed)}
    # what the observed yields have beyond the model's sum before the floor: carried as the
    # pricing error, the start's yields are then the observed ones even where the floor binds
    miss = dict(zip(fit, (obs - model_yields(x, floored=False)).tolist()))
    return x, fit, miss
