"""The fused Monte Carlo kernel: one block of paths, all steps, every block's step inlined.

One call simulates the paths of one block with that block's own random generator (a numpy
``Generator`` seeded from ``SeedSequence(seed, spawn_key=(block,))``), so results do not
depend on how blocks are grouped into chunks or threads. Per step, in the order of DESIGN.md:

    draw normals (B x n_draw, one fill) -> scheduled level shocks -> for each path: correlate,
    macro, policy, term premium, inflation risk premium, convenience yield, liquidity wedge,
    fire sale -> term-premium jumps -> compose the curve -> per-path metrics -> record.

Random numbers are drawn in a fixed order that the numpy twin (:mod:`engine.twin`) repeats:
the step's normals in path-major order, then for each path in order its jumps (a normal for
the size, an exponential for the next threshold).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .blocks import (convenience_yield, curve, fire_sale, inflation_risk_premium, liquidity_wedge, macro, policy,
                     term_premium)
from .blocks.state import CUM_RATE, JUMP_THR, N_SHOCK, POLICY, SHADOW, TP
from .model import (MET_FALL, MET_FALL_W, MET_PEAK, MET_RISE, MET_RISE_W, MET_SUMSQ, MET_TROUGH, N_REC_STATE,
                    PER_TENOR, REC_OVERLAY, REC_STATES)

_REC_STATES = np.array(REC_STATES, dtype=np.int64)
_REC_OVERLAY = np.array(REC_OVERLAY, dtype=np.int64)


@njit(cache=True, nogil=True)
def _curve_point(S, i, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, out, met, rec_states, rec_ov):
    """Compose the curve at time point ``i`` for every path; update metrics; record if due."""
    B = S.shape[1]
    n_ten = coef_n.shape[1]
    slot = rec_slot[i]
    ov = overlay[i]
    cn = coef_n[i]
    cpi = coef_pi[i]
    lb = lb_t[i]
    for p in range(B):
        for j in range(n_ten):
            y, en, ei = curve.compose(S, p, cn, cpi, lb, load, ov, j)
            if i == 0:
                met[MET_RISE, j, p] = -np.inf
                met[MET_FALL, j, p] = np.inf
                met[MET_RISE_W, j, p] = -np.inf if spw > 0 else np.nan
                met[MET_FALL_W, j, p] = np.inf if spw > 0 else np.nan
                met[MET_SUMSQ, j, p] = 0.0
                met[MET_PEAK, j, p] = y
                met[MET_TROUGH, j, p] = y
            else:
                ch = y - hist[j, (i - 1) % max(spw, 1), p]
                if ch > met[MET_RISE, j, p]:
                    met[MET_RISE, j, p] = ch
                if ch < met[MET_FALL, j, p]:
                    met[MET_FALL, j, p] = ch
                met[MET_SUMSQ, j, p] += ch * ch
                if y > met[MET_PEAK, j, p]:
                    met[MET_PEAK, j, p] = y
                if y < met[MET_TROUGH, j, p]:
                    met[MET_TROUGH, j, p] = y
                if spw > 0 and i >= spw:
                    chw = y - hist[j, i % spw, p]
                    if chw > met[MET_RISE_W, j, p]:
                        met[MET_RISE_W, j, p] = chw
                    if chw < met[MET_FALL_W, j, p]:
                        met[MET_FALL_W, j, p] = chw
            hist[j, i % max(spw, 1), p] = y
            if slot >= 0:
                base = N_REC_STATE + PER_TENOR * j
                out[slot, base, p] = y
                out[slot, base + 1, p] = en
                out[slot, base + 2, p] = ei
        if slot >= 0:
            for v in range(N_REC_STATE):
                x = S[rec_states[v], p]
                if rec_ov[v] >= 0:  # additive factors are recorded with their overlays
                    x = x + ov[rec_ov[v]]
                out[slot, v, p] = x


@njit(cache=True, nogil=True)
def simulate_block(rng, S, n_draw, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
                   ev_ptr, ev_state, ev_size, overlay, cum_lam, fixed_on, fixed_rate, fomc, coef_n, coef_pi, lb_t,
                   load, rec_slot, spw, out, met, jumps_possible):
    """Simulate one block of paths in place.

    S: (N_STATE, B) initial state, advanced to the horizon. out: (n_rec, n_var, B) records.
    met: (N_MET, n_tenor, B) per-path metrics. Rates are decimals, time in years.
    """
    B = S.shape[1]
    n_steps = reg_of_step.shape[0]
    n_ten = coef_n.shape[1]
    Z = np.empty((B, n_draw))
    eps = np.zeros(N_SHOCK)
    hist = np.empty((n_ten, max(spw, 1), B))
    rec_states = _REC_STATES
    rec_ov = _REC_OVERLAY
    if jumps_possible:
        for p in range(B):
            S[JUMP_THR, p] = rng.standard_exponential()
    _curve_point(S, 0, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, out, met, rec_states, rec_ov)
    for k in range(n_steps):
        r = reg_of_step[k]
        pm, pp, ptp, pirp, pcy, pw, pf = Pm[r], Pp[r], Ptp[r], Pirp[r], Pcy[r], Pw[r], Pf[r]
        for p in range(B):
            for q in range(n_draw):
                Z[p, q] = rng.standard_normal()
        for e in range(ev_ptr[k], ev_ptr[k + 1]):
            st = ev_state[e]
            for p in range(B):
                S[st, p] += ev_size[e]
                if st == POLICY:
                    S[SHADOW, p] += ev_size[e]
        fon = fixed_on[k]
        frate = fixed_rate[k]
        meet = fomc[k]
        for p in range(B):
            for s in range(N_SHOCK):
                acc = 0.0
                for q in range(sh_ptr[s], sh_ptr[s + 1]):
                    acc += sh_vals[q] * Z[p, sh_cols[q]]
                eps[s] = acc
            macro.step(S, p, pm, eps)
            policy.step(S, p, pp, eps, fon, frate, meet, dt)
            term_premium.step(S, p, ptp, eps)
            inflation_risk_premium.step(S, p, pirp, eps)
            convenience_yield.step(S, p, pcy, eps)
            liquidity_wedge.step(S, p, pw)
            fire_sale.step(S, p, pf)
        if cum_lam[k + 1] > cum_lam[k]:
            lam_end = cum_lam[k + 1]
            for p in range(B):
                while S[JUMP_THR, p] <= lam_end:
                    S[TP, p] += ptp[term_premium.JMU] + ptp[term_premium.JSD] * rng.standard_normal()
                    S[JUMP_THR, p] += rng.standard_exponential()
        _curve_point(S, k + 1, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, out, met, rec_states, rec_ov)


def kernel_args(model) -> tuple:
    """Positional arguments of :func:`simulate_block` after (rng, S), in order."""
    a = model.arrays
    return (model.n_draw, model.cal.dt, a["reg_of_step"], a["Pm"], a["Pp"], a["Ptp"], a["Pirp"], a["Pcy"], a["Pw"],
            a["Pf"], a["sh_ptr"], a["sh_cols"], a["sh_vals"], a["ev_ptr"], a["ev_state"], a["ev_size"],
            a["overlay"], a["cum_lam"], a["fixed_on"], a["fixed_rate"], a["fomc"], a["coef_n"], a["coef_pi"],
            a["lb_t"], a["load"], a["rec_slot"], model.cal.steps_per_week)


__all__ = ["simulate_block", "kernel_args", "CUM_RATE"]
