"""The kernel's own PCG64 draws (engine.core.pcg) are numpy's, bit for bit: the same streams give
the same normals, exponentials and uniforms, in any interleaving, including the ziggurat's rare
branches (the tail beyond r and the wedges), which a million draws visit hundreds of times."""

import numpy as np
import pytest
from numba import njit

from engine.core import pcg
from engine.core.sampling import block_states, block_streams, stream


@njit(cache=True)
def _draw(st, kinds, out):
    for i in range(kinds.shape[0]):
        k = kinds[i]
        if k == 0:
            out[i] = pcg.normal(st)
        elif k == 1:
            out[i] = pcg.exponential(st)
        else:
            out[i] = pcg.uniform(st)


def _state(gen):
    st = np.zeros(pcg.N_WORDS, dtype=np.uint64)
    pcg.state_of(gen, st)
    return st


@pytest.mark.parametrize("kind, method", [(0, "standard_normal"), (1, "standard_exponential"), (2, "random")])
@pytest.mark.parametrize("seed, block, source", [(1, 0, 0), (20261207, 391, 13), (0, 7, 4)])
def test_each_draw_is_numpys(kind, method, seed, block, source):
    n = 1_000_000
    gen = stream(seed, block, source)
    st = _state(gen)
    out = np.empty(n)
    _draw(st, np.full(n, kind, dtype=np.int64), out)
    assert np.array_equal(out, getattr(gen, method)(n))
    assert np.array_equal(st, _state(gen))  # the states agree afterwards too


def test_interleaved_draws_are_numpys():
    gen = stream(5, 2, 1)
    st = _state(gen)
    kinds = np.random.default_rng(0).integers(0, 3, 50_000)
    out = np.empty(kinds.size)
    _draw(st, kinds, out)
    ref = [(gen.standard_normal, gen.standard_exponential, gen.random)[k]() for k in kinds]
    assert np.array_equal(out, np.array(ref))


def test_the_tail_branches_are_visited():
    """The normal's tail (|x| beyond the ziggurat's base, 3.654) comes from the loop on idx 0:
    a million draws give about 260 of them (2 x P(Z > 3.654)), all equal to numpy's above."""
    gen = stream(1, 0, 0)
    x = gen.standard_normal(1_000_000)
    assert (np.abs(x) > pcg.ziggurat_nor_r).sum() > 150


def test_block_states_are_the_block_streams_states():
    used = (0, 3, 11)
    states = block_states(9, 4, used)
    gens = block_streams(9, 4, used)
    for i in range(states.shape[0]):
        if i in used:
            assert np.array_equal(states[i], _state(gens[i]))
        else:
            assert not states[i].any()


def test_a_buffered_32_bit_half_is_refused():
    gen = stream(1, 0, 0)
    gen.integers(0, 2**31, dtype=np.int32)  # numpy buffers the other half of a 64-bit draw
    with pytest.raises(ValueError, match="buffered"):
        pcg.state_of(gen, np.zeros(pcg.N_WORDS, dtype=np.uint64))
