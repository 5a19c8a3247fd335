"""Counts for the oversight report, read from the system's tables with SQL aggregates.

Two independent sources are counted: the tamper-evident decision log (events by type) and the
workflow tables (human actions, notices, appeals and their outcomes). The report shows both,
so a notice or appeal missing from the log, or a log event with no workflow record, shows up
as a difference instead of going unnoticed. Counting is ``GROUP BY`` in the database: the log
can hold millions of records and none of them is loaded into Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from tradeguard.decisions.events import EventType, LogEvent, decode_record
from tradeguard.decisions.log_store import DEFAULT_PREFIX as LOG_PREFIX
from tradeguard.decisions.log_store import define_log_tables, stored_bytes
from tradeguard.decisions.workflow_store import DEFAULT_PREFIX as WORKFLOW_PREFIX
from tradeguard.decisions.workflow_store import define_workflow_tables


@dataclass
class SystemCounts:
    """What the records say; ``sources`` names the tables that were present and counted."""

    events: dict[str, int] = field(default_factory=dict)
    appeal_outcomes: dict[str, int] = field(default_factory=dict)
    ai_assisted_actions: int = 0
    workflow: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


def _grouped(conn: sa.Connection, column: sa.ColumnElement[str]) -> dict[str, int]:
    rows = conn.execute(sa.select(column, sa.func.count()).group_by(column)).all()
    return {str(k): int(n) for k, n in rows if k is not None}


def _count(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
               .scalar_one())


def stored_counts(engine: sa.Engine, log_prefix: str = LOG_PREFIX,
                  workflow_prefix: str = WORKFLOW_PREFIX) -> SystemCounts:
    """Event counts by type, appeal outcomes and workflow counts; absent tables count as
    nothing and are left out of ``sources``."""
    md = sa.MetaData()
    log = define_log_tables(md, log_prefix)
    wf = define_workflow_tables(md, workflow_prefix)
    present = set(sa.inspect(engine).get_table_names())
    out = SystemCounts()
    with engine.connect() as conn:
        if log.records.name in present:
            out.sources.append(log.records.name)
            out.events = _grouped(conn, log.records.c.event_type)
        if wf.actions.name in present:
            out.sources.append(wf.actions.name)
            a = wf.actions
            out.workflow["actions"] = _count(conn, a)
            out.workflow["overrides"] = _count(conn, a, a.c.override.is_(True))
            out.ai_assisted_actions = _count(conn, a, a.c.ai_assisted.is_(True))
        if wf.notices.name in present:
            out.sources.append(wf.notices.name)
            out.workflow["notices"] = _count(conn, wf.notices)
        if wf.appeals.name in present:
            out.sources.append(wf.appeals.name)
            ap = wf.appeals
            out.workflow["appeals"] = _count(conn, ap)
            out.workflow["appeals_decided"] = _count(conn, ap, ap.c.outcome.is_not(None))
            out.workflow["appeals_overdue_open"] = _count(
                conn, ap, ap.c.outcome.is_(None), ap.c.due_at < datetime.now(UTC))
            out.appeal_outcomes = _grouped(conn, ap.c.outcome)
    return out


def publication_records(engine: sa.Engine, log_prefix: str = LOG_PREFIX) -> dict[int, LogEvent]:
    """Every risk-profile publication record on the log, ``seq -> event`` (selected by type in
    the database; the rest of the log is not read). An undecodable record is a ValueError
    naming its sequence number: the log's own verification says more."""
    log = define_log_tables(sa.MetaData(), log_prefix)
    if log.records.name not in set(sa.inspect(engine).get_table_names()):
        return {}
    kinds = [EventType.PROFILES_PROPOSED.value, EventType.PROFILES_APPROVED.value,
             EventType.PROFILES_REJECTED.value]
    r = log.records
    out: dict[int, LogEvent] = {}
    with engine.connect() as conn:
        for row in conn.execute(
                sa.select(r.c.seq, r.c.canonical).where(r.c.event_type.in_(kinds))
                .order_by(r.c.seq)):
            try:
                out[int(row.seq)] = decode_record(stored_bytes(row.canonical)).event
            except ValueError as exc:
                raise ValueError(f"decision log record #{row.seq}: {exc}") from exc
    return out
