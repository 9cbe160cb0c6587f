"""Correlated Gaussian shocks: the correlation schema and the map from the normals drawn each
step to the model's shocks (engine.registry.SHOCKS).

Only shocks whose volatility is non-zero in some regime are drawn ("active"), so a run draws
no more normals per step than its model needs. The active correlation sub-matrix is factored
by Cholesky; the factor is stored row by row (CSR) so zero entries cost nothing in the kernel.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WrapValidator

from .. import units
from ..registry import SHOCKS
from ..schema import Checks, Key, Spec, did_you_mean, key_checker, mapping_of
from .bundles import Shocks
from .layout import N_SHOCK, SHOCK_NAMES


def _shock_key(key: str) -> str | None:
    if key not in SHOCK_NAMES:
        return f"unknown shock{did_you_mean(key, SHOCK_NAMES)}; expected one of {', '.join(SHOCK_NAMES)}"
    return None


class _Correlation(Spec):
    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1.0 < value < 1.0:
            raise units.UnitError(
                f"{units.describe(value)} is not a correlation; expected a number strictly between -1 and 1"
            )
        return float(value)

    def expects(self) -> str:
        return "a correlation"

    def json(self) -> dict:
        return {"type": "number", "exclusiveMinimum": -1, "exclusiveMaximum": 1}


def _pairs(value: dict) -> dict[tuple[str, str], float]:
    """{a: {b: rho}} -> {(a, b) sorted: rho}, refusing self-correlations, conflicting pairs and
    matrices that are not positive definite."""
    out: dict[tuple[str, str], float] = {}
    c = Checks()
    for a, inner in value.items():
        for b, rho in inner.items():
            if a == b:
                c.add((a, b), "a shock's correlation with itself is 1; list pairs of different shocks")
                continue
            key: tuple[str, str] = (min(a, b), max(a, b))
            if key in out and out[key] != rho:
                c.add((a, b), f"conflicts with the correlation {out[key]} given for {key[0]}/{key[1]}")
                continue
            out[key] = rho
    c.raise_all()
    if out and np.linalg.eigvalsh(matrix(out)).min() <= 1e-10:
        c.add((), "these correlations do not form a valid (positive definite) correlation matrix")
        c.raise_all()
    return out


def _plain(pairs: dict) -> dict:
    plain: dict = {}
    for (a, b), rho in pairs.items():
        plain.setdefault(a, {})[b] = rho
    return plain


_ShockKey = Annotated[str, Key(key_checker(_shock_key), {"type": "string", "enum": list(SHOCK_NAMES)})]
_Inner = Annotated[dict[_ShockKey, Annotated[float, _Correlation()]], WrapValidator(mapping_of("shock to correlation"))]
#: ``correlations: {term_premium: {policy_rate: 0.3}}``: pairwise correlations of the Gaussian
#: shocks, resolved to {(a, b) in sorted order: rho}; unlisted pairs are uncorrelated.
Correlations = Annotated[
    dict[_ShockKey, _Inner],
    BeforeValidator(lambda v: {} if v is None else v),
    WrapValidator(mapping_of("shock to {shock: correlation}")),
    AfterValidator(_pairs),
    PlainSerializer(_plain),
]


def matrix(pairs: dict) -> np.ndarray:
    C = np.eye(N_SHOCK)
    idx = {s: i for i, s in enumerate(SHOCK_NAMES)}
    for (a, b), rho in pairs.items():
        C[idx[a], idx[b]] = C[idx[b], idx[a]] = rho
    return C


def active_shocks(regimes: list) -> list[int]:
    """Indices of shocks with a non-zero volatility in any regime (scenarios), of blocks that are
    on (a block with an ``enabled`` switch draws nothing while it is off)."""
    return [
        i
        for i, s in enumerate(SHOCKS)
        if any(
            getattr(getattr(r, s.block), s.vol).value > 0 and getattr(getattr(r, s.block), "enabled", True)
            for r in regimes
        )
    ]


def build(pairs: dict, active: list[int]) -> Shocks:
    """The kernel's :class:`~engine.core.bundles.Shocks`: the CSR (ptr, cols, vals) of the
    N_SHOCK x n_draw map eps = L z (rows of inactive shocks empty)."""
    C = matrix(pairs)[np.ix_(active, active)]
    L = np.linalg.cholesky(C) if active else np.zeros((0, 0))
    ptr = [0]
    cols: list[int] = []
    vals: list[float] = []
    pos = {s: i for i, s in enumerate(active)}
    for s in range(N_SHOCK):
        if s in pos:
            i = pos[s]
            for j in range(i + 1):
                if L[i, j] != 0.0:
                    cols.append(j)
                    vals.append(L[i, j])
        ptr.append(len(cols))
    return Shocks(
        len(active),
        np.array(active, dtype=np.int64),  # Gaussian shock i draws from source i
        np.array(ptr, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(vals, dtype=np.float64),
    )
