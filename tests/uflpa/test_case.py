"""The UFLPA detention state machine, its 30-day clock, the stores and the log mapping."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tradeguard.decisions.events import HumanAction, opens
from tradeguard.uflpa import (
    CaseState,
    EvidenceDocument,
    InMemoryCaseRepository,
    InvalidTransition,
    JsonCaseStore,
    Outcome,
    SubmissionKind,
    UflpaWorkflow,
    log_event,
)

E = "ABC-1234567-8"
DOC = EvidenceDocument("INV-1", "commercial_invoice", "a" * 64)


def test_detain_submit_release_and_clock() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())
    case = flow.detain(E, date(2026, 7, 1), "cbp-1", ("FL_UFLPA_PARTY",))
    assert case.state is CaseState.DETAINED and case.deadline == date(2026, 7, 31)
    assert case.days_remaining(date(2026, 7, 21)) == 10 and not case.overdue(date(2026, 7, 31))
    assert case.overdue(date(2026, 8, 1))
    case = flow.submit(E, SubmissionKind.APPLICABILITY_REVIEW, (DOC,), date(2026, 7, 10), "imp")
    assert case.state is CaseState.UNDER_REVIEW
    case = flow.decide(E, Outcome.RELEASE, date(2026, 7, 20), "cbp-2", "no nexus")
    assert case.state is CaseState.RELEASED
    assert [e.action for e in case.events] == ["detain", "submit", "decide"]
    assert not case.overdue(date(2026, 12, 1))  # decided in time, stays not overdue
    assert case.status(date(2026, 12, 1))["days_remaining"] is None


def test_late_decision_is_overdue_and_flow_lists_open_overdue_cases() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    flow.detain("XYZ-7654321-0", date(2026, 7, 20), "cbp-1")
    assert [c.entry_number for c in flow.overdue(date(2026, 8, 5))] == [E]
    case = flow.decide(E, Outcome.EXCLUSION, date(2026, 8, 5), "cbp-2", "no response")
    assert case.state is CaseState.EXCLUDED and case.overdue(date(2026, 8, 5))
    assert case.events[-1].details["overdue"] is True


def test_invalid_transitions_are_refused_with_reason() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())
    with pytest.raises(InvalidTransition, match="no detention on record"):
        flow.submit(E, SubmissionKind.EXCEPTION_REQUEST, (DOC,), date(2026, 7, 2), "imp")
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    with pytest.raises(InvalidTransition, match="already has a detention case"):
        flow.detain(E, date(2026, 7, 2), "cbp-1")
    with pytest.raises(InvalidTransition, match="needs documents"):
        flow.submit(E, SubmissionKind.EXCEPTION_REQUEST, (), date(2026, 7, 2), "imp")
    with pytest.raises(InvalidTransition, match="before the last event"):
        flow.decide(E, Outcome.RELEASE, date(2026, 6, 30), "cbp-2", "x")
    flow.decide(E, Outcome.EXCLUSION, date(2026, 7, 9), "cbp-2", "listed manufacturer")
    with pytest.raises(InvalidTransition, match="cannot submit a case that is excluded"):
        flow.submit(E, SubmissionKind.EXCEPTION_REQUEST, (DOC,), date(2026, 7, 10), "imp")
    with pytest.raises(InvalidTransition, match="cannot decide"):
        flow.decide(E, Outcome.RELEASE, date(2026, 7, 10), "cbp-2", "x")


def test_document_hash_is_validated() -> None:
    with pytest.raises(ValueError, match="sha256"):
        EvidenceDocument("INV-1", "invoice", "not-a-hash")


def test_exception_release_notes_report_to_congress() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    flow.submit(E, SubmissionKind.EXCEPTION_REQUEST, (DOC,), date(2026, 7, 5), "imp")
    case = flow.decide(E, Outcome.RELEASE, date(2026, 7, 20), "cbp-2", "clear and convincing")
    assert "report to Congress due 2026-08-19" in case.events[-1].details["basis"]


def test_json_store_round_trip_and_refuses_broken_history(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    flow = UflpaWorkflow(JsonCaseStore(path))
    flow.detain(E, date(2026, 7, 1), "cbp-1")
    flow.submit(E, SubmissionKind.APPLICABILITY_REVIEW, (DOC,), date(2026, 7, 3), "imp")
    again = JsonCaseStore(path).get(E)
    assert again is not None and again.state is CaseState.UNDER_REVIEW
    assert again.events[1].details["documents"][0]["sha256"] == "a" * 64
    doc = json.loads(path.read_text())
    doc["cases"][E].pop(0)  # drop the detention: the history no longer replays
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="not a valid UFLPA case store"):
        JsonCaseStore(path)


def test_officer_transitions_map_to_committed_human_actions() -> None:
    flow = UflpaWorkflow(InMemoryCaseRepository())
    case = flow.detain(E, date(2026, 7, 1), "cbp-1", ("FL_XUAR_ADDRESS",))
    case = flow.submit(E, SubmissionKind.APPLICABILITY_REVIEW, (DOC,), date(2026, 7, 3), "imp")
    detain, submit = case.events
    mapped = log_event(detain)
    assert mapped is not None
    record, opening = mapped
    assert isinstance(record, HumanAction) and record.action == "uflpa.detain"
    assert record.officer_id == "cbp-1" and opens(record.rationale_commitment, opening)
    assert log_event(submit) is None
