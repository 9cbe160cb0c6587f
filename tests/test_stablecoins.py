"""The stablecoin block against Ahmed & Aldasoro (BIS WP 1270, 2025): a 2-s.d. inflow (about $3.5bn
over 5 days) lowers the 3m bill yield 2-2.5 bp within 10 days; outflows move it 2-3 times as
much; no effect on longer tenors. Plus runs, reserves under the GENIUS Act, and bad inputs."""

import math

import numpy as np
import pytest
from conftest import BASELINE, write
from test_bad_inputs import run_cli, scenario

import engine

# A daily run in which nothing moves the stablecoin cap but the scenario's own growth events
CALM = [
    "simulation.start=2026-01-05",
    "simulation.step=1d",
    "simulation.record=1d",
    "simulation.horizon=15d",
    "simulation.paths=300",
    "outputs.keep_paths=300",
    "outputs.charts=false",
    "stablecoins.enabled=true",
    "stablecoins.cap=200bn",
    "stablecoins.growth=0%",
    "stablecoins.vol=0%/sqrt(yr)",
    "stablecoins.run_intensity=0/yr",
]


def _flow_events(growth_pct: float) -> list[str]:
    """Growth set for 5 business days from the first step, then back to zero: with a $200bn
    cap, 88.2%/yr of log growth is $0.70bn a day, $3.5bn in all."""
    return [
        "events=[{date: 2026-01-05, set: stablecoins.growth, value: " + f"{growth_pct}%" + "},"
        " {date: 2026-01-12, set: stablecoins.growth, value: 0%}]"
    ]


def _run(extra):
    sc = engine.load_scenario(BASELINE, overrides=CALM + extra)
    return engine.run(sc, threads=2)


# the outflow: a run redeeming 1.75% of the $200bn cap ($3.5bn) over the same 5 business days
OUTFLOW = ["stablecoins.run_duration=5d", "events=[{date: 2026-01-05, shock: stablecoin_run, size: 1.75%}]"]


@pytest.fixture(scope="module")
def experiments():
    return {"control": _run([]), "inflow": _run(_flow_events(88.2)), "outflow": _run(OUTFLOW)}


def _effect_bp(res, control, tenor, day):
    """Change of the tenor's yield against the control on every path, business day ``day``."""
    return (res.raw(f"yield_{tenor}")[day] - control.raw(f"yield_{tenor}")[day]) * 1e4


def test_inflow_lowers_the_3m_yield_as_bis_wp_1270_finds(experiments):
    ctl, inflow = experiments["control"], experiments["inflow"]
    flows = inflow.raw("stablecoin_flow")[1:6]  # the five days of inflow, USD bn
    assert np.allclose(flows.sum(axis=0), 3.5, atol=0.05)
    effect = _effect_bp(inflow, ctl, "3m", 10)  # ten business days after the inflow began
    # identical on every path: the block draws nothing here, so the paths differ only by the flows
    assert np.ptp(effect) < 1e-9
    assert -2.5 <= effect[0] <= -2.0, effect[0]


def test_outflows_move_bills_two_to_three_times_as_much(experiments):
    """The same $3.5bn over the same 5 days, redeemed in a run: BIS WP 1270's asymmetry (the
    ratio is close to outflow_asymmetry by construction; the check is that the redemption path
    and the decay keep it in the published range)."""
    ctl = experiments["control"]
    assert np.allclose(experiments["outflow"].raw("stablecoin_cap")[-1], 196.5, rtol=1e-12)
    inflow = _effect_bp(experiments["inflow"], ctl, "3m", 10)[0]
    outflow = _effect_bp(experiments["outflow"], ctl, "3m", 10)[0]
    assert outflow > 0 > inflow
    assert 2.0 <= outflow / -inflow <= 3.0, outflow / -inflow


@pytest.mark.parametrize("tenor", ["2y", "10y", "30y"])
def test_no_effect_on_long_tenors(experiments, tenor):
    for case in ("inflow", "outflow"):
        assert np.array_equal(experiments[case].raw(f"yield_{tenor}"), experiments["control"].raw(f"yield_{tenor}")), (
            case
        )


def test_bill_holdings_follow_reserves_and_outflows_force_sales(experiments):
    out = experiments["outflow"]
    cap, bills = out.raw("stablecoin_cap"), out.raw("stablecoin_bills")
    p = engine.load_scenario(BASELINE, overrides=CALM).stablecoins
    share = p.reserves.bills.value + p.reserves.government_money_funds.value
    assert np.allclose(bills, share * cap, rtol=1e-12)
    sold = out.raw("stablecoin_forced_bill_sales")[-1]
    assert np.allclose(sold, share * (cap[0] - cap[-1]), rtol=1e-9)  # every outflow sold bills


def test_noise_leaves_no_drift_in_bills_whatever_the_step():
    """Trend-free noise in the cap moves the wedge symmetrically: its mean at a year is zero
    within 4 standard errors with daily and with monthly steps, and forces no bill sales (only
    run redemptions do). An asymmetric response to the noise would make the mean drift with the
    step (it did: +10bp monthly, +35bp daily)."""
    for step in ("1d", "1m"):
        sc = engine.load_scenario(
            BASELINE,
            overrides=[
                f"simulation.step={step}",
                f"simulation.record={step}",
                "simulation.horizon=1y",
                "simulation.paths=2000",
                "outputs.keep_paths=2000",
                "outputs.charts=false",
                "stablecoins.enabled=true",
                "stablecoins.cap=500bn",
                "stablecoins.growth=0%",
                "stablecoins.vol=15%/sqrt(yr)",
                "stablecoins.run_intensity=0/yr",
            ],
        )
        res = engine.run(sc, threads=2)
        w = res.raw("bill_wedge_3m")[-1]
        assert abs(w.mean()) < 4 * w.std() / math.sqrt(w.size), (step, w.mean(), w.std())
        assert res.raw("stablecoin_forced_bill_sales")[-1].max() == 0.0


def test_switching_stablecoins_on_moves_none_of_the_core_draws():
    """The plumbing draws from its own stream: with the block on (noise and runs), every yield
    beyond bill tenors is the run without it, path by path."""
    base = ["simulation.horizon=1y", "simulation.paths=512", "outputs.keep_paths=512", "outputs.charts=false"]
    off = engine.run(engine.load_scenario(BASELINE, overrides=base), threads=2)
    on = engine.run(
        engine.load_scenario(BASELINE, overrides=base + ["stablecoins.enabled=true", "stablecoins.run_intensity=2/yr"]),
        threads=2,
    )
    assert on.raw("stablecoin_runs")[-1].max() > 0
    for tenor in ("2y", "10y", "30y"):
        assert np.array_equal(on.raw(f"yield_{tenor}"), off.raw(f"yield_{tenor}")), tenor


def test_overlapping_runs_redeem_what_each_started():
    """Two runs of 20% over 5 days, the second 3 days into the first: $40bn, then 20% of the
    $176bn left, $35.2bn: $75.2bn in all."""
    res = _run(
        [
            "stablecoins.run_duration=5d",
            "events=[{date: 2026-01-06, shock: stablecoin_run, size: 20%},"
            " {date: 2026-01-09, shock: stablecoin_run, size: 20%}]",
        ]
    )
    cap = res.raw("stablecoin_cap")[:, 0]
    assert cap[-1] == pytest.approx(200.0 - 75.2, rel=1e-12)
    assert res.raw("stablecoin_runs")[-1, 0] == 2.0


def test_a_long_run_lasts_exactly_its_business_days():
    res = _run(
        [
            "simulation.horizon=50d",
            "stablecoins.run_duration=35d",
            "events=[{date: 2026-01-05, shock: stablecoin_run, size: 10%}]",
        ]
    )
    assert res.raw("stablecoin_depeg")[:, 0].sum() == 35
    assert res.raw("stablecoin_cap")[-1, 0] == pytest.approx(180.0, rel=1e-12)


def test_an_event_run_redeems_its_share_over_its_duration():
    res = _run(["events=[{date: 2026-01-06, shock: stablecoin_run, size: 20%}]", "stablecoins.run_duration=5d"])
    cap = res.raw("stablecoin_cap")[:, 0]
    depeg = res.raw("stablecoin_depeg")[:, 0]
    # the run starts in the step from Jan 6 and redeems $40bn evenly over 5 business days
    assert cap[1] == pytest.approx(200.0)
    assert cap[7] == pytest.approx(160.0, rel=1e-12)
    assert list(depeg[1:8]) == [0.0] + [1.0] * 5 + [0.0]
    assert res.raw("stablecoin_runs")[-1, 0] == 1.0
    assert res.metrics["plumbing"]["stablecoin_forced_bill_sales"]["mean"] == pytest.approx(0.83 * 40.0, rel=1e-9)
    # outflows make bills cheaper: the wedge is positive and bounded
    wedge = res.raw("bill_wedge_3m")[:, 0]
    assert wedge.max() > 0 and wedge.max() <= 0.005 + 1e-15


def test_random_runs_start_at_their_intensity():
    """Runs start with probability 1 - exp(-lambda dt) each step: the mean count over a year of
    monthly steps is 12 (1 - exp(-lambda/12)); within 4 standard errors of that closed form."""
    lam = 2.0
    sc = engine.load_scenario(
        BASELINE,
        overrides=[
            "simulation.horizon=1y",
            "simulation.paths=4000",
            "outputs.charts=false",
            "stablecoins.enabled=true",
            f"stablecoins.run_intensity={lam}/yr",
            "stablecoins.stress_sensitivity=0",
        ],
    )
    res = engine.run(sc, threads=2)
    d = res.metrics["plumbing"]["stablecoin_runs"]
    p = -math.expm1(-lam / 12)
    expected, sd = 12 * p, math.sqrt(12 * p * (1 - p))
    assert abs(d["mean"] - expected) < 4 * sd / math.sqrt(4000), (d["mean"], expected)
    assert d["std_error"] == pytest.approx(sd / math.sqrt(4000), rel=0.1)


# (yaml, line, key, fragment)
GENIUS_CASES = [
    ("stablecoins:\n  bill_max_days: 120\n", 3, "stablecoins.bill_max_days", "breaks the GENIUS Act"),
    ("stablecoins:\n  repo_term_days: 7\n", 3, "stablecoins.repo_term_days", "allows overnight repo only"),
    (
        "stablecoins:\n  reserves: {bills: 60%, overnight_repo: 10%, deposits: 10%, government_money_funds: 10%, "
        "other: 10%}\n",
        3,
        "stablecoins.reserves.other",
        "does not allow",
    ),
    (
        "stablecoins:\n  reserves: {bills: 80%, overnight_repo: 10%}\n",
        3,
        "stablecoins.reserves",
        "shares sum to 90%; expected 100%",
    ),
    ("stablecoins:\n  reserves: {notes: 10%}\n", 3, "stablecoins.reserves.notes", "unknown key"),
    ("stablecoins:\n  outflow_asymmetry: -1\n", 3, "stablecoins.outflow_asymmetry", "out of range"),
    ("stablecoins:\n  vol: 80%/sqrt(yr)\n", 3, "stablecoins.vol", "implausible"),
    ("stablecoins:\n  inflow_impact: -1bp\n", 3, "stablecoins.inflow_impact", "out of range"),
    (
        "stablecoins:\n  enabled: true\nevents:\n  - {date: 2026-03-02, shock: stablecoin_run, size: -5%}\n",
        5,
        "events[0].size",
        "is positive",
    ),
    (
        "stablecoins:\n  enabled: true\nevents:\n  - {date: 2026-03-02, set: stablecoins.max_wedge, value: -5bp}\n",
        5,
        "events[0].value",
        "would break its rules",
    ),
    (
        "events:\n  - {date: 2026-03-02, set: stablecoins.growth, value: 50%}\n",
        3,
        "events[0].set",
        "needs stablecoins.enabled: true",
    ),
    (
        "events:\n  - {date: 2026-03-02, shock: stablecoin_run, size: 20%}\n",
        3,
        "events[0].shock",
        "needs stablecoins.enabled: true",
    ),
]


@pytest.mark.parametrize("text,line,key,msg", GENIUS_CASES, ids=[c[2] + ":" + c[3] for c in GENIUS_CASES])
def test_bad_stablecoin_inputs_give_one_line(tmp_path, text, line, key, msg):
    path = write(tmp_path, "bad.yaml", scenario(text))
    rc, _, err = run_cli(["validate", path])
    lines = err.strip().splitlines()
    assert rc == 2
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{path}:{line}: "), lines[0]
    assert f" {key}: " in lines[0], lines[0]
    assert msg in lines[0], lines[0]


def test_genius_rules_can_be_switched_off(tmp_path):
    text = "stablecoins:\n  genius: false\n  bill_max_days: 180\n  repo_term_days: 30\n"
    rc, _, err = run_cli(["validate", write(tmp_path, "ok.yaml", scenario(text))])
    assert rc == 0, err
