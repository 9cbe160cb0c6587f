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
  ``convenience_cut``, persistently (through the supply part of both). The defaults are what the
  three US downgrades did (:data:`US_DOWNGRADES`, each announced after the US close, so the next
  business day's close is the first to hold it; H.15 closes, tests/test_downgrades.py): the 10y
  moved -18 / +3 / +3 bp on that day, median +3 bp (mean -4). That is a weak measurement: each
  move is under one ordinary day's s.d. of DGS10 changes (6.6 / 7.5 / 4.9 bp in 2011 / 2023 /
  2025), the day holds other news too (2011-08-08 the ECB's bond buying and the equity sell-off;
  the Treasury's refunding statement at 8:30 ET on 2023-08-02), and three such days cannot tell
  +3 bp from 0 or +10. Windows of two or three days read -38 / +15 / +15 bp. The convenience cut
  is an assumption: the 3m bill yield it acts on is not in the data here, and the 2y, the
  shortest tenor that is, moved -1 / -4 / -1 bp (no sign of the short end cheapening), so 0.
  ``downgrade_cascade`` takes +15 bp and 5 bp as its stress.
"""

from __future__ import annotations

import math
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.buckets import BUCKET_YEARS, interp, interp_weights
from ..core.calendar import share_in
from ..core.layout import BANK_LOSS, BTFP, DOWNGRADES, FOREIGN, OUT0
from ..schema import (
    Date,
    Field,
    Flow,
    Money,
    NonNegRate,
    PositiveMoney,
    Quantity,
    Rate,
    Section,
    Share,
    Tenor,
    Unit,
    Whole,
    fail,
)
from .treasury import NEEDS_TREASURY


class ForeignOfficial(Section):
    """Foreign official demand."""

    holdings: Money = Field("3.9tn", description="foreign official holdings at the start")
    duration: Tenor = Field(
        "4y",
        description="average duration of their holdings (assumption; official holders "
        "favour short and intermediate notes)",
    )
    sell_start: Date | None = Field(None, description="when de-dollarization sales start")
    sell_pace: Flow = Field("0bn/yr", description="pace of sales, like 300bn/yr")
    sell_amount: Money = Field("0bn", description="total to sell (capped at holdings)")

    @model_validator(mode="after")
    def _start(self) -> ForeignOfficial:
        if self.sell_pace.value > 0 and self.sell_start is None:
            fail((("sell_start",), "missing; a selling pace needs a start date, like 2026-06-30"))
        return self


class Banks(Section):
    """Banking-system securities book."""

    securities: Money = Field("5.9tn", description="banks' securities book")
    treasury_share: Share = Field("30%", description="share of the book in Treasuries (the rest is MBS and other)")
    htm_share: Share = Field("45%", description="share held to maturity")
    htm_duration: Tenor = Field("5y", description="duration of the HTM book")
    afs_duration: Tenor = Field("4y", description="duration of the AFS book")
    capital: PositiveMoney = Field("2.2tn", description="bank equity capital (~$2.2tn; assumption)")
    stress_threshold: NonNegRate = Field(
        "25%", description="SVB-type stress: uncovered losses above this share of capital"
    )


# The US sovereign downgrades, each announced after the US close of the day given: S&P
# (AAA -> AA+, 2011-08-05), Fitch (AAA -> AA+, 2023-08-01), Moody's (Aaa -> Aa1, 2025-05-16).
US_DOWNGRADES = ("2011-08-05", "2023-08-01", "2025-05-16")


class Downgrades(Section):
    """Rating downgrades."""

    dates: list[Date] = Field([], description="scheduled downgrades (e.g. Moody's, 2025-05-16)")
    trigger_net_interest_revenue: NonNegRate | None = Field(
        None, description="downgrade when net interest / revenue first exceeds this (per path)"
    )
    trigger_step: Annotated[Quantity, Unit("rate", lo=0.0, lo_open=True)] = Field(
        "10%", description="a further downgrade each time the ratio rises this much more"
    )
    max: Annotated[int, Whole(lo=0, hi=100)] = Field(2, description="most downgrades by trigger")
    term_premium_add: Rate = Field(
        "3bp",
        description="10y term premium added per downgrade: the median next-day 10y move after the three "
        "US downgrades (-18/+3/+3 bp, H.15; each within one ordinary day's s.d., so a weak measurement)",
    )
    convenience_cut: Rate = Field(
        "0bp",
        description="3m convenience yield lost per downgrade (assumption: no 3m series in the data; the "
        "2y, the shortest tenor there, fell the next day after each of the three US downgrades, -1/-4/-1 bp, H.15)",
    )


class Params(Section):
    """Holders: foreign official, banks' securities book, downgrades."""

    foreign_official: ForeignOfficial = Field({}, description="foreign official demand")
    banks: Banks = Field({}, description="banking-system securities book")
    downgrades: Downgrades = Field({}, description="rating downgrades")


# packed slots: foreign official duration (years); the banks' book, Treasury share, HTM share, HTM
# and AFS durations (years), capital, stress threshold; the downgrade trigger, its step, the most
# triggered downgrades, the term premium added and convenience cut per downgrade; the yields at
# the book's durations at the start (set by initial)
F_DUR, B_SEC, B_TSY, B_HTM, B_HTM_D, B_AFS_D, B_CAP, B_THR, D_TRIG, D_STEP, D_MAX, D_TP, D_CY, B_Y0_HTM, B_Y0_AFS = (
    range(15)
)
N_SLOT = 15


class Packed(NamedTuple):
    """``P`` (slot); per step: foreign official sales (USD bn in the step) and scheduled downgrades."""

    P: np.ndarray
    foreign_sales: np.ndarray
    downgrades: np.ndarray


def foreign_sales(p: ForeignOfficial, dates, dt: float) -> np.ndarray:
    """Foreign official sales per step (USD bn), from the pace, start and total amount: the pace
    times the share of the step's calendar days from ``sell_start`` on (:func:`share_in`, as QE
    and QT programmes), until the amount is sold."""
    n = len(dates) - 1
    out = np.zeros(n)
    if p.sell_start is None or p.sell_pace.value <= 0:
        return out
    left = min(p.sell_amount.value, p.holdings.value)
    for k in range(n):
        share = share_in(dates[k], dates[k + 1], p.sell_start)
        if share > 0 and left > 0:
            out[k] = min(p.sell_pace.value * dt * share, left)
            left -= out[k]
    return out


def pack(sc, cal) -> Packed:
    p: Params = sc.holders
    out = np.zeros(N_SLOT)
    f, b, d = p.foreign_official, p.banks, p.downgrades
    out[F_DUR] = f.duration.years
    out[B_SEC] = b.securities.value
    out[B_TSY] = b.treasury_share.value
    out[B_HTM] = b.htm_share.value
    out[B_HTM_D] = b.htm_duration.years
    out[B_AFS_D] = b.afs_duration.years
    out[B_CAP] = b.capital.value
    out[B_THR] = b.stress_threshold.value
    out[D_TRIG] = d.trigger_net_interest_revenue.value if d.trigger_net_interest_revenue is not None else np.inf
    out[D_STEP] = d.trigger_step.value
    out[D_MAX] = d.max
    out[D_TP] = d.term_premium_add.value
    out[D_CY] = d.convenience_cut.value
    dates = cal.dates
    down = np.zeros(cal.n_steps)
    for day in d.dates:
        if dates[0] <= day < dates[-1]:
            down[cal.step_of(day)] += 1.0
    return Packed(out, foreign_sales(f, dates, cal.dt), down)


def initial(sc, x: np.ndarray, pk: Packed, y0: np.ndarray) -> None:
    """Foreign holdings at the start; the banks' book is at par then: remember the bucket yields
    ``y0`` at its durations."""
    x[FOREIGN] = sc.holders.foreign_official.holdings.value
    P = pk.P
    P[B_Y0_HTM] = interp(P[B_HTM_D], BUCKET_YEARS, y0)
    P[B_Y0_AFS] = interp(P[B_AFS_D], BUCKET_YEARS, y0)


# ------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def bank_treasuries(Ph):
    """Treasuries held by banks, USD bn (held constant)."""
    return Ph[B_SEC] * Ph[B_TSY]


@njit(cache=True, nogil=True)
def sell(S, O, k, hol):
    """Foreign official sales of step k (never below zero holdings)."""
    fsell = hol.foreign_sales[k]
    for p in range(S.shape[1]):
        S[FOREIGN, p] = max(O[FOREIGN, p] - fsell, 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def bank_losses(hol, w):
    """Banks' unrealized securities loss (USD bn, positive = loss) at the bucket yields ``w.Y``
    into ``w.loss``."""
    Ph, Y, loss = hol.P, w.Y, w.loss
    sec, h = Ph[B_SEC], Ph[B_HTM]
    dh, da, y0h, y0a = Ph[B_HTM_D], Ph[B_AFS_D], Ph[B_Y0_HTM], Ph[B_Y0_AFS]
    h0, h1, wh = interp_weights(dh, BUCKET_YEARS)
    a0, a1, wa = interp_weights(da, BUCKET_YEARS)
    for p in range(Y.shape[1]):
        yh = Y[h0, p] + wh * (Y[h1, p] - Y[h0, p])
        ya = Y[a0, p] + wa * (Y[a1, p] - Y[a0, p])
        htm = sec * h * (1.0 - math.exp(-dh * (yh - y0h)))
        afs = sec * (1.0 - h) * (1.0 - math.exp(-da * (ya - y0a)))
        loss[p] = htm + afs


@njit(cache=True, nogil=True)
def downgrades(S, O, k, hol, w):
    """Scheduled downgrades of step k, then one triggered when net interest / revenue first
    exceeds the trigger (and each further step above it), up to the most allowed."""
    Ph = hol.P
    n_sched, d_max, d_trig, d_step = hol.downgrades[k], Ph[D_MAX], Ph[D_TRIG], Ph[D_STEP]
    revenue, interest = w.revenue, w.interest
    for p in range(S.shape[1]):
        n = O[DOWNGRADES, p] + n_sched
        hit = (revenue[p] > 0.0) & (n < d_max) & (interest[p] / revenue[p] > d_trig + d_step * n)
        S[DOWNGRADES, p] = n + 1.0 if hit else n


@njit(cache=True, nogil=True)
def flows(S, w):
    for p in range(S.shape[1]):
        S[BANK_LOSS, p] = w.loss[p]


_R = OUT0["holders"]
R_FOREIGN, R_BANK_TSY, R_PRIVATE, R_LOSS, R_LOSS_CAP, R_STRESS, R_DOWNGRADES = range(_R, _R + 7)


@njit(cache=True, nogil=True)
def record(S, hol, out, w):
    """The holders' recorded variables (engine.registry) into ``out``; ``w.debt``/``w.soma``:
    bucket totals."""
    Ph = hol.P
    out[R_FOREIGN] = S[FOREIGN]
    out[R_LOSS] = S[BANK_LOSS]
    out[R_DOWNGRADES] = S[DOWNGRADES]
    bank_tsy = bank_treasuries(Ph)
    cap, thr = Ph[B_CAP], Ph[B_THR]
    debt, soma = w.debt, w.soma
    for p in range(S.shape[1]):
        out[R_BANK_TSY, p] = bank_tsy
        out[R_PRIVATE, p] = debt[p] - soma[p] - S[FOREIGN, p] - bank_tsy
        loss = S[BANK_LOSS, p]
        out[R_LOSS_CAP, p] = loss / cap
        out[R_STRESS, p] = 1.0 if (loss - S[BTFP, p]) / cap > thr else 0.0


def checks(sc) -> list[tuple[tuple, str]]:
    """Foreign sales and downgrades act only with the Treasury block on (the holdings at the start
    are checked against the debt with the Fed's, engine.blocks.fed_balance_sheet.checks)."""
    p: Params = sc.holders
    out: list[tuple[tuple, str]] = []
    if not sc.treasury.enabled:
        if p.foreign_official.sell_start is not None:
            out.append((("holders", "foreign_official", "sell_start"), NEEDS_TREASURY))
        if p.downgrades.dates or p.downgrades.trigger_net_interest_revenue is not None:
            out.append((("holders", "downgrades"), NEEDS_TREASURY))
    return out
