"""Human review: the risk queue, officer actions, rationale, overrides and training.

The small builders here (a clock, principals, an assessment, a workflow) are shared by the
notice, appeal, replay and store tests of the decisions workflow.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from tradeguard.decisions import HumanAction, MemoryLogStore, TransparencyLog, opens
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.review import (
    DecisionRefused,
    ReviewAction,
    Workflow,
    enqueue,
    enqueue_frame,
    record_action,
    reveal,
    review_queue,
)
from tradeguard.decisions.training import TrainingRequired, record_training
from tradeguard.decisions.workflow_memory import MemoryWorkflowStore
from tradeguard.decisions.workflow_records import WorkflowStore
from tradeguard.security import (
    AccessDenied,
    FieldCipher,
    MemoryAccessLog,
    Principal,
    Role,
    generate_data_key,
)
from tradeguard.targeting import ASSESSMENT_SCHEMA, Assessment


class Clock:
    """A settable clock (timezone-aware)."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def person(subject: str, *roles: Role, importer: str | None = None) -> Principal:
    return Principal(subject, frozenset(roles), importer)


ADMIN = person("admin-1", Role.ADMIN)
OFFICER = person("officer-1", Role.OFFICER)
OFFICER_2 = person("officer-2", Role.OFFICER)
SUPERVISOR = person("super-1", Role.SUPERVISOR)
SUPERVISOR_2 = person("super-2", Role.SUPERVISOR)
AUDITOR = person("auditor-1", Role.AUDITOR)
IMPORTER_A = person("compliance-a", Role.IMPORTER, importer="IMP-A")
IMPORTER_B = person("compliance-b", Role.IMPORTER, importer="IMP-B")
STAFF = (OFFICER, OFFICER_2, SUPERVISOR, SUPERVISOR_2)


def line(
    entry: str = "ABC-1234567-8",
    number: int = 1,
    *,
    score: float = 0.91,
    lane: str = "red",
    reasons: tuple[str, ...] = ("VAL_LOW_UNIT_VALUE", "NET_SHARED_IDENTITY", "ORIGIN_TRANSSHIP"),
    texts: tuple[str, ...] = (
        "Declared unit value is far below what others declare for the same goods and origin",
        "Linked to parties in past violations",
        "Routing suggests the goods may have been transshipped",
    ),
    categories: tuple[str, ...] = ("valuation", "network", "origin"),
    forced_by: tuple[str, ...] = (),
    port: str = "2704",
    day: date = date(2026, 3, 1),
    model: str = "exam-model@3",
    digest: str | None = None,
) -> Assessment:
    """One assessed line with the real targeting shape."""
    return Assessment(
        entry_number=entry, line_number=number, port_of_entry=port, entry_date=day,
        risk_score=score, lane=lane, selection="risk", selection_probability=1.0,
        categories=categories, reasons=reasons, reason_texts=texts, findings=(),
        model_probability=0.8, model_version=model, rules_version="rules@7",
        targeting_version="targeting@2",
        input_digest=digest or hashlib.sha256(f"{entry}|{number}".encode()).hexdigest(),
        forced_by=forced_by, list_versions={"uflpa": "2026-02-01"},
    )


def make_workflow(
    store: WorkflowStore | None = None, log: TransparencyLog | None = None
) -> tuple[Workflow, Clock]:
    clock = Clock()
    signer = derive_development_signer("test-secret", "test.tradeguard/log")
    wf = Workflow(
        store or MemoryWorkflowStore(),
        log or TransparencyLog(MemoryLogStore(), signer, clock),
        FieldCipher([generate_data_key()]),
        clock,
    )
    return wf, clock


def train(wf: Workflow, *who: Principal, on: date = date(2026, 1, 1), days: int = 365) -> None:
    for p in who:
        record_training(wf.store, ADMIN, p.subject_id, on, on + timedelta(days=days))


def queued(wf: Workflow, *lines: Assessment, importer: str = "IMP-A") -> list[str]:
    items = enqueue(wf, OFFICER, list(lines), {a.entry_number: importer for a in lines})
    return [i.item_id for i in items]


def trained_workflow() -> Workflow:
    """A workflow on in-memory stores whose staff are all trained."""
    workflow, _ = make_workflow()
    train(workflow, *STAFF)
    return workflow


@pytest.fixture
def wf() -> Workflow:
    return trained_workflow()


def test_queue_is_ordered_by_risk_and_filters_by_port_lane_and_date(wf: Workflow) -> None:
    queued(
        wf,
        line("ABC-0000001-1", score=0.4, lane="yellow"),
        line("ABC-0000002-2", score=0.95, port="1001", day=date(2026, 2, 27)),
        line("ABC-0000003-3", score=0.7),
    )
    assert [i.entry_number for i in review_queue(wf, OFFICER)] == [
        "ABC-0000002-2", "ABC-0000003-3", "ABC-0000001-1"
    ]
    assert [i.entry_number for i in review_queue(wf, OFFICER, port="1001")] == ["ABC-0000002-2"]
    assert [i.entry_number for i in review_queue(wf, OFFICER, lane="yellow")] == ["ABC-0000001-1"]
    after = review_queue(wf, OFFICER, date_from=date(2026, 2, 28))
    assert [i.entry_number for i in after] == ["ABC-0000003-3", "ABC-0000001-1"]
    with pytest.raises(AccessDenied):
        review_queue(wf, IMPORTER_A)


def test_enqueue_logs_each_score_with_the_explanation_sealed(wf: Workflow) -> None:
    (item,) = queued(wf, line())
    stored = wf.store.review_item(item)
    assert stored is not None
    logged = wf.log.read(stored.scored_seq).event
    assert logged.payload()["feature_vector_hash"] == stored.input_digest
    assert logged.payload()["explanation_commitment"] == stored.explanation_commitment
    opening = reveal(wf, AUDITOR, stored.explanation_commitment)
    assert opening.payload["risk_score"] == 0.91
    with pytest.raises(AccessDenied):
        reveal(wf, OFFICER, stored.explanation_commitment)


def test_enqueue_refuses_lines_whose_entry_has_no_importer(wf: Workflow) -> None:
    with pytest.raises(DecisionRefused, match="ABC-9999999-9"):
        enqueue(wf, OFFICER, [line(), line("ABC-9999999-9")], {"ABC-1234567-8": "IMP-A"})
    assert wf.log.size == 0


def test_enqueue_frame_takes_the_targeting_frame_and_the_entries_importers(wf: Workflow) -> None:
    records = []
    for a in (line(number=1, score=0.2, lane="green"), line(number=2, score=0.8)):
        rec = a.to_record()
        rec |= {"findings": "[]", "entry_date": a.entry_date, "sample_draw": None,
                "list_versions": json.dumps(dict(a.list_versions)), "refdata_versions": "{}",
                "detector_versions": "{}", "model_version": a.model_version,
                "rules_version": a.rules_version, "targeting_version": a.targeting_version}
        records.append({k: rec[k] for k in ASSESSMENT_SCHEMA})
    frame = pl.DataFrame(records, schema=ASSESSMENT_SCHEMA, orient="row")
    entries = pl.DataFrame({"entry_number": ["ABC-1234567-8"], "importer_id": ["IMP-A"]})
    items = enqueue_frame(wf, OFFICER, frame, entries)
    assert [(i.line_number, i.importer_id, i.lane) for i in items] == [
        (1, "IMP-A", "green"), (2, "IMP-A", "red")
    ]


@pytest.mark.parametrize("action", [a for a in ReviewAction if a is not ReviewAction.RELEASE])
@pytest.mark.parametrize("rationale", ["", "   \n"])
def test_no_adverse_action_without_a_rationale(
    wf: Workflow, action: ReviewAction, rationale: str
) -> None:
    (item,) = queued(wf, line())
    size = wf.log.size
    with pytest.raises(DecisionRefused, match="rationale"):
        record_action(wf, OFFICER, item, action, rationale)
    assert wf.log.size == size
    assert wf.store.actions("ABC-1234567-8") == []


@pytest.mark.parametrize("who", [None, "officer-1", Principal("", frozenset({Role.OFFICER}))])
def test_no_action_without_a_human_principal(wf: Workflow, who: Any) -> None:
    (item,) = queued(wf, line())
    with pytest.raises(DecisionRefused, match="human"):
        record_action(wf, who, item, ReviewAction.EXAM, "invoice values inconsistent")
    assert wf.store.actions("ABC-1234567-8") == []


def test_only_staff_who_may_decide_can_act(wf: Workflow) -> None:
    (item,) = queued(wf, line())
    for who in (IMPORTER_A, AUDITOR, person("analyst-1", Role.ANALYST)):
        with pytest.raises(AccessDenied):
            record_action(wf, who, item, ReviewAction.EXAM, "looks wrong")


def test_untrained_or_lapsed_officer_cannot_act() -> None:
    wf, clock = make_workflow()
    (item,) = queued(wf, line())
    with pytest.raises(TrainingRequired):
        record_action(wf, OFFICER, item, ReviewAction.EXAM, "invoice inconsistent")
    train(wf, OFFICER, on=date(2025, 3, 2), days=365)  # valid through 2026-03-02 inclusive
    record_action(wf, OFFICER, item, ReviewAction.EXAM, "invoice inconsistent")
    clock.advance(days=1)
    with pytest.raises(TrainingRequired, match="2026-03-03"):
        record_action(wf, OFFICER, item, ReviewAction.HOLD, "exam found a mismatch")


def test_action_is_logged_with_officer_and_a_sealed_rationale(wf: Workflow) -> None:
    (item,) = queued(wf, line())
    rec = record_action(wf, OFFICER, item, ReviewAction.HOLD, "MID does not match invoice")
    event = wf.log.read(rec.log_seq).event
    assert isinstance(event, HumanAction)
    assert (event.officer_id, event.action, event.ai_assisted) == ("officer-1", "hold", True)
    assert "MID does not match" not in json.dumps(event.payload())
    opening = reveal(wf, AUDITOR, event.rationale_commitment)
    assert opens(event.rationale_commitment, opening)
    assert opening.payload["rationale"] == "MID does not match invoice"
    assert wf.store.review_item(item).status == "decided"  # type: ignore[union-attr]


def test_overrides_are_recorded_and_need_a_rationale(wf: Workflow) -> None:
    red, green = queued(wf, line(number=1), line(number=2, score=0.1, lane="green"))
    with pytest.raises(DecisionRefused, match="override"):
        record_action(wf, OFFICER, red, ReviewAction.RELEASE, "")
    released = record_action(wf, OFFICER, red, ReviewAction.RELEASE, "known shipper, docs fine")
    assert (released.override, released.ai_lane, released.officer_lane) == (True, "red", "green")
    agreed = record_action(wf, OFFICER, green, ReviewAction.RELEASE, "")
    assert agreed.override is False
    examined = record_action(wf, OFFICER, green, ReviewAction.EXAM, "seal number missing")
    assert examined.override is True


def test_releasing_a_lane_forced_by_a_hard_rule_needs_a_supervisor(wf: Workflow) -> None:
    (item,) = queued(wf, line(forced_by=("uflpa_entity",)))
    with pytest.raises(AccessDenied, match="decision:override"):
        record_action(wf, OFFICER, item, ReviewAction.RELEASE, "supplier not the listed one")
    rec = record_action(wf, SUPERVISOR, item, ReviewAction.RELEASE, "supplier not the listed one")
    assert rec.override


def test_every_permission_check_is_recorded_when_an_access_log_is_kept(wf: Workflow) -> None:
    wf.access_log = MemoryAccessLog()
    (item,) = queued(wf, line())
    with pytest.raises(AccessDenied):
        record_action(wf, IMPORTER_A, item, ReviewAction.EXAM, "x")
    refused = [e for e in wf.access_log.events("compliance-a") if not e.granted]
    assert refused and refused[0].permission == "decision:record"
