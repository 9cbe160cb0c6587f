"""The terminal summary of a run (``ustsim run`` prints it; :meth:`engine.results.Results.summary`):
the header, the initial fit, the yields table, the decomposition, the plumbing metrics with the
notes on assumed bounds, and the crossing probabilities. ``res`` is a Results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import COMPONENTS
from .units import BUSINESS_DAYS_PER_YEAR, move_label

COMPONENT_SIGN = {c.name: c.sign for c in COMPONENTS if c.sign != 1.0}


def qname(q: float) -> str:
    return f"q{100 * q:g}"


def bound_share(x: np.ndarray, bound: float) -> float:
    return float(np.mean(np.abs(x) >= bound * (1 - 1e-9))) if x.size else 0.0


def index_after(cal, years: float, dates) -> int:
    target = pd.Timestamp(cal.dates[0]) + pd.DateOffset(months=int(12 * years))
    return int(np.searchsorted(dates.values, target.to_datetime64()))


def bound_warnings(self) -> list[str]:  # self: a Results
    """Lines that say when an assumed bound decided a plumbing outcome (on the kept paths):
    the bill wedge at ``stablecoins.max_wedge``, the funds' sales at ``basis_trade.max_sales``."""
    out = []
    names = self.model.rec_names
    sc_, bt = self.scenario.section("stablecoins"), self.scenario.section("basis_trade")
    if self.n_kept and sc_.enabled and "bill_wedge_peak" in names:
        w = np.maximum(self.raw("bill_wedge_peak")[-1], -self.raw("bill_wedge_trough")[-1])
        share = bound_share(w, sc_.max_wedge.value)
        if share > 0:
            out.append(
                f"  note: the bill wedge reached stablecoins.max_wedge ({sc_.max_wedge}, an assumption) "
                f"on {100 * share:.0f}% of the kept paths: the bound, not the flows, sets it there"
            )
    if self.n_kept and bt.enabled and "basis_forced_sales_peak_day" in names:
        cap = bt.max_sales.value / BUSINESS_DAYS_PER_YEAR  # USD bn a day
        share = bound_share(self.raw("basis_forced_sales_peak_day")[-1], cap)
        if share > 0:
            out.append(
                f"  note: the funds' sales reached basis_trade.max_sales ({bt.max_sales}, an "
                f"assumption) on {100 * share:.0f}% of the kept paths"
            )
    return out


# ---------------------------------------------------------------- summary
def summary(self) -> str:  # self: a Results
    m = self.metrics
    cal = self.model.cal
    lines = [
        f"ustsim {m['engine_version']} | {m['scenario_name']} | seed {m['seed']} | {m['paths']:,} paths"
        f"{' (antithetic)' if m['antithetic'] else ''}"
        f"{' (Sobol + Brownian bridge)' if m['quasi_random'] else ''} x {m['steps']} steps of {m['step']} | "
        f"{m['start']} -> {m['end']}"
    ]
    fit = m["initial_fit"]
    if "curve" in fit:
        parts = [
            f"{t} {v['observed_pct']:.2f}% (model {v['model_pct']:.2f}%, {v['residual_bp']:+.0f}bp)"
            for t, v in fit["curve"].items()
        ]
        lines.append("initial curve fit: " + ", ".join(parts))
    lines.append(
        "fitted at start: " + ", ".join(f"{k[:-4].replace('_', ' ')} {v:.2f}%" for k, v in fit["fitted"].items())
    )
    q_lo, q_hi = qname(min(self.quantiles)), qname(max(self.quantiles))
    wk = self.model.grid.steps_per_week > 0
    move = move_label(wk, bool(self.model.grid.every_step), short=True)
    hdr = (
        f"{'':<10}{'start':>8}{'horizon':>9}{q_lo + ' to ' + q_hi:>19}{'peak ' + q_hi:>10}"
        f"{'max rise ' + move + ' ' + q_hi:>20}{'real.vol':>10}"
    )
    lines += ["", hdr + "   (%, bp, bp/yr)"]
    for t, d in m["yields"].items():
        rise = d["max_rise_1w_bp" if wk else "max_rise_1step_bp"][q_hi]
        lines.append(
            f"{'yield_' + t:<10}{d['start_pct']:>7.2f}%{d['horizon_pct']['mean']:>8.2f}%"
            f"{d['horizon_pct'][q_lo]:>8.2f} to {d['horizon_pct'][q_hi]:.2f}%"
            f"{d['peak_pct'][q_hi]:>9.2f}%{rise:>18.0f}bp{d['realized_vol_bp_per_yr']['mean']:>10.0f}"
        )
    for n in ("policy_rate", "inflation"):
        d = m["states"][n]["horizon_pct"]
        lines.append(f"{n:<18}{d['mean']:>8.2f}%{d[q_lo]:>8.2f} to {d[q_hi]:.2f}%  (at horizon)")
    ten = self.headline_tenor()
    comp = self.components(ten)
    idx = sorted({0, min(len(comp) - 1, index_after(cal, 1.0, self.dates)), len(comp) - 1})
    lines += [
        "",
        f"{ten} decomposition (mean, %)".ljust(28) + "".join(f"{comp.index[i].date()!s:>12}" for i in idx),
    ]
    for c in comp.columns:
        sign = "- " if c in COMPONENT_SIGN else "  "
        lines.append(f"  {sign}{c:<24}" + "".join(f"{comp[c].iloc[i]:>12.2f}" for i in idx))
    if m["plumbing"]:
        lines += ["", f"plumbing at the horizon (running totals and peaks; mean, {q_lo} to {q_hi})"]
        for n, d in m["plumbing"].items():
            if d["unit"] == "share" and n == "basis_needed_backstop":  # a 0/1 indicator: a probability
                lines.append(f"  {n:<34}{100 * d['mean']:>9.1f}% +/- {100 * d['std_error']:.1f}%  (probability)")
                continue
            u = "%" if d["unit"] == "pct" else " " + d["unit"]
            fmt = "{:.0f}" if d["unit"] == "count" else "{:.4g}"
            lines.append(f"  {n:<34}{d['mean']:>10.4g}{u}   " + fmt.format(d[q_lo]) + " to " + fmt.format(d[q_hi]))
        lines += bound_warnings(self)
        bad = m["plumbing"].get("basis_unconverged_steps")
        if bad is not None and bad["mean"] > 0:
            lines.append(
                f"  warning: the basis-trade spiral hit max_iterations on {bad['mean']:.3g} steps a path "
                "(raise basis_trade.max_iterations or the tolerance)"
            )
    if m["thresholds"]:
        lines += ["", "probability of crossing (any time, +/- s.e.)"]
        for t in m["thresholds"]:
            lines.append(
                f"  {t['expr']:<30}{100 * t['probability']:>6.1f}% +/- {100 * t['std_error']:.1f}%"
                f"   [{t['resolution']}]"
            )
    return "\n".join(lines)
