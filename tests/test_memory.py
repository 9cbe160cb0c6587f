"""The memory estimate printed before a run is an honest upper bound of the run's peak resident
memory (measured in a child process that reports its own peak RSS, VmHWM: getrusage's
ru_maxrss would include the parent's peak), and not a wild one."""

import json
import subprocess
import sys

from conftest import BASELINE, ROOT

CHILD = """
import io, json, sys
from engine.cli import main
from engine.memory import peak_rss_bytes
err = io.StringIO()
rc = main(sys.argv[1:], stdout=io.StringIO(), stderr=err)
print(json.dumps({"rc": rc, "err": err.getvalue(), "peak_bytes": peak_rss_bytes()}))
"""


def test_memory_estimate_bounds_peak_rss(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "run", BASELINE, "--paths", "20000", "--out", str(tmp_path / "o")],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    r = json.loads(out.strip().splitlines()[-1])
    assert r["rc"] == 0, r["err"]
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    estimate = metrics["run"]["memory_estimate_bytes"]
    peak = r["peak_bytes"]
    assert peak <= estimate <= 1.5 * peak, (peak / 2**20, estimate / 2**20)
