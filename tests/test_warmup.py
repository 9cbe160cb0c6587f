"""The first run after an install compiles the streaming reduction in a second process
(engine/warmup.py): the child fills numba's cache with the reduction a run then loads."""

import os
import subprocess
import sys

from engine import warmup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_cold_cache_starts_the_child_and_it_caches_the_reduction(tmp_path):
    code = (
        "from engine import warmup\n"
        "assert not warmup.reduction_cached()\n"
        "assert warmup.start_if_cold()\n"
        "assert not warmup.start_if_cold()  # one child at a time\n"
        "assert warmup._children[0].wait(timeout=240) == 0\n"
        "assert warmup.reduction_cached()\n"
        "assert not warmup.start_if_cold()  # cached now: no child\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), USTSIM_NO_WARMUP="0")
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=300)
    assert any(n.startswith("reduction.reduce_group-") for _, _, names in os.walk(tmp_path) for n in names)


def test_no_child_when_switched_off(monkeypatch):
    monkeypatch.setenv("USTSIM_NO_WARMUP", "1")
    assert not warmup.start_if_cold()


def test_the_child_s_work_runs_in_process():
    warmup.main()  # the compiled functions are cached by now; this checks the code path itself
    assert warmup.reduction_cached()
