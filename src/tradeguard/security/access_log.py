"""Who read what: an access record for every permission check on confidential data.

Reads are far more frequent than decisions, so they go to their own table rather than the
Merkle decision log. Granted and refused attempts are both recorded — the refusals are what an
auditor looks for. :func:`checked` is the one call interfaces make: it runs
:func:`~tradeguard.security.roles.require` and records the outcome either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from tradeguard.security.roles import AccessDenied, Permission, Principal, Resource, require


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One access attempt."""

    at: datetime
    subject_id: str
    roles: str  # comma-separated, as held at the time
    permission: str
    resource_kind: str
    resource_id: str
    importer_id: str | None
    granted: bool
    reason: str


class AccessLog(Protocol):
    """Somewhere access events are kept."""

    def record(self, event: AccessEvent) -> None:
        """Keep one event."""

    def events(self, subject_id: str | None = None) -> Sequence[AccessEvent]:
        """Events, oldest first, optionally for one principal."""


class MemoryAccessLog:
    """In-memory access log (tests, single-process pilots)."""

    def __init__(self) -> None:
        self._events: list[AccessEvent] = []

    def record(self, event: AccessEvent) -> None:
        """Keep one event."""
        self._events.append(event)

    def events(self, subject_id: str | None = None) -> Sequence[AccessEvent]:
        """Events, oldest first, optionally for one principal."""
        return [e for e in self._events if subject_id is None or e.subject_id == subject_id]


def define_access_table(metadata: sa.MetaData, name: str = "access_log") -> sa.Table:
    """The SQL table of access events."""
    if name in metadata.tables:
        return metadata.tables[name]
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("subject_id", sa.String(200), nullable=False, index=True),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("permission", sa.String(60), nullable=False),
        sa.Column("resource_kind", sa.String(60), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=False),
        sa.Column("importer_id", sa.String(100), nullable=True, index=True),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


class SqlAccessLog:
    """Access events in a SQL table."""

    def __init__(
        self,
        engine: sa.Engine,
        metadata: sa.MetaData | None = None,
        name: str = "access_log",
        create: bool = True,
    ) -> None:
        self.engine = engine
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.table = define_access_table(self.metadata, name)
        # Built once: a new ``insert().values(...)`` per event costs more than the write.
        self._insert = sa.insert(self.table)
        if create:
            self.metadata.create_all(engine, tables=[self.table])

    def record(self, event: AccessEvent) -> None:
        """Keep one event."""
        with self.engine.begin() as conn:
            conn.execute(self._insert, _row(event))

    def events(self, subject_id: str | None = None) -> Sequence[AccessEvent]:
        """Events, oldest first, optionally for one principal."""
        t = self.table
        stmt = sa.select(t).order_by(t.c.id)
        if subject_id is not None:
            stmt = stmt.where(t.c.subject_id == subject_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            AccessEvent(
                r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
                r.subject_id,
                r.roles,
                r.permission,
                r.resource_kind,
                r.resource_id,
                r.importer_id,
                r.granted,
                r.reason,
            )
            for r in rows
        ]


def _row(event: AccessEvent) -> dict[str, object]:
    return {
        "at": event.at,
        "subject_id": event.subject_id,
        "roles": event.roles,
        "permission": event.permission,
        "resource_kind": event.resource_kind,
        "resource_id": event.resource_id,
        "importer_id": event.importer_id,
        "granted": event.granted,
        "reason": event.reason,
    }


def checked(
    log: AccessLog,
    principal: Principal,
    permission: Permission,
    resource: Resource,
    now: datetime | None = None,
) -> None:
    """:func:`require`, with the attempt recorded whether granted or refused."""
    reason, granted = "granted", True
    try:
        require(principal, permission, resource)
    except AccessDenied as exc:
        reason, granted = exc.reason, False
        raise
    finally:
        log.record(
            AccessEvent(
                now or datetime.now(UTC),
                principal.subject_id,
                ",".join(sorted(principal.roles)),
                permission.value,
                resource.kind,
                resource.resource_id,
                resource.importer_id,
                granted,
                reason,
            )
        )
