"""The scoring endpoint's own work around the scorer: same answers, same checks, less CPU.

The answer is checked and rendered in the request's worker thread (not by FastAPI in a second
one), the security headers are added by a plain ASGI middleware, services and (on SQLite) the
caller are resolved on the event loop, and credentials are read with statements built once.
These tests hold each of those to what it replaced: the same bytes for every demo entry, the
same headers on every kind of response, and credentials whose rows are reused for at most a
second (a key revoked or an account disabled through the service stops working at once; see
``test_score_path_auth.py`` for changes made by another process).
"""

from __future__ import annotations

import asyncio
import math
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import serialize_response
from fastapi.testclient import TestClient
from tests.api.score_requests import every_entry_request

from tradeguard.api import deps as deps_module
from tradeguard.api import services_of
from tradeguard.api.accounts import create_api_key, principal_for_key, revoke_api_key
from tradeguard.api.app import SECURITY_HEADERS, SecurityHeaders
from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.demo_site import DemoSite
from tradeguard.api.deps import current_principal
from tradeguard.api.routers.score import score_response
from tradeguard.targeting import assessments_to_records


def _fastapi_body(app: FastAPI, content: dict[str, Any]) -> bytes:
    """What FastAPI renders for ``content`` under the route's ``response_model``."""
    route = next(r for r in app.routes if getattr(r, "path", "") == "/api/v1/score")
    field = route.response_field  # type: ignore[attr-defined]
    checked = asyncio.run(serialize_response(field=field, response_content=content))
    return bytes(JSONResponse(checked).body)


@pytest.fixture(scope="module")
def scored(demo_results: list[Any]) -> list[dict[str, Any]]:
    """The endpoint's content for every demo entry the contract accepts (scored in-process)."""
    return [{"entry_number": number, "assessments": assessments_to_records(result.assessments),
             "warnings": list(result.warnings)} for number, result in demo_results]


def test_answer_bytes_match_the_response_model_for_every_entry(
    demo_client: TestClient, scored: list[dict[str, Any]],
) -> None:
    app: FastAPI = demo_client.app  # type: ignore[assignment]
    for content in scored:
        ours = score_response(content)
        assert ours.status_code == 200
        assert ours.media_type == "application/json"
        assert bytes(ours.body) == _fastapi_body(app, content), content["entry_number"]


def test_answer_bytes_match_on_edge_content(
    demo_client: TestClient, scored: list[dict[str, Any]],
) -> None:
    """No lines, warnings, non-finite and missing floats, extra keys, non-ASCII text."""
    app: FastAPI = demo_client.app  # type: ignore[assignment]
    record = dict(scored[0]["assessments"][0])
    odd = {**record, "model_probability": math.nan, "sample_draw": None,
           "selection_probability": math.inf, "reason_texts": ["Zürich — 100 % ✓"],
           "risk_score": 1, "extra_field": {"nested": [1, 2.5, None]}}
    cases = [
        {"entry_number": "E-1", "assessments": [], "warnings": []},
        {"entry_number": "E-2", "assessments": [record], "warnings": ["kill switch engaged"]},
        {"entry_number": "E-3", "assessments": [odd, record], "warnings": []},
    ]
    for content in cases:
        assert bytes(score_response(content).body) == _fastapi_body(app, content)


def test_an_answer_outside_the_schema_still_fails(demo_client: TestClient) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        score_response({"entry_number": "E-1", "assessments": [{"lane": "red"}],
                        "warnings": []})


def test_served_answer_is_the_scorers(
    demo_client: TestClient, demo_site: DemoSite, scored: list[dict[str, Any]],
) -> None:
    """Through HTTP with an API key: the JSON is the scorer's records, for a few entries."""
    engine = services_of(demo_client.app).engine  # type: ignore[arg-type]
    _, key = create_api_key(engine, "overhead-check", ["officer"], created_by="test")
    bodies = {b["entry"]["entry_number"]: b for b in every_entry_request(demo_site.directory)}
    for content in scored[:5]:
        r = demo_client.post("/api/v1/score", json=bodies[content["entry_number"]],
                             headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
        assert r.content == _fastapi_body(demo_client.app, content)  # type: ignore[arg-type]
        assert r.headers["x-content-type-options"] == "nosniff"


def _with_old_headers(app: FastAPI) -> FastAPI:
    """The middleware the plain ASGI one replaced, for comparison."""
    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _header_app() -> FastAPI:
    app = FastAPI()

    @app.get("/plain")
    def plain() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/own-csp")
    def own_csp() -> Response:
        return PlainTextResponse("x", headers={"content-security-policy": "default-src 'none'"})

    @app.get("/own-upper")
    def own_upper() -> Response:
        return PlainTextResponse("x", headers={"X-Frame-Options": "SAMEORIGIN",
                                               "Set-Cookie": "a=1"})

    @app.get("/missing")
    def missing() -> Response:
        return JSONResponse({"detail": "no"}, status_code=404)

    return app


def test_security_headers_as_the_replaced_middleware_gave_them() -> None:
    new = _header_app()
    new.add_middleware(SecurityHeaders)
    old = _with_old_headers(_header_app())
    with TestClient(new) as a, TestClient(old) as b:
        for path in ("/plain", "/own-csp", "/own-upper", "/missing", "/nowhere"):
            ra, rb = a.get(path), b.get(path)
            assert ra.status_code == rb.status_code
            assert ra.headers.multi_items() == rb.headers.multi_items(), path
            assert ra.content == rb.content
    assert a.get("/own-csp").headers["content-security-policy"] == "default-src 'none'"


def test_security_headers_on_the_service(demo_client: TestClient) -> None:
    for r in (demo_client.get("/login"), demo_client.get("/api/v1/auth/me"),
              demo_client.post("/api/v1/score", json={})):
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get_list(name) == [value], (r.url, name)


def test_api_key_revoked_through_the_service_stops_at_once(
    empty_app_factory: Any, login: Any,
) -> None:
    client = empty_app_factory()
    engine = services_of(client.app).engine
    key_id, key = create_api_key(engine, "system", ["analyst"], created_by="test")
    assert principal_for_key(engine, key).subject_id == f"key:{key_id}"
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
    revoke_api_key(engine, key_id)
    assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401
    for bad in (key, "tgk_nope", "tgk_unknown_secret", "no-prefix", f"tgk_{key_id}_wrong"):
        with pytest.raises(InvalidCredentials):
            principal_for_key(engine, bad)


def test_importer_key_keeps_its_importer(empty_app_factory: Any) -> None:
    client = empty_app_factory()
    engine = services_of(client.app).engine
    _, key = create_api_key(engine, "portal", ["importer"], importer_id="IMP-9",
                            created_by="test")
    principal = principal_for_key(engine, key)
    assert principal.importer_id == "IMP-9" and principal.is_importer


def test_token_of_a_disabled_account_stops_at_once(empty_app_factory: Any, login: Any) -> None:
    from tradeguard.api.accounts import set_active

    client = empty_app_factory()
    officer = login(client, "officer", "officer-password")
    me = client.get("/api/v1/auth/me", headers=officer)
    assert me.status_code == 200 and me.json()["subject_id"] == "officer"
    set_active(services_of(client.app).engine, "officer", False)
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 401
    set_active(services_of(client.app).engine, "officer", True)
    assert client.get("/api/v1/auth/me", headers=officer).status_code == 200


def test_credentials_are_checked_before_the_body(demo_client: TestClient) -> None:
    """An unauthenticated caller learns nothing about the request schema."""
    r = demo_client.post("/api/v1/score", json={"entry": {"entry_number": 5}})
    assert r.status_code == 401
    r = demo_client.post("/api/v1/score", json={"entry": {}},
                         headers={"X-API-Key": "tgk_unknown_secret"})
    assert r.status_code == 401


def test_roles_are_checked_on_every_score(
    demo_client: TestClient, demo_site: DemoSite, as_user: Any,
) -> None:
    body = every_entry_request(demo_site.directory)[0]
    engine = services_of(demo_client.app).engine  # type: ignore[arg-type]
    _, other = create_api_key(engine, "other importer", ["importer"],
                              importer_id="someone-else", created_by="test")
    r = demo_client.post("/api/v1/score", json=body, headers={"X-API-Key": other})
    assert r.status_code == 403
    _, admin = create_api_key(engine, "admin system", ["admin"], created_by="test")
    assert demo_client.post("/api/v1/score", json=body,
                            headers={"X-API-Key": admin}).status_code == 403
    own = body["entry"]["importer_id"]
    _, mine = create_api_key(engine, "own importer", ["importer"], importer_id=own,
                             created_by="test")
    assert demo_client.post("/api/v1/score", json=body,
                            headers={"X-API-Key": mine}).status_code == 200


def test_a_database_server_is_asked_from_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []

    def fake(services: Any, token: str | None, api_key: str | None) -> str:
        seen.append(threading.get_ident())
        return "principal"

    monkeypatch.setattr(deps_module, "authenticated", fake)

    async def ask(dialect: str) -> tuple[object, int]:
        services = SimpleNamespace(engine=SimpleNamespace(dialect=SimpleNamespace(name=dialect)))
        got = await current_principal(services, None, "tgk_a_b")  # type: ignore[arg-type]
        return got, threading.get_ident()

    got, loop_thread = asyncio.run(ask("postgresql"))
    assert got == "principal" and seen[-1] != loop_thread
    got, loop_thread = asyncio.run(ask("sqlite"))
    assert got == "principal" and seen[-1] == loop_thread


def test_score_route_still_documents_its_answer(demo_client: TestClient) -> None:
    spec = demo_client.get("/openapi.json").json()
    ok = spec["paths"]["/api/v1/score"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ScoreOut")


def test_access_events_are_kept_as_given(tmp_path: Any) -> None:
    """The access log writes every event with one prepared insert, each field as given."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from tradeguard.security.access_log import AccessEvent, SqlAccessLog

    log = SqlAccessLog(sa.create_engine(f"sqlite:///{tmp_path / 'access.db'}"))
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    events = [AccessEvent(at, "officer", "officer", "entry:read", "entry", "E-1", "IMP-1",
                          True, "granted"),
              AccessEvent(at, "key:abc", "importer", "assessment:read", "entry", "E-2", None,
                          False, "other importer's data")]
    for event in events:
        log.record(event)
    assert list(log.events()) == events
    assert list(log.events("key:abc")) == events[1:]
