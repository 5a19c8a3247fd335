"""A UFLPA detention case as a typed state machine.

CBP detains an entry, the importer answers with evidence (an applicability review: the goods
have no Xinjiang or Entity List nexus; or an exception request: clear and convincing evidence
that they were not made with forced labor, UFLPA sec. 3(b)), and CBP decides to release or
exclude. Detained goods not released within 30 days are treated as excluded (19 U.S.C.
1499(c)(5)), so the case carries that clock, counted here from the detention date.

Cases are immutable: every transition returns a new case with one more event, and a
transition the current state does not allow raises :class:`InvalidTransition`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

CLOCK_DAYS = 30
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CaseState(StrEnum):
    """Where a detention stands."""

    DETAINED = "detained"
    UNDER_REVIEW = "under_review"  # the importer has submitted evidence
    RELEASED = "released"
    EXCLUDED = "excluded"


class SubmissionKind(StrEnum):
    """What the importer asks CBP to find."""

    APPLICABILITY_REVIEW = "applicability_review"
    EXCEPTION_REQUEST = "exception_request"


class Outcome(StrEnum):
    """CBP's decision on the detained goods."""

    RELEASE = "release"
    EXCLUSION = "exclusion"


TERMINAL = frozenset({CaseState.RELEASED, CaseState.EXCLUDED})
# state -> actions allowed from it
ALLOWED: dict[CaseState, frozenset[str]] = {
    CaseState.DETAINED: frozenset({"submit", "decide"}),
    CaseState.UNDER_REVIEW: frozenset({"submit", "decide"}),
    CaseState.RELEASED: frozenset(),
    CaseState.EXCLUDED: frozenset(),
}


class InvalidTransition(ValueError):
    """The case's state does not allow the requested action."""


@dataclass(frozen=True, slots=True)
class EvidenceDocument:
    """A document the importer filed: its reference, type and SHA-256 of its content."""

    ref: str
    doc_type: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.ref.strip():
            raise ValueError("document ref is empty")
        if not self.doc_type.strip():
            raise ValueError(f"document {self.ref!r}: type is empty")
        if not _SHA256.match(self.sha256):
            raise ValueError(f"document {self.ref!r}: sha256 must be 64 lower-case hex digits")


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One transition of a case: what happened, when, by whom, and its details."""

    entry_number: str
    action: str  # detain | submit | decide
    on: date
    actor: str
    from_state: CaseState | None
    to_state: CaseState
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (ISO dates, enum values)."""
        return {
            "entry_number": self.entry_number,
            "action": self.action,
            "on": self.on.isoformat(),
            "actor": self.actor,
            "from_state": None if self.from_state is None else self.from_state.value,
            "to_state": self.to_state.value,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> CaseEvent:
        """Inverse of :meth:`to_dict`."""
        return cls(
            entry_number=str(doc["entry_number"]),
            action=str(doc["action"]),
            on=date.fromisoformat(doc["on"]),
            actor=str(doc["actor"]),
            from_state=None if doc.get("from_state") is None else CaseState(doc["from_state"]),
            to_state=CaseState(doc["to_state"]),
            details=dict(doc.get("details") or {}),
        )


@dataclass(frozen=True, slots=True)
class DetentionCase:
    """A detention of one entry and everything that happened to it since."""

    entry_number: str
    detained_on: date
    state: CaseState
    events: tuple[CaseEvent, ...]

    @classmethod
    def detain(
        cls, entry_number: str, on: date, officer_id: str, reasons: tuple[str, ...] = ()
    ) -> DetentionCase:
        """Open a case: the entry is detained on ``on`` for the given reason codes."""
        if not entry_number.strip():
            raise ValueError("entry_number is empty")
        event = CaseEvent(
            entry_number, "detain", on, officer_id, None, CaseState.DETAINED,
            {"reasons": list(reasons)},
        )
        return cls(entry_number, on, CaseState.DETAINED, (event,))

    @property
    def deadline(self) -> date:
        """Last day of the 30-day clock."""
        return self.detained_on + timedelta(days=CLOCK_DAYS)

    @property
    def decided_on(self) -> date | None:
        """Date of the decision, if any."""
        return next((e.on for e in self.events if e.action == "decide"), None)

    def days_remaining(self, as_of: date) -> int:
        """Days left on the clock on ``as_of`` (negative once past the deadline)."""
        return (self.deadline - as_of).days

    def overdue(self, as_of: date) -> bool:
        """Undecided after the deadline (or decided after it)."""
        decided = self.decided_on
        if decided is not None:
            return decided > self.deadline
        return as_of > self.deadline

    def _check(self, action: str, on: date) -> None:
        if action not in ALLOWED[self.state]:
            raise InvalidTransition(
                f"entry {self.entry_number}: cannot {action} a case that is {self.state.value}"
                f" (allowed: {', '.join(sorted(ALLOWED[self.state])) or 'none, case closed'})"
            )
        if on < self.events[-1].on:
            raise InvalidTransition(
                f"entry {self.entry_number}: {action} dated {on} is before the last event"
                f" ({self.events[-1].on})"
            )

    def submit(
        self,
        kind: SubmissionKind,
        documents: tuple[EvidenceDocument, ...],
        on: date,
        importer_id: str,
    ) -> DetentionCase:
        """The importer files evidence (a further filing supplements the earlier ones)."""
        self._check("submit", on)
        if not documents:
            raise InvalidTransition(f"entry {self.entry_number}: a submission needs documents")
        details = {
            "kind": kind.value,
            "documents": [
                {"ref": d.ref, "type": d.doc_type, "sha256": d.sha256} for d in documents
            ],
        }
        event = CaseEvent(
            self.entry_number, "submit", on, importer_id, self.state, CaseState.UNDER_REVIEW,
            details,
        )
        return replace(self, state=CaseState.UNDER_REVIEW, events=(*self.events, event))

    def decide(self, outcome: Outcome, on: date, officer_id: str, basis: str) -> DetentionCase:
        """CBP releases or excludes the goods; the case is then closed."""
        self._check("decide", on)
        if not basis.strip():
            raise InvalidTransition(f"entry {self.entry_number}: a decision needs its basis")
        kinds = {e.details.get("kind") for e in self.events if e.action == "submit"}
        if outcome is Outcome.RELEASE and SubmissionKind.EXCEPTION_REQUEST.value in kinds:
            # UFLPA sec. 3(b): an exception is reported to Congress within 30 days.
            basis += f" (exception granted: report to Congress due {on + timedelta(days=30)})"
        to_state = CaseState.RELEASED if outcome is Outcome.RELEASE else CaseState.EXCLUDED
        event = CaseEvent(
            self.entry_number, "decide", on, officer_id, self.state, to_state,
            {"outcome": outcome.value, "basis": basis, "overdue": on > self.deadline},
        )
        return replace(self, state=to_state, events=(*self.events, event))

    def status(self, as_of: date) -> dict[str, Any]:
        """The case as a JSON-ready summary, with the clock on ``as_of``."""
        return {
            "entry_number": self.entry_number,
            "state": self.state.value,
            "detained_on": self.detained_on.isoformat(),
            "deadline": self.deadline.isoformat(),
            "days_remaining": None if self.state in TERMINAL else self.days_remaining(as_of),
            "overdue": self.overdue(as_of),
            "decided_on": None if self.decided_on is None else self.decided_on.isoformat(),
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_events(cls, events: list[CaseEvent]) -> DetentionCase:
        """Replay stored events (each one re-checked) into the case they produce."""
        if not events or events[0].action != "detain":
            raise ValueError("a case starts with its detention")
        first = events[0]
        case = cls.detain(
            first.entry_number, first.on, first.actor, tuple(first.details.get("reasons", ()))
        )
        for e in events[1:]:
            case = _replay(case, e)
        return case


def _replay(case: DetentionCase, e: CaseEvent) -> DetentionCase:
    if e.action == "submit":
        docs = tuple(
            EvidenceDocument(d["ref"], d["type"], d["sha256"]) for d in e.details["documents"]
        )
        return case.submit(SubmissionKind(e.details["kind"]), docs, e.on, e.actor)
    if e.action == "decide":
        # The stored basis already carries any note added at decision time.
        case._check("decide", e.on)
        to_state = CaseState.RELEASED if e.details["outcome"] == "release" else CaseState.EXCLUDED
        return replace(case, state=to_state, events=(*case.events, e))
    raise ValueError(f"entry {case.entry_number}: unknown action {e.action!r}")
