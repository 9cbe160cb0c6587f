"""Golden outputs of every shipped scenario (tests/golden.py): a change of results is caught here,
not claimed in a commit message. Regenerate after an intended change with
``python -m pytest tests/test_golden.py --update-goldens`` and say in the commit why they moved."""

import golden
import pytest

CASES = sorted(golden.cases())


def test_every_shipped_scenario_has_a_golden_file():
    import os

    missing = [c for c in CASES if not os.path.exists(golden.path(c))]
    assert not missing, f"no golden file for {missing}; run pytest tests/test_golden.py --update-goldens"


@pytest.mark.parametrize("name", CASES)
def test_results_match_the_golden_outputs(name, request):
    got = golden.summarise(golden.run_case(name))
    if request.config.getoption("--update-goldens"):
        golden.write(name, got)
        return
    diff = golden.differences(golden.read(name), got, exact=request.config.getoption("--golden-exact"))
    assert not diff, f"{name}: {len(diff)} value(s) moved:\n" + "\n".join(diff[:40])
