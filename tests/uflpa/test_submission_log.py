"""Importer submissions reach the decision log as document hashes only."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from tradeguard.decisions import MemoryLogStore, TransparencyLog
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.events import UflpaSubmission, canonical_json, decode_record
from tradeguard.uflpa import (
    EvidenceDocument,
    InMemoryCaseRepository,
    Outcome,
    SubmissionKind,
    UflpaWorkflow,
)
from tradeguard.uflpa.workflow import submission_event

E = "ABC-1234567-8"
DOCS = (EvidenceDocument("INV-SECRET-77", "commercial_invoice", "a" * 64),
        EvidenceDocument("MILL-CERT-3", "mill_certificate", "b" * 64))


def _flow() -> tuple[UflpaWorkflow, TransparencyLog]:
    log = TransparencyLog(MemoryLogStore(), derive_development_signer("k", "test/log"))
    return UflpaWorkflow(InMemoryCaseRepository(), log), log


def test_each_submission_is_logged_with_hashes_and_officer_steps_are_not() -> None:
    flow, log = _flow()
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    flow.submit(E, SubmissionKind.APPLICABILITY_REVIEW, DOCS, date(2026, 7, 3), "imp-9")
    flow.submit(E, SubmissionKind.EXCEPTION_REQUEST, DOCS[:1], date(2026, 7, 9), "imp-9")
    flow.decide(E, Outcome.EXCLUSION, date(2026, 7, 20), "cbp-2", "no nexus shown")
    records = list(log.store.records())
    events = [decode_record(r.canonical).event for r in records]
    assert [type(e) for e in events] == [UflpaSubmission, UflpaSubmission]
    first, second = events
    assert isinstance(first, UflpaSubmission) and isinstance(second, UflpaSubmission)
    assert first.document_hashes == ("a" * 64, "b" * 64) and first.importer_id == "imp-9"
    assert (second.kind, second.filed_on) == ("exception_request", "2026-07-09")
    # document names stay out of the log
    assert all(b"INV-SECRET-77" not in r.canonical for r in records)


def test_documents_hash_fixes_the_filed_list() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())  # no log: the case still works
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    case = flow.submit(E, SubmissionKind.APPLICABILITY_REVIEW, DOCS, date(2026, 7, 3), "imp")
    event = submission_event(case.events[-1])
    assert event is not None
    filed = [{"ref": d.ref, "type": d.doc_type, "sha256": d.sha256} for d in DOCS]
    assert event.documents_hash == hashlib.sha256(canonical_json(filed)).hexdigest()
    swapped = json.loads(json.dumps(filed))[::-1]
    assert event.documents_hash != hashlib.sha256(canonical_json(swapped)).hexdigest()
    assert submission_event(case.events[0]) is None  # the detention is an officer step
