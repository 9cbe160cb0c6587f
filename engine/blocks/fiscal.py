"""The Treasury, Fed balance-sheet, backstop, holder and supply blocks stepped together.

One call of :func:`step` advances the fiscal rows of a block of paths from the previous state
``O`` to the new state ``S`` whose core rows (macro, policy, premia) the kernel has just stepped. In the
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
from .curve import compose
from .fiscal_state import (BANK_LOSS, BUCKETS, BTFP, BTFP_FIRED, BTFP_TIME, CPN0, CURRENCY, DEBT0, DEFERRED, DOWNGRADES,
                           EP_FIRED, EP_LEFT, EP_TIME, FED_INCOME, FOREIGN, GROSS0, INTEREST, MATURITY, N_B,
                           N_FISCAL_STATE, NGDP, OTHER, OUTLAYS, PRIV_BILLS, PRIV_DUR, QE_BUY, QT_RUNOFF, REMIT,
                           RECORDED_NAMES, RESERVES, REVENUE, RRP, SCPN0, SOMA0, SUP_CY, SUP_TP, TGA, TGA_CHANGE)
from .state import CY, FIRE, GAP, INFL, N_STATE, POLICY, TP, WEDGE

# time-path columns (per step)
T_REV, T_OUT, T_TGA, T_CAP, T_FSELL, T_DOWN, T_GPOT = range(7)
T_QE0 = 7
N_T = T_QE0 + N_B
BUCKET_YEARS = np.array(MATURITY)
# scratch rows of the step (N_W, paths): six of N_B rows each, then single rows
W_Y, W_MAT, W_SMAT, W_ISS, W_BUY, W_LO = (N_B * j for j in range(6))
(W_INCOME, W_REMIT, W_REDEEMED, W_REINVEST, W_FACE, W_INTEREST, W_REVENUE, W_OUTLAYS, W_DTGA, W_NEED, W_GROSS,
 W_DEBT, W_EP_AMT, W_SOMA, W_WANT, W_BOUGHT, W_LOSS, W_X) = range(6 * N_B, 6 * N_B + 18)
N_W = 6 * N_B + 18

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
        private_supply(full, ps, np.empty(1))
        x[r(PRIV_DUR)], x[r(PRIV_BILLS)] = full[PRIV_DUR, 0], full[PRIV_BILLS, 0]
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
# Every function below works on a whole block of paths: the state S is (rows, paths) and each
# stage is a loop over the paths of one or a few rows, so LLVM vectorises it (the per-path
# version cost about 290 ns a path-step, mostly scalar loads and branches). Sums over buckets run
# bucket-outer, paths-inner into a scratch row, which adds in the same order as a per-path loop.
# Conditions are selects (``a if c else b``, ``&`` rather than ``and``), not branches, so the
# loops stay vectorisable.

@njit(cache=True, nogil=True)
def _interp_weights(x, xs):
    """(lower index, upper index, weight) that interpolate linearly at ``x`` in ``xs`` (increasing),
    flat beyond the ends: value = ys[lo] + w * (ys[hi] - ys[lo])."""
    n = xs.shape[0]
    if x <= xs[0]:
        return 0, 0, 0.0
    for j in range(1, n):
        if x <= xs[j]:
            return j - 1, j, (x - xs[j - 1]) / (xs[j] - xs[j - 1])
    return n - 1, n - 1, 0.0


@njit(cache=True, nogil=True)
def _interp(x, xs, ys):
    """Linear interpolation in ``xs`` (increasing), flat beyond the ends."""
    lo, hi, w = _interp_weights(x, xs)
    return ys[lo] + w * (ys[hi] - ys[lo])


@njit(cache=True, nogil=True)
def bucket_yields(S, i, cn, cp, lb_t, load, overlay, Y):
    """Yields (decimals) of the bucket tenors at time point i for every path into Y (N_B, paths):
    :func:`engine.blocks.curve.compose` with the buckets' coefficients."""
    for j in range(cn.shape[1]):
        compose(S, i, j, cn, cp, lb_t, load, overlay, Y[j])


@njit(cache=True, nogil=True, error_model="numpy")
def bank_loss(Ph, Y, loss):
    """Banks' unrealized securities loss (USD bn, positive = loss) at bucket yields Y (N_B, paths)
    into ``loss`` (paths)."""
    sec, h = Ph[_h.B_SEC], Ph[_h.B_HTM]
    dh, da, y0h, y0a = Ph[_h.B_HTM_D], Ph[_h.B_AFS_D], Ph[_h.B_Y0_HTM], Ph[_h.B_Y0_AFS]
    h0, h1, wh = _interp_weights(dh, BUCKET_YEARS)
    a0, a1, wa = _interp_weights(da, BUCKET_YEARS)
    for p in range(Y.shape[1]):
        yh = Y[h0, p] + wh * (Y[h1, p] - Y[h0, p])
        ya = Y[a0, p] + wa * (Y[a1, p] - Y[a0, p])
        htm = sec * h * (1.0 - math.exp(-dh * (yh - y0h)))
        afs = sec * (1.0 - h) * (1.0 - math.exp(-da * (ya - y0a)))
        loss[p] = htm + afs


@njit(cache=True, nogil=True)
def private_supply(S, Ps, dsum):
    """Duration held privately (10y-equivalents / GDP) and bills held privately (/ GDP), decimals
    (engine.blocks.supply), from the debt, SOMA, foreign and GDP rows of S into its PRIV_DUR and
    PRIV_BILLS rows. ``dsum``: a scratch row (paths)."""
    B = S.shape[1]
    dsum[:] = 0.0
    for b in range(N_B):
        d = Ps[_sup.DUR0 + b]
        for p in range(B):
            dsum[p] += (S[DEBT0 + b, p] - S[SOMA0 + b, p]) * d
    dur_f, dur_10 = Ps[_sup.DUR_F], Ps[_sup.DUR_10]
    for p in range(B):
        S[PRIV_DUR, p] = (dsum[p] - S[FOREIGN, p] * dur_f) / dur_10 / S[NGDP, p]
        S[PRIV_BILLS, p] = (S[DEBT0, p] - S[SOMA0, p]) / S[NGDP, p]


@njit(cache=True, nogil=True)
def _trigger(S, O, loss, Ph, measure, above, fired_row, x):
    """Carry the fired flag ``fired_row`` over the step and flag in ``x`` (1/0) the paths whose
    stress measure (engine.blocks.backstops.MEASURES) first crosses ``above`` now."""
    st = MEASURE_STATE[int(measure)]
    cap = Ph[_h.B_CAP]
    for p in range(S.shape[1]):
        m = S[st, p] if st >= 0 else loss[p] / cap
        fired = O[fired_row, p]
        x[p] = 1.0 if (fired == 0.0) & (m > above) else 0.0
        S[fired_row, p] = 1.0 if x[p] > 0.0 else fired


@njit(cache=True, nogil=True, error_model="numpy")
def step(S, O, k, dt, Pt, Pf, Pb, Ph, Ps, T, cn, cp, lb_t, load, overlay, a_tp, a_cy, W):
    """Advance the fiscal rows of every path over step k (O: state at time point k, S: at k + 1,
    whose core rows are already stepped). Amounts USD bn, flows annualised USD bn/yr.
    W: (N_W, paths) scratch."""
    B = S.shape[1]
    Y, MAT, SMAT = W[W_Y:W_Y + N_B], W[W_MAT:W_MAT + N_B], W[W_SMAT:W_SMAT + N_B]
    ISS, BUY, LO = W[W_ISS:W_ISS + N_B], W[W_BUY:W_BUY + N_B], W[W_LO:W_LO + N_B]
    income, remit, redeemed, reinvest = W[W_INCOME], W[W_REMIT], W[W_REDEEMED], W[W_REINVEST]
    face, interest, revenue, outlays, d_tga = W[W_FACE], W[W_INTEREST], W[W_REVENUE], W[W_OUTLAYS], W[W_DTGA]
    need, gross = W[W_NEED], W[W_GROSS]
    debt, ep_amt, soma_after, want, bought = W[W_DEBT], W[W_EP_AMT], W[W_SOMA], W[W_WANT], W[W_BOUGHT]
    loss, x = W[W_LOSS], W[W_X]

    # ---- the supply parts persist: the core step shrank them with the premia's own mean reversion
    for p in range(B):
        S[TP, p] += (1.0 - a_tp) * O[SUP_TP, p]
        S[CY, p] += (1.0 - a_cy) * O[SUP_CY, p]
    bucket_yields(S, k + 1, cn, cp, lb_t, load, overlay, Y)
    g = T[k, T_GPOT]
    for p in range(B):
        S[NGDP, p] = O[NGDP, p] * math.exp((g + S[INFL, p]) * dt + (S[GAP, p] - O[GAP, p]))

    # ---- Fed: income over the step, at the old balance sheet and policy rate
    income[:] = 0.0
    for b in range(N_B):
        for p in range(B):
            income[p] += O[SOMA0 + b, p] * O[SCPN0 + b, p]
    oy, bts, iorb, rrs, opex = Pf[_fed.OTHER_Y], Pb[_bs.BT_SPREAD], Pf[_fed.IORB], Pf[_fed.RRP_SPREAD], Pf[_fed.OPEX]
    for p in range(B):
        r = O[POLICY, p]
        inc = (income[p] + O[OTHER, p] * oy + O[BTFP, p] * (r + bts) - (r + iorb) * O[RESERVES, p]
               - (r + rrs) * O[RRP, p]) * dt - opex
        income[p] = inc
        dfr = O[DEFERRED, p]
        pay = min(dfr, inc)
        S[DEFERRED, p] = dfr - pay if inc >= 0.0 else dfr - inc
        remit[p] = inc - pay if inc >= 0.0 else 0.0

    # ---- Fed: runoff under the cap; maturing holdings above it are reinvested at auction
    redeemed[:] = 0.0
    for b in range(N_B):
        ro = Pt[_t.RUNOFF0 + b]
        for p in range(B):
            SMAT[b, p] = O[SOMA0 + b, p] * ro
            redeemed[p] += SMAT[b, p]
    cap = T[k, T_CAP]
    for p in range(B):
        sm = redeemed[p]
        rd = min(sm, cap)
        reinvest[p] = 1.0 - rd / sm if sm > 0.0 else 0.0
        redeemed[p] = rd

    # ---- Treasury financing
    face[:] = 0.0
    interest[:] = 0.0
    for b in range(N_B):
        ro = Pt[_t.RUNOFF0 + b]
        for p in range(B):
            MAT[b, p] = O[DEBT0 + b, p] * ro
            interest[p] += O[DEBT0 + b, p] * O[CPN0 + b, p]
            face[p] += O[DEBT0 + b, p]
    rev_k, out_k, tga_k = T[k, T_REV], T[k, T_OUT], T[k, T_TGA]
    add, decay = Pt[_t.ADD_REMIT], Pt[_t.TGA_DECAY]
    for p in range(B):
        interest[p] *= dt
        revenue[p] = rev_k * S[NGDP, p] * dt + remit[p] * add
        outlays[p] = out_k * S[NGDP, p] * dt
        d_tga[p] = (tga_k - O[TGA, p]) * decay
        need[p] = outlays[p] - revenue[p] + interest[p]  # borrowing before the TGA change
    for b in range(N_B):
        for p in range(B):
            gap = (O[SOMA0 + b, p] - SMAT[b, p] + SMAT[b, p] * reinvest[p]) - (O[DEBT0 + b, p] - MAT[b, p])
            LO[b, p] = gap if b == 0 else max(gap, 0.0)
    _t.allocate(Pt, face, O[DEBT0], MAT, need, d_tga, LO, ISS, gross)
    debt[:] = 0.0
    for b in range(N_B):
        for p in range(B):
            left = O[DEBT0 + b, p] - MAT[b, p]
            iss = ISS[b, p]
            f = left + iss
            if f < 0.0:  # rounding only: allocate keeps every bucket >= 0
                f = 0.0
            S[CPN0 + b, p] = (O[CPN0 + b, p] * left + Y[b, p] * iss) / f if (iss > 0.0) & (f > 0.0) \
                else O[CPN0 + b, p]
            S[DEBT0 + b, p] = f
            S[GROSS0 + b, p] = iss / dt
            debt[p] += f
    for p in range(B):
        S[TGA, p] = O[TGA, p] + d_tga[p]

    # ---- Fed: purchases, under the cap and into QE/backstop programmes
    fsell = T[k, T_FSELL]
    ep_step, relief = Pb[_bs.EP_SIZE] * dt / Pb[_bs.EP_DUR], Pb[_bs.EP_RELIEF]
    for p in range(B):
        S[FOREIGN, p] = max(O[FOREIGN, p] - fsell, 0.0)
        ep_time, ep_left = O[EP_TIME, p], O[EP_LEFT, p]
        amt = min(ep_left, ep_step) if ep_time > 0.0 else 0.0
        ep_amt[p] = amt
        S[EP_LEFT, p] = ep_left - amt if ep_time > 0.0 else ep_left
        S[EP_TIME, p] = ep_time - dt if ep_time > 0.0 else ep_time
        S[FIRE, p] = S[FIRE, p] * relief if ep_time > 0.0 else S[FIRE, p]
    soma_after[:] = 0.0
    want[:] = 0.0
    for b in range(N_B):
        qe, mix = T[k, T_QE0 + b], Pb[_bs.EP_MIX0 + b]
        for p in range(B):
            keep = O[SOMA0 + b, p] - SMAT[b, p] + SMAT[b, p] * reinvest[p]
            S[SOMA0 + b, p] = keep
            soma_after[p] += keep
            bb = qe + ep_amt[p] * mix
            bb = max(0.0, min(bb, S[DEBT0 + b, p] - keep))
            BUY[b, p] = bb
            want[p] += bb
    bank_tsy = Ph[_h.B_SEC] * Ph[_h.B_TSY]
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
            S[SCPN0 + b, p] = (O[SCPN0 + b, p] * base + Y[b, p] * (rolled + q)) / tot if tot > 0.0 \
                else O[SCPN0 + b, p]
            S[SOMA0 + b, p] = tot
            bought[p] += q
    od, cr, rf, rdec = Pf[_fed.OTHER_DECAY], Pf[_fed.CURRENCY_RATIO], Pf[_fed.RRP_FLOOR], Pf[_fed.RRP_DECAY]
    for p in range(B):
        soma_after[p] += bought[p]
        S[OTHER, p] = O[OTHER, p] * od
        S[CURRENCY, p] = cr * S[NGDP, p]
        S[RRP, p] = rf + (O[RRP, p] - rf) * rdec

    # ---- holders: bank losses; BTFP balance; reserves, with reserve-management bill purchases
    # up to the floor (never more than the private bills)
    bank_loss(Ph, Y, loss)
    bt_size, bt_take, capital, floor = Pb[_bs.BT_SIZE], Pb[_bs.BT_TAKE], Pf[_fed.CAPITAL], Pf[_fed.RES_FLOOR]
    for p in range(B):
        bt_time = O[BTFP_TIME, p]
        btfp = min(bt_size, bt_take * max(loss[p], 0.0)) if bt_time > 0.0 else 0.0
        S[BTFP, p] = btfp
        S[BTFP_TIME, p] = bt_time - dt if bt_time > 0.0 else bt_time
        reserves = soma_after[p] + S[OTHER, p] + btfp - S[CURRENCY, p] - S[RRP, p] - S[TGA, p] - capital \
            + S[DEFERRED, p]
        rmp = min(max(0.0, floor * S[NGDP, p] - reserves),
                  max(0.0, min(S[DEBT0, p] - S[SOMA0, p], debt[p] - soma_after[p] - S[FOREIGN, p] - bank_tsy)))
        # rmp >= 0; adding it when 0 changes nothing, and selects instead of a branch vectorise
        S[SCPN0, p] = (S[SCPN0, p] * S[SOMA0, p] + Y[0, p] * rmp) / (S[SOMA0, p] + rmp) if rmp > 0.0 \
            else S[SCPN0, p]
        S[SOMA0, p] += rmp
        soma_after[p] += rmp
        bought[p] += rmp
        S[RESERVES, p] = reserves + rmp

    # ---- backstop triggers (they act from the next step)
    _trigger(S, O, loss, Ph, Pb[_bs.EP_MEASURE], Pb[_bs.EP_ABOVE] if Pb[_bs.EP_ON] > 0.0 else np.inf, EP_FIRED, x)
    ep_dur, ep_size = Pb[_bs.EP_DUR], Pb[_bs.EP_SIZE]
    for p in range(B):
        S[EP_TIME, p] = ep_dur if x[p] > 0.0 else S[EP_TIME, p]
        S[EP_LEFT, p] = ep_size if x[p] > 0.0 else S[EP_LEFT, p]
    _trigger(S, O, loss, Ph, Pb[_bs.BT_MEASURE], Pb[_bs.BT_ABOVE] if Pb[_bs.BT_ON] > 0.0 else np.inf, BTFP_FIRED, x)
    bt_dur = Pb[_bs.BT_DUR]
    for p in range(B):
        S[BTFP_TIME, p] = bt_dur if x[p] > 0.0 else S[BTFP_TIME, p]

    # ---- downgrades: scheduled, then triggered by net interest / revenue
    n_sched, d_max, d_trig, d_step = T[k, T_DOWN], Ph[_h.D_MAX], Ph[_h.D_TRIG], Ph[_h.D_STEP]
    for p in range(B):
        n = O[DOWNGRADES, p] + n_sched
        hit = (revenue[p] > 0.0) & (n < d_max) & (interest[p] / revenue[p] > d_trig + d_step * n)
        S[DOWNGRADES, p] = n + 1.0 if hit else n

    # ---- supply effects, and the flows (annualised)
    private_supply(S, Ps, x)
    dur_s, def_s, bill_s = Ps[_sup.DUR_S], Ps[_sup.DEF_S], Ps[_sup.BILL_S]
    pd0, def0, pb0, d_tp, d_cy = Ps[_sup.PD0], Ps[_sup.DEF0], Ps[_sup.PB0], Ph[_h.D_TP], Ph[_h.D_CY]
    for p in range(B):
        deficit_gdp = (outlays[p] - revenue[p] + interest[p]) / dt / S[NGDP, p]
        n = S[DOWNGRADES, p]
        new_tp = dur_s * (S[PRIV_DUR, p] - pd0) + def_s * (deficit_gdp - def0) + n * d_tp
        new_cy = -bill_s * (S[PRIV_BILLS, p] - pb0) - n * d_cy
        S[TP, p] += new_tp - O[SUP_TP, p]
        S[CY, p] += new_cy - O[SUP_CY, p]
        S[SUP_TP, p] = new_tp
        S[SUP_CY, p] = new_cy
    for p in range(B):
        S[REVENUE, p] = revenue[p] / dt
        S[OUTLAYS, p] = outlays[p] / dt
        S[INTEREST, p] = interest[p] / dt
        S[TGA_CHANGE, p] = d_tga[p] / dt
        S[REMIT, p] = remit[p] / dt
        S[FED_INCOME, p] = income[p] / dt
        S[QT_RUNOFF, p] = redeemed[p] / dt
        S[QE_BUY, p] = bought[p] / dt
        S[BANK_LOSS, p] = loss[p]


# rows of the recorded fiscal variables (fiscal_state.RECORDED)
_R = {name: v for v, name in enumerate(RECORDED_NAMES)}
# (recorded row, state row) for the variables recorded as they are in the state
_COPIED = np.array([(_R[name], row) for name, row in (
    ("nominal_gdp", NGDP), ("tga", TGA), ("reserves", RESERVES), ("on_rrp", RRP), ("fed_net_income", FED_INCOME),
    ("remittances", REMIT), ("deferred_asset", DEFERRED), ("qt_runoff", QT_RUNOFF), ("fed_purchases", QE_BUY),
    ("btfp", BTFP), ("foreign_official", FOREIGN), ("bank_unrealized_loss", BANK_LOSS),
    ("private_duration_to_gdp", PRIV_DUR), ("private_bills_to_gdp", PRIV_BILLS), ("supply_term_premium_10y", SUP_TP),
    ("supply_convenience_yield_3m", SUP_CY), ("downgrades", DOWNGRADES))] +
    [(_R["gross_issuance_" + b], GROSS0 + j) for j, b in enumerate(BUCKETS)], dtype=np.int64)
(R_DEBT, R_DEBT_GDP, R_NI, R_NI_GDP, R_NI_REV, R_NI_OUT, R_DEF_GDP, R_PDEF_GDP, R_REV_GDP, R_AVG_RATE, R_WAM,
 R_BILL_SHARE, R_GROSS, R_SOMA, R_FED_ASSETS, R_BANK_TSY, R_PRIVATE, R_LOSS_CAP, R_STRESS) = (_R[n] for n in (
    "debt", "debt_to_gdp", "net_interest", "net_interest_to_gdp", "net_interest_to_revenue",
    "net_interest_to_outlays", "deficit_to_gdp", "primary_deficit_to_gdp", "revenue_to_gdp",
    "average_interest_rate", "wam_years", "bill_share", "gross_issuance", "soma", "fed_assets", "bank_treasuries",
    "other_private", "bank_loss_to_capital", "bank_stress"))
assert len(_COPIED) + 19 == len(RECORDED_NAMES)


@njit(cache=True, nogil=True, error_model="numpy")
def record(S, Ph, dst, W):
    """Recorded fiscal variables of every path (fiscal_state.RECORDED, in its units before the
    results' scaling) into dst (variable, paths). W: (N_W, paths) scratch."""
    B = S.shape[1]
    # the step's scratch rows, free between steps
    debt, cost, wam, soma, gross = W[W_DEBT], W[W_INTEREST], W[W_FACE], W[W_SOMA], W[W_GROSS]
    debt[:] = 0.0
    cost[:] = 0.0
    wam[:] = 0.0
    soma[:] = 0.0
    gross[:] = 0.0
    for b in range(N_B):
        yb = BUCKET_YEARS[b]
        for p in range(B):
            f = S[DEBT0 + b, p]
            debt[p] += f
            cost[p] += f * S[CPN0 + b, p]
            wam[p] += f * yb * 0.5
            soma[p] += S[SOMA0 + b, p]
            gross[p] += S[GROSS0 + b, p]
    for v in range(_COPIED.shape[0]):
        dst[_COPIED[v, 0]] = S[_COPIED[v, 1]]
    dst[R_DEBT] = debt
    dst[R_GROSS] = gross
    dst[R_SOMA] = soma
    for p in range(B):
        ngdp, ni, rev, out = S[NGDP, p], S[INTEREST, p], S[REVENUE, p], S[OUTLAYS, p]
        dst[R_DEBT_GDP, p] = debt[p] / ngdp
        dst[R_NI, p] = ni
        dst[R_NI_GDP, p] = ni / ngdp
        dst[R_NI_REV, p] = ni / rev
        dst[R_NI_OUT, p] = ni / (out + ni)
        dst[R_DEF_GDP, p] = (out - rev + ni) / ngdp
        dst[R_PDEF_GDP, p] = (out - rev) / ngdp
        dst[R_REV_GDP, p] = rev / ngdp
    for p in range(B):
        dst[R_AVG_RATE, p] = cost[p] / debt[p]
        dst[R_WAM, p] = wam[p] / debt[p]
        dst[R_BILL_SHARE, p] = S[DEBT0, p] / debt[p]
    bank_tsy = Ph[_h.B_SEC] * Ph[_h.B_TSY]
    cap, thr = Ph[_h.B_CAP], Ph[_h.B_THR]
    for p in range(B):
        dst[R_FED_ASSETS, p] = soma[p] + S[OTHER, p] + S[BTFP, p]
        dst[R_BANK_TSY, p] = bank_tsy
        dst[R_PRIVATE, p] = debt[p] - soma[p] - S[FOREIGN, p] - bank_tsy
        loss = S[BANK_LOSS, p]
        dst[R_LOSS_CAP, p] = loss / cap
        dst[R_STRESS, p] = 1.0 if (loss - S[BTFP, p]) / cap > thr else 0.0
