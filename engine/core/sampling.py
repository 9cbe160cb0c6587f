"""Quasi-random normals for the Gaussian shocks: scrambled Sobol points through a Brownian bridge.

For one block of paths, each path takes one point of a scrambled Sobol sequence of dimension
``n_steps x n_draw`` (scipy.stats.qmc.Sobol). The point's coordinates become, per shock, the
standard normals of a Brownian bridge over the step grid, with the lowest (best distributed)
Sobol dimensions on the coarsest features: first every shock's terminal value, then the
midpoints, then the quarter points, and so on. The step increments of that Brownian path,
divided by sqrt(dt), are the shock's normals for each step, so the kernel receives ordinary
N(0,1) draws whose joint structure is low-discrepancy where it matters most.

Each block is an independent randomisation (its own scrambling seed), so the spread of block
means gives an honest standard error (randomised quasi-Monte Carlo). Only the Gaussian shocks
are quasi-random; term-premium jumps keep the block's pseudo-random generator.
"""

from __future__ import annotations

import numpy as np

MAX_DIMENSION = 21201  # scipy's Sobol direction numbers


def bridge_order(n: int) -> list[tuple[int, int, int]]:
    """Construction order of a Brownian bridge on points 1..n (0 is the origin): a list of
    (point, left, right) where ``point`` is built from the already known ``left`` and ``right``
    (right = -1 for the terminal point, built from the origin alone)."""
    order = [(n, 0, -1)]
    queue = [(0, n)]
    while queue:
        nxt = []
        for left, right in queue:
            if right - left > 1:
                mid = (left + right) // 2
                order.append((mid, left, right))
                nxt += [(left, mid), (mid, right)]
        queue = nxt
    return order


def sobol_bridge_normals(seed: int, block: int, n_paths: int, n_steps: int, n_draw: int) -> np.ndarray:
    """Normals for one block: array (n_steps, n_draw, n_paths), each entry N(0, 1) marginally."""
    out = np.empty((n_steps, n_draw, n_paths))
    if n_draw == 0 or n_paths == 0:
        return out
    from scipy.special import ndtri  # scipy.stats costs ~0.8 s to import: only quasi-random runs pay it
    from scipy.stats import qmc

    dim = n_steps * n_draw
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, 1))))
    m = max(0, int(np.ceil(np.log2(n_paths))))
    u = qmc.Sobol(d=dim, scramble=True, seed=rng).random_base2(m)[:n_paths]
    x = ndtri(np.clip(u, 1e-16, 1.0 - 1e-16)).T.reshape(n_steps, n_draw, n_paths)  # (level, shock, path)
    w = np.zeros((n_steps + 1, n_draw, n_paths))  # Brownian path in units of one step
    for level, (i, left, right) in enumerate(bridge_order(n_steps)):
        if right < 0:
            w[i] = np.sqrt(i) * x[level]
        else:
            span = right - left
            w[i] = ((right - i) * w[left] + (i - left) * w[right]) / span + np.sqrt(
                (i - left) * (right - i) / span
            ) * x[level]
    np.subtract(w[1:], w[:-1], out=out)
    return out


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The pseudo-random generator of block ``block`` (paths block x 256 ...): one stream per
    block, ``SeedSequence(seed, spawn_key=(block,))``, so results do not depend on chunks,
    threads or workers."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def plumbing_rng(seed: int, block: int) -> np.random.Generator:
    """The plumbing blocks' own generator for block ``block``: ``SeedSequence(seed,
    spawn_key=(block, 1))``, a stream apart from the core's, so switching a plumbing block on
    moves none of the core's draws."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block, 1))))


NO_NORMALS = np.empty((0, 0, 0))


def block_normals(quasi_random: bool, seed: int, block: int, n_paths: int, n_steps: int, n_draw: int) -> np.ndarray:
    """Quasi-random normals of one block (n_steps, n_draw, n_paths), or an empty array when the
    Gaussian shocks are pseudo-random (drawn by the kernel from :func:`block_rng`)."""
    if not quasi_random:
        return NO_NORMALS
    return sobol_bridge_normals(seed, block, n_paths, n_steps, n_draw)
