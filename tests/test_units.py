import datetime as dt
import math
import os

import pytest
import yaml
from conftest import SCENARIOS

import engine
from engine import units, yamlio


@pytest.mark.parametrize(
    "text,dim,value",
    [
        ("4.33%", "rate", 0.0433),
        ("25bp", "rate", 0.0025),
        ("-15bp", "rate", -0.0015),
        ("+30bp", "rate", 0.003),
        ("850bn", "money", 850.0),
        ("1.2tn", "money", 1200.0),
        ("500mn", "money", 0.5),
        ("60bn/month", "flow", 720.0),
        ("1.2tn/yr", "flow", 1200.0),
        ("6.2% of gdp", "gdp_share", 0.062),
        ("0.65/yr", "speed", 0.65),
        ("0.05/month", "speed", 0.6),
        ("1%/sqrt(yr)", "vol", 0.01),
        ("4GB", "memory", 4e9),
        ("2GiB", "memory", 2 * 2**30),
    ],
)
def test_quantities_parse_to_canonical_units(text, dim, value):
    q = units.parse(text, dim)
    assert q.value == pytest.approx(value, rel=1e-12)
    assert q.text == text  # kept for a lossless round trip


def test_vol_per_sqrt_month_annualises_by_sqrt_12():
    assert units.parse("18bp/sqrt(month)", "vol").value == pytest.approx(0.0018 * math.sqrt(12))


@pytest.mark.parametrize("text,years", [("1d", 1 / 252), ("1w", 1 / 52), ("6m", 0.5), ("10y", 10.0)])
def test_tenors(text, years):
    t = units.parse(text, "tenor")
    assert t.years == pytest.approx(years)
    assert str(t) == text


def test_dates_from_yaml_dates_and_strings():
    assert units.parse(dt.date(2025, 4, 2), "date") == dt.date(2025, 4, 2)
    assert units.parse("2025-04-02", "date") == dt.date(2025, 4, 2)
    with pytest.raises(units.UnitError, match="ISO date"):
        units.parse("2025-13-02", "date")


@pytest.mark.parametrize(
    "value,dim,msg",
    [
        (60, "flow", "'60' has no unit; write 60bn/month"),
        (4.33, "rate", "has no unit; write 4.33% or 4.33bp"),
        ("4.33", "rate", "is not a rate with a unit"),
        ("10", "tenor", "is not a length of time"),
        ("0y", "tenor", "must be a positive length of time"),
        (True, "rate", "is not a rate"),
        ("25 bananas", "money", "is not an amount in USD"),
    ],
)
def test_bad_quantities_say_what_is_expected(value, dim, msg):
    with pytest.raises(units.UnitError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        units.parse(value, dim)


# -- the YAML the engine writes (engine.yamlio.dump) -------------------------------------------------
def _pyyaml(data) -> str:
    return yaml.dump(
        data, Dumper=yaml.SafeDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100
    )


needs_libyaml = pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="PyYAML built without libyaml")


@needs_libyaml
@pytest.mark.parametrize("name", sorted(n[:-5] for n in os.listdir(SCENARIOS) if n.endswith(".yaml")))
def test_libyaml_writes_each_shipped_scenario_as_pyyaml_does(name):
    # the digest of a resolved scenario hashes this text: it must not depend on which emitter wrote it
    plain = engine.load_scenario(os.path.join(SCENARIOS, f"{name}.yaml")).to_plain()
    assert not yamlio._pyyaml_only(plain)  # libyaml writes it
    assert yamlio.dump(plain) == _pyyaml(plain)


@needs_libyaml
@pytest.mark.parametrize(
    ("text", "libyaml"),
    [
        ("plain", True),
        ("é ü 中文 ’quotes’ — dash", True),
        ("a: b # c", True),
        ("word " * 40, True),
        ("line\nbreak and \r return", True),
        ("emoji 😀 beyond the BMP", False),
        ("next line \x85 (NEL)", False),
        ("lone surrogate \ud83d", False),
    ],
)
def test_the_dump_is_pyyamls_text_for_awkward_strings(text, libyaml):
    data = {"description": text, "list": [text, {"k": [text]}]}
    assert (not yamlio._pyyaml_only(data)) == libyaml
    assert yamlio.dump(data) == _pyyaml(data)


@needs_libyaml
@pytest.mark.parametrize("key", ["k" * 63, "k" * 64, "k" * 130, "é" * 40, "carriage\rreturn", "emoji 😀"])
def test_keys_libyaml_would_write_differently_go_through_pyyaml(key):
    data = {key: 1, "nested": [{key: "v"}]}
    assert yamlio.dump(data) == _pyyaml(data)
    assert yamlio._pyyaml_only(data) == (key != "k" * 63)
