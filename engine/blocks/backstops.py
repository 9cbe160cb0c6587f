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

import numpy as np

from ..schema import Bool, NameMap, Nullable, Q, Section, Str
from .fiscal_state import BUCKETS, N_B

MEASURES = ("fire_sale_10y", "term_premium_10y", "liquidity_wedge_10y", "bank_loss_to_capital")

_TRIGGER = Section({
    "measure": Str("the stress measure watched", choices=list(MEASURES)),
    "above": Q("rate", "the backstop switches on when the measure first exceeds this"),
}, "when the backstop switches on")


def _check(s, path, ctx):
    if s["enabled"] and s["trigger"] is None:
        ctx.error(path + ("trigger",), "missing; an enabled backstop needs a trigger, like "
                                       "{measure: fire_sale_10y, above: 30bp}")


SCHEMA = Section({
    "emergency_purchases": Section({
        "enabled": Bool("switch on", False),
        "trigger": Nullable(_TRIGGER, "when purchases start"),
        "size": Q("money", "total purchases (March 2020: ~$1tn within weeks)", "1tn", lo=0.0),
        "duration": Q("tenor", "over how long", "2m"),
        "mix": NameMap(BUCKETS, Q("rate", lo=0.0, hi=1.0), "share of purchases in each bucket",
                       {"2y": "15%", "3y": "10%", "5y": "20%", "7y": "15%", "10y": "20%", "20y": "5%", "30y": "15%"},
                       total=True),
        "relief_half_life": Q("tenor", "half-life of the fire-sale dislocation while purchases run", "1w"),
    }, "emergency Treasury purchases", check=_check),
    "btfp": Section({
        "enabled": Bool("switch on", False),
        "trigger": Nullable(_TRIGGER, "when the facility opens"),
        "size": Q("money", "cap on lending", "200bn", lo=0.0),
        "duration": Q("tenor", "how long the facility lends (BTFP: one year)", "1y"),
        "take_up": Q("rate", "share of banks' unrealized losses borrowed at par", "25%", lo=0.0, hi=1.0),
        "rate_spread": Q("rate", "lending rate minus the policy rate (BTFP: 1y OIS + 10bp)", "10bp"),
    }, "par-value lending facility", check=_check),
}, doc="Backstops switched on by a stress threshold.")

EP_ON, EP_MEASURE, EP_ABOVE, EP_SIZE, EP_DUR, EP_RELIEF, BT_ON, BT_MEASURE, BT_ABOVE, BT_SIZE, BT_DUR, BT_TAKE, \
    BT_SPREAD, N_BASE = range(14)
assert (EP_MEASURE, EP_ABOVE, BT_MEASURE, BT_ABOVE) == (EP_ON + 1, EP_ON + 2, BT_ON + 1, BT_ON + 2)
EP_MIX0 = N_BASE
N_PARAM = EP_MIX0 + N_B


def _pack_trigger(out: np.ndarray, sec: dict, on: int) -> None:
    """Switch, measure and threshold of one backstop at ``on``, ``on + 1``, ``on + 2``."""
    if sec["enabled"]:
        out[on] = 1.0
        out[on + 1] = MEASURES.index(sec["trigger"]["measure"])
        out[on + 2] = sec["trigger"]["above"].value


def pack(p: dict, dt: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    ep, bt = p["emergency_purchases"], p["btfp"]
    _pack_trigger(out, ep, EP_ON)
    out[EP_SIZE] = ep["size"].value
    out[EP_DUR] = ep["duration"].years
    out[EP_RELIEF] = math.exp(-math.log(2.0) * dt / ep["relief_half_life"].years)
    for b, q in ep["mix"].items():
        out[EP_MIX0 + BUCKETS.index(b)] = q.value
    _pack_trigger(out, bt, BT_ON)
    out[BT_SIZE] = bt["size"].value
    out[BT_DUR] = bt["duration"].years
    out[BT_TAKE] = bt["take_up"].value
    out[BT_SPREAD] = bt["rate_spread"].value
    return out
