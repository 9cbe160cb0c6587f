"""The first run after an install compiles the streaming reduction in a second process, while
the kernel compiles in the first.

numba holds one global lock for the whole of a compilation (LLVM included), so one process
compiles one function at a time and threads cannot overlap two compilations. A cold run
compiles the kernel (about 15 s on the project's 2-core machine) and then the reduction and
summary functions (about 12 s). When the reduction is not in numba's cache yet,
:func:`start_if_cold` (called by every streaming run: ``engine.run``, ``ustsim compare`` and
sweeps, through :func:`engine.driver.summarise_many`) starts a child process that compiles and
caches it on records from the numpy twin (:mod:`engine.twin`, no kernel needed): the same
types, hence the same specialisations, as a run's. By the time the parent has compiled the kernel, the reduction is
in the cache, and the parent loads it instead of compiling it. Nothing else is shared: if the
child is slow or fails, the parent compiles what it needs itself, as before (numba writes its
cache files atomically, so two writers cannot corrupt them).

The child is not started on a one-CPU machine, when the reduction is already cached, or with
``USTSIM_NO_WARMUP=1`` in the environment.
"""

from __future__ import annotations

import os
import subprocess
import sys

_children: list[subprocess.Popen] = []  # kept referenced: a finished child is reaped by the next start


def reduction_cached() -> bool:
    """Whether numba's cache holds an index for the reduction's main function (the name carries
    the function's line, so an edited engine counts as cold; the engine's source stamp,
    engine._jitcache, invalidates stale entries inside an index)."""
    from .reduction import reduce_group

    try:
        return os.path.exists(reduce_group._cache._cache_file._index_path)
    except AttributeError:  # a numba release that moved these: assume cached (no child)
        return True


def start_if_cold() -> bool:
    """Start the child that compiles the reduction, if it is not cached and a second CPU
    exists; returns whether one was started."""
    _children[:] = [c for c in _children if c.poll() is None]
    if os.environ.get("USTSIM_NO_WARMUP") == "1" or (os.cpu_count() or 1) < 2 or _children or reduction_cached():
        return False
    _children.append(
        subprocess.Popen(
            [sys.executable, "-c", "from engine.warmup import main; main()"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, USTSIM_NO_WARMUP="1"),
            # where this engine package sits, so that the child imports this same package (and
            # fills the same cache) even when the current folder holds another copy of engine/
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
    )
    return True


def main() -> None:
    """The child: reduce a few twin-simulated paths of the library baseline through every
    compiled function of the reduction and the summary (the pilot's windows, a unit, the
    merge, the quantiles and a result's decomposition)."""
    import numpy as np

    from . import catalog
    from .blocks import curve
    from .model import build
    from .reduction import Partial, Plan, Summary, View, reduce_unit
    from .scenario import load_scenario
    from .twin import simulate_twin

    sc = load_scenario(
        os.path.join(catalog.LIBRARY_DIR, "baseline.yaml"),
        overrides=["simulation.horizon=2m", "simulation.paths=64", "outputs.keep_paths=0"],
    )
    model = build(sc)
    R, M = simulate_twin(model, 64, sc.seed)
    plan = Plan.from_pilot(View(model), R, M)
    part = Partial(plan)
    reduce_unit(plan, 0, [(np.ascontiguousarray(R[None]), np.ascontiguousarray(M[None]))], part)
    summary = Summary(plan)
    summary.merge(part)
    summary.quantiles("fan")
    summary.quantiles("scalar")
    cv = model.curve.at(model.cal.record_points)
    y, parts = np.empty(R.shape[2]), np.empty((curve.N_PARTS, R.shape[2]))
    curve.compose(np.ascontiguousarray(R[0]), 0, 0, cv, None, y, parts)  # Results' decomposition
