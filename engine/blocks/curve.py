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

where E avg(s) is floored at the lower bound (the expected policy rate cannot sit below it;
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


@njit(cache=True, nogil=True, inline="always")
def compose(S, p, cn, cpi, lb, load, ov, j):
    """Yield of tenor ``j`` for path ``p`` and its parts: returns (yield, E avg policy, E avg inflation).

    ``cn``/``cpi``: (n_tenor, 7) coefficients at this time point; ``ov``: overlays of the five
    additive factors; ``load``: (5, n_tenor) loadings. Summation order is fixed (see module doc),
    and :func:`engine.results` rebuilds the components with the same order.
    """
    x0 = S[GAP, p]
    x1 = S[INFL, p]
    x2 = S[INFL_EXP, p]
    x3 = S[RSTAR, p]
    x4 = S[STANCE, p]
    x5 = S[SHADOW, p]
    en = cn[j, 6] + cn[j, 0] * x0 + cn[j, 1] * x1 + cn[j, 2] * x2 + cn[j, 3] * x3 + cn[j, 4] * x4 + cn[j, 5] * x5
    if en < lb:
        en = lb
    ei = cpi[j, 6] + cpi[j, 0] * x0 + cpi[j, 1] * x1 + cpi[j, 2] * x2 + cpi[j, 3] * x3 + cpi[j, 4] * x4 \
        + cpi[j, 5] * x5
    real = en - ei
    y = real + ei
    y = y + load[L_IRP, j] * (S[IRP, p] + ov[1])
    y = y + load[L_TP, j] * (S[TP, p] + ov[0])
    y = y + load[L_W, j] * (S[WEDGE, p] + ov[3])
    y = y - load[L_CY, j] * (S[CY, p] + ov[2])
    y = y + load[L_F, j] * (S[FIRE, p] + ov[4])
    return y, en, ei
