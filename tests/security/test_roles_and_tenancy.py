"""Permissions by role, and importer isolation through the Polars and SQL filters."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from tradeguard.security import (
    ROLE_PERMISSIONS,
    AccessDenied,
    MemoryAccessLog,
    Permission,
    Principal,
    Resource,
    Role,
    SqlAccessLog,
    allowed,
    checked,
    require,
    restrict_frame,
    restrict_select,
)

P = Permission


def _who(role: Role, importer_id: str | None = None) -> Principal:
    return Principal(f"user-{role}", frozenset({role}), importer_id)


# What each role must be able to do and must NOT be able to do (separation of duties).
EXPECTED: dict[Role, tuple[set[Permission], set[Permission]]] = {
    Role.OFFICER: (
        {P.DECISION_RECORD, P.NOTICE_SEND, P.CONFIDENTIAL_READ},
        {P.APPEAL_REVIEW, P.MODEL_APPROVE, P.USER_ADMIN, P.WAIVER_GRANT},
    ),
    Role.SUPERVISOR: (
        {P.APPEAL_REVIEW, P.DECISION_OVERRIDE, P.MODEL_APPROVE},
        {P.USER_ADMIN, P.MODEL_REGISTER, P.COMMITMENT_REVEAL},
    ),
    Role.ANALYST: (
        {P.PROFILE_EDIT, P.VENDOR_EXPORT},
        {P.DECISION_RECORD, P.CONFIDENTIAL_READ, P.APPEAL_REVIEW},
    ),
    Role.AUDITOR: (
        {P.AUDIT_RUN, P.LOG_VERIFY, P.COMMITMENT_REVEAL, P.ACCESS_LOG_READ},
        {P.DECISION_RECORD, P.PROFILE_EDIT, P.MODEL_APPROVE, P.USER_ADMIN},
    ),
    Role.MODEL_OWNER: (
        {P.MODEL_REGISTER, P.MONITORING_READ},
        {P.MODEL_APPROVE, P.DECISION_RECORD, P.CONFIDENTIAL_READ},
    ),
    Role.IMPORTER: (
        {P.APPEAL_FILE, P.NOTICE_READ},
        {P.DECISION_RECORD, P.CONFIDENTIAL_READ, P.AUDIT_RUN, P.VENDOR_EXPORT},
    ),
    Role.ADMIN: (
        {P.USER_ADMIN, P.WAIVER_GRANT},
        {P.DECISION_RECORD, P.ENTRY_READ, P.CONFIDENTIAL_READ, P.MODEL_APPROVE},
    ),
}


@pytest.mark.parametrize("role", list(Role))
def test_require_enforces_each_roles_grants(role: Role) -> None:
    may, may_not = EXPECTED[role]
    who = _who(role, "IMP-1")
    own = Resource("entry", "E1", "IMP-1")
    for permission in may:
        require(who, permission, own)
    for permission in may_not:
        with pytest.raises(AccessDenied) as info:
            require(who, permission, own)
        assert info.value.permission is permission
        assert "no role grants it" in str(info.value)
    # the table and the check agree on every permission
    for permission in Permission:
        assert allowed(who, permission, own) == (permission in ROLE_PERMISSIONS[role])


def test_model_owner_cannot_approve_their_own_model() -> None:
    owner = _who(Role.MODEL_OWNER)
    require(owner, P.MODEL_REGISTER)
    with pytest.raises(AccessDenied):
        require(owner, P.MODEL_APPROVE)


def test_importer_is_confined_to_its_own_resources() -> None:
    acme = _who(Role.IMPORTER, "IMP-ACME")
    require(acme, P.NOTICE_READ, Resource("notice", "N1", "IMP-ACME"))
    with pytest.raises(AccessDenied, match="another importer"):
        require(acme, P.NOTICE_READ, Resource("notice", "N2", "IMP-OTHER"))
    with pytest.raises(AccessDenied, match="another importer"):
        require(acme, P.NOTICE_READ, Resource("notice", "N3", None))
    with pytest.raises(AccessDenied, match="without importer id"):
        require(_who(Role.IMPORTER), P.NOTICE_READ, Resource("notice", "N1", "IMP-ACME"))
    # holding a staff role as well does not lift the tenant scope
    mixed = Principal("u", frozenset({Role.IMPORTER, Role.OFFICER}), "IMP-ACME")
    with pytest.raises(AccessDenied):
        require(mixed, P.ENTRY_READ, Resource("entry", "E9", "IMP-OTHER"))


ROWS = pl.DataFrame(
    {
        "entry_number": ["E1", "E2", "E3", "E4"],
        "importer_id": ["IMP-A", "IMP-B", None, "IMP-A"],
        "entered_value_usd": [10.0, 20.0, 30.0, 40.0],
    }
)


def test_polars_filter_shows_an_importer_only_its_rows() -> None:
    a = restrict_frame(ROWS, _who(Role.IMPORTER, "IMP-A"))
    assert a["entry_number"].to_list() == ["E1", "E4"]
    b = restrict_frame(ROWS.lazy(), _who(Role.IMPORTER, "IMP-B")).collect()
    assert b["entry_number"].to_list() == ["E2"]
    assert restrict_frame(ROWS, _who(Role.OFFICER)).height == 4
    with pytest.raises(AccessDenied, match="no importer_id column"):
        restrict_frame(ROWS.drop("importer_id"), _who(Role.IMPORTER, "IMP-A"))


def test_sql_filter_shows_an_importer_only_its_rows(tmp_path: object) -> None:
    engine = sa.create_engine("sqlite://")
    md = sa.MetaData()
    entries = sa.Table(
        "entries",
        md,
        sa.Column("entry_number", sa.String, primary_key=True),
        sa.Column("importer_id", sa.String),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(entries), ROWS.select("entry_number", "importer_id").to_dicts())
    stmt = sa.select(entries.c.entry_number).order_by(entries.c.entry_number)
    with engine.connect() as conn:
        for who, expected in [
            (_who(Role.IMPORTER, "IMP-A"), ["E1", "E4"]),
            (_who(Role.IMPORTER, "IMP-B"), ["E2"]),
            (_who(Role.IMPORTER, "IMP-NONE"), []),
            (_who(Role.AUDITOR), ["E1", "E2", "E3", "E4"]),
        ]:
            got: list[str] = list(
                conn.execute(restrict_select(stmt, who, entries.c.importer_id)).scalars()
            )
            assert got == expected, who
    # an injection-looking id is a bound parameter, not SQL
    evil = _who(Role.IMPORTER, "IMP-A' OR '1'='1")
    with engine.connect() as conn:
        assert conn.execute(restrict_select(stmt, evil, entries.c.importer_id)).all() == []


@pytest.mark.parametrize("kind", ["memory", "sql"])
def test_access_log_records_grants_and_refusals(kind: str) -> None:
    log = MemoryAccessLog() if kind == "memory" else SqlAccessLog(sa.create_engine("sqlite://"))
    acme = _who(Role.IMPORTER, "IMP-ACME")
    at = datetime(2026, 3, 1, tzinfo=UTC)
    checked(log, acme, P.NOTICE_READ, Resource("notice", "N1", "IMP-ACME"), now=at)
    with pytest.raises(AccessDenied):
        checked(log, acme, P.NOTICE_READ, Resource("notice", "N2", "IMP-B"), now=at)
    events = log.events(acme.subject_id)
    assert [(e.resource_id, e.granted) for e in events] == [("N1", True), ("N2", False)]
    assert events[1].reason == "belongs to another importer"
    assert events[0].at == at
    assert log.events("someone-else") == []
