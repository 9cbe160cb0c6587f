"""Model assembly: a validated scenario -> the flat arrays the kernel runs on.

Nothing here runs per path; it packs each block's parameters per regime, builds the time grid,
compiles events, precomputes the closed-form expectation coefficients for every time point and
tenor, and fits the initial term premium to an observed curve.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import calendar as _cal
from .blocks import (convenience_yield, curve, events, fire_sale, inflation_risk_premium, liquidity_wedge, macro,
                     policy, shocks, term_premium, treasury)
from .blocks.fiscal import Fiscal, bucket_yields
from .blocks.fiscal_state import MATURITY, N_B, RECORDED_NAMES
from .blocks.state import (CUM_RATE, CY, FIRE, GAP, INFL, INFL_EXP, IRP, JUMP_THR, N_STATE, OVERLAY_STATES, POLICY,
                           RSTAR, SHADOW, STANCE, TP, WEDGE)
from .errors import Problem, ScenarioError
from .sampling import MAX_DIMENSION
from .scenario import Scenario
from .units import Tenor

# Recorded variables: the state. Yields and their components are deterministic functions of it
# (engine.results rebuilds them with the kernel's coefficients and order of operations).
REC_STATES = (GAP, INFL, INFL_EXP, RSTAR, STANCE, SHADOW, POLICY, TP, IRP, CY, WEDGE, FIRE, CUM_RATE)
# overlay column recorded with each state (-1: none)
REC_OVERLAY = tuple(OVERLAY_STATES.index(s) if s in OVERLAY_STATES else -1 for s in REC_STATES)
REC_NAMES = ("output_gap", "inflation", "inflation_expectations", "neutral_rate", "policy_stance", "shadow_rate",
             "policy_rate",
             "term_premium_10y", "inflation_risk_premium_10y", "convenience_yield_3m", "liquidity_wedge_10y",
             "fire_sale_10y", "cum_rate")
N_REC_STATE = len(REC_STATES)

# Per-path metrics per tenor, filled by the kernel at every step.
MET_RISE, MET_FALL, MET_RISE_W, MET_FALL_W, MET_SUMSQ, MET_PEAK, MET_TROUGH = range(7)
N_MET = 7


@dataclasses.dataclass
class Model:
    scenario: Scenario
    cal: _cal.Calendar
    tenors: list[Tenor]
    tenor_years: np.ndarray
    init: np.ndarray               # (N_STATE,) initial state of every path
    arrays: dict                   # kernel inputs, by name
    n_draw: int                    # normals drawn per path per step
    active_shocks: list[int]
    fit: dict                      # initial curve fit: tenor -> (observed, model) decimals
    jumps_possible: bool
    fiscal: Fiscal | None = None   # the Treasury/Fed/holder blocks, when treasury.enabled

    @property
    def n_rec(self) -> int:
        return len(self.cal.record_points)

    @property
    def rec_names(self) -> tuple[str, ...]:
        """Names of the recorded rows: the core states, then the fiscal variables if on."""
        return REC_NAMES + (RECORDED_NAMES if self.fiscal is not None else ())

    @property
    def n_var(self) -> int:
        return len(self.rec_names)

    @property
    def n_tenor(self) -> int:
        return len(self.tenors)


def _sections(data: dict) -> dict:
    return {k: data[k] for k in ("macro", "policy", "term_premium", "inflation_risk_premium", "convenience_yield",
                                 "liquidity_wedge", "fire_sale")}


def build(sc: Scenario) -> Model:
    d = sc.data
    sim = d["simulation"]
    cal = _cal.build(sim["start"], sim["horizon"], sim["step"], sim["record"])
    n, dt = cal.n_steps, cal.dt
    base = _sections(d)
    regs, reg_of_step = events.regimes(base, d["events"], cal)
    stack = lambda f: np.ascontiguousarray(np.array([f(r) for r in regs]))  # noqa: E731
    Pm = stack(lambda r: macro.pack(r["macro"], dt))
    Pp = stack(lambda r: policy.pack(r["policy"], r["macro"], dt))
    Ptp = stack(lambda r: term_premium.pack(r["term_premium"], dt))
    Pirp = stack(lambda r: inflation_risk_premium.pack(r["inflation_risk_premium"], r["macro"], dt))
    Pcy = stack(lambda r: convenience_yield.pack(r["convenience_yield"], dt))
    Pw = stack(lambda r: liquidity_wedge.pack(r["liquidity_wedge"], dt))
    Pf = stack(lambda r: fire_sale.pack(r["fire_sale"], dt))

    active = shocks.active_shocks(regs)
    if sim["quasi_random"] and n * len(active) > MAX_DIMENSION:
        raise ScenarioError([Problem(sc.source, None, "simulation.quasi_random", (
            f"needs steps x Gaussian shocks <= {MAX_DIMENSION} Sobol dimensions, here {n} x {len(active)} = "
            f"{n * len(active)}; use longer steps, a shorter horizon or fewer shocks"))])
    ptr, cols, vals = shocks.loading_csr(d["correlations"], active)
    ev_ptr, ev_state, ev_size, overlay = events.compile_shocks(d["events"], cal)

    # integrated jump intensity at each time point (exact under regime changes)
    lam = np.array([Ptp[reg_of_step[k]][term_premium.LAM] for k in range(n)])
    cum_lam = np.concatenate([[0.0], np.cumsum(lam * dt)])

    # policy schedule
    ini = d["initial"]
    fixed_on, fixed_rate = policy.fixed_path_rates(d["policy"], cal.dates, ini["fed_funds"].value)
    fomc = np.zeros(n, dtype=np.int8)
    if d["policy"]["moves"] == "fomc":
        for md in policy.fomc_dates(d["policy"], cal.dates[0], cal.dates[-1]):
            fomc[cal.step_of(md)] = 1

    tenors = list(d["outputs"]["tenors"])
    ty = np.array([t.years for t in tenors])

    curve_reg = np.concatenate([[reg_of_step[0]], reg_of_step]).astype(np.int64)
    lb_t = np.array([Pp[curve_reg[i]][policy.LB] for i in range(n + 1)])
    coefficients = _expectation_coefficients(d, regs, curve_reg, cal, fixed_on, fixed_rate)
    coef_n, coef_pi, load = _curve_arrays(d, coefficients, n, ty)
    init, fit = _initial_state(d, base, lambda tau: coefficients(0, tau), lb_t[0])

    rec_slot = -np.ones(n + 1, dtype=np.int64)
    rec_slot[cal.record_points] = np.arange(len(cal.record_points))
    arrays = dict(reg_of_step=reg_of_step.astype(np.int64), Pm=Pm, Pp=Pp, Ptp=Ptp, Pirp=Pirp, Pcy=Pcy, Pw=Pw,
                  Pf=Pf, sh_ptr=ptr, sh_cols=cols, sh_vals=vals, ev_ptr=ev_ptr, ev_state=ev_state, ev_size=ev_size,
                  overlay=overlay, cum_lam=cum_lam, fixed_on=fixed_on, fixed_rate=fixed_rate, fomc=fomc,
                  coef_n=coef_n, coef_pi=coef_pi, lb_t=lb_t, load=load, rec_slot=rec_slot)
    fis = None
    if treasury.is_on(d):
        fis = Fiscal(d, cal)
        if fis.problems:
            raise ScenarioError([Problem(sc.source, None, msg.split(":")[0], msg.split(": ", 1)[1])
                                 for msg in fis.problems])
        init, arrays = _add_fiscal(d, fis, init, arrays, coefficients, curve_reg, n)
    else:
        arrays.update(_NO_FISCAL)
    return Model(sc, cal, tenors, ty, init, arrays, len(active), active, fit, bool(cum_lam[-1] > 0), fis)


_NO_FISCAL = dict(Pt=np.zeros(1), Pfed=np.zeros(1), Pbs=np.zeros(1), Ph=np.zeros(1), Ps=np.zeros(1),
                  fT=np.zeros((1, 1)), coef_nb=np.zeros((1, 1, curve.N_COEF)), coef_pib=np.zeros((1, 1, curve.N_COEF)),
                  load_b=np.zeros((5, 1)))


def _curve_arrays(d: dict, coefficients, n: int, ty: np.ndarray):
    """(coef_n, coef_pi, load) of :func:`engine.blocks.curve.compose` at the tenors ``ty`` (years):
    expectation coefficients at time points 0..n and the premia's loadings."""
    coef_n = np.zeros((n + 1, len(ty), curve.N_COEF))
    coef_pi = np.zeros_like(coef_n)
    for i in range(n + 1):
        for j, tau in enumerate(ty):
            coef_n[i, j], coef_pi[i, j] = coefficients(i, tau)
    load = np.zeros((5, len(ty)))
    load[curve.L_IRP] = inflation_risk_premium.loadings(d["inflation_risk_premium"], ty)
    load[curve.L_TP] = term_premium.loadings(d["term_premium"], ty)
    load[curve.L_W] = liquidity_wedge.loadings(d["liquidity_wedge"], ty)
    load[curve.L_CY] = convenience_yield.loadings(d["convenience_yield"], ty)
    load[curve.L_F] = fire_sale.loadings(d["fire_sale"], ty)
    return coef_n, coef_pi, load


def _add_fiscal(d: dict, fis: Fiscal, init: np.ndarray, arrays: dict, coefficients, curve_reg, n: int):
    """Expectation coefficients and loadings at the bucket tenors, the fiscal rows of the
    initial state, and the banks' start yields."""
    coef_nb, coef_pib, load_b = _curve_arrays(d, coefficients, n, np.array(MATURITY))
    full = np.concatenate([init, fis.init_rows])
    y0 = np.zeros((N_B, 1))
    bucket_yields(full[:, None].copy(), 0, coef_nb, coef_pib, arrays["lb_t"], load_b, arrays["overlay"], y0)
    y0 = y0[:, 0]
    fis.set_start_yields(y0)
    fis.start_yields = y0
    arrays = dict(arrays, Pt=fis.Pt, Pfed=fis.Pf, Pbs=fis.Pb, Ph=fis.Ph, Ps=fis.Ps, fT=fis.T, coef_nb=coef_nb,
                  coef_pib=coef_pib, load_b=load_b)
    return full, arrays


def _expectation_coefficients(d: dict, regs: list, curve_reg: np.ndarray, cal, fixed_on, fixed_rate):
    """A function (time point i, tenor in years) -> (E avg policy, E avg inflation) coefficients,
    memoised: within a regime they depend on the tenor only, except while a fixed path runs."""
    dt, n = cal.dt, cal.n_steps
    drift = {r: curve.drift(regs[r]) for r in range(len(regs))}
    t_end = -1.0
    if d["policy"]["fixed_path"]:
        until = d["policy"]["fixed_until"]
        later = [k for k, day in enumerate(cal.dates) if day >= until]
        t_end = later[0] * dt if later else n * dt + (until - cal.dates[-1]).days / 365.25
        on_idx = np.nonzero(fixed_on)[0]
        piece_t, piece_r = on_idx * dt, fixed_rate[on_idx]
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


def _initial_state(d: dict, base: dict, coefficients, lb: float) -> tuple[np.ndarray, dict]:
    """State of every path at the start; unset states take their block's long-run mean. With an
    observed curve, the term premium (and the states in ``fit_also``) are fitted to it."""
    ini = d["initial"]
    m0 = base["macro"]
    init = np.zeros(N_STATE)
    pistar = m0["inflation_target"].value
    init[GAP] = ini["output_gap"].value
    init[INFL] = ini["inflation"].value if ini["inflation"] is not None else pistar
    init[INFL_EXP] = ini["inflation_expectations"].value if ini["inflation_expectations"] is not None else pistar
    init[RSTAR] = ini["neutral_rate"].value if ini["neutral_rate"] is not None else m0["neutral_rate_mean"].value
    init[SHADOW] = init[POLICY] = ini["fed_funds"].value
    init[STANCE] = ini["policy_stance"].value
    init[IRP] = (ini["inflation_risk_premium"] or base["inflation_risk_premium"]["mean"]).value
    init[CY] = (ini["convenience_yield"] or base["convenience_yield"]["mean"]).value
    init[WEDGE] = ini["liquidity_wedge"].value
    init[FIRE] = ini["fire_sale"].value
    init[JUMP_THR] = math.inf
    if ini["curve"] is None:
        init[TP] = ini["term_premium"].value
        return init, {}
    return _fit_initial(init, ini["curve"], coefficients, lb, d, ini["fit_also"])


FITTABLE = {"policy_stance": STANCE, "neutral_rate": RSTAR, "output_gap": GAP}


def _fit_initial(init, observed: dict, coefficients, lb, d, also: list[str]):
    """Least-squares initial 10y term premium (and the states in ``also``) that best match the curve.

    The yield is linear in both while the expected policy rate is above the floor; the fit
    is checked against the full (floored) formula and the model's yields are returned with it.
    """
    sec = _sections(d)
    ty = [t.years for t in observed]
    obs = np.array([v.value for v in observed.values()])
    load = {name: mod.loadings(sec[name], ty) for name, mod in (
        ("term_premium", term_premium), ("inflation_risk_premium", inflation_risk_premium),
        ("convenience_yield", convenience_yield), ("liquidity_wedge", liquidity_wedge), ("fire_sale", fire_sale))}

    def model_yields(x0):
        out = []
        for i, tau in enumerate(ty):
            cs, _ = coefficients(tau)
            en = max(cs[curve.N_X] + cs[:curve.N_X] @ x0[list(curve.X_STATES)], lb)
            out.append(en + load["inflation_risk_premium"][i] * x0[IRP] + load["term_premium"][i] * x0[TP]
                       + load["liquidity_wedge"][i] * x0[WEDGE] - load["convenience_yield"][i] * x0[CY]
                       + load["fire_sale"][i] * x0[FIRE])
        return np.array(out)

    x = init.copy()
    x[TP] = 0.0
    cols = [load["term_premium"]]
    for name in also:
        st = FITTABLE[name]
        x[st] = 0.0
        cols.append(np.array([coefficients(tau)[0][curve.X_STATES.index(st)] for tau in ty]))
    A = np.column_stack(cols)
    sol, *_ = np.linalg.lstsq(A, obs - model_yields(x), rcond=None)
    x[TP] = sol[0]
    for name, v in zip(also, sol[1:]):
        x[FITTABLE[name]] = v
    fitted = model_yields(x)
    fit = {str(t): (float(obs[i]), float(fitted[i])) for i, t in enumerate(observed)}
    return x, fit
