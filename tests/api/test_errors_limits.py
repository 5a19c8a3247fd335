"""Problem details, paging, request size and rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def test_not_found_is_a_problem_document(demo_client: TestClient, as_user: Headers) -> None:
    r = demo_client.get("/api/v1/entries/NOPE-0000000-0", headers=as_user("officer"))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["type"].endswith("/not-found")
    assert body["instance"] == "/api/v1/entries/NOPE-0000000-0"
    assert "NOPE-0000000-0" in body["detail"]


def test_invalid_input_names_the_field(demo_client: TestClient, as_user: Headers) -> None:
    r = demo_client.post("/api/v1/review/items/x|1/decision", headers=as_user("officer"),
                         json={"rationale": "no action given"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == "body.action" for e in r.json()["errors"])


def test_refused_decision_is_409(demo_client: TestClient, as_user: Headers) -> None:
    queue = demo_client.get("/api/v1/review/queue?lane=red&limit=1",
                            headers=as_user("officer")).json()
    item = queue["items"][0]["item_id"]
    r = demo_client.post(f"/api/v1/review/items/{item}/decision", headers=as_user("officer"),
                         json={"action": "hold", "rationale": "   "})
    assert r.status_code == 409
    assert "rationale" in r.json()["detail"]


def test_paging_walks_the_whole_list(demo_client: TestClient, as_user: Headers) -> None:
    h = as_user("auditor")
    first = demo_client.get("/api/v1/assessments?limit=7", headers=h).json()
    total, seen, offset = first["total"], [], 0
    assert total > 7 and first["next_offset"] == 7
    while offset is not None:
        page = demo_client.get(f"/api/v1/assessments?limit=7&offset={offset}", headers=h).json()
        seen += [(i["entry_number"], i["line_number"]) for i in page["items"]]
        offset = page["next_offset"]
    assert len(seen) == total == len(set(seen))
    scores = [i["risk_score"] for i in first["items"]]
    assert scores == sorted(scores, reverse=True)
    assert demo_client.get("/api/v1/assessments?limit=5000", headers=h).status_code == 422


def test_filters_narrow_the_list(demo_client: TestClient, as_user: Headers) -> None:
    h = as_user("auditor")
    red = demo_client.get("/api/v1/assessments?lane=red&limit=500", headers=h).json()
    assert red["total"] > 0 and {i["lane"] for i in red["items"]} == {"red"}


def test_body_over_the_limit_is_413(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory(max_body_bytes=2_000)
    h = login(client, "officer", "officer-password")
    names = [{"id": str(i), "name": "x" * 50} for i in range(100)]
    r = client.post("/api/v1/screen", headers=h, json={"names": names})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["limit_bytes"] == 2_000


def test_rate_limit_answers_429_with_retry_after(empty_app_factory: Any, login: Any) -> None:
    client = empty_app_factory(rate_per_second=0.5, rate_burst=3)
    h = login(client, "officer", "officer-password")
    codes = [client.get("/api/v1/auth/me", headers=h).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    r = client.get("/api/v1/auth/me", headers=h)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    other = login(client, "admin", "admin-password")
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200


def test_security_headers_and_no_outside_urls(demo_client: TestClient) -> None:
    page = demo_client.get("/login")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    docs = demo_client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/score" in docs.text
    for text in (page.text, docs.text):
        assert "http://" not in text and "https://cdn" not in text
