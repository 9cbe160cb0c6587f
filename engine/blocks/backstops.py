"""Backstops as triggered policy: emergency Treasury purchases and a par-value lending facility.

Each switches on, per path, the first time its stress measure crosses the scenario threshold,
and runs for ``duration``:

* ``emergency_purchases`` (the March 2020 response: ~$1tn of Treasuries within weeks,
  CALIBRATION.md) buys ``size`` evenly over ``duration`` by ``mix`` from private holders; while it
  runs, the fire-sale dislocation decays with ``relief_half_life`` on top of its own dynamics
  (dealers' balance sheets are relieved: 10y 1.18% on 2020-03-18 -> 0.76% on 03-23).
* ``btfp`` (Bank Term Funding Program, March 2023) lends at par against banks' securities:
  the balance is ``take_up`` x the banks' unrealized losses, capped at ``size``, while it runs,
  and is repaid when it ends. Lending adds to the Fed's assets and to reserves; losses it
  covers no longer count toward the SVB-type stress metric (``bank_stress``), which is the
  facility's purpose. BTFP's peak was ~$168bn (CALIBRATION.md, unverified).

Stress measures: ``fire_sale_10y``, ``term_premium_10y``, ``liquidity_wedge_10y`` (decimals,
thresholds like ``30bp``) and ``bank_loss_to_capital`` (a share, like ``25%``).
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.layout import (
    BTFP,
    BTFP_FIRED,
    BTFP_TIME,
    BUCKETS,
    EP_FIRED,
    EP_LEFT,
    EP_TIME,
    FIRE,
    N_B,
    OUT0,
    ROW,
    TP,
    WEDGE,
)
from ..schema import Bool, Field, Money, NameMap, Quantity, Rate, Section, Share, Tenor, Text, fail
from . import holders as _h
from . import treasury as _t

BASIS_BOUGHT = ROW["basis_backstop"]  # the basis-trade block's backstop purchases so far, USD bn
MEASURES = ("fire_sale_10y", "term_premium_10y", "liquidity_wedge_10y", "bank_loss_to_capital")
MEASURE_STATE = np.array((FIRE, TP, WEDGE, -1))  # state row of each measure; -1: bank loss / capital


class Trigger(Section):
    """When the backstop switches on."""

    measure: Annotated[str, Text(MEASURES)] = Field(description="the stress measure watched")
    above: Rate = Field(description="the backstop switches on when the measure first exceeds this")


class _Backstop(Section):
    enabled: Bool = Field(False, description="switch on")
    trigger: Trigger | None = Field(None, description="when it switches on")

    @model_validator(mode="after")
    def _trigger(self) -> _Backstop:
        if self.enabled and self.trigger is None:
            fail(
                (
                    ("trigger",),
                    "missing; an enabled backstop needs a trigger, like {measure: fire_sale_10y, above: 30bp}",
                )
            )
        return self


class EmergencyPurchases(_Backstop):
    """Emergency Treasury purchases."""

    enabled: Bool = Field(False, description="switch on")
    trigger: Trigger | None = Field(None, description="when purchases start")
    size: Money = Field("1tn", description="total purchases (March 2020: ~$1tn within weeks)")
    duration: Tenor = Field("2m", description="over how long")
    mix: Annotated[dict[str, Quantity], NameMap(BUCKETS, Share, total=True)] = Field(
        {"2y": "15%", "3y": "10%", "5y": "20%", "7y": "15%", "10y": "20%", "20y": "5%", "30y": "15%"},
        description="share of purchases in each bucket",
    )
    relief_half_life: Tenor = Field("1w", description="half-life of the fire-sale dislocation while purchases run")


class Btfp(_Backstop):
    """Par-value lending facility."""

    enabled: Bool = Field(False, description="switch on")
    trigger: Trigger | None = Field(None, description="when the facility opens")
    size: Money = Field("200bn", description="cap on lending")
    duration: Tenor = Field("1y", description="how long the facility lends (BTFP: one year)")
    take_up: Share = Field("25%", description="share of banks' unrealized losses borrowed at par")
    rate_spread: Rate = Field("10bp", description="lending rate minus the policy rate (BTFP: 1y OIS + 10bp)")


class Params(Section):
    """Backstops switched on by a stress threshold."""

    emergency_purchases: EmergencyPurchases = Field({}, description="emergency Treasury purchases")
    btfp: Btfp = Field({}, description="par-value lending facility")


# packed slots: for each backstop its switch (1/0), measure (index in MEASURES) and threshold;
# emergency purchases' size, duration (years) and the fire-sale relief per step; the facility's
# size, duration, take-up and rate spread; then the purchases' mix by bucket
(
    EP_ON,
    EP_MEASURE,
    EP_ABOVE,
    EP_SIZE,
    EP_DUR,
    EP_RELIEF,
    BT_ON,
    BT_MEASURE,
    BT_ABOVE,
    BT_SIZE,
    BT_DUR,
    BT_TAKE,
    BT_SPREAD,
) = range(13)
EP_MIX0 = 13
N_SLOT = EP_MIX0 + N_B


def _pack_trigger(out: np.ndarray, sec: EmergencyPurchases | Btfp, on: int) -> None:
    """Switch, measure and threshold of one backstop at ``on``, ``on + 1``, ``on + 2``."""
    if sec.enabled and sec.trigger is not None:
        out[on] = 1.0
        out[on + 1] = MEASURES.index(sec.trigger.measure)
        out[on + 2] = sec.trigger.above.value


def pack(sc, cal) -> np.ndarray:
    p: Params = sc.backstops
    out = np.zeros(N_SLOT)
    ep, bt = p.emergency_purchases, p.btfp
    _pack_trigger(out, ep, EP_ON)
    out[EP_SIZE] = ep.size.value
    out[EP_DUR] = ep.duration.years
    out[EP_RELIEF] = math.exp(-math.log(2.0) * cal.dt / ep.relief_half_life.years)
    for b, q in ep.mix.items():
        out[EP_MIX0 + BUCKETS.index(b)] = q.value
    _pack_trigger(out, bt, BT_ON)
    out[BT_SIZE] = bt.size.value
    out[BT_DUR] = bt.duration.years
    out[BT_TAKE] = bt.take_up.value
    out[BT_SPREAD] = bt.rate_spread.value
    return out


def initial(sc, x: np.ndarray, P: np.ndarray, y0: np.ndarray) -> None:
    x[EP_TIME] = x[BTFP_TIME] = -1.0  # not running


# ------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def emergency(S, O, dt, Pb, w):
    """Emergency purchases due this step (``w.ep_amt``) while the programme runs, and the
    fire-sale relief it brings. The basis-trade block's backstop purchases of the step (made
    before this stage; zero when that block is off) are bought the same way, by the programme's
    mix, so they enter the Fed's balance sheet."""
    ep_step, relief = Pb[EP_SIZE] * dt / Pb[EP_DUR], Pb[EP_RELIEF]
    ep_amt = w.ep_amt
    for p in range(S.shape[1]):
        ep_time, ep_left = O[EP_TIME, p], O[EP_LEFT, p]
        amt = min(ep_left, ep_step) if ep_time > 0.0 else 0.0
        ep_amt[p] = amt + (S[BASIS_BOUGHT, p] - O[BASIS_BOUGHT, p])
        S[EP_LEFT, p] = ep_left - amt if ep_time > 0.0 else ep_left
        S[EP_TIME, p] = ep_time - dt if ep_time > 0.0 else ep_time
        S[FIRE, p] = S[FIRE, p] * relief if ep_time > 0.0 else S[FIRE, p]


@njit(cache=True, nogil=True)
def btfp(S, O, dt, Pb, w):
    """The facility's balance while it runs: a share of the banks' losses ``w.loss``, capped."""
    bt_size, bt_take, loss = Pb[BT_SIZE], Pb[BT_TAKE], w.loss
    for p in range(S.shape[1]):
        bt_time = O[BTFP_TIME, p]
        S[BTFP, p] = min(bt_size, bt_take * max(loss[p], 0.0)) if bt_time > 0.0 else 0.0
        S[BTFP_TIME, p] = bt_time - dt if bt_time > 0.0 else bt_time


@njit(cache=True, nogil=True)
def _trigger(S, O, loss, Ph, measure, above, fired_row, x):
    """Carry the fired flag ``fired_row`` over the step and flag in ``x`` (1/0) the paths whose
    stress measure (MEASURES) first crosses ``above`` now."""
    st = MEASURE_STATE[int(measure)]
    cap = Ph[_h.B_CAP]
    for p in range(S.shape[1]):
        m = S[st, p] if st >= 0 else loss[p] / cap
        fired = O[fired_row, p]
        x[p] = 1.0 if (fired == 0.0) & (m > above) else 0.0
        S[fired_row, p] = 1.0 if x[p] > 0.0 else fired


@njit(cache=True, nogil=True)
def triggers(S, O, Pb, hol, w):
    """Switch on the backstops whose measure first crossed its threshold (they act from the next
    step)."""
    x = w.x
    _trigger(S, O, w.loss, hol.P, Pb[EP_MEASURE], Pb[EP_ABOVE] if Pb[EP_ON] > 0.0 else np.inf, EP_FIRED, x)
    ep_dur, ep_size = Pb[EP_DUR], Pb[EP_SIZE]
    for p in range(S.shape[1]):
        S[EP_TIME, p] = ep_dur if x[p] > 0.0 else S[EP_TIME, p]
        S[EP_LEFT, p] = ep_size if x[p] > 0.0 else S[EP_LEFT, p]
    _trigger(S, O, w.loss, hol.P, Pb[BT_MEASURE], Pb[BT_ABOVE] if Pb[BT_ON] > 0.0 else np.inf, BTFP_FIRED, x)
    bt_dur = Pb[BT_DUR]
    for p in range(S.shape[1]):
        S[BTFP_TIME, p] = bt_dur if x[p] > 0.0 else S[BTFP_TIME, p]


R_BTFP = OUT0["backstops"]


@njit(cache=True, nogil=True)
def record(S, out, w):
    out[R_BTFP] = S[BTFP]


def checks(sc) -> list[tuple[tuple, str]]:
    """Backstops act only with the Treasury block on."""
    p: Params = sc.backstops
    if sc.treasury.enabled:
        return []
    return [
        (("backstops", key, "enabled"), _t.NEEDS_TREASURY)
        for key in ("emergency_purchases", "btfp")
        if getattr(p, key).enabled
    ]
