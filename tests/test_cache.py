"""Compiled kernels are cached on disk: a second process running the same scenario loads every
kernel from the cache instead of compiling it; a core scenario never touches the fiscal kernel."""
import json
import os
import subprocess
import sys

from conftest import BASELINE, ROOT

CHILD = """
import json, sys
import engine
from engine import kernel
from engine.blocks import fiscal
engine.run(engine.load_scenario(sys.argv[1], overrides=["simulation.paths=300", "simulation.horizon=1y"]))
stats = {f.__name__: (sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))
         for f in (kernel.simulate_block, kernel._curve_point, kernel.simulate_block_fiscal, fiscal.step)}
print(json.dumps(stats))
"""


def _run(cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", CHILD, BASELINE], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_second_run_loads_compiled_kernels_from_cache(tmp_path):
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert first["simulate_block"][1] >= 1, first  # compiled (and written to the cache)
    assert second["simulate_block"] == [1, 0], second  # loaded from the cache, not compiled
    assert second["_curve_point"][1] == 0, second  # nothing it calls was compiled either
    # the core model's run neither compiles nor loads the fiscal kernel (its own kernel, so the
    # first run of a core scenario does not pay for the Treasury/Fed blocks' compile)
    assert first["simulate_block_fiscal"] == first["step"] == [0, 0], first
