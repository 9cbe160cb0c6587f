"""The engine's linear algebra runs on one BLAS thread while an entry point works.

Its matrices have a few dozen rows at most (the curve's expected paths, the centring's moments,
the initial fit), where OpenBLAS's worker threads gain nothing; after a call they busy-wait for
more work, and while they do each takes a core from the simulation's threads. Measured on the
2-core machine: a Vasicek whole run (100,000 x 120, 2 threads) ran its chunks at half their CPU
speed (``time.thread_time`` 13.7 ms a chunk against 27 ms of wall time; ``top -H``: one unnamed
thread of the process at 100%), 106 -> 68 ms best of 7 with the BLAS threads limited.

:func:`one_blas_thread` wraps the entry points (``run``, ``compare``, ``sweep``, ``backtest``,
``bench``): for as long as one works, every BLAS library loaded in the process runs one thread
(threadpoolctl; ~10 us to enter); the previous limits are restored when the last of
the entry points running (nested or in other threads) returns. Measured with OpenBLAS
0.3.30/0.3.31: the limit holds when set from the main thread (the command line, a script); set
from another thread it is not always seen there, so an entry point called from a worker thread
may run without it (slower on few cores, and results may differ in the last bit).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")


def one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` with BLAS limited to one thread while it runs. Nested and concurrent calls share
    one limit: the first to enter sets it, the last to leave restores what was there before."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _enter()
        try:
            return fn(*args, **kwargs)
        finally:
            _leave()

    return wrapper


_LOCK = threading.Lock()
#: [callers inside, the limiter that restores the previous limits]
_ACTIVE: list = [0, None]


def _enter() -> None:
    with _LOCK:
        if _ACTIVE[0] == 0:
            _ACTIVE[1] = _controller().limit(limits=1, user_api="blas")
        _ACTIVE[0] += 1


def _leave() -> None:
    with _LOCK:
        _ACTIVE[0] -= 1
        if _ACTIVE[0] == 0 and _ACTIVE[1] is not None:
            _ACTIVE[1].restore_original_limits()
            _ACTIVE[1] = None


@functools.cache
def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded in the process (numpy's and scipy's OpenBLAS), found once, at
    the first entry point's call (the engine has imported both by then): finding them takes
    ~0.8 ms, a limit through the controller ~10 us."""
    return ThreadpoolController()
