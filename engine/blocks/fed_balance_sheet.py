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
from typing import Annotated, NamedTuple

import numpy as np
from numba import njit
from pydantic import model_validator

from ..core.calendar import share_in
from ..core.layout import (
    BTFP,
    BUCKETS,
    CURRENCY,
    DEBT0,
    DEFERRED,
    FED_INCOME,
    FOREIGN,
    N_B,
    NGDP,
    OTHER,
    OUT0,
    POLICY,
    QE_BUY,
    QT_RUNOFF,
    REMIT,
    RESERVES,
    RRP,
    SCPN0,
    SOMA0,
    TGA,
)
from ..schema import Date, Field, Flow, GdpShare, Money, NameMap, Quantity, Rate, Section, Share, Speed, fail
from . import backstops as _bs
from . import holders as _h
from . import treasury as _t


class _Window(Section):
    start: Date
    end: Date

    @model_validator(mode="after")
    def _window(self) -> _Window:
        start, end = self.start, self.end
        if end <= start:
            fail((("end",), f"{end} is not after start {start}; expected a later date"))
        return self


class QE(_Window):
    """A purchase programme."""

    start: Date = Field(description="first day of purchases")
    end: Date = Field(description="day purchases stop")
    pace: Flow = Field(description="purchases per period, like 80bn/month")
    mix: Annotated[dict[str, Quantity], NameMap(BUCKETS, Share, total=True)] = Field(
        {"2y": "10%", "3y": "10%", "5y": "25%", "7y": "20%", "10y": "20%", "30y": "15%"},
        description="share of purchases in each bucket (sums to 100%)",
    )


class QT(_Window):
    """A runoff programme."""

    start: Date = Field(description="first day of runoff")
    end: Date = Field(description="day runoff stops (full reinvestment after)")
    cap: Flow = Field(description="monthly cap on Treasury redemptions, like 60bn/month")


class Params(Section):
    """Fed balance sheet: SOMA by bucket, QE, QT caps, reserves, ON RRP, income and remittances."""

    soma: Money = Field("4.2tn", description="SOMA Treasury holdings at the start")
    soma_buckets: Annotated[dict[str, Quantity], NameMap(BUCKETS, Share, total=True)] = Field(
        {"bills": "5%", "2y": "10%", "3y": "9%", "5y": "16%", "7y": "10%", "10y": "20%", "20y": "10%", "30y": "20%"},
        description="share of SOMA holdings in each bucket (assumption near the SOMA's 2025 profile)",
    )
    soma_coupon: Rate = Field(
        "2.3%", description="average coupon of SOMA holdings (largely bought in 2020-21; assumption)"
    )
    other_assets: Money = Field("2.1tn", description="other assets, mainly agency MBS")
    other_assets_yield: Rate = Field("2.2%", description="yield on other assets")
    other_assets_runoff: Speed = Field("0.085/yr", description="runoff of other assets (MBS paydowns ~$15bn/month)")
    currency: Money = Field("2.4tn", description="currency in circulation (grows with nominal GDP)")
    capital: Money = Field("46bn", description="Fed capital")
    deferred_asset: Money = Field("240bn", description="deferred asset at the start")
    rrp: Money = Field("106bn", description="ON RRP at the start")
    rrp_floor: Money = Field("0bn", description="level ON RRP drains toward")
    rrp_speed: Speed = Field("2/yr", description="speed at which ON RRP drains")
    reserves_floor: GdpShare = Field(
        "9% of gdp",
        description="ample reserves: below this the Fed buys bills "
        "(reserve-management purchases, from Dec 2025; "
        "reserves ~$2.9tn = ~9.5% of GDP then)",
    )
    iorb_spread: Rate = Field("7bp", description="interest on reserves minus the policy rate")
    rrp_spread: Rate = Field("-7bp", description="ON RRP rate minus the policy rate")
    operating_costs: Flow = Field("10bn/yr", description="operating costs and other expenses")
    qe: list[QE] = Field([], description="purchase programmes")
    qt: list[QT] = Field([], description="runoff programmes (caps)")


# packed slots: SOMA coupon, other assets' yield and decay per step, ON RRP's decay per step, IORB
# and ON RRP spreads, operating costs per step, currency / nominal GDP, capital, the ON RRP floor,
# the reserves floor (share of GDP)
SOMA_CPN, OTHER_Y, OTHER_DECAY, RRP_DECAY, IORB, RRP_SPREAD, OPEX, CURRENCY_RATIO, CAPITAL, RRP_FLOOR, RES_FLOOR = (
    range(11)
)
N_SLOT = 11


class Packed(NamedTuple):
    """``P`` (slot); per step: QE purchases by bucket ``qe`` (step, bucket; USD bn in the step)
    and the QT redemption cap ``cap`` (USD bn in the step; 0 = reinvest everything)."""

    P: np.ndarray
    qe: np.ndarray
    cap: np.ndarray


def soma_initial(p: Params) -> np.ndarray:
    """SOMA holdings by bucket at the start, USD bn."""
    return np.array([p.soma_buckets[b].value * p.soma.value if b in p.soma_buckets else 0.0 for b in BUCKETS])


def schedules(p: Params, dates: list[_dt.date], dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Per step k (from dates[k] to dates[k+1]): QE purchases by bucket (USD bn in the step) and
    the QT redemption cap (USD bn in the step; 0 = reinvest everything); a flow of X per year is
    X dt per step (the model's step length) times the share of the step's calendar days that lie
    in the programme's [start, end) (:func:`~engine.core.calendar.share_in`: a June 1 start runs in
    month-end steps from May 31's, for 29 of its 30 days; steps wholly inside get exactly X dt);
    overlapping QE programmes add up, overlapping QT caps add up."""
    n = len(dates) - 1
    qe = np.zeros((n, N_B))
    cap = np.zeros(n)
    for k in range(n):
        for prog in p.qe:
            share = share_in(dates[k], dates[k + 1], prog.start, prog.end)
            if share > 0:
                for b, q in prog.mix.items():
                    qe[k, BUCKETS.index(b)] += prog.pace.value * dt * q.value * share
        for qt in p.qt:
            share = share_in(dates[k], dates[k + 1], qt.start, qt.end)
            if share > 0:
                cap[k] += qt.cap.value * dt * share
    return qe, cap


def pack(sc, cal) -> Packed:
    p: Params = sc.fed_balance_sheet
    dt = cal.dt
    out = np.zeros(N_SLOT)
    out[SOMA_CPN] = p.soma_coupon.value
    out[OTHER_Y] = p.other_assets_yield.value
    out[OTHER_DECAY] = math.exp(-p.other_assets_runoff.value * dt)
    out[RRP_DECAY] = math.exp(-p.rrp_speed.value * dt)
    out[IORB] = p.iorb_spread.value
    out[RRP_SPREAD] = p.rrp_spread.value
    out[OPEX] = p.operating_costs.value * dt
    out[CURRENCY_RATIO] = p.currency.value / sc.treasury.nominal_gdp.value
    out[CAPITAL] = p.capital.value
    out[RRP_FLOOR] = p.rrp_floor.value
    out[RES_FLOOR] = p.reserves_floor.value
    return Packed(out, *schedules(p, cal.dates, dt))


def initial(sc, x: np.ndarray, pk: Packed, y0: np.ndarray) -> None:
    """The Fed's rows of the initial state ``x`` (after the Treasury's): reserves are the balance
    sheet's residual, income its run rate at the start."""
    p: Params = sc.fed_balance_sheet
    soma = soma_initial(p)
    x[SOMA0 : SOMA0 + N_B] = soma
    x[SCPN0 : SCPN0 + N_B] = p.soma_coupon.value
    x[OTHER] = p.other_assets.value
    x[RRP] = p.rrp.value
    x[CURRENCY] = p.currency.value
    x[DEFERRED] = p.deferred_asset.value
    x[RESERVES] = soma.sum() + x[OTHER] - x[CURRENCY] - x[RRP] - x[TGA] - p.capital.value + x[DEFERRED]
    ff, P = sc.initial.fed_funds.value, pk.P
    x[FED_INCOME] = (
        soma.sum() * P[SOMA_CPN]
        + x[OTHER] * P[OTHER_Y]
        - (ff + P[IORB]) * x[RESERVES]
        - (ff + P[RRP_SPREAD]) * x[RRP]
        - p.operating_costs.value
    )


# ------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def income(S, O, dt, fed, bs, w):
    """Net income over the step at the old balance sheet and policy rate; it pays down the
    deferred asset first, then is remitted (a loss adds to the deferred asset)."""
    B = S.shape[1]
    Pf = fed.P
    inc_row, remit = w.income, w.remit
    inc_row[:] = 0.0
    for b in range(N_B):
        for p in range(B):
            inc_row[p] += O[SOMA0 + b, p] * O[SCPN0 + b, p]
    oy, bts, iorb, rrs, opex = Pf[OTHER_Y], bs[_bs.BT_SPREAD], Pf[IORB], Pf[RRP_SPREAD], Pf[OPEX]
    for p in range(B):
        r = O[POLICY, p]
        inc = (
            inc_row[p] + O[OTHER, p] * oy + O[BTFP, p] * (r + bts) - (r + iorb) * O[RESERVES, p] - (r + rrs) * O[RRP, p]
        ) * dt - opex
        inc_row[p] = inc
        dfr = O[DEFERRED, p]
        pay = min(dfr, inc)
        S[DEFERRED, p] = dfr - pay if inc >= 0.0 else dfr - inc
        remit[p] = inc - pay if inc >= 0.0 else 0.0


@njit(cache=True, nogil=True)
def runoff(S, O, k, tr, fed, w):
    """Maturing SOMA holdings (``w.SMAT``), redeemed under the QT cap of step k (``w.redeemed``);
    what is above the cap is reinvested at auction (share ``w.reinvest``)."""
    B = S.shape[1]
    SMAT, redeemed, reinvest = w.SMAT, w.redeemed, w.reinvest
    redeemed[:] = 0.0
    for b in range(N_B):
        ro = tr.P[_t.RUNOFF0 + b]
        for p in range(B):
            SMAT[b, p] = O[SOMA0 + b, p] * ro
            redeemed[p] += SMAT[b, p]
    cap = fed.cap[k]
    for p in range(B):
        sm = redeemed[p]
        rd = min(sm, cap)
        reinvest[p] = 1.0 - rd / sm if sm > 0.0 else 0.0
        redeemed[p] = rd


@njit(cache=True, nogil=True)
def purchases(S, O, k, fed, bs, hol, w):
    """SOMA after runoff and reinvestment, then purchases under QE and the emergency programme
    (``w.ep_amt``, by the backstop's mix) from private holders, scaled to what they hold; the new
    SOMA coupons at the bucket yields; other assets, currency and ON RRP."""
    B = S.shape[1]
    SMAT, BUY, Y, reinvest = w.SMAT, w.BUY, w.Y, w.reinvest
    soma_after, want, bought, debt, ep_amt = w.soma, w.want, w.bought, w.debt, w.ep_amt
    soma_after[:] = 0.0
    want[:] = 0.0
    for b in range(N_B):
        qe, mix = fed.qe[k, b], bs[_bs.EP_MIX0 + b]
        for p in range(B):
            keep = O[SOMA0 + b, p] - SMAT[b, p] + SMAT[b, p] * reinvest[p]
            S[SOMA0 + b, p] = keep
            soma_after[p] += keep
            bb = qe + ep_amt[p] * mix
            bb = max(0.0, min(bb, S[DEBT0 + b, p] - keep))
            BUY[b, p] = bb
            want[p] += bb
    bank_tsy = _h.bank_treasuries(hol.P)
    for p in range(B):  # want becomes the scale of the purchases
        room = max(0.0, debt[p] - soma_after[p] - S[FOREIGN, p] - bank_tsy)
        want[p] = 1.0 if want[p] <= room else room / want[p]
    bought[:] = 0.0
    for b in range(N_B):
        for p in range(B):
            q = BUY[b, p] * want[p]
            keep = S[SOMA0 + b, p]
            rolled = SMAT[b, p] * reinvest[p]
            base = O[SOMA0 + b, p] - SMAT[b, p]
            tot = keep + q
            S[SCPN0 + b, p] = (O[SCPN0 + b, p] * base + Y[b, p] * (rolled + q)) / tot if tot > 0.0 else O[SCPN0 + b, p]
            S[SOMA0 + b, p] = tot
            bought[p] += q
    Pf = fed.P
    od, cr, rf, rdec = Pf[OTHER_DECAY], Pf[CURRENCY_RATIO], Pf[RRP_FLOOR], Pf[RRP_DECAY]
    for p in range(B):
        soma_after[p] += bought[p]
        S[OTHER, p] = O[OTHER, p] * od
        S[CURRENCY, p] = cr * S[NGDP, p]
        S[RRP, p] = rf + (O[RRP, p] - rf) * rdec


@njit(cache=True, nogil=True)
def reserves(S, fed, hol, w):
    """Reserves as the balance sheet's residual, with reserve-management bill purchases up to the
    floor (never more than the bills privately held)."""
    Pf = fed.P
    capital, floor = Pf[CAPITAL], Pf[RES_FLOOR]
    bank_tsy = _h.bank_treasuries(hol.P)
    soma_after, bought, debt, Y = w.soma, w.bought, w.debt, w.Y
    for p in range(S.shape[1]):
        res = (
            soma_after[p] + S[OTHER, p] + S[BTFP, p] - S[CURRENCY, p] - S[RRP, p] - S[TGA, p] - capital + S[DEFERRED, p]
        )
        rmp = min(
            max(0.0, floor * S[NGDP, p] - res),
            max(0.0, min(S[DEBT0, p] - S[SOMA0, p], debt[p] - soma_after[p] - S[FOREIGN, p] - bank_tsy)),
        )
        # rmp >= 0; adding it when 0 changes nothing, and selects instead of a branch vectorise
        S[SCPN0, p] = (S[SCPN0, p] * S[SOMA0, p] + Y[0, p] * rmp) / (S[SOMA0, p] + rmp) if rmp > 0.0 else S[SCPN0, p]
        S[SOMA0, p] += rmp
        soma_after[p] += rmp
        bought[p] += rmp
        S[RESERVES, p] = res + rmp


@njit(cache=True, nogil=True)
def flows(S, dt, w):
    """The step's income, remittances, redemptions and purchases as annual rates."""
    for p in range(S.shape[1]):
        S[REMIT, p] = w.remit[p] / dt
        S[FED_INCOME, p] = w.income[p] / dt
        S[QT_RUNOFF, p] = w.redeemed[p] / dt
        S[QE_BUY, p] = w.bought[p] / dt


_R = OUT0["fed_balance_sheet"]
R_SOMA, R_FED_ASSETS, R_RESERVES, R_RRP, R_INCOME, R_REMIT, R_DEFERRED, R_RUNOFF, R_PURCHASES = range(_R, _R + 9)


@njit(cache=True, nogil=True)
def record(S, out, w):
    """The Fed's recorded variables (engine.registry) into ``out``; ``w.soma``: SOMA totals."""
    soma = w.soma
    out[R_SOMA] = soma
    out[R_RESERVES] = S[RESERVES]
    out[R_RRP] = S[RRP]
    out[R_INCOME] = S[FED_INCOME]
    out[R_REMIT] = S[REMIT]
    out[R_DEFERRED] = S[DEFERRED]
    out[R_RUNOFF] = S[QT_RUNOFF]
    out[R_PURCHASES] = S[QE_BUY]
    for p in range(S.shape[1]):
        out[R_FED_ASSETS, p] = soma[p] + S[OTHER, p] + S[BTFP, p]


def checks(sc) -> list[tuple[tuple, str]]:
    """Programmes act only with the Treasury block on; SOMA cannot hold more of a bucket than the
    Treasury has issued, and the holdings at the start (SOMA, foreign official, banks) must leave
    other private holders a non-negative amount."""
    p: Params = sc.fed_balance_sheet
    if not sc.treasury.enabled:
        return [(("fed_balance_sheet", key), _t.NEEDS_TREASURY) for key in ("qe", "qt") if getattr(p, key)]
    out: list[tuple[tuple, str]] = []
    face, soma = _t.face(sc.treasury), soma_initial(p)
    over = [f"{BUCKETS[b]} ({soma[b]:.0f}bn > {face[b]:.0f}bn)" for b in range(N_B) if soma[b] > face[b] + 1e-9]
    if over:
        out.append(
            (
                ("fed_balance_sheet", "soma"),
                f"SOMA holds more than the debt outstanding in {', '.join(over)}; "
                "expected SOMA holdings within treasury.debt x each bucket's share",
            )
        )
    h = sc.holders
    private = (
        face.sum()
        - soma.sum()
        - h.foreign_official.holdings.value
        - h.banks.securities.value * h.banks.treasury_share.value
    )
    if private < 0:
        out.append(
            (
                ("holders",),
                f"SOMA, foreign official and bank holdings exceed the debt by {-private:.0f}bn; "
                "expected holdings that leave other private holders a non-negative amount",
            )
        )
    return out
