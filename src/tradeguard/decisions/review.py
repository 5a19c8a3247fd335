"""Human review: the risk-ordered queue and the officer's decision on each line.

The AI output is advisory. A line enters the queue with its score, lane and reasons, and the
scoring is logged (``decision.scored``) with the full explanation sealed; only an officer acts
on it. Anything other than release is adverse and needs a trained human principal and a
written rationale; an officer's lane that differs from the AI lane is recorded as an override,
and overriding a lane a hard rule forced downwards needs the override permission (supervisor).
Every action is appended to the transparency log (``decision.human_action``) before it is
stored, so the store never holds a decision the log does not.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.decisions.events import DecisionScored, HumanAction, Opening, opens, seal
from tradeguard.decisions.training import require_training
from tradeguard.decisions.transparency_log import Receipt, TransparencyLog
from tradeguard.decisions.workflow_records import ActionRecord, ReviewItem, WorkflowStore
from tradeguard.security import FieldCipher, Permission, Principal, Resource
from tradeguard.security.access_log import AccessLog, checked
from tradeguard.security.roles import require
from tradeguard.security.tenancy import tenant_of

if TYPE_CHECKING:
    import polars as pl


class ReviewAction(StrEnum):
    """What an officer can do with a line."""

    RELEASE = "release"
    DOCUMENT_REVIEW = "document_review"
    EXAM = "exam"
    HOLD = "hold"
    DETAIN = "detain"
    REFER = "refer_to_case"


#: The lane each action amounts to, to tell an override from agreement with the AI lane.
ACTION_LANE: Mapping[ReviewAction, str] = {
    ReviewAction.RELEASE: "green",
    ReviewAction.DOCUMENT_REVIEW: "yellow",
    ReviewAction.EXAM: "red",
    ReviewAction.HOLD: "red",
    ReviewAction.DETAIN: "red",
    ReviewAction.REFER: "red",
}
LANE_ORDER: Mapping[str, int] = {"green": 0, "yellow": 1, "red": 2}
ADVERSE_ACTIONS = frozenset(a for a in ReviewAction if a is not ReviewAction.RELEASE)


class DecisionRefused(ValueError):
    """The action cannot be recorded as asked (no human, no rationale, unknown line)."""


class ScoredLine(Protocol):
    """The assessment shape review needs (``tradeguard.targeting.Assessment`` has it)."""

    @property
    def entry_number(self) -> str: ...
    @property
    def line_number(self) -> int: ...
    @property
    def port_of_entry(self) -> str | None: ...
    @property
    def entry_date(self) -> date | None: ...
    @property
    def risk_score(self) -> float: ...
    @property
    def lane(self) -> str: ...
    @property
    def selection(self) -> str: ...
    @property
    def categories(self) -> tuple[str, ...]: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...
    @property
    def reason_texts(self) -> tuple[str, ...]: ...
    @property
    def forced_by(self) -> tuple[str, ...]: ...
    @property
    def model_version(self) -> str: ...
    @property
    def input_digest(self) -> str: ...

    def versions(self) -> dict[str, str]: ...
    def to_record(self) -> dict[str, Any]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Workflow:
    """What every workflow function works against: records, the log, the sealing key, time.

    ``access_log``, when given, records every permission check, granted or refused.
    """

    store: WorkflowStore
    log: TransparencyLog
    cipher: FieldCipher
    clock: Callable[[], datetime] = field(default=_utcnow)
    access_log: AccessLog | None = None

    def check(self, principal: Principal, permission: Permission, resource: Resource) -> None:
        """Require ``permission`` on ``resource`` (tenancy included), logged when configured."""
        if not isinstance(principal, Principal):
            raise DecisionRefused(f"{permission.value}: a human principal is required")
        if self.access_log is not None:
            checked(self.access_log, principal, permission, resource, self.clock())
        else:
            require(principal, permission, resource)

    def keep_sealed(self, kind: str, payload: Mapping[str, Any]) -> str:
        """Commit to a sensitive payload; its opening is kept encrypted off-log."""
        return self.keep_sealed_many(kind, [payload])[0]

    def keep_sealed_many(self, kind: str, payloads: Sequence[Mapping[str, Any]]) -> list[str]:
        """:meth:`keep_sealed` for a batch, stored in one transaction."""
        rows: list[tuple[str, str, str]] = []
        for payload in payloads:
            commitment, opening = seal(payload)
            doc = json.dumps({"salt": opening.salt.hex(), "payload": opening.payload}, default=str)
            rows.append((commitment, kind, self.cipher.encrypt(doc)))
        self.store.put_sealed_many(rows)
        return [r[0] for r in rows]

    def receipt(self, seq: int) -> Receipt:
        """A fresh receipt for log record ``seq`` under the latest signed head."""
        head = self.log.checkpoint()
        stored = self.log.store.record(seq)
        if head is None or stored is None or seq >= head.size:
            raise KeyError(f"log record {seq} is not covered by a signed head")
        proof = tuple(self.log.inclusion_proof(seq, head.size))
        return Receipt(seq, stored.leaf_hash, head.size, head.note, proof)


def reveal(wf: Workflow, principal: Principal, commitment: str) -> Opening:
    """Open a sealed payload for a court, IG or ombudsperson (commitment:reveal)."""
    wf.check(principal, Permission.COMMITMENT_REVEAL, Resource("commitment", commitment))
    found = wf.store.sealed(commitment)
    if found is None:
        raise KeyError(f"no sealed payload for commitment {commitment}")
    doc = json.loads(wf.cipher.decrypt(found[1]))
    opening = Opening(bytes.fromhex(doc["salt"]), doc["payload"])
    if not opens(commitment, opening):
        raise ValueError(f"stored opening does not match commitment {commitment}")
    return opening


def item_id(entry_number: str, line_number: int) -> str:
    """The queue key of a line."""
    return f"{entry_number}|{line_number}"


def enqueue(
    wf: Workflow,
    principal: Principal,
    lines: Sequence[ScoredLine],
    importer_of: Mapping[str, str],
) -> list[ReviewItem]:
    """Queue scored lines for review, logging each score with its explanation sealed.

    ``importer_of`` maps entry number to importer of record; a line whose entry has no
    importer cannot be tenant-scoped and the whole batch is refused naming it.
    """
    wf.check(principal, Permission.DECISION_RECORD, Resource("review_queue"))
    missing = sorted({a.entry_number for a in lines if not importer_of.get(a.entry_number)})
    if missing:
        raise DecisionRefused(f"no importer_id for entries: {', '.join(missing)}")
    sealed = wf.keep_sealed_many("explanation", [a.to_record() for a in lines])
    events = [
        DecisionScored(
            entry_number=a.entry_number, line_number=a.line_number,
            model_hash=a.model_version, feature_vector_hash=a.input_digest,
            score=a.risk_score, threshold=a.risk_score, lane=a.lane,
            reason_codes=tuple(a.reasons), versions=a.versions(), explanation_commitment=c,
        )
        for a, c in zip(lines, sealed, strict=True)
    ]
    receipts = wf.log.append_many(events)
    items = [
        ReviewItem(
            item_id(a.entry_number, a.line_number), a.entry_number, a.line_number,
            importer_of[a.entry_number], a.port_of_entry, a.entry_date, a.risk_score, a.lane,
            a.selection, tuple(a.categories), tuple(a.reasons), tuple(a.reason_texts),
            tuple(a.forced_by), a.model_version, a.versions(), a.input_digest, r.leaf_index, c,
        )
        for a, r, c in zip(lines, receipts, sealed, strict=True)
    ]
    wf.store.add_review_items(items)
    return items


def enqueue_frame(
    wf: Workflow, principal: Principal, assessments: pl.DataFrame, entries: pl.DataFrame
) -> list[ReviewItem]:
    """Queue an assessment frame; ``entries`` supplies each entry's importer_id."""
    import polars as pl

    from tradeguard.targeting import Assessment

    owners = entries.select(
        pl.col("entry_number").cast(pl.String), pl.col("importer_id").cast(pl.String)
    ).unique("entry_number")
    importer_of = dict(owners.iter_rows())
    lines = [Assessment.from_row(r) for r in assessments.iter_rows(named=True)]
    return enqueue(wf, principal, lines, importer_of)


def review_queue(
    wf: Workflow,
    principal: Principal,
    *,
    port: str | None = None,
    lane: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = "open",
) -> list[ReviewItem]:
    """The officer's queue: highest risk first, filterable by port, lane and entry date."""
    wf.check(principal, Permission.DECISION_RECORD, Resource("review_queue"))
    return wf.store.review_items(tenant_of(principal), port, lane, date_from, date_to, status)


def record_action(
    wf: Workflow,
    principal: Principal,
    item: str,
    action: ReviewAction | str,
    rationale: str,
    *,
    ai_assisted: bool = True,
) -> ActionRecord:
    """Record an officer's action on a queued line and append it to the log.

    Raises :class:`DecisionRefused` without a human principal, for an adverse action or an
    override with an empty rationale, or for an unknown line; ``AccessDenied`` (or its
    ``TrainingRequired``) when the principal may not act.
    """
    if not isinstance(principal, Principal) or not principal.subject_id.strip():
        raise DecisionRefused("an action must be taken by a human principal, never the system")
    try:
        act = ReviewAction(action)
    except ValueError as exc:
        valid = ", ".join(a.value for a in ReviewAction)
        raise DecisionRefused(f"action {action!r} is not one of: {valid}") from exc
    queued = wf.store.review_item(item)
    if queued is None:
        raise DecisionRefused(f"no queued line {item!r}")
    resource = Resource("entry", queued.entry_number, queued.importer_id)
    wf.check(principal, Permission.DECISION_RECORD, resource)
    now = wf.clock()
    require_training(wf.store, principal, Permission.DECISION_RECORD, now.date())
    officer_lane = ACTION_LANE[act]
    override = officer_lane != queued.lane
    if (act in ADVERSE_ACTIONS or override) and not rationale.strip():
        kind = "an adverse action" if act in ADVERSE_ACTIONS else "an override of the AI lane"
        raise DecisionRefused(f"{item}: {kind} ({act.value}) needs a written rationale")
    if queued.forced_by and LANE_ORDER[officer_lane] < LANE_ORDER.get(queued.lane, 0):
        wf.check(principal, Permission.DECISION_OVERRIDE, resource)
    commitment = wf.keep_sealed(
        "rationale", {"item_id": item, "action": act.value, "rationale": rationale}
    )
    receipt = wf.log.append(
        HumanAction(queued.entry_number, queued.line_number, principal.subject_id, act.value,
                    commitment, ai_assisted),
        now,
    )
    record = ActionRecord(
        uuid.uuid4().hex, item, queued.entry_number, queued.line_number, queued.importer_id,
        principal.subject_id, act.value, queued.lane, officer_lane, override, ai_assisted,
        commitment, now, receipt.leaf_index,
    )
    wf.store.add_action(record)
    wf.store.update_review_item(replace(queued, status="decided"))
    return record


def involved_officers(wf: Workflow, entry_number: str) -> frozenset[str]:
    """Everyone who acted on an entry: none of them may re-review its appeal."""
    return frozenset(a.officer_id for a in wf.store.actions(entry_number))


__all__ = [
    "ACTION_LANE",
    "ADVERSE_ACTIONS",
    "DecisionRefused",
    "ReviewAction",
    "ScoredLine",
    "Workflow",
    "enqueue",
    "enqueue_frame",
    "involved_officers",
    "item_id",
    "record_action",
    "reveal",
    "review_queue",
]
