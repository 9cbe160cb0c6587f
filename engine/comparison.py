"""``ustsim compare``: stress outcomes against a base on common random numbers.

Every scenario runs on one common grid (step, horizon, record, paths, seed, antithetic and
quasi-random settings, where the per-path metrics look: ``outputs.path_metrics``) with the same
random streams (engine.core.sampling): path ``p`` of every scenario takes the same draws from
every source they share, so the difference of a metric between two scenarios is measured per
path and its Monte Carlo standard error comes from the per-path (paired) differences, reduced
streaming (engine.pairing) like a run's summaries. Each scenario keeps its own start date,
initial state, parameters and events.

The common grid (:func:`common_grid`): the finest step among the scenarios (a daily-step stress
keeps its daily mechanics), the longest of the stresses' own horizons, the base's paths and seed.
Each can be set (``horizon=``, ``step=``, ``paths=``, ``seed=``); a scenario run on a grid other
than its own is noted in the output.

Units: the table's values are percent (``_pct``), basis points (``_bp``), probabilities or the
plumbing's own units, as each metric's unit column says.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import driver, memory
from ._blas import one_blas_thread
from .core.layout import PLUMBING_UNITS
from .errors import ResourceError, UstsimError
from .model import build
from .reduction import PARTS
from .results import Results
from .scenario import Scenario
from .summary_text import COMPONENT_SIGN, qname
from .units import move_label

#: headline metrics a stress can be ranked by: name -> (scalar of the headline tenor, unit,
#: subtract the start: a rise from the scenario's own starting yield)
HEADLINES = {
    "rise_to_peak": ("peak", "bp", True),
    "change_to_horizon": ("change_to_horizon", "bp", False),
    "horizon": ("horizon", "pct", False),
    "max_rise_1step": ("max_rise_1step", "bp", False),
}
_SCALE = {"bp": 1e4, "pct": 100.0, "probability": 1.0}


@dataclass
class Comparison:
    """What ``compare`` produced. ``results``: each scenario's own :class:`~engine.results.Results`
    (fans, metrics) on the common grid; ``table``: rows (metric, unit), columns each scenario's
    mean, and for every other scenario its difference from the base and that difference's
    standard error; ``components``: the headline tenor's difference from the base at the horizon,
    by yield component (bp, with standard errors); ``severity``: each scenario's median headline
    and its percentile in the base's distribution, most severe first; ``grid``: the common grid;
    ``notes``: scenarios run on a grid other than their own."""

    names: list[str]
    base: int
    results: list[Results]
    table: pd.DataFrame
    components: pd.DataFrame
    severity: pd.DataFrame
    grid: dict
    tenor: str
    headline: str
    notes: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    @property
    def base_name(self) -> str:
        return self.names[self.base]

    def gap_components(self) -> pd.DataFrame:
        """The difference from the base of the headline tenor's mean change since its own start,
        by component (bp), at the recorded point where it is widest (exact means on common random
        numbers): rows the
        other scenarios, columns the components (signed: they add up to the yield's difference)
        then ``total`` and ``step`` (the recorded point's index)."""
        b = self.results[self.base]
        rows = {}

        def change(r, name):  # mean change from the scenario's own start, percent
            m = r.fan(name)["mean"].to_numpy()
            return m - m[0]

        yb = change(b, f"yield_{self.tenor}")
        for i, r in enumerate(self.results):
            if i == self.base:
                continue
            ys = change(r, f"yield_{self.tenor}")
            n = min(len(ys), len(yb))
            k = int(np.argmax(np.abs(ys[:n] - yb[:n])))
            row = {}
            for c in PARTS:
                sign = -1.0 if c in COMPONENT_SIGN else 1.0
                name = f"yield_{self.tenor}/{c}"
                row[c] = sign * (change(r, name)[k] - change(b, name)[k]) * 100
            row["total"] = (ys[k] - yb[k]) * 100
            row["step"] = k
            rows[self.names[i]] = row
        return pd.DataFrame(rows).T

    def markdown(self) -> str:
        """The table as GitHub markdown."""
        return _markdown(self.table.reset_index())

    def to_json(self) -> dict:
        """Everything in plain JSON types (the table as records, the facts)."""
        return {
            "base": self.base_name,
            "scenarios": self.names,
            "grid": self.grid,
            "tenor": self.tenor,
            "headline": self.headline,
            "notes": self.notes,
            "table": _records(self.table.reset_index()),
            "components_at_horizon_bp": _records(self.components.reset_index()),
            "components_at_widest_gap_bp": _records(self.gap_components().reset_index(names="scenario")),
            "severity": _records(self.severity.reset_index()),
            "seeds": {n: r.scenario.seed for n, r in zip(self.names, self.results)},
            "engine_version": self.results[0].metrics["engine_version"],
            "resolved_scenarios": {n: r.metrics["scenario"] for n, r in zip(self.names, self.results)},
            "run": self.info,
        }

    def summary(self) -> str:
        """The terminal summary: the common grid, the severity ranking and the table."""
        g = self.grid
        lines = [
            f"compare on common random numbers: base {self.base_name}; step {g['step']}, horizon "
            f"{g['horizon']}, {g['paths']} paths, seed {g['seed']}",
            *(f"  note: {n}" for n in self.notes),
            "",
            f"severity (headline: {self.tenor} {self.headline}; percentile of the median in the base's distribution)",
        ]
        for name, row in self.severity.iterrows():
            lines.append(
                f"  {name:<24} median {row['median']:>9.2f} {row['unit']:<4} -> {100 * row['percentile']:6.1f}th "
                f"percentile of {self.base_name}  (mean difference {row['difference']:+.2f} +/- {row['std_error']:.2f})"
            )
        comp = self.components
        if len(comp):
            lines += ["", f"{self.tenor} change to the horizon: difference from {self.base_name} by component (bp)"]
            cols = [c for c in comp.columns if not c.endswith(" se")]
            lines.append(f"  {'':<24}" + "".join(f"{c[:14]:>15}" for c in cols))
            for name, row in comp.iterrows():
                lines.append(f"  {name:<24}" + "".join(f"{row[c]:>15.2f}" for c in cols))
        lines += ["", self.table.to_string(float_format=lambda x: f"{x:.3f}")]
        return "\n".join(lines)


def _markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    out = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---:" if df[c].dtype.kind in "fi" else "---" for c in df.columns) + "|",
    ]
    for row in df.itertuples(index=False):
        out.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(out)


def _records(df: pd.DataFrame) -> list[dict]:
    return [
        {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
        for r in df.to_dict("records")
    ]


MAX_RECORDS = 400  # recorded points of a comparison, beyond which the base's record interval is used


def common_grid(scenarios: list[Scenario], base: int, *, paths=None, seed=None, horizon=None, step=None) -> dict:
    """The grid every scenario of a comparison runs on (strings as in a scenario file): the
    finest step among them; the longest of the stresses' own horizons (a 60-day unwind compared
    over ten years is lost in the noise of the ten years); the base's paths, seed and sampling;
    the finest record interval among them unless that records more than ``MAX_RECORDS`` points,
    then the base's; never finer than the step; per-path metrics at every step if any scenario
    has them there (``outputs.path_metrics``: a peak or largest move compares only at one
    resolution). ``horizon`` etc. override."""
    b = scenarios[base].simulation

    def tenor(key: str, value: str):  # a value as the schema parses it
        return getattr(scenarios[base].with_overrides([f"simulation.{key}={value}"]).simulation, key)

    stp = tenor("step", step) if step else min((s.simulation.step for s in scenarios), key=lambda t: t.years)
    hor = (
        tenor("horizon", horizon)
        if horizon
        else max((s.simulation.horizon for j, s in enumerate(scenarios) if j != base), key=lambda t: t.years)
    )
    rec = min((s.simulation.record or s.simulation.step for s in scenarios), key=lambda t: t.years)
    if hor.years / rec.years > MAX_RECORDS:
        rec = b.record or b.step
    if rec.years < stp.years - 1e-12:
        rec = stp
    return {
        "step": str(stp),
        "horizon": str(hor),
        "record": str(rec),
        "paths": int(paths or b.paths),
        "seed": int(seed if seed is not None else b.seed),
        "antithetic": bool(b.antithetic),
        "quasi_random": bool(b.quasi_random),
        "path_metrics": "every_step"
        if any(s.outputs.path_metrics == "every_step" for s in scenarios)
        else "recorded_dates",
    }


def _on_grid(sc: Scenario, grid: dict) -> Scenario:
    return sc.with_overrides(
        [
            f"{'outputs' if k == 'path_metrics' else 'simulation'}.{k}={str(v).lower() if isinstance(v, bool) else v}"
            for k, v in grid.items()
        ]
    )


@one_blas_thread
def compare(
    scenarios: list[Scenario],
    *,
    base: int = 0,
    paths: int | None = None,
    seed: int | None = None,
    horizon: str | None = None,
    step: str | None = None,
    tenor: str = "10y",
    headline: str = "rise_to_peak",
    threads: int | None = None,
    client=None,
    progress=None,
    max_memory: float | None = None,
    labels: list[str] | None = None,
) -> Comparison:
    """Run ``scenarios`` on common random numbers against ``scenarios[base]``; see the module.
    ``labels``: the scenarios' names in the outputs (default: their ``name``, made unique)."""
    if len(scenarios) < 2:
        raise UstsimError("compare needs at least two scenarios: a base and a stress")
    if not 0 <= base < len(scenarios):
        raise UstsimError(f"base: {base} is not one of the {len(scenarios)} scenarios")
    if headline not in HEADLINES:
        raise UstsimError(f"headline: {headline!r} is not a headline; expected one of {', '.join(HEADLINES)}")
    names = _unique(labels or [s.name for s in scenarios])
    grid = common_grid(scenarios, base, paths=paths, seed=seed, horizon=horizon, step=step)
    notes = []
    for name, s in zip(names, scenarios):
        own = {
            "step": str(s.simulation.step),
            "horizon": str(s.simulation.horizon),
            "path_metrics": s.outputs.path_metrics,
        }
        moved = [f"{k} {own[k]} -> {grid[k]}" for k in own if own[k] != grid[k]]
        if moved:
            notes.append(f"{name} runs on the common grid ({', '.join(moved)})")
    on_grid = [_on_grid(s, grid) for s in scenarios]
    models = [build(s) for s in on_grid]
    tenors = [[str(t) for t in m.tenors] for m in models]
    if not all(tenor in lab for lab in tenors):
        raise UstsimError(f"tenor: {tenor} is not among every scenario's outputs.tenors")
    threads = threads or driver.default_threads()
    need = (
        sum(memory.memory_estimate(m, grid["paths"], threads) - memory.BASE_BYTES for m in models) + memory.BASE_BYTES
    )
    lim = int(max_memory) if max_memory else int(0.8 * memory.available_memory())
    if need > lim:
        raise ResourceError(
            f"the comparison needs an estimated {memory.format_bytes(need)}, over the limit of "
            f"{memory.format_bytes(lim)}; compare fewer scenarios, record less often or use fewer paths"
        )
    extra = (f"yield_{tenor}", *(f"yield_{tenor}/{c}" for c in PARTS))
    scalar, unit, from_start = HEADLINES[headline]
    t0 = time.perf_counter()
    summaries, paired, _, _ = driver.summarise_many(
        models,
        grid["paths"],
        grid["seed"],
        threads=threads,
        progress=progress,
        client=client,
        base=base,
        headline=f"yield_{tenor}:{scalar}",
        extra_states=extra,
    )
    info = {"threads": threads, "seconds_simulate": round(time.perf_counter() - t0, 4), "memory_estimate_bytes": need}
    empty = np.empty((models[0].n_rec, models[0].n_var, 0))
    results = [Results(m, s, empty, np.empty((7, m.n_tenor, 0)), dict(info)) for m, s in zip(models, summaries)]
    assert paired is not None
    table = _table(names, base, results, paired, tenors[base], tenor)
    comps = _components(names, base, results, paired, tenor)
    sev = _severity(names, base, results, paired, tenor, scalar, unit, from_start)
    return Comparison(names, base, results, table, comps, sev, grid, tenor, headline, notes, info)


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        k, i = n, 2
        while k in out:
            k, i = f"{n}#{i}", i + 1
        out.append(k)
    return out


def _rows(view, tenors: list[str], tenor: str) -> list[tuple[str, str, str, float, bool]]:
    """(metric, unit, scalar name, scale, subtract the start) of the table's rows."""
    rows = []
    move = move_label(False, view.every_step)  # outputs.path_metrics (one on the common grid)
    order = [tenor] + [t for t in tenors if t != tenor]
    for t in order:
        y = f"yield_{t}"
        rows += [
            (f"{y} at horizon", "pct", f"{y}:horizon", 100.0, False),
            (f"{y} change to horizon", "bp", f"{y}:change_to_horizon", 1e4, False),
            (f"{y} rise to peak", "bp", f"{y}:peak", 1e4, True),
            (f"{y} largest {move} rise", "bp", f"{y}:max_rise_1step", 1e4, False),
        ]
        if f"{y}:max_rise_1w" in view.scalar_names:
            rows.append((f"{y} largest {move_label(True, True)} rise", "bp", f"{y}:max_rise_1w", 1e4, False))
    for n in ("policy_rate", "inflation", "term_premium_10y"):
        rows.append((f"{n} at horizon", "pct", f"{n}:horizon", 100.0, False))
    for n in view.states:
        if n in PLUMBING_UNITS:
            rows.append((f"{n} at horizon", PLUMBING_UNITS[n], f"{n}:horizon", 1.0, False))
    for expr in view.thresholds:
        rows.append((f"P({expr})", "probability", f"threshold:{expr}", 1.0, False))
    return rows


def _start(res: Results, scalar: str) -> float:
    """The start value (decimals) of the yield a scalar ``yield_T:...`` belongs to."""
    y = scalar.split(":")[0]
    return float(res.fan(y)["mean"].iloc[0]) / 100.0


def _table(names, base, results, paired, tenors, tenor) -> pd.DataFrame:
    view = results[base].stats.plan.view
    common = paired.plan.common
    data: dict = {}
    index = []
    for metric, unit, sname, scale, from_start in _rows(view, tenors, tenor):
        if sname not in common:
            continue
        k = common.index(sname)
        index.append((metric, unit))
        base_start = _start(results[base], sname) if from_start else 0.0
        for i, (name, r) in enumerate(zip(names, results)):
            s = r.stats
            j = s.plan.view.scalar_names.index(sname)
            start = _start(r, sname) if from_start else 0.0
            data.setdefault(name, []).append((s.scal_mom.mean[0, j] - start) * scale)
            data.setdefault(f"{name} se", []).append(s.std_error()[j] * scale)
            if i != base:
                diff = (paired.mean(i)[k] - (start - base_start)) * scale
                data.setdefault(f"{name} - {names[base]}", []).append(diff)
                data.setdefault(f"{name} - {names[base]} se", []).append(paired.std_error(i)[k] * scale)
    cols = [names[base], f"{names[base]} se"]
    for i, n in enumerate(names):
        if i != base:
            cols += [n, f"{n} se", f"{n} - {names[base]}", f"{n} - {names[base]} se"]
    return pd.DataFrame(data, index=pd.MultiIndex.from_tuples(index, names=["metric", "unit"]))[cols]


def _components(names, base, results, paired, tenor) -> pd.DataFrame:
    """The difference from the base of the headline tenor's change from its own start to the
    horizon, by part, bp, signed so the parts add up to the yield's; with standard errors (the
    start is deterministic, so it moves no standard error)."""
    common = paired.plan.common
    rows = {}
    b = results[base]
    for i in paired.plan.others:
        m, se = paired.mean(i), paired.std_error(i)
        row = {}
        for c in [*PARTS, ""]:
            name = f"yield_{tenor}/{c}" if c else f"yield_{tenor}"
            k = common.index(f"{name}:horizon")
            start = (results[i].fan(name)["mean"].iloc[0] - b.fan(name)["mean"].iloc[0]) / 100.0
            sign = -1.0 if c in COMPONENT_SIGN else 1.0
            row[c or "total"] = sign * (m[k] - start) * 1e4
            row[f"{c or 'total'} se"] = se[k] * 1e4
        rows[names[i]] = row
    return pd.DataFrame(rows).T.rename_axis("scenario")


def _severity(names, base, results, paired, tenor, scalar, unit, from_start) -> pd.DataFrame:
    sname = f"yield_{tenor}:{scalar}"
    k = paired.plan.common.index(sname)
    scale = _SCALE[unit]
    b = results[base]
    rows = {}
    for i, (name, r) in enumerate(zip(names, results)):
        d = r.scalar(sname)
        med = d.get(qname(0.5), d["mean"])
        start = _start(r, sname) if from_start else 0.0
        x_in_base = med - start + (_start(b, sname) if from_start else 0.0)
        pct, res = paired.percentile(x_in_base)
        if i == base:
            diff = se = 0.0
        else:
            shift = (start - _start(b, sname)) if from_start else 0.0
            diff, se = (paired.mean(i)[k] - shift) * scale, paired.std_error(i)[k] * scale
        rows[name] = {
            "median": (med - start) * scale,
            "unit": unit,
            "percentile": pct,
            "percentile_resolution": res,
            "difference": diff,
            "std_error": se,
        }
    df = pd.DataFrame(rows).T.rename_axis("scenario")
    return df.sort_values("percentile", ascending=False, kind="stable")


def split_values(text: str) -> list[str]:
    """``v1,v2,v3`` -> values, splitting at commas outside brackets (a value may be a list)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{("
        depth -= ch in "]})"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    if any(v == "" for v in out):
        raise UstsimError(f"{text!r}: an empty value in the list; expected values separated by commas")
    return out


@dataclass
class Sweep:
    """A grid of runs on common random numbers: ``points`` one dict (key -> value) per run,
    ``comparison`` the runs compared against the first point, ``table`` rows the grid points
    (one column per swept key) and per metric its mean, standard error, and difference from the
    first point with the paired standard error."""

    keys: list[str]
    points: list[dict]
    metrics: list[tuple[str, str]]
    comparison: Comparison
    table: pd.DataFrame


@one_blas_thread
def sweep(
    scenario: Scenario,
    grid: dict[str, list[str]],
    *,
    metrics: list[str] | None = None,
    max_points: int = 64,
    **kw,
) -> Sweep:
    """Run ``scenario`` at every point of ``grid`` ({dotted key: [values]}, the cartesian product)
    on common random numbers; ``metrics``: table rows of :func:`compare` (default: the headline
    tenor's rise to peak and change to the horizon, and every threshold). ``kw`` as for
    :func:`compare`."""
    import itertools

    keys = list(grid)
    if not keys:
        raise UstsimError("sweep: give at least one --set key=v1,v2,...")
    combos = list(itertools.product(*(grid[k] for k in keys)))
    if len(combos) > max_points:
        raise UstsimError(f"sweep: {len(combos)} grid points, over the limit of {max_points}; sweep fewer values")
    points = [dict(zip(keys, c)) for c in combos]
    scenarios = [scenario.with_overrides([f"{k}={v}" for k, v in p.items()]) for p in points]
    labels = [", ".join(f"{k.split('.')[-1]}={v}" for k, v in p.items()) for p in points]
    cmp = compare(scenarios, base=0, labels=labels, **kw)
    tenor = cmp.tenor
    rows = list(cmp.table.index)
    wanted = metrics or [f"yield_{tenor} rise to peak", f"yield_{tenor} change to horizon"] + [
        m for m, _ in rows if m.startswith("P(")
    ]
    chosen = []
    for w in wanted:
        hit = [r for r in rows if r[0] == w]
        if not hit:
            raise UstsimError(f"sweep: no metric {w!r}; expected one of: {'; '.join(m for m, _ in rows)}")
        chosen.append(hit[0])
    t = cmp.table
    first = cmp.names[0]
    recs = []
    for i, (name, p) in enumerate(zip(cmp.names, points)):
        rec: dict = dict(p)
        for m, u in chosen:
            row = t.loc[(m, u)]
            label = f"{m} ({u})"
            rec[label], rec[f"{label} se"] = row[name], row[f"{name} se"]
            d = f"{name} - {first}"
            rec[f"{label} diff"], rec[f"{label} diff se"] = (row[d], row[f"{d} se"]) if i else (0.0, 0.0)
        recs.append(rec)
    return Sweep(keys, points, chosen, cmp, pd.DataFrame(recs))
