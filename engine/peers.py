"""Peer comparison (``ustsim bench --peers``; QuantLib and pyesg need ``pip install "ustsim[peers]"``).

The same Vasicek workload - a = 0.1, b = 4%, sigma = 1%, r0 = 3%; 100,000 paths x 120 monthly
steps; the 10y zero-coupon price as the mean of exp(-integral of r), integrated by the
trapezoid rule on the monthly grid - run these ways:

* ustsim: ``scenarios/vasicek.yaml`` through the engine's ``simulate()`` (kernel and driver,
  full records of the recorded dates; every shock but the short rate's is off);
* ustsim whole run: the same scenario through ``engine.run`` (simulation, streaming summaries
  over every path, metrics), as a user runs it;
* numpy: ten lines of plain vectorised numpy (exact OU steps for all paths at once, one thread);
* bare generator: only the workload's normals, PCG64 in nogil numba loops on the same threads
  (no model, no price): the ceiling of any simulation of it;
* QuantLib: ``OrnsteinUhlenbeckProcess`` paths from ``GaussianPathGenerator`` (Python loop over
  paths, as QuantLib's Python users do);
* pyesg: ``OrnsteinUhlenbeckProcess.scenarios`` (numpy-vectorised).

Each reports its price, error against the closed form, and path-steps per second. The timing
covers generating the paths and pricing; model set-up (and compilation) is excluded for all.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from . import catalog
from .core.sampling import stream

A, B, SIGMA, R0 = 0.1, 0.04, 0.01, 0.03
VASICEK = os.path.join(catalog.LIBRARY_DIR, "vasicek.yaml")


@njit(cache=True, nogil=True)
def _draw_normals(rng, n):
    s = 0.0
    for _ in range(n):
        s += rng.standard_normal()
    return s


def bare_generator_speed(n_normals: int, threads: int) -> float:
    """Normals per second drawn by PCG64 generators in nogil numba loops on ``threads`` threads."""
    n_blocks = max(threads * 8, 1)
    per = n_normals // n_blocks
    _draw_normals(stream(0, 0, 0), 10)
    gens = [stream(1, b, 0) for b in range(n_blocks)]
    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda g: _draw_normals(g, per), gens))
    return per * n_blocks / (time.perf_counter() - t)


def closed_form_price(T: float) -> float:
    """Vasicek zero-coupon price for maturity ``T`` years."""
    b = (1 - math.exp(-A * T)) / A
    return math.exp((B - SIGMA**2 / (2 * A**2)) * (b - T) - SIGMA**2 * b**2 / (4 * A) - b * R0)


def _trapezoid_price(paths: np.ndarray, dt: float) -> tuple[float, float]:
    """paths: (n_paths, n_steps + 1) short rates -> (price, standard error)."""
    integral = dt * (paths[:, 1:-1].sum(axis=1) + 0.5 * (paths[:, 0] + paths[:, -1]))
    df = np.exp(-integral)
    return float(df.mean()), float(df.std(ddof=1) / math.sqrt(df.size))


def run_ustsim(paths: int, steps: int, seed: int, threads: int | None = None) -> dict:
    from .core.layout import CUM_RATE
    from .driver import simulate
    from .model import build
    from .scenario import load_scenario

    sc = load_scenario(
        VASICEK,
        overrides=[
            f"simulation.paths={paths}",
            f"simulation.horizon={steps}m",
            f"simulation.record={steps}m",
            f"simulation.seed={seed}",
        ],
    )
    model = build(sc)
    simulate(model, min(paths, 64), seed, threads=threads)  # compile / load outside the timing
    t = time.perf_counter()
    rec, _ = simulate(model, paths, seed, threads=threads)
    df = np.exp(-rec[-1, CUM_RATE])
    seconds = time.perf_counter() - t
    return {"price": float(df.mean()), "std_error": float(df.std(ddof=1) / math.sqrt(df.size)), "seconds": seconds}


def run_numpy(paths: int, steps: int, seed: int) -> dict:
    """Plain vectorised numpy, one thread: the exact OU step for all paths at once, the
    trapezoid integral, the mean discount factor (what a user writes in ten lines)."""
    dt = 1.0 / 12
    decay = math.exp(-A * dt)
    sd = SIGMA * math.sqrt((1.0 - decay * decay) / (2.0 * A))
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    r = np.full(paths, R0)
    integral = 0.5 * dt * r
    for _ in range(steps):
        r = B + (r - B) * decay + sd * rng.standard_normal(paths)
        integral += dt * r
    integral -= 0.5 * dt * r
    df = np.exp(-integral)
    seconds = time.perf_counter() - t
    return {"price": float(df.mean()), "std_error": float(df.std(ddof=1) / math.sqrt(paths)), "seconds": seconds}


def run_ustsim_whole(paths: int, steps: int, seed: int, threads: int | None = None) -> dict:
    """ustsim's whole run (engine.run: simulation, streaming summaries, metrics), warm; the price
    is the mean discount factor at the horizon, from the summaries over every path."""
    from .runner import run
    from .scenario import load_scenario

    over = [
        f"simulation.horizon={steps}m",
        f"simulation.record={steps}m",
        f"simulation.seed={seed}",
        "outputs.keep_paths=0",
        "outputs.charts=false",
    ]
    run(load_scenario(VASICEK, overrides=[*over, "simulation.paths=300"]), threads=threads)  # compile / load
    sc = load_scenario(VASICEK, overrides=[*over, f"simulation.paths={paths}"])
    t = time.perf_counter()
    res = run(sc, threads=threads)
    res.metrics  # noqa: B018 - the metrics are part of a run
    seconds = time.perf_counter() - t
    fan = res.fan("discount_factor")
    return {
        "price": float(fan["mean"].iloc[-1]),
        "std_error": float(fan["std"].iloc[-1] / math.sqrt(paths)),
        "seconds": seconds,
    }


def run_bare_generator(paths: int, steps: int, threads: int | None = None) -> dict:
    """The bare generator: as many PCG64 normals as the workload needs, drawn in nogil numba loops
    on the same threads and summed (no model, no price): the ceiling for any simulation of it."""
    from .driver import default_threads

    rate = bare_generator_speed(paths * steps, threads or default_threads())
    return {"price": None, "std_error": None, "seconds": paths * steps / rate}


def run_quantlib(paths: int, steps: int, seed: int) -> dict:
    import QuantLib as ql

    process = ql.OrnsteinUhlenbeckProcess(A, SIGMA, R0, B)
    rsg = ql.GaussianRandomSequenceGenerator(ql.UniformRandomSequenceGenerator(steps, ql.UniformRandomGenerator(seed)))
    gen = ql.GaussianPathGenerator(process, steps / 12.0, steps, rsg, False)
    t = time.perf_counter()
    out = np.empty((paths, steps + 1))
    for i in range(paths):
        path = gen.next().value()
        out[i] = [path[j] for j in range(steps + 1)]
    price, se = _trapezoid_price(out, 1.0 / 12)
    return {"price": price, "std_error": se, "seconds": time.perf_counter() - t}


def run_pyesg(paths: int, steps: int, seed: int) -> dict:
    import pyesg

    process = pyesg.OrnsteinUhlenbeckProcess(mu=B, sigma=SIGMA, theta=A)
    t = time.perf_counter()
    out = process.scenarios(R0, dt=1.0 / 12, n_scenarios=paths, n_steps=steps, random_state=seed)
    price, se = _trapezoid_price(np.asarray(out), 1.0 / 12)
    return {"price": price, "std_error": se, "seconds": time.perf_counter() - t}


def run_peers(
    paths: int = 100_000,
    steps: int = 120,
    seed: int = 1,
    threads: int | None = None,
    out=None,
    json_path: str | None = None,
    markdown_path: str | None = None,
) -> dict:
    """Run the workload in each tool that is installed; print a table; save JSON/markdown."""
    out = out or sys.stdout
    exact = closed_form_price(steps / 12.0)
    rows: dict[str, dict | None] = {
        "ustsim": run_ustsim(paths, steps, seed, threads),
        "ustsim whole run": run_ustsim_whole(paths, steps, seed, threads),
        "numpy": run_numpy(paths, steps, seed),
        "bare generator": run_bare_generator(paths, steps, threads),
    }
    for name, fn in (("QuantLib", run_quantlib), ("pyesg", run_pyesg)):
        try:
            rows[name] = fn(paths, steps, seed)
        except ImportError:
            rows[name] = None
    ours = rows["ustsim"]["seconds"]  # type: ignore[index]
    for r in rows.values():
        if r is not None:
            r["error"] = r["price"] - exact if r["price"] is not None else None
            r["path_steps_per_s"] = paths * steps / r["seconds"]
            r["ustsim_speedup"] = r["seconds"] / ours
    table = [
        "| tool | price | error vs closed form | s.e. | path-steps/s | ustsim is faster by |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        if r is None:
            table.append(f'| {name} | not installed (pip install "ustsim[peers]") | | | | |')
        elif r["price"] is None:
            table.append(
                f"| {name} | (no price: normals only) | | | {r['path_steps_per_s'] / 1e6:.2f} M | "
                f"{r['ustsim_speedup']:.2f}x |"
            )
        else:
            table.append(
                f"| {name} | {r['price']:.6f} | {r['error']:+.2e} | {r['std_error']:.1e} | "
                f"{r['path_steps_per_s'] / 1e6:.2f} M | {r['ustsim_speedup']:.2f}x |"
            )
    head = (
        f"Vasicek a={A}, b={B:.0%}, sigma={SIGMA:.0%}, r0={R0:.0%}: {paths:,} paths x {steps} monthly steps, "
        f"{steps / 12:g}y zero-coupon price (closed form {exact:.6f})"
    )
    print(head + "\n" + "\n".join(table), file=out)
    result = {"workload": head, "closed_form": exact, "paths": paths, "steps": steps, "results": rows}
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(result, fh, indent=1)
    if markdown_path:
        with open(markdown_path, "w") as fh:
            fh.write(head + "\n\n" + "\n".join(table) + "\n")
    return result
