"""Same scenario + seed -> bit-identical results whatever the threads or chunking; other seeds differ."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, ROOT

import engine

# the pilot (8,192 paths) and two more units, the last one ending in a partial block
SMALL = ["simulation.paths=13000", "simulation.horizon=3y", "simulation.seed=42"]


def run(overrides=(), threads=None):
    return engine.run(engine.load_scenario(BASELINE, overrides=SMALL + list(overrides)), threads=threads)


def same(a, b):
    """Kept paths, every fan and every metric identical (run facts such as timings, and the
    scenario's own record, which holds the chunk size, aside)."""
    ma, mb = dict(a.metrics), dict(b.metrics)
    for k in ("run", "scenario", "scenario_digest", "scenario_overrides"):
        ma.pop(k), mb.pop(k)
    return (
        np.array_equal(a.records, b.records)
        and np.array_equal(a.path_metrics, b.path_metrics, equal_nan=True)
        and a.fans.equals(b.fans)
        and ma == mb
    )


def test_one_or_two_threads_give_identical_results():
    assert same(run(threads=1), run(threads=2))


@pytest.mark.parametrize("chunk", [1, 4096, 5000, 100000])
def test_chunk_size_does_not_change_results(chunk):
    assert same(run(), run([f"simulation.chunk_paths={chunk}"]))


def test_different_seeds_differ_and_same_seed_repeats():
    a, b, c = run(), run(["simulation.seed=43"]), run()
    assert same(a, c)
    assert not np.array_equal(a.records, b.records)


def test_more_paths_keep_the_full_blocks_of_a_smaller_run():
    """Each block of 256 paths has its own stream, so a bigger run repeats a smaller one's full
    blocks (a partial last block draws its normals for fewer paths, so it differs)."""
    from engine.core.layout import BLOCK_PATHS

    small, big = run(["outputs.keep_paths=13000"]), run(["simulation.paths=15000", "outputs.keep_paths=15000"])
    full = (13000 // BLOCK_PATHS) * BLOCK_PATHS
    assert np.array_equal(small.records[:, :, :full], big.records[:, :, :full])
    assert not np.array_equal(small.records[:, :, full:13000], big.records[:, :, full:13000])


def _cli_run(tmp_path, name, threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = tmp_path / name
    subprocess.run(
        [sys.executable, "-m", "engine.cli", "run", BASELINE, "--quiet", "--no-charts", "--out", str(out)]
        + [a for o in SMALL for a in ("--set", o)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    threads_used = metrics.pop("run")["threads"]
    return pd.read_parquet(out / "fans.parquet"), metrics, threads_used, (out / "scenario.resolved.yaml").read_text()


def test_numba_num_threads_1_and_2_give_identical_files(tmp_path):
    f1, m1, t1, y1 = _cli_run(tmp_path, "t1", 1)
    f2, m2, t2, y2 = _cli_run(tmp_path, "t2", 2)
    assert (t1, t2) == (1, 2)
    pd.testing.assert_frame_equal(f1, f2, check_exact=True)
    assert m1 == m2 and y1 == y2
