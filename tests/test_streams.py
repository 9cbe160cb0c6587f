"""One random stream per source and block of paths: two scenarios that differ in events,
parameters or in which blocks are on share every common source's draws path by path (common
random numbers), whatever the other sources draw. Under the former single stream per block,
each of these comparisons moved every later draw."""

import zlib

import numpy as np
from conftest import BASELINE

import engine
from engine.core import sampling
from engine.core.layout import ROW, SOURCE_NAMES

SMALL = ["simulation.paths=600", "simulation.horizon=2y", "outputs.keep_paths=600", "simulation.seed=7"]
MACRO = [ROW[n] for n in ("output_gap", "inflation", "inflation_expectations", "neutral_rate")]


def kept(*overrides):
    r = engine.run(engine.load_scenario(BASELINE, overrides=SMALL + list(overrides)), threads=1)
    return r.records


def test_source_keys_are_distinct_and_stable():
    keys = [sampling.source_key(n) for n in SOURCE_NAMES]
    assert len(set(keys)) == len(keys)
    # a source's stream is keyed by its name alone: inserting a source elsewhere moves nothing
    assert sampling.source_key("term_premium") == zlib.crc32(b"term_premium")
    i = SOURCE_NAMES.index("term_premium")
    ss = np.random.SeedSequence(5, spawn_key=(3, sampling.STREAM_KEY, zlib.crc32(b"term_premium")))
    assert np.array_equal(
        sampling.stream(5, 3, i).standard_normal(4), np.random.Generator(np.random.PCG64(ss)).standard_normal(4)
    )


def test_switching_the_jumps_off_moves_no_gaussian_draw():
    on, off = kept(), kept("term_premium.jump_intensity=0/yr")
    assert np.array_equal(on[:, MACRO], off[:, MACRO])
    assert np.array_equal(on[:, ROW["policy_rate"]], off[:, ROW["policy_rate"]])
    assert not np.array_equal(on[:, ROW["term_premium"]], off[:, ROW["term_premium"]])


def test_switching_a_gaussian_shock_on_moves_no_other_source():
    off, on = kept("convenience_yield.vol=0bp/sqrt(yr)"), kept()
    assert np.array_equal(on[:, MACRO], off[:, MACRO])
    assert np.array_equal(on[:, ROW["term_premium"]], off[:, ROW["term_premium"]])
    assert not np.array_equal(on[:, ROW["convenience_yield"]], off[:, ROW["convenience_yield"]])


def test_switching_a_plumbing_block_on_moves_no_core_draw():
    off, on = kept(), kept("stablecoins.enabled=true")
    core = [ROW[n] for n in ("output_gap", "inflation", "policy_rate", "term_premium", "convenience_yield")]
    assert np.array_equal(on[:, core], off[:, core])
