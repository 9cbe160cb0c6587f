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
    (0 when a step is longer), and whether paths come in antithetic pairs."""

    dt: float
    reg_of_step: np.ndarray
    rec_slot: np.ndarray
    steps_per_week: int
    antithetic: bool


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
#: registry, so typed as Any for the type checker).
Params: Any = cast(Any, namedtuple("Params", [b.name for b in core_blocks()], module=__name__))
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
