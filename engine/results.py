"""Results of a run: fans (mean, s.d., quantiles per recorded date and variable), the yield
decomposition, stress metrics, and a terminal summary - with pandas accessors.

Units: in DataFrames and files, rates are in percent (unit ``pct``), moves and volatilities in
basis points (``_bp`` in names), the discount factor is a ratio. Raw arrays from :meth:`raw`
are in decimals.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np
import pandas as pd

from . import summary_text
from ._version import __version__
from .blocks import curve
from .core.layout import (
    BLOCK_PATHS,
    CUM_RATE,
    FISCAL_UNITS,
    GAP,
    N_REC,
    PLUMBING_METRICS,
    PLUMBING_UNITS,
    RSTAR,
    STANCE,
    TP,
)
from .core.sketch import NB
from .model import Model
from .reduction import PARTS, STATE_SCALARS, fan_names, headline_tenor

#: the parts of a yield, in the order they add up: the expected real short rate and expected
#: inflation, the components of engine.registry, then what the yield's floor adds
COMPONENTS = PARTS
#: sign with which each part enters the yield (+1 unless listed)
COMPONENT_SIGN = summary_text.COMPONENT_SIGN


class Results:
    """What a run produced: a bounded-memory :class:`~engine.summary.Summary` of all paths (fans,
    scalar metrics, standard errors) and the records of the first ``outputs.keep_paths`` paths.

    ``records``: (n_rec, n_var, n_kept) kept records; ``path_metrics``: (N_MET, n_tenor, n_kept)."""

    def __init__(self, model: Model, stats, records: np.ndarray, path_metrics: np.ndarray, info: dict):
        self.model = model
        self.scenario = model.scenario
        self.stats = stats
        self.records = records
        self.path_metrics = path_metrics
        self.info = info
        self.dates = pd.DatetimeIndex(model.cal.record_dates, name="date")
        self.quantiles = [q.value for q in self.scenario.outputs.quantiles]
        self._fans: pd.DataFrame | None = None
        self._exp_cache: dict = {}
        self._fan_cache: dict = {}
        self._metrics: dict | None = None
        self._q: dict = {}

    # ---------------------------------------------------------------- variables
    @property
    def n_paths(self) -> int:
        """Paths simulated (all of them are in the summary)."""
        return self.stats.n_paths

    @property
    def n_kept(self) -> int:
        """Paths whose records were kept (``outputs.keep_paths``): the first ones."""
        return self.records.shape[2]

    def tenor_labels(self) -> list[str]:
        return [str(t) for t in self.model.tenors]

    def headline_tenor(self) -> str:
        """The tenor the report leads with (and whose components have quantiles by default)."""
        return headline_tenor(self.tenor_labels())

    def variables(self) -> list[str]:
        """Every variable with a fan: states, the discount factor, yields and their components,
        then the fiscal and plumbing variables of the blocks that are on."""
        return fan_names(self.tenor_labels(), self.model.rec_names[N_REC:])

    def unit(self, name: str) -> str:
        """'pct' (decimals shown as percent), 'ratio', or a fiscal or plumbing unit: 'usd_bn',
        'usd_bn/yr' (flows, annualised over the last step), 'usd_bn/day', 'years', 'share' (a
        share, or 0/1 per path: its mean is a probability), 'count'."""
        if name == "discount_factor":
            return "ratio"
        return FISCAL_UNITS.get(name, PLUMBING_UNITS.get(name, "pct"))

    def raw(self, name: str) -> np.ndarray:
        """(n_rec, n_kept) values of ``name`` for the kept paths, in decimals (ratio for the
        discount factor)."""
        R = self.records
        if name == "discount_factor":
            return np.exp(-R[:, CUM_RATE])
        if name in self.model.rec_names:
            return R[:, self.model.rec_names.index(name)]
        if name.startswith("yield_"):
            tenor, _, comp = name[len("yield_") :].partition("/")
            labels = self.tenor_labels()
            if tenor in labels:
                y, parts = self._decompose(labels.index(tenor))
                if not comp:
                    return y
                if comp in COMPONENTS:
                    return parts[:, COMPONENTS.index(comp)]
                raise KeyError(f"unknown component {comp!r}; expected one of {', '.join(COMPONENTS)}")
        raise KeyError(f"unknown variable {name!r}; see Results.variables()")

    def _decompose(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """The yield (n_rec, n_kept) of tenor j for the kept paths and its parts (n_rec, part,
        n_kept), rebuilt from the kept records by the kernel's own :func:`engine.blocks.curve.compose`,
        so the values are bit-identical to those the kernel used."""
        if j not in self._exp_cache:
            self._exp_cache.clear()  # one tenor at a time: fans walk the variables tenor by tenor
            cv = self.model.curve.at(self.model.cal.record_points)
            n_rec, n = self.records.shape[0], self.records.shape[2]
            y = np.empty((n_rec, n))
            parts = np.empty((n_rec, curve.N_PARTS, n))
            for d in range(n_rec):
                curve.compose(np.ascontiguousarray(self.records[d]), d, j, cv, None, y[d], parts[d])
            self._exp_cache[j] = (y, parts)
        return self._exp_cache[j]

    def component_sum(self, tenor: str) -> np.ndarray:
        """Sum of the parts of ``yield_<tenor>`` with their signs, in the kernel's order (equals
        the yield)."""
        _, parts = self._decompose(self.tenor_labels().index(tenor))
        out = parts[:, 0] + parts[:, 1]
        for k, name in enumerate(COMPONENTS[2:], start=2):
            out = out - parts[:, k] if name in COMPONENT_SIGN else out + parts[:, k]
        return out

    # ---------------------------------------------------------------- fans
    def _quantiles(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        if which not in self._q:
            self._q[which] = self.stats.quantiles(which)
        return self._q[which]

    def _qcol(self, q: float) -> int:
        return int(np.flatnonzero(self.stats.plan.view.qs == q)[0])

    def fan(self, name: str) -> pd.DataFrame:
        """Fan of one variable over all paths: index date; columns mean, std and the quantiles
        (percent for rates). Means and s.d. are exact to rounding; quantiles are within
        :meth:`fan_error` of the exact ones (:mod:`engine.summary`). A yield component that
        ``outputs.component_quantiles`` leaves out has only mean and std."""
        if name not in self._fan_cache:
            v = self._fan_index(name)
            scale = self._scale(name)
            mom = self.stats.fan_mom
            est, _ = self._quantiles("fan")
            cols = {"mean": mom.mean[:, v] * scale, "std": mom.std()[:, v] * scale}
            if self.has_quantiles(name):
                for q in self.quantiles:
                    cols[_qname(q)] = est[:, v, self._qcol(q)] * scale
            self._fan_cache[name] = pd.DataFrame(cols, index=self.dates)
        return self._fan_cache[name]

    def fan_error(self, name: str) -> pd.DataFrame:
        """Bound on the error of each quantile in :meth:`fan` (same units): index date, one column
        per quantile."""
        v = self._fan_index(name)
        if not self.has_quantiles(name):
            raise KeyError(f"{name} has no quantiles in this run; set outputs.component_quantiles: all")
        _, bound = self._quantiles("fan")
        return pd.DataFrame(
            {_qname(q): bound[:, v, self._qcol(q)] * self._scale(name) for q in self.quantiles}, index=self.dates
        )

    def has_quantiles(self, name: str) -> bool:
        """Whether the fan of ``name`` has quantiles (``outputs.component_quantiles``)."""
        return bool(self.stats.plan.view.rows[self._fan_index(name)] >= 0)

    def _fan_index(self, name: str) -> int:
        names = self.stats.plan.view.fan_names
        if name not in names:
            raise KeyError(f"unknown variable {name!r}; see Results.variables()")
        return names.index(name)

    def _scale(self, name: str) -> float:
        return 100.0 if self.unit(name) == "pct" else 1.0

    @property
    def fans(self) -> pd.DataFrame:
        """Tidy fans of every variable: columns date, variable, statistic, value, unit."""
        if self._fans is None:
            frames = []
            for name in self.variables():
                long = self.fan(name).reset_index().melt(id_vars="date", var_name="statistic", value_name="value")
                long.insert(1, "variable", name)
                long["unit"] = self.unit(name)
                frames.append(long)
            self._fans = pd.concat(frames, ignore_index=True)
        return self._fans

    def components(self, tenor: str = "10y", statistic: str = "mean") -> pd.DataFrame:
        """One statistic of the yield and each component over time (percent); index date."""
        names = [f"yield_{tenor}"] + [f"yield_{tenor}/{c}" for c in COMPONENTS]
        return pd.DataFrame({col: self.fan(n)[statistic] for col, n in zip(["yield"] + list(COMPONENTS), names)})

    def paths(self, name: str, n: int | None = None) -> pd.DataFrame:
        """Kept paths of one variable (percent for rates): index date, one column per path."""
        x = self.raw(name)[:, : (n or self.n_kept)]
        scale = self._scale(name)
        return pd.DataFrame(x * scale, index=self.dates)

    # ---------------------------------------------------------------- metrics
    @property
    def metrics(self) -> dict:
        if self._metrics is None:
            self._metrics = self._compute_metrics()
        return self._metrics

    def pair_ids(self) -> np.ndarray | None:
        """For antithetic runs, the antithetic pair of every kept path (paths p and p + ceil(B/2)
        of each block share an id; a partner that was not kept leaves a single); None otherwise."""
        if not self.scenario.simulation.antithetic:
            return None
        ids = np.empty(self.n_kept, dtype=np.int64)
        offset = 0
        for p0 in range(0, self.n_kept, BLOCK_PATHS):
            n = min(BLOCK_PATHS, self.n_paths - p0)
            half = (n + 1) // 2
            local = np.arange(min(n, self.n_kept - p0))
            ids[p0 : p0 + local.size] = offset + np.where(local < half, local, local - half)
            offset += half
        return ids

    def std_error(self, x: np.ndarray) -> float:
        """Monte Carlo standard error of the mean of per-path values ``x`` of the kept paths, from
        the means m_g of independent groups of paths of sizes w_g: G/(G-1) sum w_g^2 (m_g - mean)^2
        / W^2. Groups are single paths, antithetic pairs (which are not independent inside), or,
        with quasi-random numbers, blocks (one randomisation each). Metrics over all paths use
        the same formula on group sums accumulated in the summary."""
        x = np.asarray(x, dtype=float)
        if x.size < 2:
            return 0.0
        if self.scenario.simulation.quasi_random:
            ids = np.arange(x.size) // BLOCK_PATHS
        else:
            pairs = self.pair_ids()
            if pairs is None:
                return float(x.std(ddof=1) / math.sqrt(x.size))
            ids = pairs
        w = np.bincount(ids).astype(float)
        means = np.bincount(ids, weights=x) / w
        g = len(w)
        if g < 2:
            return 0.0
        mean = x.mean()
        return float(math.sqrt(g / (g - 1) * np.sum(w**2 * (means - mean) ** 2) / w.sum() ** 2))

    def scalar(self, name: str, scale: float = 1.0) -> dict:
        """Distribution over all paths of a per-path scalar metric (see
        ``Results.stats.plan.view.scalar_names``): mean, std, std_error and the quantiles,
        times ``scale``."""
        s = self.stats
        k = s.plan.view.scalar_names.index(name)
        est, _ = self._quantiles("scalar")
        mom = s.scal_mom
        out = {
            "mean": float(mom.mean[0, k] * scale),
            "std": float(mom.std()[0, k] * scale),
            "std_error": float(s.std_error()[k] * scale),
        }
        for q in self.quantiles:
            out[_qname(q)] = float(est[0, k, self._qcol(q)] * scale)
        return out

    def _compute_metrics(self) -> dict:
        sc = self.scenario
        sim = sc.simulation
        cal = self.model.cal
        s = self.stats
        view = s.plan.view
        yields = {}
        every = self.model.grid.every_step
        # the moves the metrics see: every step's, or those between recorded dates (outputs.path_metrics)
        n_moves = cal.n_steps if every else len(cal.record_points) - 1
        for t in self.tenor_labels():
            y = f"yield_{t}"
            d = {
                "start_pct": float(s.fan.mn[0, view.rows[view.fan_names.index(y)]] * 100),  # yields have rows
                "horizon_pct": self.scalar(f"{y}:horizon", 100),
                "change_to_horizon_bp": self.scalar(f"{y}:change_to_horizon", 1e4),
                "peak_pct": self.scalar(f"{y}:peak", 100),
                "trough_pct": self.scalar(f"{y}:trough", 100),
                "max_rise_1step_bp": self.scalar(f"{y}:max_rise_1step", 1e4),
                "max_fall_1step_bp": self.scalar(f"{y}:max_fall_1step", 1e4),
                "realized_vol_bp_per_yr": self.scalar(f"{y}:realized_vol", 1e4),
                "step_change_rms_bp": float(
                    np.sqrt(s.scal_mom.mean[0, view.scalar_names.index(f"{y}:sumsq")] / n_moves) * 1e4
                ),
            }
            if self.model.grid.steps_per_week > 0:
                d["max_rise_1w_bp"] = self.scalar(f"{y}:max_rise_1w", 1e4)
                d["max_fall_1w_bp"] = self.scalar(f"{y}:max_fall_1w", 1e4)
            yields[t] = d
        states = {n: {"horizon_pct": self.scalar(f"{n}:horizon", 100)} for n in STATE_SCALARS}
        plumbing = {
            n: {"unit": self.unit(n), **self.scalar(f"{n}:horizon", self._scale(n))}
            for n in view.states
            if n in PLUMBING_METRICS
        }
        thresholds = []
        for k, expr in enumerate(view.thresholds):
            d = self.scalar(f"threshold:{expr}")
            thresholds.append(
                {
                    "expr": expr,
                    "probability": d["mean"],
                    "std_error": d["std_error"],
                    "resolution": "every step" if view.th.kind[k] == 0 and every else "recorded dates",
                }
            )
        fit = {
            t: {"observed_pct": o * 100, "model_pct": m * 100, "residual_bp": (m - o) * 1e4}
            for t, (o, m) in self.model.fit.items()
        }
        init = self.model.init
        fitted = {"term_premium_10y_pct": float(init[TP] * 100)}
        for name, st in (("policy_stance", STANCE), ("neutral_rate", RSTAR), ("output_gap", GAP)):
            if name in sc.initial.fit_also:
                fitted[f"{name}_pct"] = float(init[st] * 100)
        _, bound = self._quantiles("fan")
        has_q = view.rows >= 0
        worst = np.full(len(view.fan_names), np.nan)
        if bound.size and has_q.any():
            worst[has_q] = np.nanmax(bound[:, has_q], axis=(0, 2))
        rates = [i for i, n in enumerate(view.fan_names) if self.unit(n) == "pct" and view.rows[i] >= 0]
        return {
            "engine_version": __version__,
            "scenario_name": sc.name,
            "scenario_source": sc.source,
            "scenario_overrides": list(sc.overrides),
            "scenario_digest": sc.digest(),
            "seed": sc.seed,
            "paths": self.n_paths,
            "start": str(cal.dates[0]),
            "end": str(cal.dates[-1]),
            "step": str(sim.step),
            "record": str(sim.record or sim.step),
            "steps": cal.n_steps,
            "normals_per_step": self.model.n_draw,
            "path_metrics": sc.outputs.path_metrics,
            "antithetic": bool(sim.antithetic),
            "quasi_random": bool(sim.quasi_random),
            "run": self.info,
            "summary": {
                "kept_paths": self.n_kept,
                "pilot_paths": s.plan.pilot_paths,
                "bins_per_quantile_window": NB,
                "window_misses": s.misses,
                "max_quantile_error_bp": {
                    "rates": float(worst[rates].max() * 1e4) if rates else 0.0,
                    **{
                        view.fan_names[i]: float(worst[i] * 1e4)
                        for i in rates
                        if view.fan_names[i].startswith("yield_") and "/" not in view.fan_names[i]
                    },
                },
            },
            "initial_fit": {"curve": fit, "fitted": fitted} if fit else {"fitted": fitted},
            "yields": yields,
            "states": states,
            "plumbing": plumbing,
            "thresholds": thresholds,
            "scenario": _jsonable(sc.to_plain()),
        }

    def summary(self) -> str:
        """The terminal summary (engine.summary_text)."""
        return summary_text.summary(self)


_qname = summary_text.qname


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, (_dt.date, _dt.datetime)):
        return x.isoformat()
    return x
