"""How wide the policy rate (and the 10y) is five and ten years out, held against history.

The policy stance and cycle (engine/blocks/policy.py) were calibrated to the year-ahead backtest;
this checks their long-horizon width (docs/policy-width.md holds the output and its reading):

1. History: the s.d. and 5/50/95% of h-year changes over overlapping monthly windows, 1955-2024
   and 1985-2024. Short rate: the effective fed funds rate (FRED FEDFUNDS, monthly, from 1980;
   FRB/US RFF, quarterly averages held for their months, 1968-79), the 3m bill before 1968
   (ust_monthly_1953_2019); 10y: ust_monthly_1953_2019 before 1980, the packaged DGS10 month
   ends after. Windows: T/h non-overlapping, about 1.5 T/h effective with the overlap (Lo &
   MacKinlay 1988, random-walk increments); s.e. of an s.d. about s.d. / sqrt(2 n_eff).
2. Comparable starts: the backtest's rebuilt starts (engine.backtesting.start_scenario), each
   January 1982-2015 (1982: the first with core PCE y/y), simulated 10 years monthly; the pooled
   simulated change (all starts and paths) against the realised changes of the same windows, the
   simulated s.d. within a start against the realised error (realised - simulated median), and
   band coverage. The starts are a year apart, so h-year windows overlap: n_eff about
   1.5 x span / h for h > 1.
3. The historical statistic under the model: paths of years + burn years from the scenario's
   start; per path, the s.d. of overlapping h-year changes over its last 70 (and 40) years, as
   history's was computed; where history's value falls in that distribution is the test of
   "within its sampling error" that carries the model's own persistence.

    python benchmarks/policy_width.py        # baseline; about 5 s with the kernels cached
    python benchmarks/policy_width.py --set policy.floor_centring=mean --set term_premium.compensate_jumps=true
                                             # cbo_2025's centring of the policy rule and the premium

Needs ../shared/data beside the checkout (part 1).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

from engine import backtesting, driver, history
from engine.model import build
from engine.results import Results
from engine.scenario import _validate, load_scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
SPANS = ((1955, 2024), (1985, 2024))
HORIZONS = (1, 3, 5, 10)  # years
VARS = {"policy_rate": ("fed funds", "fed_funds"), "yield_10y": ("10y", "dgs10")}


def _monthly(series: pd.Series) -> pd.Series:
    series.index = series.index.to_period("M")
    return series


def history_series() -> dict[str, pd.Series]:
    """Monthly fed funds (spliced, see the module docstring) and 10y, percent, 1953-04 to 2024-12."""
    u = pd.read_csv(os.path.join(SHARED, "ust_monthly_1953_2019.csv"))
    u.loc[u["year"] == 2019, "3_month"] /= 100  # the source's 2019 bills are in percent
    u.index = pd.PeriodIndex([pd.Period(f"{y}-{m:02d}", "M") for y, m in zip(u["year"], u["month"])])
    ff = pd.read_csv(os.path.join(SHARED, "fred", "FEDFUNDS.csv"), parse_dates=["date"]).set_index("date")["value"]
    ff = _monthly(ff)
    fb = pd.read_csv(os.path.join(SHARED, "frbus_histdata.csv"))
    rff = pd.Series(fb["RFF"].to_numpy(), index=pd.PeriodIndex(fb["OBS"], freq="Q")).to_timestamp(how="s")
    rff = _monthly(rff.resample("MS").ffill()).reindex(pd.period_range("1968-01", "1979-12", freq="M")).ffill()
    h = history.load()
    h.index = h.index.to_period("M")
    short = pd.concat([u["3_month"][:"1967-12"] * 100, rff, ff["1980-01":"2024-12"]])
    ten = pd.concat([u["120_month"][:"1979-12"] * 100, h["dgs10"]["1980-01":"2024-12"]])
    return {"policy_rate": short, "yield_10y": ten}


def history_table(series: dict[str, pd.Series]) -> pd.DataFrame:
    rows = []
    for var, s in series.items():
        for lo, hi in SPANS:
            x = s[f"{lo}-01" : f"{hi}-12"]
            for h in HORIZONS:
                d = (x.shift(-12 * h) - x).dropna()
                n_eff = 1.5 * len(x) / (12 * h)
                rows.append(
                    {"variable": VARS[var][0], "span": f"{lo}-{hi}", "h": f"{h}y", "windows": len(d)}
                    | {"T/h": len(x) / (12 * h), "n_eff": n_eff, "sd": d.std(), "se_sd": d.std() / np.sqrt(2 * n_eff)}
                    | {f"q{q}": d.quantile(q / 100) for q in (5, 50, 95)}
                )
    return pd.DataFrame(rows)


def starts_table(base, paths: int, first: int = 1982, last: int = 2015) -> pd.DataFrame:
    hist = history.load()
    out: dict[tuple[str, int], list] = {}
    for year in range(first, last + 1):
        st = pd.Timestamp(year, 1, 1)
        origin = st - pd.Timedelta(days=1)
        sc = backtesting.start_scenario(base, origin, hist.loc[origin], 120, paths, backtesting._seed(1990, st))
        sims, _ = backtesting.simulate_start(sc, threads=1)
        for var, (_, col) in VARS.items():
            s = sims[var] * 100
            for h in (1, 5, 10):
                end = origin + pd.offsets.MonthEnd(12 * h)
                out.setdefault((var, h), []).append((s[12 * h] - s[0], hist.loc[end, col] - hist.loc[origin, col]))
    rows = []
    for (var, h), starts in sorted(out.items(), key=lambda kv: (list(VARS).index(kv[0][0]), kv[0][1])):
        sim = np.concatenate([c for c, _ in starts])
        real = np.array([r for _, r in starts])
        med = np.array([np.median(c) for c, _ in starts])
        cover = lambda lo, hi, st=starts: np.mean([np.quantile(c, lo) <= r <= np.quantile(c, hi) for c, r in st])
        rows.append(
            {"variable": VARS[var][0], "h": f"{h}y", "starts": len(starts)}
            | {
                "n_eff": (last + h + 1 - first) / h * (1.5 if h > 1 else 1.0),
                "sim_sd": sim.std(),
                "real_sd": real.std(ddof=1),
            }
            | {"ratio": sim.std() / real.std(ddof=1), "sd_within": np.mean([c.std() for c, _ in starts])}
            | {"err_rms": np.sqrt(np.mean((real - med) ** 2))}
            | {"sim_q5": np.quantile(sim, 0.05), "sim_q95": np.quantile(sim, 0.95)}
            | {"real_q5": np.quantile(real, 0.05), "real_q95": np.quantile(real, 0.95)}
            | {"cover_50": cover(0.25, 0.75), "cover_90": cover(0.05, 0.95)}
        )
    return pd.DataFrame(rows)


def stationary_table(base, hist_tab: pd.DataFrame, paths: int, years: int, burn: int, seed: int) -> pd.DataFrame:
    p = base.to_plain()
    p["simulation"].update(horizon=f"{years + burn}y", step="1m", record="1m", paths=paths, seed=seed)
    p["outputs"].update(tenors=["2y", "10y"], thresholds=[], keep_paths=paths, charts=False)
    p["events"] = []
    sc = _validate(p, {}, f"{base.source} ({years + burn} years)", (), [])
    model = build(sc)
    rec, met = driver.simulate(model, paths, seed, threads=1)
    res = Results(model, None, rec, met, {})
    rows = []
    for var, (label, _) in VARS.items():
        x = res.raw(var)[burn * 12 + 1 :] * 100  # (months, paths)
        for lo, hi in SPANS:
            xs = x[: 12 * (hi - lo + 1)]
            for h in HORIZONS:
                d = xs[12 * h :] - xs[: -12 * h]
                sds = d.std(axis=0)
                at = (hist_tab["variable"] == label) & (hist_tab["span"] == f"{lo}-{hi}") & (hist_tab["h"] == f"{h}y")
                hv = hist_tab.loc[at, "sd"].iloc[0]
                rows.append(
                    {"variable": label, "sample": f"{hi - lo + 1}y ({lo}-{hi})", "h": f"{h}y", "model_sd": d.std()}
                    | {f"stat_p{q}": np.quantile(sds, q / 100) for q in (5, 50, 95)}
                    | {"history": hv, "ratio": d.std() / hv, "history_pct": np.mean(sds < hv)}
                )
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame) -> str:
    """A markdown table, numbers to two decimals (no tabulate dependency)."""
    cell = lambda v: f"{v:.2f}" if isinstance(v, float | np.floating) else str(v)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="scenario override")
    ap.add_argument("--paths", type=int, default=2000, help="paths of the long runs (part 3)")
    ap.add_argument("--start-paths", type=int, default=1000, help="paths per historical start (part 2)")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    base = load_scenario(args.scenario, overrides=args.set)
    print(f"{args.scenario} {' '.join(args.set)}\n\n1. History: h-year changes, percentage points\n")
    hist_tab = history_table(history_series())
    print(markdown(hist_tab))
    print("\n2. Comparable starts: each January 1982-2015, 10 years monthly\n")
    print(markdown(starts_table(base, args.start_paths)))
    print(f"\n3. History's statistic under the model: {args.paths} paths of 80 years, the last 70 / 40 kept\n")
    print(markdown(stationary_table(base, hist_tab, args.paths, 70, 10, args.seed)))


if __name__ == "__main__":
    main()
