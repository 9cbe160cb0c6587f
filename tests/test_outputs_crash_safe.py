"""Outputs survive crashes: a run killed at any point while writing (SIGKILL, no clean-up)
leaves the previous complete output in place, or the new complete one, never a missing or
partial folder; the next run clears what the killed one left; the destination is checked before
the simulation starts (a path through a file, a folder that cannot be written, a full disk), and
an error while writing is one line with exit status 2."""

import io
import os
import subprocess
import sys

import pytest
from conftest import BASELINE, ROOT

from engine import outdir
from engine.cli import main

SMALL = ["--paths", "300", "--horizon", "1y", "--quiet", "--no-charts"]

CHILD = r"""
import os, signal, sys
from engine import outdir
out, stage = sys.argv[1], sys.argv[2]
def kill():
    os.kill(os.getpid(), signal.SIGKILL)
def fill(folder):
    with open(os.path.join(folder, "fans.csv"), "w") as fh:
        fh.write("half")
    if stage == "while writing":
        kill()
    with open(os.path.join(folder, "metrics.json"), "w") as fh:
        fh.write("{}")
if stage == "before the switch":
    os.replace = lambda *a: kill()
if stage == "after the switch":
    outdir._remove = lambda path: kill()
outdir.write(out, fill)
"""


def cli(*args):
    err = io.StringIO()
    return main(list(args), stdout=io.StringIO(), stderr=err), err.getvalue()


def complete(out) -> set:
    names = set(os.listdir(out))
    assert outdir.MARKER in names, names
    return names - {outdir.MARKER}


@pytest.mark.parametrize("stage", ["while writing", "before the switch", "after the switch"])
def test_a_run_killed_while_writing_leaves_a_complete_output(tmp_path, stage):
    out = tmp_path / "o"
    assert cli("run", BASELINE, *SMALL, "--out", str(out))[0] == 0
    before = complete(out)
    killed = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), stage], cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT)
    )
    assert killed.returncode == -9
    if stage == "after the switch":
        assert complete(out) == {"fans.csv", "metrics.json"}  # the new output, complete
    else:
        assert complete(out) == before  # the previous output, untouched
    assert cli("run", BASELINE, *SMALL, "--out", str(out))[0] == 0
    assert complete(out) == before
    assert sorted(os.listdir(tmp_path)) == sorted(["o", os.readlink(out)])  # the leftovers are gone


def test_an_output_of_an_earlier_release_is_replaced_and_recovered_if_a_kill_interrupts(tmp_path):
    legacy = tmp_path / "o"
    legacy.mkdir()
    (legacy / outdir.MARKER).write_text("")
    (legacy / "fans.csv").write_text("old")
    aside = tmp_path / ".o.ustsim-aside-x"
    aside.mkdir()
    os.rename(legacy, aside / "x")  # as a run killed between moving it aside and the switch left it
    outdir.write(str(legacy), lambda folder: (tmp_path / folder / "fans.csv").write_text("new"))
    assert (legacy / "fans.csv").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == sorted(["o", os.readlink(legacy)])


def _refused_before_running(monkeypatch, *args):
    from engine import driver

    def must_not_run(*a, **k):
        raise AssertionError("the simulation started")

    monkeypatch.setattr(driver, "summarise", must_not_run)
    rc, err = cli("run", BASELINE, *SMALL, *args)
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_an_out_path_through_a_file_is_refused_before_running(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("a file")
    err = _refused_before_running(monkeypatch, "--out", str(tmp_path / "f" / "o"))
    assert f"{tmp_path / 'f'} is a file, not a folder" in err


def test_an_out_folder_that_cannot_be_written_is_refused_before_running(monkeypatch):
    err = _refused_before_running(monkeypatch, "--out", "/proc/ustsim-out")
    assert "/proc/ustsim-out: cannot write in /proc" in err


def test_a_full_disk_is_refused_before_running(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    err = _refused_before_running(monkeypatch, "--out", str(tmp_path / "o"))
    assert "the outputs need about" in err and "MiB free" in err
    assert os.listdir(tmp_path) == []


def test_an_error_while_writing_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    from engine import report

    def full(results, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "_charts", full)
    rc, err = cli("run", BASELINE, "--paths", "300", "--horizon", "1y", "--quiet", "--out", str(tmp_path / "o"))
    assert (
        rc == 2
        and err.strip() == f"{tmp_path / 'o'}: cannot write the outputs (No space left on device); nothing was written"
    )
    assert os.listdir(tmp_path) == []


def test_the_output_folder_takes_the_usual_permissions(tmp_path):
    """The version folder is made private by mkdtemp; it is opened to the umask's usual mode so
    that others can read the outputs as they could any folder the user makes."""
    old = os.umask(0o022)
    try:
        outdir.write(str(tmp_path / "out"), lambda folder: open(os.path.join(folder, "a.txt"), "w").close())
    finally:
        os.umask(old)
    assert os.stat(os.path.realpath(tmp_path / "out")).st_mode & 0o777 == 0o755
