"""The Monte Carlo driver: blocks of paths, chunks, threads, memory.

* A **block** is ``BLOCK_PATHS`` consecutive paths with their own random stream
  (``SeedSequence(seed, spawn_key=(block,))``). Path ``p`` is always in block ``p // BLOCK_PATHS``,
  so results are bit-identical whatever the chunk size or the number of threads.
* A **chunk** is a run of blocks handed to one worker thread at a time (``simulation.chunk_paths``);
  the kernel releases the GIL, so threads run in parallel.
* Before a run, the memory it needs is estimated; a run over the limit is refused.
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable

import numpy as np

from .errors import ResourceError, format_bytes
from .kernel import kernel_args, simulate_block
from .model import N_MET, Model

BLOCK_PATHS = 256  # measured: 1.5x faster per path-step than 1024 (the block's working set stays in cache)


def default_threads() -> int:
    """Worker threads: NUMBA_NUM_THREADS if set, else the CPU count."""
    env = os.environ.get("NUMBA_NUM_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def _proc_kib(path: str, key: str) -> int | None:
    """Bytes of a ``key:  N kB`` line of a /proc file, or None where there is none."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or a conservative 4 GiB if unknown."""
    avail = _proc_kib("/proc/meminfo", "MemAvailable")
    return avail if avail is not None else 4 * 2**30


# Resident memory of the interpreter with numpy, scipy, pandas, numba and matplotlib loaded, a
# 256-path run and its charts: measured 437 MiB when the kernels compile in the process (empty
# numba cache), 358 MiB when they load from the cache; headroom for run-to-run variation.
BASE_BYTES = 512 * 2**20
# (n_rec x paths) float64 arrays alive at once while fans and metrics are reduced: the cached
# expectations of one tenor (2), a yield being summed and one component (2), the quantile
# partition copy (1), and metric temporaries (2).
REDUCE_ARRAYS = 7


def peak_rss_bytes() -> int:
    """Peak resident memory of this process image (VmHWM). Unlike getrusage's ru_maxrss, which
    Linux carries across exec (a child of a large process would report its parent's peak), this
    starts afresh with each program."""
    peak = _proc_kib("/proc/self/status", "VmHWM")
    if peak is not None:
        return peak
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_estimate(model: Model, n_paths: int, threads: int) -> int:
    """Bytes of resident memory a run needs, an upper bound (tests/test_memory.py checks it
    against measured peak RSS): the libraries, the records and metrics of every path, the
    reduction's working arrays, and per-thread block state."""
    rec = model.n_rec * model.n_var * n_paths * 8
    met = N_MET * model.n_tenor * n_paths * 8
    reduce_tmp = REDUCE_ARRAYS * model.n_rec * n_paths * 8
    per_block = (2 * 14 + 9 + model.n_draw + model.n_tenor * 9) * BLOCK_PATHS * 8
    return int(BASE_BYTES + rec + met + reduce_tmp + threads * per_block + model.arrays["coef_n"].nbytes * 2)


def check_memory(model: Model, n_paths: int, threads: int, limit: int | None) -> tuple[int, int]:
    need = memory_estimate(model, n_paths, threads)
    lim = int(limit) if limit else int(0.8 * available_memory())
    if need > lim:
        raise ResourceError(f"the run needs an estimated {format_bytes(need)}, over the limit of {format_bytes(lim)}; "
                            f"lower simulation.paths, record less often (simulation.record) or record fewer tenors")
    return need, lim


def block_rng(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


_NO_NORMALS = np.empty((0, 0, 0))


def block_normals(model: Model, seed: int, block: int, n: int) -> np.ndarray:
    """Quasi-random normals of one block (n_steps, n_draw, n), or an empty array for pseudo-random."""
    if not model.scenario.data["simulation"]["quasi_random"]:
        return _NO_NORMALS
    from .sampling import sobol_bridge_normals
    return sobol_bridge_normals(seed, block, n, model.cal.n_steps, model.n_draw)


def chunk_blocks(model: Model, n_paths: int, chunk_paths: int | None = None) -> list[list[int]]:
    """The run's blocks grouped into chunks (the unit of work for a thread or a Dask task)."""
    chunk_paths = chunk_paths or model.scenario.data["simulation"]["chunk_paths"]
    n_blocks = math.ceil(n_paths / BLOCK_PATHS)
    per_chunk = max(1, chunk_paths // BLOCK_PATHS)
    return [list(range(b, min(b + per_chunk, n_blocks))) for b in range(0, n_blocks, per_chunk)]


def run_blocks(model: Model, seed: int, blocks: list[int], n_paths: int, out: np.ndarray, met: np.ndarray,
               offset: int = 0) -> int:
    """Simulate ``blocks`` (consecutive) into ``out``/``met``, whose path axis starts at path ``offset``.
    Returns the number of paths simulated."""
    args = kernel_args(model)
    done = 0
    for b in blocks:
        p0, p1 = b * BLOCK_PATHS, min((b + 1) * BLOCK_PATHS, n_paths)
        S = np.repeat(model.init[:, None], p1 - p0, axis=1)
        simulate_block(block_rng(seed, b), S, *args, block_normals(model, seed, b, p1 - p0),
                       out[:, :, p0 - offset:p1 - offset], met[:, :, p0 - offset:p1 - offset], model.jumps_possible)
        done += p1 - p0
    return done


def simulate(model: Model, n_paths: int, seed: int, threads: int | None = None, chunk_paths: int | None = None,
             progress: Callable[[int, int], None] | None = None, client=None) -> tuple[np.ndarray, np.ndarray]:
    """Run all paths. Returns ``(records, metrics)``: (n_rec, n_var, n_paths) and (N_MET, n_tenor, n_paths).

    With a ``dask.distributed.Client`` the chunks run as Dask tasks (:mod:`engine.dask_backend`);
    the results are bit-identical to a local run."""
    threads = threads or default_threads()
    # Filled sequentially here so the pages are faulted in order: a block writes a thin column
    # through the whole array, and faulting it in that way measured 1.85 s for 100k paths x 121
    # records against 0.13 s for this fill. NaN also marks anything a block failed to write.
    out = np.empty((model.n_rec, model.n_var, n_paths))
    out.fill(np.nan)
    met = np.empty((N_MET, model.n_tenor, n_paths))
    met.fill(np.nan)
    chunks = chunk_blocks(model, n_paths, chunk_paths)
    if client is not None:
        from .dask_backend import simulate_on
        simulate_on(client, model, n_paths, seed, chunks, out, met, progress)
        return out, met

    def run_chunk(blocks: list[int]) -> int:
        return run_blocks(model, seed, blocks, n_paths, out, met)

    finished = 0
    if threads == 1 or len(chunks) == 1:
        for c in chunks:
            finished += run_chunk(c)
            if progress:
                progress(finished, n_paths)
    else:
        with ThreadPoolExecutor(max_workers=threads) as ex:
            futures = [ex.submit(run_chunk, c) for c in chunks]
            for f in as_completed(futures):
                finished += f.result()
                if progress:
                    progress(finished, n_paths)
    return out, met


class ProgressBar:
    """A terminal progress bar that appears only once a run has taken ``after`` seconds."""

    def __init__(self, stream, after: float = 2.0, width: int = 30):
        self.stream, self.after, self.width = stream, after, width
        self.t0 = time.perf_counter()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        el = time.perf_counter() - self.t0
        if el < self.after and done < total:
            return
        if not self.shown and done >= total and el < self.after:
            return
        self.shown = True
        frac = done / total
        fill = int(self.width * frac)
        eta = el / frac - el if frac > 0 else 0.0
        self.stream.write(f"\r  [{'#' * fill}{'.' * (self.width - fill)}] {done:,}/{total:,} paths "
                          f"{el:5.1f}s elapsed, {eta:5.1f}s left")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
