"""The small history tables under tests/data are what tests/data/derive.py makes of the H.15
series in ../shared/data (checked where that folder is beside the checkout; elsewhere the
committed tables are used as they are)."""

import io
import os

import pandas as pd
import pytest
from conftest import SHARED_DATA, TEST_DATA


def test_committed_tables_equal_a_fresh_derivation():
    fred = os.path.join(SHARED_DATA, "fred")
    if not os.path.isdir(fred):
        pytest.skip("../shared/data is not beside this checkout: the committed tables are the record")
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive", os.path.join(TEST_DATA, "derive.py"))
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    for name, fresh in derive.tables(fred).items():
        committed = pd.read_csv(os.path.join(TEST_DATA, name), index_col=0)
        again = pd.read_csv(io.StringIO(fresh.to_csv(float_format="%.12g")), index_col=0)
        pd.testing.assert_frame_equal(committed, again, check_exact=True)
