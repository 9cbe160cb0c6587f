"""Yield curve: closed-form expected averages of the state plus the premia, per tenor.

For the linear macro + policy system X = (gap, pi, pi_e, r*, u, s) with dX = (c - K X) dt, the
expected path is m(u) = e^{-Ku} X + Phi1(u) c and its average over a tenor tau is

    E[avg X over tau] = Phi1(tau)/tau . X + Phi2(tau)/tau . c,
    Phi1(u) = int_0^u e^{-Kv} dv,  Phi2(u) = int_0^u Phi1(v) dv,

computed together by one matrix exponential (Van Loan), so K need not be invertible. The
yield of tenor tau at a time point is then, with every component recorded::

    y = [E avg(s) - E avg(pi)]   expected real short rate
      + E avg(pi)                expected inflation
      + l_irp irp + l_tp tp + l_w wedge - l_cy cy + l_f fire

(the kernel evaluates exactly this, in this order, in :func:`compose`, for the recorded tenors
and for the fiscal blocks' bucket tenors; the numpy twin and ``engine.results`` repeat it bit for
bit) where E avg(s) is floored at the lower bound (the expected policy rate cannot sit below it;
this ignores the floor's option value - documented in the README). Over a fixed policy path the
known path replaces the rule until the path ends, after which the rule's expectation runs from
the expected macro state then. Parameter changes by events are not anticipated.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
from numba import njit

from . import macro, policy
from .state import CY, FIRE, GAP, INFL, INFL_EXP, IRP, RSTAR, SHADOW, STANCE, TP, WEDGE

N_X = 6           # gap, pi, pi_e, r*, u (stance), s
X_STATES = (GAP, INFL, INFL_EXP, RSTAR, STANCE, SHADOW)
N_COEF = N_X + 1  # + constant
ROW_S, ROW_PI = 5, 1
N_AUTONOMOUS = 5  # the first five states do not depend on s
# loadings rows
L_IRP, L_TP, L_W, L_CY, L_F = range(5)


@njit(cache=True, nogil=True)
def compose(S, i, j, coef_n, coef_pi, lb_t, load, overlay, y):
    """Yields (decimals) of tenor ``j`` at time point ``i`` for every path (the columns of the
    state ``S``) into ``y``. ``coef_n``/``coef_pi``: (time point, tenor, N_COEF) expectation
    coefficients of the policy rate and inflation; ``load``: (5, tenor) premium loadings;
    ``overlay``: (time point, 5) additive factor overlays. Reads only ``S``, writes only ``y``,
    one path after another, so LLVM vectorises the loop."""
    lb = lb_t[i]
    o_tp, o_irp, o_cy, o_w, o_f = overlay[i, 0], overlay[i, 1], overlay[i, 2], overlay[i, 3], overlay[i, 4]
    c0, c1, c2, c3, c4, c5, c6 = (coef_n[i, j, 0], coef_n[i, j, 1], coef_n[i, j, 2], coef_n[i, j, 3],
                                  coef_n[i, j, 4], coef_n[i, j, 5], coef_n[i, j, 6])
    d0, d1, d2, d3, d4, d5, d6 = (coef_pi[i, j, 0], coef_pi[i, j, 1], coef_pi[i, j, 2], coef_pi[i, j, 3],
                                  coef_pi[i, j, 4], coef_pi[i, j, 5], coef_pi[i, j, 6])
    l_irp, l_tp, l_w, l_cy, l_f = load[L_IRP, j], load[L_TP, j], load[L_W, j], load[L_CY, j], load[L_F, j]
    for p in range(S.shape[1]):
        en = c6 + c0 * S[GAP, p] + c1 * S[INFL, p] + c2 * S[INFL_EXP, p] + c3 * S[RSTAR, p] \
            + c4 * S[STANCE, p] + c5 * S[SHADOW, p]
        en = max(en, lb)
        ei = d6 + d0 * S[GAP, p] + d1 * S[INFL, p] + d2 * S[INFL_EXP, p] + d3 * S[RSTAR, p] \
            + d4 * S[STANCE, p] + d5 * S[SHADOW, p]
        yy = (en - ei) + ei
        yy = yy + l_irp * (S[IRP, p] + o_irp)
        yy = yy + l_tp * (S[TP, p] + o_tp)
        yy = yy + l_w * (S[WEDGE, p] + o_w)
        yy = yy - l_cy * (S[CY, p] + o_cy)
        y[p] = yy + l_f * (S[FIRE, p] + o_f)


def drift(sections: dict) -> tuple[np.ndarray, np.ndarray]:
    """(K, c) of the 6-state linear system for one parameter regime."""
    Km, cm = macro.drift_matrix(sections["macro"])
    K = np.zeros((N_X, N_X))
    c = np.zeros(N_X)
    K[:4, :4] = Km
    c[:4] = cm
    K[4, :], K[5, :], c[5] = policy.drift_rows(sections["policy"], sections["macro"])
    return K, c


def phis(K: np.ndarray, u: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(e^{-Ku}, Phi1(u), Phi2(u)) by a Van Loan block exponential."""
    n = K.shape[0]
    M = np.zeros((3 * n, 3 * n))
    M[:n, :n] = -K
    M[:n, n:2 * n] = np.eye(n)
    M[n:2 * n, 2 * n:] = np.eye(n)
    E = scipy.linalg.expm(M * u)
    return E[:n, :n], E[:n, n:2 * n], E[:n, 2 * n:]


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


def fixed_path_coefficients(K, c, t: float, tau: float, piece_t: np.ndarray, piece_r: np.ndarray,
                            t_end: float) -> np.ndarray:
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
