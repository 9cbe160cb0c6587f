"""Fuzzing the scenario loader and --set (hypothesis, bounded examples): whatever a file or an
override holds, validating it ends with "ok" (exit 0) or one line per problem (exit 2), never an
internal error (exit 1); and a scenario that validates also builds into a model (or is refused
with a clear line), never raises anything else."""

import contextlib
import io
import string

import yaml
from conftest import BASELINE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.cli import main
from engine.errors import UstsimError
from engine.model import build
from engine.sections import SETTABLE

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
KEYS = sorted(SETTABLE) + [
    "simulation.start",
    "simulation.horizon",
    "simulation.step",
    "simulation.record",
    "simulation.paths",
    "simulation.seed",
    "simulation.max_memory",
    "simulation.antithetic",
    "simulation.quasi_random",
    "initial.fed_funds",
    "initial.curve",
    "initial.fit_also",
    "initial.term_premium",
    "outputs.tenors",
    "outputs.quantiles",
    "outputs.thresholds",
    "events",
    "correlations",
    "treasury.enabled",
    "treasury.debt",
    "treasury.revenue",
    "treasury.buckets",
    "fed_balance_sheet.qe",
    "backstops.btfp",
    "holders.downgrades.max",
    "name",
    "extends",
    "simulation",
    "macro",
    "nonsense.key",
]
UNITS = ["%", "bp", "%/sqrt(yr)", "/yr", "/month", "bn", "tn", "bn/month", "y", "m", "w", "d", "GB", "% of gdp", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable + "\x00\x07é€", max_size=12),
    st.dates(),
    st.builds(lambda x, u: f"{x:g}{u}", st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(UNITS)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6) | st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


def _override(key: str, value) -> str:
    text = value if isinstance(value, str) else yaml.safe_dump(value, default_flow_style=True).strip()
    return f"{key}={text.removesuffix('...').strip()}"


def validate(*args) -> int:
    err = io.StringIO()
    rc = main(["validate", *args], stdout=io.StringIO(), stderr=err)
    assert rc in (0, 2), err.getvalue()
    if rc == 2:
        assert err.getvalue().strip() and "internal error" not in err.getvalue()
    return rc


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=20), values), max_size=4))
def test_any_set_override_is_ok_or_one_line_per_problem(overrides):
    args = [a for k, v in overrides for a in ("--set", _override(k, v))]
    if validate(BASELINE, *args) == 0:
        with contextlib.suppress(UstsimError):
            build(engine.load_scenario(BASELINE, overrides=[a for a in args if a != "--set"]))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), values, max_size=6))
def test_any_scenario_file_is_ok_or_one_line_per_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "s.yaml"
    nested: dict = {"extends": BASELINE}
    for k, v in data.items():
        node = nested
        parts = k.split(".") if k else [k]
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[parts[-1]] = v
    path.write_text(yaml.safe_dump(nested, allow_unicode=True))
    validate(str(path))


@SETTINGS
@given(st.text(string.printable + "\x00\x07&*!|>{}[]:-#é", max_size=300))
def test_any_text_is_ok_or_one_line_per_problem(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "t.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    validate(str(path))
