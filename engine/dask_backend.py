"""Dask backend: the run's chunks as tasks on a ``dask.distributed`` cluster.

A task simulates one chunk on a worker and returns its partial summary (:mod:`engine.summary`:
exact integer histograms plus per-unit moments that the client folds in unit order), or, for
:func:`simulate_on`, its full records and metrics, which the client places by path index. Either
way the result does not depend on which worker ran what or in which order tasks finished, and
equals a local run bit for bit. A task lost with its worker is
rerun by Dask (``retries``; the scheduler also reschedules tasks of dead workers), and a rerun
gives the same numbers because every block seeds its own generator.

Dask is optional: ``pip install "ustsim[dask]"``.
"""
from __future__ import annotations

import numpy as np

from .errors import UstsimError
from .model import N_MET

INSTALL_HINT = 'the Dask backend needs the dask extra; install it with: pip install "ustsim[dask]"'
RETRIES = 3


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UstsimError(INSTALL_HINT) from None
    return distributed


def connect(spec: str):
    """``local:N`` -> a new LocalCluster of N single-threaded worker processes; ``tcp://host:port``
    (or any scheduler address) -> that scheduler. Returns (client, cluster or None)."""
    distributed = _distributed()
    if spec.startswith("local:"):
        n = spec.split(":", 1)[1]
        if not n.isdigit() or int(n) < 1:
            raise UstsimError(f"--dask {spec}: expected local:N with N a positive number of workers")
        cluster = distributed.LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=40)
        return distributed.Client(cluster), cluster
    if "://" not in spec:
        raise UstsimError(f"--dask {spec}: expected local:N or a scheduler address like tcp://host:8786")
    try:
        return distributed.Client(spec, timeout="10s"), None
    except OSError as exc:
        raise UstsimError(f"--dask {spec}: cannot reach the scheduler ({exc})") from None


def close(client, cluster=None, timeout: float = 20) -> None:
    """Close a client (and the LocalCluster it was started with) without waiting forever."""
    try:
        client.close(timeout=timeout)
    finally:
        if cluster is not None:
            cluster.close(timeout=timeout)


def summarise_on(client, model, plan, seed: int, chunks: list, n_paths: int, keep: int, finish) -> None:
    """Run the chunks (lists of (unit, blocks)) on the cluster of ``client``; ``finish(partial,
    kept, chunk)`` is called on the client as each one completes. Only partial summaries travel
    back, and they merge exactly (:class:`engine.summary.Summary`), so the result equals a local
    run's bit for bit."""
    distributed = _distributed()
    from .driver import reduce_chunk
    # hash=False: a key of its own for each run (see simulate_on)
    shared_model, shared_plan = client.scatter([model, plan], broadcast=True, hash=False)
    futures = {client.submit(reduce_chunk, shared_model, shared_plan, seed, c, n_paths, keep, retries=RETRIES,
                             pure=False): i for i, c in enumerate(chunks)}
    for fut in distributed.as_completed(list(futures)):
        partial, kept = fut.result()
        finish(partial, kept, chunks[futures[fut]])
        fut.release()


def _run_chunk(model, seed: int, blocks: list[int], n_paths: int):
    """Worker side: simulate one chunk; returns (first path, records, metrics)."""
    from .driver import BLOCK_PATHS, run_blocks
    p0 = blocks[0] * BLOCK_PATHS
    p1 = min((blocks[-1] + 1) * BLOCK_PATHS, n_paths)
    out = np.empty((model.n_rec, model.n_var, p1 - p0))
    met = np.empty((N_MET, model.n_tenor, p1 - p0))
    run_blocks(model, seed, blocks, n_paths, out, met, offset=p0)
    return p0, out, met


def simulate_on(client, model, n_paths: int, seed: int, chunks: list[list[int]], out: np.ndarray, met: np.ndarray,
                progress=None) -> None:
    """Run ``chunks`` on the cluster of ``client`` and fill ``out``/``met`` (client side)."""
    distributed = _distributed()
    from .driver import run_blocks
    # compile (or load) the kernels here first, so workers find them in the numba cache
    # instead of compiling them concurrently
    run_blocks(model, seed, [0], min(n_paths, 2), np.empty((model.n_rec, model.n_var, 2)),
               np.empty((N_MET, model.n_tenor, 2)))
    # hash=False: a key of its own for each run. With content-hashed keys, a second run of the
    # same model reuses the first run's key, and the first run's release of it can reach the
    # scheduler after the second run has scattered it, which cancels the second run's tasks
    # ("lost dependencies"; seen when a warm-up run was followed by the real one).
    [shared] = client.scatter([model], broadcast=True, hash=False)
    futures = [client.submit(_run_chunk, shared, seed, blocks, n_paths, retries=RETRIES, pure=False)
               for blocks in chunks]
    finished = 0
    for fut in distributed.as_completed(futures):
        p0, rec, m = fut.result()
        out[:, :, p0:p0 + rec.shape[2]] = rec
        met[:, :, p0:p0 + rec.shape[2]] = m
        finished += rec.shape[2]
        if progress:
            progress(finished, n_paths)
