"""The fused Monte Carlo kernel: one block of paths, all steps, every block's step inlined.

One call simulates the paths of one block with that block's own random streams, one PCG64
state per random source (engine.core.sampling.block_states; drawn by engine.core.pcg exactly as
numpy's ``Generator`` would draw from it), so results do not depend
on how blocks are grouped into chunks or threads, and scenarios share the draws of every source
they have in common (common random numbers). It is a thin sequencer: each block's
step lives in its module (engine/blocks) and is called here in the order of DESIGN.md:

    draw normals (B x n_draw, one fill) -> scheduled level shocks -> correlate -> scale the rate
    shocks by the volatility regime -> macro -> policy -> term premium -> inflation risk premium
    -> convenience yield -> liquidity wedge -> fire sale -> bill wedge -> volatility regime ->
    term-premium jumps -> [with a plumbing block: stablecoins (runs,
    flows, bill sales, the bill wedge) -> basis trade (margins, the spiral's fixed point, the
    backstop, the fire-sale dislocation)] -> [with the Treasury block: supply parts persist -> bucket
    yields -> Treasury GDP -> Fed income and runoff -> Treasury financing -> foreign sales ->
    emergency purchases -> Fed purchases -> bank losses -> BTFP -> reserves -> backstop triggers
    -> downgrades -> supply effects] -> compose the curve -> per-path metrics -> record (the
    curve and the metrics at every time point, or at the recorded ones only:
    ``outputs.path_metrics``).

The kernel takes a handful of named bundles (engine.core.bundles); ``fiscal`` is None unless
the Treasury block is on, and numba compiles a specialisation without the fiscal blocks for it.
Each source's stream is read in a fixed order that the numpy twin (:mod:`engine.twin`) repeats:
a Gaussian shock's stream gives each step's normals path by path (the volatility regime's first
gives each path's initial regime when it is drawn); the jumps' stream gives, for
each path in order, its jumps (a normal for the size, an exponential for the next threshold);
the stablecoins' two streams give the cap's normal and the runs' uniform per path and step. The
plumbing's draws stay pseudo-random in quasi-random runs. The fiscal blocks draw none.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .blocks import (
    backstops,
    basis_trade,
    bill_wedge,
    convenience_yield,
    curve,
    fed_balance_sheet,
    fire_sale,
    holders,
    inflation_risk_premium,
    liquidity_wedge,
    macro,
    policy,
    stablecoins,
    supply,
    term_premium,
    treasury,
    volatility,
)
from .core import buckets, pcg
from .core.bundles import CORE_INDEX
from .core.layout import (
    MET_FALL,
    MET_FALL_W,
    MET_PEAK,
    MET_RISE,
    MET_RISE_W,
    MET_SUMSQ,
    MET_TROUGH,
    N_REC,
    N_SHOCK,
    N_STATE,
    OVERLAY_COLUMN,
    POLICY,
    ROW,
    ROW_BLOCK,
    SH_VOL,
    SHADOW,
    SRC_JUMPS,
    SRC_STABLECOIN_CAP,
    SRC_STABLECOIN_RUNS,
)
from .registry import SHOCKS, block

# overlay column recorded with each recorded row (-1: none)
_REC_OVERLAY = np.array([OVERLAY_COLUMN.get(name, -1) for name in list(ROW)[:N_REC]], dtype=np.int64)


@njit(cache=True, nogil=True)
def simulate_block(rngs, z, S, grid, shocks, events, params, cv, fiscal, plumbing, records, metrics):
    """Simulate one block of paths in place.

    rngs: (N_SOURCE, 4) uint64, the block's streams: row i the PCG64 state of random source i
    (engine.core.layout.SOURCE_NAMES; engine.core.pcg), advanced in place.
    z: (n, n_draw, B) quasi-random normals of the Gaussian shocks (engine.core.sampling), or an
    empty array to draw them from their sources' streams. S: (rows, B) initial
    state, advanced to the horizon. grid, shocks, events, params: engine.core.bundles; cv: the
    recorded tenors' :class:`~engine.blocks.curve.Curve`; fiscal: engine.core.bundles.Fiscal or
    None; plumbing: engine.core.bundles.Plumbing or None. records: (n_rec, n_var, B) recorded
    variables; metrics: (N_MET, n_tenor, B) per-path metrics. Rates are decimals, time in years.
    Returns (-1, -1, -1), or as soon as a recorded value is NaN or infinite, (record slot,
    variable, path) of the first such value (the block is then left unfinished: the run is to
    stop). With ``grid.antithetic``, paths ``p`` and
    ``p + half`` (half = ceil(B/2)) form a pair: the second takes the negated normals and
    mirrored jump sizes of the first at the same jump times.
    """
    n_steps = grid.reg_of_step.shape[0]
    B = S.shape[1]
    S_in = S
    S2 = S.copy()  # the step reads S and writes S2; the two swap every step
    ZT = np.empty((shocks.n_draw, B))  # the step's normals, drawn path by path, stored shock-major
    E = np.zeros((N_SHOCK, B))  # correlated shocks
    n_ten = cv.coef_n.shape[1]
    spw = grid.steps_per_week
    hist = np.empty((n_ten, max(spw, 1), B))
    ybuf = np.empty((n_ten, B))
    n_drawn = (B + 1) // 2 if grid.antithetic else B  # paths that draw their own random numbers
    if params.term_premium.cum_lam[-1] > 0.0:
        term_premium.first_jumps(rngs[SRC_JUMPS], S, n_drawn)
    m = np.ones(B)  # the volatility regime's multipliers of the step
    if params.volatility.P[0, volatility.DRAW] > 0.0:
        volatility.first(rngs[SH_VOL], S, n_drawn, params.volatility.P[0, volatility.SD0])
    # time point 0 as an int64, not the literal 0: numba would compile each callee apart for the literal
    i0 = np.int64(0)
    _curve_point(S, i0, grid, cv, events.overlay, hist, ybuf, records, metrics)
    if fiscal is not None:
        w = buckets.flows(np.empty((buckets.N_ROWS, B)))
        _record_fiscal(S, i0, grid, fiscal, records, w)
    u = np.zeros(B)  # the plumbing blocks' scratch: uniforms of the stablecoin runs, their normals, the 10y
    zs = np.zeros(B)
    y10 = np.zeros(B)
    if plumbing is not None:
        _record_plumbing(S, i0, grid, plumbing, records)
    bad = _nonfinite(records, grid.rec_slot[0])
    if bad[0] >= 0:
        return bad
    for k in range(n_steps):
        r = grid.reg_of_step[k]
        _draw(rngs, shocks.src, z, k, n_drawn, ZT)
        _level_events(S, k, events)
        _correlate(shocks, ZT, E)
        volatility.scale(S, E, params.volatility.P[r], params.volatility.var[k], m)
        _step_core(S, S2, E, k, r, params, grid.dt)
        S, S2 = S2, S
        term_premium.jumps(rngs[SRC_JUMPS], S, k, r, n_drawn, params.term_premium)
        if plumbing is not None:
            _step_plumbing(S, S2, k, r, n_drawn, events.overlay, plumbing, rngs, u, zs, y10)
        if fiscal is not None:
            _step_fiscal(S, S2, k, r, grid.dt, params, events.overlay, fiscal, w)
        if grid.every_step or grid.rec_slot[k + 1] >= 0:
            _curve_point(S, k + 1, grid, cv, events.overlay, hist, ybuf, records, metrics)
        if fiscal is not None:
            _record_fiscal(S, k + 1, grid, fiscal, records, w)
        if plumbing is not None:
            _record_plumbing(S, k + 1, grid, plumbing, records)
        bad = _nonfinite(records, grid.rec_slot[k + 1])
        if bad[0] >= 0:
            return bad
    if n_steps % 2 == 1:
        for v in range(S.shape[0]):
            for p in range(B):
                S_in[v, p] = S[v, p]
    return -1, -1, -1


# The kernel's own helpers are inlined into simulate_block by numba (inline="always"), not compiled
# as functions of their own: each compiled function is optimised and turned into machine code on its
# own and then once more inside its caller, and these six took 3-4 s of the cold start's LLVM time
# (issue 14). Inlining the blocks' steps too made LLVM's time on the one huge function grow more
# than it saved (measured 21 s against 13 s for the kernel), so they stay compiled functions.
@njit(cache=True, nogil=True, inline="always")
def _nonfinite(records, slot):
    """(slot, variable, path) of the first value of record ``slot`` that is NaN or infinite, or
    (-1, -1, -1) (also when the time point is not recorded). x - x is 0 for every finite x and
    NaN otherwise; an OR of the comparisons over a row vectorises, so the check is cheap."""
    if slot >= 0:
        rec = records[slot]
        for v in range(rec.shape[0]):
            row = rec[v]
            bad = False
            for p in range(row.shape[0]):
                bad |= (row[p] - row[p]) != 0.0
            if bad:
                for p in range(row.shape[0]):
                    if not np.isfinite(row[p]):
                        return slot, v, p
    return -1, -1, -1


@njit(cache=True, nogil=True, inline="always")
def _draw(rngs, src, z, k, n_drawn, ZT):
    """The step's normals: from ``z`` (quasi-random) or, for each drawn shock ``q``, path by path
    from its source's stream ``rngs[src[q]]``; antithetic partners take the negated normals of
    their pair."""
    n_draw, B = ZT.shape
    if z.shape[0] > 0:
        zk = z[k]
        for q in range(n_draw):
            for p in range(B):
                ZT[q, p] = zk[q, p]
    else:
        for q in range(n_draw):
            _normals(rngs[src[q]], ZT[q], n_drawn)
    for q in range(n_draw):
        for p in range(n_drawn, B):
            ZT[q, p] = -ZT[q, p - n_drawn]


@njit(cache=True, nogil=True)
def _normals(st, row, n):
    """row[:n] = the next n standard normals of the stream ``st`` (engine.core.pcg)."""
    for p in range(n):
        row[p] = pcg.normal(st)


@njit(cache=True, nogil=True, inline="always")
def _level_events(S, k, events):
    """Scheduled level shocks of step k (a shock to the policy rate moves the shadow rate too)."""
    for e in range(events.ptr[k], events.ptr[k + 1]):
        st, size = events.row[e], events.size[e]
        for p in range(S.shape[1]):
            S[st, p] += size
            if st == POLICY:
                S[SHADOW, p] += size


@njit(cache=True, nogil=True, inline="always")
def _correlate(shocks, ZT, E):
    """Correlated shocks E = L Z (rows of inactive shocks stay zero)."""
    for s in range(N_SHOCK):
        if shocks.ptr[s] < shocks.ptr[s + 1]:
            row = E[s]
            row[:] = 0.0
            for q in range(shocks.ptr[s], shocks.ptr[s + 1]):
                v = shocks.vals[q]
                zr = ZT[shocks.cols[q]]
                for p in range(row.shape[0]):
                    row[p] += v * zr[p]


@njit(cache=True, nogil=True, inline="always")
def _step_core(S, S2, E, k, r, params, dt):
    """The core blocks' step k (regime r) from S into S2, in the design's order; a still block
    (``params.still``, :func:`still_blocks`) is not stepped: its rows hold their value in both S
    and S2."""
    still = params.still
    if not still[_MACRO]:
        macro.step(S, S2, E, params.macro[r])
    policy.step(S, S2, E, params.policy, k, r, dt)
    if not still[_TERM_PREMIUM]:
        term_premium.step(S, S2, E, params.term_premium.P[r])
    if not still[_IRP]:
        inflation_risk_premium.step(S, S2, E, params.inflation_risk_premium[r])
    if not still[_CY]:
        convenience_yield.step(S, S2, E, params.convenience_yield[r])
    if not still[_WEDGE]:
        liquidity_wedge.step(S, S2, params.liquidity_wedge[r])
    if not still[_FIRE]:
        fire_sale.step(S, S2, params.fire_sale[r])
    if not still[_BILL]:
        bill_wedge.step(S, S2, params.bill_wedge[r])
    if not still[_VOL]:
        volatility.step(S, S2, E, params.volatility.P[r])


_MACRO, _TERM_PREMIUM, _IRP, _CY = (
    CORE_INDEX["macro"],
    CORE_INDEX["term_premium"],
    CORE_INDEX["inflation_risk_premium"],
    CORE_INDEX["convenience_yield"],
)
_WEDGE, _FIRE, _BILL, _VOL = (
    CORE_INDEX["liquidity_wedge"],
    CORE_INDEX["fire_sale"],
    CORE_INDEX["bill_wedge"],
    CORE_INDEX["volatility"],
)

#: Each core block whose step reads only the state, its shocks and its regime's packed
#: parameters, with a call of its step alone (:func:`still_blocks`), in the sequencer's order.
#: The policy block is not here: its step also depends on the step (fixed path, meetings).
STEP_ALONE = {
    "macro": lambda S, S2, E, pr, r: macro.step(S, S2, E, pr.macro[r]),
    "term_premium": lambda S, S2, E, pr, r: term_premium.step(S, S2, E, pr.term_premium.P[r]),
    "inflation_risk_premium": lambda S, S2, E, pr, r: inflation_risk_premium.step(
        S, S2, E, pr.inflation_risk_premium[r]
    ),
    "convenience_yield": lambda S, S2, E, pr, r: convenience_yield.step(S, S2, E, pr.convenience_yield[r]),
    "liquidity_wedge": lambda S, S2, E, pr, r: liquidity_wedge.step(S, S2, pr.liquidity_wedge[r]),
    "fire_sale": lambda S, S2, E, pr, r: fire_sale.step(S, S2, pr.fire_sale[r]),
    "bill_wedge": lambda S, S2, E, pr, r: bill_wedge.step(S, S2, pr.bill_wedge[r]),
    "volatility": lambda S, S2, E, pr, r: volatility.step(S, S2, E, pr.volatility.P[r]),
}


def still_blocks(params, active, events, init, reg_of_step) -> np.ndarray:
    """(n_core,) bool: the core blocks whose rows keep their starting value on every path at every
    step, so that the kernel need not step them (a Vasicek run, say, has every block but the
    policy rate's still). Skipping them gives the same results bit for bit: a block is still
    when none of its Gaussian shocks is drawn (its rows of the correlated shocks stay exactly
    zero), it draws nothing else (term-premium jumps, the regime's initial draw), no level event
    moves its rows, every row it reads from another block (``registry.Block.reads``) is still,
    and its step, run alone from the starting state in each parameter regime of the run,
    returns that state exactly. For the core model only (the fiscal and plumbing blocks write
    core rows). ``active``: indices of the drawn shocks; ``init``: the starting state
    (N_STATE,); ``reg_of_step``: the regime of each step."""
    still = np.zeros(len(CORE_INDEX), dtype=np.bool_)
    drawn = {SHOCKS[i].block for i in active}
    moved = {int(r) for r in events.row}
    draws_else = {
        "term_premium": params.term_premium.cum_lam[-1] > 0.0,
        "volatility": params.volatility.P[0, volatility.DRAW] > 0.0,
    }
    regs = np.unique(reg_of_step)
    for name, step in STEP_ALONE.items():
        b = block(name)
        rows = {ROW[row.name] for row in b.rows}
        if name in drawn or draws_else.get(name, False) or rows & moved:
            continue
        if not all(still[CORE_INDEX[ROW_BLOCK[x]]] for x in b.reads):
            continue
        S = np.ascontiguousarray(init[:N_STATE, None], dtype=np.float64)
        E = np.zeros((N_SHOCK, 1))
        ok = True
        for r in regs:
            S2 = S.copy()
            step(S, S2, E, params, int(r))
            ok = ok and np.array_equal(S2, S)
        still[CORE_INDEX[name]] = ok
    return still


@njit(cache=True, nogil=True)
def _step_plumbing(S, O, k, r, n_drawn, overlay, pl, rngs, u, zs, y10):
    """The stablecoin and basis-trade blocks' step k: from the state O at time point k to S at
    k + 1, whose core rows are stepped; they move the bill wedge and the fire-sale factor. Their
    random numbers come from their own streams (per path: the cap's normal from
    ``stablecoins.cap``, the run's uniform from ``stablecoins.runs``; antithetic partners take
    the negated normal and the same uniform)."""
    B = S.shape[1]
    if pl.shock:
        _normals(rngs[SRC_STABLECOIN_CAP], zs, n_drawn)
        for p in range(n_drawn, B):
            zs[p] = -zs[p - n_drawn]
    if pl.runs:
        st = rngs[SRC_STABLECOIN_RUNS]
        for p in range(n_drawn):
            u[p] = pcg.uniform(st)
        for p in range(n_drawn, B):
            u[p] = u[p - n_drawn]
    stablecoins.step(S, O, zs, u, pl.stablecoins[r])
    curve.compose(S, k + 1, 0, pl.curve, overlay, y10, None)
    basis_trade.step(S, O, y10, k, pl.basis_trade[r])


@njit(cache=True, nogil=True)
def _record_plumbing(S, i, grid, pl, records):
    """The plumbing blocks' recorded variables at time point i, if it is recorded."""
    slot = grid.rec_slot[i]
    if slot >= 0:
        out = records[slot]
        stablecoins.record(S, out, pl.rec0)
        basis_trade.record(S, out, pl.rec0, pl.position0)


@njit(cache=True, nogil=True, error_model="numpy")
def _step_fiscal(S, O, k, r, dt, params, overlay, fiscal, w):
    """The Treasury, Fed balance-sheet, backstop, holder and supply blocks' step k: from the
    state O at time point k to S at k + 1, whose core rows are already stepped."""
    tr, fed, bs, hol, sup = fiscal.treasury, fiscal.fed_balance_sheet, fiscal.backstops, fiscal.holders, fiscal.supply
    supply.persist(S, O, params.term_premium.P[r, term_premium.A], params.convenience_yield[r, convenience_yield.A])
    curve.compose_all(S, k + 1, fiscal.curve, overlay, w.Y)
    treasury.grow(S, O, k, dt, tr)
    fed_balance_sheet.income(S, O, dt, fed, bs, w)
    fed_balance_sheet.runoff(S, O, k, tr, fed, w)
    treasury.finance(S, O, k, dt, tr, w)
    holders.sell(S, O, k, hol)
    backstops.emergency(S, O, dt, bs, w)
    fed_balance_sheet.purchases(S, O, k, fed, bs, hol, w)
    holders.bank_losses(hol, w)
    backstops.btfp(S, O, dt, bs, w)
    fed_balance_sheet.reserves(S, fed, hol, w)
    backstops.triggers(S, O, bs, hol, w)
    holders.downgrades(S, O, k, hol, w)
    supply.effects(S, O, k, dt, sup, hol, w)
    treasury.flows(S, dt, w)
    fed_balance_sheet.flows(S, dt, w)
    holders.flows(S, w)


@njit(cache=True, nogil=True)
def _record_fiscal(S, i, grid, fiscal, records, w):
    """The fiscal blocks' recorded variables at time point i, if it is recorded."""
    slot = grid.rec_slot[i]
    if slot >= 0:
        out = records[slot]
        buckets.totals(S, w)
        treasury.record(S, out, w)
        fed_balance_sheet.record(S, out, w)
        backstops.record(S, out, w)
        holders.record(S, fiscal.holders, out, w)
        supply.record(S, out)


@njit(cache=True, nogil=True, inline="always")
def _curve_point(S, i, grid, cv, overlay, hist, ybuf, records, met):
    """Compose the curve at time point ``i`` for every path, update the per-path metrics, and
    record the core state if ``i`` is a recorded point (yields are rebuilt from it exactly by the
    reduction and the results, with the same :func:`engine.blocks.curve.compose`). Called at
    every time point, or only at the recorded ones without ``grid.every_step`` (a move is then
    the change since the previous recorded point: ``hist`` holds one point, as spw is 0).

    Tenor outer, paths inner: the metrics are updated in short loops over few arrays, so LLVM's
    runtime alias checks stay cheap and the loops vectorise."""
    B = S.shape[1]
    n_ten = cv.coef_n.shape[1]
    spw = grid.steps_per_week
    slot = grid.rec_slot[i]
    w = max(spw, 1)
    cur = i % w
    prev = (i - 1) % w
    week = spw > 0 and i >= spw
    for j in range(n_ten):
        y = ybuf[j]
        curve.compose(S, i, j, cv, overlay, y, None)
        h_cur = hist[j, cur]
        if i == 0:
            met[MET_RISE, j, :] = -np.inf
            met[MET_FALL, j, :] = np.inf
            met[MET_RISE_W, j, :] = -np.inf if spw > 0 else np.nan
            met[MET_FALL_W, j, :] = np.inf if spw > 0 else np.nan
            met[MET_SUMSQ, j, :] = 0.0
            peak, trough = met[MET_PEAK, j], met[MET_TROUGH, j]
            for p in range(B):
                peak[p] = y[p]
                trough[p] = y[p]
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
        for p in range(B):
            h_cur[p] = y[p]
    if slot >= 0:
        ov = overlay[i]
        for v in range(N_REC):
            row = S[v]
            dst = records[slot, v]
            c = _REC_OVERLAY[v]
            if c >= 0:  # additive factors are recorded with their overlays
                o = ov[c]
                for p in range(B):
                    dst[p] = row[p] + o
            else:
                for p in range(B):
                    dst[p] = row[p]


__all__ = ["simulate_block"]
