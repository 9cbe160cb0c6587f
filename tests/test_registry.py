"""The registry drives the model: every block it lists has the module interface the rest of the
engine relies on, every shock and component points at a real parameter and state row, every
state row gets an initial value, and the scenario's sections are the registry's blocks."""

import os

import numpy as np
import pytest
from conftest import BASELINE, SCENARIOS

import engine
from engine.core.layout import JUMP_THR, N_REC, REC_NAMES, ROW, ROW_BLOCK
from engine.model import build
from engine.registry import BLOCKS, COMPONENTS, EVENT_TARGETS, SHOCKS, module
from engine.schema import Section


@pytest.mark.parametrize("b", BLOCKS, ids=[b.name for b in BLOCKS])
def test_every_block_module_has_the_interface(b):
    mod = module(b.name)
    assert issubclass(mod.Params, Section) and mod.Params.__doc__
    assert callable(mod.pack) and callable(mod.initial)
    if b.group == "core":
        assert callable(mod.step) and isinstance(mod.FIXED, tuple)
        assert all(k in mod.Params.model_fields for k in mod.FIXED)
    else:
        assert callable(mod.record) == bool(b.outputs)


def test_shocks_and_components_point_at_real_parameters_and_rows():
    for s in SHOCKS:
        assert s.vol in module(s.block).Params.model_fields, s
    for c in COMPONENTS:
        assert c.row in ROW and ROW_BLOCK[c.row] == c.block and callable(module(c.block).loadings), c
        assert c.sign in (1.0, -1.0)
    assert set(EVENT_TARGETS) <= set(ROW)


def test_recorded_rows_come_first_and_every_row_gets_an_initial_value():
    fan = {r.name: r.fan for b in BLOCKS for r in b.rows}
    names = list(ROW)
    assert [fan[n] for n in names[:N_REC]] == list(REC_NAMES)  # a record is a copy of the first rows
    assert all(fan.get(n) is None for n in names[N_REC:])  # internal and fiscal rows are not copied
    scenarios = ("cbo_2025", "dash_for_cash_2020", "stablecoin_run")
    for path in (BASELINE, *(os.path.join(SCENARIOS, f"{s}.yaml") for s in scenarios)):
        m = build(engine.load_scenario(path))
        init = m.init.copy()
        assert init[JUMP_THR] == np.inf
        init[JUMP_THR] = 0.0
        assert np.isfinite(init).all(), [n for n, i in ROW.items() if i < init.size and not np.isfinite(init[i])]


def test_the_scenario_sections_are_the_registry_blocks_in_order():
    plain = engine.load_scenario(BASELINE).to_plain()
    keys = [
        k
        for k in plain
        if k not in ("name", "description", "simulation", "initial", "correlations", "events", "outputs")
    ]
    assert keys == [b.name for b in BLOCKS]
    schema = engine.json_schema()
    assert {b.name for b in BLOCKS} <= set(schema["properties"])
