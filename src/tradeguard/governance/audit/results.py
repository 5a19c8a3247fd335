"""What each audit section returns: checks against thresholds, plus tables and plot data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """One number judged against one pre-declared threshold (``passed`` None = not judged)."""

    name: str
    value: float | None
    threshold: float | None
    rule: str  # ">=" or "<=" or "info"
    passed: bool | None
    low: float | None = None
    high: float | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def judge(name: str, value: float | None, threshold: float, rule: str, *,
          low: float | None = None, high: float | None = None, note: str = "") -> Check:
    """A check: ``value`` (or NaN/None = cannot tell -> failed) compared with ``threshold``."""
    ok: bool | None
    if value is None:
        ok = False
        note = note or "could not be measured"
    else:
        ok = value >= threshold if rule == ">=" else value <= threshold
    return Check(name, value, threshold, rule, ok, low, high, note)


@dataclass
class Section:
    """One part of the audit: what was tested, the checks, tables and data for plots."""

    name: str
    title: str
    what: str
    checks: list[Check] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    plots: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""

    @property
    def passed(self) -> bool:
        """True when no judged check failed (a skipped section does not pass)."""
        return not self.skipped and all(c.passed is not False for c in self.checks)

    @property
    def failed_checks(self) -> list[str]:
        return [f"{self.name}.{c.name}" for c in self.checks if c.passed is False]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "what": self.what,
                "passed": self.passed, "skipped": self.skipped,
                "checks": [c.to_json() for c in self.checks], "tables": self.tables,
                "plots": self.plots}
