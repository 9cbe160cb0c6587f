"""Memory: what a run will need, estimated before it starts (an upper bound of its peak resident
memory, checked by tests/test_memory.py), and what this machine has."""

from __future__ import annotations

import math

from .core.layout import BLOCK_PATHS, N_MET, N_REC
from .core.sketch import sketch_bytes
from .errors import ResourceError, format_bytes
from .model import Model
from .reduction import GROUP_BLOCKS, PILOT_PATHS, UNIT_BLOCKS, fan_names, quantile_rows, scalar_names


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


# Resident memory of the interpreter with numpy, scipy, pandas, numba and matplotlib loaded and
# the kernels compiled or loaded, with charts. Measured peaks of `ustsim run baseline --paths
# 10000` (whose data part the rest of the estimate puts at ~190 MiB): 603 MiB when the kernels
# compile in the process (empty numba cache), 463 MiB when they load from the cache.
BASE_BYTES = 480 * 2**20


def peak_rss_bytes() -> int:
    """Peak resident memory of this process image (VmHWM). Unlike getrusage's ru_maxrss, which
    Linux carries across exec (a child of a large process would report its parent's peak), this
    starts afresh with each program."""
    peak = _proc_kib("/proc/self/status", "VmHWM")
    if peak is not None:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_estimate(model: Model, n_paths: int, threads: int, keep: int = 0) -> int:
    """Bytes of resident memory a run needs, an upper bound (tests/test_memory.py checks it
    against measured peak RSS). It does not grow with the number of paths beyond the pilot and
    the kept paths: the libraries; then the larger of the pilot phase (the pilot's full records
    and working copies, its partial summaries and the total) and the chunk phase (the partial
    summaries alive at once: at most two per thread, and the total; per-thread buffers of a
    group of blocks); the windows; the kept paths; the fans table."""
    n_rec, nt = model.n_rec, model.n_tenor
    outs = model.scenario.outputs
    labels = [str(t) for t in model.tenors]
    names = fan_names(labels, model.rec_names[N_REC:])
    nv = len(names)
    nvq = int((quantile_rows(names, labels, outs.component_quantiles) >= 0).sum())  # with quantiles
    nq = len(outs.quantiles)
    ns = len(scalar_names(labels, model.grid.steps_per_week > 0, outs.thresholds))
    per_path = (n_rec * model.n_var + N_MET * nt) * 8
    n_pilot = min(n_paths, PILOT_PATHS)
    pilot = n_pilot * (per_path + 3 * nv * 8 + 2 * ns * 8)
    sketch = (n_rec * nvq + ns) * sketch_bytes(nq)
    unit_moments = (n_rec * nv + ns) * 2 * 8 + ns * 5 * 8
    unit_paths = UNIT_BLOCKS * BLOCK_PATHS
    per_chunk = max(1, model.scenario.simulation.chunk_paths // unit_paths)
    partial = sketch + unit_moments * per_chunk
    n_chunks = math.ceil(max(0, n_paths - n_pilot) / (per_chunk * unit_paths))
    plan = (n_rec * nvq + ns) * (4 * nq + 5) * 8  # the grid: edges and scales
    group = (
        GROUP_BLOCKS * (per_path + 2 * nv * 8) + (2 * len(model.init) + 9 + model.n_draw + nt * 9) * 8
    ) * BLOCK_PATHS
    fans_table = n_rec * nv * (2 + nq) * 160  # the long pandas frame and its CSV/Parquet copies, per row
    pilot_units = math.ceil(n_pilot / unit_paths)
    pilot_phase = pilot + (min(threads, pilot_units) + 1) * partial  # the pilot's records, its partials, the total
    chunk_phase = (min(2 * threads, n_chunks) + 1) * partial + threads * group
    return int(
        BASE_BYTES
        + max(pilot_phase, chunk_phase)
        + plan
        + min(keep, n_paths) * per_path
        + fans_table
        + model.curve.coef_n.nbytes * 3
        + math.ceil(n_paths / BLOCK_PATHS) * 2 * BLOCK_LISTS_BYTES  # the lists of units and chunks
    )


BLOCK_LISTS_BYTES = 52  # per block, the run's lists of units and chunks (measured: 51 bytes a block at 1e8 paths)


def check_memory(model: Model, n_paths: int, threads: int, limit: int | None, keep: int = 0) -> tuple[int, int]:
    """Refuse a run whose estimated memory exceeds ``limit`` bytes (default 80% of available)."""
    need = memory_estimate(model, n_paths, threads, keep)
    lim = int(limit) if limit else int(0.8 * available_memory())
    if need > lim:
        raise ResourceError(
            f"the run needs an estimated {format_bytes(need)}, over the limit of {format_bytes(lim)}; "
            f"keep fewer paths (outputs.keep_paths), record less often (simulation.record), "
            f"record fewer tenors or quantiles, or use fewer threads"
        )
    return need, lim
