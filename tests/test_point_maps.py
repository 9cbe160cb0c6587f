"""Point maps (a tenor, bucket or date -> value map: ``initial.curve``, ``term_premium.loadings``,
the maturity mixes, the dated fiscal paths) replace the inherited map as a whole when a child file
or ``--set`` gives one; sections still merge key by key (docs/design.md, "Point maps replace")."""

from __future__ import annotations

import os

from conftest import BASELINE, SCENARIOS

import engine
from engine.scenario import POINT_MAPS

CHILD = """extends: {base}
initial:
  curve: {{2y: 1.60%, 10y: 4.00%}}   # a 2003 start: no 30y close (DGS30 was discontinued 2002-2006)
  fed_funds: 1.25%
simulation:
  start: 2003-01-02
  horizon: 1y
  paths: 256
"""


def _child(tmp_path) -> str:
    p = tmp_path / "start_2003.yaml"
    p.write_text(CHILD.format(base=BASELINE))
    return str(p)


def test_the_schema_names_its_point_maps():
    assert {("initial", "curve"), ("term_premium", "loadings"), ("treasury", "issuance", "mix")} <= POINT_MAPS
    assert ("initial",) not in POINT_MAPS and ("term_premium",) not in POINT_MAPS


def test_a_child_file_replaces_the_inherited_curve(tmp_path):
    base = engine.load_scenario(BASELINE)
    assert "30y" in base.initial.curve
    sc = engine.load_scenario(_child(tmp_path))
    assert list(sc.initial.curve) == ["2y", "10y"]
    assert [str(v) for v in sc.initial.curve.values()] == ["1.60%", "4.00%"]
    # the rest of the section still merges: the baseline's other initial keys are inherited
    assert sc.initial.inflation == base.initial.inflation and str(sc.initial.fed_funds) == "1.25%"
    assert sc.simulation.seed == base.simulation.seed and sc.simulation.step == base.simulation.step
    res = engine.run(sc)
    assert set(res.model.fit) == {"2y", "10y"}
    for obs, fitted in res.model.fit.values():
        assert abs(obs - fitted) < 1e-4  # two points, fitted with the term premium and the base's fit_also


def test_set_replaces_the_curve_and_can_still_set_one_point():
    sc = engine.load_scenario(BASELINE, overrides=["initial.curve={2y: 1%, 10y: 2%}"])
    assert {k: str(v) for k, v in sc.initial.curve.items()} == {"2y": "1%", "10y": "2%"}
    sc = engine.load_scenario(BASELINE, overrides=["initial.curve.5y=4%"])
    assert {"2y", "5y", "10y", "30y"} <= set(sc.initial.curve)


def test_sections_still_merge_and_shipped_scenarios_resolve_as_before(tmp_path):
    p = tmp_path / "child.yaml"
    p.write_text(f"extends: {BASELINE}\nterm_premium: {{vol: 1%/sqrt(yr)}}\n")
    sc, base = engine.load_scenario(str(p)), engine.load_scenario(BASELINE)
    assert str(sc.term_premium.vol) == "1%/sqrt(yr)" and sc.term_premium.mean == base.term_premium.mean
    # every shipped scenario still loads (their resolved digests were compared by hand before and after
    # the change, commit efc5ad1: all equal)
    for name in sorted(os.listdir(SCENARIOS)):
        if name.endswith(".yaml"):
            engine.load_scenario(os.path.join(SCENARIOS, name))
