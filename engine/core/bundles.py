"""The named bundles the kernel takes (namedtuples of arrays: numba compiles through them and
specialises on an optional bundle that is None). Built by :func:`engine.model.build`.

Shapes use n = steps, n + 1 = time points, R = parameter regimes, B = paths of a block.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, NamedTuple, cast

import numpy as np

from ..registry import core_blocks, fiscal_blocks, plumbing_blocks


class Grid(NamedTuple):
    """Time: step length ``dt`` (years), the parameter regime of each step ``reg_of_step`` (n,),
    the record slot of each time point ``rec_slot`` (n + 1; -1: not recorded), steps in a week
    of the weekly metrics (0 when a step is longer, or without ``every_step``), whether paths
    come in antithetic pairs, and whether the curve and the per-path metrics are computed at
    every time point (``outputs.path_metrics: every_step``) or at the recorded ones only."""

    dt: float
    reg_of_step: np.ndarray
    rec_slot: np.ndarray
    steps_per_week: int
    antithetic: bool
    every_step: bool


class Shocks(NamedTuple):
    """The step's Gaussian shocks: ``n_draw`` normals drawn per path (the active shocks), mapped to
    the correlated shocks (engine.core.layout.SHOCK_NAMES) by a lower-triangular loading stored
    row by row (CSR ``ptr``/``cols``/``vals``; rows of inactive shocks are empty). ``src``
    (n_draw,): the random source (engine.core.layout.SOURCE_NAMES) of each drawn normal."""

    n_draw: int
    src: np.ndarray
    ptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


class Events(NamedTuple):
    """Scheduled level shocks per step as CSR (``ptr`` (n + 1), state row ``row``, ``size``
    decimal), and the decaying overlays of the yield components ``overlay`` (n + 1, component)."""

    ptr: np.ndarray
    row: np.ndarray
    size: np.ndarray
    overlay: np.ndarray


#: Each core block's packed parameters (see the block's ``pack``), by block name (built from the
#: registry, so typed as Any for the type checker), and ``still`` (n_core,) bool: the core blocks
#: (registry order) whose state never moves in this run, which the kernel does not step
#: (engine.kernel.still_blocks).
Params: Any = cast(Any, namedtuple("Params", [b.name for b in core_blocks()] + ["still"], module=__name__))
#: index of each core block in ``Params.still``
CORE_INDEX = {b.name: i for i, b in enumerate(core_blocks())}
#: The fiscal blocks' packed parameters by block name, and ``curve``: the bucket tenors' curve.
Fiscal: Any = cast(Any, namedtuple("Fiscal", [b.name for b in fiscal_blocks()] + ["curve"], module=__name__))


class Plumbing(NamedTuple):
    """The plumbing blocks (stablecoins, basis trade): each block's packed parameters per regime
    (R, slots), ``curve`` the 10y's :class:`~engine.blocks.curve.Curve` at every time point (the
    basis trade's realised volatility and yield), ``rec0`` the first recorded row of their
    outputs, ``position0`` the basis trade's position at the start (USD bn), ``runs`` whether
    stablecoin runs can start at random (a uniform is then drawn per path and step), ``shock``
    whether the stablecoin cap draws a normal per path and step (from the streams
    ``stablecoins.runs`` and ``stablecoins.cap``, engine.core.sampling)."""

    stablecoins: np.ndarray
    basis_trade: np.ndarray
    curve: Any
    rec0: int
    position0: float
    runs: bool
    shock: bool


assert tuple(b.name for b in plumbing_blocks()) == Plumbing._fields[:2]
