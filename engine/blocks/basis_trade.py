"""Basis-trade block: relative-value funds long cash Treasuries on repo and short futures, their
margins, the forced sales a margin call beyond their equity causes, the dealers who absorb
sales up to a capacity per day, the dislocation sales beyond it cause, and the Fed's backstop.

Per path and step (``dt`` years; ``days`` business days), with position ``P`` and equity ``E``
(USD bn):

* requirements: the funds must hold ``(repo_haircut + m) x P`` of equity, ``m`` the futures
  initial margin: ``margin x (1 + margin_vol_sensitivity x max(0, sigma / reference_vol - 1))``
  plus an add-on events set (``basis_margin``), ``sigma`` the 10y's realised volatility (EWMA
  with ``vol_half_life``). CME raised the 10y note's margin 61% (Mar 3 -> 19, 2020) while the
  10y's daily moves roughly tripled: sensitivity 0.3;
* losses: the cash-futures basis is ``basis_share`` x the fire-sale dislocation (the cash side
  cheapens, futures less); a wider basis costs ``P x duration x`` its change;
* forced sales ``f``: what brings ``P`` back to ``E / (haircut + m)``, at most ``max_sales`` a
  day. Dealers take ``dealer_capacity`` a day without concession; the Fed's backstop, once
  triggered (the dislocation above ``backstop_trigger``, or from ``backstop_start``), takes up to
  ``backstop_pace`` a day; the rest goes to end investors at a concession that adds
  ``price_impact`` per $100bn to the fire-sale dislocation (the 10y factor; every tenor through
  its loading). Backstop capacity left after the forced sales buys the dislocated bonds back,
  relieving the dislocation at the same rate;
* the spiral: sales widen the dislocation, which raises losses and realised volatility and so
  margins, which forces more sales. Within a step this is resolved by the iteration ``f <-
  max(f, wanted(f))`` from 0. ``wanted`` is non-decreasing in ``f`` (the realised variance takes
  the step's move before the sales in absolute value plus the rise of the dislocation, so more
  sales never lower margins; the margin is floored at 0 and the position kept at ``[0, P]``) and
  bounded, so the iteration rises to the least fixed point; the iterations and any step that hit
  ``max_iterations`` first are recorded and reported;
* other forced sellers (``other_sales``, set by events: foreign official, money funds) sell into
  the same market and use up the same dealer capacity;
* what is sold is bought: ``funds' sales + others' sales = to dealers + to the Fed + to
  investors``, path by path and step by step (the Fed's further purchases, which buy dislocated
  bonds back from investors, are counted in ``basis_backstop_purchases``, not in the split);
* ``basis_needed_backstop``: sales beyond dealers' capacity would, without the Fed, have pushed
  the dislocation past ``backstop_trigger`` (30bp with a dated backstop), whether or not a
  backstop exists; ``basis_fund_drawdown``: the largest fall of equity from the start
  (``basis_fund_losses`` is the net marked-to-market loss at the horizon).

Funds do not re-lever within a run (the position only falls). The dislocation then fades at
the fire-sale block's speed (:mod:`engine.blocks.fire_sale`). With the Treasury block on, the
backstop's purchases are bought into the Fed's balance sheet (SOMA, by the mix of
``backstops.emergency_purchases``; :func:`engine.blocks.backstops.emergency`), and that block's
own emergency purchases still act on the dislocation too.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Annotated
from typing import Annotated as _A

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core import calendar
from ..core.events import block_event_problems
from ..core.layout import FIRE, OUTP, ROW
from ..core.ou import stack
from ..schema import (
    Bool,
    Date,
    Field,
    Flow,
    Int,
    Money,
    NonNegRate,
    Number,
    PositiveMoney,
    Quantity,
    Rate,
    Section,
    Share,
    Tenor,
    Unit,
    fail,
)
from ..units import BUSINESS_DAYS_PER_YEAR

POS, EQ, ADDON, MRATE, RVAR, Y10, SPREAD = (
    ROW["basis_position"],
    ROW["basis_equity"],
    ROW["basis_margin"],
    ROW["basis_margin_rate"],
    ROW["basis_rvar"],
    ROW["basis_y10"],
    ROW["basis_spread"],
)
OTHER = ROW["basis_other_sold"]
SOLD, SOLD_DAY, SOLD_PEAK, TO_DEALERS, TO_FED, TO_INV, LOSSES = (
    ROW["basis_sold"],
    ROW["basis_sold_day"],
    ROW["basis_sold_peak"],
    ROW["basis_to_dealers"],
    ROW["basis_to_fed"],
    ROW["basis_to_investors"],
    ROW["basis_losses"],
)
DRAWDOWN = ROW["basis_drawdown"]
BACKSTOP, BS_ON, NEEDED, SPREAD_PEAK, ITERS, ITERS_MAX, UNCONV = (
    ROW["basis_backstop"],
    ROW["basis_backstop_on"],
    ROW["basis_needed_backstop"],
    ROW["basis_spread_peak"],
    ROW["basis_iterations"],
    ROW["basis_iterations_max"],
    ROW["basis_unconverged"],
)
O0 = OUTP["basis_trade"]


class Params(Section):
    """Basis trade: leverage, margins, forced sales, dealer capacity and the Fed backstop."""

    enabled: Bool = Field(False, description="switch the basis-trade block on")
    position: Money = Field(
        "1000bn",
        description="funds' gross long cash Treasury position, hedged by futures shorts of the same notional "
        "(about $1tn in 2024-25, Kashyap, Stein, Wallen & Younger, BPEA 2025; $400-500bn before COVID, "
        "Barth & Kahn, OFR WP 21-01)",
    )
    equity: PositiveMoney = Field(
        "45bn",
        description="funds' equity behind the position (assumption: about 1.35x the requirements at the "
        "default haircut and margin)",
    )
    repo_haircut: Share = Field(
        "2%",
        description="repo haircut on the cash bonds (tri-party median 2%, OFR; 74% of non-centrally-cleared "
        "bilateral repo at zero)",
    )
    margin: Share = Field(
        "1.3%",
        description="futures initial margin in calm markets, share of notional (CME 10y note: $1,265 per $100k "
        "before March 2020)",
    )
    margin_vol_sensitivity: Annotated[float, Number(0.0, 100.0)] = Field(
        0.3,
        description="margin rises by this share per unit of realised volatility above its reference (CME 10y "
        "note +61% from Mar 3 to 19, 2020, as daily 10y moves roughly tripled)",
    )
    reference_vol: _A[Quantity, Unit("vol", lo=0.0, lo_open=True)] = Field(
        "90bp/sqrt(yr)", description="10y volatility at which margins are at their calm level (1990-2019: ~91bp/yr)"
    )
    vol_half_life: Tenor = Field("10d", description="half-life of the realised-volatility average margins follow")
    duration: Tenor = Field("8y", description="duration of the position (10y-note equivalents)")
    basis_share: Annotated[float, Number(0.0, 1.0)] = Field(
        0.5,
        description="share of the cash dislocation that shows in the cash-futures basis (assumption, fitted "
        "to the March 2020 replay: futures cheapen too)",
    )
    price_impact: NonNegRate = Field(
        "13bp",
        description="fire-sale dislocation of the 10y per $100bn sold beyond dealers' capacity (stress: ~13bp "
        "per $100bn of identified March 2020 sales, CALIBRATION.md, order of magnitude)",
    )
    dealer_capacity: Flow = Field(
        "5bn/day",
        description="sales dealers absorb a day without concession (assumption, fitted to the March 2020 "
        "replay; primary dealers' balance sheets per dollar of Treasuries fell 4x since 2007, Duffie 2020)",
    )
    max_sales: Flow = Field(
        "100bn/day", description="most the funds can sell in a day (assumption: market depth under stress)"
    )
    other_sales: Flow = Field(
        "0bn/day",
        description="forced sales by other holders in the same market (foreign official, money funds), set by "
        "events; they use up dealers' capacity like the funds' own (March 2020: foreign net sales ~$300bn of "
        "notes and bonds, unverified)",
    )
    backstop: Bool = Field(False, description="the Fed buys Treasuries when the dislocation crosses the trigger")
    backstop_trigger: Rate | None = Field(
        "30bp", description="fire-sale dislocation at which the backstop switches on (null: by date only)"
    )
    backstop_start: Date | None = Field(None, description="date from which the backstop runs whatever the trigger")
    backstop_pace: Flow = Field(
        "75bn/day",
        description="most the Fed buys a day (March 19 - April 1, 2020: ~$75bn/day; NY Fed desk statements)",
    )
    backstop_size: Money = Field(
        "1000bn", description="most the backstop buys in all ($775bn of Treasuries Mar 15-31, 2020)"
    )
    max_iterations: Int = Field(
        1000,
        description="cap on the spiral's fixed-point iterations in a step (near the tipping point the "
        "iteration contracts slowly)",
    )
    tolerance: PositiveMoney = Field("0.01bn", description="the spiral has converged when sales move less than this")

    @model_validator(mode="after")
    def _check(self) -> Params:
        probs: list[tuple[tuple, str]] = []
        if not 1 <= self.max_iterations <= 10_000:
            probs.append((("max_iterations",), f"{self.max_iterations}; expected 1 to 10,000"))
        if self.duration.years <= 0:
            probs.append((("duration",), f"'{self.duration}'; expected a positive duration like 8y"))
        if self.backstop and self.backstop_trigger is None and self.backstop_start is None:
            probs.append(
                (
                    ("backstop_trigger",),
                    "an enabled backstop needs a trigger or a start date; expected like 30bp, or backstop_start",
                )
            )
        if self.repo_haircut.value + self.margin.value <= 0:
            probs.append((("margin",), "haircut and margin are both zero: leverage is unbounded; expected some"))
        fail(*probs)
        return self


FIXED = ("enabled", "position", "equity", "duration", "backstop_start", "max_iterations", "tolerance")

(ON, H, M0, VSENS, VREF2, LAMV, DUR, BETA, IMPACT, CAPD, MAXS) = range(11)
(BS, TRIG, START, PACE, SIZE, TOL, MAXIT, DT, DAYS, OTHERS, EQ0, NEED) = range(11, 23)
N_SLOT = 23
NEED_DEFAULT = 0.003  # 30bp: "needs a backstop" when the trigger is a date only


def pack_one(sc, cal) -> np.ndarray:
    p: Params = sc.basis_trade
    dt = cal.dt
    out = np.zeros(N_SLOT)
    out[ON] = 1.0 if p.enabled else 0.0
    out[H] = p.repo_haircut.value
    out[M0] = p.margin.value
    out[VSENS] = p.margin_vol_sensitivity
    out[VREF2] = p.reference_vol.value**2
    out[LAMV] = math.exp(-math.log(2.0) * dt / max(p.vol_half_life.years, 1e-12))
    out[DUR] = p.duration.years
    out[BETA] = p.basis_share
    out[IMPACT] = p.price_impact.value / 100.0  # per USD bn
    out[CAPD] = p.dealer_capacity.value * dt
    out[MAXS] = p.max_sales.value * dt
    out[BS] = 1.0 if p.backstop else 0.0
    out[TRIG] = p.backstop_trigger.value if p.backstop_trigger is not None else math.inf
    out[START] = _start_point(p.backstop_start, cal)
    out[PACE] = p.backstop_pace.value * dt
    out[SIZE] = p.backstop_size.value
    out[TOL] = p.tolerance.value
    out[MAXIT] = p.max_iterations
    out[DT] = dt
    out[DAYS] = dt * BUSINESS_DAYS_PER_YEAR
    out[OTHERS] = p.other_sales.value * dt
    out[EQ0] = p.equity.value
    out[NEED] = p.backstop_trigger.value if p.backstop_trigger is not None else NEED_DEFAULT
    return out


def _start_point(day: _dt.date | None, cal) -> float:
    """First time point at which a dated backstop runs (the step containing the date acts)."""
    if day is None:
        return math.inf
    if day < cal.dates[0]:
        return 0.0
    if day >= cal.dates[-1]:
        return math.inf
    return float(cal.step_of(day) + 1)


def pack(regimes: list, cal, reg_of_step) -> np.ndarray:
    return stack(regimes, lambda sc: pack_one(sc, cal))


def initial(sc, x: np.ndarray) -> None:
    p: Params = sc.basis_trade
    for row in (ADDON, RVAR, Y10, SPREAD, OTHER, SOLD, SOLD_DAY, SOLD_PEAK, TO_DEALERS, TO_FED, TO_INV, LOSSES):
        x[row] = 0.0
    for row in (BACKSTOP, BS_ON, NEEDED, DRAWDOWN, SPREAD_PEAK, ITERS, ITERS_MAX, UNCONV):
        x[row] = 0.0
    x[POS] = p.position.value
    x[EQ] = p.equity.value
    x[MRATE] = p.margin.value
    x[RVAR] = p.reference_vol.value**2
    x[SPREAD] = p.basis_share * x[FIRE]


def checks(sc) -> list[tuple[tuple, str]]:
    """Events on the block need it on, its run/margin shocks are sized sensibly, and every
    regime ``set`` events start keeps the section's rules (engine.core.events)."""
    out = block_event_problems(sc, "basis_trade", ("basis_margin",))
    p: Params = sc.basis_trade
    if p.enabled and p.backstop_start is not None:
        end = calendar.end_date(sc.simulation.start, sc.simulation.horizon)
        if not sc.simulation.start <= p.backstop_start < end:
            out.append(
                (
                    ("basis_trade", "backstop_start"),
                    f"{p.backstop_start} is outside the simulation [{sc.simulation.start}, {end}); "
                    "expected a date in it",
                )
            )
    return out


_ROWS = (POS, EQ, ADDON, MRATE, RVAR, Y10, SPREAD, OTHER, SOLD, SOLD_DAY, SOLD_PEAK, TO_DEALERS, TO_FED, TO_INV, LOSSES)
_ROWS2 = (BACKSTOP, BS_ON, NEEDED, DRAWDOWN, SPREAD_PEAK, ITERS, ITERS_MAX, UNCONV)


@njit(cache=True, nogil=True, error_model="numpy")
def _outcome(f, P, E, rv, y_ex, yprev, fire_pre, b_prev, addon, avail, Q):
    """Everything that follows from the funds' forced sales ``f`` in a step, with the other
    sellers' ``Q[OTHERS]``: (dealers' take, the Fed's take, investors' take, the Fed's further
    purchases, dislocation, realised variance, margin, equity, the funds' sales these imply).
    ``y_ex``: the 10y without the dislocation."""
    total = f + Q[OTHERS]
    d_take = min(total, Q[CAPD])
    fed_take = min(total - d_take, avail)
    inv = total - d_take - fed_take
    fire = fire_pre + Q[IMPACT] * inv
    relief = 0.0
    if fire > 0.0 and avail > fed_take and Q[IMPACT] > 0.0:
        relief = min(avail - fed_take, fire / Q[IMPACT])
        fire -= Q[IMPACT] * relief
    # the step's move: before the sales in absolute value, plus the rise of the dislocation they
    # cause, so that margins (and so the sales wanted) never fall as sales rise
    dy = abs(y_ex + fire_pre - yprev) + max(fire - fire_pre, 0.0)
    rv_new = Q[LAMV] * rv + (1.0 - Q[LAMV]) * dy * dy / Q[DT]
    m = max(Q[M0] * (1.0 + Q[VSENS] * max(0.0, math.sqrt(rv_new / Q[VREF2]) - 1.0)) + addon, 0.0)
    E_new = E - P * Q[DUR] * (Q[BETA] * fire - b_prev)
    den = Q[H] + m
    keep = P if den <= 0.0 else (max(0.0, min(P, E_new / den)) if E_new > 0.0 else 0.0)
    want = min(P - keep, Q[MAXS])
    return d_take, fed_take, inv, relief, fire, rv_new, m, E_new, want


@njit(cache=True, nogil=True, error_model="numpy")
def step(S, O, y10, k, Q):
    """Step k: from the old state O to S (whose core rows are stepped, the fire-sale factor
    included). ``y10``: (B,) the 10y yield of S before this step's forced sales. USD bn, decimals."""
    if Q[ON] == 0.0:
        for p in range(S.shape[1]):
            for row in _ROWS:
                S[row, p] = O[row, p]
            for row in _ROWS2:
                S[row, p] = O[row, p]
        return
    maxit = int(Q[MAXIT])
    for p in range(S.shape[1]):
        P, E, rv, yprev, b_prev = O[POS, p], O[EQ, p], O[RVAR, p], O[Y10, p], O[SPREAD, p]
        addon = O[ADDON, p]
        fire_pre = S[FIRE, p]
        y_ex = y10[p] - fire_pre
        on = O[BS_ON, p]
        if Q[BS] > 0.0 and on == 0.0 and (fire_pre >= Q[TRIG] or k + 1 >= Q[START]):
            on = 1.0
        avail = min(Q[PACE], Q[SIZE] - O[BACKSTOP, p]) if on > 0.0 else 0.0
        avail = max(avail, 0.0)
        f = 0.0
        it = 0
        converged = False
        while it < maxit:
            it += 1
            want = _outcome(f, P, E, rv, y_ex, yprev, fire_pre, b_prev, addon, avail, Q)[8]
            want = max(want, f)  # sales already made stay made: the iteration is monotone
            if want - f <= Q[TOL]:
                f = want
                converged = True
                break
            f = want
        d_take, fed_take, inv, relief, fire, rv_new, m, E_new, _ = _outcome(
            f, P, E, rv, y_ex, yprev, fire_pre, b_prev, addon, avail, Q
        )
        spread = Q[BETA] * fire
        S[FIRE, p] = fire
        S[POS, p] = P - f
        S[EQ, p] = max(E_new, 0.0)
        S[ADDON, p] = addon
        S[MRATE, p] = m
        S[RVAR, p] = rv_new
        S[Y10, p] = y_ex + fire
        S[SPREAD, p] = spread
        S[OTHER, p] = O[OTHER, p] + Q[OTHERS]
        S[SOLD, p] = O[SOLD, p] + f
        S[SOLD_DAY, p] = f / Q[DAYS]
        S[SOLD_PEAK, p] = max(O[SOLD_PEAK, p], f / Q[DAYS])
        S[TO_DEALERS, p] = O[TO_DEALERS, p] + d_take
        S[TO_FED, p] = O[TO_FED, p] + fed_take
        S[TO_INV, p] = O[TO_INV, p] + inv
        S[LOSSES, p] = O[LOSSES, p] + (E - E_new)
        S[BACKSTOP, p] = O[BACKSTOP, p] + fed_take + relief
        S[BS_ON, p] = on
        # would the funds' and others' sales beyond dealers' capacity, without the Fed, have pushed
        # the dislocation past the trigger (30bp with a dated backstop only)?
        no_fed = fire_pre + Q[IMPACT] * (fed_take + inv)
        S[NEEDED, p] = 1.0 if (O[NEEDED, p] > 0.0 or (f > 0.0 and no_fed >= Q[NEED])) else 0.0
        S[DRAWDOWN, p] = max(O[DRAWDOWN, p], Q[EQ0] - max(E_new, 0.0))
        S[SPREAD_PEAK, p] = max(O[SPREAD_PEAK, p], spread)
        S[ITERS, p] = it
        S[ITERS_MAX, p] = max(O[ITERS_MAX, p], it)
        S[UNCONV, p] = O[UNCONV, p] + (0.0 if converged else 1.0)


@njit(cache=True, nogil=True)
def record(S, out, rec0, P0):
    """The block's outputs (engine.registry) into a record slot, from row ``rec0``; ``P0`` the
    position at the start (USD bn)."""
    o = rec0 + O0
    for p in range(S.shape[1]):
        out[o, p] = S[POS, p]
        out[o + 1, p] = 1.0 - S[POS, p] / P0 if P0 > 0.0 else 0.0
        out[o + 2, p] = S[SOLD_DAY, p]
        out[o + 3, p] = S[SOLD, p]
        out[o + 4, p] = S[SOLD_PEAK, p]
        out[o + 5, p] = S[SPREAD, p]
        out[o + 6, p] = S[SPREAD_PEAK, p]
        out[o + 7, p] = S[MRATE, p]
        out[o + 8, p] = S[EQ, p]
        out[o + 9, p] = S[LOSSES, p]
        out[o + 10, p] = S[DRAWDOWN, p]
        out[o + 11, p] = S[BACKSTOP, p]
        out[o + 12, p] = S[NEEDED, p]
        out[o + 13, p] = S[OTHER, p]
        out[o + 14, p] = S[TO_DEALERS, p]
        out[o + 15, p] = S[TO_FED, p]
        out[o + 16, p] = S[TO_INV, p]
        out[o + 17, p] = S[ITERS, p]
        out[o + 18, p] = S[ITERS_MAX, p]
        out[o + 19, p] = S[UNCONV, p]
