"""The Treasury, Fed balance-sheet, backstop, holder and supply blocks stepped together.

One call of :func:`step` advances one path's fiscal rows from the previous state ``O`` to the
new state ``S`` whose core rows (macro, policy, premia) the kernel has just stepped. In the
order of DESIGN.md: Fed (runoff, reinvestment, QE, emergency purchases, income and remittances)
-> Treasury financing (revenue, outlays, interest, TGA, rollover and issuance at the bucket
yields of the new state) -> holders (foreign sales, bank losses, downgrades) -> backstop
triggers -> supply effects written back into the term premium and convenience yield. Couplings
are first order in the step, like the core blocks'.

Identities that hold on every path and step (tests/test_fiscal.py):
debt' = debt + (outlays - revenue) + interest + dTGA; SOMA + foreign official + banks' Treasuries
+ other private = debt; redemptions <= the QT cap; no bucket or holding below zero.
"""
from __future__ import annotations

import bisect
import math

import numpy as np
from numba import njit

from . import backstops as _bs
from . import fed_balance_sheet as _fed
from . import holders as _h
from . import supply as _sup
from . import treasury as _t
from .curve import L_CY, L_F, L_IRP, L_TP, L_W
from .fiscal_state import (BANK_LOSS, BUCKETS, BTFP, BTFP_FIRED, BTFP_TIME, CPN0, CURRENCY, DEBT0, DEFERRED, DOWNGRADES,
                           EP_FIRED, EP_LEFT, EP_TIME, FED_INCOME, FOREIGN, GROSS0, INTEREST, MATURITY, N_B,
                           N_FISCAL_STATE, NGDP, OTHER, OUTLAYS, PRIV_BILLS, PRIV_DUR, QE_BUY, QT_RUNOFF, REMIT,
                           RESERVES, REVENUE, RRP, SCPN0, SOMA0, SUP_CY, SUP_TP, TGA, TGA_CHANGE)
from .state import CY, FIRE, GAP, INFL, INFL_EXP, IRP, N_STATE, POLICY, RSTAR, SHADOW, STANCE, TP, WEDGE

# time-path columns (per step)
T_REV, T_OUT, T_TGA, T_CAP, T_FSELL, T_DOWN, T_GPOT = range(7)
T_QE0 = 7
N_T = T_QE0 + N_B
BUCKET_YEARS = np.array(MATURITY)
# scratch rows
W_MAT, W_SMAT, W_ISS, W_BUY, W_Y, W_LO, N_W = 0, 1, 2, 3, 4, 5, 6

MEASURE_STATE = np.array((FIRE, TP, WEDGE, -1))  # order of backstops.MEASURES; -1: bank loss / capital


# ------------------------------------------------------------------------------------------ build
def _path_at(path: list, day) -> float:
    """Value of a DatedPath (sorted (date, Quantity) pairs) at ``day``: linear between dates."""
    if path[0][0] is None:
        return path[0][1].value
    days = [d for d, _ in path]
    i = bisect.bisect_right(days, day)
    if i == 0:
        return path[0][1].value
    if i == len(path):
        return path[-1][1].value
    (d0, v0), (d1, v1) = path[i - 1], path[i]
    w = (day - d0).days / (d1 - d0).days
    return v0.value + w * (v1.value - v0.value)


class Fiscal:
    """Packed parameters, time paths and initial rows of the fiscal blocks for one scenario."""

    def __init__(self, d: dict, cal):
        dt, dates = cal.dt, cal.dates
        tr, fed, bs, hol, sup = d["treasury"], d["fed_balance_sheet"], d["backstops"], d["holders"], d["supply"]
        ngdp, tga, face, cpn = _t.initial(tr)
        self.Pt = _t.pack(tr, dt)
        self.Pf = _fed.pack(fed, dt, ngdp)
        self.Pb = _bs.pack(bs, dt)
        self.Ph = _h.pack(hol)
        self.Ps = _sup.pack(sup)
        n = cal.n_steps
        T = np.zeros((n + 1, N_T))
        for k in range(n + 1):
            day = dates[k]
            T[k, T_REV] = _path_at(tr["revenue"], day)
            T[k, T_OUT] = _path_at(tr["outlays"], day)
            T[k, T_TGA] = _path_at(tr["tga"]["target"], day)
            T[k, T_GPOT] = _path_at(tr["potential_growth"], day)
        qe, cap = _fed.schedules(fed, dates, dt)
        T[:n, T_QE0:T_QE0 + N_B] = qe
        T[:n, T_CAP] = cap
        T[:n, T_FSELL] = _h.foreign_sales(hol, dates, dt)
        for day in hol["downgrades"]["dates"]:
            if dates[0] <= day < dates[-1]:
                T[cal.step_of(day), T_DOWN] += 1.0
        self.T = T
        soma = _fed.soma_initial(fed)
        x = np.zeros(N_FISCAL_STATE - N_STATE)
        r = lambda i: i - N_STATE  # noqa: E731
        x[r(NGDP)], x[r(TGA)] = ngdp, tga
        x[r(DEBT0):r(DEBT0) + N_B] = face
        x[r(CPN0):r(CPN0) + N_B] = cpn
        x[r(SOMA0):r(SOMA0) + N_B] = soma
        x[r(SCPN0):r(SCPN0) + N_B] = fed["soma_coupon"].value
        x[r(FOREIGN)] = hol["foreign_official"]["holdings"].value
        x[r(OTHER)] = fed["other_assets"].value
        x[r(RRP)] = fed["rrp"].value
        x[r(CURRENCY)] = fed["currency"].value
        x[r(DEFERRED)] = fed["deferred_asset"].value
        x[r(RESERVES)] = (soma.sum() + x[r(OTHER)] - x[r(CURRENCY)] - x[r(RRP)] - tga - fed["capital"].value
                          + x[r(DEFERRED)])
        x[r(EP_TIME)] = x[r(BTFP_TIME)] = -1.0
        # flows at the start: run rates of the initial state
        x[r(REVENUE)] = T[0, T_REV] * ngdp
        x[r(OUTLAYS)] = T[0, T_OUT] * ngdp
        x[r(INTEREST)] = float(np.dot(face, cpn))
        x[r(GROSS0):r(GROSS0) + N_B] = face / np.array(MATURITY)
        pf = self.Pf
        x[r(FED_INCOME)] = (soma.sum() * pf[_fed.SOMA_CPN] + x[r(OTHER)] * pf[_fed.OTHER_Y]
                            - (d["initial"]["fed_funds"].value + pf[_fed.IORB]) * x[r(RESERVES)]
                            - (d["initial"]["fed_funds"].value + pf[_fed.RRP_SPREAD]) * x[r(RRP)]
                            - fed["operating_costs"].value)
        ps = self.Ps
        ps[_sup.DUR_F] = _sup.duration(self.Ph[_h.F_DUR])
        full = np.zeros((N_FISCAL_STATE, 1))
        full[N_STATE:, 0] = x
        x[r(PRIV_DUR)], x[r(PRIV_BILLS)] = private_supply(full, 0, x[r(FOREIGN)], ngdp, ps)
        ps[_sup.PD0], ps[_sup.PB0] = x[r(PRIV_DUR)], x[r(PRIV_BILLS)]
        ps[_sup.DEF0] = (x[r(OUTLAYS)] - x[r(REVENUE)] + x[r(INTEREST)]) / ngdp
        self.init_rows = x
        self.problems = self._check(x, face, soma, hol)

    @staticmethod
    def _check(x, face, soma, hol) -> list[str]:
        out = []
        over = [f"{BUCKETS[b]} ({soma[b]:.0f}bn > {face[b]:.0f}bn)" for b in range(N_B) if soma[b] > face[b] + 1e-9]
        if over:
            out.append(f"fed_balance_sheet.soma: SOMA holds more than the debt outstanding in {', '.join(over)}; "
                       "expected SOMA holdings within treasury.debt x each bucket's share")
        private = face.sum() - soma.sum() - x[FOREIGN - N_STATE] - hol["banks"]["securities"].value \
            * hol["banks"]["treasury_share"].value
        if private < 0:
            out.append(f"holders: SOMA, foreign official and bank holdings exceed the debt by {-private:.0f}bn; "
                       "expected holdings that leave other private holders a non-negative amount")
        return out

    def set_start_yields(self, bucket_yields0: np.ndarray) -> None:
        """Banks' book is at par at the start: remember the yields at its durations."""
        ph = self.Ph
        ph[_h.B_Y0_HTM] = _interp(ph[_h.B_HTM_D], BUCKET_YEARS, bucket_yields0)
        ph[_h.B_Y0_AFS] = _interp(ph[_h.B_AFS_D], BUCKET_YEARS, bucket_yields0)


# ------------------------------------------------------------------------------------------ kernel
@njit(cache=True, nogil=True)
def _interp(x, xs, ys):
    """Linear interpolation in ``xs`` (increasing), flat beyond the ends."""
    if x <= xs[0]:
        return ys[0]
    for j in range(1, xs.shape[0]):
        if x <= xs[j]:
            w = (x - xs[j - 1]) / (xs[j] - xs[j - 1])
            return ys[j - 1] + w * (ys[j] - ys[j - 1])
    return ys[xs.shape[0] - 1]


@njit(cache=True, nogil=True)
def bucket_yields(S, p, i, cn, cp, lb_t, load, overlay, y):
    """Yields of the bucket tenors at time point i for path p (the curve formula of
    engine.blocks.curve, in its order)."""
    o_tp, o_irp, o_cy, o_w, o_f = overlay[i, 0], overlay[i, 1], overlay[i, 2], overlay[i, 3], overlay[i, 4]
    x0, x1, x2, x3, x4, x5 = S[GAP, p], S[INFL, p], S[INFL_EXP, p], S[RSTAR, p], S[STANCE, p], S[SHADOW, p]
    irp, tp, w, cy, fire = S[IRP, p] + o_irp, S[TP, p] + o_tp, S[WEDGE, p] + o_w, S[CY, p] + o_cy, S[FIRE, p] + o_f
    lb = lb_t[i]
    for j in range(cn.shape[1]):
        en = cn[i, j, 6] + cn[i, j, 0] * x0 + cn[i, j, 1] * x1 + cn[i, j, 2] * x2 + cn[i, j, 3] * x3 \
            + cn[i, j, 4] * x4 + cn[i, j, 5] * x5
        en = max(en, lb)
        ei = cp[i, j, 6] + cp[i, j, 0] * x0 + cp[i, j, 1] * x1 + cp[i, j, 2] * x2 + cp[i, j, 3] * x3 \
            + cp[i, j, 4] * x4 + cp[i, j, 5] * x5
        yy = (en - ei) + ei
        yy = yy + load[L_IRP, j] * irp
        yy = yy + load[L_TP, j] * tp
        yy = yy + load[L_W, j] * w
        yy = yy - load[L_CY, j] * cy
        y[j] = yy + load[L_F, j] * fire


@njit(cache=True, nogil=True, error_model="numpy")
def bank_loss(Ph, y):
    """Banks' unrealized securities loss (USD bn, positive = loss) at bucket yields ``y``."""
    sec = Ph[_h.B_SEC]
    yh = _interp(Ph[_h.B_HTM_D], BUCKET_YEARS, y)
    ya = _interp(Ph[_h.B_AFS_D], BUCKET_YEARS, y)
    htm = sec * Ph[_h.B_HTM] * (1.0 - math.exp(-Ph[_h.B_HTM_D] * (yh - Ph[_h.B_Y0_HTM])))
    afs = sec * (1.0 - Ph[_h.B_HTM]) * (1.0 - math.exp(-Ph[_h.B_AFS_D] * (ya - Ph[_h.B_Y0_AFS])))
    return htm + afs



@njit(cache=True, nogil=True)
def private_supply(S, p, foreign, ngdp, Ps):
    """(duration held privately in 10y-equivalents / GDP, bills held privately / GDP) of path p,
    decimals (engine.blocks.supply)."""
    dsum = 0.0
    for b in range(N_B):
        dsum += (S[DEBT0 + b, p] - S[SOMA0 + b, p]) * Ps[_sup.DUR0 + b]
    return (dsum - foreign * Ps[_sup.DUR_F]) / Ps[_sup.DUR_10] / ngdp, (S[DEBT0, p] - S[SOMA0, p]) / ngdp


@njit(cache=True, nogil=True)
def _stress(S, p, measure, loss, Ph):
    """A backstop's stress measure (engine.blocks.backstops.MEASURES) for path p."""
    st = MEASURE_STATE[int(measure)]
    return S[st, p] if st >= 0 else loss / Ph[_h.B_CAP]


@njit(cache=True, nogil=True, error_model="numpy")
def step(S, O, p, k, dt, Pt, Pf, Pb, Ph, Ps, T, cn, cp, lb_t, load, overlay, a_tp, a_cy, W):
    """Advance path p's fiscal rows over step k (O: state at time point k, S: at k + 1, whose
    core rows are already stepped). Amounts USD bn, flows annualised USD bn/yr. W: (N_W, N_B)
    scratch."""
    i = k + 1
    mat, smat, iss, buy, y = W[W_MAT], W[W_SMAT], W[W_ISS], W[W_BUY], W[W_Y]
    # the supply parts persist: the core step shrank them with the premia's own mean reversion
    sup_tp, sup_cy = O[SUP_TP, p], O[SUP_CY, p]
    S[TP, p] += (1.0 - a_tp) * sup_tp
    S[CY, p] += (1.0 - a_cy) * sup_cy
    bucket_yields(S, p, i, cn, cp, lb_t, load, overlay, y)
    ngdp = O[NGDP, p] * math.exp((T[k, T_GPOT] + S[INFL, p]) * dt + (S[GAP, p] - O[GAP, p]))
    r_old = O[POLICY, p]

    # ---- Fed: income over the step, at the old balance sheet and policy rate
    coupons = 0.0
    for b in range(N_B):
        coupons += O[SOMA0 + b, p] * O[SCPN0 + b, p]
    income = (coupons + O[OTHER, p] * Pf[_fed.OTHER_Y] + O[BTFP, p] * (r_old + Pb[_bs.BT_SPREAD])
              - (r_old + Pf[_fed.IORB]) * O[RESERVES, p] - (r_old + Pf[_fed.RRP_SPREAD]) * O[RRP, p]) * dt \
        - Pf[_fed.OPEX]
    deferred = O[DEFERRED, p]
    remit = 0.0
    if income >= 0.0:
        pay = min(deferred, income)
        deferred -= pay
        remit = income - pay
    else:
        deferred -= income

    # ---- Fed: runoff under the cap; maturing holdings above it are reinvested at auction
    soma_mat = 0.0
    for b in range(N_B):
        smat[b] = O[SOMA0 + b, p] * Pt[_t.RUNOFF0 + b]
        soma_mat += smat[b]
    redeemed = min(soma_mat, T[k, T_CAP])
    reinvest = 1.0 - redeemed / soma_mat if soma_mat > 0.0 else 0.0

    # ---- Treasury financing
    face_total = 0.0
    interest = 0.0
    for b in range(N_B):
        mat[b] = O[DEBT0 + b, p] * Pt[_t.RUNOFF0 + b]
        interest += O[DEBT0 + b, p] * O[CPN0 + b, p]
        face_total += O[DEBT0 + b, p]
    interest *= dt
    revenue = T[k, T_REV] * ngdp * dt + remit * Pt[_t.ADD_REMIT]
    outlays = T[k, T_OUT] * ngdp * dt
    d_tga = (T[k, T_TGA] - O[TGA, p]) * Pt[_t.TGA_DECAY]
    lo = W[W_LO]
    for b in range(N_B):
        gap = (O[SOMA0 + b, p] - smat[b] + smat[b] * reinvest) - (O[DEBT0 + b, p] - mat[b])
        lo[b] = gap if b == 0 else max(gap, 0.0)
    d_tga = _t.allocate(Pt, face_total, O[DEBT0, p], mat, outlays - revenue + interest, d_tga, lo, iss)
    debt = 0.0
    for b in range(N_B):
        left = O[DEBT0 + b, p] - mat[b]
        f = left + iss[b]
        if f < 0.0:  # rounding only: allocate keeps every bucket >= 0
            f = 0.0
        if iss[b] > 0.0 and f > 0.0:
            S[CPN0 + b, p] = (O[CPN0 + b, p] * left + y[b] * iss[b]) / f
        else:
            S[CPN0 + b, p] = O[CPN0 + b, p]
        S[DEBT0 + b, p] = f
        S[GROSS0 + b, p] = iss[b] / dt
        debt += f
    tga = O[TGA, p] + d_tga

    # ---- Fed: purchases, under the cap and into QE/backstop programmes
    foreign = max(O[FOREIGN, p] - T[k, T_FSELL], 0.0)
    ep_time, ep_left = O[EP_TIME, p], O[EP_LEFT, p]
    ep_amt = 0.0
    if ep_time > 0.0:
        ep_amt = min(ep_left, Pb[_bs.EP_SIZE] * dt / Pb[_bs.EP_DUR])
        ep_left -= ep_amt
        ep_time -= dt
        S[FIRE, p] *= Pb[_bs.EP_RELIEF]
    soma_after = 0.0
    want = 0.0
    for b in range(N_B):
        keep = O[SOMA0 + b, p] - smat[b] + smat[b] * reinvest
        S[SOMA0 + b, p] = keep
        soma_after += keep
        buy[b] = T[k, T_QE0 + b] + ep_amt * Pb[_bs.EP_MIX0 + b]
        buy[b] = max(0.0, min(buy[b], S[DEBT0 + b, p] - keep))
        want += buy[b]
    bank_tsy = Ph[_h.B_SEC] * Ph[_h.B_TSY]
    room = max(0.0, debt - soma_after - foreign - bank_tsy)
    scale = 1.0 if want <= room else room / want
    bought = 0.0
    for b in range(N_B):
        q = buy[b] * scale
        keep = S[SOMA0 + b, p]
        rolled = smat[b] * reinvest
        base = O[SOMA0 + b, p] - smat[b]
        tot = keep + q
        if tot > 0.0:
            S[SCPN0 + b, p] = (O[SCPN0 + b, p] * base + y[b] * (rolled + q)) / tot
        else:
            S[SCPN0 + b, p] = O[SCPN0 + b, p]
        S[SOMA0 + b, p] = tot
        bought += q
    soma_after += bought
    other = O[OTHER, p] * Pf[_fed.OTHER_DECAY]
    currency = Pf[_fed.CURRENCY_RATIO] * ngdp
    rrp = Pf[_fed.RRP_FLOOR] + (O[RRP, p] - Pf[_fed.RRP_FLOOR]) * Pf[_fed.RRP_DECAY]

    # ---- holders: bank losses; BTFP balance
    loss = bank_loss(Ph, y)
    bt_time = O[BTFP_TIME, p]
    btfp = 0.0
    if bt_time > 0.0:
        btfp = min(Pb[_bs.BT_SIZE], Pb[_bs.BT_TAKE] * max(loss, 0.0))
        bt_time -= dt
    reserves = soma_after + other + btfp - currency - rrp - tga - Pf[_fed.CAPITAL] + deferred
    # reserve management: bills bought back up to the floor (never more than private bills)
    rmp = min(max(0.0, Pf[_fed.RES_FLOOR] * ngdp - reserves),
              max(0.0, min(S[DEBT0, p] - S[SOMA0, p], debt - soma_after - foreign - bank_tsy)))
    if rmp > 0.0:
        S[SCPN0, p] = (S[SCPN0, p] * S[SOMA0, p] + y[0] * rmp) / (S[SOMA0, p] + rmp)
        S[SOMA0, p] += rmp
        soma_after += rmp
        bought += rmp
        reserves += rmp

    # ---- backstop triggers (they act from the next step)
    ep_fired, bt_fired = O[EP_FIRED, p], O[BTFP_FIRED, p]
    if Pb[_bs.EP_ON] > 0.0 and ep_fired == 0.0 and _stress(S, p, Pb[_bs.EP_MEASURE], loss, Ph) > Pb[_bs.EP_ABOVE]:
        ep_fired, ep_time, ep_left = 1.0, Pb[_bs.EP_DUR], Pb[_bs.EP_SIZE]
    if Pb[_bs.BT_ON] > 0.0 and bt_fired == 0.0 and _stress(S, p, Pb[_bs.BT_MEASURE], loss, Ph) > Pb[_bs.BT_ABOVE]:
        bt_fired, bt_time = 1.0, Pb[_bs.BT_DUR]

    # ---- downgrades: scheduled, then triggered by net interest / revenue
    n_down = O[DOWNGRADES, p] + T[k, T_DOWN]
    if revenue > 0.0 and n_down < Ph[_h.D_MAX] and interest / revenue > Ph[_h.D_TRIG] + Ph[_h.D_STEP] * n_down:
        n_down += 1.0

    # ---- supply effects
    priv_dur, priv_bills = private_supply(S, p, foreign, ngdp, Ps)
    deficit_gdp = (outlays - revenue + interest) / dt / ngdp
    new_tp = Ps[_sup.DUR_S] * (priv_dur - Ps[_sup.PD0]) + Ps[_sup.DEF_S] * (deficit_gdp - Ps[_sup.DEF0]) \
        + n_down * Ph[_h.D_TP]
    new_cy = -Ps[_sup.BILL_S] * (priv_bills - Ps[_sup.PB0]) - n_down * Ph[_h.D_CY]
    S[TP, p] += new_tp - sup_tp
    S[CY, p] += new_cy - sup_cy

    # ---- write the rest of the state
    S[NGDP, p] = ngdp
    S[TGA, p] = tga
    S[FOREIGN, p] = foreign
    S[OTHER, p] = other
    S[RESERVES, p] = reserves
    S[RRP, p] = rrp
    S[CURRENCY, p] = currency
    S[DEFERRED, p] = deferred
    S[BTFP, p] = btfp
    S[EP_LEFT, p] = ep_left
    S[EP_TIME, p] = ep_time
    S[EP_FIRED, p] = ep_fired
    S[BTFP_TIME, p] = bt_time
    S[BTFP_FIRED, p] = bt_fired
    S[DOWNGRADES, p] = n_down
    S[SUP_TP, p] = new_tp
    S[SUP_CY, p] = new_cy
    S[REVENUE, p] = revenue / dt
    S[OUTLAYS, p] = outlays / dt
    S[INTEREST, p] = interest / dt
    S[TGA_CHANGE, p] = d_tga / dt
    S[REMIT, p] = remit / dt
    S[FED_INCOME, p] = income / dt
    S[QT_RUNOFF, p] = redeemed / dt
    S[QE_BUY, p] = bought / dt
    S[BANK_LOSS, p] = loss
    S[PRIV_DUR, p] = priv_dur
    S[PRIV_BILLS, p] = priv_bills


@njit(cache=True, nogil=True, error_model="numpy")
def record(S, p, Ph, dst):
    """Recorded fiscal variables of path p (the order of fiscal_state.RECORDED) into dst[:, p]."""
    ngdp = S[NGDP, p]
    debt = 0.0
    cost = 0.0
    wam = 0.0
    soma = 0.0
    gross = 0.0
    for b in range(N_B):
        f = S[DEBT0 + b, p]
        debt += f
        cost += f * S[CPN0 + b, p]
        wam += f * BUCKET_YEARS[b] * 0.5
        soma += S[SOMA0 + b, p]
        gross += S[GROSS0 + b, p]
    ni, rev, out = S[INTEREST, p], S[REVENUE, p], S[OUTLAYS, p]
    bank_tsy = Ph[_h.B_SEC] * Ph[_h.B_TSY]
    loss = S[BANK_LOSS, p]
    uncovered = loss - S[BTFP, p]
    v = 0
    for x in (ngdp, debt, debt / ngdp, ni, ni / ngdp, ni / rev, ni / (out + ni), (out - rev + ni) / ngdp,
              (out - rev) / ngdp, rev / ngdp, cost / debt, wam / debt, S[DEBT0, p] / debt, S[TGA, p]):
        dst[v, p] = x
        v += 1
    for b in range(N_B):
        dst[v, p] = S[GROSS0 + b, p]
        v += 1
    for x in (gross, soma, soma + S[OTHER, p] + S[BTFP, p], S[RESERVES, p], S[RRP, p], S[FED_INCOME, p],
              S[REMIT, p], S[DEFERRED, p], S[QT_RUNOFF, p], S[QE_BUY, p], S[BTFP, p], S[FOREIGN, p], bank_tsy,
              debt - soma - S[FOREIGN, p] - bank_tsy, loss, loss / Ph[_h.B_CAP],
              1.0 if uncovered / Ph[_h.B_CAP] > Ph[_h.B_THR] else 0.0, S[PRIV_DUR, p], S[PRIV_BILLS, p],
              S[SUP_TP, p], S[SUP_CY, p], S[DOWNGRADES, p]):
        dst[v, p] = x
        v += 1
