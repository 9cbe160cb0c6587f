"""Scheduled events compiled for the kernel: dated level shocks to a state, decaying overlays on
the additive yield components, and the parameter regimes that ``set`` events start.

In a scenario (the event models are in :mod:`engine.scenario`)::

    events:
      - {date: 2025-04-02, shock: inflation_expectations, size: +30bp}             # level change
      - {date: 2025-04-03, shock: term_premium, size: +35bp, half_life: 6m}         # decaying shock
      - {date: 2026-01-01, set: macro.learning_gain, value: 0.3/yr}                # parameter change

A level shock adds to the state at the step that holds its date; the state's own dynamics then
carry it (a level shock to inflation fades at inflation's persistence). A policy-rate shock with
``sets_target: true`` is a decision the rule adopts: after the step's level shocks the policy
stance moves by what makes the rule's target, in that step, the new shadow rate on the zero-shock
path (engine.blocks.policy.adopt_decisions; one shift, the same on every path), so the rule
holds the move instead of taking it back (the stance then fades at its own speed, as a
deviation from the rule does). A shock with a
``half_life`` is an overlay on an additive yield component (engine.registry.COMPONENTS) that
decays at exactly that half-life, whatever the component's own mean reversion. A ``set`` starts
a new parameter regime; the market does not anticipate it (expectations use the regime in force).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import ValidationError

from .bundles import Events
from .layout import EVENT_ROW, N_COMP, OVERLAY_COLUMN, SETS_TARGET


def compile_events(events: list, cal) -> Events:
    """Level shocks as CSR over steps and the overlay table (n_steps + 1, component).

    An event dated in step k's interval acts in step k, so it first shows at time point k+1.
    """
    n = cal.n_steps
    level: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    decisions = [0] * n  # rate decisions the rule adopts: marks after each step's level shocks
    overlay = np.zeros((n + 1, N_COMP))
    t = np.arange(n + 1) * cal.dt
    for ev in events:
        if ev.kind != "shock":
            continue
        k = cal.step_of(ev.date)
        if ev.half_life is None:
            level[k].append((EVENT_ROW[ev.shock], ev.size.value))
            if ev.sets_target:
                decisions[k] += 1
        else:
            j = OVERLAY_COLUMN[ev.shock]
            age = t[k + 1 :] - t[k]
            overlay[k + 1 :, j] += ev.size.value * np.exp(-math.log(2.0) * age / ev.half_life.years)
    ptr = np.zeros(n + 1, dtype=np.int64)
    rows, sizes = [], []
    for k in range(n):
        for st, sz in level[k] + [(SETS_TARGET, 0.0)] * decisions[k]:
            rows.append(st)
            sizes.append(sz)
        ptr[k + 1] = len(rows)
    return Events(ptr, np.array(rows, dtype=np.int64), np.array(sizes, dtype=np.float64), overlay)


def regimes(sc, cal) -> tuple[list, np.ndarray]:
    """Parameter regimes: the scenario with each ``set`` event applied in date order (copies of
    ``sc``), and the regime index of each step."""
    sets = sorted((e for e in sc.events if e.kind == "set"), key=lambda e: e.date)
    out = [sc]
    reg = np.zeros(cal.n_steps, dtype=np.int64)
    for ev in sets:
        k = cal.step_of(ev.date)
        sec, key = ev.set.split(".", 1)
        cur = out[-1]
        out.append(cur.model_copy(update={sec: getattr(cur, sec).model_copy(update={key: ev.value})}))
        reg[k:] = len(out) - 1
    return out, reg


def block_event_problems(sc, block: str, targets: tuple[str, ...] = ()) -> list[tuple[tuple, str]]:
    """Problems with the events that act on a block that has an ``enabled`` switch: while it is
    off, shocks to its ``targets`` and ``set`` events on its parameters would do nothing (refused,
    as a scenario that says one thing and does another); level shocks to its targets must be
    positive; and every regime a ``set`` event starts must pass the section's own rules (a
    ``set`` changes one key, and a combination the section refuses in the file, like a zero
    haircut with a zero margin, is refused here too)."""
    out: list[tuple[tuple, str]] = []
    sec = getattr(sc, block)
    sets = [(i, ev) for i, ev in enumerate(sc.events) if ev.kind == "set" and ev.set.split(".", 1)[0] == block]
    if not sec.enabled:
        out += [
            (("events", i, "shock"), f"{ev.shock} needs {block}.enabled: true")
            for i, ev in enumerate(sc.events)
            if ev.kind == "shock" and ev.shock in targets
        ]
        out += [(("events", i, "set"), f"{ev.set} needs {block}.enabled: true") for i, ev in sets]
        return out
    out += [
        (("events", i, "size"), f"'{ev.size}'; a {ev.shock} shock is positive (it starts something), like +20%")
        for i, ev in enumerate(sc.events)
        if ev.kind == "shock" and ev.shock in targets and ev.size.value <= 0 and ev.shock != "basis_margin"
    ]
    return out + regime_problems(sc, block)


def regime_problems(sc, block: str) -> list[tuple[tuple, str]]:
    """Every regime that ``set`` events start in ``block`` must pass the section's own rules: a
    ``set`` changes one key, and a combination the section refuses in the file (a zero haircut
    with a zero margin, a zero rule speed with the floor centring) is refused here too, naming
    the event."""
    out: list[tuple[tuple, str]] = []
    sec = getattr(sc, block)
    sets = [(i, ev) for i, ev in enumerate(sc.events) if ev.kind == "set" and ev.set.split(".", 1)[0] == block]
    plain = sec.model_dump(mode="json", by_alias=True)
    for i, ev in sorted(sets, key=lambda x: x[1].date):
        key = ev.set.split(".", 1)[1]
        candidate = {**plain, key: _plain_value(ev.value)}
        try:
            type(sec).model_validate(candidate)
        except ValidationError as exc:  # the regime breaks a rule of the section
            msgs = [str(e.get("msg", "")) for e in exc.errors()] or [str(exc)]
            out.append((("events", i, "value"), f"from {ev.date} {block} would break its rules: {msgs[0]}"))
            continue
        plain = candidate
    return out


def _plain_value(v):
    return str(v) if hasattr(v, "value") or hasattr(v, "years") else v
