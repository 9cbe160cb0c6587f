"""The fused Monte Carlo kernel: one block of paths, all steps, every block's step inlined.

One call simulates the paths of one block with that block's own random generator (a numpy
``Generator`` seeded from ``SeedSequence(seed, spawn_key=(block,))``), so results do not
depend on how blocks are grouped into chunks or threads. Per step, in the order of DESIGN.md:

    draw normals (B x n_draw, one fill) -> scheduled level shocks -> for each path: correlate,
    macro, policy, term premium, inflation risk premium, convenience yield, liquidity wedge,
    fire sale -> term-premium jumps -> [fiscal blocks, in simulate_block_fiscal] -> compose the
    curve -> per-path metrics -> record.

Random numbers are drawn in a fixed order that the numpy twin (:mod:`engine.twin`) repeats:
the step's normals in path-major order, then for each path in order its jumps (a normal for
the size, an exponential for the next threshold).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .blocks import (convenience_yield, curve, fire_sale, fiscal, inflation_risk_premium, liquidity_wedge, macro,
                     policy, term_premium)
from .blocks.state import (CUM_RATE, CY, FIRE, GAP, INFL, INFL_EXP, IRP, JUMP_THR, N_SHOCK, POLICY, RSTAR, SHADOW,
                           SH_CY, SH_GAP, SH_INFL, SH_INFL_EXP, SH_IRP, SH_POLICY, SH_RSTAR, SH_STANCE, SH_TP, STANCE,
                           TP, WEDGE)
from .model import (MET_FALL, MET_FALL_W, MET_PEAK, MET_RISE, MET_RISE_W, MET_SUMSQ, MET_TROUGH, N_REC_STATE,
                    REC_OVERLAY, REC_STATES)

_REC_STATES = np.array(REC_STATES, dtype=np.int64)
_REC_OVERLAY = np.array(REC_OVERLAY, dtype=np.int64)


@njit(cache=True, nogil=True)
def _curve_point(S, i, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, ybuf, out, met, rec_states,
                 rec_ov):
    """Compose the curve at time point ``i`` for every path, update the per-path metrics, and
    record the state if ``i`` is a recorded point (yields are rebuilt from it exactly, see
    :mod:`engine.results`).

    Tenor outer, paths inner: the yields go into a scratch row in a loop that reads only ``S``,
    and the metrics are updated in short loops over few arrays, so LLVM's runtime alias checks
    stay cheap and the loops vectorise. The yields are :func:`engine.blocks.curve.compose`.
    """
    B = S.shape[1]
    n_ten = coef_n.shape[1]
    slot = rec_slot[i]
    ov = overlay[i]
    w = max(spw, 1)
    cur = i % w
    prev = (i - 1) % w
    week = spw > 0 and i >= spw
    for j in range(n_ten):
        y = ybuf[j]
        # (1) yields: reads only S, writes only y -> vectorisable
        curve.compose(S, i, j, coef_n, coef_pi, lb_t, load, overlay, y)
        # (2) metrics, in short loops with few arrays each
        h_cur = hist[j, cur]
        if i == 0:
            met[MET_RISE, j, :] = -np.inf
            met[MET_FALL, j, :] = np.inf
            met[MET_RISE_W, j, :] = -np.inf if spw > 0 else np.nan
            met[MET_FALL_W, j, :] = np.inf if spw > 0 else np.nan
            met[MET_SUMSQ, j, :] = 0.0
            met[MET_PEAK, j, :] = y
            met[MET_TROUGH, j, :] = y
        else:
            h_prev = hist[j, prev]
            rise, fall, sumsq = met[MET_RISE, j], met[MET_FALL, j], met[MET_SUMSQ, j]
            for p in range(B):
                ch = y[p] - h_prev[p]
                rise[p] = max(rise[p], ch)
                fall[p] = min(fall[p], ch)
                sumsq[p] += ch * ch
            peak, trough = met[MET_PEAK, j], met[MET_TROUGH, j]
            for p in range(B):
                peak[p] = max(peak[p], y[p])
                trough[p] = min(trough[p], y[p])
            if week:
                risew, fallw = met[MET_RISE_W, j], met[MET_FALL_W, j]
                for p in range(B):
                    chw = y[p] - h_cur[p]
                    risew[p] = max(risew[p], chw)
                    fallw[p] = min(fallw[p], chw)
        h_cur[:] = y
    if slot >= 0:
        for v in range(N_REC_STATE):
            row = S[rec_states[v]]
            o = ov[rec_ov[v]] if rec_ov[v] >= 0 else 0.0
            dst = out[slot, v]
            if rec_ov[v] >= 0:  # additive factors are recorded with their overlays
                for p in range(B):
                    dst[p] = row[p] + o
            else:
                for p in range(B):
                    dst[p] = row[p]


@njit(cache=True, nogil=True)
def _begin(rng, S, n_draw, spw, antithetic, jumps_possible, coef_n, coef_pi, lb_t, load, overlay, rec_slot, out, met):
    """Start a block: the scratch buffers, each path's first jump threshold (an exponential; an
    antithetic partner shares its pair's), and the curve, metrics and records at time point 0.
    Returns (S2, ZT, E, hist, ybuf, n_drawn)."""
    B = S.shape[1]
    n_ten = coef_n.shape[1]
    S2 = S.copy()               # the step reads S and writes S2; the two swap every step
    ZT = np.empty((n_draw, B))  # the step's normals, drawn path by path, stored shock-major
    E = np.zeros((N_SHOCK, B))  # correlated shocks
    hist = np.empty((n_ten, max(spw, 1), B))
    ybuf = np.empty((n_ten, B))
    n_drawn = (B + 1) // 2 if antithetic else B  # paths that draw their own random numbers
    if jumps_possible:
        for p in range(n_drawn):
            S[JUMP_THR, p] = rng.standard_exponential()
        for p in range(n_drawn, B):
            S[JUMP_THR, p] = S[JUMP_THR, p - n_drawn]
    _curve_point(S, 0, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, ybuf, out, met, _REC_STATES,
                 _REC_OVERLAY)
    return S2, ZT, E, hist, ybuf, n_drawn


@njit(cache=True, nogil=True)
def _core_step(rng, S, S2, k, n_drawn, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
               ev_ptr, ev_state, ev_size, fixed_on, fixed_rate, fomc, zbuf, ZT, E):
    """Step k of the core blocks: draw the normals, apply the scheduled level shocks to S, correlate
    the shocks, and write every path's stepped core state into S2 (whose jumps come after)."""
    B = S.shape[1]
    n_draw = ZT.shape[0]
    r = reg_of_step[k]
    pm, pp, ptp, pirp, pcy, pw, pf = Pm[r], Pp[r], Ptp[r], Pirp[r], Pcy[r], Pw[r], Pf[r]
    if zbuf.shape[0] > 0:
        ZT[:, :] = zbuf[k]
    else:
        for p in range(n_drawn):
            for q in range(n_draw):
                ZT[q, p] = rng.standard_normal()
    for q in range(n_draw):
        for p in range(n_drawn, B):
            ZT[q, p] = -ZT[q, p - n_drawn]
    for e in range(ev_ptr[k], ev_ptr[k + 1]):
        st = ev_state[e]
        for p in range(B):
            S[st, p] += ev_size[e]
            if st == POLICY:
                S[SHADOW, p] += ev_size[e]
    for s in range(N_SHOCK):
        if sh_ptr[s] < sh_ptr[s + 1]:
            row = E[s]
            row[:] = 0.0
            for q in range(sh_ptr[s], sh_ptr[s + 1]):
                v = sh_vals[q]
                z = ZT[sh_cols[q]]
                for p in range(B):
                    row[p] += v * z[p]
    fon = fixed_on[k]
    frate = fixed_rate[k]
    meet = fomc[k]
    for p in range(B):
        x, pi, pe, rs = macro.step(S[GAP, p], S[INFL, p], S[INFL_EXP, p], S[RSTAR, p], pm,
                                   E[SH_GAP, p], E[SH_INFL, p], E[SH_INFL_EXP, p], E[SH_RSTAR, p])
        S2[GAP, p] = x
        S2[INFL, p] = pi
        S2[INFL_EXP, p] = pe
        S2[RSTAR, p] = rs
        S2[STANCE, p], S2[SHADOW, p], S2[POLICY, p], S2[CUM_RATE, p] = policy.step(
            x, pi, rs, S[STANCE, p], S[SHADOW, p], S[POLICY, p], S[CUM_RATE, p], pp, E[SH_POLICY, p],
            E[SH_STANCE, p], fon, frate, meet, dt)
        S2[TP, p] = term_premium.step(S[TP, p], ptp, E[SH_TP, p])
        S2[IRP, p] = inflation_risk_premium.step(S[IRP, p], pe, pirp, E[SH_IRP, p])
        S2[CY, p] = convenience_yield.step(S[CY, p], pcy, E[SH_CY, p])
        S2[WEDGE, p] = liquidity_wedge.step(S[WEDGE, p], pw)
        S2[FIRE, p] = fire_sale.step(S[FIRE, p], pf)
        S2[JUMP_THR, p] = S[JUMP_THR, p]


@njit(cache=True, nogil=True)
def _jumps(rng, S, k, n_drawn, ptp, cum_lam):
    """Term-premium jumps over step k, path by path in order; an antithetic partner takes the
    mirrored size at the same time."""
    B = S.shape[1]
    if cum_lam[k + 1] > cum_lam[k]:
        lam_end = cum_lam[k + 1]
        for p in range(n_drawn):
            mirror = p + n_drawn if p + n_drawn < B else -1
            while S[JUMP_THR, p] <= lam_end:
                z = rng.standard_normal()
                S[TP, p] += ptp[term_premium.JMU] + ptp[term_premium.JSD] * z
                S[JUMP_THR, p] += rng.standard_exponential()
                if mirror >= 0:
                    S[TP, mirror] += ptp[term_premium.JMU] + ptp[term_premium.JSD] * -z
                    S[JUMP_THR, mirror] = S[JUMP_THR, p]


@njit(cache=True, nogil=True)
def simulate_block(rng, S, n_draw, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
                   ev_ptr, ev_state, ev_size, overlay, cum_lam, fixed_on, fixed_rate, fomc, coef_n, coef_pi, lb_t,
                   load, rec_slot, spw, antithetic, Pt, Pfed, Pbs, Ph, Ps, fT, coef_nb, coef_pib, load_b,
                   zbuf, out, met, jumps_possible):
    """Simulate one block of paths of the core model in place.

    S: (N_STATE, B) initial state, advanced to the horizon. out: (n_rec, N_REC_STATE, B) records.
    With ``antithetic``, paths ``p`` and ``p + half`` (half = ceil(B/2)) form a pair: the second
    takes the negated normals and mirrored jump sizes of the first at the same jump times.
    ``zbuf``: (n_steps, n_draw, B) quasi-random normals for the Gaussian shocks
    (:mod:`engine.sampling`), or an empty array to draw them from ``rng``.
    met: (N_MET, n_tenor, B) per-path metrics. Rates are decimals, time in years.
    The fiscal arguments (Pt ... load_b) are unused here: they keep the signature of
    :func:`simulate_block_fiscal`, so :func:`kernel_of` picks either with the same arguments.
    """
    n_steps = reg_of_step.shape[0]
    S_in = S
    S2, ZT, E, hist, ybuf, n_drawn = _begin(rng, S, n_draw, spw, antithetic, jumps_possible, coef_n, coef_pi, lb_t,
                                            load, overlay, rec_slot, out, met)
    for k in range(n_steps):
        _core_step(rng, S, S2, k, n_drawn, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
                   ev_ptr, ev_state, ev_size, fixed_on, fixed_rate, fomc, zbuf, ZT, E)
        S, S2 = S2, S
        _jumps(rng, S, k, n_drawn, Ptp[reg_of_step[k]], cum_lam)
        _curve_point(S, k + 1, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, ybuf, out, met,
                     _REC_STATES, _REC_OVERLAY)
    if n_steps % 2 == 1:
        S_in[:, :] = S


@njit(cache=True, nogil=True)
def simulate_block_fiscal(rng, S, n_draw, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
                          ev_ptr, ev_state, ev_size, overlay, cum_lam, fixed_on, fixed_rate, fomc, coef_n, coef_pi,
                          lb_t, load, rec_slot, spw, antithetic, Pt, Pfed, Pbs, Ph, Ps, fT, coef_nb, coef_pib, load_b,
                          zbuf, out, met, jumps_possible):
    """:func:`simulate_block` with the Treasury, Fed balance-sheet, backstop, holder and supply
    blocks: S also carries the fiscal rows (engine.blocks.fiscal_state), stepped by
    :func:`engine.blocks.fiscal.step` after the core blocks and the jumps, and ``out`` has the
    recorded fiscal variables after the core states. The fiscal blocks draw no random numbers, so
    the core's draws are those of :func:`simulate_block`. A kernel of its own, so that the core
    model's first run does not compile the fiscal blocks.
    """
    n_steps = reg_of_step.shape[0]
    S_in = S
    S2, ZT, E, hist, ybuf, n_drawn = _begin(rng, S, n_draw, spw, antithetic, jumps_possible, coef_n, coef_pi, lb_t,
                                            load, overlay, rec_slot, out, met)
    W = np.empty((fiscal.N_W, S.shape[1]))  # the fiscal step's scratch rows
    _fiscal_record(S, 0, rec_slot, Ph, out, W)
    for k in range(n_steps):
        _core_step(rng, S, S2, k, n_drawn, dt, reg_of_step, Pm, Pp, Ptp, Pirp, Pcy, Pw, Pf, sh_ptr, sh_cols, sh_vals,
                   ev_ptr, ev_state, ev_size, fixed_on, fixed_rate, fomc, zbuf, ZT, E)
        S, S2 = S2, S
        r = reg_of_step[k]
        _jumps(rng, S, k, n_drawn, Ptp[r], cum_lam)
        fiscal.step(S, S2, k, dt, Pt, Pfed, Pbs, Ph, Ps, fT, coef_nb, coef_pib, lb_t, load_b, overlay,
                    Ptp[r, term_premium.A], Pcy[r, convenience_yield.A], W)
        _curve_point(S, k + 1, coef_n, coef_pi, lb_t, load, overlay, rec_slot, spw, hist, ybuf, out, met,
                     _REC_STATES, _REC_OVERLAY)
        _fiscal_record(S, k + 1, rec_slot, Ph, out, W)
    if n_steps % 2 == 1:
        S_in[:, :] = S


@njit(cache=True, nogil=True)
def _fiscal_record(S, i, rec_slot, Ph, out, W):
    slot = rec_slot[i]
    if slot >= 0:
        fiscal.record(S, Ph, out[slot, N_REC_STATE:], W)


def kernel_of(model):
    """The kernel for ``model``: :func:`simulate_block_fiscal` with the Treasury block on, else
    :func:`simulate_block`; both take ``(rng, S, *kernel_args(model), zbuf, out, met, jumps_possible)``."""
    return simulate_block_fiscal if model.fiscal is not None else simulate_block


def kernel_args(model) -> tuple:
    """Positional arguments of :func:`simulate_block` after (rng, S), in order."""
    a = model.arrays
    return (model.n_draw, model.cal.dt, a["reg_of_step"], a["Pm"], a["Pp"], a["Ptp"], a["Pirp"], a["Pcy"], a["Pw"],
            a["Pf"], a["sh_ptr"], a["sh_cols"], a["sh_vals"], a["ev_ptr"], a["ev_state"], a["ev_size"],
            a["overlay"], a["cum_lam"], a["fixed_on"], a["fixed_rate"], a["fomc"], a["coef_n"], a["coef_pi"],
            a["lb_t"], a["load"], a["rec_slot"], model.cal.steps_per_week,
            bool(model.scenario.data["simulation"]["antithetic"]), a["Pt"], a["Pfed"],
            a["Pbs"], a["Ph"], a["Ps"], a["fT"], a["coef_nb"], a["coef_pib"], a["load_b"])


__all__ = ["simulate_block", "simulate_block_fiscal", "kernel_of", "kernel_args"]
