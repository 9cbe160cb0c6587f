"""Inputs that used to run away, exhaust the machine or end in an internal error: each now gives
one clear line and exit status 2 before any work starts, and writes nothing."""

import io
import os

import pytest
from conftest import BASELINE, SCENARIOS, write

from engine.cli import main

CBO = os.path.join(SCENARIOS, "cbo_2025.yaml")


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), stdout=out, stderr=err)
    return rc, err.getvalue().strip().splitlines()


def one_line(rc, lines, *fragments):
    assert rc == 2, lines
    assert len(lines) == 1, lines
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.parametrize(
    "override,fragment",
    [
        ("term_premium.vol=1e300%/sqrt(yr)", "term_premium.vol: '1e300%/sqrt(yr)' is implausible"),
        ("term_premium.vol=1e300%/sqrt(yr)", "expected a value at most 50%/sqrt(yr)"),
        ("policy.inflation_response=1.0e+300", "expected a number between -1000 and 1000"),
        ("supply.duration_sensitivity=1000%", "expected a value at most 100%"),
        ("treasury.debt=1e308tn", "expected a value at most 1000tn"),
        ("term_premium.jump_intensity=1e7/yr", "expected a value at most 1000/yr"),
        ("simulation.paths=1000000000000", "expected a whole number between 1 and 1e+09"),
        ("simulation.max_memory=0GB", "expected a value above 0TB"),
        ("simulation.max_memory=-1GB", "expected a value above 0TB"),
        ("simulation.start=9999-06-01", "expected a start between 1900-01-01 and 2200-12-31"),
        ("simulation.start=0001-01-01", "expected a start between 1900-01-01 and 2200-12-31"),
        ("simulation.start=2025-02-30", "simulation.start: cannot read value: day is out of range for month"),
        ("simulation.horizon=1000000y", "expected a value at most 200 years"),
        ("simulation.record=123456789y", "simulation.record: '123456789y' is implausible"),
        ("initial.curve={}", "initial.curve: is empty"),
        ("term_premium.jump_intensity=500/yr", "41.7 jumps per path in each step of 1m; expected at most 10"),
    ],
)
def test_values_only_a_typing_mistake_could_give_are_refused_naming_the_bound(override, fragment, tmp_path):
    extra = ["--set", "treasury.enabled=true"] if override.startswith(("treasury", "supply")) else []
    rc, lines = cli("run", BASELINE, "--set", override, *extra, "--out", str(tmp_path / "o"))
    one_line(rc, lines, fragment)
    assert os.listdir(tmp_path) == []


def test_validate_refuses_what_run_refuses():
    """Quasi-random dimensions past the Sobol limit used to pass validate and fail in run."""
    args = ["--set", "simulation.quasi_random=true", "--set", "simulation.step=1d", "--horizon", "30y"]
    rc, lines = cli("validate", BASELINE, *args)
    one_line(rc, lines, "simulation.quasi_random: needs steps x Gaussian shocks <= 21201 Sobol dimensions")


def test_validate_refuses_a_run_over_its_memory_limit(tmp_path):
    """validate builds the model and checks the memory estimate as run does."""
    for cmd in (["validate"], ["run", "--out", str(tmp_path / "o")]):
        rc, lines = cli(cmd[0], BASELINE, "--set", "simulation.max_memory=1MB", *cmd[1:])
        one_line(rc, lines, "over the limit of 976.6 KiB")
    assert os.listdir(tmp_path) == []


def test_a_path_that_goes_non_finite_stops_the_run_and_says_where(tmp_path):
    rc, lines = cli(
        "run",
        CBO,
        "--quiet",
        "--paths",
        "300",
        "--horizon",
        "3y",
        "--set",
        "supply.duration_sensitivity=100%",
        "--set",
        "supply.deficit_sensitivity=100%",
        "--out",
        str(tmp_path / "o"),
    )
    one_line(
        rc,
        lines,
        "cbo_2025.yaml: the run stopped: on path ",
        "(seed 20251231)",
        " is NaN on 20",
        "supply.deficit_sensitivity = 100% (default 0bp)",
        "nothing was written",
    )
    assert os.listdir(tmp_path) == []


BOMB = "name: x\na: &a [l, l, l, l, l, l, l, l, l]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)


def test_an_alias_bomb_in_a_file_is_refused(tmp_path):
    assert len(BOMB) < 600
    rc, lines = cli("validate", write(tmp_path, "bomb.yaml", BOMB))
    one_line(rc, lines, "bomb.yaml:", "holds more than 200,000 values once its aliases are expanded")


def test_an_alias_bomb_in_a_set_value_is_refused():
    value = "[" + ", ".join(line.split(": ", 1)[1] for line in BOMB.splitlines()[1:]) + "]"
    rc, lines = cli("validate", BASELINE, "--set", f"name={value}")
    one_line(rc, lines, "command line (--set): name: holds more than 200,000 values")


def test_extends_reads_only_regular_files(tmp_path):
    rc, lines = cli("validate", write(tmp_path, "a.yaml", "extends: /dev/zero\nname: a\n"))
    one_line(rc, lines, "a.yaml:1: extends: '/dev/zero' is not a regular file")


def test_a_huge_file_is_refused_unread(tmp_path):
    rc, lines = cli("validate", write(tmp_path, "big.yaml", "name: x\n" + "# padding\n" * 200_000))
    one_line(rc, lines, "big.yaml: is longer than 1,000,000 characters")


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 900)), "is nested too deeply to read"),
        ("a: " + "[" * 80 + "]" * 80 + "\n", "is nested more than 50 levels deep"),
        ("name: a\x00b\n", ":1: not valid YAML: character U+0000 is not allowed"),
        ("name: ok\ndescription: a\x07b\n", ":2: not valid YAML: character U+0007 is not allowed"),
    ],
    ids=["deep block nesting", "deep flow nesting", "NUL", "control character"],
)
def test_unreadable_text_is_one_line(tmp_path, text, fragment):
    rc, lines = cli("validate", write(tmp_path, "x.yaml", text))
    one_line(rc, lines, fragment)


def test_threads_must_be_a_positive_count(tmp_path):
    rc, lines = cli("run", BASELINE, "--threads", "-1", "--out", str(tmp_path / "o"))
    one_line(rc, lines, "threads: -1 is not a number of threads; expected 1 to 1024")
    assert os.listdir(tmp_path) == []


def test_a_list_given_by_set_is_reported_at_the_command_line_not_at_the_file_line_it_replaced():
    rc, lines = cli("validate", BASELINE, "--set", "outputs.tenors=[0d]")
    one_line(rc, lines, "command line (--set): outputs.tenors[0]: '0d' must be a positive length of time")


def test_a_curve_that_cannot_be_computed_stops_before_any_path(monkeypatch, tmp_path):
    import numpy as np

    from engine.blocks import curve

    real = curve.expectation_coefficients
    monkeypatch.setattr(curve, "expectation_coefficients", lambda *a: tuple(x * np.nan for x in real(*a)))
    rc, lines = cli("run", BASELINE, "--quiet", "--set", "macro.gap_speed=50/yr", "--out", str(tmp_path / "o"))
    one_line(
        rc,
        lines,
        "the expected path of the policy rate and inflation (the curve) is not finite",
        "macro.gap_speed = 50/yr (default 0.077/yr)",
        "nothing was run",
    )
    assert os.listdir(tmp_path) == []


def test_a_record_interval_longer_than_the_horizon_records_the_start_and_the_horizon():
    import engine

    sc = engine.load_scenario(
        BASELINE, overrides=["simulation.start=2200-01-01", "simulation.horizon=1y", "simulation.record=200y"]
    )
    cal = sc.calendar()
    assert list(cal.record_points) == [0, cal.n_steps]
