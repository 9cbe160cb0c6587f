"""Bad scenario inputs: exit status 2, one clear line per problem naming file, line and key,
and nothing written to the output folder."""

import io
import os
import re

import pytest
from conftest import BASELINE, write

from engine.cli import main

BASE_REL = os.path.relpath(BASELINE)


def scenario(body: str) -> str:
    return f"extends: {os.path.abspath(BASELINE)}\n" + body


# (name, yaml text, line, key, fragment of the message)
CASES = [
    ("missing unit", "policy:\n  shock_vol: 0.5\n", 3, "policy.shock_vol", "'0.5' has no unit; write 0.5%/sqrt(yr)"),
    ("unknown key", "policy:\n  shok_vol: 0.5%/sqrt(yr)\n", 3, "policy.shok_vol", "did you mean 'shock_vol'"),
    ("wrong type", "simulation:\n  paths: many\n", 3, "simulation.paths", "'many' is not a whole number"),
    ("bad date", "simulation:\n  start: 2025-13-45\n", 3, "simulation.start", "cannot read value"),
    ("negative paths", "simulation:\n  paths: -5\n", 3, "simulation.paths", "-5 is out of range"),
    ("negative kept paths", "outputs:\n  keep_paths: -1\n", 3, "outputs.keep_paths", "-1 is out of range"),
    ("horizon shorter than a step", "simulation:\n  horizon: 1w\n", 3, "simulation.horizon", "shorter than one step"),
    ("record shorter than step", "simulation:\n  record: 1w\n", 3, "simulation.record", "shorter than the step"),
    ("unsupported step", "simulation:\n  step: 2d\n", 3, "simulation.step", "not a supported step"),
    (
        "python object tag",
        "name: !!python/object/apply:os.system ['echo pwned']\n",
        2,
        "name",
        "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    (
        "half-life on a level-only state",
        "events:\n  - {date: 2026-03-02, shock: inflation, size: 1%, half_life: 6m}\n",
        3,
        "events[0].half_life",
        "inflation takes level shocks only",
    ),
    (
        "unknown shock",
        "events:\n  - {date: 2026-03-02, shock: term_premum, size: 10bp}\n",
        3,
        "events[0].shock",
        "did you mean 'term_premium'",
    ),
    (
        "event outside the run",
        "events:\n  - {date: 2040-01-01, shock: term_premium, size: 10bp}\n",
        3,
        "events[0].date",
        "outside the simulation",
    ),
    (
        "set of an unknown parameter",
        "events:\n  - {date: 2026-03-02, set: macro.inflation_targ, value: 3%}\n",
        3,
        "events[0].set",
        "did you mean 'macro.inflation_target'",
    ),
    (
        "correlation out of range",
        "correlations:\n  term_premium: {policy_rate: 1.5}\n",
        3,
        "correlations.term_premium.policy_rate",
        "strictly between -1 and 1",
    ),
    (
        "threshold on unknown variable",
        "outputs:\n  thresholds: ['yield_7y > 5%']\n",
        3,
        "outputs.thresholds[0]",
        "unknown variable 'yield_7y'",
    ),
    ("duplicate key", "policy:\n  lower_bound: 0%\n  lower_bound: 1%\n", 4, "policy.lower_bound", "duplicate key"),
    ("a key spelt like a union tag", '"<path>": null\n', 2, "<path>", "unknown key"),
    (
        "the same loading tenor twice",
        "term_premium:\n  loadings: {5y: 1.2, 60m: 0.5, 10y: 1}\n",
        3,
        "term_premium.loadings.60m",
        "is the same tenor as 5y",
    ),
    (
        "a volatility dispersion past its bound",
        "volatility:\n  dispersion: 300%\n",
        3,
        "volatility.dispersion",
        "out of range",
    ),
    (
        "fixed path without end",
        "policy:\n  fixed_path: [{date: 2026-01-01, rate: 3%}]\n",
        2,
        "policy.fixed_until",
        "a fixed_path needs the date after which the rule takes over",
    ),
    (
        "fixed path ending before the start",
        "policy:\n  fixed_path: [{date: 2025-01-01, rate: 3%}]\n  fixed_until: 2025-06-01\n",
        4,
        "policy.fixed_until",
        "is not after the simulation start",
    ),
    ("quantile above 100%", "outputs:\n  quantiles: [5%, 150%]\n", 3, "outputs.quantiles[1]", "out of range"),
    (
        "both curve and term premium",
        "initial:\n  term_premium: 1%\n",
        3,
        "initial.term_premium",
        "give exactly one of initial.curve",
    ),
    # the Treasury / Fed / holder blocks
    (
        "negative QT cap",
        "treasury:\n  enabled: true\nfed_balance_sheet:\n  qt:\n"
        "    - {start: 2026-01-01, end: 2027-01-01, cap: -5bn/month}\n",
        6,
        "fed_balance_sheet.qt[0].cap",
        "'-5bn/month' is out of range; expected a value at least 0bn/yr",
    ),
    (
        "issuance shares not summing to 100%",
        "treasury:\n  enabled: true\n  issuance:\n    policy: fixed_mix\n    mix: {bills: 50%, 10y: 30%}\n",
        6,
        "treasury.issuance.mix",
        "shares sum to 80%",
    ),
    (
        "bucket shares not summing to 100%",
        "treasury:\n  buckets:\n    bills: {share: 50%}\n",
        3,
        "treasury.buckets",
        "bucket shares sum to 128%; expected 100%",
    ),
    (
        "unknown bucket",
        "fed_balance_sheet:\n  soma_buckets: {bills: 50%, 4y: 50%}\n",
        3,
        "fed_balance_sheet.soma_buckets.4y",
        "unknown bucket; expected one of bills, 2y, 3y",
    ),
    (
        "backstop with no trigger",
        "treasury:\n  enabled: true\nbackstops:\n  btfp:\n    enabled: true\n",
        5,
        "backstops.btfp.trigger",
        "an enabled backstop needs a trigger",
    ),
    (
        "unknown stress measure",
        "treasury:\n  enabled: true\nbackstops:\n  btfp:\n    enabled: true\n    trigger: {measure: vix, above: 30%}\n",
        7,
        "backstops.btfp.trigger.measure",
        "'vix' is not one of fire_sale_10y",
    ),
    (
        "QE with the Treasury block off",
        "fed_balance_sheet:\n  qe:\n    - {start: 2026-01-01, end: 2027-01-01, pace: 50bn/month}\n",
        3,
        "fed_balance_sheet.qe",
        "needs treasury.enabled: true",
    ),
    (
        "QE ending before it starts",
        "treasury:\n  enabled: true\nfed_balance_sheet:\n  qe:\n"
        "    - {start: 2027-01-01, end: 2026-01-01, pace: 50bn/month}\n",
        6,
        "fed_balance_sheet.qe[0].end",
        "is not after start",
    ),
    (
        "bad date in a fiscal path",
        "treasury:\n  enabled: true\n  revenue: {2026-13-01: 17% of gdp}\n",
        4,
        "treasury.revenue.2026-13-01",
        "cannot read key",
    ),
    (
        "share of gdp without a unit",
        "treasury:\n  enabled: true\n  revenue: 17\n",
        4,
        "treasury.revenue",
        "'17' has no unit; write 17% of gdp",
    ),
    (
        "SOMA larger than the debt",
        "treasury:\n  enabled: true\n  debt: 5tn\nholders:\n"
        "  foreign_official: {holdings: 0bn}\n  banks: {securities: 0bn}\n",
        None,
        "fed_balance_sheet.soma",
        "SOMA holds more than the debt outstanding in",
    ),
    # the typed schema: these read as before it (or, the list, no longer an internal error)
    (
        "event that is not a mapping",
        "events:\n  - 5\n",
        3,
        "events[0]",
        "5 is not an event; expected a mapping like {date: 2025-04-02",
    ),
    (
        "event shock that is a list",
        "events:\n  - {date: 2026-03-02, shock: [1, 2], size: 1bp}\n",
        3,
        "events[0].shock",
        "[1, 2] is not a shockable state; expected one of output_gap",
    ),
    (
        "misspelt key of a set event",
        "events:\n  - {date: 2026-03-02, set: macro.inflation_target, value: 3%, valu: 1}\n",
        3,
        "events[0].valu",
        "unknown key (did you mean 'value'?); expected one of date, set, value, note",
    ),
    (
        "missing size of a shock event",
        "events:\n  - {date: 2026-03-02, shock: term_premium}\n",
        3,
        "events[0].size",
        "missing; expected a rate with a unit, like 4.33% or 25bp",
    ),
    (
        "bucket without its coupon keeps the bucket's default",
        "treasury:\n  enabled: true\n  buckets:\n    bills: {share: 10%}\n",
        4,
        "treasury.buckets",
        "bucket shares sum to 88%; expected 100%",
    ),
    (
        "not positive definite",
        "correlations:\n  term_premium: {policy_rate: 0.9, inflation: 0.9}\n  policy_rate: {inflation: -0.9}\n",
        2,
        "correlations",
        "not form a valid",
    ),
]


def run_cli(args):
    out, err = io.StringIO(), io.StringIO()
    rc = main(args, stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name,text,line,key,msg", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line_and_no_output(tmp_path, name, text, line, key, msg):
    path = write(tmp_path, "bad.yaml", scenario(text))
    out_dir = tmp_path / "out"
    rc, _, err = run_cli(["run", path, "--out", str(out_dir)])
    lines = err.strip().splitlines()
    assert rc == 2
    assert len(lines) == 1, err
    where = f"{path}:{line}: " if line else f"{path}"
    assert lines[0].startswith(where), lines[0]
    assert f" {key}: " in lines[0], lines[0]
    assert msg in lines[0], lines[0]
    assert not out_dir.exists()
    assert os.listdir(tmp_path) == ["bad.yaml"]  # no temporary folders left either


def test_all_problems_are_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        scenario("simulation:\n  paths: -1\npolicy:\n  shock_vol: 1\nmacro:\n  gap_vol: 1%/sqrt(yr)\n  gapp: 1\n"),
    )
    rc, _, err = run_cli(["validate", path])
    assert rc == 2
    keys = sorted(re.findall(r"^\S+:\d+: (\S+):", err, flags=re.M))
    assert keys == ["macro.gapp", "policy.shock_vol", "simulation.paths"]


def test_missing_extends_file_points_at_the_extends_line(tmp_path):
    path = write(tmp_path, "a.yaml", "name: a\nextends: nowhere.yaml\n")
    rc, _, err = run_cli(["validate", path])
    assert rc == 2
    assert (
        err.strip()
        == f"{path}:2: extends: file '{os.path.join(os.path.dirname(path), 'nowhere.yaml')}' "
        "not found; expected a scenario file path relative to this file"
        or ("extends: file" in err and "not found" in err and f"{path}:2:" in err)
    )


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    rc, _, err = run_cli(["validate", str(tmp_path / "a.yaml")])
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert f"{b}:1: extends: extends cycle: a.yaml -> b.yaml -> a.yaml" in err


def test_missing_scenario_file(tmp_path):
    rc, _, err = run_cli(["run", str(tmp_path / "none.yaml")])
    assert rc == 2 and err.strip() == f"{tmp_path / 'none.yaml'}: file not found"


def test_invalid_yaml_syntax_names_the_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "name: x\npolicy: [unclosed\nmacro: {}\n")
    rc, _, err = run_cli(["validate", path])
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "not valid YAML" in err and f"{path}:" in err


def test_bad_command_line_override_names_the_key(tmp_path):
    rc, _, err = run_cli(["run", BASELINE, "--set", "simulation.paths=lots", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert err.strip() == "command line (--set): simulation.paths: 'lots' is not a whole number"
    assert not (tmp_path / "o").exists()


def test_memory_over_the_limit_is_refused_before_running(tmp_path):
    rc, _, err = run_cli(["run", BASELINE, "--set", "simulation.max_memory=10MB", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert re.fullmatch(r"the run needs an estimated [\d.]+ MiB, over the limit of 9.5 MiB; .*\n", err)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "text",
    [
        "name: !!python/object/apply:os.system ['echo pwned']\n",
        "name: !!python/object:datetime.date {year: 2025, month: 1, day: 1}\n",
        "name: !!python/name:os.system\n",
        "name: !custom 1\n",
    ],
)
def test_no_yaml_tag_can_build_objects(tmp_path, text):
    path = write(tmp_path, "bad.yaml", scenario(text))
    rc, _, err = run_cli(["validate", path])
    assert rc == 2 and "is not allowed; scenario files hold plain data only" in err and f"{path}:2: name:" in err
