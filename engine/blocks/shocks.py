"""Correlated Gaussian shocks: the correlation schema and the map from the normals drawn each
step to the model's shocks.

Only shocks whose volatility is non-zero in some regime are drawn ("active"), so a run draws
no more normals per step than its model needs. The active correlation sub-matrix is factored
by Cholesky; the factor is stored row by row (CSR) so zero entries cost nothing in the kernel.
"""
import numpy as np

from ..schema import Field, _did_you_mean
from .. import units
from .state import N_SHOCK, SHOCKS

VOL_KEYS = {  # shock -> (section, key) holding its volatility
    "output_gap": ("macro", "gap_vol"), "inflation": ("macro", "inflation_vol"),
    "inflation_expectations": ("macro", "expectations_vol"), "neutral_rate": ("macro", "neutral_rate_vol"),
    "policy_rate": ("policy", "shock_vol"), "term_premium": ("term_premium", "vol"),
    "inflation_risk_premium": ("inflation_risk_premium", "vol"), "convenience_yield": ("convenience_yield", "vol"),
    "policy_stance": ("policy", "stance_vol"),
}


class Correlations(Field):
    """``correlations: {term_premium: {policy_rate: 0.3}}`` - pairwise correlations of shocks."""

    def __init__(self):
        super().__init__("pairwise correlations of the Gaussian shocks, e.g. {term_premium: {policy_rate: 0.3}}; "
                         "unlisted pairs are uncorrelated", {})

    def resolve(self, value, path, ctx):
        if value is None:
            return {}
        if not isinstance(value, dict):
            ctx.error(path, f"{units.describe(value)} is not a mapping of shock to {{shock: correlation}}")
            return None
        out: dict[tuple[str, str], float] = {}
        for a, inner in value.items():
            if a not in SHOCKS:
                ctx.error(path + (a,), f"unknown shock{_did_you_mean(a, list(SHOCKS))}; expected one of {', '.join(SHOCKS)}")
                continue
            if not isinstance(inner, dict):
                ctx.error(path + (a,), f"{units.describe(inner)} is not a mapping of shock to correlation")
                continue
            for b, rho in inner.items():
                p = path + (a, b)
                if b not in SHOCKS:
                    ctx.error(p, f"unknown shock{_did_you_mean(b, list(SHOCKS))}; expected one of {', '.join(SHOCKS)}")
                    continue
                if a == b:
                    ctx.error(p, "a shock's correlation with itself is 1; list pairs of different shocks")
                    continue
                if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1.0 < rho < 1.0:
                    ctx.error(p, f"{units.describe(rho)} is not a correlation; expected a number strictly between -1 and 1")
                    continue
                key = tuple(sorted((a, b)))
                if key in out and out[key] != rho:
                    ctx.error(p, f"conflicts with the correlation {out[key]} given for {key[0]}/{key[1]}")
                    continue
                out[key] = float(rho)
        if out:
            C = matrix(out)
            if np.linalg.eigvalsh(C).min() <= 1e-10:
                ctx.error(path, "these correlations do not form a valid (positive definite) correlation matrix")
                return None
        return out

    def to_plain(self, resolved):
        plain: dict = {}
        for (a, b), rho in resolved.items():
            plain.setdefault(a, {})[b] = rho
        return plain

    def json(self):
        inner = {"type": "object", "propertyNames": {"enum": list(SHOCKS)},
                 "additionalProperties": {"type": "number", "exclusiveMinimum": -1, "exclusiveMaximum": 1}}
        return self._describe({"type": "object", "propertyNames": {"enum": list(SHOCKS)},
                               "additionalProperties": inner})


def matrix(pairs: dict) -> np.ndarray:
    C = np.eye(N_SHOCK)
    idx = {s: i for i, s in enumerate(SHOCKS)}
    for (a, b), rho in pairs.items():
        C[idx[a], idx[b]] = C[idx[b], idx[a]] = rho
    return C


def active_shocks(regime_params: list[dict]) -> list[int]:
    """Indices of shocks with a non-zero volatility in any regime."""
    out = []
    for i, name in enumerate(SHOCKS):
        sec, key = VOL_KEYS[name]
        if any(r[sec][key].value > 0 for r in regime_params):
            out.append(i)
    return out


def loading_csr(pairs: dict, active: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR (ptr, cols, vals) of the N_SHOCK x n_draw map: eps = L z (rows of inactive shocks empty)."""
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
    return np.array(ptr, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float64)
