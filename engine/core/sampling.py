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
are quasi-random; the jumps and the plumbing's draws keep their pseudo-random streams.

Pseudo-random draws come from one stream per random source and block of paths
(:func:`stream`), so that two scenarios differing in events, parameters or in which blocks are
on share every common source's draws path by path (common random numbers); the kernel takes
their PCG64 states (:func:`block_states`), computed in numba from the seed, the block and the
source's key exactly as numpy seeds the generator (engine.core.pcg.seed_sequence_state): ~2 us
a block of the baseline's 12 sources, where numpy's objects took ~120 us under the GIL.
Quasi-random normals are common only between scenarios drawing the same set of Gaussian shocks
(the Sobol dimension is the number of active shocks times the steps).
"""

from __future__ import annotations

import functools
import operator
import zlib

import numpy as np
from numba import njit

from .layout import N_SOURCE, SOURCE_NAMES
from .pcg import MASK32, N_WORDS, POOL_SIZE, seed_sequence_state

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


STREAM_KEY = 2  # spawn keys (block, 2, source) are the sources' streams; (block, 1) scrambles Sobol


def source_key(name: str) -> int:
    """The stable integer key of the random source ``name`` (CRC-32 of its name), so a source's
    stream does not depend on which other sources exist or are on."""
    return zlib.crc32(name.encode())


def stream(seed: int, block: int, source: int) -> np.random.Generator:
    """The generator of random source ``source`` (engine.core.layout.SOURCE_NAMES) in the block
    of paths ``block``: ``SeedSequence(seed, spawn_key=(block, 2, source_key(name)))``."""
    ss = np.random.SeedSequence(seed, spawn_key=(block, STREAM_KEY, source_key(SOURCE_NAMES[source])))
    return np.random.Generator(np.random.PCG64(ss))


#: the generator standing in for the sources a model never draws from (the kernel's tuple of
#: streams has one entry per source; nothing draws from this one)
_UNUSED = np.random.Generator(np.random.PCG64(0))


def block_streams(seed: int, block: int, used: tuple[int, ...]) -> tuple[np.random.Generator, ...]:
    """The numpy generators of block ``block``: one per source (N_SOURCE), built only for the
    sources in ``used`` (a generator costs ~20 us to seed). The numpy twin draws from them; the
    kernel from their states (:func:`block_states`)."""
    return tuple(stream(seed, block, i) if i in used else _UNUSED for i in range(N_SOURCE))


#: source_key of every source (SOURCE_NAMES), uint64: the last word of its streams' spawn keys
SOURCE_KEYS = np.array([source_key(n) for n in SOURCE_NAMES], dtype=np.uint64)


@njit(cache=True, nogil=True)
def _fill_states(seed, block, used, out):
    """The PCG64 states of :func:`stream` for the sources ``used`` (int64[k]) of block ``block``
    into the rows of ``out`` (N_SOURCE, 4) uint64; its other rows are left as they are.
    ``seed``, ``block``: uint64.

    The SeedSequence's assembled entropy, as numpy builds it from ``SeedSequence(seed,
    spawn_key=(block, STREAM_KEY, key))``: the seed's 32-bit words, lowest first (one word
    below 2^32, 0 included, else two), zero-padded to POOL_SIZE words because there is a spawn
    key, so always [seed low, seed high, 0, 0]; then the block's words (one below 2^32, else
    two), STREAM_KEY, and the source's key (a CRC-32: one word)."""
    entropy = np.zeros(POOL_SIZE + 4, dtype=np.uint64)
    entropy[0] = seed & MASK32
    entropy[1] = seed >> np.uint64(32)
    n = POOL_SIZE
    entropy[n] = block & MASK32
    n += 1
    if block >> np.uint64(32):
        entropy[n] = block >> np.uint64(32)
        n += 1
    entropy[n] = STREAM_KEY
    for i in used:
        entropy[n + 1] = SOURCE_KEYS[i]
        seed_sequence_state(entropy, n + 2, out[i])


@functools.lru_cache(maxsize=64)
def _used_array(used: tuple[int, ...]) -> np.ndarray:
    """``used`` as the read-only int64 array :func:`_fill_states` takes (one per model's sources)."""
    a = np.array(used, dtype=np.int64)
    a.flags.writeable = False
    return a


def _word64(x: int) -> np.uint64:
    """The integer ``x`` as a uint64, refused (as numpy's SeedSequence would) unless in [0, 2^64)."""
    x = operator.index(x)  # a float is refused, not truncated
    if not 0 <= x < 2**64:
        raise ValueError(f"{x} is outside [0, 2^64): seeds and blocks are 64-bit words")
    return np.uint64(x)


def block_states(seed: int, block: int, used: tuple[int, ...]) -> np.ndarray:
    """The kernel's streams of block ``block``: (N_SOURCE, 4) uint64, each row the PCG64 state of
    :func:`stream` (engine.core.pcg draws from it exactly what the numpy generator would), zero
    for the sources not in ``used`` (nothing draws from them). ``seed`` and ``block``: integers
    in [0, 2^64); computed by numba (:func:`_fill_states`, ~2 us for 12 sources, without the GIL)
    where numpy's generators took ~10 us a source under the GIL."""
    out = np.zeros((N_SOURCE, N_WORDS), dtype=np.uint64)
    _fill_states(_word64(seed), _word64(block), _used_array(tuple(used)), out)
    return out


NO_NORMALS = np.empty((0, 0, 0))


def block_normals(quasi_random: bool, seed: int, block: int, n_paths: int, n_steps: int, n_draw: int) -> np.ndarray:
    """Quasi-random normals of one block (n_steps, n_draw, n_paths), or an empty array when the
    Gaussian shocks are pseudo-random (drawn by the kernel from their sources' streams, :func:`block_streams`)."""
    if not quasi_random:
        return NO_NORMALS
    return sobol_bridge_normals(seed, block, n_paths, n_steps, n_draw)
