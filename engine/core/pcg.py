"""numpy's PCG64 generator and its normal, exponential and uniform draws, in the kernel.

The kernel used to take one ``numpy.random.Generator`` per random source. numba unboxes each
generator on every call (three ``ctypes.cast`` calls apiece): 0.1 ms for the tuple of 14, a
third of a Vasicek block's simulation, and every normal went through a function pointer. Here a
stream is its PCG64 state, four uint64 words (state high, state low, increment high, increment
low), in a row of a plain array that numba passes for nothing, and the draws are numba code
that LLVM inlines.

The numbers are numpy's, bit for bit: the PCG64 step and its XSL-RR output as numpy's
``pcg64.h`` (``pcg_setseq_128_xsl_rr_64_random_r``: step, then output of the new state), a
double as ``(next64 >> 11) * 2^-53``, and the ziggurat normal and exponential as numpy's
``distributions.c`` (numba's translation, with numba's copies of numpy's tables, from its
internal ``numba.np.random._constants``: pyproject pins numba below its next minor release, as
for engine/_jitcache.py). The numpy twin
(:mod:`engine.twin`) draws with numpy's own ``Generator`` from the same seeds, and
tests/test_pcg.py compares stream by stream.

The states are seeded here too, as ``PCG64(SeedSequence(...))`` seeds them
(:func:`seed_sequence_state`, ~70 ns a stream, without the GIL; numpy's objects took ~10 us
under it): numpy's ``SeedSequence`` (numpy/random/bit_generator.pyx) hashes the assembled entropy
(32-bit words) into a pool of four words (``mix_entropy``: hashmix and mix, arithmetic mod 2^32)
and hashes the cycled pool into 8 words, paired little-endian into four uint64
(``generate_state(4, np.uint64)``); PCG64 takes the first two as the 128-bit seed and the last
two as the stream (``pcg64_set_seed``, :func:`set_seed`). tests/test_seeding.py compares with
numpy's objects.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numba.np.random._constants import (
    fe_double,
    fi_double,
    ke_double,
    ki_double,
    we_double,
    wi_double,
    ziggurat_exp_r,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

#: PCG_DEFAULT_MULTIPLIER_128 (numpy's pcg64.h), high and low words
MULT_HI = np.uint64(0x2360ED051FC65DA4)
MULT_LO = np.uint64(0x4385DF649FCCF645)
TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53
N_WORDS = 4  # state high, state low, increment high, increment low


@intrinsic
def _muladd128(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
    """(a * b + c) mod 2^128 of three 128-bit numbers given as (high, low) uint64 words; returns
    (high, low). LLVM lowers the i128 product to two or three 64-bit multiplications."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, signature, args):
        i128, i64 = ir.IntType(128), ir.IntType(64)
        sixty_four = ir.Constant(i128, 64)

        def join(hi, lo):
            return builder.or_(builder.shl(builder.zext(hi, i128), sixty_four), builder.zext(lo, i128))

        r = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])), join(args[4], args[5]))
        hi = builder.trunc(builder.lshr(r, sixty_four), i64)
        lo = builder.trunc(r, i64)
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def next64(st):
    """The next 64 random bits of the stream ``st`` (uint64[4], advanced in place)."""
    hi, lo = _muladd128(st[0], st[1], MULT_HI, MULT_LO, st[2], st[3])
    st[0] = hi
    st[1] = lo
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@njit(cache=True, nogil=True, inline="always")
def uniform(st):
    """A double in [0, 1): numpy's ``Generator.random()``."""
    return (next64(st) >> np.uint64(11)) * TWO_M53


# the tables' thresholds as int64 (they are below 2^53): the ziggurat's integers then convert to
# double with one instruction; as uint64 the conversions and comparisons made a normal 7.5 ns
# instead of 4.1 (numpy's Generator in numba: 4.4; /tmp/pcgbench.py, best of 10, one thread)
_KI = ki_double.astype(np.int64)
_KE = ke_double.astype(np.int64)


@njit(cache=True, nogil=True, inline="always")
def normal(st):
    """A standard normal: numpy's ``Generator.standard_normal()`` (the ziggurat)."""
    while True:
        r = next64(st)
        idx = np.int64(r & np.uint64(0xFF))
        r >>= np.uint64(8)
        rabs = np.int64((r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF))
        x = rabs * wi_double[idx]
        if r & np.uint64(0x1):
            x = -x
        if rabs < _KI[idx]:
            return x
        if idx == 0:
            while True:
                xx = -ziggurat_nor_inv_r * np.log1p(-uniform(st))
                yy = -np.log1p(-uniform(st))
                if yy + yy > xx * xx:
                    if (rabs >> 8) & 1:
                        return -(ziggurat_nor_r + xx)
                    return ziggurat_nor_r + xx
        elif (fi_double[idx - 1] - fi_double[idx]) * uniform(st) + fi_double[idx] < np.exp(-0.5 * x * x):
            return x


@njit(cache=True, nogil=True, inline="always")
def exponential(st):
    """A standard exponential: numpy's ``Generator.standard_exponential()`` (the ziggurat)."""
    while True:
        ri = np.int64(next64(st) >> np.uint64(3))
        idx = ri & 0xFF
        ri >>= 8
        x = ri * we_double[idx]
        if ri < _KE[idx]:
            return x
        if idx == 0:
            return ziggurat_exp_r - np.log1p(-uniform(st))
        if (fe_double[idx - 1] - fe_double[idx]) * uniform(st) + fe_double[idx] < np.exp(-x):
            return x


# numpy's SeedSequence (numpy/random/bit_generator.pyx): its constants, all arithmetic mod 2^32
# (carried in uint64 words and masked, as numba widens uint32 products to uint64)
POOL_SIZE = 4  # DEFAULT_POOL_SIZE: 128 bits of pool
INIT_A = np.uint64(0x43B0D7E5)
MULT_A = np.uint64(0x931E8875)
INIT_B = np.uint64(0x8B51F9DD)
MULT_B = np.uint64(0x58F38DED)
MIX_MULT_L = np.uint64(0xCA01F9DD)
MIX_MULT_R = np.uint64(0x4973F715)
XSHIFT = np.uint64(16)
MASK32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _hash(value, hash_const, mult):
    """The hash of the 32-bit ``value`` and the next hash constant (uint64 words holding 32 bits);
    returns (hash, hash_const). With ``mult`` MULT_A it is numpy's ``hashmix`` (mixing the
    entropy into the pool), with MULT_B the step of ``generate_state`` (a word of output)."""
    value ^= hash_const
    hash_const = (hash_const * mult) & MASK32
    value = (value * hash_const) & MASK32
    return value ^ (value >> XSHIFT), hash_const


@njit(cache=True, nogil=True, inline="always")
def _mix(x, y):
    """numpy's ``mix`` of two 32-bit words (uint64 holding 32 bits)."""
    r = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
    return r ^ (r >> XSHIFT)


@njit(cache=True, nogil=True, inline="always")
def set_seed(st, seed_hi, seed_lo, inc_hi, inc_lo):
    """numpy's ``pcg64_set_seed``: the state ``st`` (uint64[4], written) seeded with the 128-bit
    ``seed`` and stream ``inc`` (high and low uint64 words), as ``pcg_setseq_128_srandom_r``:
    increment (inc << 1) | 1, state 0, one step, plus seed, one step."""
    i_hi = (inc_hi << np.uint64(1)) | (inc_lo >> np.uint64(63))
    i_lo = (inc_lo << np.uint64(1)) | np.uint64(1)
    # a step from state 0 gives the increment; adding the seed is a multiply-add by 1
    s_hi, s_lo = _muladd128(i_hi, i_lo, np.uint64(0), np.uint64(1), seed_hi, seed_lo)
    st[0], st[1] = _muladd128(s_hi, s_lo, MULT_HI, MULT_LO, i_hi, i_lo)
    st[2] = i_hi
    st[3] = i_lo


@njit(cache=True, nogil=True)
def seed_sequence_state(entropy, n, st):
    """Write into ``st`` (uint64[4]) the PCG64 state of ``PCG64(SeedSequence(...))``, the
    SeedSequence given by its assembled entropy: ``entropy[:n]``, uint64 each holding one 32-bit
    word, as numpy's ``get_assembled_entropy`` builds it (the run entropy's words, lowest first,
    zero-padded to POOL_SIZE words when there is a spawn key, then the spawn key's words).

    numpy's ``mix_entropy`` into a pool of 4 words, ``generate_state(4, np.uint64)`` (8 words
    hashed from the cycled pool, paired little-endian) and ``pcg64_set_seed`` (:func:`set_seed`)."""
    pool = np.empty(POOL_SIZE, dtype=np.uint64)
    hc = INIT_A
    for i in range(POOL_SIZE):  # the entropy up to the pool size, then hash of zeros
        pool[i], hc = _hash(entropy[i] if i < n else np.uint64(0), hc, MULT_A)
    for i_src in range(POOL_SIZE):  # every word into every other
        for i_dst in range(POOL_SIZE):
            if i_src != i_dst:
                h, hc = _hash(pool[i_src], hc, MULT_A)
                pool[i_dst] = _mix(pool[i_dst], h)
    for i_src in range(POOL_SIZE, n):  # the remaining entropy into every word
        for i_dst in range(POOL_SIZE):
            h, hc = _hash(entropy[i_src], hc, MULT_A)
            pool[i_dst] = _mix(pool[i_dst], h)
    hc = INIT_B
    for k in range(N_WORDS):  # generate_state: 32-bit words 2k and 2k + 1 are the low and high half of word k
        lo, hc = _hash(pool[(2 * k) % POOL_SIZE], hc, MULT_B)
        hi, hc = _hash(pool[(2 * k + 1) % POOL_SIZE], hc, MULT_B)
        st[k] = lo | (hi << np.uint64(32))
    set_seed(st, st[0], st[1], st[2], st[3])


def state_of(gen: np.random.Generator, out: np.ndarray) -> None:
    """Write the PCG64 state of numpy generator ``gen`` into ``out`` (uint64[4]); the generator
    must not have drawn a 32-bit number (numpy then buffers half of one: not supported)."""
    st = gen.bit_generator.state
    if st["bit_generator"] != "PCG64" or st["has_uint32"]:
        raise ValueError("a PCG64 generator without a buffered 32-bit half was expected")
    s, inc = st["state"]["state"], st["state"]["inc"]
    out[0], out[1] = s >> 64, s & 0xFFFFFFFFFFFFFFFF
    out[2], out[3] = inc >> 64, inc & 0xFFFFFFFFFFFFFFFF
