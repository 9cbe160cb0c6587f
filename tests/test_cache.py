"""Compiled kernels are cached on disk: a second process running the same scenario loads every
kernel from the cache instead of compiling it; a core scenario never compiles the fiscal blocks
(the kernel's specialisation without them); an edit to a block module (not to the kernel's own
file) recompiles the kernel that inlines it."""

import json
import os
import shutil
import subprocess
import sys

from conftest import BASELINE, ROOT

CHILD = """
import json, sys
import engine
from engine import kernel
engine.run(engine.load_scenario(sys.argv[1], overrides=["simulation.paths=300", "simulation.horizon=1y"]))
stats = {f.__name__: (sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))
         for f in (kernel.simulate_block, kernel._curve_point, kernel._step_fiscal)}
print(json.dumps(stats))
"""


def _run(cache_dir, code_dir=ROOT):
    """Run CHILD in a fresh process importing ``engine`` from ``code_dir``; its cache statistics."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(code_dir))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, BASELINE], env=env, cwd=code_dir, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_kernels_are_stamped_with_the_whole_engine_source():
    from engine import _jitcache, kernel
    from engine.blocks import treasury

    for f in (kernel.simulate_block, kernel._step_fiscal, treasury.finance):
        locator = f._cache._impl._locator
        assert isinstance(locator, _jitcache.LOCATORS), type(locator)
        assert locator.get_source_stamp() == _jitcache.source_stamp()


def test_second_run_loads_compiled_kernels_from_cache(tmp_path):
    code = tmp_path / "code"  # a copy of the checkout, so that the test can edit a block module
    shutil.copytree(
        os.path.join(ROOT, "engine"), code / "engine", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    )
    shutil.copytree(os.path.join(ROOT, "scenarios"), code / "scenarios")  # the library, as in a checkout
    cache = tmp_path / "cache"
    first = _run(cache, code)
    second = _run(cache, code)
    assert first["simulate_block"][1] >= 1, first  # compiled (and written to the cache)
    assert second["simulate_block"] == [1, 0], second  # loaded from the cache, not compiled
    assert second["_curve_point"][1] == 0, second  # nothing it calls was compiled either
    # the core model's run neither compiles nor loads the fiscal blocks' step (numba specialises the
    # kernel on fiscal=None, so the first run of a core scenario does not pay for their compile)
    assert first["_step_fiscal"] == [0, 0], first
    # numba alone stamps a cached function with its own file only: an edit to the macro block,
    # which simulate_block inlines from another file, would leave the old kernel in use
    with open(code / "engine" / "blocks" / "macro.py", "a") as fh:
        fh.write("\n# an edit\n")
    third = _run(cache, code)
    assert third["simulate_block"][1] >= 1, third  # recompiled
