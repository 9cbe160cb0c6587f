"""Ctrl-C (SIGINT) and SIGTERM are honoured within about a second in every phase of a run
(the pilot, the chunks and their reduction), and leave nothing on disk: every worker stops at
its next block of 256 paths."""

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import BASELINE, ROOT

LONG = ["--paths", "3000000", "--horizon", "30y"]


def interrupt(sig, wait_for: str, args: list[str], tmp_path) -> tuple[int, float, str]:
    out = tmp_path / "o"
    p = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "run", BASELINE, *args, "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    seen = ""
    while wait_for not in seen:
        ch = p.stderr.read(1)
        assert ch, seen
        seen += ch
    time.sleep(0.5)
    t = time.perf_counter()
    p.send_signal(sig)
    rest = p.stderr.read()
    p.wait()
    assert os.listdir(tmp_path) == []  # nothing written, no leftovers
    return p.returncode, time.perf_counter() - t, rest


@pytest.mark.parametrize("sig,rc", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_chunks_run_stops_the_run_at_once(sig, rc, tmp_path):
    # the progress bar shows once the pilot is done and chunks are running
    code, seconds, rest = interrupt(sig, " paths ", LONG, tmp_path)
    assert code == rc and "interrupted; nothing was written" in rest
    assert seconds < 3.0, seconds  # about a second (a block of paths, and the interpreter's exit)


def test_a_signal_during_the_pilot_stops_the_run_at_once(tmp_path):
    daily = ["--paths", "200000", "--horizon", "30y", "--set", "simulation.step=1d", "--set", "simulation.record=1m"]
    code, seconds, rest = interrupt(signal.SIGINT, "memory needed", daily, tmp_path)
    assert code == 130 and "interrupted; nothing was written" in rest
    assert seconds < 3.0, seconds


def test_an_interrupt_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import io

    from engine import report
    from engine.cli import main

    def interrupted(results, folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "_charts", interrupted)
    err = io.StringIO()
    rc = main(
        ["run", BASELINE, "--paths", "300", "--horizon", "1y", "--quiet", "--out", str(tmp_path / "o")],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert rc == 130 and err.getvalue().strip() == "interrupted; nothing was written"
    assert os.listdir(tmp_path) == []
