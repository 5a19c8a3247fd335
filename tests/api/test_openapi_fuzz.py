"""Property-based fuzzing of every operation in the OpenAPI: no input gives a 500."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.accounts import create_user
from tradeguard.api.demo_site import DemoSite, demo_settings

STAFF = ["officer", "supervisor", "analyst", "auditor", "model_owner", "admin"]


@pytest.fixture(scope="module")
def fuzz_app(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app over a copy of the demo database (the fuzzer changes what it reaches)."""
    copy = tmp_path_factory.mktemp("fuzz")
    shutil.copy(demo_site.directory / "tradeguard.db", copy / "tradeguard.db")
    app = create_app(demo_settings(copy, environment="test"),
                     config=ApiConfig(rate_per_second=10_000, rate_burst=10_000,
                                      model_dir=demo_site.model_dir))
    create_user(services_of(app).engine, "fuzzer", "fuzzer-password", STAFF, created_by="t")
    yield app
    services_of(app).close()


@pytest.fixture(scope="module")
def fuzz_headers(fuzz_app: FastAPI) -> dict[str, str]:
    client = TestClient(fuzz_app)
    token = client.post("/api/v1/auth/token", data={
        "username": "fuzzer", "password": "fuzzer-password"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any, fuzz_headers: dict[str, str]) -> None:
    response = case.call(headers=fuzz_headers)
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400:
        kind = response.headers["content-type"]
        kind = kind[0] if isinstance(kind, list) else kind
        assert kind.startswith("application/problem+json"), (case.path, kind)
