"""Appeals: the importer's challenge, independent re-review, re-scoring, and the outcome.

The flow follows GOVERNANCE.md: intake (only on the importer's own notice, within the
contest window), automatic acknowledgement with a 30-day clock, routing to a trained reviewer
who took no part in the decision (not the deciding officer, nor anyone who acted on the
entry), re-scoring on corrected data through a scoring callable, a decision with reasons, the
outcome logged and kept in the contract's outcomes shape, and the overturn rate per model
version for monitoring. The grounds and reasons are sealed; only their commitments are logged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tradeguard.decisions.events import AppealFiled, AppealResolved, DecisionScored
from tradeguard.decisions.review import ScoredLine, Workflow, involved_officers
from tradeguard.decisions.training import require_training
from tradeguard.decisions.workflow_records import AppealDocument, AppealRecord
from tradeguard.security import AccessDenied, Permission, Principal, Resource
from tradeguard.security.roles import allowed
from tradeguard.security.tenancy import tenant_of

if TYPE_CHECKING:
    import polars as pl

APPEAL_DAYS = 30
EXAMINING_ACTIONS = frozenset({"exam", "hold", "detain"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KEY_FIELDS = frozenset({"entry_number", "line_number", "importer_id"})

#: Re-scores one line on corrected data: (entry number, line number, corrections) -> line.
Rescorer = Callable[[str, int, Mapping[str, Any]], ScoredLine]


class AppealOutcome(StrEnum):
    """How a reviewer can resolve an appeal."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"
    MODIFIED = "modified"


class AppealRefused(ValueError):
    """The appeal step cannot be taken as asked (late, empty, not independent, wrong state)."""


@dataclass(frozen=True, slots=True)
class AppealClock:
    """Where an appeal stands against its 30-day clock."""

    acknowledged_at: datetime
    due_at: datetime
    days_left: int
    overdue: bool


def appeal_clock(appeal: AppealRecord, now: datetime) -> AppealClock:
    """The SLA view: overdue when undecided past the due time, or decided after it."""
    end = appeal.decided_at or now
    left = (appeal.due_at - now).days if appeal.decided_at is None else 0
    return AppealClock(appeal.acknowledged_at, appeal.due_at, left, end > appeal.due_at)


def _load(wf: Workflow, appeal_id: str) -> AppealRecord:
    appeal = wf.store.appeal(appeal_id)
    if appeal is None:
        raise KeyError(f"no appeal {appeal_id}")
    return appeal


def _resource(appeal: AppealRecord) -> Resource:
    return Resource("appeal", appeal.appeal_id, appeal.importer_id)


def file_appeal(
    wf: Workflow,
    principal: Principal,
    notice_id: str,
    grounds: str,
    documents: Sequence[AppealDocument] = (),
    corrections: Mapping[str, Any] | None = None,
) -> AppealRecord:
    """File and acknowledge a challenge to a notice (the importer it was sent to only)."""
    notice = wf.store.notice(notice_id)
    if notice is None:
        raise KeyError(f"no notice {notice_id}")
    wf.check(principal, Permission.APPEAL_FILE,
             Resource("notice", notice_id, notice.importer_id))
    now = wf.clock()
    if not grounds.strip():
        raise AppealRefused(f"appeal on notice {notice_id}: grounds are required")
    deadline = date.fromisoformat(str(notice.content["contest"]["deadline"]))
    if now.date() > deadline:
        raise AppealRefused(f"notice {notice_id}: the contest deadline {deadline} has passed")
    for i, doc in enumerate(documents):
        if not doc.name.strip() or not doc.doc_type.strip() or not _SHA256.match(doc.sha256):
            raise AppealRefused(
                f"document {i + 1} ({doc.name!r}): needs a name, a type and a lowercase hex sha256"
            )
    if any(a.notice_id == notice_id and a.status != "decided"
           for a in wf.store.appeals(notice.importer_id)):
        raise AppealRefused(f"notice {notice_id} already has an open appeal")
    fixed = dict(corrections or {})
    if bad := sorted(set(fixed) & _KEY_FIELDS):
        raise AppealRefused(f"corrections cannot change key fields: {', '.join(bad)}")
    item = wf.store.review_item(f"{notice.entry_number}|{notice.line_number}")
    appeal_id = uuid.uuid4().hex
    commitment = wf.keep_sealed(
        "appeal_grounds", {"appeal_id": appeal_id, "grounds": grounds, "corrections": fixed}
    )
    receipt = wf.log.append(
        AppealFiled(appeal_id, notice_id, notice.entry_number, notice.importer_id, commitment), now
    )
    appeal = AppealRecord(
        appeal_id, notice_id, notice.case_id, notice.entry_number, notice.line_number,
        notice.importer_id, principal.subject_id, now, now, now + timedelta(days=APPEAL_DAYS),
        commitment, item.model_version if item else "unknown", receipt.leaf_index,
        corrections=fixed, documents=tuple(documents),
    )
    wf.store.save_appeal(appeal)
    return appeal


def independence_problems(
    wf: Workflow, appeal: AppealRecord, reviewer: Principal, on: date
) -> list[str]:
    """Why ``reviewer`` may not re-review ``appeal`` (empty when eligible)."""
    problems: list[str] = []
    if not allowed(reviewer, Permission.APPEAL_REVIEW, _resource(appeal)):
        problems.append("lacks the appeal:review permission")
    if reviewer.subject_id in involved_officers(wf, appeal.entry_number):
        problems.append("took part in the decision on the entry")
    if reviewer.subject_id == appeal.filed_by:
        problems.append("filed the appeal")
    try:
        require_training(wf.store, reviewer, Permission.APPEAL_REVIEW, on)
    except AccessDenied as exc:
        problems.append(exc.reason)
    return problems


def _as_router(wf: Workflow, principal: Principal, appeal: AppealRecord) -> None:
    """Whoever routes an appeal may not have acted on the entry either: they would pick
    their own reviewer."""
    wf.check(principal, Permission.APPEAL_REVIEW, _resource(appeal))
    if principal.subject_id in involved_officers(wf, appeal.entry_number):
        raise AppealRefused(
            f"{principal.subject_id} took part in the decision on {appeal.entry_number} "
            "and cannot route its appeal"
        )


def assign_reviewer(
    wf: Workflow, principal: Principal, appeal_id: str, reviewer: Principal
) -> AppealRecord:
    """Route an appeal to a named reviewer, refusing anyone not independent of the decision."""
    appeal = _load(wf, appeal_id)
    _as_router(wf, principal, appeal)
    if appeal.status == "decided":
        raise AppealRefused(f"appeal {appeal_id} is already decided")
    now = wf.clock()
    if problems := independence_problems(wf, appeal, reviewer, now.date()):
        raise AppealRefused(f"{reviewer.subject_id} cannot review {appeal_id}: "
                            + "; ".join(problems))
    assigned = replace(appeal, status="assigned", reviewer_id=reviewer.subject_id, assigned_at=now)
    wf.store.save_appeal(assigned)
    return assigned


def route_appeal(
    wf: Workflow, principal: Principal, appeal_id: str, candidates: Sequence[Principal]
) -> AppealRecord:
    """Assign the eligible candidate with the fewest open appeals (ties: listed order)."""
    appeal = _load(wf, appeal_id)
    _as_router(wf, principal, appeal)
    today = wf.clock().date()
    eligible = [c for c in candidates if not independence_problems(wf, appeal, c, today)]
    if not eligible:
        raise AppealRefused(f"appeal {appeal_id}: no independent, trained reviewer available")
    load: dict[str, int] = {}
    for a in wf.store.appeals():
        if a.status == "assigned" and a.reviewer_id:
            load[a.reviewer_id] = load.get(a.reviewer_id, 0) + 1
    chosen = min(eligible, key=lambda c: load.get(c.subject_id, 0))
    return assign_reviewer(wf, principal, appeal_id, chosen)


def _as_reviewer(wf: Workflow, principal: Principal, appeal: AppealRecord) -> datetime:
    wf.check(principal, Permission.APPEAL_REVIEW, _resource(appeal))
    if appeal.status != "assigned" or appeal.reviewer_id != principal.subject_id:
        raise AppealRefused(f"appeal {appeal.appeal_id} is not assigned to {principal.subject_id}")
    now = wf.clock()
    if problems := independence_problems(wf, appeal, principal, now.date()):
        raise AppealRefused(f"{principal.subject_id} cannot review {appeal.appeal_id}: "
                            + "; ".join(problems))
    return now


def case_file(
    wf: Workflow, principal: Principal, appeal_id: str, *, with_score: bool = False
) -> dict[str, Any]:
    """What the assigned reviewer sees: first without the AI score (so the declared facts,
    documents and corrections are judged on their own), then with it on request."""
    appeal = _load(wf, appeal_id)
    _as_reviewer(wf, principal, appeal)
    actions = [
        {"action": a.action, "decided_at": a.decided_at.isoformat(), "override": a.override}
        for a in wf.store.actions(appeal.entry_number) if a.line_number == appeal.line_number
    ]
    doc: dict[str, Any] = {
        "appeal_id": appeal_id, "entry_number": appeal.entry_number,
        "line_number": appeal.line_number, "actions": actions,
        "documents": [d.name + " (" + d.doc_type + ")" for d in appeal.documents],
        "corrections": dict(appeal.corrections), "with_score": with_score,
    }
    item = wf.store.review_item(f"{appeal.entry_number}|{appeal.line_number}")
    if with_score and item is not None:
        doc["assessment"] = {
            "risk_score": item.risk_score, "lane": item.lane, "reasons": list(item.reasons),
            "reason_texts": list(item.reason_texts), "model_version": item.model_version,
        }
        doc["rescored"] = dict(appeal.rescored) if appeal.rescored else None
    return doc


def rescore_appeal(
    wf: Workflow, principal: Principal, appeal_id: str, rescorer: Rescorer
) -> AppealRecord:
    """Re-score the line on the importer's corrected data; the new assessment is logged
    (``decision.scored``, explanation sealed with the appeal id) and linked to the appeal."""
    appeal = _load(wf, appeal_id)
    _as_reviewer(wf, principal, appeal)
    new = rescorer(appeal.entry_number, appeal.line_number, appeal.corrections)
    if (new.entry_number, new.line_number) != (appeal.entry_number, appeal.line_number):
        raise AppealRefused(f"re-score returned {new.entry_number} line {new.line_number}, "
                            f"not the appealed line")
    commitment = wf.keep_sealed("explanation", {"appeal_id": appeal_id, **new.to_record()})
    receipt = wf.log.append(DecisionScored(
        entry_number=new.entry_number, line_number=new.line_number,
        model_hash=new.model_version, feature_vector_hash=new.input_digest,
        score=new.risk_score, threshold=new.risk_score, lane=new.lane,
        reason_codes=tuple(new.reasons), versions=new.versions(),
        explanation_commitment=commitment))
    item = wf.store.review_item(f"{appeal.entry_number}|{appeal.line_number}")
    rescored = {
        "appeal_id": appeal_id, "log_seq": receipt.leaf_index, "risk_score": new.risk_score,
        "lane": new.lane, "reasons": list(new.reasons), "reason_texts": list(new.reason_texts),
        "model_version": new.model_version, "input_digest": new.input_digest,
        "versions": new.versions(), "explanation_commitment": commitment,
        "corrections": dict(appeal.corrections),
        "previous": None if item is None else {
            "risk_score": item.risk_score, "lane": item.lane, "input_digest": item.input_digest,
            "log_seq": item.scored_seq},
    }
    updated = replace(appeal, rescored=rescored)
    wf.store.save_appeal(updated)
    return updated


def decide_appeal(
    wf: Workflow,
    principal: Principal,
    appeal_id: str,
    outcome: AppealOutcome | str,
    reasons: str,
    *,
    discrepancy: bool | None = None,
    category: str | None = None,
    recovered_duty_usd: float | None = None,
) -> AppealRecord:
    """Decide an appeal with reasons (the assigned, independent reviewer only) and log it.

    The outcome is also kept as a contract outcomes row; ``discrepancy`` defaults to
    "the decision stood" (not overturned).
    """
    appeal = _load(wf, appeal_id)
    now = _as_reviewer(wf, principal, appeal)
    try:
        result = AppealOutcome(outcome)
    except ValueError as exc:
        raise AppealRefused(f"outcome {outcome!r} is not upheld, overturned or modified") from exc
    if not reasons.strip():
        raise AppealRefused(f"appeal {appeal_id}: a decision needs written reasons")
    commitment = wf.keep_sealed("appeal_reasons", {"appeal_id": appeal_id,
                                                   "outcome": result.value, "reasons": reasons})
    receipt = wf.log.append(
        AppealResolved(appeal_id, principal.subject_id, result.value, commitment), now
    )
    actions = [a for a in wf.store.actions(appeal.entry_number)
               if a.line_number == appeal.line_number]
    row = {
        "entry_number": appeal.entry_number, "line_number": appeal.line_number,
        "examined": any(a.action in EXAMINING_ACTIONS for a in actions),
        "discrepancy": (result is not AppealOutcome.OVERTURNED) if discrepancy is None
        else discrepancy,
        "category": category, "recovered_duty_usd": recovered_duty_usd,
        "decided_on": now.date().isoformat(),
    }
    decided = replace(appeal, status="decided", outcome=result.value, reasons_commitment=commitment,
                      decided_at=now, resolved_seq=receipt.leaf_index, outcome_row=row)
    wf.store.save_appeal(decided)
    return decided


def appeal_status(wf: Workflow, principal: Principal, appeal_id: str) -> AppealRecord:
    """One appeal: for the importer that filed it, or staff who may read notices."""
    appeal = _load(wf, appeal_id)
    permission = Permission.APPEAL_FILE if principal.is_importer else Permission.NOTICE_READ
    wf.check(principal, permission, _resource(appeal))
    return appeal


def list_appeals(wf: Workflow, principal: Principal) -> list[AppealRecord]:
    """Appeals the principal may see: an importer only its own."""
    permission = Permission.APPEAL_FILE if principal.is_importer else Permission.NOTICE_READ
    wf.check(principal, permission, Resource("appeal", "*", principal.importer_id))
    return wf.store.appeals(tenant_of(principal))


def overdue_appeals(wf: Workflow, principal: Principal) -> list[AppealRecord]:
    """Undecided appeals past their due time (SLA breach alerts for monitoring)."""
    wf.check(principal, Permission.MONITORING_READ, Resource("appeal", "*"))
    now = wf.clock()
    return [a for a in wf.store.appeals() if a.decided_at is None and now > a.due_at]


OUTCOME_COLUMNS = (
    "entry_number", "line_number", "examined", "discrepancy", "category", "recovered_duty_usd",
    "decided_on",
)


def _decided_frame(wf: Workflow) -> pl.DataFrame:
    import polars as pl

    schema = {
        "entry_number": pl.String, "line_number": pl.Int64, "examined": pl.Boolean,
        "discrepancy": pl.Boolean, "category": pl.String, "recovered_duty_usd": pl.Float64,
        "decided_on": pl.String, "model_version": pl.String, "outcome": pl.String,
    }
    rows = [{**dict(a.outcome_row or {}), "model_version": a.model_version, "outcome": a.outcome}
            for a in wf.store.appeals() if a.status == "decided"]
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(pl.col("decided_on").str.to_date())


def appeal_outcomes(wf: Workflow, principal: Principal) -> pl.DataFrame:
    """Decided appeals as contract outcomes rows (labels for learning and evaluation)."""
    wf.check(principal, Permission.MONITORING_READ, Resource("appeal", "*"))
    return _decided_frame(wf).select(OUTCOME_COLUMNS)


def overturn_rates(wf: Workflow, principal: Principal) -> pl.DataFrame:
    """Per model version: appeals decided, overturned, modified, upheld and the overturn rate."""
    import polars as pl

    wf.check(principal, Permission.MONITORING_READ, Resource("appeal", "*"))
    decided = _decided_frame(wf)
    return (
        decided.group_by("model_version")
        .agg(
            pl.len().alias("decided"),
            (pl.col("outcome") == AppealOutcome.OVERTURNED.value).sum().alias("overturned"),
            (pl.col("outcome") == AppealOutcome.MODIFIED.value).sum().alias("modified"),
            (pl.col("outcome") == AppealOutcome.UPHELD.value).sum().alias("upheld"),
        )
        .with_columns((pl.col("overturned") / pl.col("decided")).alias("overturn_rate"))
        .sort("model_version")
    )
