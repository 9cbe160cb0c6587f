"""Property-based tests of the generic mergeable sketch (engine/core/sketch.py): whatever the
data and however it is cut into blocks and partial sketches, merging gives the same counts and
extremes as one pass (in any order), the moments agree with numpy's, and every quantile lies
within its stated bound of the exact one."""

import itertools

import numpy as np
from conftest import windowed_sketch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.core.sketch import Moments, Sketch, accumulate

ROW0 = np.zeros(1, dtype=np.int64)  # the one variable's row in its sketch
QS = np.array([0.01, 0.05, 0.5, 0.95, 0.99])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

values = arrays(np.float64, st.integers(2, 1500), elements=st.floats(-1e4, 1e4, allow_nan=False, width=64))


def _windows(pilot: np.ndarray) -> Sketch:
    return windowed_sketch(pilot, QS)


def _fill(sk: Sketch, data: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Accumulate ``data`` block by block (blocks end at ``cuts``) into ``sk``; the unit moments."""
    mean, m2 = np.zeros((1, 1)), np.zeros((1, 1))
    edges = [0, *sorted({c for c in cuts if 0 < c < data.size}), data.size]
    for a, b in itertools.pairwise(edges):
        accumulate(data[None, a:b].copy(), 0, sk.hist(), mean, m2, a, ROW0)
    return mean, m2


@SETTINGS
@given(values, st.lists(st.integers(1, 1499), max_size=8), st.randoms(use_true_random=False))
def test_partial_sketches_merge_exactly_in_any_order(data, cuts, rnd):
    whole = _windows(data)
    _fill(whole, data, cuts)
    pieces = np.split(data, sorted({c for c in cuts if 0 < c < data.size}))
    parts = []
    for piece in pieces:
        p = whole.empty_like()
        _fill(p, piece, [])
        parts.append(p)
    rnd.shuffle(parts)
    total = whole.empty_like()
    for p in parts:
        total.add(p)
    for name in ("counts", "mn", "mx"):
        assert np.array_equal(getattr(total, name), getattr(whole, name)), name
    assert total.counts.sum() == data.size


@SETTINGS
@given(values, st.lists(st.integers(1, 1499), max_size=8))
def test_block_moments_match_numpy_and_merge_to_the_same_numbers(data, cuts):
    sk = _windows(data)
    mean, m2 = _fill(sk, data, cuts)
    scale = 1.0 + np.abs(data).max()
    assert abs(mean[0, 0] - data.mean()) <= 1e-12 * scale
    assert abs(m2[0, 0] - ((data - data.mean()) ** 2).sum()) <= 1e-9 * scale * scale * data.size
    # units merged in order (Chan et al.): the same as numpy on the concatenation
    pieces = np.split(data, sorted({c for c in cuts if 0 < c < data.size}))
    mom = Moments(1, 1)
    for x in pieces:
        mom.merge(x.size, np.full((1, 1), x.mean()), np.full((1, 1), ((x - x.mean()) ** 2).sum()))
    assert mom.n == data.size
    assert abs(mom.mean[0, 0] - data.mean()) <= 1e-12 * scale
    if data.size > 1:
        assert abs(mom.std()[0, 0] - data.std(ddof=1)) <= 1e-7 * scale


@SETTINGS
@given(values, st.integers(0, 2**31 - 1))
def test_every_quantile_is_within_its_bound(data, seed):
    # windows from a pilot that is only part of the data (a random subset), as in a run
    rng = np.random.default_rng(seed)
    pilot = rng.choice(data, size=max(2, data.size // 2), replace=False)
    sk = _windows(pilot)
    _fill(sk, data, list(range(256, data.size, 256)))
    est, bound, _ = sk.quantiles(QS)
    exact = np.quantile(data, QS)
    assert (np.abs(est[0, 0] - exact) <= bound[0, 0] + 1e-9 * (1 + np.abs(exact))).all()
