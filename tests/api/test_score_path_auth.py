"""Credentials on the scoring path: a principal is reused for at most a second, never longer.

A key's or an account's row is read at most once per :data:`PRINCIPAL_MAX_AGE` seconds per
process. These tests hold that reuse to its bounds: a change made in another process (a
direct update of the table) takes effect once the second is over, one made through the
service's own functions at once, a wrong secret is never answered from what was kept, and
roles and the rate limit are still applied on every request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tradeguard.api import fresh_principals, services_of
from tradeguard.api.accounts import (
    create_api_key,
    principal_for_account,
    principal_for_key,
    revoke_api_key,
    set_active,
)
from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.fresh_principals import PRINCIPAL_MAX_AGE, FreshPrincipals
from tradeguard.store.app_tables import api_keys, users


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The process's kept principals on a hand-moved clock (each test has its own database,
    so nothing kept by another test is seen)."""
    moved = Clock()
    monkeypatch.setattr(fresh_principals.RECENT, "clock", moved)
    return moved


def _revoke_elsewhere(engine: sa.Engine, key_id: str) -> None:
    """Revoke as another process would: the row changes, this process is not told."""
    with engine.begin() as conn:
        conn.execute(api_keys.update().where(api_keys.c.key_id == key_id)
                     .values(revoked_at=datetime.now(UTC)))


def _analyst_key(empty_app_factory: Any) -> tuple[Any, sa.Engine, str, str]:
    """A fresh service, its database and an analyst system's API key (id, secret)."""
    client = empty_app_factory()
    engine = services_of(client.app).engine
    key_id, key = create_api_key(engine, "system", ["analyst"], created_by="test")
    return client, engine, key_id, key


def _disable_elsewhere(engine: sa.Engine, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == username).values(active=False))


def test_a_key_revoked_elsewhere_stops_within_a_second(
    empty_app_factory: Any, clock: Clock,
) -> None:
    client, engine, key_id, key = _analyst_key(empty_app_factory)
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _revoke_elsewhere(engine, key_id)
    clock.now += PRINCIPAL_MAX_AGE / 2
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200  # kept
    clock.now += PRINCIPAL_MAX_AGE / 2
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    with engine.begin() as conn:  # restored elsewhere: a refused key was not kept, so the
        conn.execute(api_keys.update().where(api_keys.c.key_id == key_id)  # next read sees it
                     .values(revoked_at=None))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


def test_a_key_revoked_here_stops_at_once_whatever_the_engine(
    empty_app_factory: Any, clock: Clock,
) -> None:
    client, engine, key_id, key = _analyst_key(empty_app_factory)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
    other = sa.create_engine(engine.url)  # as the CLI opens the same database
    revoke_api_key(other, key_id)
    other.dispose()
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_a_kept_key_answers_only_its_own_secret(empty_app_factory: Any, clock: Clock) -> None:
    client, engine, key_id, key = _analyst_key(empty_app_factory)
    assert principal_for_key(engine, key).subject_id == f"key:{key_id}"
    for wrong in (f"tgk_{key_id}_wrong", key + "x", key[:-1]):
        with pytest.raises(InvalidCredentials):
            principal_for_key(engine, wrong)
        r = client.get("/api/v1/auth/me", headers={"X-API-Key": wrong})
        assert r.status_code == 401
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200


def test_an_account_disabled_elsewhere_stops_within_a_second(
    empty_app_factory: Any, login: Any, clock: Clock,
) -> None:
    client = empty_app_factory()
    engine = services_of(client.app).engine
    officer = login(client, "officer", "officer-password")
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 200
    _disable_elsewhere(engine, "officer")
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 200  # kept
    clock.now += PRINCIPAL_MAX_AGE
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401
    set_active(engine, "officer", True)
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 200
    set_active(engine, "officer", False)  # through the service: at once
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401
    with pytest.raises(InvalidCredentials):
        principal_for_account(engine, "officer")


def test_a_revocation_during_a_read_is_not_outlived(empty_app_factory: Any) -> None:
    """A row read before a revocation here is not kept: the revocation may postdate it."""
    client = empty_app_factory()
    engine = services_of(client.app).engine
    recent = FreshPrincipals(clock=Clock())
    _, key = create_api_key(engine, "system", ["analyst"], created_by="test")
    principal = principal_for_key(engine, key, recent=recent)
    ticket = recent.ticket()
    recent.forget("key:elsewhere")
    recent.keep(engine, "key:x", "proof", principal, ticket)
    assert recent.get(engine, "key:x", "proof") is None
    recent.keep(engine, "key:x", "proof", principal, recent.ticket())
    assert recent.get(engine, "key:x", "proof") == principal
    assert recent.get(engine, "key:x", "other proof") is None


def test_roles_and_the_rate_limit_apply_to_every_request_of_a_kept_key(
    empty_app_factory: Any,
) -> None:
    client = empty_app_factory(rate_per_second=0.001, rate_burst=3)
    engine = services_of(client.app).engine
    _, key = create_api_key(engine, "portal", ["importer"], importer_id="IMP-1",
                            created_by="test")
    body = {"entry": {"entry_number": "ABC-1234567-6", "entry_type": "01",
                      "entry_date": "2026-01-05", "port_of_entry": "2704",
                      "importer_id": "IMP-2", "importer_name": "Other Importer"},
            "lines": [{"line_number": 1, "hts_code": "3923210030", "description": "BAGS",
                       "country_of_origin": "CN", "quantity": 1, "quantity_unit": "KG",
                       "entered_value_usd": 10}]}
    for _ in range(3):  # another importer's entry: refused each time, before any scoring
        r = client.post("/api/v1/score", json=body, headers={"X-API-Key": key})
        assert r.status_code == 403, r.text
    r = client.post("/api/v1/score", json=body, headers={"X-API-Key": key})
    assert r.status_code == 429 and r.headers["retry-after"]
