"""Fed balance-sheet block: SOMA Treasuries by bucket, QE purchases, QT runoff caps, other assets,
reserves, ON RRP, net income, remittances and the deferred asset.

Each step, on every path:

* SOMA holdings of bucket b mature at the bucket's runoff rate (as the Treasury's debt does).
  Under a QT programme, redemptions are capped at ``cap`` per period; maturing amounts above the
  cap are reinvested at auction in the same bucket, at the current yield. Outside QT everything
  maturing is reinvested (the balance sheet is held).
* QE buys ``pace`` per period split by ``mix`` from private holders (never more than they hold),
  at the bucket's current yield.
* Net income = SOMA coupons + other assets x their yield + facility lending x its rate
  - IORB x reserves - ON RRP rate x RRP - operating costs. Positive income first pays down the
  deferred asset and the rest is remitted to the Treasury (revenue); a loss adds to the deferred
  asset (Federal Reserve accounting since 2011).
* Reserve management: when reserves fall below ``reserves_floor`` x GDP (currency grows with
  GDP and drains them), the Fed buys bills from private holders to restore them.
* ON RRP decays toward its floor at ``rrp_speed``; currency grows with nominal GDP; reserves are
  the residual of the balance sheet:
  reserves = SOMA + other assets + facility loans - currency - RRP - TGA - capital + deferred asset.

Defaults (Dec 2025): total assets $6.58tn (WALCL 2025-12-24, ../shared/data) split into SOMA
Treasuries $4.2tn and other assets $2.1tn (agency MBS; H.4.1, secondary) plus ~$0.3tn of the
rest inside "other"; ON RRP ~$106bn (RRPONTSYD 2025-12-31); currency $2.4tn, capital $46bn and
the deferred asset ~$240bn (H.4.1, secondary; unverified). QT ended 2025-12-01 (CALIBRATION.md).
"""
from __future__ import annotations

import datetime as _dt
import math

import numpy as np

from ..schema import ListOf, NameMap, Q, Section
from .fiscal_state import BUCKETS, N_B


def _check_window(s, path, ctx):
    if s["start"] is not None and s["end"] is not None and s["end"] <= s["start"]:
        ctx.error(path + ("end",), f"{s['end']} is not after start {s['start']}; expected a later date")


_QE = Section({
    "start": Q("date", "first day of purchases"),
    "end": Q("date", "day purchases stop"),
    "pace": Q("flow", "purchases per period, like 80bn/month", lo=0.0),
    "mix": NameMap(BUCKETS, Q("rate", lo=0.0, hi=1.0), "share of purchases in each bucket (sums to 100%)",
                   {"2y": "10%", "3y": "10%", "5y": "25%", "7y": "20%", "10y": "20%", "30y": "15%"}, total=True),
}, "a purchase programme", check=_check_window)

_QT = Section({
    "start": Q("date", "first day of runoff"),
    "end": Q("date", "day runoff stops (full reinvestment after)"),
    "cap": Q("flow", "monthly cap on Treasury redemptions, like 60bn/month", lo=0.0),
}, "a runoff programme", check=_check_window)

DEFAULT_QE_MIX = {"2y": 0.10, "3y": 0.10, "5y": 0.25, "7y": 0.20, "10y": 0.20, "30y": 0.15}

SCHEMA = Section({
    "soma": Q("money", "SOMA Treasury holdings at the start", "4.2tn", lo=0.0),
    "soma_buckets": NameMap(BUCKETS, Q("rate", lo=0.0, hi=1.0), "share of SOMA holdings in each bucket (assumption "
                            "near the SOMA's 2025 profile)",
                            {"bills": "5%", "2y": "10%", "3y": "9%", "5y": "16%", "7y": "10%", "10y": "20%",
                             "20y": "10%", "30y": "20%"}, total=True),
    "soma_coupon": Q("rate", "average coupon of SOMA holdings (largely bought in 2020-21; assumption)", "2.3%"),
    "other_assets": Q("money", "other assets, mainly agency MBS", "2.1tn", lo=0.0),
    "other_assets_yield": Q("rate", "yield on other assets", "2.2%"),
    "other_assets_runoff": Q("speed", "runoff of other assets (MBS paydowns ~$15bn/month)", "0.085/yr", lo=0.0),
    "currency": Q("money", "currency in circulation (grows with nominal GDP)", "2.4tn", lo=0.0),
    "capital": Q("money", "Fed capital", "46bn", lo=0.0),
    "deferred_asset": Q("money", "deferred asset at the start", "240bn", lo=0.0),
    "rrp": Q("money", "ON RRP at the start", "106bn", lo=0.0),
    "rrp_floor": Q("money", "level ON RRP drains toward", "0bn", lo=0.0),
    "rrp_speed": Q("speed", "speed at which ON RRP drains", "2/yr", lo=0.0),
    "reserves_floor": Q("gdp_share", "ample reserves: below this the Fed buys bills (reserve-management purchases, "
                        "from Dec 2025; reserves ~$2.9tn = ~9.5% of GDP then)", "9% of gdp", lo=0.0),
    "iorb_spread": Q("rate", "interest on reserves minus the policy rate", "7bp"),
    "rrp_spread": Q("rate", "ON RRP rate minus the policy rate", "-7bp"),
    "operating_costs": Q("flow", "operating costs and other expenses", "10bn/yr", lo=0.0),
    "qe": ListOf(_QE, "purchase programmes", []),
    "qt": ListOf(_QT, "runoff programmes (caps)", []),
}, doc="Fed balance sheet: SOMA by bucket, QE, QT caps, reserves, ON RRP, income and remittances.")

SOMA_CPN, OTHER_Y, OTHER_DECAY, RRP_DECAY, IORB, RRP_SPREAD, OPEX, CURRENCY_RATIO, CAPITAL, RRP_FLOOR, \
    RES_FLOOR = range(11)
N_PARAM = 11


def pack(p: dict, dt: float, ngdp0: float) -> np.ndarray:
    out = np.zeros(N_PARAM)
    out[SOMA_CPN] = p["soma_coupon"].value
    out[OTHER_Y] = p["other_assets_yield"].value
    out[OTHER_DECAY] = math.exp(-p["other_assets_runoff"].value * dt)
    out[RRP_DECAY] = math.exp(-p["rrp_speed"].value * dt)
    out[IORB] = p["iorb_spread"].value
    out[RRP_SPREAD] = p["rrp_spread"].value
    out[OPEX] = p["operating_costs"].value * dt
    out[CURRENCY_RATIO] = p["currency"].value / ngdp0
    out[CAPITAL] = p["capital"].value
    out[RRP_FLOOR] = p["rrp_floor"].value
    out[RES_FLOOR] = p["reserves_floor"].value
    return out


def soma_initial(p: dict) -> np.ndarray:
    total = p["soma"].value
    return np.array([p["soma_buckets"].get(b).value * total if b in p["soma_buckets"] else 0.0 for b in BUCKETS])


def _in(day: _dt.date, start: _dt.date, end: _dt.date) -> bool:
    return start <= day < end


def schedules(p: dict, dates: list[_dt.date], dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Per step k (from dates[k] to dates[k+1]): QE purchases by bucket (USD bn in the step) and
    the QT redemption cap (USD bn in the step; 0 = reinvest everything); a flow of X per year is
    X dt per step (the model's step length). A programme runs in the
    steps whose start date lies in [start, end); overlapping QE programmes add up, overlapping QT
    caps add up."""
    n = len(dates) - 1
    qe = np.zeros((n, N_B))
    cap = np.zeros(n)
    for k in range(n):
        for prog in p["qe"]:
            if _in(dates[k], prog["start"], prog["end"]):
                for b, q in prog["mix"].items():
                    qe[k, BUCKETS.index(b)] += prog["pace"].value * dt * q.value
        for prog in p["qt"]:
            if _in(dates[k], prog["start"], prog["end"]):
                cap[k] += prog["cap"].value * dt
    return qe, cap
