"""One BLAS thread while the engine's entry points work (engine/_blas.py), and the caller's
limits back afterwards, also when entry points nest or run in several threads at once."""

import threading

import pytest
from threadpoolctl import threadpool_info

from engine import _blas
from engine._blas import one_blas_thread


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def before():
    n = _blas_threads()
    if not n or max(n) < 2:
        pytest.skip("no BLAS library with more than one thread here: nothing to limit")
    return n


def test_the_limit_holds_inside_and_is_undone_after(before):
    @one_blas_thread
    def inner():
        return _blas_threads()

    @one_blas_thread
    def outer():
        return _blas_threads(), inner(), _blas_threads()

    a, b, c = outer()
    assert set(a) == set(b) == set(c) == {1}
    assert _blas_threads() == before


def test_overlapping_calls_in_two_threads_restore_the_callers_limits(before):
    # B enters, A enters and leaves while B is inside, then B leaves. With a save-and-restore per
    # call, A restored the caller's limits under B, and B then restored A's "1" for good. (What a
    # thread other than the main one sees of the limit is OpenBLAS's business, and OpenBLAS
    # 0.3.30/0.3.31 do not always show it there: only the end state is checked.)
    b_inside, a_left = threading.Event(), threading.Event()

    @one_blas_thread
    def b():
        b_inside.set()
        assert a_left.wait(10)

    @one_blas_thread
    def a():
        pass

    t = threading.Thread(target=b)
    t.start()
    assert b_inside.wait(10)
    a()
    a_left.set()
    t.join()
    assert _blas_threads() == before
    assert _blas._ACTIVE == [0, None]
