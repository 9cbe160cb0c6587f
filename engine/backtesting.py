"""``ustsim backtest``: the engine's forecast distributions held against history.

A rolling-origin evaluation. For each start (each January of ``first..last``, or each quarter)
the base scenario is rebuilt at the last day of the month before: ``simulation.start`` that day,
``initial.fed_funds``, ``inflation``, ``inflation_expectations``, ``output_gap`` and the curve
(2y, 10y, and the 30y where observed) from the history (:mod:`engine.history`), the term premium
and the policy stance fitted to the curve (``fit_also: [policy_stance]``, as the baseline does),
the base's dated events dropped (they belong to its own period). It is simulated monthly over
the horizon on its own seed (``SeedSequence((seed, yyyymm))``), and the realised 2y, 10y, fed
funds and 10y - 2y slope at each month end are scored against the simulated paths of
``yield_2y``, ``yield_10y``, ``policy_rate`` and their difference ``yield_10y - yield_2y`` (the
yields rebuilt by the kernel's own composition, via :meth:`engine.results.Results.raw`;
:data:`VARIABLES`):

- ``pit``: the share of paths below the realised value, ties counted half;
- ``in_50`` / ``in_90``: the realised value inside the simulated 25-75% / 5-95% quantiles;
- ``crps_bp``: the sample CRPS, mean|X - y| - mean|X - X'|/2 over all pairs of paths, in bp;
- ``bias_bp``: realised minus the simulated median, bp; ``sim_sd_change_bp``: the simulated
  standard deviation of the change from the start to that month, bp.

The summary (:func:`summarise`) gives per variable, over all months and at single months (12,
and the horizon): coverage, mean PIT, the PIT histogram (10 bins), mean CRPS and bias, the bias
by the start's decade, and at a single month the standard deviation across starts of the
forecast error (realised minus median) against the mean simulated s.d. of the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import driver, history, memory
from ._blas import one_blas_thread
from ._version import __version__
from .errors import Problem, ScenarioError, UstsimError
from .model import build
from .results import Results
from .scenario import Scenario, _validate, load_scenario


@dataclass(frozen=True)
class Scored:
    """A scored variable: the engine's series ``engine`` (one, or two for the first minus the
    second) against the history's columns ``history`` (the same way), percent in the history."""

    engine: tuple[str, ...]
    history: tuple[str, ...]
    label: str

    def paths(self, raw: Callable[[str], np.ndarray]) -> np.ndarray:
        """The simulated paths, decimals, from ``raw(name)``."""
        return _value_or_difference(raw, self.engine)

    def realised(self, hist: pd.DataFrame) -> pd.Series:
        """The realised series, percent."""
        return _value_or_difference(lambda c: hist[c], self.history)


def _value_or_difference(get, names):
    return get(names[0]) - get(names[1]) if len(names) == 2 else get(names[0])


#: scored variable -> what it is made of and called
VARIABLES = {
    "yield_2y": Scored(("yield_2y",), ("dgs2",), "2y yield"),
    "yield_10y": Scored(("yield_10y",), ("dgs10",), "10y yield"),
    "policy_rate": Scored(("policy_rate",), ("fed_funds",), "fed funds"),
    "slope_10y_2y": Scored(("yield_10y", "yield_2y"), ("dgs10", "dgs2"), "10y - 2y"),
}
#: the history's columns the scored variables read
SCORED_COLUMNS = tuple(dict.fromkeys(c for v in VARIABLES.values() for c in v.history))
#: history columns a start needs at its origin (dgs30 is used when present)
INITIAL = ("fed_funds", "core_pce_yoy", "inflation_expectations", "output_gap", "dgs2", "dgs10")
STARTS = {"january": (1,), "quarterly": (1, 4, 7, 10)}
HORIZONS = {"1y": 12, "3y": 36}
DECADES = (1990, 2000, 2010, 2020)
PIT_BINS = 10
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class Backtest:
    """What :func:`backtest` produced. ``scores``: one row per start, month and variable;
    ``summary``: one row per variable and months ("1-12": all months of the horizon; "12": the
    twelfth alone); ``starts``: per start its origin, seed and the initial curve's fit (bp);
    ``settings``: what was run (engine version, base scenario, seed, data source); ``base``: the
    base scenario; ``notes``: starts dropped and why."""

    scores: pd.DataFrame
    summary: pd.DataFrame
    starts: pd.DataFrame
    settings: dict
    base: Scenario
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        """A short text table for the terminal."""
        cols = ["variable", "months", "n", "cover_50", "cover_90", "mean_pit", "crps_bp", "bias_bp", "err_sd_bp"]
        cols.append("sim_sd_bp")
        s = self.settings
        head = (
            f"backtest of {s['scenario']}: {s['n_starts']} {s['starts']} starts {s['first_start']} to "
            f"{s['last_start']}, {s['horizon']} monthly, {s['paths']:,} paths, seed {s['seed']}"
        )
        fmt = {c: (lambda x: f"{x:.1f}") if c.endswith("_bp") else (lambda x: f"{x:.3f}") for c in cols[3:]}
        body = self.summary[cols].to_string(index=False, formatters=fmt)
        return "\n".join([head, body, *self.notes])


def score(sims: np.ndarray, realised: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of ``realised`` (m,) against ``sims`` (m, paths), both decimals, month by month:
    ``pit``, the quantiles ``q5 q25 q50 q75 q95`` (decimals), ``in_50``, ``in_90``, ``crps_bp``,
    ``bias_bp``."""
    s = np.sort(np.asarray(sims, dtype=float), axis=1)
    x = np.asarray(realised, dtype=float)[:, None]
    n = s.shape[1]
    pit = ((s < x).sum(axis=1) + 0.5 * (s == x).sum(axis=1)) / n
    q = np.quantile(s, QUANTILES, axis=1)
    x1 = x[:, 0]
    # sum over all pairs |X_i - X_j| = 2 sum_k (2k - n + 1) X_(k) for sorted X (k from 0)
    spread = ((2 * np.arange(n) - n + 1) * s).sum(axis=1) / n**2
    crps = np.abs(s - x).mean(axis=1) - spread
    out = {f"q{round(p * 100)}": q[i] for i, p in enumerate(QUANTILES)}
    out.update(
        pit=pit,
        in_50=(q[1] <= x1) & (x1 <= q[3]),
        in_90=(q[0] <= x1) & (x1 <= q[4]),
        crps_bp=crps * 1e4,
        bias_bp=(x1 - q[2]) * 1e4,
    )
    return out


def start_dates(first: int, last: int, starts: str) -> list[pd.Timestamp]:
    """The first day of every start month (January, or each quarter) of ``first..last``."""
    return [pd.Timestamp(y, m, 1) for y in range(first, last + 1) for m in STARTS[starts]]


def start_scenario(base: Scenario, origin: pd.Timestamp, row: pd.Series, months: int, paths: int, seed: int):
    """The base scenario started at ``origin`` from the history's ``row`` (percent), ``months``
    months ahead monthly; built as data and validated (no ``extends`` merge: the curve is
    exactly the observed tenors)."""
    p = base.to_plain()
    p["simulation"].update(start=origin.date(), horizon=f"{months}m", step="1m", record="1m", paths=paths, seed=seed)
    pct = lambda v: f"{v:.4f}%"
    curve = {"2y": pct(row["dgs2"]), "10y": pct(row["dgs10"])}
    if not np.isnan(row["dgs30"]):
        curve["30y"] = pct(row["dgs30"])
    p["initial"].update(
        fed_funds=pct(row["fed_funds"]),
        inflation=pct(row["core_pce_yoy"]),
        inflation_expectations=pct(row["inflation_expectations"]),
        output_gap=pct(row["output_gap"]),
        curve=curve,
        fit_also=p["initial"].get("fit_also") or ["policy_stance"],
    )
    p["events"] = []
    p["outputs"].update(tenors=["2y", "10y"], thresholds=[], keep_paths=paths, charts=False)
    where = f"{base.source} (backtest start {origin.date()})"
    try:
        return _validate(p, {}, where, (), [])
    except ScenarioError as exc:
        raise ScenarioError([Problem(where, None, pr.key, pr.message) for pr in exc.problems]) from None


def simulate_start(sc: Scenario, threads: int | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Every path of the scored variables, (months + 1, paths) decimals from the start, and the
    initial curve's fit (tenor -> (observed, model))."""
    model = build(sc)
    threads = threads or driver.default_threads()
    sim = sc.simulation
    memory.check_memory(model, sim.paths, threads, None, keep=sim.paths)
    rec, met = driver.simulate(model, sim.paths, sim.seed, threads=threads)
    res = Results(model, None, rec, met, {})
    return {v: s.paths(res.raw) for v, s in VARIABLES.items()}, model.fit


def score_start(sims: dict[str, np.ndarray], hist: pd.DataFrame, start: pd.Timestamp, origin: pd.Timestamp):
    """The score rows of one start: ``sims`` (months + 1, paths) per variable from the origin
    (record 0), against the history's month ends 1..months after ``origin`` (percent)."""
    months = next(iter(sims.values())).shape[0] - 1
    ends = [origin + pd.offsets.MonthEnd(h) for h in range(1, months + 1)]
    rows = []
    for var, scored in VARIABLES.items():
        s = sims[var]
        x = scored.realised(hist.loc[ends]).to_numpy() / 100
        sc = score(s[1:], x)
        sd_change = (s[1:] - s[0]).std(axis=1, ddof=1) * 1e4
        for h in range(months):
            rows.append(
                {"start": f"{start:%Y-%m}", "origin": origin.date(), "date": ends[h].date(), "month": h + 1}
                | {"variable": var, "realised_pct": x[h] * 100}
                | {f"{k}_pct": sc[k][h] * 100 for k in ("q5", "q25", "q50", "q75", "q95")}
                | {k: sc[k][h] for k in ("pit", "in_50", "in_90", "crps_bp", "bias_bp")}
                | {"sim_sd_change_bp": sd_change[h]}
            )
    return rows


def _seed(seed: int, start: pd.Timestamp) -> int:
    return int(np.random.SeedSequence([seed, start.year * 100 + start.month]).generate_state(1, np.uint64)[0])


def _check(first: int, last: int, starts: str, horizon: str, paths: int, seed: int) -> None:
    if not (1900 <= first <= 2200 and 1900 <= last <= 2200) or first > last:
        raise UstsimError(f"--from {first} --to {last}: expected years with --from no later than --to")
    if starts not in STARTS:
        raise UstsimError(f"--starts {starts!r}: expected one of {', '.join(STARTS)}")
    if horizon not in HORIZONS:
        raise UstsimError(f"--horizon {horizon!r}: expected one of {', '.join(HORIZONS)}")
    if not 10 <= paths <= 10_000_000:
        raise UstsimError(f"--paths {paths}: expected 10 to 10,000,000 paths")
    if not 0 <= seed < 2**63:
        raise UstsimError(f"--seed {seed}: expected a non-negative integer")


def plan(hist: pd.DataFrame, source: str, first: int, last: int, starts: str, months: int):
    """The starts to run (start, origin) and notes on those dropped because their horizon runs
    past the data; refuses a start whose origin the data do not cover."""
    span = f"{hist.index[0]:%Y-%m} to {hist.index[-1]:%Y-%m}"
    run, dropped = [], []
    for st in start_dates(first, last, starts):
        origin = st - pd.Timedelta(days=1)
        if origin not in hist.index:
            raise UstsimError(
                f"start {st:%Y-%m} needs the data of {origin:%Y-%m}, outside {source} ({span}); "
                "expected --from/--to within the data"
            )
        gaps = hist.loc[origin, list(INITIAL)].isna()
        empty = [c for c in INITIAL if gaps[c]]
        if empty:
            raise UstsimError(
                f"start {st:%Y-%m}: {source} has no {empty[0]} for {origin:%Y-%m}; expected --from/--to "
                "within the months where every initial value is present"
            )
        ends = [origin + pd.offsets.MonthEnd(h) for h in range(1, months + 1)]
        realised = hist.reindex(ends)[list(SCORED_COLUMNS)]
        if realised.isna().to_numpy().any():
            dropped.append(st)
        else:
            run.append((st, origin))
    notes = []
    if dropped:
        notes.append(
            f"note: dropped {len(dropped)} start(s) ({', '.join(f'{d:%Y-%m}' for d in dropped)}) whose "
            f"{months}-month horizon runs past the data ({span})"
        )
    if not run:
        raise UstsimError(f"no start from {first} to {last} has {months} months of data after it in {source} ({span})")
    return run, notes


def _check_base(base: Scenario) -> None:
    """A backtest rebuilds the market's state at each start; dated paths of the Treasury and
    plumbing blocks (a fiscal outlook, a stablecoin market) and a fixed policy path cannot be moved
    to another start, so a base that has them is refused."""
    problems = [
        (
            f"{b}.enabled",
            "is on; a backtest starts the core model at past dates, where the Treasury and plumbing "
            "blocks' dated paths do not apply (expected a base like baseline, with them off)",
        )
        for b in ("treasury", "stablecoins", "basis_trade")
        if base.section(b).enabled
    ][:1]
    if base.section("policy").fixed_path:
        problems.append(
            ("policy.fixed_path", "is given; a dated policy path cannot be moved to past starts (expected none)")
        )
    if problems:
        raise ScenarioError([Problem(base.source, None, key, msg) for key, msg in problems])


@one_blas_thread
def backtest(
    scenario: Scenario | str = "baseline",
    *,
    first: int = 1990,
    last: int = 2024,
    starts: str = "january",
    horizon: str = "1y",
    paths: int = 4000,
    seed: int = 1990,
    data: str | pd.DataFrame | None = None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Rolling-origin backtest of ``scenario`` (a Scenario, a file or a library name) against the
    packaged monthly history, or ``data`` (a folder holding ``us_monthly.csv``, or a DataFrame of
    the same columns). ``progress(done, total)`` is called after each start."""
    t0 = time.perf_counter()
    _check(first, last, starts, horizon, paths, seed)
    if isinstance(data, pd.DataFrame):
        hist, source, digest = data, "the given DataFrame", ""
    else:
        path = history.path_of(data)
        hist = history.load(data)
        source = "packaged engine/history/us_monthly.csv" if data is None else os.path.abspath(path)
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:16]
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_base(base)
    months = HORIZONS[horizon]
    todo, notes = plan(hist, source, first, last, starts, months)
    if base.events:
        notes.append(f"note: the base's {len(base.events)} dated event(s) are dropped at every start")
    rows, fits = [], []
    for i, (st, origin) in enumerate(todo):
        sd = _seed(seed, st)
        sc = start_scenario(base, origin, hist.loc[origin], months, paths, sd)
        sims, fit = simulate_start(sc, threads)
        fits.append(
            {"start": f"{st:%Y-%m}", "origin": origin.date(), "seed": sd}
            | {f"fit_{t}_bp": (m - o) * 1e4 for t, (o, m) in fit.items()}
        )
        rows += score_start(sims, hist, st, origin)
        if progress:
            progress(i + 1, len(todo))
    scores = pd.DataFrame(rows)
    settings = {
        "engine_version": __version__,
        "scenario": base.name,
        "scenario_source": base.source,
        "scenario_digest": base.digest(),
        "first": first,
        "last": last,
        "starts": starts,
        "horizon": horizon,
        "step": "1m",
        "paths": paths,
        "seed": seed,
        "seed_per_start": "SeedSequence((seed, yyyymm of the start))",
        "data": source,
        "data_sha256_16": digest,
        "n_starts": len(todo),
        "first_start": f"{todo[0][0]:%Y-%m}",
        "last_start": f"{todo[-1][0]:%Y-%m}",
        "threads": threads or driver.default_threads(),
        "seconds": round(time.perf_counter() - t0, 1),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return Backtest(scores, summarise(scores, months), pd.DataFrame(fits), settings, base, notes)


def summarise(scores: pd.DataFrame, months: int) -> pd.DataFrame:
    """Per variable: over all months ("1-H") and at month 12 and the horizon alone."""
    groups = [(f"1-{months}", scores["month"] >= 1), ("12", scores["month"] == 12)]
    if months != 12:
        groups.append((str(months), scores["month"] == months))
    year = pd.to_datetime(scores["start"]).dt.year
    out = []
    for var in VARIABLES:
        for label, sel in groups:
            d = scores[sel & (scores["variable"] == var)]
            y = year[d.index]
            counts = np.histogram(d["pit"], bins=PIT_BINS, range=(0.0, 1.0))[0]
            single = "-" not in label
            row = {
                "variable": var,
                "months": label,
                "n": len(d),
                "cover_50": d["in_50"].mean(),
                "cover_90": d["in_90"].mean(),
                "mean_pit": d["pit"].mean(),
                "crps_bp": d["crps_bp"].mean(),
                "bias_bp": d["bias_bp"].mean(),
                "err_sd_bp": d["bias_bp"].std(ddof=1) if single else np.nan,
                "sim_sd_bp": d["sim_sd_change_bp"].mean() if single else np.nan,
                "sim_sd_min_bp": d["sim_sd_change_bp"].min() if single else np.nan,
                "sim_sd_max_bp": d["sim_sd_change_bp"].max() if single else np.nan,
            }
            for dec in DECADES:
                in_dec = (y >= dec) & (y < dec + 10)
                row[f"bias_{dec}s_bp"] = d.loc[in_dec, "bias_bp"].mean() if in_dec.any() else np.nan
            row.update({f"pit_bin{k + 1}": int(c) for k, c in enumerate(counts)})
            out.append(row)
    return pd.DataFrame(out)
