"""Files a run writes, atomically (:mod:`engine.outdir`: a killed run leaves the previous
complete output or the new one, never a partial one). An existing folder is replaced only if it
is a previous ustsim output.

    fans.parquet, fans.csv     tidy: date, variable, statistic, value, unit (rates in percent)
    metrics.json               stress metrics, run facts, resolved scenario, seed, engine version
    scenario.resolved.yaml     the fully resolved scenario (re-runnable as is)
    fan_yield_<T>.png          fan chart of the 10y (or longest tenor)
    components_<T>.png         the 10y's components over time
"""

from __future__ import annotations

import json
import math
import os

from . import outdir
from .outdir import MARKER  # noqa: F401 - where callers have looked for it


def write_outputs(results, out_dir: str, charts: bool | None = None) -> list[str]:
    """Write all outputs of ``results`` into ``out_dir`` (atomically: :mod:`engine.outdir`);
    returns the file names written."""
    if charts is None:
        charts = results.scenario.outputs.charts

    def fill(folder: str) -> None:
        fans = results.fans
        fans.to_parquet(os.path.join(folder, "fans.parquet"), index=False)
        fans.to_csv(os.path.join(folder, "fans.csv"), index=False, float_format="%.10g")
        with open(os.path.join(folder, "metrics.json"), "w") as fh:
            json.dump(results.metrics, fh, indent=1, allow_nan=False, default=_nan_free)
        with open(os.path.join(folder, "scenario.resolved.yaml"), "w") as fh:
            fh.write(results.scenario.to_yaml())
        if charts:
            _charts(results, folder)

    return outdir.write(out_dir, fill)


def _nan_free(x):
    raise TypeError(f"not JSON serialisable: {x!r}")


def _charts(results, folder: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    ten = results.headline_tenor()
    fan = results.fan(f"yield_{ten}")
    qs = sorted(results.quantiles)
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    pairs = [(qs[i], qs[-1 - i]) for i in range(len(qs) // 2)]
    for k, (lo, hi) in enumerate(pairs):
        ax.fill_between(
            fan.index,
            fan[f"q{100 * lo:g}"],
            fan[f"q{100 * hi:g}"],
            color="tab:blue",
            alpha=0.15 + 0.15 * k,
            lw=0,
            label=f"{100 * lo:g}-{100 * hi:g}%",
        )
    if 0.5 in qs:
        ax.plot(fan.index, fan["q50"], color="tab:blue", lw=1.8, label="median")
    ax.plot(fan.index, fan["mean"], color="black", lw=1, ls="--", label="mean")
    ax.set_title(f"{results.scenario.name}: {ten} Treasury yield ({results.n_paths:,} paths)")
    ax.set_ylabel("percent")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, f"fan_yield_{ten}.png"))
    plt.close(fig)

    comp = results.components(ten)
    names = list(comp.columns)  # the yield and every part (engine.reduction.PARTS)
    rows = math.ceil(len(names) / 4)
    fig, axes = plt.subplots(rows, 4, figsize=(13, 2.9 * rows), dpi=100, sharex=True)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names):
        var = f"yield_{ten}" if name == "yield" else f"yield_{ten}/{name}"
        f = results.fan(var)
        lo, hi = f"q{100 * qs[0]:g}", f"q{100 * qs[-1]:g}"
        if lo in f:  # outputs.component_quantiles may leave a tenor's components without quantiles
            ax.fill_between(f.index, f[lo], f[hi], color="tab:orange", alpha=0.25, lw=0)
        ax.plot(f.index, f["mean"], color="tab:red", lw=1.4)
        sign = " (subtracted)" if name == "convenience_yield" else ""
        ax.set_title(name.replace("_", " ") + sign, fontsize=9)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    fig.suptitle(
        f"{results.scenario.name}: {ten} yield and its components, % (mean and {100 * qs[0]:g}-{100 * qs[-1]:g}% band)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(os.path.join(folder, f"components_{ten}.png"))
    plt.close(fig)
