"""The files of ``ustsim backtest --out DIR``, written atomically (:mod:`engine.outdir`: a killed
run leaves the previous complete output or the new one): ``scores.csv``, ``summary.csv``,
``summary.md`` (the tables as markdown), ``starts.csv`` (each start's origin, seed and initial
curve fit), ``settings.json``, ``scenario.resolved.yaml`` (the base scenario, fully resolved) and
``pit.png`` (PIT histograms)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd

from . import outdir
from .backtesting import DECADES, PIT_BINS, VARIABLES, Backtest

FILES = ("scores.csv", "summary.csv", "summary.md", "starts.csv", "settings.json", "scenario.resolved.yaml", "pit.png")


def _fmt(v, digits: int) -> str:
    if isinstance(v, float | np.floating):
        return "–" if not math.isfinite(v) else f"{v:.{digits}f}"
    return str(v)


def _table(df: pd.DataFrame, header: list[str], digits: list[int]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    for row in df.itertuples(index=False):
        out.append("| " + " | ".join(_fmt(v, d) for v, d in zip(row, digits)) + " |")
    return out


def markdown(bt: Backtest) -> str:
    """The summary as markdown tables, ready for a README."""
    s, m = bt.summary, bt.settings
    months = s["months"].iloc[0]
    label = {v: sc.label for v, sc in VARIABLES.items()}
    s = s.assign(variable=s["variable"].map(label))
    lines = [
        f"Backtest of `{m['scenario']}` (engine {m['engine_version']}): {m['n_starts']} {m['starts']} starts "
        f"{m['first_start']} to {m['last_start']}, {m['horizon']} ahead monthly, {m['paths']:,} paths, "
        f"seed {m['seed']}; data: {m['data']}.",
        "",
        "Coverage of the simulated 25-75% and 5-95% bands (nominal 0.50 and 0.90), mean PIT (0.5 if "
        "unbiased), mean CRPS and mean bias (realised minus simulated median), by variable, over "
        f"months {months} of every start and at month 12 alone:",
        "",
    ]
    cols = ["variable", "months", "n", "cover_50", "cover_90", "mean_pit", "crps_bp", "bias_bp"]
    head = ["variable", "months", "n", "50% band", "90% band", "mean PIT", "CRPS (bp)", "bias (bp)"]
    lines += _table(s[cols], head, [0, 0, 0, 2, 2, 2, 1, 1])
    single = s[~s["months"].str.contains("-")]
    lines += [
        "",
        "Forecast error at a single month: the s.d. across starts of realised minus simulated "
        "median, against the simulated s.d. of the change from the start (mean over starts, and "
        "its range):",
        "",
    ]
    cols = ["variable", "months", "n", "err_sd_bp", "sim_sd_bp", "sim_sd_min_bp", "sim_sd_max_bp"]
    head = ["variable", "month", "starts", "realised error s.d. (bp)", "simulated s.d. (bp)", "min", "max"]
    lines += _table(single[cols], head, [0, 0, 0, 0, 0, 0, 0])
    lines += ["", f"Mean bias (bp) by the decade of the start, months {months}:", ""]
    allm = s[s["months"] == months]
    cols = ["variable"] + [f"bias_{d}s_bp" for d in DECADES]
    lines += _table(allm[cols], ["variable"] + [f"{d}s" for d in DECADES], [0] + [0] * len(DECADES))
    lines += ["", f"PIT histogram, months {months} (counts in tenths; uniform would put n/10 in each):", ""]
    cols = ["variable", "n"] + [f"pit_bin{k + 1}" for k in range(PIT_BINS)]
    head = ["variable", "n"] + [f"{k / 10:.1f}-{(k + 1) / 10:.1f}" for k in range(PIT_BINS)]
    lines += _table(allm[cols], head, [0] * len(cols))
    if bt.notes:
        lines += ["", *bt.notes]
    return "\n".join(lines)


def pit_figure(bt: Backtest):
    """PIT histograms per variable over all months, with the uniform density and its ±2
    binomial standard-error band (months of a start are correlated, so the band understates the
    spread a calibrated model would show)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(VARIABLES), figsize=(4 * len(VARIABLES), 3.4), sharey=True)
    s = bt.summary
    months = s["months"].iloc[0]
    edges = np.linspace(0, 1, PIT_BINS + 1)
    for ax, (var, desc) in zip(np.atleast_1d(axes), ((v, sc.label) for v, sc in VARIABLES.items())):
        row = s[(s["variable"] == var) & (s["months"] == months)].iloc[0]
        counts = np.array([row[f"pit_bin{k + 1}"] for k in range(PIT_BINS)], dtype=float)
        n = counts.sum()
        p = 1 / PIT_BINS
        dens = counts / (n * p) if n else counts
        ax.bar(edges[:-1], dens, width=p, align="edge", color="tab:blue", alpha=0.7, edgecolor="white")
        se = math.sqrt(p * (1 - p) / n) / p if n else 0.0
        ax.axhline(1.0, color="black", lw=1)
        ax.axhspan(1 - 2 * se, 1 + 2 * se, color="grey", alpha=0.25, lw=0)
        ax.set_title(f"{desc}: mean PIT {row['mean_pit']:.2f}, n={int(n)}", fontsize=9)
        ax.set_xlabel("PIT (share of paths below the realised value)")
        ax.set_xlim(0, 1)
    np.atleast_1d(axes)[0].set_ylabel("density (uniform = 1, band ±2 s.e.)")
    m = bt.settings
    fig.suptitle(
        f"{m['scenario']}: {m['n_starts']} {m['starts']} starts {m['first_start']}–{m['last_start']}, "
        f"{m['horizon']} monthly",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def write_backtest(bt: Backtest, out_dir: str, charts: bool = True) -> list[str]:
    """Write the backtest's files into ``out_dir`` atomically; returns the names written."""

    def fill(folder: str) -> None:
        bt.scores.to_csv(os.path.join(folder, "scores.csv"), index=False, float_format="%.10g")
        bt.summary.to_csv(os.path.join(folder, "summary.csv"), index=False, float_format="%.10g")
        bt.starts.to_csv(os.path.join(folder, "starts.csv"), index=False, float_format="%.6g")
        with open(os.path.join(folder, "summary.md"), "w") as fh:
            fh.write(markdown(bt) + "\n")
        with open(os.path.join(folder, "settings.json"), "w") as fh:
            json.dump(bt.settings | {"notes": bt.notes}, fh, indent=1, default=str)
        with open(os.path.join(folder, "scenario.resolved.yaml"), "w") as fh:
            fh.write(bt.base.to_yaml())
        if charts:
            import matplotlib.pyplot as plt

            fig = pit_figure(bt)
            fig.savefig(os.path.join(folder, "pit.png"), dpi=110)
            plt.close(fig)

    return outdir.write(out_dir, fill)
