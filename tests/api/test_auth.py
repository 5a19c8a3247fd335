"""Credentials: passwords, bearer tokens, API keys, disabled accounts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tradeguard.api import services_of
from tradeguard.api.auth import TokenSigner
from tradeguard.store.app_tables import users


def test_password_login_gives_a_working_bearer_token(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    me = client.get("/api/v1/auth/me", headers=login(client, "officer", "officer-password"))
    assert me.status_code == 200
    assert me.json()["roles"] == ["officer"]
    assert "decision:record" in me.json()["permissions"]


def test_passwords_are_stored_as_argon2_hashes(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    with services_of(client.app).engine.connect() as conn:  # type: ignore[arg-type]
        stored = conn.execute(sa.select(users.c.password_hash).where(
            users.c.username == "officer")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "officer-password" not in stored


def test_wrong_password_is_401_problem(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    r = client.post("/api/v1/auth/token", data={"username": "officer", "password": "nope-nope"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert "access_token" not in r.json()


def test_missing_tampered_and_expired_tokens_are_refused(
    empty_app_factory: Any, login: Any,
) -> None:
    client = empty_app_factory()
    assert client.get("/api/v1/auth/me").status_code == 401
    good = login(client, "officer", "officer-password")["Authorization"]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert client.get("/api/v1/auth/me", headers={"Authorization": tampered}).status_code == 401
    signer: TokenSigner = services_of(client.app).tokens  # type: ignore[arg-type]
    old = signer.issue("officer", now=1_000_000.0)
    r = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401


def test_disabled_account_loses_access_at_once(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    officer = login(client, "officer", "officer-password")
    admin = login(client, "admin", "admin-password")
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 200
    assert client.post("/api/v1/admin/users/officer/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401


def test_api_key_for_a_system(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    admin = login(client, "admin", "admin-password")
    r = client.post("/api/v1/admin/api-keys", headers=admin,
                    json={"name": "broker system", "roles": ["analyst"]})
    assert r.status_code == 201
    key = r.json()["api_key"]
    me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["roles"] == ["analyst"]
    wrong = key[:-2] + ("xx" if not key.endswith("xx") else "yy")
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": wrong}).status_code == 401


def test_importer_key_needs_an_importer(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory()
    admin = login(client, "admin", "admin-password")
    r = client.post("/api/v1/admin/api-keys", headers=admin,
                    json={"name": "portal", "roles": ["importer"]})
    assert r.status_code == 422
    assert "importer_id" in r.json()["detail"]
