"""Scheduled events: dated shocks to a state and dated changes of a parameter.

In a scenario::

    events:
      - {date: 2025-04-02, shock: inflation_expectations, size: +30bp}             # level change
      - {date: 2025-04-03, shock: term_premium, size: +35bp, half_life: 6m}         # decaying shock
      - {date: 2026-01-01, set: macro.learning_gain, value: 0.3/yr}                # parameter change

A level shock adds to the state at the step that holds its date; the state's own dynamics then
carry it (a level shock to inflation fades at inflation's persistence). A shock with a
``half_life`` is an overlay on an additive yield component (term premium, inflation risk
premium, convenience yield, liquidity wedge, fire sale) that decays at exactly that half-life,
whatever the component's own mean reversion. A ``set`` starts a new parameter regime; the
market does not anticipate it (expectations use the regime in force).
"""
from __future__ import annotations

import math

import numpy as np

from .. import units
from ..schema import Ctx, Field, Section, _did_you_mean
from .state import EVENT_TARGETS, N_OVERLAY, OVERLAY_STATES

_SHOCK_KEYS = ("date", "shock", "size", "half_life", "note")
_SET_KEYS = ("date", "set", "value", "note")


class EventField(Field):
    """One event: a shock (``shock``/``size``/``half_life``) or a parameter change (``set``/``value``)."""

    def __init__(self, settable: dict[str, Field]):
        super().__init__("a dated shock or parameter change")
        self.settable = settable

    def resolve(self, value, path, ctx: Ctx):
        if not isinstance(value, dict):
            ctx.error(path, f"{units.describe(value)} is not an event; expected a mapping like "
                            "{date: 2025-04-02, shock: term_premium, size: +35bp}")
            return None
        kind = "set" if "set" in value else "shock"
        keys = _SET_KEYS if kind == "set" else _SHOCK_KEYS
        ok = True
        for k in value:
            if k not in keys:
                ctx.error(path + (k,), f"unknown key{_did_you_mean(k, list(keys))}; a {kind} event takes "
                                       f"{', '.join(keys)}")
                ok = False
        out: dict = {"kind": kind}
        if "date" not in value:
            ctx.error(path + ("date",), f"missing; expected {units.EXAMPLES['date']}")
            ok = False
        else:
            try:
                out["date"] = units.parse_date(value["date"])
            except units.UnitError as exc:
                ctx.error(path + ("date",), str(exc))
                ok = False
        out["note"] = value.get("note")
        if kind == "shock":
            target = value.get("shock")
            if target not in EVENT_TARGETS:
                ctx.error(path + ("shock",), (f"{units.describe(target)} is not a shockable state"
                                              f"{_did_you_mean(str(target), list(EVENT_TARGETS))}; expected one of "
                                              f"{', '.join(EVENT_TARGETS)}") if target is not None
                          else "missing; expected the state to shock, e.g. term_premium")
                ok = False
            out["shock"] = target
            if "size" not in value:
                ctx.error(path + ("size",), f"missing; expected {units.EXAMPLES['rate']}")
                ok = False
            else:
                try:
                    out["size"] = units.parse(value["size"], "rate")
                except units.UnitError as exc:
                    ctx.error(path + ("size",), str(exc))
                    ok = False
            out["half_life"] = None
            if value.get("half_life") is not None:
                try:
                    out["half_life"] = units.parse(value["half_life"], "tenor")
                except units.UnitError as exc:
                    ctx.error(path + ("half_life",), str(exc))
                    ok = False
                if target in EVENT_TARGETS and EVENT_TARGETS[target] not in OVERLAY_STATES:
                    ctx.error(path + ("half_life",), f"{target} takes level shocks only (they fade at the model's own "
                                                     "persistence); half_life is for term_premium, "
                                                     "inflation_risk_premium, convenience_yield, liquidity_wedge, fire_sale")
                    ok = False
        else:
            target = value.get("set")
            field = self.settable.get(target) if isinstance(target, str) else None
            if field is None:
                ctx.error(path + ("set",), f"{units.describe(target)} is not a parameter an event can set"
                                           f"{_did_you_mean(str(target), list(self.settable))}")
                ok = False
            elif "value" not in value:
                ctx.error(path + ("value",), "missing; expected the parameter's new value")
                ok = False
            else:
                n = len(ctx.problems)
                out["value"] = field.resolve(value["value"], path + ("value",), ctx)
                ok = ok and len(ctx.problems) == n
            out["set"] = target
        return out if ok else None

    def to_plain(self, ev):
        d: dict = {"date": ev["date"]}
        if ev["kind"] == "set":
            d["set"] = ev["set"]
            d["value"] = self.settable[ev["set"]].to_plain(ev["value"])
        else:
            d["shock"] = ev["shock"]
            d["size"] = str(ev["size"])
            if ev["half_life"] is not None:
                d["half_life"] = str(ev["half_life"])
        if ev.get("note"):
            d["note"] = ev["note"]
        return d

    def json(self):
        shock = {"type": "object", "additionalProperties": False, "required": ["date", "shock", "size"],
                 "properties": {"date": {"type": "string", "format": "date"},
                                "shock": {"enum": list(EVENT_TARGETS)},
                                "size": {"type": "string", "pattern": units._PATTERNS["rate"].pattern},
                                "half_life": {"type": "string", "pattern": units._PATTERNS["tenor"].pattern},
                                "note": {"type": "string"}}}
        setp = {"type": "object", "additionalProperties": False, "required": ["date", "set", "value"],
                "properties": {"date": {"type": "string", "format": "date"}, "set": {"enum": list(self.settable)},
                               "value": {}, "note": {"type": "string"}}}
        return self._describe({"oneOf": [shock, setp]})


def settable_fields(sections: dict[str, Section], fixed: dict[str, tuple], exclude: dict[str, tuple]) -> dict[str, Field]:
    """``section.key`` -> field, for the numeric parameters an event may change."""
    from ..schema import Num, Q
    out = {}
    for sec, schema in sections.items():
        for key, field in schema.fields.items():
            if key in fixed.get(sec, ()) or key in exclude.get(sec, ()):
                continue
            if isinstance(field, Num) or (isinstance(field, Q) and field.dim != "date"):
                out[f"{sec}.{key}"] = field
    return out


def compile_shocks(events: list[dict], cal) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level shocks as CSR over steps (ptr, state, size) and the overlay table (n_steps+1, N_OVERLAY).

    An event dated in step k's interval acts in step k, so it first shows at time point k+1.
    """
    n = cal.n_steps
    level = [[] for _ in range(n)]
    overlay = np.zeros((n + 1, N_OVERLAY))
    t = np.arange(n + 1) * cal.dt
    for ev in events:
        if ev["kind"] != "shock":
            continue
        k = cal.step_of(ev["date"])
        st = EVENT_TARGETS[ev["shock"]]
        if ev["half_life"] is None:
            level[k].append((st, ev["size"].value))
        else:
            j = OVERLAY_STATES.index(st)
            h = ev["half_life"].years
            age = t[k + 1:] - t[k]
            overlay[k + 1:, j] += ev["size"].value * np.exp(-math.log(2.0) * age / h)
    ptr = np.zeros(n + 1, dtype=np.int64)
    states, sizes = [], []
    for k in range(n):
        for st, sz in level[k]:
            states.append(st)
            sizes.append(sz)
        ptr[k + 1] = len(states)
    return ptr, np.array(states, dtype=np.int64), np.array(sizes, dtype=np.float64), overlay


def regimes(base: dict, events: list[dict], cal) -> tuple[list[dict], np.ndarray]:
    """Parameter regimes: list of resolved-section dicts and the regime index of each step."""
    sets = sorted((e for e in events if e["kind"] == "set"), key=lambda e: e["date"])
    out = [base]
    reg = np.zeros(cal.n_steps, dtype=np.int64)
    for ev in sets:
        k = cal.step_of(ev["date"])
        sec, key = ev["set"].split(".", 1)
        cur = {s: dict(v) if isinstance(v, dict) else v for s, v in out[-1].items()}
        cur[sec][key] = ev["value"]
        out.append(cur)
        reg[k:] = len(out) - 1
    return out, reg
