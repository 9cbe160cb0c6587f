"""What lifts the stochastic cbo_2025's mean above its deterministic reference (issue 13).

Runs cbo_2025 with one mechanism at a time switched off (``--set``-style overrides) and prints a
markdown table: mean 2055 net interest / revenue and debt / GDP (+/- one Monte Carlo standard
error, median), the mean and median 10y and policy rate at 2035-12-31 and 2055-12-31, for
cbo_2025 as it is (shocks centred on the reference), without the centring (as before), and the
reference cbo_2025_no_vol. docs/cbo-centring.md holds its output.

    python benchmarks/cbo_decomposition.py --paths 5000
    python benchmarks/cbo_decomposition.py --paths 5000 --seeds 40   # cbo_2025 alone, pooled over seeds 1-40

Each run keeps every path's yearly records (``simulation.record=1y``, ``outputs.keep_paths``) so
the standard errors and medians are exact over the paths; about 2 s a run on 2 threads.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

import engine

SCENARIOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios")

VOL0 = "0%/sqrt(yr)"
UNCENTRED = ["policy.floor_centring=none", "term_premium.compensate_jumps=false"]
NO_DOWNGRADES = ["holders.downgrades.trigger_net_interest_revenue=null"]
NO_SUPPLY = ["supply.duration_sensitivity=0bp", "supply.bill_sensitivity=0bp"]
NO_CYCLE_STANCE = [f"policy.cycle_vol={VOL0}", f"policy.stance_vol={VOL0}"]
NO_MACRO = [f"macro.{v}={VOL0}" for v in ("gap_vol", "inflation_vol", "expectations_vol", "neutral_rate_vol")]
NO_LB = ["policy.lower_bound=-50%"]
NO_JUMP_MEAN = ["term_premium.jump_mean=0bp"]

VARIANTS: list[tuple[str, list[str]]] = [
    ("cbo_2025_no_vol", []),
    ("cbo_2025_no_adjustment", []),
    ("cbo_2025", UNCENTRED),
    ("cbo_2025", [*UNCENTRED, "term_premium.jump_intensity=0/yr"]),
    ("cbo_2025", [*UNCENTRED, *NO_JUMP_MEAN]),
    ("cbo_2025", [*UNCENTRED, *NO_LB]),
    ("cbo_2025", [*UNCENTRED, *NO_CYCLE_STANCE]),
    ("cbo_2025", [*UNCENTRED, f"policy.cycle_vol={VOL0}"]),
    ("cbo_2025", [*UNCENTRED, f"policy.shock_vol={VOL0}"]),
    ("cbo_2025", [*UNCENTRED, "volatility.dispersion=0%"]),
    ("cbo_2025", [*UNCENTRED, *NO_DOWNGRADES]),
    ("cbo_2025", [*UNCENTRED, *NO_MACRO]),
    ("cbo_2025", [*UNCENTRED, *NO_SUPPLY]),
    ("cbo_2025", [*UNCENTRED, *NO_LB, *NO_JUMP_MEAN]),
    ("cbo_2025", [*UNCENTRED, *NO_LB, *NO_JUMP_MEAN, *NO_DOWNGRADES]),
    ("cbo_2025", [*UNCENTRED, "treasury.surplus_response=10bp"]),
    ("cbo_2025", []),
    ("cbo_2025", ["policy.floor_centring=none"]),
    ("cbo_2025", ["term_premium.compensate_jumps=false"]),
    ("cbo_2025", ["volatility.dispersion=0%"]),
    ("cbo_2025", NO_DOWNGRADES),
    ("cbo_2025", NO_SUPPLY),
    ("cbo_2025", [*NO_DOWNGRADES, *NO_SUPPLY]),
    ("cbo_2025", [*NO_DOWNGRADES, *NO_SUPPLY, "treasury.surplus_response=0bp"]),
    ("cbo_2025", NO_CYCLE_STANCE),
    ("cbo_2025", ["treasury.surplus_response=10bp"]),
    # the downgrade block's defaults before they were measured (assumed 10 bp / 5 bp)
    ("cbo_2025", ["holders.downgrades.term_premium_add=10bp", "holders.downgrades.convenience_cut=5bp"]),
    ("cbo_2025", ["holders.downgrades.convenience_cut=5bp"]),
    ("cbo_2025", ["holders.downgrades.term_premium_add=15bp"]),
]


def run(name: str, paths: int, overrides: list[str]):
    """``name`` at ``paths`` paths with yearly records and every path kept."""
    ov = [f"simulation.paths={paths}", f"outputs.keep_paths={paths}", "simulation.record=1y", *overrides]
    return engine.run(engine.load_scenario(os.path.join(SCENARIOS, f"{name}.yaml"), overrides=ov))


def measure(name: str, overrides: list[str], paths: int) -> list[str]:
    """One table row's cells: NI/revenue and debt/GDP at the end, 10y and policy at 2035 and 2055."""
    r = run(name, 1 if name.endswith("_no_vol") else paths, overrides)
    dates = list(r.dates)
    i35 = max(i for i, d in enumerate(dates) if d <= pd.Timestamp("2035-12-31"))

    def cell(var: str, i: int) -> str:
        x = r.raw(var)[i] * 100
        return f"{x.mean():.2f} ± {r.std_error(x):.2f} ({np.median(x):.2f})"

    return [
        cell("net_interest_to_revenue", -1),
        cell("debt_to_gdp", -1),
        cell("yield_10y", i35),
        cell("yield_10y", -1),
        cell("policy_rate", i35),
        cell("policy_rate", -1),
    ]


def pooled(paths: int, seeds: int) -> None:
    """cbo_2025's mean 2055 net interest / revenue and debt / GDP at seeds 1..``seeds``, ``paths``
    each, and their pooled mean with its standard error from the spread across seeds (the
    within-run standard error of a right-skewed mean is itself noisy)."""
    ni, debt = [], []
    for seed in range(1, seeds + 1):
        r = run("cbo_2025", paths, [f"simulation.seed={seed}"])
        ni.append(r.raw("net_interest_to_revenue")[-1].mean() * 100)
        debt.append(r.raw("debt_to_gdp")[-1].mean() * 100)
        print(f"seed {seed}: NI / revenue {ni[-1]:.2f}, debt / GDP {debt[-1]:.2f}", flush=True)
    a, d = np.array(ni), np.array(debt)
    se = lambda x: x.std(ddof=1) / np.sqrt(x.size)
    print(
        f"pooled over {seeds} x {paths} paths: NI / revenue {a.mean():.2f} ± {se(a):.2f} "
        f"(s.d. across seeds {a.std(ddof=1):.2f}; above 33% at {(a > 33).sum()} of {seeds} seeds), "
        f"debt / GDP {d.mean():.2f} ± {se(d):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=5000)
    ap.add_argument("--seeds", type=int, default=0, help="cbo_2025 alone at seeds 1..N, pooled")
    args = ap.parse_args()
    if args.seeds:
        pooled(args.paths, args.seeds)
        return
    print(f"{args.paths} paths; mean ± s.e. (median), percent, at 2055-12-31 unless marked 2035 (2035-12-31)\n")
    head = ["run", "NI / revenue", "debt / GDP", "10y 2035", "10y 2055", "policy 2035", "policy 2055"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, ov in VARIANTS:
        label = f"`{name}`" + ("" if not ov else " " + " ".join(f"`{o}`" for o in ov))
        print("| " + " | ".join([label, *measure(name, ov, args.paths)]) + " |", flush=True)


if __name__ == "__main__":
    main()
