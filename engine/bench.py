"""``ustsim bench``: kernel throughput against the numpy twin and the bare random generator.

All figures come from one run on this machine (machines are shared and noisy, so only ratios
measured together mean anything):

* path-steps per second of the numba kernel proper (all blocks on the worker threads, each
  thread writing its records into one reused buffer), of the whole ``simulate()`` (which also
  allocates and fills the full record array), and of the numpy twin (one thread, numpy
  vectorised over all paths, full record array), and their ratios;
* normals drawn per path-step (Gaussian shocks plus term-premium jump draws);
* the bare speed of the same generator (PCG64 normals drawn in an ``@njit(nogil=True)`` loop,
  one stream per block, same threads) and the share of it the kernel reaches per normal;
* a whole run's simulate phase (``driver.summarise``: simulation and streaming reduction with
  the default outputs) against the kernel alone, on the same paths;
* the Vasicek workload (``scenarios/vasicek.yaml``): the kernel against the bare generator per
  normal, and a whole run (``engine.run``) against plain vectorised numpy;
* the 1,000,000 x 360 monthly baseline's wall time and peak memory (a child process);
* cold (empty numba cache: compile included) and warm time to result of
  ``ustsim run scenarios/baseline.yaml`` in a fresh process.

Before timing, the kernel's result is checked against the twin's on the same paths. Each side
of a ratio is the best of ``REPEATS`` timings (``VASICEK_REPEATS`` for the Vasicek workload,
whose timings are tens of milliseconds): a single timing of a short run carries the machine's
noise (page faults of fresh buffers, a thread pool starting, a neighbour's burst), which on
this shared machine halved the Vasicek kernel's rate in one timing out of five. The 1M x 360
run, the twin and the cold start are timed once.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import catalog, peers
from ._blas import one_blas_thread
from .core.layout import BLOCK_PATHS, N_MET
from .core.sampling import block_states
from .driver import block_normals, default_threads, kernel_of, simulate, summarise
from .model import build
from .peers import bare_generator_speed
from .reduction import PILOT_PATHS
from .scenario import load_scenario
from .twin import simulate_twin

BASELINE = os.path.join(catalog.LIBRARY_DIR, "baseline.yaml")  # installed with the package
REPEATS = 3  # timings of each figure of a ratio; the best is reported
VASICEK_REPEATS = 5


def _fastest(timed, n: int) -> float:
    """The largest of ``n`` calls of ``timed()`` (a rate; for times pass the negated time)."""
    return max(timed() for _ in range(n))


def kernel_throughput(model, paths: int, seed: int, threads: int, warm: bool = True) -> float:
    """Path-steps per second of the kernel alone: every block of the run on ``threads`` threads,
    records written into a reused per-thread buffer (no full-size record array). With ``warm``,
    a full and a partial block run first, so that the timing includes no compile or cache load
    (the buffers are contiguous, as a run's are: the kernel has one specialisation)."""
    if warm:
        kernel_throughput(model, BLOCK_PATHS + 1, seed, threads, warm=False)
    n_blocks = math.ceil(paths / BLOCK_PATHS)

    def work(t):
        kernel = kernel_of(model)  # called as a run calls it
        bufs: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # contiguous buffers per block size, as in a run
        for b in range(t, n_blocks, threads):
            n = min(BLOCK_PATHS, paths - b * BLOCK_PATHS)
            if n not in bufs:
                bufs[n] = np.empty((model.n_rec, model.n_var, n)), np.empty((N_MET, model.n_tenor, n))
            S = np.repeat(model.init[:, None], n, axis=1)
            kernel(block_states(seed, b, model.sources), block_normals(model, seed, b, n), S, *model.bundles, *bufs[n])

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(work, range(threads)))
    return paths * model.cal.n_steps / (time.perf_counter() - t)


def _bench_model(paths: int, steps: int, scenario: str = BASELINE, extra=()):
    sc = load_scenario(
        scenario,
        overrides=[
            f"simulation.paths={paths}",
            f"simulation.horizon={steps}m",
            "simulation.step=1m",
            "simulation.record=1m",
            *extra,
        ],
    )
    return build(sc)


PLUMBING = ["stablecoins.enabled=true", "basis_trade.enabled=true", "basis_trade.backstop=true"]
BASIS_UNWIND = os.path.join(os.path.dirname(BASELINE), "basis_unwind.yaml")


def stressed_plumbing_throughput(paths: int, seed: int, threads: int) -> tuple[float, float]:
    """Kernel path-steps per second of ``basis_unwind`` (60 daily steps, the spiral iterating)
    and of the same market without the basis trade and its events."""
    over = [f"simulation.paths={paths}", "outputs.charts=false"]
    stressed = build(load_scenario(BASIS_UNWIND, overrides=over))
    calm = build(load_scenario(BASIS_UNWIND, overrides=over + ["basis_trade.enabled=false", "events=[]"]))
    return kernel_throughput(calm, paths, seed, threads), kernel_throughput(stressed, paths, seed, threads)


def full_model_throughput(paths: int, steps: int, seed: int, threads: int) -> tuple[float, float, float]:
    """Kernel path-steps per second of the core model, of the full model (core + Treasury,
    Fed balance sheet, backstops, holders and supply: ``treasury.enabled``) and of the core with
    the plumbing blocks (stablecoins and the basis trade), baseline scenario, measured one after
    the other in this process."""
    core = _bench_model(paths, steps)
    full = _bench_model(paths, steps, extra=["treasury.enabled=true"])
    plumbing = _bench_model(paths, steps, extra=PLUMBING)
    return (
        kernel_throughput(core, paths, seed, threads),
        kernel_throughput(full, paths, seed, threads),
        kernel_throughput(plumbing, paths, seed, threads),
    )


def simulate_phase_seconds(model, paths: int, seed: int, threads: int) -> float:
    """Seconds of a whole run's simulate phase: ``driver.summarise`` (the pilot, every path
    simulated and reduced into the streaming summary with the scenario's outputs), warm."""
    summarise(model, min(paths, PILOT_PATHS + 2 * BLOCK_PATHS), seed, threads=threads)  # compile / load
    t = time.perf_counter()
    summarise(model, paths, seed, threads=threads)
    return time.perf_counter() - t


def vasicek_figures(paths: int, steps: int, seed: int, threads: int) -> dict:
    """The Vasicek workload (scenarios/vasicek.yaml): path-steps per second of the kernel, of a
    whole run (engine.run), of plain vectorised numpy, and normals per second of the bare generator."""
    model = build(
        load_scenario(
            peers.VASICEK, overrides=[f"simulation.paths={paths}", f"simulation.horizon={steps}m", "simulation.step=1m"]
        )
    )
    n = VASICEK_REPEATS
    kernel_throughput(model, BLOCK_PATHS + 1, seed, threads, warm=False)  # compile / load
    kernel = _fastest(lambda: kernel_throughput(model, paths, seed, threads, warm=False), n)
    t_whole = -_fastest(lambda: -peers.run_ustsim_whole(paths, steps, seed, threads)["seconds"], n)
    t_numpy = -_fastest(lambda: -peers.run_numpy(paths, steps, seed)["seconds"], n)
    bare = _fastest(lambda: bare_generator_speed(paths * steps * model.n_draw, threads), n)
    ps = paths * steps
    return {
        "vasicek_kernel_path_steps_per_s": kernel,
        "vasicek_run_path_steps_per_s": ps / t_whole,
        "vasicek_numpy_path_steps_per_s": ps / t_numpy,
        "vasicek_bare_normals_per_s": bare,
        "vasicek_normals_per_path_step": float(model.n_draw),
        "vasicek_run_over_numpy": t_numpy / t_whole,
        "vasicek_kernel_share_of_generator": kernel * model.n_draw / bare,
    }


def big_run(threads: int) -> dict:
    """The 1,000,000 x 360 monthly baseline through the streaming driver in a child process
    (engine.scaling: warm kernels, wall time and the child's own peak resident memory)."""
    from .scaling import _point

    return _point(1_000_000, 360, threads, quick=False)


def _time_to_result(cache_dir: str, scenario: str) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "engine.cli", "run", scenario],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return time.perf_counter() - t


@one_blas_thread
def run_bench(
    paths: int = 100_000,
    steps: int = 120,
    threads: int | None = None,
    quick: bool = False,
    json_path: str | None = None,
    out=None,
) -> dict:
    out = out or sys.stdout
    threads = threads or default_threads()
    if quick:
        paths, steps = 2048, 12
    model = _bench_model(paths, steps)
    seed = 1

    # correctness before timing: kernel == twin on the first two blocks
    check_paths = min(paths, 2 * BLOCK_PATHS)
    k_out, k_met = simulate(model, check_paths, seed, threads=threads)
    t_out, t_met = simulate_twin(model, check_paths, seed)
    if not (np.array_equal(k_out, t_out) and np.array_equal(k_met, t_met, equal_nan=True)):
        raise AssertionError("kernel and numpy twin disagree; refusing to time them")

    path_steps = paths * model.cal.n_steps
    kernel_throughput(model, BLOCK_PATHS + 1, seed, threads, warm=False)  # compile / load, as below
    kernel_rate = _fastest(lambda: kernel_throughput(model, paths, seed, threads, warm=False), REPEATS)
    t_phase = -_fastest(lambda: -simulate_phase_seconds(model, paths, seed, threads), REPEATS)
    t_sims = []
    for _ in range(2):  # the first touches fresh memory for the record array, the second reuses it
        t = time.perf_counter()
        simulate(model, paths, seed, threads=threads)
        t_sims.append(time.perf_counter() - t)
    t_sim = t_sims[1]
    sim_rate = path_steps / t_sim
    twin_paths = paths if not quick else check_paths
    t = time.perf_counter()
    simulate_twin(model, twin_paths, seed)
    t_twin = time.perf_counter() - t
    twin_rate = twin_paths * model.cal.n_steps / t_twin

    # normals per path-step: Gaussian shocks + expected jump draws (2 per jump)
    lam = model.params.term_premium.cum_lam[-1] / (model.cal.n_steps * model.cal.dt) if model.jumps_possible else 0.0
    jump_draws = 2 * lam * model.cal.dt + (1.0 / model.cal.n_steps if model.jumps_possible else 0.0)
    normals_per_step = model.n_draw + jump_draws
    n_bare = int(min(2e8, max(2e7, normals_per_step * path_steps))) if not quick else 2_000_000
    bare = _fastest(lambda: bare_generator_speed(n_bare, threads), REPEATS)
    share = kernel_rate * normals_per_step / bare

    res = {
        "paths": paths,
        "steps": model.cal.n_steps,
        "threads": threads,
        "kernel_path_steps_per_s": kernel_rate,
        "simulate_path_steps_per_s": sim_rate,
        "twin_path_steps_per_s": twin_rate,
        "kernel_over_twin": kernel_rate / twin_rate,
        "simulate_over_twin": sim_rate / twin_rate,
        "normals_per_path_step": normals_per_step,
        "bare_generator_normals_per_s": bare,
        "kernel_share_of_generator": share,
        "simulate_phase_seconds": t_phase,
        "simulate_phase_over_kernel": t_phase * kernel_rate / path_steps,
        "simulate_seconds": t_sim,
        "simulate_first_seconds": t_sims[0],
        "twin_seconds": t_twin,
    }
    fp, fs = (2048, 24) if quick else (100_000, 360)
    core_rate, full_rate, plumbing_rate = full_model_throughput(fp, fs, seed, threads)
    res.update(
        full_paths=fp,
        full_steps=fs,
        core_path_steps_per_s=core_rate,
        full_path_steps_per_s=full_rate,
        full_cost_over_core=core_rate / full_rate,
        plumbing_path_steps_per_s=plumbing_rate,
        plumbing_cost_over_core=core_rate / plumbing_rate,
    )
    calm_rate, stress_rate = stressed_plumbing_throughput(2048 if quick else 100_000, seed, threads)
    res.update(basis_unwind_path_steps_per_s=stress_rate, basis_unwind_cost_over_core=calm_rate / stress_rate)
    res.update(vasicek_figures(2000 if quick else 100_000, 12 if quick else 120, seed, threads))
    if not quick:
        big = big_run(threads)
        res.update(big_run_seconds=big.get("seconds"), big_run_peak_rss_bytes=big.get("peak_rss_bytes"))
        with tempfile.TemporaryDirectory() as cache:
            res["baseline_cold_s"] = _time_to_result(cache, BASELINE)
            res["baseline_warm_s"] = _time_to_result(cache, BASELINE)
    lines = [
        f"ustsim bench: {paths:,} paths x {model.cal.n_steps} monthly steps, {threads} thread(s); "
        f"each figure of a ratio the best of {REPEATS} timings ({VASICEK_REPEATS} for Vasicek)"
        + ("  [--quick: sizes too small for meaningful figures]" if quick else ""),
        f"  numba kernel      {kernel_rate / 1e6:10.2f} M path-steps/s   (compute; records to a reused buffer)",
        f"  simulate()        {sim_rate / 1e6:10.2f} M path-steps/s   ({t_sim:.2f} s incl. the "
        f"{model.n_rec * model.n_var * paths * 8 / 2**30:.2f} GiB record array; first call in the process "
        f"{t_sims[0]:.2f} s)",
        f"  simulate phase    {t_phase:10.2f} s                 (a whole run's simulation and streaming reduction, "
        f"default outputs: {res['simulate_phase_over_kernel']:.2f} x the kernel alone, target <= 2 x)",
        f"  numpy twin        {twin_rate / 1e6:10.2f} M path-steps/s   ({t_twin:.2f} s, 1 thread)",
        f"  kernel / twin     {kernel_rate / twin_rate:10.2f} x          (target >= 5x; simulate() / twin "
        f"{sim_rate / twin_rate:.2f} x)",
        f"  normals drawn     {normals_per_step:10.3f} per path-step",
        f"  bare generator    {bare / 1e6:10.1f} M normals/s     (PCG64 in numba, {threads} thread(s))",
        f"  kernel share      {100 * share:10.1f} % of the generator's speed per normal (target >= 60%)",
        f"  full model        {full_rate / 1e6:10.2f} M path-steps/s   ({fp:,} paths x {fs} monthly steps with the "
        f"Treasury/Fed/holder blocks; core alone {core_rate / 1e6:.2f} M: the blocks cost "
        f"{core_rate / full_rate:.2f} x the core, target <= 3 x)",
        f"  plumbing          {plumbing_rate / 1e6:10.2f} M path-steps/s   (the same with the stablecoin and "
        f"basis-trade blocks instead: {core_rate / plumbing_rate:.2f} x the core)",
        f"  basis unwind      {stress_rate / 1e6:10.2f} M path-steps/s   (scenarios/basis_unwind.yaml, 60 daily steps "
        f"of a spiral; without the block {calm_rate / 1e6:.2f} M: {calm_rate / stress_rate:.2f} x)",
    ]
    lines += [
        f"  vasicek kernel    {res['vasicek_kernel_path_steps_per_s'] / 1e6:10.2f} M path-steps/s   "
        f"({res['vasicek_normals_per_path_step']:.0f} normal per path-step: "
        f"{100 * res['vasicek_kernel_share_of_generator']:.1f}% of the bare generator's "
        f"{res['vasicek_bare_normals_per_s'] / 1e6:.0f} M/s, target >= 75%)",
        f"  vasicek run       {res['vasicek_run_path_steps_per_s'] / 1e6:10.2f} M path-steps/s   (engine.run; plain "
        f"numpy {res['vasicek_numpy_path_steps_per_s'] / 1e6:.2f} M: {res['vasicek_run_over_numpy']:.2f} x numpy, "
        f"target >= 2 x)",
    ]
    if res.get("big_run_seconds") is not None:
        lines += [
            f"  1M x 360          {res['big_run_seconds']:10.2f} s wall           (baseline, streaming, warm; peak "
            f"{res['big_run_peak_rss_bytes'] / 2**30:.2f} GiB; targets < 40 s, < 2 GiB)"
        ]
    if "baseline_cold_s" in res:
        lines += [
            f"  baseline run      {res['baseline_cold_s']:10.2f} s cold (compile), "
            f"{res['baseline_warm_s']:.2f} s warm  (target warm < 3 s)"
        ]
    print("\n".join(lines), file=out)
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":  # pragma: no cover
    run_bench()
