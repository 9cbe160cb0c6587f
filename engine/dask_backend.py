"""Dask backend: the run's chunks as tasks on a ``dask.distributed`` cluster.

A task runs one chunk on a worker (the driver passes the function: its partial summary, exact
integer histograms plus per-unit moments that the client folds in unit order, or its full
records and metrics, which the client places by path index). Either
way the result does not depend on which worker ran what or in which order tasks finished, and
equals a local run bit for bit. A task lost with its worker is rerun by Dask (``retries``; the
scheduler also reschedules tasks of dead workers); one whose scattered inputs were lost with
every worker holding them is resubmitted by :func:`run_tasks` after a fresh scatter. A rerun
gives the same numbers because every block seeds its own generator.

Dask is optional: ``pip install "ustsim[dask]"``.
"""

from __future__ import annotations

from concurrent.futures import CancelledError

from .errors import UstsimError

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
        cluster = distributed.LocalCluster(
            n_workers=int(n), threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        )
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


def run_tasks(client, shared: list, fn, items: list, args: tuple, on_result) -> None:
    """Run ``fn(*shared, *args, item)`` for each item on the cluster and call ``on_result(item,
    result)`` on the client as each finishes, in whatever order.

    ``shared`` (the model, the quantile plan: up to tens of MB) is scattered once to every worker,
    not embedded in each task. A task lost with its worker is rerun by Dask (``retries``), but
    scattered data has no recipe: if every worker holding it dies (the scheduler's active memory
    manager drops broadcast replicas that no queued task needs yet, so this happens even though
    it was sent to all), the tasks that need it are cancelled ("lost dependencies"). Those are
    caught here: the inputs are scattered again under new keys and the items resubmitted, up to
    ``RETRIES`` times per item. Results do not depend on which attempt produced them (every block
    seeds its own generator), so the run still equals a local one bit for bit.

    Keys are ``hash=False``, one set per run and per scatter: with content-hashed keys a second
    run of the same model reuses the first run's key, and the first run's release of it can
    reach the scheduler after the second has scattered it, which cancels the second run's tasks
    (seen when a warm-up run was followed by the real one)."""
    distributed = _distributed()
    attempts = dict.fromkeys(range(len(items)), 0)
    generation = [0, client.scatter(shared, broadcast=True, hash=False)]

    def submit(i: int):
        return client.submit(fn, *generation[1], *args, items[i], retries=RETRIES, pure=False)

    futures = {submit(i): (i, generation[0]) for i in range(len(items))}
    pending = distributed.as_completed(list(futures))
    for fut in pending:
        i, gen = futures.pop(fut)
        try:
            result = fut.result()
        except CancelledError:  # distributed's FutureCancelledError; its status can lag the raise
            attempts[i] += 1
            if attempts[i] > RETRIES:
                raise UstsimError(
                    f"Dask task for chunk {i} was cancelled {attempts[i]} times "
                    "(its inputs were lost with the workers holding them); giving up"
                ) from None
            if gen == generation[0]:  # the first casualty of this loss re-scatters the inputs
                generation[:] = [gen + 1, client.scatter(shared, broadcast=True, hash=False)]
            new = submit(i)
            futures[new] = (i, generation[0])
            pending.add(new)
            continue
        fut.release()
        on_result(items[i], result)
