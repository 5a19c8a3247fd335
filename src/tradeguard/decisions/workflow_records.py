"""The decisions workflow's records (review items, actions, notices, appeals, training) and
the store interface that keeps them.

The records are plain frozen values; state changes (an item decided, an appeal assigned) are
stored as a new version of the value, so the library never mutates what it handed out. A store
applies no permission checks: every caller goes through :mod:`.review`, :mod:`.notices` or
:mod:`.appeals`, which check the acting principal and pass the tenant (importer id) the
principal is confined to. Queries take that ``tenant`` so an importer's reads are filtered in
the store, not after the fact. Stores: :mod:`.workflow_memory` (tests, pilots) and
:mod:`.workflow_store` (SQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TrainingRecord:
    """One completed course, valid from ``completed_on`` until ``expires_on`` (inclusive)."""

    subject_id: str
    course: str
    completed_on: date
    expires_on: date
    recorded_by: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One scored line waiting for (or past) an officer's decision."""

    item_id: str
    entry_number: str
    line_number: int
    importer_id: str
    port_of_entry: str | None
    entry_date: date | None
    risk_score: float
    lane: str
    selection: str
    categories: tuple[str, ...]
    reasons: tuple[str, ...]
    reason_texts: tuple[str, ...]
    forced_by: tuple[str, ...]
    model_version: str
    versions: Mapping[str, str]
    input_digest: str
    scored_seq: int
    explanation_commitment: str
    status: str = "open"  # open | decided


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """What an officer did on a line, whether it overrode the AI lane, and its log record."""

    action_id: str
    item_id: str
    entry_number: str
    line_number: int
    importer_id: str
    officer_id: str
    action: str
    ai_lane: str
    officer_lane: str
    override: bool
    ai_assisted: bool
    rationale_commitment: str
    decided_at: datetime
    log_seq: int


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    """An issued notice: the exact JSON content the importer received and its hash."""

    notice_id: str
    case_id: str
    entry_number: str
    line_number: int
    importer_id: str
    action_id: str
    content: Mapping[str, Any]
    content_hash: str
    channel: str
    issued_at: datetime
    log_seq: int


@dataclass(frozen=True, slots=True)
class AppealDocument:
    """A document filed with an appeal, fixed by its SHA-256 (the bytes stay with the filer)."""

    name: str
    doc_type: str
    sha256: str


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """An appeal and where it stands; ``rescored`` links the re-scored assessment to it."""

    appeal_id: str
    notice_id: str
    case_id: str
    entry_number: str
    line_number: int
    importer_id: str
    filed_by: str
    filed_at: datetime
    acknowledged_at: datetime
    due_at: datetime
    grounds_commitment: str
    model_version: str
    filed_seq: int
    corrections: Mapping[str, Any] = field(default_factory=dict)
    documents: tuple[AppealDocument, ...] = ()
    status: str = "acknowledged"  # acknowledged | assigned | decided
    reviewer_id: str | None = None
    assigned_at: datetime | None = None
    outcome: str | None = None  # upheld | overturned | modified
    reasons_commitment: str | None = None
    decided_at: datetime | None = None
    resolved_seq: int | None = None
    rescored: Mapping[str, Any] | None = None
    outcome_row: Mapping[str, Any] | None = None


class WorkflowStore(Protocol):
    """Repository of the decisions workflow (no permission checks here: see module doc)."""

    def add_review_items(self, items: Sequence[ReviewItem]) -> None:
        """Insert queue items (a duplicate item id fails the whole batch)."""

    def update_review_item(self, item: ReviewItem) -> None:
        """Replace a queue item by id."""

    def review_item(self, item_id: str) -> ReviewItem | None:
        """One queue item."""

    def review_items(
        self,
        tenant: str | None = None,
        port: str | None = None,
        lane: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        status: str | None = None,
    ) -> list[ReviewItem]:
        """Queue items, highest risk first, filtered."""

    def add_action(self, action: ActionRecord) -> None:
        """Insert a human action."""

    def actions(self, entry_number: str) -> list[ActionRecord]:
        """Every action on an entry, oldest first."""

    def add_notice(self, notice: NoticeRecord) -> None:
        """Insert an issued notice."""

    def notice(self, notice_id: str) -> NoticeRecord | None:
        """One notice."""

    def notices(self, tenant: str | None = None) -> list[NoticeRecord]:
        """Notices, newest first, for one importer or all."""

    def save_appeal(self, appeal: AppealRecord) -> None:
        """Insert or replace an appeal (and its documents)."""

    def appeal(self, appeal_id: str) -> AppealRecord | None:
        """One appeal with its documents."""

    def appeals(self, tenant: str | None = None) -> list[AppealRecord]:
        """Appeals, oldest first, for one importer or all."""

    def add_training(self, record: TrainingRecord) -> None:
        """Insert a training record."""

    def training(self, subject_id: str) -> list[TrainingRecord]:
        """Training records of one user."""

    def put_sealed(self, commitment: str, kind: str, token: str) -> None:
        """Keep an encrypted opening under its commitment."""

    def put_sealed_many(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Keep many (commitment, kind, encrypted opening) rows in one transaction."""

    def sealed(self, commitment: str) -> tuple[str, str] | None:
        """(kind, encrypted opening) for a commitment."""
