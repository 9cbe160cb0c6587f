"""The model's streaming reduction: a run's paths reduced block by block into a bounded-memory
:class:`Summary` built on the generic sketch of :mod:`engine.core.sketch`, whose size depends on
the recorded grid and the number of variables, never on the number of paths.

For every recorded date the fan variables are rebuilt from the recorded state (the yields and
their components with :func:`engine.blocks.curve.compose`, the kernel's own arithmetic); the
per-path scalar metrics (horizon values, peaks, largest moves, threshold crossings) come from
the first and last dates and the kernel's per-path metrics. Moments merge block by block inside
a *unit* of ``UNIT_BLOCKS`` blocks, then unit by unit in order, so the result is bit-identical
whatever the chunking, threads or Dask workers; histogram counts merge exactly in any order.
The quantile windows are placed by a *pilot*: the run's own first ``PILOT_PATHS`` paths.
``tests/test_summary.py`` checks the stated error bound against exact quantiles of runs that
keep every path.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from numba import njit

from .blocks import curve
from .core.layout import (
    CUM_RATE,
    MET_FALL,
    MET_FALL_W,
    MET_PEAK,
    MET_RISE,
    MET_RISE_W,
    MET_SUMSQ,
    MET_TROUGH,
    N_REC,
    PLUMBING_BLOCK,
    PLUMBING_METRICS,
    REC_NAMES,
)
from .core.sketch import (
    GROUP_BLOCK,
    GROUP_PAIR,
    GROUP_PATH,
    N_GROUP_SUMS,
    PILOT_HIST,
    Hist,
    Moments,
    Sketch,
    accumulate,
    group_sums,
    set_windows,
    std_error,
    window_ranks,
)
from .registry import COMPONENTS, EXPECTATION_PARTS, FLOOR_PART, RESIDUAL_PART
from .sections import THRESHOLD_RE
from .units import parse

PILOT_PATHS = 8192  # the first paths of the run fix the windows (they are reduced like all others)
UNIT_BLOCKS = 16  # blocks per merge unit (4096 paths): moments merge block by block within a unit
GROUP_BLOCKS = 8  # blocks reduced together, date by date (their histograms for a date stay in cache)

STATE_SCALARS = (
    "policy_rate",
    "inflation",
    "inflation_expectations",
    "output_gap",
    "neutral_rate",
    "policy_stance",
    "term_premium_10y",
)
# per-path scalar metrics of each tenor, in decimals (sumsq in decimal^2)
TENOR_SCALARS = (
    "horizon",
    "change_to_horizon",
    "peak",
    "trough",
    "max_rise_1step",
    "max_fall_1step",
    "realized_vol",
    "sumsq",
)
WEEK_SCALARS = ("max_rise_1w", "max_fall_1w")

#: the parts of every yield, in the order the curve composes them (the floor's part last)
PARTS = (*EXPECTATION_PARTS, *(c.name for c in COMPONENTS), RESIDUAL_PART, FLOOR_PART)
_FAN_ROWS = np.array([i for i, n in enumerate(REC_NAMES) if n != "cum_rate"], dtype=np.int64)
N_FAN_STATES = len(_FAN_ROWS)  # every recorded state but cum_rate
V_DF = N_FAN_STATES  # the discount factor
V_TENOR0 = V_DF + 1  # then per tenor: the yield and its parts
PER_TENOR = 1 + curve.N_PARTS


def headline_tenor(tenor_labels: list[str]) -> str:
    """The tenor a run's report leads with: the 10y, or the longest without one."""
    return "10y" if "10y" in tenor_labels else tenor_labels[-1]


def quantile_rows(names: list[str], tenor_labels: list[str], component_quantiles: str) -> np.ndarray:
    """Row of every fan variable in the quantile sketch, or -1 for a variable that keeps only
    its moments: the yield components of the tenors ``outputs.component_quantiles`` leaves out."""
    keep = {"all": set(tenor_labels), "headline": {headline_tenor(tenor_labels)}, "none": set()}[component_quantiles]
    rows = np.full(len(names), -1, dtype=np.int64)
    n = 0
    for v, name in enumerate(names):
        tenor, slash, _ = name.removeprefix("yield_").partition("/")
        if not (name.startswith("yield_") and slash) or tenor in keep:
            rows[v] = n
            n += 1
    return rows


def fan_names(tenor_labels: list[str], extra: tuple[str, ...] = ()) -> list[str]:
    """Fan variables: the core states, the discount factor, each tenor's yield and parts, then
    ``extra`` (recorded rows after the core states: the fiscal variables) as recorded."""
    out = [REC_NAMES[i] for i in _FAN_ROWS] + ["discount_factor"]
    for t in tenor_labels:
        out += [f"yield_{t}"] + [f"yield_{t}/{c}" for c in PARTS]
    return out + list(extra)


def scalar_names(labels: list[str], weekly: bool, thresholds: list[str], states=STATE_SCALARS) -> list[str]:
    """Per-path scalars: each tenor's, then ``states`` at the horizon (the state scalars and the
    plumbing blocks' metrics when on), then the threshold indicators."""
    out = []
    for t in labels:
        out += [f"yield_{t}:{n}" for n in TENOR_SCALARS + (WEEK_SCALARS if weekly else ())]
    out += [f"{n}:horizon" for n in states]
    out += [f"threshold:{e}" for e in thresholds]
    return out


class Thresholds(NamedTuple):
    """Crossing tests: kind 0 ``yield_T > level`` at every step (from the kernel's peak/trough),
    kind 1 ``A [- B] > level`` on fan variables at recorded dates; ``a``/``b`` the tenor or fan
    index (b = -1: none), ``gt`` > or <, ``level`` decimal."""

    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    gt: np.ndarray
    level: np.ndarray


# ------------------------------------------------------------------------------------------ values
@njit(cache=True, nogil=True)
def fan_values(R, d, cv, vals):
    """Fan variables of recorded date ``d``. R: (n_rec_var, B) records; cv: the recorded tenors'
    curve at the recorded dates. vals: (NV, B) output, decimals. Recorded rows after the core
    states (fiscal variables) follow the tenors unchanged."""
    B = R.shape[1]
    n_ten = cv.coef_n.shape[1]
    x0 = V_TENOR0 + PER_TENOR * n_ten
    for e in range(R.shape[0] - N_REC):
        for p in range(B):
            vals[x0 + e, p] = R[N_REC + e, p]
    for v in range(N_FAN_STATES):
        row = R[_FAN_ROWS[v]]
        for p in range(B):
            vals[v, p] = row[p]
    for p in range(B):
        vals[V_DF, p] = math.exp(-R[CUM_RATE, p])
    for j in range(n_ten):
        b = V_TENOR0 + PER_TENOR * j
        curve.compose(R, d, j, cv, None, vals[b], vals[b + 1 : b + PER_TENOR])


@njit(cache=True, nogil=True)
def update_hits(vals, th, hits):
    """Threshold crossings at one recorded date (kind 1: 'A [- B] > level' on fan variables)."""
    B = vals.shape[1]
    for k in range(th.kind.shape[0]):
        if th.kind[k] != 1:
            continue
        a, b, lvl = th.a[k], th.b[k], th.level[k]
        for p in range(B):
            x = vals[a, p] - (vals[b, p] if b >= 0 else 0.0)
            if (x > lvl) if th.gt[k] else (x < lvl):
                hits[k, p] = 1.0


@njit(cache=True, nogil=True)
def scalar_values(first, last, M, hits, th, state_idx, years, weekly, svals):
    """Per-path scalar metrics (see ``scalar_names``) from the first and last dates' fan values,
    the kernel's per-path metrics M (N_MET, n_tenor, B) and the threshold hits."""
    B = first.shape[1]
    n_ten = M.shape[1]
    k_per = 10 if weekly else 8
    for j in range(n_ten):
        b = V_TENOR0 + PER_TENOR * j
        o = k_per * j
        for p in range(B):
            svals[o, p] = last[b, p]
            svals[o + 1, p] = last[b, p] - first[b, p]
            svals[o + 2, p] = M[MET_PEAK, j, p]
            svals[o + 3, p] = M[MET_TROUGH, j, p]
            svals[o + 4, p] = M[MET_RISE, j, p]
            svals[o + 5, p] = M[MET_FALL, j, p]
            svals[o + 6, p] = math.sqrt(M[MET_SUMSQ, j, p] / years)
            svals[o + 7, p] = M[MET_SUMSQ, j, p]
            if weekly:
                svals[o + 8, p] = M[MET_RISE_W, j, p]
                svals[o + 9, p] = M[MET_FALL_W, j, p]
    o = k_per * n_ten
    for s in range(state_idx.shape[0]):
        for p in range(B):
            svals[o + s, p] = last[state_idx[s], p]
    o += state_idx.shape[0]
    for k in range(th.kind.shape[0]):
        for p in range(B):
            if th.kind[k] == 0:
                x = M[MET_PEAK, th.a[k], p] if th.gt[k] else M[MET_TROUGH, th.a[k], p]
                svals[o + k, p] = 1.0 if ((x > th.level[k]) if th.gt[k] else (x < th.level[k])) else 0.0
            else:
                svals[o + k, p] = hits[k, p]


class Scratch(NamedTuple):
    """Buffers of :func:`reduce_group`: vals (NV, B), first/last (G, NV, B), hits
    (G, n_threshold, B), svals (G, NS, B) (each block's per-path scalars, kept until the next
    group for paired comparisons, engine.pairing)."""

    vals: np.ndarray
    first: np.ndarray
    last: np.ndarray
    hits: np.ndarray
    svals: np.ndarray


class Moments2(NamedTuple):
    """Running means and sums of squared deviations of a unit (D, V)."""

    mean: np.ndarray
    m2: np.ndarray


@njit(cache=True, nogil=True)
def reduce_group(R, M, v, fan, f_mom, scal, s_mom, shift, groups, n_before, w):
    """Reduce G consecutive blocks of B paths: R (G, n_rec, n_rec_var, B) records and
    M (G, N_MET, n_tenor, B) metrics, into the fan sketch, the scalar sketch and the group sums;
    ``n_before`` paths of the unit came before. ``v``: :class:`Layout`. Date-major over the
    blocks, so each date's histograms stay in cache while all G blocks fill them; each (date,
    variable) still merges its blocks' moments in block order. ``w``: :class:`Scratch`."""
    G, n_rec = R.shape[0], R.shape[1]
    B = R.shape[3]
    w.hits[:, :, :] = 0.0
    for i in range(n_rec):
        for g in range(G):
            fan_values(R[g, i], i, v.cv, w.vals)
            if i == 0:
                _copy(w.vals, w.first[g])
            if i == n_rec - 1:
                _copy(w.vals, w.last[g])
            update_hits(w.vals, v.th, w.hits[g])
            accumulate(w.vals, i, fan, f_mom.mean, f_mom.m2, n_before + g * B, v.rows)
    for g in range(G):
        sv = w.svals[g]
        scalar_values(w.first[g], w.last[g], M[g], w.hits[g], v.th, v.state_idx, v.years, v.weekly, sv)
        accumulate(sv, np.int64(0), scal, s_mom.mean, s_mom.m2, n_before + g * B, v.scalar_rows)
        group_sums(sv, v.group_mode, shift, groups)


@njit(cache=True, nogil=True)
def _copy(src, dst):
    """dst[:] = src for (V, B) arrays, as loops: an array-to-array assignment makes numba compile
    its shape-mismatch error message too (seconds of a cold start)."""
    for v in range(src.shape[0]):
        for p in range(src.shape[1]):
            dst[v, p] = src[v, p]


class Layout(NamedTuple):
    """What the compiled reduction reads of the model: the curve at the recorded dates, the
    thresholds, the indices of the state scalars, the horizon in years, weekly metrics or not,
    how paths group for standard errors, and the sketch row of every fan variable and scalar
    (-1: moments only)."""

    cv: curve.Curve
    th: Thresholds
    state_idx: np.ndarray
    years: float
    weekly: bool
    group_mode: int
    rows: np.ndarray
    scalar_rows: np.ndarray


# ------------------------------------------------------------------------------------------ plan
class View:
    """What the reduction needs from the model: record-point curve, thresholds, layout."""

    def __init__(self, model, extra_states: tuple[str, ...] = ()) -> None:
        """``extra_states``: more fan variables whose horizon value is a per-path scalar (a
        comparison adds the 10y's parts, to attribute its difference)."""
        sc = model.scenario
        self.labels = [str(t) for t in model.tenors]
        self.fan_names = fan_names(self.labels, model.rec_names[N_REC:])
        #: the per-path metrics look at every step, or at the recorded dates only (outputs.path_metrics)
        self.every_step = bool(model.grid.every_step)
        #: each fan variable's row in the quantile sketch (-1: moments only)
        self.rows = quantile_rows(self.fan_names, self.labels, sc.outputs.component_quantiles)
        self.n_quantile = int((self.rows >= 0).sum())
        cal = model.cal
        sim = sc.simulation
        self.qs = np.array(sorted(q.value for q in sc.outputs.quantiles))
        self.thresholds = list(sc.outputs.thresholds)
        n = len(self.thresholds)
        th = Thresholds(
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            -np.ones(n, dtype=np.int64),
            np.zeros(n, dtype=np.bool_),
            np.zeros(n),
        )
        for k, expr in enumerate(self.thresholds):
            m = THRESHOLD_RE.match(expr)
            assert m is not None  # the scenario validated it
            a, b, op, lvl = m.group(1), m.group(2), m.group(3), parse(m.group(4), "rate").value
            th.gt[k], th.level[k] = op == ">", lvl
            if b is None and a.startswith("yield_") and a[6:] in self.labels:
                th.kind[k], th.a[k] = 0, self.labels.index(a[6:])
            else:
                th.kind[k], th.a[k] = 1, self.fan_names.index(a)
                if b is not None:
                    th.b[k] = self.fan_names.index(b)
        self.th = th
        weekly = model.grid.steps_per_week > 0  # 0 without per-step metrics (outputs.path_metrics)
        #: variables whose horizon value is a per-path scalar: the core states, then the plumbing
        #: blocks' metrics (running totals and maxima) of the blocks that are on
        self.states = (
            STATE_SCALARS
            + tuple(n for n in PLUMBING_METRICS if n in self.fan_names and sc.section(PLUMBING_BLOCK[n]).enabled)
            + tuple(n for n in extra_states if n in self.fan_names)
        )
        self.scalar_names = scalar_names(self.labels, weekly, self.thresholds, self.states)
        self.layout = Layout(
            model.curve.at(cal.record_points),
            th,
            np.array([self.fan_names.index(n) for n in self.states], dtype=np.int64),
            cal.n_steps * cal.dt,
            weekly,
            GROUP_BLOCK if sim.quasi_random else GROUP_PAIR if sim.antithetic else GROUP_PATH,
            self.rows,
            np.arange(len(self.scalar_names), dtype=np.int64),  # every scalar has quantiles
        )
        self.n_rec = len(cal.record_points)

    @property
    def n_fan(self) -> int:
        return len(self.fan_names)

    @property
    def n_scalar(self) -> int:
        return len(self.scalar_names)


class Plan:
    """Windows for the fans and the scalars, and the shifts of the group sums, from a pilot."""

    def __init__(self, view: View, fan: Sketch, scal: Sketch, shift: np.ndarray, pilot_paths: int):
        self.view, self.fan, self.scal, self.shift, self.pilot_paths = view, fan, scal, shift, pilot_paths

    @classmethod
    def from_pilot(cls, view: View, R: np.ndarray, M: np.ndarray, threads: int = 1) -> Plan:
        """The plan from the pilot's records R (n_rec, n_rec_var, n) and metrics M; the dates'
        windows are placed on ``threads`` threads (each date's are its own: the same plan
        whatever the threads)."""
        n = R.shape[2]
        qs = view.qs
        lay = view.layout
        r = np.array([window_ranks(q, n) for q in qs], dtype=np.int64).reshape(len(qs), 2)
        r_lo, r_hi = r[:, 0].copy(), r[:, 1].copy()
        fan = Sketch(view.n_rec, view.n_quantile, len(qs))
        sel = np.flatnonzero(view.rows >= 0)

        def place(dates: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
            """Windows of ``dates``; their threshold hits, and the values of the first and last dates."""
            vals = np.empty((view.n_fan, n))
            hits = np.zeros((len(view.thresholds), n))
            hist = np.zeros(PILOT_HIST, dtype=np.int64)
            ends = {}
            for i in dates:
                fan_values(R[i], i, lay.cv, vals)
                update_hits(vals, lay.th, hits)
                if i in (0, view.n_rec - 1):
                    ends[int(i)] = vals.copy()
                set_windows(np.ascontiguousarray(vals[sel]), i, r_lo, r_hi, fan.edge, fan.scale, hist)
            return hits, ends

        chunks = [c for c in np.array_split(np.arange(view.n_rec), max(1, threads)) if c.size]
        with ThreadPoolExecutor(len(chunks)) as ex:
            done = list(ex.map(place, chunks))
        hits = np.maximum.reduce([h for h, _ in done])  # 0/1 indicators: crossed on any date
        ends = {i: x for _, e in done for i, x in e.items()}
        first, vals = ends[0], ends[view.n_rec - 1]
        hist = np.zeros(PILOT_HIST, dtype=np.int64)
        sv = np.empty((view.n_scalar, n))
        scalar_values(first, vals, M, hits, lay.th, lay.state_idx, lay.years, lay.weekly, sv)
        scal = Sketch(1, view.n_scalar, len(qs))
        set_windows(sv, 0, r_lo, r_hi, scal.edge, scal.scale, hist)
        shift = sv.mean(axis=1)
        return cls(view, fan, scal, np.where(np.isfinite(shift), shift, 0.0), n)


class Partial:
    """What one chunk of work returns: its sketches (exact to merge) and the moments and group
    sums of each of its units (merged in unit order by :class:`Summary`)."""

    def __init__(self, plan: Plan):
        self.fan = plan.fan.empty_like()
        self.scal = plan.scal.empty_like()
        self.units: list[tuple] = []  # (unit index, n, fan mean, fan m2, scalar mean, scalar m2, group sums)

    @property
    def nbytes(self) -> int:
        return (
            self.fan.nbytes
            + self.scal.nbytes
            + sum(u[2].nbytes * 2 + u[4].nbytes * 2 + u[6].nbytes for u in self.units)
        )


def reduce_unit(plan: Plan, unit: int, groups_of_blocks, partial: Partial, scalars: list | None = None) -> None:
    """Reduce one unit, given as an iterable of (R, M) groups of blocks in block order (shapes
    (G, n_rec, n_rec_var, B) and (G, N_MET, n_tenor, B)), into ``partial``. With ``scalars``, the
    unit's per-path scalars (NS, paths of the unit) are appended to it (for engine.pairing)."""
    v = plan.view
    fan: Hist = partial.fan.hist()
    scal: Hist = partial.scal.hist()
    f_mom = Moments2(np.zeros((v.n_rec, v.n_fan)), np.zeros((v.n_rec, v.n_fan)))
    s_mom = Moments2(np.zeros((1, v.n_scalar)), np.zeros((1, v.n_scalar)))
    gsum = np.zeros((v.n_scalar, N_GROUP_SUMS))
    n = 0
    w = None
    pieces: list[np.ndarray] = []
    for R, M in groups_of_blocks:
        G, B = R.shape[0], R.shape[3]
        if w is None or w.vals.shape[1] != B or w.first.shape[0] != G:
            w = Scratch(
                np.empty((v.n_fan, B)),
                np.empty((G, v.n_fan, B)),
                np.empty((G, v.n_fan, B)),
                np.empty((G, len(v.thresholds), B)),
                np.empty((G, v.n_scalar, B)),
            )
        reduce_group(R, M, v.layout, fan, f_mom, scal, s_mom, plan.shift, gsum, n, w)
        if scalars is not None:
            pieces.append(w.svals.transpose(1, 0, 2).reshape(v.n_scalar, G * B).copy())
        n += G * B
    if scalars is not None:
        scalars.append(np.concatenate(pieces, axis=1) if pieces else np.empty((v.n_scalar, 0)))
    partial.units.append((unit, n, f_mom.mean, f_mom.m2, s_mom.mean, s_mom.m2, gsum))


class Summary:
    """Everything a run keeps about all its paths; built by merging :class:`Partial` results."""

    def __init__(self, plan: Plan):
        self.plan = plan
        v = plan.view
        self.fan = plan.fan.empty_like()
        self.scal = plan.scal.empty_like()
        self.fan_mom = Moments(v.n_rec, v.n_fan)
        self.scal_mom = Moments(1, v.n_scalar)
        self.groups = np.zeros((v.n_scalar, N_GROUP_SUMS))
        self._pending: dict[int, tuple] = {}
        self._next = 0
        self.misses = 0

    def merge(self, partial: Partial) -> None:
        """Add a chunk's partial result (any order; unit moments are folded in unit order)."""
        self.fan.add(partial.fan)
        self.scal.add(partial.scal)
        for u in partial.units:
            self._pending[u[0]] = u
        while self._next in self._pending:
            _, n, fm, f2, sm, s2, g = self._pending.pop(self._next)
            self.fan_mom.merge(n, fm, f2)
            self.scal_mom.merge(n, sm, s2)
            self.groups += g
            self._next += 1

    @property
    def n_paths(self) -> int:
        return self.fan_mom.n

    def complete(self, n_units: int) -> None:
        if self._pending or self._next != n_units:
            raise RuntimeError(
                f"summary incomplete: {self._next} of {n_units} units merged, {len(self._pending)} waiting"
            )

    def quantiles(self, which: str = "fan") -> tuple[np.ndarray, np.ndarray]:
        """(estimates, error bounds), each (D, V, nq), decimals, for the plan's sorted quantiles;
        NaN for the fan variables that keep only their moments (``View.rows``)."""
        est, bound, misses = (self.fan if which == "fan" else self.scal).quantiles(self.plan.view.qs)
        if which == "fan":
            self.misses = misses
            rows = self.plan.view.rows
            shape = (est.shape[0], rows.size, est.shape[2])
            est_all, bound_all = np.full(shape, np.nan), np.full(shape, np.nan)
            est_all[:, rows >= 0], bound_all[:, rows >= 0] = est, bound
            return est_all, bound_all
        return est, bound

    def std_error(self) -> np.ndarray:
        """Standard error of the mean of every scalar (NS,), from the group sums."""
        return std_error(self.groups, self.scal_mom.mean[0], self.plan.shift)
