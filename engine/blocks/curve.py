"""Yield curve: closed-form expected averages of the state plus the premia, per tenor.

For the linear macro + policy system X = (gap, pi, pi_e, r*, u, s) with dX = (c - K X) dt, the
expected path is m(u) = e^{-Ku} X + Phi1(u) c and its average over a tenor tau is

    E[avg X over tau] = Phi1(tau)/tau . X + Phi2(tau)/tau . c,
    Phi1(u) = int_0^u e^{-Kv} dv,  Phi2(u) = int_0^u Phi1(v) dv,

computed together by one matrix exponential (Van Loan), so K need not be invertible. The
yield of tenor tau at a time point is then, with every component recorded::

    y = [E avg(s) - E avg(pi)]                        expected real short rate
      + E avg(pi)                                     expected inflation
      + sum over engine.registry.COMPONENTS of sign x (loading(tau) x (factor + overlay) + shift(tau))
      + resid(t, tau)                                 the start's pricing error, decaying (RESIDUAL_PART)
      + max(0, floor - the sum above)                 the yield's lower bound (engine.registry.FLOOR_PART)

where E avg(s) is floored at the lower bound (the expected policy rate cannot sit below it;
this ignores the floor's option value - documented in the README), and ``floor`` is
``policy.lower_bound - policy.floor_margin``: no yield sits further below the policy floor than
a bill's convenience can take it. The bound's part is added, not substituted, so the parts still
sum to the yield exactly (in the order they are listed). :func:`compose` is the one
place this is evaluated: the kernel (recorded tenors), the Treasury blocks (bucket tenors), the
reduction and the results (from recorded states) all call it, so every yield and component is
the same number wherever it is computed; the numpy twin (:mod:`engine.twin`) is the single
intentional independent copy. Over a fixed policy path the known path replaces the rule until
the path ends, after which the rule's expectation runs from the expected macro state then.
Parameter changes by events are not anticipated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg
from numba import njit

from ..core.layout import COMP_ROW, COMP_SIGN, GAP, INFL, INFL_EXP, N_COMP, RSTAR, SHADOW, STANCE
from ..registry import COMPONENTS, module
from . import macro, policy

N_X = 6  # gap, pi, pi_e, r*, u (stance), s
N_COEF = N_X + 1  # + constant
ROW_S, ROW_PI = 5, 1
N_AUTONOMOUS = 5  # the first five states do not depend on s
#: real rate, expected inflation, the components (engine.registry.COMPONENTS), the pricing error, the floor
N_PARTS = 4 + N_COMP
P_RESID = N_PARTS - 2
P_FLOOR = N_PARTS - 1
_ROWS = np.array(COMP_ROW, dtype=np.int64)
_SIGN = np.array(COMP_SIGN)


class Curve(NamedTuple):
    """What :func:`compose` needs at a set of time points and tenors: expectation coefficients
    ``coef_n``/``coef_pi`` (time point, tenor, N_COEF) of the average policy rate and inflation,
    the lower bound ``lb`` of the expected policy rate and the ``floor`` of every yield (time
    point, decimal: lower bound less ``policy.floor_margin``), the components' signed
    loadings ``load`` (component, tenor) and signed constant parts ``shift`` (time point,
    component, tenor; decimal: the term premium's mean level beyond its loading, 0 elsewhere),
    and the start's pricing error ``resid`` (time point, tenor; decimal: the observed initial
    curve less the fitted model, decaying; zero without an observed curve)."""

    coef_n: np.ndarray
    coef_pi: np.ndarray
    lb: np.ndarray
    floor: np.ndarray
    load: np.ndarray
    shift: np.ndarray
    resid: np.ndarray

    def at(self, points: np.ndarray) -> Curve:
        """The same curve at a subset of its time points (C-contiguous copies)."""
        return Curve(
            np.ascontiguousarray(self.coef_n[points]),
            np.ascontiguousarray(self.coef_pi[points]),
            np.ascontiguousarray(self.lb[points]),
            np.ascontiguousarray(self.floor[points]),
            self.load,
            np.ascontiguousarray(self.shift[points]),
            np.ascontiguousarray(self.resid[points]),
        )


@njit(cache=True, nogil=True)
def compose(S, i, j, cv, overlay, y, parts):
    """Yields (decimals) of tenor ``j`` at time point ``i`` of the curve ``cv`` for every path (the
    columns of the state ``S``) into ``y``.

    ``overlay``: (time point, component) additive overlays of the factors (events with a
    half-life), or None where ``S`` already holds them (recorded states). ``parts``: None, or
    (N_PARTS, paths) to receive the real rate, expected inflation, each component (its value
    with the sign it has in the yield left out: the convenience yield is positive), the start's
    pricing error and what the floor adds. Loops run over the paths innermost and read only
    ``S``, so LLVM vectorises them."""
    B = S.shape[1]
    lb = cv.lb[i]
    c0, c1, c2, c3, c4, c5, c6 = (
        cv.coef_n[i, j, 0],
        cv.coef_n[i, j, 1],
        cv.coef_n[i, j, 2],
        cv.coef_n[i, j, 3],
        cv.coef_n[i, j, 4],
        cv.coef_n[i, j, 5],
        cv.coef_n[i, j, 6],
    )
    d0, d1, d2, d3, d4, d5, d6 = (
        cv.coef_pi[i, j, 0],
        cv.coef_pi[i, j, 1],
        cv.coef_pi[i, j, 2],
        cv.coef_pi[i, j, 3],
        cv.coef_pi[i, j, 4],
        cv.coef_pi[i, j, 5],
        cv.coef_pi[i, j, 6],
    )
    for p in range(B):
        en = (
            c6
            + c0 * S[GAP, p]
            + c1 * S[INFL, p]
            + c2 * S[INFL_EXP, p]
            + c3 * S[RSTAR, p]
            + c4 * S[STANCE, p]
            + c5 * S[SHADOW, p]
        )
        en = max(en, lb)
        ei = (
            d6
            + d0 * S[GAP, p]
            + d1 * S[INFL, p]
            + d2 * S[INFL_EXP, p]
            + d3 * S[RSTAR, p]
            + d4 * S[STANCE, p]
            + d5 * S[SHADOW, p]
        )
        y[p] = (en - ei) + ei
        if parts is not None:
            parts[0, p] = en - ei
            parts[1, p] = ei
    for c in range(N_COMP):
        row = S[_ROWS[c]]
        ld = cv.load[c, j]
        sh = cv.shift[i, c, j]
        if overlay is not None:
            o = overlay[i, c]
            for p in range(B):
                y[p] = y[p] + (ld * (row[p] + o) + sh)
        else:
            o = 0.0
            for p in range(B):
                y[p] = y[p] + (ld * row[p] + sh)
        if parts is not None:
            sg = _SIGN[c]
            part = parts[2 + c]
            for p in range(B):  # + 0.0: a zero part is +0, whatever its sign
                part[p] = sg * (ld * (row[p] + o) + sh) + 0.0
    r = cv.resid[i, j]  # the start's pricing error (zero without an observed curve: no pass then)
    if r != 0.0:
        for p in range(B):
            y[p] = y[p] + r
    if parts is not None:
        part = parts[P_RESID]
        for p in range(B):
            part[p] = r + 0.0
    fl = cv.floor[i]  # the floor's part is added (not substituted), so the parts sum to the yield exactly
    if parts is not None:
        part = parts[P_FLOOR]
        for p in range(B):
            d = max(fl - y[p], 0.0)
            part[p] = d
            y[p] = y[p] + d
    else:
        for p in range(B):
            y[p] = y[p] + max(fl - y[p], 0.0)


@njit(cache=True, nogil=True)
def compose_all(S, i, cv, overlay, Y):
    """Yields of every tenor of ``cv`` at time point ``i`` into Y (tenor, paths)."""
    for j in range(cv.coef_n.shape[1]):
        compose(S, i, j, cv, overlay, Y[j], None)


def loadings(sc, tenors_years) -> np.ndarray:
    """Signed loadings (component, tenor) of the yield components over ``tenors_years``."""
    return np.array([c.sign * module(c.block).loadings(getattr(sc, c.block), tenors_years) for c in COMPONENTS])


def shifts(sc, tenors_years) -> np.ndarray:
    """Signed constant parts (component, tenor) of the yield components over ``tenors_years``:
    a block's ``shift(params, tenors_years)``, 0 for a block without one."""
    out = np.zeros((len(COMPONENTS), len(tenors_years)))
    for k, c in enumerate(COMPONENTS):
        f = getattr(module(c.block), "shift", None)
        if f is not None:
            out[k] = c.sign * f(getattr(sc, c.block), tenors_years)
    return out


def drift(sc) -> tuple[np.ndarray, np.ndarray]:
    """(K, c) of the 6-state linear system for one parameter regime (a scenario)."""
    Km, cm = macro.drift_matrix(sc.macro)
    K = np.zeros((N_X, N_X))
    c = np.zeros(N_X)
    K[:4, :4] = Km
    c[:4] = cm
    K[4, :], K[5, :], c[5] = policy.drift_rows(sc.policy, sc.macro.inflation_target.value)
    return K, c


def phis(K: np.ndarray, u: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(e^{-Ku}, Phi1(u), Phi2(u)) by a Van Loan block exponential."""
    n = K.shape[0]
    M = np.zeros((3 * n, 3 * n))
    M[:n, :n] = -K
    M[:n, n : 2 * n] = np.eye(n)
    M[n : 2 * n, 2 * n :] = np.eye(n)
    E = scipy.linalg.expm(M * u)
    return E[:n, :n], E[:n, n : 2 * n], E[:n, 2 * n :]


def expectation_coefficients(K, c, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (on X, then constant) of E[avg s] and E[avg pi] over ``tau`` years."""
    _, P1, P2 = phis(K, tau)
    cs = np.empty(N_COEF)
    cp = np.empty(N_COEF)
    cs[:N_X] = P1[ROW_S] / tau
    cs[N_X] = P2[ROW_S] @ c / tau
    cp[:N_X] = P1[ROW_PI] / tau
    cp[N_X] = P2[ROW_PI] @ c / tau
    return cs, cp


def fixed_path_coefficients(
    K, c, t: float, tau: float, piece_t: np.ndarray, piece_r: np.ndarray, t_end: float
) -> np.ndarray:
    """Coefficients of E[avg policy rate] over [t, t+tau] when a fixed path runs until ``t_end``.

    ``piece_t``/``piece_r``: the path as a step function (rate piece_r[i] from piece_t[i]); the
    path's rate at t_end- is what the rule starts from.
    """
    out = np.zeros(N_COEF)
    a, b = t, min(t + tau, t_end)
    # integral of the step function over [a, b]
    edges = np.append(piece_t, np.inf)
    for i in range(len(piece_r)):
        lo, hi = max(a, edges[i]), min(b, edges[i + 1])
        if hi > lo:
            out[N_X] += piece_r[i] * (hi - lo)
    if t + tau > t_end:
        h, L = t_end - t, t + tau - t_end
        Eh, P1h, _ = phis(K, h)
        _, P1L, P2L = phis(K, L)
        A = N_AUTONOMOUS
        D = np.zeros((N_X, N_X))
        D[:A, :] = Eh[:A, :]
        d = np.zeros(N_X)
        d[:A] = (P1h @ c)[:A]
        d[ROW_S] = piece_r[-1]
        out[:N_X] += P1L[ROW_S] @ D
        out[N_X] += P1L[ROW_S] @ d + P2L[ROW_S] @ c
    return out / tau
