"""The kernel's streams are seeded in numba (engine.core.pcg.seed_sequence_state,
engine.core.sampling.block_states) to exactly the PCG64 states numpy's
``Generator(PCG64(SeedSequence(seed, spawn_key=(block, 2, key))))`` starts from: every source,
seeds at the edges of one and two 32-bit words (up to 2^64 - 1, the schema's limit), blocks
below and beyond 2^32, and SeedSequences of any entropy."""

import numpy as np
import pytest
from numpy.random.bit_generator import ISeedSequence

from engine.core import pcg
from engine.core.layout import N_SOURCE, SOURCE_NAMES
from engine.core.sampling import SOURCE_KEYS, block_states, source_key, stream

EDGE_SEEDS = [0, 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**63, 2**64 - 2, 2**64 - 1, 20261207]
EDGE_BLOCKS = [0, 1, 2, 255, 3_906_249, 2**32 - 1, 2**32, 2**32 + 7, 2**63, 2**64 - 1]  # 3_906_249: MAX_PATHS' last


def _numpy_state(gen):
    st = np.zeros(pcg.N_WORDS, dtype=np.uint64)
    pcg.state_of(gen, st)
    return st


def _assembled(entropy, spawn_key):
    """numpy's assembled entropy of SeedSequence(entropy, spawn_key), as uint64 words: the words
    of ``entropy`` (a non-negative int), lowest first, zero-padded to the pool size when there is a
    spawn key, then the words of each key element."""

    def words(n):
        out = [n & 0xFFFFFFFF]
        while n >> 32:
            n >>= 32
            out.append(n & 0xFFFFFFFF)
        return out

    run = words(entropy)
    if spawn_key:
        run += [0] * max(0, pcg.POOL_SIZE - len(run))
    return np.array(run + [w for k in spawn_key for w in words(k)], dtype=np.uint64)


def _random_int(rng, bits):
    """A random non-negative integer of up to ``bits`` bits, log-uniform in its size."""
    n = int(rng.integers(0, bits + 1))
    return int.from_bytes(rng.bytes(32), "little") & ((1 << n) - 1)


@pytest.mark.parametrize("seed", EDGE_SEEDS)
def test_block_states_are_numpys_at_the_edges(seed):
    everything = tuple(range(N_SOURCE))
    for block in EDGE_BLOCKS:
        states = block_states(seed, block, everything)
        for i in everything:
            assert np.array_equal(states[i], _numpy_state(stream(seed, block, i))), (seed, block, SOURCE_NAMES[i])


def test_block_states_are_numpys_for_random_seeds_and_blocks():
    rng = np.random.default_rng(20261207)
    everything = tuple(range(N_SOURCE))
    for _ in range(200):
        seed, block = _random_int(rng, 64), _random_int(rng, 40)
        states = block_states(seed, block, everything)
        for i in everything:
            assert np.array_equal(states[i], _numpy_state(stream(seed, block, i))), (seed, block, i)


def test_only_the_used_sources_are_filled():
    used = (13, 2, 7)
    states = block_states(2**64 - 1, 12, used)
    for i in range(N_SOURCE):
        if i in used:
            assert np.array_equal(states[i], _numpy_state(stream(2**64 - 1, 12, i)))
        else:
            assert not states[i].any()
    assert block_states(3, 0, ()).shape == (N_SOURCE, pcg.N_WORDS) and not block_states(3, 0, ()).any()


def test_the_source_keys_are_the_names_crcs():
    assert SOURCE_KEYS.dtype == np.uint64
    assert SOURCE_KEYS.tolist() == [source_key(n) for n in SOURCE_NAMES]


@pytest.mark.parametrize("seed, block", [(-1, 0), (2**64, 0), (0, -1), (0, 2**64), (np.int64(-1), 0)])
def test_seeds_and_blocks_outside_64_bits_are_refused(seed, block):
    with pytest.raises(ValueError, match="outside"):
        block_states(seed, block, (0,))
    with pytest.raises(TypeError):
        block_states(1.5, 0, (0,))


def test_any_seed_sequence_is_numpys():
    """The general SeedSequence: entropy shorter and longer than the pool (the words beyond it
    are mixed in afterwards), with and without spawn keys of any length and word count."""
    rng = np.random.default_rng(7)
    cases = [(0, ()), (1, ()), (2**128 - 1, ()), (2**200 + 3, ()), (5, (0,)), (0, (2**64 - 1, 0, 2**40))]
    for _ in range(500):
        key = tuple(_random_int(rng, 70) for _ in range(int(rng.integers(0, 5))))
        cases.append((_random_int(rng, 200), key))
    st = np.zeros(pcg.N_WORDS, dtype=np.uint64)
    for entropy, key in cases:
        words = _assembled(entropy, key)
        pcg.seed_sequence_state(words, words.size, st)
        ss = np.random.SeedSequence(entropy, spawn_key=key)
        assert np.array_equal(st, _numpy_state(np.random.Generator(np.random.PCG64(ss)))), (entropy, key)


class _Words(ISeedSequence):
    """A seed sequence handing numpy's PCG64 the given four uint64 words."""

    def __init__(self, words):
        self.words = np.array(words, dtype=np.uint64)

    def generate_state(self, n_words, dtype=np.uint32):
        assert n_words == pcg.N_WORDS and np.dtype(dtype) == np.uint64
        return self.words.copy()


def test_set_seed_is_pcg64_set_seed():
    """numpy's seeding from four words, including the carries of the 128-bit sum and the
    increment's shifted-out top bit."""
    top = 2**64 - 1
    rng = np.random.default_rng(3)
    cases = [[0, 0, 0, 0], [top, top, top, top], [0, top, 2**63, top], [top, 1, 2**63 - 1, 2**63]]
    cases += rng.integers(0, 2**64, size=(200, 4), dtype=np.uint64).tolist()
    st = np.zeros(pcg.N_WORDS, dtype=np.uint64)
    for w in cases:
        w = [np.uint64(x) for x in w]
        pcg.set_seed(st, *w)
        assert np.array_equal(st, _numpy_state(np.random.Generator(np.random.PCG64(_Words(w))))), w
