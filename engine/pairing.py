"""Paired differences between scenarios run on common random numbers, reduced streaming.

Every scenario of a comparison is simulated on the same blocks of paths with the same random
streams (engine.core.sampling), so path ``p`` of one scenario and path ``p`` of another share
every common source's draws. For each merge unit of paths, the reduction hands over each
scenario's per-path scalars (engine.reduction: horizon values, peaks, largest moves, threshold
indicators, the 10y's parts at the horizon); here the per-path differences from the base are
reduced into their mean, the sum of squared deviations and the standard-error group sums (paths,
antithetic pairs or quasi-random blocks, as for a single run), unit by unit in unit order, so the
result is bit-identical whatever the threads, chunks or Dask workers. Memory is one unit's scalars
per scenario, never the paths.

The base's headline scalar is also counted into a fixed histogram (bins placed from the pilot,
counts merge exactly in any order), so each stress's severity, the percentile of its median
headline in the base's distribution, is known to within one bin.
"""

from __future__ import annotations

import numpy as np

from .core.layout import BLOCK_PATHS
from .core.sketch import N_GROUP_SUMS, Moments, group_sums, std_error

HEADLINE_BINS = 8192  # bins of the base's headline histogram (plus an under- and an overflow bin)


class PairPlan:
    """Which scalars pair up, and how: ``common`` the scalar names every scenario has, ``index``
    per scenario the positions of those names in its own scalars, ``base`` the base scenario,
    ``mode`` the standard-error grouping (engine.core.sketch), ``shift`` per other scenario the
    pilot mean of the differences (for the group sums' numerical stability), and the base's
    headline histogram edges (decimals)."""

    def __init__(self, names: list[list[str]], base: int, mode: int, shifts: list[np.ndarray], headline: str):
        common = [n for n in names[base] if all(n in other for other in names)]
        self.common = common
        self.index = [np.array([nm.index(n) for n in common], dtype=np.int64) for nm in names]
        self.base = base
        self.mode = mode
        self.others = [i for i in range(len(names)) if i != base]
        b = self.index[base]
        self.shift = {i: np.ascontiguousarray(shifts[i][self.index[i]] - shifts[base][b]) for i in self.others}
        self.headline = headline
        self.h_col = int(names[base].index(headline))
        self.edges = np.zeros(2)

    def place_headline(self, pilot_values: np.ndarray) -> None:
        """Place the headline histogram's bins around the base pilot's values: the pilot's range
        widened by twice its width on each side (values outside fall in the end bins, counted)."""
        x = pilot_values[np.isfinite(pilot_values)]
        lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
        width = max(hi - lo, 1e-6)
        self.edges = np.linspace(lo - 2 * width, hi + 2 * width, HEADLINE_BINS + 1)


class PairPartial:
    """One chunk's paired results: per unit (unit, n, mean, m2, group sums) for each other
    scenario, and the base headline's counts."""

    def __init__(self) -> None:
        self.units: list[tuple] = []
        self.counts = np.zeros(HEADLINE_BINS + 2, dtype=np.int64)

    def add_unit(self, plan: PairPlan, unit: int, svals: list[np.ndarray]) -> None:
        """Reduce one unit: ``svals[i]`` (NS_i, n) the per-path scalars of scenario i for the
        unit's paths, in path order (the unit starts on a block boundary)."""
        base = svals[plan.base][plan.index[plan.base]]
        n = base.shape[1]
        per: dict[int, tuple] = {}
        for i in plan.others:
            d = np.ascontiguousarray(svals[i][plan.index[i]] - base)
            mean = d.mean(axis=1) if n else np.zeros(d.shape[0])
            m2 = ((d - mean[:, None]) ** 2).sum(axis=1)
            g = np.zeros((d.shape[0], N_GROUP_SUMS))
            for a in range(0, n, BLOCK_PATHS):
                group_sums(np.ascontiguousarray(d[:, a : a + BLOCK_PATHS]), plan.mode, plan.shift[i], g)
            per[i] = (mean, m2, g)
        self.units.append((unit, n, per))
        h = svals[plan.base][plan.h_col]
        idx = np.searchsorted(plan.edges, h[np.isfinite(h)], side="right")
        self.counts += np.bincount(idx, minlength=HEADLINE_BINS + 2)


class Paired:
    """The merged paired differences of a comparison."""

    def __init__(self, plan: PairPlan):
        self.plan = plan
        k = len(plan.common)
        self.mom = {i: Moments(1, k) for i in plan.others}
        self.groups = {i: np.zeros((k, N_GROUP_SUMS)) for i in plan.others}
        self.counts = np.zeros(HEADLINE_BINS + 2, dtype=np.int64)
        self._pending: dict[int, tuple] = {}
        self._next = 0

    def merge(self, part: PairPartial) -> None:
        """Add a chunk's paired results (any order; units are folded in unit order)."""
        self.counts += part.counts
        for u in part.units:
            self._pending[u[0]] = u
        while self._next in self._pending:
            _, n, per = self._pending.pop(self._next)
            for i, (mean, m2, g) in per.items():
                self.mom[i].merge(n, mean[None], m2[None])
                self.groups[i] += g
            self._next += 1

    def complete(self, n_units: int) -> None:
        if self._pending or self._next != n_units:
            raise RuntimeError(f"paired differences incomplete: {self._next} of {n_units} units merged")

    def mean(self, i: int) -> np.ndarray:
        """Mean per-path difference (scenario i - base) of every common scalar, decimals."""
        return self.mom[i].mean[0]

    def std_error(self, i: int) -> np.ndarray:
        """Monte Carlo standard error of :meth:`mean`, from the paired group sums."""
        return std_error(self.groups[i], self.mom[i].mean[0], self.plan.shift[i])

    def percentile(self, x: float) -> tuple[float, float]:
        """(share of the base's paths whose headline is below ``x``, half the share in x's bin):
        the severity of a headline value ``x`` and its resolution."""
        n = int(self.counts.sum())
        if n == 0 or not np.isfinite(x):
            return float("nan"), float("nan")
        k = int(np.searchsorted(self.plan.edges, x, side="right"))
        below = int(self.counts[:k].sum())
        return (below + 0.5 * self.counts[k]) / n, 0.5 * self.counts[k] / n
