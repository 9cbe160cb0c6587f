"""The scenario library installs with the package: every shipped scenario is found by name from
any directory (``ustsim run baseline``, ``extends: baseline``), ``ustsim scenarios`` lists them,
and the installed copy is the repository's ``scenarios/`` (CI installs the package from a wheel,
not in editable mode, so there the installed distribution's files are compared)."""

import io
import os
import sysconfig
import tomllib

import pytest
from conftest import ROOT, SCENARIOS

from engine import catalog
from engine.cli import main


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


def test_the_library_lists_the_repository_scenarios_folder():
    shipped = sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".yaml"))
    assert [n + ".yaml" for n in catalog.names()] == shipped
    for f in shipped:
        with open(os.path.join(SCENARIOS, f), "rb") as a, open(os.path.join(catalog.LIBRARY_DIR, f), "rb") as b:
            assert a.read() == b.read(), f


def test_the_installed_distribution_carries_the_scenarios_folder():
    """The installed package's ``engine/library`` holds exactly the repository's scenarios
    (``python -m pytest`` imports ``engine`` from the source tree, so this reads the copy pip put
    in site-packages, not the imported one)."""
    installed = os.path.join(sysconfig.get_paths()["purelib"], "engine", "library")
    if not os.path.isdir(installed):
        pytest.skip(f"no installed copy at {installed} (an editable install imports scenarios/ itself)")
    shipped = sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".yaml"))
    assert sorted(f for f in os.listdir(installed) if f.endswith(".yaml")) == shipped
    for f in shipped:
        with open(os.path.join(SCENARIOS, f), "rb") as a, open(os.path.join(installed, f), "rb") as b:
            assert a.read() == b.read(), f


def test_every_engine_package_is_installed():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        listed = set(tomllib.load(fh)["tool"]["setuptools"]["packages"])
    found = {
        os.path.relpath(d, ROOT).replace(os.sep, ".")
        for d, _, files in os.walk(os.path.join(ROOT, "engine"))
        if "__init__.py" in files
    }
    assert found | {"engine.library"} == listed


def test_a_library_scenario_runs_by_name_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, _, err = cli("validate", "baseline")
    assert rc == 0, err
    rc, _, err = cli("run", "vasicek", "--paths", "256", "--horizon", "1y", "--quiet", "--out", "out")
    assert rc == 0, err
    assert os.path.isfile(tmp_path / "out" / "metrics.json")


def test_a_user_file_extends_a_library_scenario_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("extends: baseline\nname: mine\nsimulation: {paths: 300}\n")
    rc, out, err = cli("validate", "mine.yaml")
    assert rc == 0 and "mine: 300 paths, 10y in steps of 1m" in out, err
    # a file of that name beside the user's file wins over the library
    (tmp_path / "baseline.yaml").write_text("extends: vasicek\nname: local\n")
    (tmp_path / "mine.yaml").write_text("extends: baseline\nsimulation: {paths: 300}\n")
    rc, out, err = cli("validate", "mine.yaml")
    assert rc == 0 and "(local: 300 paths" in out, (out, err)


def test_an_unknown_name_says_where_to_look(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("extends: baselin\n")
    rc, _, err = cli("validate", "mine.yaml")
    assert rc == 2 and "or the name of a library scenario (ustsim scenarios)" in err


def test_scenarios_lists_the_library_one_line_each():
    rc, out, _ = cli("scenarios")
    lines = out.strip().splitlines()
    assert rc == 0 and len(lines) == len(catalog.names())
    by_name = {ln.split()[0]: ln for ln in lines}
    assert "2020-03-06 -> 2020-05-01 by 1d" in by_name["dash_for_cash_2020"]
    assert "core+basis_trade, 14 events" in by_name["dash_for_cash_2020"]
    assert "core+stablecoins" in by_name["stablecoin_growth"]


def test_a_closed_pipe_is_not_an_error():
    import subprocess
    import sys

    code = "import sys; from engine.cli import main; sys.exit(main(['scenarios']))"
    for _ in range(5):  # whether the pipe closes before the write is a race: try a few times
        proc = subprocess.run(
            f'{sys.executable} -c "{code}" | head -1', shell=True, capture_output=True, text=True, timeout=120
        )
        assert proc.stdout.startswith("baseline") and "internal error" not in proc.stderr, proc.stderr
