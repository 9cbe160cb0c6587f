"""What to tell a user whose run went wrong: which parameters are likeliest to blame.

When a path goes non-finite (an explosive combination of parameters that each pass the schema's
plausible bounds), the run stops and names the scenario, the path, the date and the variable,
and the parameters furthest from their defaults (by the ratio of magnitudes), which are where an
explosion almost always comes from.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import NonFiniteError
from .registry import BLOCKS
from .units import Quantity


def _number(x: object) -> float | None:
    if isinstance(x, Quantity):
        return x.value
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    return None


def suspects(sc, n: int = 3) -> list[str]:
    """The ``n`` block parameters (and parameter changes by events) furthest from their defaults,
    as ``block.key = value (default d)``, furthest first."""
    scored = []
    for b in BLOCKS:
        params = getattr(sc, b.name)
        default = type(params)()
        for key in type(params).model_fields:
            cur, dflt = getattr(params, key), getattr(default, key)
            c, d = _number(cur), _number(dflt)
            if c is not None and d is not None and c != d:
                scored.append(
                    (abs(math.log((abs(c) + 1e-9) / (abs(d) + 1e-9))), f"{b.name}.{key} = {cur} (default {dflt})")
                )
    for ev in sc.events:
        if ev.kind == "set":
            block, key = ev.set.split(".", 1)
            dflt = getattr(type(getattr(sc, block))(), key)
            c, d = _number(ev.value), _number(dflt)
            if c is not None and d is not None:
                scored.append(
                    (
                        abs(math.log((abs(c) + 1e-9) / (abs(d) + 1e-9))),
                        f"{ev.set} = {ev.value} from {ev.date} (default {dflt})",
                    )
                )
    return [text for _, text in sorted(scored, key=lambda e: -e[0])[:n]]


def not_computable(sc, what: str) -> NonFiniteError:
    """The error of a scenario whose ``what`` (computed before any path) is NaN or infinite."""
    blame = suspects(sc)
    return NonFiniteError(
        f"{sc.source}: {what} is not finite"
        + ("; the parameters furthest from their defaults: " + "; ".join(blame) if blame else "")
        + "; nothing was run"
    )


def nonfinite(model, path: int, slot: int, var: int, value: float) -> NonFiniteError:
    """The error of a run whose ``path`` first had a NaN or infinite ``value`` in recorded
    variable ``var`` at record ``slot``."""
    sc = model.scenario
    what = "NaN" if np.isnan(value) else "infinite"
    day = model.cal.record_dates[slot]
    blame = suspects(sc)
    return NonFiniteError(
        f"{sc.source}: the run stopped: on path {path:,} (seed {sc.seed}) {model.rec_names[var]} is {what} on {day}; "
        + (
            "the parameters furthest from their defaults: " + "; ".join(blame)
            if blame
            else "every block parameter is at its default"
        )
        + "; nothing was written"
    )
