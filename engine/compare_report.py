"""Files and pages of a comparison (:mod:`engine.comparison`), written atomically
(:mod:`engine.outdir`: a killed run leaves the previous complete output or the new one):

    compare.csv, compare.md, compare.json   the table: each scenario's mean, its difference from
                                            the base and that difference's standard error
    components.csv                          the headline tenor's change to the horizon, difference
                                            from the base by yield component (bp, with errors)
    severity.csv                            each stress's median headline and its percentile in
                                            the base's distribution, most severe first
    fans_yield_<T>.png                      the scenarios' fans of the headline tenor, overlaid
    components_yield_<T>.png                stacked bars: which component moved the difference
    report.html (with --report)             all of it on one self-contained page
"""

from __future__ import annotations

import json
import os

from . import outdir
from .comparison import Comparison
from .html_report import Page

COLORS = ["black", "tab:red", "tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:olive"]


def write_comparison(cmp: Comparison, out_dir: str, charts: bool = True) -> list[str]:
    """Write the comparison's files into ``out_dir`` atomically; returns the names written."""

    def fill(folder: str) -> None:
        cmp.table.to_csv(os.path.join(folder, "compare.csv"), float_format="%.10g")
        with open(os.path.join(folder, "compare.md"), "w") as fh:
            fh.write(cmp.markdown() + "\n")
        with open(os.path.join(folder, "compare.json"), "w") as fh:
            json.dump(cmp.to_json(), fh, indent=1, default=str)
        cmp.components.to_csv(os.path.join(folder, "components.csv"), float_format="%.10g")
        cmp.severity.to_csv(os.path.join(folder, "severity.csv"), float_format="%.10g")
        if charts:
            for name, fig in (
                (f"fans_yield_{cmp.tenor}.png", fans_figure(cmp)),
                (f"components_yield_{cmp.tenor}.png", components_figure(cmp)),
            ):
                fig.savefig(os.path.join(folder, name))
                _close(fig)

    return outdir.write(out_dir, fill)


def _close(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fans_figure(cmp: Comparison):
    """The headline tenor's median and outer band of every scenario against years since its start."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=110)
    for i, (name, r) in enumerate(zip(cmp.names, cmp.results)):
        f = r.fan(f"yield_{cmp.tenor}")
        t = [(d - f.index[0]).days / 365.25 for d in f.index]
        qs = sorted(r.quantiles)
        c = COLORS[i % len(COLORS)]
        lo, hi = f"q{100 * qs[0]:g}", f"q{100 * qs[-1]:g}"
        ax.fill_between(t, f[lo], f[hi], color=c, alpha=0.08, lw=0)
        ax.plot(t, f[lo], color=c, lw=0.6, ls=":")
        ax.plot(t, f[hi], color=c, lw=0.6, ls=":")
        mid = f["q50"] if "q50" in f else f["mean"]
        ax.plot(t, mid, color=c, lw=1.8, label=f"{name} (median, {100 * qs[0]:g}-{100 * qs[-1]:g}%)")
    ax.set_xlabel("years since each scenario's start")
    ax.set_ylabel("percent")
    ax.set_title(f"{cmp.tenor} Treasury yield: {', '.join(cmp.names)} on common random numbers")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def components_figure(cmp: Comparison):
    """Stacked bars, one per stress: the difference from the base of the headline tenor's change
    by yield component, at the horizon and where the mean gap is widest (bp)."""
    plt = _plt()
    from .reduction import PARTS

    gap = cmp.gap_components()
    panels = [("at the horizon", cmp.components), ("where the mean gap is widest", gap)]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), dpi=100, sharey=False)
    cmap = plt.get_cmap("tab10")
    for ax, (title, df) in zip(axes, panels):
        names = list(df.index)
        pos = [0.0] * len(names)
        neg = [0.0] * len(names)
        for k, c in enumerate(PARTS):
            vals = [float(df.loc[n, c]) for n in names]
            bottoms = [pos[j] if v >= 0 else neg[j] for j, v in enumerate(vals)]
            ax.bar(names, vals, bottom=bottoms, color=cmap(k % 10), label=c.replace("_", " "))
            for j, v in enumerate(vals):
                if v >= 0:
                    pos[j] += v
                else:
                    neg[j] += v
        ax.scatter(names, [float(df.loc[n, "total"]) for n in names], color="black", zorder=3, label="total")
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_title(f"{cmp.tenor} change vs {cmp.base_name}, {title} (bp)", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        ax.tick_params(axis="x", labelsize=8)
    axes[1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    return fig


def compare_page(cmp: Comparison) -> Page:
    """The comparison on one self-contained HTML page."""
    g = cmp.grid
    page = Page(f"Compare: {', '.join(cmp.names)}", f"base {cmp.base_name}, common random numbers")
    page.facts(
        {
            "base": cmp.base_name,
            "scenarios": ", ".join(cmp.names),
            "step": g["step"],
            "horizon": g["horizon"],
            "paths": g["paths"],
            "seed": g["seed"],
            "engine version": cmp.results[0].metrics["engine_version"],
            "seconds simulating": cmp.info.get("seconds_simulate"),
        }
    )
    for n in cmp.notes:
        page.note(n)
    sev = cmp.severity.copy()
    sev["percentile"] = 100 * sev["percentile"].astype(float)
    sev["percentile_resolution"] = 100 * sev["percentile_resolution"].astype(float)
    page.heading("Which stress hurts most")
    page.text(
        f"Headline: the {cmp.tenor} {cmp.headline.replace('_', ' ')}. Each scenario's median headline, its "
        f"percentile in {cmp.base_name}'s distribution, and the mean per-path difference from "
        f"{cmp.base_name} with its Monte Carlo standard error (paired, on common random numbers)."
    )
    page.table(sev, "Severity, most severe first (percentile and resolution in percent)")
    page.heading("Through which component")
    page.figure(components_figure(cmp), f"The {cmp.tenor}'s change, difference from {cmp.base_name} by component")
    page.table(cmp.components, "At the horizon (bp; 'se': standard error of the paired difference)")
    page.heading("Fans")
    page.figure(fans_figure(cmp), f"The {cmp.tenor} of every scenario")
    page.heading("Stress outcomes")
    page.table(cmp.table.reset_index(), "Means; differences from the base and their standard errors")
    page.heading("Resolved scenarios")
    for name, r in zip(cmp.names, cmp.results):
        page.details(f"{name} (seed {r.scenario.seed})", r.scenario.to_yaml())
    return page


def sweep_figure(sw):
    """The first metric over the grid: a heatmap of its mean for two swept keys (each cell
    labelled with mean +/- standard error), else a line with error bars over the first key."""
    plt = _plt()
    m, u = sw.metrics[0]
    label = f"{m} ({u})"
    t = sw.table
    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    if len(sw.keys) == 2:
        k0, k1 = sw.keys
        v0, v1 = list(dict.fromkeys(t[k0])), list(dict.fromkeys(t[k1]))
        grid = [[float(t[(t[k0] == a) & (t[k1] == b)][label].iloc[0]) for b in v1] for a in v0]
        im = ax.imshow(grid, cmap="viridis", aspect="auto")
        for i, a in enumerate(v0):
            for j, b in enumerate(v1):
                r = t[(t[k0] == a) & (t[k1] == b)].iloc[0]
                ax.text(
                    j,
                    i,
                    f"{r[label]:.1f}\n±{r[label + ' se']:.1f}",
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=8,
                )
        ax.set_xticks(range(len(v1)), v1)
        ax.set_yticks(range(len(v0)), v0)
        ax.set_xlabel(k1)
        ax.set_ylabel(k0)
        fig.colorbar(im, ax=ax, label=label)
    else:
        k0 = sw.keys[0]
        x = [", ".join(f"{k}={p[k]}" for k in sw.keys) for p in sw.points] if len(sw.keys) > 2 else list(t[k0])
        ax.errorbar(range(len(x)), t[label], yerr=2 * t[label + " se"], marker="o", capsize=3)
        ax.set_xticks(range(len(x)), x, rotation=30 if len(sw.keys) > 2 else 0, fontsize=8)
        ax.set_xlabel(k0 if len(sw.keys) == 1 else "grid point")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    ax.set_title(f"{label} (mean; bars or labels: 2 and 1 standard errors)", fontsize=10)
    fig.tight_layout()
    return fig


def write_sweep(sw, out_dir: str, charts: bool = True) -> list[str]:
    """Write a sweep's table (CSV, markdown, JSON) and its chart into ``out_dir`` atomically."""
    from .comparison import _markdown, _records

    def fill(folder: str) -> None:
        sw.table.to_csv(os.path.join(folder, "sweep.csv"), index=False, float_format="%.10g")
        with open(os.path.join(folder, "sweep.md"), "w") as fh:
            fh.write(_markdown(sw.table) + "\n")
        with open(os.path.join(folder, "sweep.json"), "w") as fh:
            json.dump(
                {"keys": sw.keys, "grid": sw.comparison.grid, "table": _records(sw.table)}, fh, indent=1, default=str
            )
        if charts:
            fig = sweep_figure(sw)
            fig.savefig(os.path.join(folder, "sweep.png"))
            _close(fig)

    return outdir.write(out_dir, fill)


def sweep_page(sw) -> Page:
    cmp = sw.comparison
    g = cmp.grid
    page = Page(f"Sweep: {', '.join(sw.keys)}", f"{len(sw.points)} runs on common random numbers")
    page.facts(
        {
            "keys": ", ".join(sw.keys),
            "step": g["step"],
            "horizon": g["horizon"],
            "paths": g["paths"],
            "seed": g["seed"],
            "engine version": cmp.results[0].metrics["engine_version"],
        }
    )
    page.figure(sweep_figure(sw), "The first metric over the grid")
    page.table(
        sw.table,
        "Every grid point: mean, standard error, and the difference from the first point with its paired "
        "standard error",
    )
    page.details("Resolved scenario of the first point", cmp.results[0].scenario.to_yaml())
    return page
