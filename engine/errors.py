"""User-facing errors, kept in one place.

A :class:`ScenarioError` carries every problem found in a scenario at once; each prints as
one line ``file:line: dotted.key: what is wrong, what is expected``. The CLI prints them and
exits with status 2 before anything is written.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem in a scenario: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class UstsimError(Exception):
    """Base class of errors a user can fix (exit status 2, one line each)."""

    def lines(self) -> list[str]:
        return [str(self)]


class ScenarioError(UstsimError):
    """A scenario that does not validate; holds all problems found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class NonFiniteError(UstsimError):
    """A run stopped because a path went NaN or infinite (explosive parameters)."""


class ResourceError(UstsimError):
    """A run refused before it starts (for example, it would not fit in memory)."""


def format_bytes(n: float) -> str:
    """Human-readable size in binary units (``1.5 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0
    raise AssertionError  # pragma: no cover
