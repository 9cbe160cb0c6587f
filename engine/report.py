"""Files a run writes, atomically: everything goes to a temporary folder beside ``--out`` and
is renamed into place only when complete, so a failed or interrupted run leaves no partial
output. An existing folder is replaced only if it is a previous ustsim output.

    fans.parquet, fans.csv     tidy: date, variable, statistic, value, unit (rates in percent)
    metrics.json               stress metrics, run facts, resolved scenario, seed, engine version
    scenario.resolved.yaml     the fully resolved scenario (re-runnable as is)
    fan_yield_<T>.png          fan chart of the 10y (or longest tenor)
    components_<T>.png         the 10y's components over time
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from .errors import UstsimError

MARKER = ".ustsim-output"


def write_outputs(results, out_dir: str, charts: bool | None = None) -> list[str]:
    """Write all outputs of ``results`` into ``out_dir``; returns the file names written."""
    out_dir = os.path.abspath(out_dir)
    parent = os.path.dirname(out_dir)
    if os.path.exists(out_dir) and (
        not os.path.isdir(out_dir) or (os.listdir(out_dir) and not os.path.exists(os.path.join(out_dir, MARKER)))
    ):
        raise UstsimError(f"{out_dir}: exists and is not a ustsim output folder; choose another --out")
    os.makedirs(parent, exist_ok=True)
    if charts is None:
        charts = results.scenario.outputs.charts
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    try:
        fans = results.fans
        fans.to_parquet(os.path.join(tmp, "fans.parquet"), index=False)
        fans.to_csv(os.path.join(tmp, "fans.csv"), index=False, float_format="%.10g")
        with open(os.path.join(tmp, "metrics.json"), "w") as fh:
            json.dump(results.metrics, fh, indent=1, allow_nan=False, default=_nan_free)
        with open(os.path.join(tmp, "scenario.resolved.yaml"), "w") as fh:
            fh.write(results.scenario.to_yaml())
        if charts:
            _charts(results, tmp)
        open(os.path.join(tmp, MARKER), "w").close()
        names = sorted(os.listdir(tmp))
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old-", dir=parent)
            os.rename(out_dir, os.path.join(old, "x"))
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [n for n in names if n != MARKER]


def _nan_free(x):
    raise TypeError(f"not JSON serialisable: {x!r}")


def _charts(results, folder: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    labels = results.tenor_labels()
    ten = "10y" if "10y" in labels else labels[-1]
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
    fig, axes = plt.subplots(2, 4, figsize=(13, 5.8), dpi=100, sharex=True)
    names = list(comp.columns)
    for ax, name in zip(axes.flat, names):
        var = f"yield_{ten}" if name == "yield" else f"yield_{ten}/{name}"
        f = results.fan(var)
        lo, hi = f"q{100 * qs[0]:g}", f"q{100 * qs[-1]:g}"
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
