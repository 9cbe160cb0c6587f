"""``ustsim bench --scaling``: throughput and peak memory against paths, steps, threads and Dask
workers, for the baseline model.

Every point runs in a fresh child process that runs the baseline (monthly steps, full recording)
through the streaming driver (``driver.summarise``: the pilot, then every path simulated and
reduced into the bounded-memory summary, merged in order) and reports its wall time and its own
peak resident memory, so each figure is what a user's run pays for its size. Excluded from the
clock: compiling or loading the cached kernels (a small warm-up run first, also on the cluster's
workers; see the cold/warm figures of ``ustsim bench``), starting a Dask cluster, and writing
files. With Dask the measured process also hosts the scheduler, which the run's memory estimate
does not cover. Points whose memory estimate exceeds the limit are skipped and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from . import catalog

CHILD = r"""
import json, sys, time
spec = json.loads(sys.argv[1])
from engine.scenario import load_scenario
from engine.model import build
from engine import driver, memory
from engine.reduction import PILOT_PATHS
grid = ["simulation.step=1m", "simulation.record=1m"]
sc = load_scenario(spec["scenario"], overrides=[f"simulation.paths={spec['paths']}",
                   f"simulation.horizon={spec['steps']}m", *grid])
model = build(sc)
keep = sc.outputs.keep_paths
need, limit = memory.memory_estimate(model, spec["paths"], spec["threads"], keep), 0.8 * memory.available_memory()
if need > limit:
    print(json.dumps({"skipped": f"needs ~{need / 2**30:.1f} GiB of {limit / 2**30:.1f} GiB"}))
    sys.exit(0)
client = cluster = None
if spec["dask"]:
    from engine.dask_backend import connect
    client, cluster = connect(f"local:{spec['dask']}")
# load the cached kernels first, here and on every worker (two chunks past the pilot)
warm = build(load_scenario(spec["scenario"], overrides=["simulation.horizon=2m", *grid]))
driver.summarise(warm, PILOT_PATHS + 8192, sc.seed, threads=spec["threads"], client=client, chunk_paths=4096)
t = time.perf_counter()
driver.summarise(model, spec["paths"], sc.seed, threads=spec["threads"], client=client, keep=keep)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_rss_bytes": memory.peak_rss_bytes(), "memory_estimate_bytes": need}),
      flush=True)
if client is not None:
    from engine.dask_backend import close
    close(client, cluster)
"""

POINT_TIMEOUT_S = {True: 180, False: 900}  # quick / full: a point that takes longer has hung

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(catalog.LIBRARY_DIR, "baseline.yaml")


def _point(paths: int, steps: int, threads: int, dask: int = 0, scenario: str = BASELINE, quick: bool = True) -> dict:
    spec = {"paths": paths, "steps": steps, "threads": threads, "dask": dask, "scenario": scenario}
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=POINT_TIMEOUT_S[quick],
    ).stdout
    row = {**spec, **json.loads(out.strip().splitlines()[-1])}
    row.pop("scenario")
    if "seconds" in row:
        row["path_steps_per_s"] = paths * steps / row["seconds"]
    return row


def plan(quick: bool, with_dask: bool) -> list[dict]:
    if quick:
        pts = [{"paths": p, "steps": 12, "threads": 1} for p in (256, 1024)] + [
            {"paths": 1024, "steps": 24, "threads": 2}
        ]
        # past the pilot (8,192 paths, run on the client), so the workers have chunks to run
        return pts + ([{"paths": 9216, "steps": 6, "threads": 1, "dask": 1}] if with_dask else [])
    pts = [{"paths": p, "steps": 360, "threads": 2} for p in (1_000, 10_000, 100_000, 1_000_000)]
    pts += [{"paths": 100_000, "steps": s, "threads": 2} for s in (12, 120)]
    pts += [{"paths": 100_000, "steps": 360, "threads": 1}]
    if with_dask:
        pts += [
            {"paths": 100_000, "steps": 360, "threads": 1, "dask": 1},
            {"paths": 1_000_000, "steps": 360, "threads": 1, "dask": 2},
        ]
    return pts


def run_scaling(quick: bool = False, out=None, json_path: str | None = None, markdown_path: str | None = None):
    out = out or sys.stdout
    try:
        import distributed  # noqa: F401

        with_dask = True
    except ImportError:
        with_dask = False
    _point(64, 2, 1)  # compile (or load) the kernels once, outside the timed points
    rows = [_point(**p, quick=quick) for p in plan(quick, with_dask)]
    table = [
        "| paths | steps | threads | dask workers | path-steps/s | seconds | peak RSS | estimate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            table.append(
                f"| {r['paths']:,} | {r['steps']} | {r['threads']} | {r['dask'] or '-'} | skipped: "
                f"{r['skipped']} | | | |"
            )
        else:
            table.append(
                f"| {r['paths']:,} | {r['steps']} | {r['threads']} | {r['dask'] or '-'} | "
                f"{r['path_steps_per_s'] / 1e6:.2f} M | {r['seconds']:.2f} | "
                f"{r['peak_rss_bytes'] / 2**20:,.0f} MiB | {r['memory_estimate_bytes'] / 2**20:,.0f} MiB |"
            )
    head = "ustsim scaling: baseline model, monthly steps, full recording; one child process per point"
    print(
        head + ("  [--quick: sizes too small for meaningful figures]" if quick else "") + "\n" + "\n".join(table),
        file=out,
    )
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"rows": rows}, fh, indent=1)
    if markdown_path:
        with open(markdown_path, "w") as fh:
            fh.write(head + "\n\n" + "\n".join(table) + "\n")
    return rows
