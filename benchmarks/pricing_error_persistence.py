"""How persistent is the initial curve's pricing error (issue 13)?

Builds the baseline's start at every month end of the packaged history (the backtest's
``start_scenario``: the observed 2y, 10y and 30y, fed funds, core PCE, expectations and the
output gap; the term premium and the policy stance fitted) and prints, per observed tenor, the
fit residual's (model less observed, bp) standard deviation, its monthly AR(1) coefficient and
half-life, and its 12-month autocorrelation. ``initial.pricing_error_half_life`` is the 10y's
half-life, rounded (engine/sections.py).

    python benchmarks/pricing_error_persistence.py [--first 1990] [--last 2024]

About 10-15 s (a model build per month, no simulation).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

import engine
from engine import backtesting, history
from engine.model import build

BASELINE = os.path.join(os.path.dirname(__file__), "..", "scenarios", "baseline.yaml")


def residuals(first: int, last: int) -> pd.DataFrame:
    """Fit residuals (bp, model less observed) by month end and observed tenor."""
    hist = history.load(None)
    base = engine.load_scenario(BASELINE, overrides=["initial.pricing_error=drop"])
    ends = [d for d in hist.index if pd.Timestamp(first - 1, 12, 1) <= d <= pd.Timestamp(last, 12, 31)]
    rows = []
    for origin in ends:
        model = build(backtesting.start_scenario(base, origin, hist.loc[origin], 12, 10, 1))
        rows.append({"date": origin} | {t: (m - o) * 1e4 for t, (o, m) in model.fit.items()})
    return pd.DataFrame(rows).set_index("date")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=int, default=1990)
    ap.add_argument("--last", type=int, default=2024)
    a = ap.parse_args()
    d = residuals(a.first, a.last)
    print(f"{len(d)} month ends, {a.first}-{a.last}")
    print("| tenor | s.d. (bp) | monthly AR(1) | half-life (months) | 12-month autocorrelation |")
    print("|---|---|---|---|---|")
    for t in d.columns:
        x = d[t].dropna()
        c = x - x.mean()
        rho = float(np.sum(c.iloc[1:].to_numpy() * c.iloc[:-1].to_numpy()) / np.sum(c.iloc[:-1].to_numpy() ** 2))
        print(f"| {t} | {x.std():.1f} | {rho:.3f} | {np.log(0.5) / np.log(rho):.1f} | {x.autocorr(12):.2f} |")


if __name__ == "__main__":
    main()
