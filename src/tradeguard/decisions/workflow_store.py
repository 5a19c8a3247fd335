"""The workflow records in SQL tables (SQLite or PostgreSQL) through SQLAlchemy Core.

Sensitive payloads (officer rationale, appeal grounds and reasons, full explanations) are kept
only as encrypted openings keyed by their log commitment (``<prefix>_sealed``).

Layout (prefix configurable so tests can run side by side; lists and maps as JSON text):

- ``<prefix>_review_items``: the queue, one row per scored line, PK ``item_id``;
- ``<prefix>_actions``: human actions, PK ``action_id``;
- ``<prefix>_notices``: issued notices with their full JSON content and hash, PK ``notice_id``;
- ``<prefix>_appeals``: appeals with their state, PK ``appeal_id``;
- ``<prefix>_appeal_documents``: PK (``appeal_id``, ``position``);
- ``<prefix>_training``: operator training records;
- ``<prefix>_sealed``: encrypted commitment openings, PK ``commitment``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from tradeguard.decisions.workflow_records import (
    ActionRecord,
    AppealDocument,
    AppealRecord,
    NoticeRecord,
    ReviewItem,
    TrainingRecord,
)

DEFAULT_PREFIX = "decision"

_Json = sa.Text
_When = sa.DateTime(timezone=True)


@dataclass(frozen=True, slots=True)
class WorkflowTables:
    """The SQLAlchemy Core tables of the decisions workflow."""

    review_items: sa.Table
    actions: sa.Table
    notices: sa.Table
    appeals: sa.Table
    appeal_documents: sa.Table
    training: sa.Table
    sealed: sa.Table

    def all(self) -> list[sa.Table]:
        """Every table, in creation order."""
        return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _col(name: str, type_: Any, nullable: bool = False, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable, **kw)


def define_workflow_tables(metadata: sa.MetaData, prefix: str = DEFAULT_PREFIX) -> WorkflowTables:
    """Declare (or fetch, if already declared) the workflow tables on ``metadata``."""
    names = [f"{prefix}_{f.name}" for f in dataclasses.fields(WorkflowTables)]
    if names[0] in metadata.tables:
        return WorkflowTables(*(metadata.tables[n] for n in names))
    s = sa.String
    items = sa.Table(
        names[0], metadata,
        _col("item_id", s(120), primary_key=True),
        _col("entry_number", s(40), index=True), _col("line_number", sa.Integer),
        _col("importer_id", s(100), index=True), _col("port_of_entry", s(10), True),
        _col("entry_date", sa.Date, True, index=True), _col("risk_score", sa.Double),
        _col("lane", s(10)), _col("selection", s(40)), _col("categories", _Json),
        _col("reasons", _Json), _col("reason_texts", _Json), _col("forced_by", _Json),
        _col("model_version", s(200)), _col("versions", _Json), _col("input_digest", s(64)),
        _col("scored_seq", sa.BigInteger), _col("explanation_commitment", s(64)),
        _col("status", s(20), index=True),
    )
    actions = sa.Table(
        names[1], metadata,
        _col("action_id", s(40), primary_key=True), _col("item_id", s(120), index=True),
        _col("entry_number", s(40), index=True), _col("line_number", sa.Integer),
        _col("importer_id", s(100), index=True), _col("officer_id", s(200)),
        _col("action", s(40)), _col("ai_lane", s(10)), _col("officer_lane", s(10)),
        _col("override", sa.Boolean), _col("ai_assisted", sa.Boolean),
        _col("rationale_commitment", s(64)), _col("decided_at", _When),
        _col("log_seq", sa.BigInteger),
    )
    notices = sa.Table(
        names[2], metadata,
        _col("notice_id", s(40), primary_key=True), _col("case_id", s(40), index=True),
        _col("entry_number", s(40), index=True), _col("line_number", sa.Integer),
        _col("importer_id", s(100), index=True), _col("action_id", s(40)),
        _col("content", _Json), _col("content_hash", s(64)), _col("channel", s(40)),
        _col("issued_at", _When), _col("log_seq", sa.BigInteger),
    )
    appeals = sa.Table(
        names[3], metadata,
        _col("appeal_id", s(40), primary_key=True), _col("notice_id", s(40), index=True),
        _col("case_id", s(40)), _col("entry_number", s(40), index=True),
        _col("line_number", sa.Integer), _col("importer_id", s(100), index=True),
        _col("filed_by", s(200)), _col("filed_at", _When), _col("acknowledged_at", _When),
        _col("due_at", _When), _col("grounds_commitment", s(64)), _col("model_version", s(200)),
        _col("filed_seq", sa.BigInteger), _col("corrections", _Json),
        _col("status", s(20), index=True), _col("reviewer_id", s(200), True),
        _col("assigned_at", _When, True), _col("outcome", s(20), True),
        _col("reasons_commitment", s(64), True), _col("decided_at", _When, True),
        _col("resolved_seq", sa.BigInteger, True), _col("rescored", _Json, True),
        _col("outcome_row", _Json, True),
    )
    documents = sa.Table(
        names[4], metadata,
        _col("appeal_id", s(40), primary_key=True), _col("position", sa.Integer, primary_key=True),
        _col("name", s(300)), _col("doc_type", s(80)), _col("sha256", s(64)),
    )
    training = sa.Table(
        names[5], metadata,
        _col("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        _col("subject_id", s(200), index=True), _col("course", s(120)),
        _col("completed_on", sa.Date), _col("expires_on", sa.Date), _col("recorded_by", s(200)),
    )
    sealed = sa.Table(
        names[6], metadata,
        _col("commitment", s(64), primary_key=True), _col("kind", s(40)), _col("token", sa.Text),
    )
    return WorkflowTables(items, actions, notices, appeals, documents, training, sealed)


_R = TypeVar("_R")
_JSON_FIELDS = frozenset(
    {"categories", "reasons", "reason_texts", "forced_by", "versions", "content", "corrections",
     "rescored", "outcome_row"}
)


def _to_row(record: Any, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Record fields as column values: lists and maps to JSON text."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name in skip:
            continue
        value = getattr(record, f.name)
        if f.name in _JSON_FIELDS and value is not None:
            value = json.dumps(value, sort_keys=True, default=str)
        out[f.name] = value
    return out


def _from_row(cls: type[_R], row: Mapping[str, Any], **extra: Any) -> _R:
    """Column values back to a record: JSON decoded, lists as tuples, naive times as UTC."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in extra:
            kwargs[f.name] = extra[f.name]
            continue
        value = row[f.name]
        if f.name in _JSON_FIELDS and value is not None:
            value = json.loads(value)
            if isinstance(value, list):
                value = tuple(value)
        elif isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        kwargs[f.name] = value
    return cls(**kwargs)


class SqlWorkflowStore:
    """The workflow records in SQL (SQLite or PostgreSQL) through SQLAlchemy Core."""

    def __init__(
        self,
        engine: sa.Engine,
        metadata: sa.MetaData | None = None,
        prefix: str = DEFAULT_PREFIX,
        create: bool = True,
    ) -> None:
        self.engine = engine
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.tables = define_workflow_tables(self.metadata, prefix)
        if create:
            self.metadata.create_all(engine, tables=self.tables.all())

    def drop_tables(self) -> None:
        """Drop the workflow tables (tests only)."""
        self.metadata.drop_all(self.engine, tables=self.tables.all())

    def _rows(self, stmt: sa.Select[Any]) -> list[Mapping[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def _insert(self, table: sa.Table, record: Any) -> None:
        """Insert one record (a dataclass of this module) in its own transaction."""
        with self.engine.begin() as conn:
            conn.execute(sa.insert(table).values(_to_row(record)))

    def add_review_items(self, items: Sequence[ReviewItem]) -> None:
        """Insert queue items in one transaction (a duplicate item id fails the batch)."""
        if items:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(self.tables.review_items), [_to_row(i) for i in items])

    def update_review_item(self, item: ReviewItem) -> None:
        """Replace a queue item by id."""
        t = self.tables.review_items
        with self.engine.begin() as conn:
            conn.execute(sa.update(t).where(t.c.item_id == item.item_id).values(_to_row(item)))

    def review_item(self, item_id: str) -> ReviewItem | None:
        """One queue item."""
        t = self.tables.review_items
        rows = self._rows(sa.select(t).where(t.c.item_id == item_id))
        return _from_row(ReviewItem, rows[0]) if rows else None

    def review_items(
        self,
        tenant: str | None = None,
        port: str | None = None,
        lane: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        status: str | None = None,
    ) -> list[ReviewItem]:
        """Queue items, highest risk first, filtered in SQL."""
        t = self.tables.review_items
        stmt = sa.select(t).order_by(t.c.risk_score.desc(), t.c.entry_number, t.c.line_number)
        for column, value in ((t.c.importer_id, tenant), (t.c.port_of_entry, port),
                              (t.c.lane, lane), (t.c.status, status)):
            if value is not None:
                stmt = stmt.where(column == value)
        if date_from is not None:
            stmt = stmt.where(t.c.entry_date >= date_from)
        if date_to is not None:
            stmt = stmt.where(t.c.entry_date <= date_to)
        return [_from_row(ReviewItem, r) for r in self._rows(stmt)]

    def add_action(self, action: ActionRecord) -> None:
        """Insert a human action."""
        self._insert(self.tables.actions, action)

    def actions(self, entry_number: str) -> list[ActionRecord]:
        """Every action on an entry, oldest first."""
        t = self.tables.actions
        stmt = sa.select(t).where(t.c.entry_number == entry_number).order_by(t.c.log_seq)
        return [_from_row(ActionRecord, r) for r in self._rows(stmt)]

    def add_notice(self, notice: NoticeRecord) -> None:
        """Insert an issued notice."""
        self._insert(self.tables.notices, notice)

    def notice(self, notice_id: str) -> NoticeRecord | None:
        """One notice."""
        t = self.tables.notices
        rows = self._rows(sa.select(t).where(t.c.notice_id == notice_id))
        return _from_row(NoticeRecord, rows[0]) if rows else None

    def notices(self, tenant: str | None = None) -> list[NoticeRecord]:
        """Notices, newest first, for one importer or all."""
        t = self.tables.notices
        stmt = sa.select(t).order_by(t.c.issued_at.desc())
        if tenant is not None:
            stmt = stmt.where(t.c.importer_id == tenant)
        return [_from_row(NoticeRecord, r) for r in self._rows(stmt)]

    def save_appeal(self, appeal: AppealRecord) -> None:
        """Insert or replace an appeal and its documents in one transaction."""
        t, d = self.tables.appeals, self.tables.appeal_documents
        docs = [
            {"appeal_id": appeal.appeal_id, "position": i, **dataclasses.asdict(doc)}
            for i, doc in enumerate(appeal.documents)
        ]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(d).where(d.c.appeal_id == appeal.appeal_id))
            conn.execute(sa.delete(t).where(t.c.appeal_id == appeal.appeal_id))
            conn.execute(sa.insert(t).values(_to_row(appeal, frozenset({"documents"}))))
            if docs:
                conn.execute(sa.insert(d), docs)

    def _with_documents(self, rows: list[Mapping[str, Any]]) -> list[AppealRecord]:
        if not rows:
            return []
        d = self.tables.appeal_documents
        ids = [r["appeal_id"] for r in rows]
        stmt = sa.select(d).where(d.c.appeal_id.in_(ids)).order_by(d.c.appeal_id, d.c.position)
        docs: dict[str, list[AppealDocument]] = {}
        for r in self._rows(stmt):
            docs.setdefault(r["appeal_id"], []).append(
                AppealDocument(r["name"], r["doc_type"], r["sha256"])
            )
        return [
            _from_row(AppealRecord, r, documents=tuple(docs.get(r["appeal_id"], ())))
            for r in rows
        ]

    def appeal(self, appeal_id: str) -> AppealRecord | None:
        """One appeal with its documents."""
        t = self.tables.appeals
        found = self._with_documents(self._rows(sa.select(t).where(t.c.appeal_id == appeal_id)))
        return found[0] if found else None

    def appeals(self, tenant: str | None = None) -> list[AppealRecord]:
        """Appeals, oldest first, for one importer or all."""
        t = self.tables.appeals
        stmt = sa.select(t).order_by(t.c.filed_at)
        if tenant is not None:
            stmt = stmt.where(t.c.importer_id == tenant)
        return self._with_documents(self._rows(stmt))

    def add_training(self, record: TrainingRecord) -> None:
        """Insert a training record."""
        self._insert(self.tables.training, record)

    def training(self, subject_id: str) -> list[TrainingRecord]:
        """Training records of one user."""
        t = self.tables.training
        stmt = sa.select(t).where(t.c.subject_id == subject_id).order_by(t.c.id)
        return [_from_row(TrainingRecord, r) for r in self._rows(stmt)]

    def put_sealed(self, commitment: str, kind: str, token: str) -> None:
        """Keep an encrypted opening under its commitment."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(self.tables.sealed).values(commitment=commitment, kind=kind, token=token)
            )

    def put_sealed_many(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Keep many (commitment, kind, encrypted opening) rows in one transaction."""
        if rows:
            values = [{"commitment": c, "kind": k, "token": t} for c, k, t in rows]
            with self.engine.begin() as conn:
                conn.execute(sa.insert(self.tables.sealed), values)

    def sealed(self, commitment: str) -> tuple[str, str] | None:
        """(kind, encrypted opening) for a commitment."""
        t = self.tables.sealed
        rows = self._rows(sa.select(t).where(t.c.commitment == commitment))
        return (rows[0]["kind"], rows[0]["token"]) if rows else None
