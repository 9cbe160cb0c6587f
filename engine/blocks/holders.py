"""Holders: foreign official demand, the banking system's securities book, rating downgrades.

* Foreign official holders keep ``holdings`` (USD bn) unless a de-dollarization programme sells
  ``sell_pace`` from ``sell_start`` until ``sell_amount`` is sold; what they sell goes to private
  hands, so duration held privately (and the term premium, via the supply block) rises.
  Holdings at the start: $9.2tn foreign, 42% official = $3.9tn (Dec 2025, CALIBRATION.md).
* Banks hold ``securities`` (Treasuries, agency MBS...), ``htm_share`` of it held to maturity.
  Each part is valued as a zero-coupon position of its duration D at the yield y(D) of that
  tenor (linear in maturity between the Treasury buckets' yields): the unrealized loss is
  book x (1 - exp(-D (y(D) - y0(D)))), y0 at the start (so the book starts at par). An
  SVB-type metric records whether losses not covered by the BTFP exceed ``stress_threshold`` of
  equity ``capital``. Size: securities at FDIC-insured banks ~$5.9tn at end-2021 with
  unrealized losses of $620bn by Q4 2022 (CALIBRATION.md; FDIC, secondary); the duration
  defaults are assumptions between SVB's AFS (3.6y) and HTM (6.2y) books.
* Downgrades: on the listed dates, and (per path) when net interest / revenue first exceeds
  ``trigger_net_interest_revenue`` and every further ``trigger_step`` above it, up to ``max``;
  each adds ``term_premium_add`` to the 10y term premium and cuts the 3m convenience yield by
  ``convenience_cut``, persistently (through the supply part of both).
"""
from __future__ import annotations

import numpy as np

from ..schema import Int, ListOf, Nullable, Q, Section


def _check_foreign(s, path, ctx):
    if s["sell_pace"] is not None and s["sell_pace"].value > 0 and s["sell_start"] is None:
        ctx.error(path + ("sell_start",), "missing; a selling pace needs a start date, like 2026-06-30")


SCHEMA = Section({
    "foreign_official": Section({
        "holdings": Q("money", "foreign official holdings at the start", "3.9tn", lo=0.0),
        "duration": Q("tenor", "average duration of their holdings (assumption; official holders favour short "
                      "and intermediate notes)", "4y"),
        "sell_start": Nullable(Q("date"), "when de-dollarization sales start"),
        "sell_pace": Q("flow", "pace of sales, like 300bn/yr", "0bn/yr", lo=0.0),
        "sell_amount": Q("money", "total to sell (capped at holdings)", "0bn", lo=0.0),
    }, "foreign official demand", check=_check_foreign),
    "banks": Section({
        "securities": Q("money", "banks' securities book", "5.9tn", lo=0.0),
        "treasury_share": Q("rate", "share of the book in Treasuries (the rest is MBS and other)", "30%",
                            lo=0.0, hi=1.0),
        "htm_share": Q("rate", "share held to maturity", "45%", lo=0.0, hi=1.0),
        "htm_duration": Q("tenor", "duration of the HTM book", "5y"),
        "afs_duration": Q("tenor", "duration of the AFS book", "4y"),
        "capital": Q("money", "bank equity capital (~$2.2tn; assumption)", "2.2tn", lo=0.0, lo_open=True),
        "stress_threshold": Q("rate", "SVB-type stress: uncovered losses above this share of capital", "25%",
                              lo=0.0),
    }, "banking-system securities book"),
    "downgrades": Section({
        "dates": ListOf(Q("date"), "scheduled downgrades (e.g. Moody's, 2025-05-16)", []),
        "trigger_net_interest_revenue": Nullable(Q("rate", lo=0.0), "downgrade when net interest / revenue first "
                                                 "exceeds this (per path)"),
        "trigger_step": Q("rate", "a further downgrade each time the ratio rises this much more", "10%",
                          lo=0.0, lo_open=True),
        "max": Int("most downgrades by trigger", 2, lo=0),
        "term_premium_add": Q("rate", "10y term premium added per downgrade (assumption)", "10bp"),
        "convenience_cut": Q("rate", "3m convenience yield lost per downgrade (assumption)", "5bp"),
    }, "rating downgrades"),
}, doc="Holders: foreign official, banks' securities book, downgrades.")

F_DUR, B_SEC, B_TSY, B_HTM, B_HTM_D, B_AFS_D, B_CAP, B_THR, D_TRIG, D_STEP, D_MAX, D_TP, D_CY, \
    B_Y0_HTM, B_Y0_AFS = range(15)  # the last two: start yields at the book durations (set by fiscal.build)
N_PARAM = 15


def pack(p: dict) -> np.ndarray:
    out = np.zeros(N_PARAM)
    f, b, d = p["foreign_official"], p["banks"], p["downgrades"]
    out[F_DUR] = f["duration"].years
    out[B_SEC] = b["securities"].value
    out[B_TSY] = b["treasury_share"].value
    out[B_HTM] = b["htm_share"].value
    out[B_HTM_D] = b["htm_duration"].years
    out[B_AFS_D] = b["afs_duration"].years
    out[B_CAP] = b["capital"].value
    out[B_THR] = b["stress_threshold"].value
    out[D_TRIG] = d["trigger_net_interest_revenue"].value if d["trigger_net_interest_revenue"] is not None else np.inf
    out[D_STEP] = d["trigger_step"].value
    out[D_MAX] = d["max"]
    out[D_TP] = d["term_premium_add"].value
    out[D_CY] = d["convenience_cut"].value
    return out


def foreign_sales(p: dict, dates, dt: float) -> np.ndarray:
    """Foreign official sales per step (USD bn), from the pace, start and total amount."""
    f = p["foreign_official"]
    n = len(dates) - 1
    out = np.zeros(n)
    if f["sell_start"] is None or f["sell_pace"].value <= 0:
        return out
    left = min(f["sell_amount"].value, f["holdings"].value)
    for k in range(n):
        if dates[k] >= f["sell_start"] and left > 0:
            out[k] = min(f["sell_pace"].value * dt, left)
            left -= out[k]
    return out
