"""Golden outputs: a small, fixed-seed run of every shipped scenario, reduced to key metrics and
a subset of the fans, committed under ``tests/golden/`` and compared in CI.

A golden file is a CSV of ``key,value`` rows (values written with ``repr``, so they round-trip
exactly). :data:`TOLERANCES` gives the comparison per kind of key; ``--golden-exact`` compares
every value bit for bit (what a refactor must keep on the machine that made the goldens).

Regenerate after an intended change of results, and say in the commit why the numbers moved::

    python -m pytest tests/test_golden.py --update-goldens
"""

from __future__ import annotations

import csv
import math
import os
import re

import numpy as np

import engine

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN_DIR = os.path.join(HERE, "golden")
SCENARIOS = os.path.join(os.path.dirname(HERE), "scenarios")

# Every shipped scenario at a small size (600 paths: two full blocks of 256 and a partial one),
# plus variants that exercise the sampling options and the streaming reduction past the pilot.
SMALL = ["simulation.paths=600", "outputs.keep_paths=0"]
VARIANTS = {
    "baseline_antithetic": ("baseline", ["simulation.horizon=2y", "simulation.antithetic=true"]),
    "baseline_quasi_random": (
        "baseline",
        ["simulation.horizon=2y", "simulation.quasi_random=true", "simulation.paths=768"],
    ),
    # the pilot (8,192 paths) and two more units, the last one ending in a partial block
    "baseline_streaming": ("baseline", ["simulation.horizon=3y", "simulation.paths=13000"]),
}


def cases() -> dict[str, tuple[str, list[str]]]:
    """Golden name -> (scenario file stem, overrides)."""
    out = {
        os.path.splitext(f)[0]: (os.path.splitext(f)[0], [])
        for f in sorted(os.listdir(SCENARIOS))
        if f.endswith(".yaml")
    }
    out.update(VARIANTS)
    return out


def run_case(name: str):
    stem, extra = cases()[name]
    sc = engine.load_scenario(os.path.join(SCENARIOS, stem + ".yaml"), overrides=SMALL + extra)
    return engine.run(sc, threads=2)


FAN_VARIABLES = (
    "policy_rate",
    "inflation",
    "inflation_expectations",
    "term_premium_10y",
    "discount_factor",
    "yield_3m",
    "yield_2y",
    "yield_10y",
    "yield_30y",
    "yield_10y/real_rate",
    "yield_10y/expected_inflation",
    "yield_10y/term_premium",
    "yield_10y/convenience_yield",
    "yield_10y/fire_sale",
    "yield_3m/convenience_yield",
    # the Treasury / Fed / holder blocks, when on
    "debt_to_gdp",
    "net_interest_to_revenue",
    "bill_share",
    "soma",
    "reserves",
    "bank_unrealized_loss",
    "supply_term_premium_10y",
    "downgrades",
    # the plumbing blocks, when on
    "bill_wedge_3m",
    "stablecoin_cap",
    "basis_position",
    "basis_spread",
    "fire_sale_10y",
)
FAN_STATISTICS = ("mean", "std", "q5", "q50", "q95")
N_DATES = 9  # recorded dates per fan, spread evenly from the start to the horizon


def summarise(res) -> dict[str, float]:
    """Key -> value of a run: its metrics (flattened) and a subset of its fans."""
    out: dict[str, float] = {"paths": float(res.n_paths)}
    m = res.metrics
    for tenor, d in m["yields"].items():
        for metric, v in d.items():
            if isinstance(v, dict):
                for stat in ("mean", "std", "std_error", "q1", "q5", "q50", "q95", "q99"):
                    if stat in v:
                        out[f"metric:yield_{tenor}:{metric}:{stat}"] = v[stat]
            else:
                out[f"metric:yield_{tenor}:{metric}"] = v
    for state, d in m["states"].items():
        for stat in ("mean", "std", "std_error", "q5", "q95"):
            out[f"metric:{state}:horizon_pct:{stat}"] = d["horizon_pct"][stat]
    for name, d in m.get("plumbing", {}).items():  # the stablecoin and basis-trade blocks, when on
        for stat in ("mean", "std", "q5", "q50", "q95"):
            out[f"metric:plumbing:{name}:{stat}"] = d[stat]
    for t in m["thresholds"]:
        out[f"metric:threshold:{t['expr']}:probability"] = t["probability"]
        out[f"metric:threshold:{t['expr']}:std_error"] = t["std_error"]
    for tenor, v in m["initial_fit"].get("curve", {}).items():
        out[f"metric:initial_fit:{tenor}:model_pct"] = v["model_pct"]
    for k, v in m["initial_fit"]["fitted"].items():
        out[f"metric:initial_fit:{k}"] = v
    out["summary:window_misses"] = float(m["summary"]["window_misses"])
    out["summary:max_quantile_error_bp"] = m["summary"]["max_quantile_error_bp"]["rates"]
    n = len(res.dates)
    idx = sorted({round(i * (n - 1) / (N_DATES - 1)) for i in range(N_DATES)})
    names = set(res.variables())
    for var in FAN_VARIABLES:
        if var not in names:
            continue
        fan = res.fan(var)
        for i in idx:
            day = res.dates[i].date().isoformat()
            for stat in FAN_STATISTICS:
                if stat in fan:  # components left without quantiles (outputs.component_quantiles) have mean and std
                    out[f"fan:{var}:{day}:{stat}"] = float(fan[stat].iloc[i])
    return {k: float(v) for k, v in out.items()}


# Per-kind tolerances (relative, absolute). Counts must match exactly. Floating-point values get
# a relative 1e-9: results are bit-identical on one machine (``--golden-exact`` checks that), but
# BLAS inside scipy's matrix exponentials may round the last bit differently on another CPU,
# which moves a value by ~1e-16 relative; any change of the model moves them by far more.
TOLERANCES = {"count": (0.0, 0.0), "float": (1e-9, 1e-12)}
COUNT_KEYS = ("paths", "summary:window_misses")
# A threshold's probability counts paths, and a path whose worst value sits on the threshold to
# the last bit (both yields of 'yield_10y - yield_2y < 0bp' on the floor, say) is counted on one
# CPU and not on another: measured, one path of 600-13,000 in 4 of the 26 cases between two CPUs.
# Such keys may move by FLIPS paths: the probability by FLIPS / paths, and its standard error
# (the s.d. of group means over the root of their number) by at most about as much. This loosens
# little: a change of the model that moves a threshold by two paths moves the fans and metrics
# beside it by far more than their 1e-9, and --golden-exact keeps every key bit for bit.
THRESHOLD_FLIPS = 2
THRESHOLD_KEY = re.compile(r"^metric:threshold:.*:(probability|std_error)$")


def tolerance(key: str, exact: bool) -> tuple[float, float]:
    if exact or key in COUNT_KEYS:
        return TOLERANCES["count"]
    return TOLERANCES["float"]


def path(name: str) -> str:
    return os.path.join(GOLDEN_DIR, f"{name}.csv")


def write(name: str, values: dict[str, float]) -> None:
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    with open(path(name), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["key", "value"])
        for k in sorted(values):
            w.writerow([k, repr(values[k])])


def read(name: str) -> dict[str, float]:
    with open(path(name), newline="") as fh:
        return {row["key"]: float(row["value"]) for row in csv.DictReader(fh)}


def differences(expected: dict[str, float], got: dict[str, float], exact: bool) -> list[str]:
    """One line per key that is missing, new, or outside its tolerance."""
    out = [f"{k}: missing from this run" for k in sorted(set(expected) - set(got))]
    out += [f"{k}: not in the golden file" for k in sorted(set(got) - set(expected))]
    for k in sorted(set(expected) & set(got)):
        e, g = expected[k], got[k]
        if math.isnan(e) and math.isnan(g):
            continue
        rtol, atol = tolerance(k, exact)
        if not exact and THRESHOLD_KEY.match(k):
            atol = max(atol, THRESHOLD_FLIPS / expected["paths"])
        if not (e == g or (math.isfinite(e) and math.isfinite(g) and abs(g - e) <= atol + rtol * abs(e))):
            out.append(f"{k}: golden {e!r}, now {g!r} (difference {g - e:.3g})")
    return out


__all__ = ["cases", "differences", "np", "read", "run_case", "summarise", "write"]
