"""``run``: scenario -> model -> memory check -> simulation -> :class:`Results`."""

from __future__ import annotations

import time

from . import driver, memory, outdir
from ._blas import one_blas_thread
from .core.layout import N_REC
from .errors import UstsimError
from .model import build
from .reduction import fan_names
from .results import Results
from .scenario import Scenario

MAX_THREADS = 1024


def prepare(scenario: Scenario, *, threads: int | None = None, max_memory: float | None = None):
    """Everything a run checks before it simulates (what ``ustsim validate`` checks too): the
    model builds (the curve and the initial fit can be computed), the threads are a number of
    threads, and the memory estimate is within the limit. Returns (model, threads, memory needed,
    limit), bytes."""
    sim = scenario.simulation
    model = build(scenario)
    if threads is not None and not 1 <= threads <= MAX_THREADS:
        raise UstsimError(f"threads: {threads} is not a number of threads; expected 1 to {MAX_THREADS}")
    threads = threads or driver.default_threads()
    limit = max_memory or (sim.max_memory.value if sim.max_memory is not None else None)
    keep = scenario.outputs.keep_paths
    need, lim = memory.check_memory(model, sim.paths, threads, int(limit) if limit else None, keep=keep)
    return model, threads, need, lim


@one_blas_thread
def run(
    scenario: Scenario,
    *,
    threads: int | None = None,
    progress=None,
    max_memory: float | None = None,
    on_estimate=None,
    client=None,
    out_dir: str | None = None,
) -> Results:
    """Simulate ``scenario``. ``threads`` defaults to NUMBA_NUM_THREADS or the CPU count (results
    do not depend on it). ``progress(done, total)`` is called as chunks finish. ``on_estimate(need,
    limit)`` is called with the memory estimate (bytes) before anything runs; a run over the limit
    raises :class:`~engine.errors.ResourceError`. ``client``: a ``dask.distributed.Client`` to run
    the chunks on (results identical to a local run). ``out_dir``: where the outputs will be
    written, checked before anything runs (engine.outdir.check)."""
    t0 = time.perf_counter()
    sim = scenario.simulation
    keep = scenario.outputs.keep_paths
    model, threads, need, lim = prepare(scenario, threads=threads, max_memory=max_memory)
    if out_dir is not None:
        # the fans table (~65 bytes a row as CSV and Parquet; twice that to be safe), charts, metrics
        rows = (
            model.n_rec
            * len(fan_names([str(t) for t in model.tenors], model.rec_names[N_REC:]))
            * (2 + len(scenario.outputs.quantiles))
        )
        outdir.check(out_dir, rows * 130 + 2**21)
    if on_estimate:
        on_estimate(need, lim)
    t1 = time.perf_counter()
    summary, records, metrics = driver.summarise(
        model, sim.paths, sim.seed, threads=threads, progress=progress, client=client, keep=keep
    )
    t2 = time.perf_counter()
    info = {
        "threads": threads,
        "dask_workers": len(client.scheduler_info()["workers"]) if client else 0,
        "memory_estimate_bytes": need,
        "memory_limit_bytes": lim,
        "seconds_build": round(t1 - t0, 4),
        "seconds_simulate": round(t2 - t1, 4),
    }
    return Results(model, summary, records, metrics, info)
