"""Term-premium block: a mean-reverting 10y term-premium factor with correlated Gaussian shocks
and Poisson jumps. The premium at tenor tau is

    level(tau) x mean + loading(tau) x (factor - mean)

``level``: the Nelson-Siegel shape of mean premia across tenors (``level_scale``, FRB/US's mean
5y/10y/30y premia); ``loading``: how a move of the 10y factor moves tenor tau's premium, a point
map estimated from FRB/US premium changes (linear between its points, 0 at tenor 0, flat beyond
the longest; 1 at 10y). Mean levels and moves differ: the 30y premium is higher than the 10y's on
average but moves less. The first term is the constant :func:`shift` of the curve.

    d tp = k (m - tp) dt + s dW + J dN,   N Poisson with intensity lambda, J ~ N(mu_J, s_J)

Jumps use exponential waiting times in integrated intensity, so a path draws random numbers
for a jump only when one happens, and a change of intensity by an event stays exact.

The jumps' mean (lambda mu_J a year) adds lambda mu_J / k to the factor's long-run mean (0.5/yr x
15 bp / 0.333/yr = +22.5 bp with the defaults), so ``mean`` is the mean without them. With
``compensate_jumps: true`` the diffusion's mean is lowered by exactly what the jumps add on
average, step by step (m' = m - lambda dt mu_J / (1 - a) in the OU step's exact form, a = e^{-k dt},
in each regime), so the factor's expected path is the jump-free one and ``mean`` is its mean with
the jumps: jumps then widen the distribution and skew it without moving its centre. That is how
the mean is measured (FRB/US RG10P's 1990-2024 mean holds the repricings of its sample), and how
a stochastic run is centred on a deterministic reference (cbo_2025, issue 13).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, NamedTuple

import numpy as np
from numba import njit
from pydantic import model_validator

from .. import units
from ..core import pcg
from ..core.calendar import STEPS
from ..core.layout import JUMP_THR, SH_TP, TP
from ..core.ou import nelson_siegel_loading, ou_coeffs, stack
from ..schema import Bool, Field, NonNegRate, Number, Rate, Section, Speed, Tenor, TenorMap, Vol, fail

REF_YEARS = 10.0  # the factor is the 10y premium: the loading is 1 there


class Params(Section):
    """Term premium: mean-reverting 10y factor with shocks and Poisson jumps."""

    # FRB/US database RG10P (10y term premium), mean 1990Q1-2024Q4 = 0.65% (computed from frbus_histdata.csv).
    mean: Rate = Field("0.65%", description="long-run mean of the 10y term premium (excluding jumps)")
    # CALIBRATION.md: FRB/US rg10p quarterly AR 0.920 -> -4 ln 0.92 = 0.333/yr.
    speed: Speed = Field("0.333/yr", description="mean reversion of the term premium")
    # Tuned so the baseline's 10y monthly-change s.d. is ~26 bp (DGS10 1990-2019; 28.6 bp with the policy
    # cycle and stance shocks of issue 13, which took it down from 0.65%); see tests/test_calibration.py.
    vol: Vol = Field("0.5%/sqrt(yr)", description="volatility of term-premium shocks")
    # Assumption: a sizeable repricing (taper tantrum 2013, Apr 2025: ACM 10y TP +45 bp in a week,
    # CALIBRATION.md) about once every two years.
    jump_intensity: Speed = Field("0.5/yr", description="expected number of term-premium jumps per year")
    jump_mean: Rate = Field("15bp", description="mean jump size")
    jump_vol: NonNegRate = Field("20bp", description="s.d. of jump size")
    # Off by default (every scenario but cbo_2025 keeps its paths); cbo_2025 turns it on so that its
    # mean is centred on its deterministic reference (issue 13: +3.1 pp of 2055 net interest /
    # revenue from the jumps' mean, 5,000 paths).
    compensate_jumps: Bool = Field(
        False,
        description="true: the drift's mean is lowered by what the jumps add on average (jump_intensity x "
        "jump_mean a year), so the factor's expected path is the jump-free one and `mean` includes the jumps; "
        "false: the jumps add jump_intensity x jump_mean / speed to the long-run mean",
    )
    # The response of each tenor's term premium to a move of the 10y's: OLS slopes of quarterly
    # changes of FRB/US RG5P and RG30P on RG10P (frbus_histdata.csv), 1990Q1-2024Q4 without the
    # quarters at the zero lower bound (RFF < 0.25% in the quarter or the one before: FRB/US's
    # expected path is not floored there and its premia absorb the error, RG5P +5.4 pp in 2020Q2),
    # 102 quarters: 5y 1.20 (Newey-West s.e. 0.06), 30y 0.71 (0.05); R^2 0.94 / 0.85. With the ZLB
    # quarters: 1.48 (0.13) / 0.60 (0.05); 1990-2007: 1.13 (0.03) / 0.80 (0.02). FRB/US has no 2y
    # premium. These are ESTIMATED_LOADINGS below (tests/test_loadings.py re-derives them): a move of
    # the 10y premium moves the 30y's less than the Nelson-Siegel shape of mean *levels* (level_scale
    # below: 30y/10y 1.37) says (April 2025: 30y +44 bp, 10y +47 bp; scenarios/tariff_shock_2025.yaml
    # uses them). They are not the default: the initial fit reads a premium's *level* through the same
    # loadings, and with the estimates the baseline's fitted 2y/10y/30y missed the observed closes by
    # -7/+25/-30 bp (-6/+12/-7 with the levels' shape) and the backtest's one-year bands got worse
    # (10y 5-95% coverage 0.805 against 0.843, mean PIT 0.42 against 0.50; 2y 0.776 against 0.800;
    # engine.backtest defaults, 2,000 paths): the curve needs a second long-end factor before the
    # estimated moves can be the default (issue 13's closing note).
    loadings: Annotated[dict[str, Any], TenorMap(Annotated[float, Number(lo=0.0, hi=5.0)])] | None = Field(
        None,
        description="term-premium loading of moves by tenor (the 10y factor's move times this): linear between "
        "the points, 0 at tenor 0, flat beyond the longest, 1 at 10y; null: the levels' Nelson-Siegel shape "
        "(level_scale); the FRB/US estimates are {5y: 1.20, 10y: 1, 30y: 0.71}",
    )
    # L = 4y gives 5y/10y = 0.68 and 30y/10y = 1.37, close to FRB/US's mean term premia
    # 0.691 / 1.050 / 1.421 (5y / 10y / 30y; CALIBRATION.md): ratios 0.66 and 1.35.
    level_scale: Tenor = Field(
        "4y", description="shape of the mean term premium across tenors (Nelson-Siegel scale; 1 at 10y)"
    )

    @model_validator(mode="before")
    @classmethod
    def _loading_scale_is_gone(cls, data: Any) -> Any:
        if isinstance(data, dict) and "loading_scale" in data:
            fail(
                (
                    ("loading_scale",),
                    "was split in two: term_premium.level_scale (the shape of mean premia across tenors, "
                    "what loading_scale was) and term_premium.loadings (how a move of the 10y premium moves "
                    "each tenor, estimated from data); give level_scale instead",
                )
            )
        return data

    @model_validator(mode="after")
    def _check(self) -> Params:
        if self.compensate_jumps and self.speed.value <= 0.0 and self.jump_intensity.value > 0.0:
            fail(
                (
                    ("compensate_jumps",),
                    "needs term_premium.speed above 0/yr: without mean reversion the jumps' mean cannot be "
                    "offset by the drift's",
                )
            )
        if self.loadings is None:
            return self
        if not self.loadings:
            fail((("loadings",), "is empty; expected a map tenor -> loading like {5y: 1.2, 10y: 1, 30y: 0.71}"))
        seen: dict[float, str] = {}
        for k in self.loadings:
            t = units.parse(k, "tenor").years
            if t in seen:
                fail((("loadings", k), f"is the same tenor as {seen[t]}; give each tenor once"))
            seen[t] = k
        at10 = loadings(self, [REF_YEARS])[0]
        if abs(at10 - 1.0) > 1e-9:
            fail(
                (
                    ("loadings",),
                    f"gives {at10:.6g} at 10y; the factor is the 10y term premium, so the loading there must be 1 "
                    "(give 10y: 1)",
                )
            )
        return self


#: the slopes of quarterly changes of FRB/US RG5P and RG30P on RG10P (see ``Params.loadings``)
ESTIMATED_LOADINGS = {"5y": 1.20, "10y": 1.0, "30y": 0.71}

FIXED = ("loadings", "level_scale", "compensate_jumps")  # cannot change by a `set` event

# packed slots: OU decay and shock s.d. per step, mean, jump intensity (per year), jump size mean and s.d.
A, SD, MEAN, LAM, JMU, JSD = range(6)
N_SLOT = 6


class Packed(NamedTuple):
    """``P`` (regime, slot); ``cum_lam`` (time point): the integrated jump intensity since the
    start, exact under regime changes."""

    P: np.ndarray
    cum_lam: np.ndarray


def pack_one(p: Params, dt: float) -> np.ndarray:
    out = np.zeros(N_SLOT)
    out[A], out[SD] = ou_coeffs(p.speed.value, p.vol.value, dt)
    out[MEAN] = p.mean.value
    if p.compensate_jumps and p.jump_intensity.value > 0.0 and out[A] < 1.0:
        # E tp' = m' + (E tp - m') a + lambda dt mu_J = m + (E tp - m) a  <=>  m' = m - lambda dt mu_J / (1 - a)
        out[MEAN] -= p.jump_intensity.value * dt * p.jump_mean.value / (1.0 - out[A])
    out[LAM] = p.jump_intensity.value
    out[JMU] = p.jump_mean.value
    out[JSD] = p.jump_vol.value
    return out


def pack(regimes: list, cal, reg_of_step) -> Packed:
    P = stack(regimes, lambda sc: pack_one(sc.term_premium, cal.dt))
    lam = np.array([P[reg_of_step[k]][LAM] for k in range(cal.n_steps)])
    return Packed(P, np.concatenate([[0.0], np.cumsum(lam * cal.dt)]))


def loadings(p: Params, tenors_years) -> np.ndarray:
    """The loading at each tenor (years): linear in tenor between the map's points, from 0 at
    tenor 0, flat beyond the longest point; without a map, the levels' Nelson-Siegel shape."""
    if p.loadings is None:
        return np.array([nelson_siegel_loading(t, p.level_scale.years) for t in tenors_years])
    pts = sorted((units.parse(k, "tenor").years, float(v)) for k, v in p.loadings.items())
    xs = np.array([0.0] + [x for x, _ in pts])
    ys = np.array([0.0] + [y for _, y in pts])
    return np.interp(np.asarray(tenors_years, dtype=float), xs, ys)


def shift(p: Params, tenors_years) -> np.ndarray:
    """The constant part of the premium at each tenor, ``(level - loading) x mean`` (decimal):
    with it the premium is ``level x mean + loading x (factor - mean)``; 0 at 10y."""
    level = np.array([nelson_siegel_loading(t, p.level_scale.years) for t in tenors_years])
    return (level - loadings(p, tenors_years)) * p.mean.value


def initial(sc, x: np.ndarray) -> None:
    """The 10y term premium as given, or 0 until it is fitted to an observed curve
    (engine.model); no jump threshold until the kernel draws the first."""
    x[TP] = sc.initial.term_premium.value if sc.initial.term_premium is not None else 0.0
    x[JUMP_THR] = math.inf


@njit(cache=True, nogil=True)
def step(S, S2, E, P):
    """Diffusive part of the step of every path (jumps come after all normals are drawn: :func:`jumps`)."""
    for p in range(S.shape[1]):
        S2[TP, p] = P[MEAN] + (S[TP, p] - P[MEAN]) * P[A] + P[SD] * E[SH_TP, p]
        S2[JUMP_THR, p] = S[JUMP_THR, p]


@njit(cache=True, nogil=True)
def first_jumps(rng, S, n_drawn):
    """Each path's first jump threshold (an exponential); an antithetic partner shares its pair's."""
    B = S.shape[1]
    for p in range(n_drawn):
        S[JUMP_THR, p] = pcg.exponential(rng)
    for p in range(n_drawn, B):
        S[JUMP_THR, p] = S[JUMP_THR, p - n_drawn]


@njit(cache=True, nogil=True)
def jumps(rng, S, k, r, n_drawn, pk):
    """Jumps over step k (regime r), path by path in order; an antithetic partner takes the
    mirrored size at the same time. ``pk``: :class:`Packed`."""
    B = S.shape[1]
    cum_lam = pk.cum_lam
    if cum_lam[k + 1] > cum_lam[k]:
        P = pk.P[r]
        lam_end = cum_lam[k + 1]
        for p in range(n_drawn):
            mirror = p + n_drawn if p + n_drawn < B else -1
            while S[JUMP_THR, p] <= lam_end:
                z = pcg.normal(rng)
                S[TP, p] += P[JMU] + P[JSD] * z
                S[JUMP_THR, p] += pcg.exponential(rng)
                if mirror >= 0:
                    S[TP, mirror] += P[JMU] + P[JSD] * -z
                    S[JUMP_THR, mirror] = S[JUMP_THR, p]


MAX_JUMPS_PER_STEP = 10.0  # expected jumps of one path in one step: beyond it the step is far too long


def checks(sc) -> list[tuple[tuple, str]]:
    """The expected number of jumps per path and step stays small in every regime (a jump is
    drawn path by path inside the step: an intensity meant per day but written per year would
    otherwise take hours)."""
    dt = STEPS.get(str(sc.simulation.step))
    if dt is None:
        return []
    given: list[tuple[tuple, Any]] = [(("term_premium", "jump_intensity"), sc.term_premium.jump_intensity)]
    given += [
        (("events", i, "value"), ev.value)
        for i, ev in enumerate(sc.events)
        if ev.kind == "set" and ev.set == "term_premium.jump_intensity"
    ]
    return [
        (
            path,
            f"'{lam}' means {lam.value * dt:.3g} jumps per path in each step of {sc.simulation.step}; "
            f"expected at most {MAX_JUMPS_PER_STEP:g} (at most {MAX_JUMPS_PER_STEP / dt:.0f}/yr with this step)",
        )
        for path, lam in given
        if lam.value * dt > MAX_JUMPS_PER_STEP
    ]
