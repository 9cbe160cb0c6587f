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

(the kernel evaluates exactly this, in this order, in ``engine.kernel._curve_point``; the numpy
twin and ``engine.results`` repeat it bit for bit) where E avg(s) is floored at the lower bound (the expected policy rate cannot sit below it;
this ignores the floor's option value - documented in the README). Over a fixed policy path the
known path replaces the rule until the path ends, after which the rule's expectation runs from
the expected macro state then. Parameter changes by events are not anticipated.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from . import macro, policy
from .state import GAP, INFL, INFL_EXP, RSTAR, SHADOW, STANCE

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
