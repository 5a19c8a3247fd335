"""Where cases live: a repository protocol, an in-memory one, and a JSON file store.

Storage wiring into the database comes later; until then the command line keeps cases in one
JSON file of events per entry (replayed, so a hand-edited file that breaks the state machine
is refused on load).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

from tradeguard.uflpa.case import CaseEvent, DetentionCase


class CaseRepository(Protocol):
    """Cases by entry number."""

    def get(self, entry_number: str) -> DetentionCase | None:
        """The case of an entry, or None."""

    def save(self, case: DetentionCase) -> None:
        """Store (or replace) the case of its entry."""

    def all(self) -> list[DetentionCase]:
        """Every stored case, by entry number."""


class InMemoryCaseRepository:
    """Cases in a dict (tests, and a single process)."""

    def __init__(self) -> None:
        self._cases: dict[str, DetentionCase] = {}

    def get(self, entry_number: str) -> DetentionCase | None:
        """The case of an entry, or None."""
        return self._cases.get(entry_number)

    def save(self, case: DetentionCase) -> None:
        """Store (or replace) the case of its entry."""
        self._cases[case.entry_number] = case

    def all(self) -> list[DetentionCase]:
        """Every stored case, by entry number."""
        return [self._cases[k] for k in sorted(self._cases)]


class JsonCaseStore(InMemoryCaseRepository):
    """Cases in one JSON file (``{"cases": {entry_number: [event, ...]}}``), saved on write."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        if path.exists():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                for entry, events in doc.get("cases", {}).items():
                    case = DetentionCase.from_events([CaseEvent.from_dict(e) for e in events])
                    if case.entry_number != entry:
                        raise ValueError(f"case key {entry} holds entry {case.entry_number}")
                    super().save(case)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: not a valid UFLPA case store: {exc}") from exc

    def save(self, case: DetentionCase) -> None:
        """Store the case and rewrite the file atomically."""
        super().save(case)
        doc = {"cases": {c.entry_number: [e.to_dict() for e in c.events] for c in self.all()}}
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
