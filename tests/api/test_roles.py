"""Each role is refused where the library's grant table says it must be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

ROLES = ("officer", "supervisor", "analyst", "auditor", "model_owner", "importer_a", "admin")

# (method, path, body, users allowed) — everyone else must get 403.
CASES: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/api/v1/review/queue", None, {"officer", "supervisor"}),
    ("GET", "/api/v1/admin/users", None, {"admin"}),
    ("GET", "/api/v1/admin/access-log", None, {"auditor", "admin"}),
    ("GET", "/api/v1/registry", None, {"supervisor", "analyst", "auditor", "model_owner"}),
    ("GET", "/api/v1/log/verify", None, {"auditor", "importer_a", "admin"}),
    ("GET", "/api/v1/log/checkpoint", None, {"auditor", "importer_a", "admin"}),
    ("POST", "/api/v1/screen", {"names": [{"id": "1", "name": "Acme Trading"}]},
     {"officer", "supervisor"}),
    ("GET", "/api/v1/assessments", None,
     {"officer", "supervisor", "analyst", "auditor", "model_owner", "importer_a"}),
    ("GET", "/api/v1/notices", None, {"officer", "supervisor", "auditor", "importer_a"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), CASES)
def test_role_matrix(demo_client: TestClient, as_user: Callable[[str], dict[str, str]],
                     method: str, path: str, body: Any, allowed: set[str]) -> None:
    for user in ROLES:
        r = demo_client.request(method, path, json=body, headers=as_user(user))
        if user in allowed:
            assert r.status_code == 200, (user, path, r.text)
        else:
            assert r.status_code == 403, (user, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"


def test_only_officers_record_decisions(demo_client: TestClient,
                                        as_user: Callable[[str], dict[str, str]]) -> None:
    queue = demo_client.get("/api/v1/review/queue?lane=green&limit=1",
                            headers=as_user("officer")).json()
    item = queue["items"][0]["item_id"]
    for user in ("analyst", "auditor", "model_owner", "importer_a", "admin"):
        r = demo_client.post(f"/api/v1/review/items/{item}/decision", headers=as_user(user),
                             json={"action": "release", "rationale": ""})
        assert r.status_code == 403, user


def test_untrained_officer_cannot_decide(demo_client: TestClient,
                                         as_user: Callable[[str], dict[str, str]]) -> None:
    admin = as_user("admin")
    r = demo_client.post("/api/v1/admin/users", headers=admin, json={
        "username": "new_officer", "password": "new-officer-pw", "roles": ["officer"]})
    assert r.status_code == 201
    queue = demo_client.get("/api/v1/review/queue?lane=green&limit=1",
                            headers=as_user("officer")).json()
    item = queue["items"][0]["item_id"]
    token = demo_client.post("/api/v1/auth/token", data={
        "username": "new_officer", "password": "new-officer-pw"}).json()["access_token"]
    r = demo_client.post(f"/api/v1/review/items/{item}/decision",
                         headers={"Authorization": f"Bearer {token}"},
                         json={"action": "release", "rationale": ""})
    assert r.status_code == 403
    assert "training" in r.json()["detail"]


def test_ingest_needs_the_data_load_permission(demo_client: TestClient,
                                               as_user: Callable[[str], dict[str, str]]) -> None:
    files = {"files": ("entries.csv", b"entry_number\n", "text/csv")}
    for user in ("officer", "supervisor", "importer_a", "auditor", "model_owner"):
        r = demo_client.post("/api/v1/ingest", files=files, headers=as_user(user))
        assert r.status_code == 403, user
    for user in ("analyst", "admin"):
        r = demo_client.post("/api/v1/ingest", files=files, headers=as_user(user))
        # past the permission check: the header-only file is judged by the contract
        assert r.status_code != 403, (user, r.text)
