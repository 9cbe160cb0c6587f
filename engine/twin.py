"""Plain-numpy twin of the kernel: the same equations on the same random numbers, vectorised
over all paths instead of compiled. Tests compare the kernel against it; benchmarks use it as
the baseline the kernel is measured against.

It draws from each block's generator exactly what the kernel draws, in the same order (the
step's normals as one (B, n_draw) fill, then jumps path by path), and evaluates every formula
in the same order, so on the same machine its results equal the kernel's bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from .blocks import bill_wedge as bwb
from .blocks import convenience_yield as cyb
from .blocks import fire_sale as fsb
from .blocks import inflation_risk_premium as irpb
from .blocks import liquidity_wedge as lwb
from .blocks import macro as mb
from .blocks import policy as pb
from .blocks import term_premium as tpb
from .blocks import volatility as vb
from .core.layout import (
    BILL,
    BLOCK_PATHS,
    COMP_ROW,
    CUM_RATE,
    CY,
    CYCLE,
    FIRE,
    GAP,
    INFL,
    INFL_EXP,
    IRP,
    JUMP_THR,
    MET_FALL,
    MET_FALL_W,
    MET_PEAK,
    MET_RISE,
    MET_RISE_W,
    MET_SUMSQ,
    MET_TROUGH,
    N_MET,
    N_REC,
    N_SHOCK,
    OVERLAY_COLUMN,
    POLICY,
    REGIME_SHOCKS,
    ROW,
    RSTAR,
    SH_CY,
    SH_CYCLE,
    SH_GAP,
    SH_INFL,
    SH_INFL_EXP,
    SH_IRP,
    SH_POLICY,
    SH_RSTAR,
    SH_STANCE,
    SH_TP,
    SH_VOL,
    SHADOW,
    SRC_JUMPS,
    STANCE,
    TP,
    VOLREG,
    WEDGE,
    X_STATES,
)
from .core.sampling import block_normals, block_streams
from .model import Model

_REC_OVERLAY = [OVERLAY_COLUMN.get(name, -1) for name in list(ROW)[:N_REC]]


def simulate_twin(model: Model, n_paths: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Same contract as :func:`engine.driver.simulate`, single-threaded numpy. The core model
    only: the Treasury/Fed/holder blocks are not re-implemented here."""
    if model.fiscal is not None or model.plumbing is not None:
        raise NotImplementedError(
            "the numpy twin implements the core model only; set treasury, stablecoins and basis_trade enabled: false"
        )
    grid, shocks, events, params, cv = model.grid, model.shocks, model.events, model.params, model.curve
    n_blocks = math.ceil(n_paths / BLOCK_PATHS)
    sizes = [min(BLOCK_PATHS, n_paths - b * BLOCK_PATHS) for b in range(n_blocks)]
    starts = np.cumsum([0] + sizes)
    streams = [block_streams(seed, b, model.sources) for b in range(n_blocks)]
    rngs = [g[SRC_JUMPS] for g in streams]  # the jumps' stream of each block
    S = np.repeat(model.init[:, None], n_paths, axis=1)
    out = np.empty((model.n_rec, model.n_var, n_paths))
    met = np.empty((N_MET, model.n_tenor, n_paths))
    spw = grid.steps_per_week  # 0 without every_step (outputs.path_metrics)
    hist = np.empty((model.n_tenor, max(spw, 1), n_paths))
    dt = model.cal.dt
    anti = bool(model.scenario.simulation.antithetic)
    drawn = [(n + 1) // 2 if anti else n for n in sizes]  # paths of each block that draw

    def mirrored(x_drawn, n):  # a block's values: the drawn paths, then their mirrors
        return np.concatenate([x_drawn, x_drawn[: n - len(x_drawn)]]) if anti else x_drawn

    quasi = (
        [block_normals(True, seed, b, n, model.cal.n_steps, model.n_draw) for b, n in enumerate(sizes)]
        if model.scenario.simulation.quasi_random
        else None
    )
    if model.jumps_possible:
        S[JUMP_THR] = np.concatenate([mirrored(g.standard_exponential(h), n) for g, h, n in zip(rngs, drawn, sizes)])
    pvol = params.volatility
    if pvol.P[0, vb.DRAW] > 0.0:  # each path's initial regime: given + sd0 x a normal, first from the regime's stream
        sd0 = pvol.P[0, vb.SD0]
        zv = [g[SH_VOL].standard_normal(h) for g, h in zip(streams, drawn)]
        S[VOLREG] = S[VOLREG] + np.concatenate(
            [sd0 * _antithetic(x, n) if anti else sd0 * x for x, n in zip(zv, sizes)]
        )
    _curve_point(S, 0, cv, events.overlay, grid.rec_slot, spw, hist, out, met)
    pol, cum_lam = params.policy, params.term_premium.cum_lam
    for k in range(model.cal.n_steps):
        r = grid.reg_of_step[k]
        pb_ = params.bill_wedge[r]
        pm, pp, ptp, pirp, pcy, pw, pf = (
            params.macro[r],
            pol.P[r],
            params.term_premium.P[r],
            params.inflation_risk_premium[r],
            params.convenience_yield[r],
            params.liquidity_wedge[r],
            params.fire_sale[r],
        )
        if quasi:
            Z = np.concatenate([zb[k].T for zb in quasi])
        else:
            # each drawn shock from its source's stream, path by path (a block's column at a time)
            Z = np.concatenate(
                [
                    _antithetic(_normals(g, shocks.src, h), n) if anti else _normals(g, shocks.src, h)
                    for g, h, n in zip(streams, drawn, sizes)
                ]
            )
        for e in range(events.ptr[k], events.ptr[k + 1]):
            S[events.row[e]] += events.size[e]
            if events.row[e] == POLICY:
                S[SHADOW] += events.size[e]
        eps = np.zeros((N_SHOCK, n_paths))
        for sh in range(N_SHOCK):
            acc = np.zeros(n_paths)
            for q in range(shocks.ptr[sh], shocks.ptr[sh + 1]):
                acc = acc + shocks.vals[q] * Z[:, shocks.cols[q]]
            eps[sh] = acc
        pv = params.volatility.P[r]
        if pv[vb.ON] > 0.5:  # the volatility regime scales the core shocks (math.exp, as the kernel's)
            mult = np.array([math.exp(h - params.volatility.var[k]) for h in S[VOLREG]])
            for sh in REGIME_SHOCKS:
                eps[sh] = eps[sh] * mult
        # macro
        x, pi, pe, rs = S[GAP].copy(), S[INFL].copy(), S[INFL_EXP].copy(), S[RSTAR].copy()
        S[GAP] = x * pm[mb.A_X] + pm[mb.SD_X] * eps[SH_GAP]
        S[INFL] = pe + (pi - pe) * pm[mb.A_PI] + pm[mb.C_PI] * x + pm[mb.SD_PI] * eps[SH_INFL]
        te = pm[mb.W_ANCH] * pm[mb.PI_STAR] + (1.0 - pm[mb.W_ANCH]) * pi
        S[INFL_EXP] = te + (pe - te) * pm[mb.A_E] + pm[mb.SD_E] * eps[SH_INFL_EXP]
        S[RSTAR] = pm[mb.RBAR] + (rs - pm[mb.RBAR]) * pm[mb.A_R] + pm[mb.SD_R] * eps[SH_RSTAR]
        # policy
        x, pi, u = S[GAP], S[INFL], S[STANCE].copy()
        target = S[RSTAR] + pi + pp[pb.PHI_PI] * (pi - pp[pb.PI_STAR]) + pp[pb.PHI_X] * x + u + pol.offset[k]
        v = S[CYCLE].copy()
        S[STANCE] = u * pp[pb.A_U] + pp[pb.C_U] * v + pp[pb.SD_U] * eps[SH_STANCE]
        S[CYCLE] = v * pp[pb.A_V] + pp[pb.SD_V] * eps[SH_CYCLE]
        s = target + (S[SHADOW] - target) * pp[pb.A_S] + pp[pb.SD_S] * eps[SH_POLICY]
        old = S[POLICY].copy()
        if pol.fixed_on[k]:
            s = np.full(n_paths, pol.fixed_rate[k])
            new = s.copy()
        elif pp[pb.FOMC_MODE] > 0.5:
            if pol.fomc[k]:
                want = np.maximum(s, pp[pb.LB])
                new = np.maximum(old + pb.FOMC_STEP * np.round((want - old) / pb.FOMC_STEP), pp[pb.LB])
            else:
                new = old
        else:
            new = np.maximum(s, pp[pb.LB])
        S[SHADOW] = s
        S[POLICY] = new
        S[CUM_RATE] += 0.5 * (old + new) * dt
        # premia and frictions
        S[TP] = ptp[tpb.MEAN] + (S[TP] - ptp[tpb.MEAN]) * ptp[tpb.A] + ptp[tpb.SD] * eps[SH_TP]
        tgt = pirp[irpb.MEAN] + pirp[irpb.BETA] * (S[INFL_EXP] - pirp[irpb.PI_STAR])
        S[IRP] = tgt + (S[IRP] - tgt) * pirp[irpb.A] + pirp[irpb.SD] * eps[SH_IRP]
        S[CY] = pcy[cyb.MEAN] + (S[CY] - pcy[cyb.MEAN]) * pcy[cyb.A] + pcy[cyb.SD] * eps[SH_CY]
        S[WEDGE] = pw[lwb.MEAN] + (S[WEDGE] - pw[lwb.MEAN]) * pw[lwb.A]
        S[FIRE] = S[FIRE] * pf[fsb.A]
        S[BILL] = S[BILL] * pb_[bwb.A]
        S[VOLREG] = S[VOLREG] * pv[vb.A] + pv[vb.SD] * eps[SH_VOL]
        lam_end = cum_lam[k + 1]
        if lam_end > cum_lam[k]:
            for b, g in enumerate(rngs):
                h = drawn[b]
                for p in np.nonzero(S[JUMP_THR, starts[b] : starts[b] + h] <= lam_end)[0] + starts[b]:
                    mirror = p + h if p + h < starts[b + 1] else -1
                    while S[JUMP_THR, p] <= lam_end:
                        z = g.standard_normal()
                        S[TP, p] += ptp[tpb.JMU] + ptp[tpb.JSD] * z
                        S[JUMP_THR, p] += g.standard_exponential()
                        if mirror >= 0:
                            S[TP, mirror] += ptp[tpb.JMU] + ptp[tpb.JSD] * -z
                            S[JUMP_THR, mirror] = S[JUMP_THR, p]
        if grid.every_step or grid.rec_slot[k + 1] >= 0:
            _curve_point(S, k + 1, cv, events.overlay, grid.rec_slot, spw, hist, out, met)
    return out, met


def _normals(streams, src, h: int) -> np.ndarray:
    """(h, n_draw) normals of one block's step: column q from source ``src[q]``'s stream."""
    Z = np.empty((h, len(src)))
    for q, s in enumerate(src):
        Z[:, q] = streams[s].standard_normal(h)
    return Z


def _antithetic(z: np.ndarray, n: int) -> np.ndarray:
    """(drawn, k) normals of a block -> (n, k): the drawn rows, then the negated first n - drawn."""
    return np.concatenate([z, -z[: n - len(z)]])


def _curve_point(S, i, cv, overlay, rec_slot, spw, hist, out, met):
    slot = rec_slot[i]
    ov = overlay[i]
    cn, cpi, lb, fl, load, sh = cv.coef_n[i], cv.coef_pi[i], cv.lb[i], cv.floor[i], cv.load, cv.shift[i]
    X = [S[s] for s in X_STATES]
    for j in range(cn.shape[0]):
        en = (
            cn[j, 6]
            + cn[j, 0] * X[0]
            + cn[j, 1] * X[1]
            + cn[j, 2] * X[2]
            + cn[j, 3] * X[3]
            + cn[j, 4] * X[4]
            + cn[j, 5] * X[5]
        )
        en = np.maximum(en, lb)
        ei = (
            cpi[j, 6]
            + cpi[j, 0] * X[0]
            + cpi[j, 1] * X[1]
            + cpi[j, 2] * X[2]
            + cpi[j, 3] * X[3]
            + cpi[j, 4] * X[4]
            + cpi[j, 5] * X[5]
        )
        y = (en - ei) + ei
        for c, row in enumerate(COMP_ROW):  # sign x (loading x (factor + overlay) + constant part)
            y = y + (load[c, j] * (S[row] + ov[c]) + sh[c, j])
        r = cv.resid[i, j]  # the start's pricing error
        if r != 0.0:
            y = y + r
        y = y + np.maximum(fl - y, 0.0)  # the floor's part: lower bound less the margin
        w = max(spw, 1)
        if i == 0:
            met[MET_RISE, j] = -np.inf
            met[MET_FALL, j] = np.inf
            met[MET_RISE_W, j] = -np.inf if spw > 0 else np.nan
            met[MET_FALL_W, j] = np.inf if spw > 0 else np.nan
            met[MET_SUMSQ, j] = 0.0
            met[MET_PEAK, j] = y
            met[MET_TROUGH, j] = y
        else:
            ch = y - hist[j, (i - 1) % w]
            met[MET_RISE, j] = np.maximum(met[MET_RISE, j], ch)
            met[MET_FALL, j] = np.minimum(met[MET_FALL, j], ch)
            met[MET_SUMSQ, j] += ch * ch
            met[MET_PEAK, j] = np.maximum(met[MET_PEAK, j], y)
            met[MET_TROUGH, j] = np.minimum(met[MET_TROUGH, j], y)
            if spw > 0 and i >= spw:
                chw = y - hist[j, i % spw]
                met[MET_RISE_W, j] = np.maximum(met[MET_RISE_W, j], chw)
                met[MET_FALL_W, j] = np.minimum(met[MET_FALL_W, j], chw)
        hist[j, i % w] = y
    if slot >= 0:
        for v in range(N_REC):
            c = _REC_OVERLAY[v]
            out[slot, v] = S[v] + ov[c] if c >= 0 else S[v]
