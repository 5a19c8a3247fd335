"""Appeals: intake on own entries only, the 30-day clock, independent reviewers, re-scoring,
outcomes and the overturn rate per model version."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from tradeguard.decisions import AppealFiled, AppealResolved, DecisionScored
from tradeguard.decisions.appeals import (
    OUTCOME_COLUMNS,
    AppealRefused,
    appeal_clock,
    appeal_outcomes,
    appeal_status,
    assign_reviewer,
    case_file,
    decide_appeal,
    file_appeal,
    list_appeals,
    overdue_appeals,
    overturn_rates,
    rescore_appeal,
    route_appeal,
)
from tradeguard.decisions.notices import act_and_notify, get_notice, issue_notice, list_notices
from tradeguard.decisions.review import (
    ReviewAction,
    Workflow,
    record_action,
    reveal,
    review_queue,
)
from tradeguard.decisions.workflow_records import AppealDocument, NoticeRecord
from tradeguard.security import AccessDenied, Role
from tradeguard.targeting import Assessment

from .test_review import (
    AUDITOR,
    IMPORTER_A,
    IMPORTER_B,
    OFFICER,
    OFFICER_2,
    STAFF,
    SUPERVISOR,
    SUPERVISOR_2,
    Clock,
    line,
    make_workflow,
    person,
    queued,
    train,
)

INVOICE = AppealDocument(
    "invoice-4471.pdf", "commercial_invoice", hashlib.sha256(b"inv").hexdigest()
)


@pytest.fixture
def setup() -> tuple[Workflow, Clock]:
    wf, clock = make_workflow()
    train(wf, *STAFF, person("super-3", Role.SUPERVISOR))
    return wf, clock


def _held(wf: Workflow, entry: str = "ABC-1234567-8", model: str = "exam-model@3",
          importer: str = "IMP-A", officer: Any = OFFICER) -> NoticeRecord:
    (item,) = queued(wf, line(entry, model=model), importer=importer)
    _, notice = act_and_notify(wf, officer, item, ReviewAction.HOLD, "value far below peers")
    assert notice is not None
    return notice


def test_importer_files_only_on_its_own_notice(setup: tuple[Workflow, Clock]) -> None:
    wf, _ = setup
    notice = _held(wf)
    with pytest.raises(AccessDenied, match="another importer"):
        file_appeal(wf, IMPORTER_B, notice.notice_id, "not ours either")
    with pytest.raises(AccessDenied):
        file_appeal(wf, OFFICER, notice.notice_id, "staff cannot file")
    appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "price is a closeout", [INVOICE])
    assert appeal.documents == (INVOICE,) and appeal.case_id == notice.case_id
    with pytest.raises(AppealRefused, match="already has an open appeal"):
        file_appeal(wf, IMPORTER_A, notice.notice_id, "again")
    event = wf.log.read(appeal.filed_seq).event
    assert isinstance(event, AppealFiled) and event.importer_id == "IMP-A"
    assert "closeout" not in str(event.payload())


def test_importers_cannot_read_or_list_each_others_appeals(setup: tuple[Workflow, Clock]) -> None:
    wf, _ = setup
    a = file_appeal(wf, IMPORTER_A, _held(wf).notice_id, "grounds A")
    b_notice = _held(wf, "ABC-2222222-2", importer="IMP-B")
    b = file_appeal(wf, IMPORTER_B, b_notice.notice_id, "grounds B")
    assert appeal_status(wf, IMPORTER_A, a.appeal_id).appeal_id == a.appeal_id
    with pytest.raises(AccessDenied):
        appeal_status(wf, IMPORTER_A, b.appeal_id)
    assert [x.appeal_id for x in list_appeals(wf, IMPORTER_B)] == [b.appeal_id]
    assert len(list_appeals(wf, SUPERVISOR)) == 2


def test_intake_refuses_empty_grounds_bad_documents_key_changes_and_late_filing(
    setup: tuple[Workflow, Clock],
) -> None:
    wf, clock = setup
    notice = _held(wf)
    with pytest.raises(AppealRefused, match="grounds"):
        file_appeal(wf, IMPORTER_A, notice.notice_id, "  ")
    with pytest.raises(AppealRefused, match="sha256"):
        file_appeal(wf, IMPORTER_A, notice.notice_id, "x", [AppealDocument("a", "b", "XYZ")])
    with pytest.raises(AppealRefused, match="key fields"):
        file_appeal(wf, IMPORTER_A, notice.notice_id, "x", corrections={"entry_number": "Z"})
    clock.advance(days=31)
    with pytest.raises(AppealRefused, match="deadline 2026-04-01"):
        file_appeal(wf, IMPORTER_A, notice.notice_id, "late")


def test_thirty_day_clock_and_overdue_flag(setup: tuple[Workflow, Clock]) -> None:
    wf, clock = setup
    appeal = file_appeal(wf, IMPORTER_A, _held(wf).notice_id, "closeout price")
    assert appeal.acknowledged_at == appeal.filed_at == clock.now
    assert (appeal.due_at - appeal.filed_at).days == 30
    clock.advance(days=29)
    assert appeal_clock(appeal, clock.now).overdue is False
    assert appeal_clock(appeal, clock.now).days_left == 1
    assert overdue_appeals(wf, SUPERVISOR) == []
    clock.advance(days=1, seconds=1)
    assert appeal_clock(appeal, clock.now).overdue is True
    assert [a.appeal_id for a in overdue_appeals(wf, SUPERVISOR)] == [appeal.appeal_id]
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    done = decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "upheld", "value unsupported")
    assert appeal_clock(done, clock.now).overdue is True  # decided late stays flagged
    assert overdue_appeals(wf, SUPERVISOR) == []


def test_appeal_never_reaches_anyone_who_acted_on_the_entry(
    setup: tuple[Workflow, Clock],
) -> None:
    wf, _ = setup
    notice = _held(wf, officer=SUPERVISOR)  # a supervisor decided the hold
    item = f"{notice.entry_number}|{notice.line_number}"
    record_action(wf, SUPERVISOR_2, item, ReviewAction.EXAM, "exam ordered after hold")
    appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "closeout price")
    router = person("super-4", Role.SUPERVISOR)
    for involved in (SUPERVISOR, SUPERVISOR_2):
        with pytest.raises(AppealRefused, match="took part"):
            assign_reviewer(wf, router, appeal.appeal_id, involved)
        with pytest.raises(AppealRefused, match="cannot route"):  # nor pick the reviewer
            assign_reviewer(wf, involved, appeal.appeal_id, person("super-3", Role.SUPERVISOR))
    with pytest.raises(AppealRefused, match="appeal:review"):
        assign_reviewer(wf, router, appeal.appeal_id, OFFICER_2)
    untrained = person("super-9", Role.SUPERVISOR)
    with pytest.raises(AppealRefused, match="training"):
        assign_reviewer(wf, router, appeal.appeal_id, untrained)
    with pytest.raises(AppealRefused, match="no independent"):
        route_appeal(wf, router, appeal.appeal_id, [SUPERVISOR, SUPERVISOR_2, untrained])
    routed = route_appeal(wf, router, appeal.appeal_id,
                          [SUPERVISOR, SUPERVISOR_2, untrained, person("super-3", Role.SUPERVISOR)])
    assert routed.reviewer_id == "super-3" and routed.status == "assigned"
    assert routed.reviewer_id not in {a.officer_id for a in wf.store.actions(notice.entry_number)}


def test_only_the_assigned_reviewer_decides_with_reasons(setup: tuple[Workflow, Clock]) -> None:
    wf, _ = setup
    appeal = file_appeal(wf, IMPORTER_A, _held(wf).notice_id, "closeout price")
    with pytest.raises(AppealRefused, match="not assigned"):
        decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "overturned", "ok")
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    with pytest.raises(AppealRefused, match="not assigned"):
        decide_appeal(wf, person("super-3", Role.SUPERVISOR), appeal.appeal_id, "upheld", "x")
    with pytest.raises(AppealRefused, match="reasons"):
        decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "overturned", " ")
    with pytest.raises(AppealRefused, match="outcome"):
        decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "dismissed", "x")
    done = decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "overturned", "invoice proves price",
                         recovered_duty_usd=0.0)
    event = wf.log.read(done.resolved_seq).event  # type: ignore[arg-type]
    assert isinstance(event, AppealResolved)
    assert (event.reviewer_id, event.outcome) == ("super-2", "overturned")
    assert reveal(wf, AUDITOR, event.reasons_commitment).payload["reasons"] == (
        "invoice proves price"
    )
    with pytest.raises(AppealRefused):
        decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "upheld", "changed my mind")


def test_outcomes_rows_have_the_contract_shape(setup: tuple[Workflow, Clock]) -> None:
    wf, _ = setup
    appeal = file_appeal(wf, IMPORTER_A, _held(wf).notice_id, "closeout price")
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, "modified", "partly right",
                  category="valuation", recovered_duty_usd=1250.5)
    out = appeal_outcomes(wf, AUDITOR)
    assert tuple(out.columns) == OUTCOME_COLUMNS
    assert out.row(0, named=True) == {
        "entry_number": "ABC-1234567-8", "line_number": 1, "examined": True,
        "discrepancy": True, "category": "valuation", "recovered_duty_usd": 1250.5,
        "decided_on": date(2026, 3, 2),
    }
    with pytest.raises(AccessDenied):
        appeal_outcomes(wf, IMPORTER_A)


def test_overturn_rate_is_computed_per_model_version(setup: tuple[Workflow, Clock]) -> None:
    wf, _ = setup
    plan = [("m@1", "overturned"), ("m@1", "upheld"), ("m@1", "overturned"), ("m@1", "upheld"),
            ("m@2", "upheld"), ("m@2", "modified"), ("m@2", None)]
    for i, (model, outcome) in enumerate(plan):
        notice = _held(wf, f"ABC-{i:07d}-1", model=model)
        appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "disputed")
        if outcome:
            assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
            decide_appeal(wf, SUPERVISOR_2, appeal.appeal_id, outcome, "reviewed")
    rates = {r["model_version"]: r for r in overturn_rates(wf, AUDITOR).iter_rows(named=True)}
    assert (rates["m@1"]["decided"], rates["m@1"]["overturned"]) == (4, 2)
    assert rates["m@1"]["overturn_rate"] == pytest.approx(0.5)
    assert (rates["m@2"]["decided"], rates["m@2"]["modified"]) == (2, 1)
    assert rates["m@2"]["overturn_rate"] == 0.0


def _value_scorer(calls: list[Mapping[str, Any]]) -> Any:
    """A deterministic stand-in: risk falls as the declared unit value rises."""

    def rescore(entry: str, number: int, corrections: Mapping[str, Any]) -> Assessment:
        calls.append(dict(corrections))
        value = float(corrections["entered_value_usd"])
        score = round(max(0.0, 1.0 - value / 10_000), 6)
        digest = hashlib.sha256(f"{entry}|{number}|{value}".encode()).hexdigest()
        return line(entry, number, score=score, lane="green" if score < 0.5 else "red",
                    reasons=() if score < 0.5 else ("VAL_LOW_UNIT_VALUE",), texts=(),
                    categories=(), digest=digest, model="exam-model@3")

    return rescore


def test_rescoring_on_corrected_data_is_logged_and_linked_to_the_appeal(
    setup: tuple[Workflow, Clock],
) -> None:
    wf, _ = setup
    notice = _held(wf)
    appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "value was mistyped",
                         [INVOICE], corrections={"entered_value_usd": 8200})
    calls: list[Mapping[str, Any]] = []
    with pytest.raises(AppealRefused):  # not yet assigned: nobody may re-score
        rescore_appeal(wf, SUPERVISOR_2, appeal.appeal_id, _value_scorer(calls))
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    rescored = rescore_appeal(wf, SUPERVISOR_2, appeal.appeal_id, _value_scorer(calls))
    assert calls == [{"entered_value_usd": 8200}]
    new = rescored.rescored
    assert new is not None and new["appeal_id"] == appeal.appeal_id
    assert (new["risk_score"], new["lane"]) == (pytest.approx(0.18), "green")
    assert new["previous"]["lane"] == "red"
    assert new["previous"]["input_digest"] != new["input_digest"]
    event = wf.log.read(new["log_seq"]).event
    assert isinstance(event, DecisionScored)
    assert (event.score, event.lane, event.feature_vector_hash) == (
        new["risk_score"], "green", new["input_digest"]
    )
    opening = reveal(wf, AUDITOR, event.explanation_commitment)  # type: ignore[arg-type]
    assert opening.payload["appeal_id"] == appeal.appeal_id
    stored = appeal_status(wf, IMPORTER_A, appeal.appeal_id)
    assert stored.rescored == new


def test_the_reviewer_sees_the_case_without_then_with_the_score(
    setup: tuple[Workflow, Clock],
) -> None:
    wf, _ = setup
    appeal = file_appeal(wf, IMPORTER_A, _held(wf).notice_id, "closeout", [INVOICE])
    assign_reviewer(wf, SUPERVISOR, appeal.appeal_id, SUPERVISOR_2)
    blind = case_file(wf, SUPERVISOR_2, appeal.appeal_id)
    assert "assessment" not in blind and "0.91" not in str(blind)
    assert blind["actions"][0]["action"] == "hold" and blind["documents"]
    seen = case_file(wf, SUPERVISOR_2, appeal.appeal_id, with_score=True)
    assert seen["assessment"]["risk_score"] == 0.91
    with pytest.raises(AppealRefused, match="not assigned"):
        case_file(wf, person("super-3", Role.SUPERVISOR), appeal.appeal_id)
    with pytest.raises(AccessDenied):
        case_file(wf, OFFICER, appeal.appeal_id)


def test_no_library_path_lets_one_importer_reach_anothers_records(
    setup: tuple[Workflow, Clock],
) -> None:
    wf, _ = setup
    notice = _held(wf)
    appeal = file_appeal(wf, IMPORTER_A, notice.notice_id, "closeout")
    item = f"{notice.entry_number}|{notice.line_number}"
    action = wf.store.actions(notice.entry_number)[0]
    attempts = {
        "get_notice": lambda: get_notice(wf, IMPORTER_B, notice.notice_id),
        "file_appeal": lambda: file_appeal(wf, IMPORTER_B, notice.notice_id, "x"),
        "appeal_status": lambda: appeal_status(wf, IMPORTER_B, appeal.appeal_id),
        "review_queue": lambda: review_queue(wf, IMPORTER_B),
        "record_action": lambda: record_action(wf, IMPORTER_B, item, "release", "x"),
        "issue_notice": lambda: issue_notice(wf, IMPORTER_B, action),
        "reveal": lambda: reveal(wf, IMPORTER_B, appeal.grounds_commitment),
        "assign_reviewer": lambda: assign_reviewer(wf, IMPORTER_B, appeal.appeal_id, SUPERVISOR),
        "decide_appeal": lambda: decide_appeal(wf, IMPORTER_B, appeal.appeal_id, "upheld", "x"),
        "case_file": lambda: case_file(wf, IMPORTER_B, appeal.appeal_id),
        "rescore_appeal": lambda: rescore_appeal(wf, IMPORTER_B, appeal.appeal_id,
                                                 _value_scorer([])),
        "appeal_outcomes": lambda: appeal_outcomes(wf, IMPORTER_B),
        "overturn_rates": lambda: overturn_rates(wf, IMPORTER_B),
        "overdue_appeals": lambda: overdue_appeals(wf, IMPORTER_B),
    }
    for name, attempt in attempts.items():
        with pytest.raises(AccessDenied):
            attempt()
            pytest.fail(f"{name} let IMPORTER-B through")
    assert list_notices(wf, IMPORTER_B) == [] and list_appeals(wf, IMPORTER_B) == []
    assert len(list_notices(wf, IMPORTER_A)) == 1
