"""Treasury, Fed balance sheet, backstops, holders and supply: accounting identities, CBO's
outlook, the QE/QT calibration, the 2022-23 bank losses, and the triggered policies.

Deterministic runs (every volatility off) are compared exactly against a control that differs
only in the mechanism under test; Monte Carlo runs use common random numbers (the fiscal blocks
draw none of their own) and tolerances stated next to each published figure."""

import itertools
import os

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import engine
from engine.blocks import curve, supply
from engine.core.layout import BUCKETS, DEBT0, N_B, SOMA0
from engine.core.sampling import block_states
from engine.driver import block_normals
from engine.kernel import simulate_block
from engine.model import build


def run(name, overrides=(), threads=None):
    return engine.run(
        engine.load_scenario(os.path.join(SCENARIOS, f"{name}.yaml"), overrides=list(overrides)), threads=threads
    )


def at(r, name, day, stat="mean"):
    return float(r.fan(name)[stat].asof(pd.Timestamp(day)))


def kept_at(r, name, day):
    return r.raw(name)[list(r.dates).index(pd.Timestamp(day))]


# ------------------------------------------------------------------------------------ accounting
def test_debt_identity_holds_to_the_dollar_on_every_path_and_step():
    r = run(
        "cbo_2025", ["simulation.paths=300", "simulation.horizon=5y", "simulation.record=1m", "outputs.keep_paths=300"]
    )
    dt = 1 / 12
    debt = r.raw("debt")
    deficit = r.raw("deficit_to_gdp") * r.raw("nominal_gdp")  # outlays - revenue + interest, USD bn/yr
    tga = r.raw("tga")
    gap = np.diff(debt, axis=0) - (deficit[1:] * dt + np.diff(tga, axis=0))
    assert np.abs(gap).max() < 1e-6  # USD bn: a thousandth of a dollar
    holders = r.raw("soma") + r.raw("foreign_official") + r.raw("bank_treasuries") + r.raw("other_private")
    assert np.abs(holders - debt).max() < 1e-6
    assert r.raw("other_private").min() >= 0 and r.raw("soma").min() >= 0
    assert r.raw("bill_share").min() >= 0.0 and r.raw("bill_share").max() <= 1.0
    for b in BUCKETS:
        assert r.raw(f"gross_issuance_{b}")[1:].min() >= 0.0 or b == "bills"


def _final_state(name, overrides, n=256):
    """The final state of one block, straight from the kernel: buckets are not recorded."""
    m = build(engine.load_scenario(os.path.join(SCENARIOS, f"{name}.yaml"), overrides=list(overrides)))
    S = np.repeat(m.init[:, None], n, axis=1)
    out = np.empty((m.n_rec, m.n_var, n))
    met = np.empty((7, m.n_tenor, n))
    simulate_block(block_states(1, 0, m.sources), block_normals(m, 1, 0, n), S, *m.bundles, out, met)
    return S, out, m


def test_no_bucket_or_holding_goes_negative_and_soma_stays_within_each_bucket():
    for name, ov in [
        ("qt_runoff", []),
        ("qe_2020", []),
        ("cbo_2025", ["treasury.issuance.policy=short_first"]),
        ("cbo_2025", ["treasury.revenue=30% of gdp", "simulation.horizon=10y"]),
    ]:  # surpluses
        S, _, _ = _final_state(name, ov)
        debt, soma = S[DEBT0 : DEBT0 + N_B], S[SOMA0 : SOMA0 + N_B]
        assert debt.min() >= 0 and soma.min() >= 0, name
        assert (soma <= debt * (1 + 1e-12)).all(), name


def test_qt_redemptions_never_exceed_the_cap():
    r = run("qt_runoff", ["simulation.paths=256", "outputs.keep_paths=256"])
    caps = {"2022-06-01": 30, "2022-09-01": 60, "2024-06-01": 25, "2025-04-01": 5, "2025-12-01": 0}
    edges = [pd.Timestamp(d) for d in caps]
    runoff = r.raw("qt_runoff") / 12  # USD bn in the month
    for i, day in enumerate(r.dates[1:], start=1):
        start = r.dates[i - 1]
        cap = [c for e, c in zip(edges, caps.values()) if e <= start][-1]
        assert runoff[i].max() <= cap + 1e-9, (day, runoff[i].max(), cap)
    assert runoff[2].min() == pytest.approx(30)  # the cap binds: more than $30bn matures a month


def test_a_programme_counts_from_the_step_that_holds_its_first_day():
    """Regression: a programme ran in the steps whose start date lay in [start, end), so FOMC dates
    (June 1) in a scenario stepping from month ends started a month late (hiking_2022's QT from
    July). Now each step gets the share of its calendar days inside the programme: closed forms."""
    import datetime as dt

    from engine.blocks import fed_balance_sheet as fbs

    sc = engine.load_scenario(
        os.path.join(SCENARIOS, "hiking_2022.yaml"),
        overrides=["fed_balance_sheet.qe=[{start: 2022-06-15, end: 2022-07-15, pace: 30bn/month}]"],
    )
    p = sc.fed_balance_sheet
    d = dt.date
    dates = [d(2022, 4, 30), d(2022, 5, 31), d(2022, 6, 30), d(2022, 7, 31), d(2022, 8, 31), d(2022, 9, 30)]
    qe, cap = fbs.schedules(p, dates, 1 / 12)
    # caps of 30 from June 1 to Sep 1 and 60 from Sep 1: May 31-Jun 30 holds 29 of its 30 days,
    # Aug 31-Sep 30 one day of the first and 29 of the second
    assert cap[0] == 0 and cap[1] == pytest.approx(29) and cap[2] == pytest.approx(30)  # USD bn in the step
    assert cap[3] == pytest.approx(30) and cap[4] == pytest.approx(30 / 30 + 60 * 29 / 30), cap
    # a purchase from Jun 15 to Jul 15: 15 of the May 31 step's 30 days, 15 of the Jun 30 step's 31
    assert qe[1].sum() == pytest.approx(30 * 15 / 30) and qe[2].sum() == pytest.approx(30 * 15 / 31)
    assert qe[0].sum() == qe[3].sum() == qe[4].sum() == 0
    # steps aligned with the programme are untouched: exactly the pace times the step length
    _, cap_1st = fbs.schedules(p, [d(2022, 6, 1), d(2022, 7, 1), d(2022, 8, 1), d(2022, 9, 1), d(2022, 10, 1)], 1 / 12)
    assert list(cap_1st) == [p.qt[0].cap.value / 12] * 3 + [p.qt[1].cap.value / 12]
    # foreign official sales follow the same rule (they started with the first step that began on
    # or after sell_start): from June 15, 15 of the May 31 step's 30 days, until the amount is sold
    from engine.blocks import holders

    fo = engine.load_scenario(
        os.path.join(SCENARIOS, "de_dollarization.yaml"),
        overrides=["holders.foreign_official.sell_start=2022-06-15", "holders.foreign_official.sell_amount=50bn"],
    ).holders.foreign_official
    pace = fo.sell_pace.value / 12
    sales = holders.foreign_sales(fo, dates, 1 / 12)
    assert sales[0] == 0 and sales[1] == pytest.approx(pace * 15 / 30)
    assert sales.sum() == pytest.approx(min(50.0, 4 * pace + pace / 2)), sales


# ------------------------------------------------------------------------------------ CBO
def test_cbo_outlook_is_reproduced_without_volatility():
    r = run("cbo_2025_no_vol")
    # deterministic: every path is the same
    assert r.fan("debt_to_gdp")["std"].max() < 1e-9
    start_ni = at(r, "net_interest_to_gdp", "2025-12-31")
    debt_55 = at(r, "debt_to_gdp", "2055-09-30")
    ni_55 = at(r, "net_interest_to_gdp", "2055-09-30")
    ni_rev_55 = at(r, "net_interest_to_revenue", "2055-09-30")
    assert abs(start_ni - 3.2) <= 0.3, start_ni  # CBO: 3.2% of GDP in 2025
    assert abs(debt_55 - 156) <= 10, debt_55  # CBO: 156% in 2055
    assert abs(ni_55 - 5.4) <= 0.7, ni_55  # CBO: 5.4% of GDP in 2055
    assert abs(ni_rev_55 - 28) <= 4, ni_rev_55  # CBO: ~28% of revenue in 2055
    assert abs(at(r, "debt_to_gdp", "2035-09-30") - 118) <= 8  # CBO's ten-year baseline: ~118%


# ------------------------------------------------------------------------------------ CBO reference path
# CALIBRATION.md, Treasury supply and fiscal: CBO's March 2025 long-term outlook, 2055: debt held
# by the public 156% of GDP, net interest ~28% of revenue (5.4% of GDP over revenue of 19.3%)
CBO_DEBT_2055, CBO_NI_REV_2055 = 156.0, 28.0
DEBT_BAND, NI_REV_BAND = 15.0, 5.0  # the targets: +/- 15 pp and +/- 5 pp
Z = 3.0  # standard errors


def _mean_se(r, name, scale=100.0):
    x = r.raw(name)[-1] * scale
    return float(x.mean()), r.std_error(x)


def test_stochastic_cbo_centres_on_cbos_2055_debt():
    """Supply measured from CBO's path and the fiscal reaction keep the mean 2055 debt/GDP of the
    stochastic cbo_2025 within 15 pp of CBO's 156% (widened by Z Monte Carlo standard errors);
    the no-adjustment variant, on the same draws, spirals far above it."""
    ov = ["simulation.paths=512", "outputs.keep_paths=512", "simulation.record=1y"]
    r = run("cbo_2025", ov)
    m, se = _mean_se(r, "debt_to_gdp")
    assert CBO_DEBT_2055 - DEBT_BAND - Z * se <= m <= CBO_DEBT_2055 + DEBT_BAND + Z * se, (m, se)
    ni, ni_se = _mean_se(r, "net_interest_to_revenue")
    spiral = run("cbo_2025_no_adjustment", ov)
    d = (spiral.raw("debt_to_gdp")[-1] - r.raw("debt_to_gdp")[-1]) * 100
    assert d.mean() > 20 + Z * r.std_error(d), d.mean()
    n = (spiral.raw("net_interest_to_revenue")[-1] - r.raw("net_interest_to_revenue")[-1]) * 100
    assert n.mean() > 10 + Z * r.std_error(n), n.mean()
    assert ni > 0 and ni_se > 0


def test_stochastic_cbo_net_interest_to_revenue_within_5pp_of_cbo():
    """The mean 2055 net interest / revenue of the stochastic cbo_2025 against CBO's 28% +/- 5 pp.
    Pooled over seeds 1-40 at 5,000 paths each it is 33.14% +/- 0.08 (`python
    benchmarks/cbo_decomposition.py --paths 5000 --seeds 40`): on the band's upper edge, 0.14 pp
    above it. So at 5,000 paths (s.e. about 0.36 pp) the test asks that the mean be within Z
    standard errors of the band, which catches a move of the order of the downgrade block's earlier
    assumed 10 bp / 5 bp (34.24% at the scenario's seed, docs/cbo-centring.md) but not 0.14 pp."""
    r = run("cbo_2025", ["simulation.paths=5000", "outputs.keep_paths=5000", "simulation.record=1y"])
    m, se = _mean_se(r, "net_interest_to_revenue")
    assert se < 0.5, se
    assert CBO_NI_REV_2055 - NI_REV_BAND - Z * se <= m <= CBO_NI_REV_2055 + NI_REV_BAND + Z * se, (m, se)


def test_stochastic_cbo_mean_policy_rate_and_term_premium_follow_the_reference():
    """The centring in cbo_2025: the mean 2055 policy rate is the reference's within Z standard
    errors, while without it the floor lifts it far above; the 10y term premium without its supply
    and downgrade part has the reference's mean (the jumps are compensated)."""
    ov = ["simulation.paths=512", "outputs.keep_paths=512", "simulation.record=1y"]
    ref = run("cbo_2025_no_vol", ["simulation.record=1y"])
    r = run("cbo_2025", ov)
    m, se = _mean_se(r, "policy_rate")
    want = ref.raw("policy_rate")[-1, 0] * 100
    assert abs(m - want) <= Z * se, (m, se, want)
    free = run("cbo_2025", [*ov, "policy.floor_centring=none"])
    lift = (free.raw("policy_rate")[-1] - r.raw("policy_rate")[-1]) * 100
    assert lift.mean() > 0.3 + Z * r.std_error(lift), lift.mean()  # the same draws: the floor's lift, about 0.7 pp
    tp = (r.raw("term_premium_10y")[-1] - r.raw("supply_term_premium_10y")[-1]) * 100
    tp_ref = ref.raw("term_premium_10y")[-1, 0] * 100
    assert abs(tp.mean() - tp_ref) <= Z * r.std_error(tp), (tp.mean(), tp_ref)


def test_supply_measured_from_the_reference_adds_nothing_on_the_reference_path():
    """cbo_2025_no_vol is its own reference: with the supply effects switched back on (Laubach's
    size) and measured from the reference, its path is unchanged to the last bit and the supply
    premium is exactly zero; measured from the start's levels they add tens of bp by 2055."""
    off = run("cbo_2025_no_vol")
    on = ["supply.duration_sensitivity=10bp", "supply.bill_sensitivity=1bp"]
    ref = run("cbo_2025_no_vol", on)
    assert np.array_equal(ref.records, off.records)
    assert np.abs(ref.raw("supply_term_premium_10y")).max() == 0.0
    level = run("cbo_2025_no_vol", [*on, "supply.measured_against=level"])
    assert level.raw("supply_term_premium_10y")[-1, 0] * 1e4 > 50


def test_no_fiscal_reaction_reproduces_the_path_without_a_reference_exactly():
    """surplus_response: 0bp with supply measured from the start's levels (and the shocks not
    centred) is the engine without a reference path, bit for bit (cbo_2025_no_adjustment's golden
    equals the old cbo_2025's)."""
    ov = ["simulation.paths=256", "simulation.horizon=5y", "outputs.keep_paths=256"]
    ov += ["policy.floor_centring=none", "term_premium.compensate_jumps=false"]  # no centring either
    old = run("cbo_2025", [*ov, "treasury.reference=null"])
    b0 = run("cbo_2025", [*ov, "treasury.surplus_response=0bp", "supply.measured_against=level"])
    assert np.array_equal(old.records, b0.records)
    assert run("cbo_2025_no_adjustment", ov).records.tobytes() == b0.records.tobytes()


def test_the_primary_surplus_rises_by_bohns_coefficient_per_pp_of_debt_above_the_reference():
    """Deterministic: outlays 2 pp of GDP above CBO's for 2026-27 put debt above the reference;
    the primary deficit then falls short of the plan by exactly surplus_response x (debt/GDP at
    the start of the step - the reference's), and the extra debt shrinks back."""
    surge = "treasury.outlays={2025-09-30: 20.1% of gdp, 2026-01-31: 22.1% of gdp, 2027-12-31: 22.2% of gdp, "
    surge += "2028-01-31: 20.15% of gdp, 2035-09-30: 20.3% of gdp, 2055-09-30: 21.2% of gdp}"
    ov = ["simulation.horizon=10y", surge]
    ref = run("cbo_2025_no_vol", ["simulation.horizon=10y"])
    a = run("cbo_2025_no_vol", ov)
    b = run("cbo_2025_no_vol", [*ov, "treasury.surplus_response=0bp"])
    plan = b.raw("primary_deficit_to_gdp")[1:, 0]
    gap = a.raw("debt_to_gdp")[:-1, 0] - ref.raw("debt_to_gdp")[:-1, 0]
    got = a.raw("primary_deficit_to_gdp")[1:, 0]
    # the plan's outlays share is the same on both (a share of the same-date GDP)
    assert np.allclose(plan - got, 0.05 * gap, atol=1e-12), np.abs(plan - got - 0.05 * gap).max()
    extra = (a.raw("debt_to_gdp")[:, 0] - ref.raw("debt_to_gdp")[:, 0]) * 100
    extra_b = (b.raw("debt_to_gdp")[:, 0] - ref.raw("debt_to_gdp")[:, 0]) * 100
    assert extra[-1] < extra_b[-1] and extra[-1] < extra.max()


def test_a_missing_reference_is_refused_with_its_key():
    with pytest.raises(engine.ScenarioError, match=r"treasury\.reference: 'no_such_plan'"):
        run("cbo_2025", ["simulation.paths=10", "simulation.horizon=1y", "treasury.reference=no_such_plan"])


def test_a_reference_that_starts_after_the_scenario_is_refused():
    """Held flat before its own start, a later reference would say nothing about those dates."""
    with pytest.raises(engine.ScenarioError, match=r"starts on 2025-12-31, after this scenario's start"):
        run("qe_2020", ["simulation.paths=10", "simulation.horizon=1y", "treasury.reference=cbo_2025_no_vol"])


def test_a_stochastic_reference_is_refused_naming_why():
    with pytest.raises(engine.ScenarioError, match=r"'cbo_2025': has term-premium jumps; a reference must be"):
        run("cbo_2025", ["simulation.paths=10", "simulation.horizon=1y", "treasury.reference=cbo_2025"])


def test_a_negative_surplus_response_is_refused():
    with pytest.raises(engine.ScenarioError, match=r"surplus_response: '-50%' is out of range"):
        run("cbo_2025", ["simulation.paths=10", "treasury.surplus_response=-50%"])


# ------------------------------------------------------------------------------------ QE / QT
QE1 = "fed_balance_sheet.qe=[{{start: 2009-03-18, end: 2010-03-18, pace: {}}}]"


def _tp_gap(overrides, control=("fed_balance_sheet.qe=[]",), month=12, name="qe1_2009"):
    a = run(name, overrides)
    b = run(name, control)
    return (a.raw("term_premium_10y")[month, 0] - b.raw("term_premium_10y")[month, 0]) * 1e4, a, b


def test_qe1_lowers_the_10y_term_premium_by_50_to_100bp():
    gap, a, b = _tp_gap([])
    assert -100 <= gap <= -50, gap  # Gagnon et al. (2011)
    assert a.raw("soma")[12, 0] - b.raw("soma")[12, 0] == pytest.approx(1750, rel=1e-12)
    # removing the programme restores the control exactly
    again = run("qe1_2009", ["fed_balance_sheet.qe=[]"])
    assert np.array_equal(again.records, b.records)


def test_more_duration_bought_moves_the_term_premium_more():
    gaps = [_tp_gap([QE1.format(p)])[0] for p in ("0.5tn/yr", "1tn/yr", "1.75tn/yr", "2.5tn/yr")]
    assert all(x > y for x, y in itertools.pairwise(gaps)), gaps
    longer = _tp_gap([QE1.format("1tn/yr").replace("pace:", "mix: {10y: 50%, 30y: 50%}, pace:")])[0]
    assert longer < gaps[1], (longer, gaps[1])  # the same dollars in longer bonds remove more duration


def test_the_qe_effect_tracks_the_duration_the_fed_still_holds_as_it_runs_off():
    qt = "fed_balance_sheet.qt=[{start: 2010-03-18, end: 2030-01-01, cap: 1tn/month}]"
    ov = ["simulation.horizon=15y", qt]
    a = run("qe1_2009", ov)
    b = run("qe1_2009", ov + ["fed_balance_sheet.qe=[]"])
    gap = a.raw("term_premium_10y")[:, 0] - b.raw("term_premium_10y")[:, 0]
    dur = a.raw("private_duration_to_gdp")[:, 0] - b.raw("private_duration_to_gdp")[:, 0]
    beta = supply.pack(a.model.scenario, a.model.cal).P[supply.DUR_S]
    assert np.allclose(gap, beta * dur, atol=1e-10)
    peak = gap.min()
    # less than half of the peak is left once QT has run the holdings off for 13 years (the 20y
    # and 30y buckets run off slowest; fiscal feedback - lower interest in the QE run - keeps a
    # small remainder)
    assert 0.5 * peak < gap[-1] < 0, (peak, gap[-1])


def test_qt_of_2_2tn_over_three_years_is_comparable_to_wei_2022():
    ov = ["simulation.paths=256", "outputs.keep_paths=256"]
    a = run("qt_runoff", ov + ["fed_balance_sheet.qt=[{start: 2022-06-01, end: 2025-06-01, cap: 61.2bn/month}]"])
    b = run("qt_runoff", ov + ["fed_balance_sheet.qt=[]"])
    i = list(a.dates).index(pd.Timestamp("2025-06-01"))
    redeemed = (a.raw("qt_runoff")[1 : i + 1, 0] / 12).sum()
    gap = (a.raw("term_premium_10y")[i] - b.raw("term_premium_10y")[i]).mean() * 1e4 * 2200 / redeemed
    # Wei (2022): +29bp (normal) to +74bp (turbulent) in fed-funds-equivalent terms
    assert 20 <= gap <= 74, (gap, redeemed)


def test_debt_supply_effect_near_laubach():
    """One pp of debt/GDP, financed under the default issuance policy, moves the 10y term premium
    by Laubach's (2009) 3-4 bp (deterministic run, read exactly)."""
    spike = "treasury.outlays={2009-03-18: 24% of gdp, 2010-03-18: 24% of gdp, 2010-03-19: 23% of gdp}"
    a = run("qe1_2009", ["fed_balance_sheet.qe=[]", spike])
    b = run("qe1_2009", ["fed_balance_sheet.qe=[]"])
    d_debt = (a.raw("debt_to_gdp")[12, 0] - b.raw("debt_to_gdp")[12, 0]) * 100
    d_tp = (a.raw("term_premium_10y")[12, 0] - b.raw("term_premium_10y")[12, 0]) * 1e4
    assert 0.8 < d_debt < 1.2
    assert 3.0 <= d_tp / d_debt <= 4.0, d_tp / d_debt


# ------------------------------------------------------------------------------------ holders
def test_2022_hiking_replay_gives_bank_losses_of_about_600bn():
    r = run("hiking_2022", ["simulation.paths=2000"])
    q4_2022 = at(r, "bank_unrealized_loss", "2022-12-31", "q50")
    q3_2023 = at(r, "bank_unrealized_loss", "2023-09-30", "q50")
    # FDIC: $620bn (Q4 2022), $684bn (Q3 2023); "of the order": within 35%
    assert 400 <= q4_2022 <= 840, q4_2022
    assert 445 <= q3_2023 <= 925, q3_2023
    # the BTFP opens on the paths where losses pass 25% of capital, and stays within its size
    assert 0 < at(r, "btfp", "2023-09-30") <= 200
    assert r.fan("btfp")["q99"].max() <= 200 + 1e-9


def test_de_dollarization_sales_raise_the_term_premium():
    ov = ["simulation.paths=256", "outputs.keep_paths=256", "simulation.horizon=6y"]
    a = run("de_dollarization", ov + ["holders.downgrades.trigger_net_interest_revenue=null"])
    b = run(
        "de_dollarization",
        ov
        + [
            "holders.foreign_official.sell_start=null",
            "holders.foreign_official.sell_pace=0bn/yr",
            "holders.downgrades.trigger_net_interest_revenue=null",
        ],
    )
    day = "2031-06-30"
    sold = kept_at(b, "foreign_official", day)[0] - kept_at(a, "foreign_official", day)[0]
    assert sold == pytest.approx(1500, rel=1e-12)
    gap = (kept_at(a, "supply_term_premium_10y", day) - kept_at(b, "supply_term_premium_10y", day)) * 1e4
    assert gap.min() > 0
    # $1.5tn of 4-year duration into private hands: ~0.45 10y-equivalents per dollar, at ~$40tn GDP
    assert 5 < np.median(gap) < 40, np.median(gap)


def test_a_downgrade_trigger_adds_to_the_term_premium_and_cuts_the_convenience_yield():
    # sizes set here (the defaults, +3bp and 0bp, are the measured ones: tests/test_downgrades.py)
    sizes = ["holders.downgrades.term_premium_add=10bp", "holders.downgrades.convenience_cut=5bp"]
    trigger = ["holders.downgrades.trigger_net_interest_revenue=20%", "holders.downgrades.max=1"]
    a = run("cbo_2025_no_vol", [*trigger, *sizes, "simulation.horizon=12y"])
    b = run("cbo_2025_no_vol", [*sizes, "simulation.horizon=12y"])
    n = a.raw("downgrades")[:, 0]
    k = int(np.argmax(n > 0))
    assert n[-1] == 1 and k > 0
    ratio = a.raw("net_interest_to_revenue")[:, 0]
    assert ratio[k] > 0.20 and ratio[k - 1] <= 0.20  # fires when the ratio first crosses
    tp = (a.raw("term_premium_10y")[:, 0] - b.raw("term_premium_10y")[:, 0]) * 1e4
    cy = (a.raw("convenience_yield_3m")[:, 0] - b.raw("convenience_yield_3m")[:, 0]) * 1e4
    assert tp[k] == pytest.approx(10, abs=1e-6) and cy[k] == pytest.approx(-5, abs=1e-6)
    assert tp[:k].max() == 0


# ------------------------------------------------------------------------------------ backstops
def test_emergency_purchases_switch_on_with_the_dislocation_and_relieve_it():
    ov = ["simulation.paths=512", "outputs.keep_paths=512", "simulation.horizon=3m"]
    a = run("qe_2020", ov)
    b = run("qe_2020", ov + ["backstops.emergency_purchases.enabled=false"])
    day = "2020-04-13"  # about a month after the shock
    bought = kept_at(a, "soma", day) - kept_at(b, "soma", day)
    fired = bought > 1
    assert fired.mean() > 0.9
    assert (bought[fired] >= 900).all()  # $1tn at $231bn a week (over one month = 4.33 weekly steps)
    later = kept_at(a, "soma", "2020-05-11") - kept_at(b, "soma", "2020-05-11")
    assert np.allclose(later[fired], 1000, rtol=1e-9)
    fire_a = kept_at(a, "fire_sale_10y", day)
    fire_b = kept_at(b, "fire_sale_10y", day)
    assert (fire_a[fired] < fire_b[fired]).all()


def test_tga_rebuild_is_financed_with_bills():
    r = run("bill_heavy_issuance", ["simulation.paths=256"])
    assert abs(at(r, "tga", "2025-09-30") - 850) < 80  # $850bn target by end-September
    net = at(r, "debt", "2025-09-30") - at(r, "debt", "2025-07-11")
    assert 800 < net < 1200, net  # ~ $1tn of net borrowing in Q3
    assert at(r, "bill_share", "2025-09-30") > at(r, "bill_share", "2025-07-11") + 1.5


def test_fiscal_runs_are_identical_across_threads():
    ov = ["simulation.paths=9000", "simulation.horizon=2y"]
    a, b = run("cbo_2025", ov, threads=1), run("cbo_2025", ov, threads=2)
    assert a.fans.equals(b.fans)
    assert np.array_equal(a.records, b.records)


def test_bucket_yields_match_the_recorded_curve():
    """The fiscal blocks price rollover off the same curve as the recorded yields."""
    from engine.reduction import View, fan_values

    S, out, m = _final_state(
        "cbo_2025", ["simulation.horizon=2y", "simulation.record=1m", "outputs.tenors=[3m, 2y, 10y, 30y]"], n=8
    )
    v = View(m)
    vals = np.empty((v.n_fan, 8))
    fan_values(out[-1], v.n_rec - 1, v.layout.cv, vals)
    y = np.zeros((N_B, 8))
    curve.compose_all(S, m.cal.n_steps, m.fiscal.curve, m.events.overlay, y)
    for p in range(8):
        for tenor, b in (("3m", "bills"), ("2y", "2y"), ("10y", "10y"), ("30y", "30y")):
            assert y[BUCKETS.index(b), p] == pytest.approx(vals[v.fan_names.index(f"yield_{tenor}"), p], abs=1e-14)


def test_the_numpy_twin_refuses_the_fiscal_blocks():
    from engine.twin import simulate_twin

    m = build(engine.load_scenario(os.path.join(SCENARIOS, "cbo_2025.yaml")))
    with pytest.raises(NotImplementedError, match="core model only"):
        simulate_twin(m, 10, 1)
