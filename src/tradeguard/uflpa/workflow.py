"""The UFLPA detention workflow over a case repository, and its decision-log events.

Officer actions (detain, decide) become :class:`~tradeguard.decisions.events.HumanAction`
records for the tamper-evident log, with the rationale committed rather than stored (the
caller keeps the opening). Importer filings become
:class:`~tradeguard.decisions.events.UflpaSubmission` records carrying only the documents'
SHA-256 hashes, so the importer can later prove what was filed and when without the log
revealing document names or content; the workflow appends them itself when given a log.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from tradeguard.decisions.events import (
    HumanAction,
    Opening,
    UflpaSubmission,
    canonical_json,
    seal,
)
from tradeguard.uflpa.case import (
    CaseEvent,
    DetentionCase,
    EvidenceDocument,
    InvalidTransition,
    Outcome,
    SubmissionKind,
)
from tradeguard.uflpa.store import CaseRepository


def log_event(event: CaseEvent) -> tuple[HumanAction, Opening] | None:
    """The decision-log record of an officer transition (None for importer filings)."""
    if event.action == "detain":
        action, rationale = "uflpa.detain", {"reasons": event.details.get("reasons", [])}
    elif event.action == "decide":
        action = f"uflpa.{event.details['outcome']}"
        rationale = {"basis": event.details.get("basis", "")}
    else:
        return None
    commitment, opening = seal({"entry_number": event.entry_number, **rationale})
    record = HumanAction(
        entry_number=event.entry_number,
        line_number=None,
        officer_id=event.actor,
        action=action,
        rationale_commitment=commitment,
        ai_assisted=True,
    )
    return record, opening


def submission_event(event: CaseEvent) -> UflpaSubmission | None:
    """The decision-log record of an importer filing (None for officer transitions).

    ``documents_hash`` fixes the whole filing (refs, types and hashes, in filing order), so
    the importer's copy of the list can be checked against the log.
    """
    if event.action != "submit":
        return None
    docs = list(event.details.get("documents", []))
    return UflpaSubmission(
        entry_number=event.entry_number,
        importer_id=event.actor,
        kind=str(event.details.get("kind", "")),
        filed_on=event.on.isoformat(),
        document_hashes=tuple(str(d["sha256"]) for d in docs),
        documents_hash=hashlib.sha256(canonical_json(docs)).hexdigest(),
    )


class UflpaWorkflow:
    """Detain, take submissions and decide, one case per entry.

    ``log`` (a :class:`~tradeguard.decisions.TransparencyLog`) is optional; with it every
    importer submission is appended to the decision log after the case is saved.
    """

    def __init__(self, repository: CaseRepository, log: Any | None = None) -> None:
        self.repository = repository
        self.log = log

    def _case(self, entry_number: str) -> DetentionCase:
        case = self.repository.get(entry_number)
        if case is None:
            raise InvalidTransition(f"entry {entry_number}: no detention on record")
        return case

    def detain(
        self, entry_number: str, on: date, officer_id: str, reasons: tuple[str, ...] = ()
    ) -> DetentionCase:
        """Open a case; refused when the entry already has one."""
        if self.repository.get(entry_number) is not None:
            raise InvalidTransition(f"entry {entry_number}: already has a detention case")
        case = DetentionCase.detain(entry_number, on, officer_id, reasons)
        self.repository.save(case)
        return case

    def submit(
        self,
        entry_number: str,
        kind: SubmissionKind,
        documents: tuple[EvidenceDocument, ...],
        on: date,
        importer_id: str,
    ) -> DetentionCase:
        """Record the importer's evidence."""
        case = self._case(entry_number).submit(kind, documents, on, importer_id)
        self.repository.save(case)
        if self.log is not None:
            record = submission_event(case.events[-1])
            if record is not None:
                self.log.append(record)
        return case

    def decide(
        self, entry_number: str, outcome: Outcome, on: date, officer_id: str, basis: str
    ) -> DetentionCase:
        """Release or exclude; closes the case."""
        case = self._case(entry_number).decide(outcome, on, officer_id, basis)
        self.repository.save(case)
        return case

    def overdue(self, as_of: date) -> list[DetentionCase]:
        """Open cases past their 30-day clock on ``as_of``."""
        return [c for c in self.repository.all() if c.decided_on is None and c.overdue(as_of)]
