"""Fixtures for the API tests.

Fixture policy: the smallest data that shows the behaviour. Tests of credentials, errors,
limits and paging run against an empty database with accounts created inline
(``empty_app``). Tests that need scored entries, a review queue, notices and appeals share
one demo installation of 100 entries (the smallest the generator makes), built once per
session, because a queue item only exists after the whole scoring chain has run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.accounts import create_user
from tradeguard.api.demo_site import DEMO_USERS, DemoSite, build_demo, demo_settings
from tradeguard.settings import get_settings

PASSWORDS = {name: f"pw-{name}-2026" for name, _, _ in DEMO_USERS}


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """A demo installation: ingested, scored, queued, with one account per role."""
    directory = tmp_path_factory.mktemp("demo")
    return build_demo(directory, entries=100, seed=11, passwords=PASSWORDS,
                      settings=demo_settings(directory, environment="test"))


@pytest.fixture(scope="session")
def demo_client(demo_site: DemoSite) -> Iterator[TestClient]:
    """A client of the app over the demo database (generous rate limit)."""
    app = create_app(demo_settings(demo_site.directory, environment="test"),
                     config=ApiConfig(model_dir=demo_site.model_dir, rate_per_second=1000,
                                      rate_burst=1000))
    with TestClient(app) as client:
        yield client


def bearer(client: TestClient, username: str, password: str | None = None) -> dict[str, str]:
    """Log in through the OAuth2 password flow; the Authorization header."""
    r = client.post("/api/v1/auth/token",
                    data={"username": username, "password": password or PASSWORDS[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="session")
def as_user(demo_client: TestClient) -> Callable[[str], dict[str, str]]:
    """Headers for a demo user (tokens cached per user)."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = bearer(demo_client, username)
        return cache[username]

    return headers


@pytest.fixture
def empty_app_factory(tmp_path: Path) -> Callable[..., Any]:
    """An app over an empty database with the given limits; an ``admin`` account exists."""
    def build(**config: Any) -> TestClient:
        settings = get_settings(db=f"sqlite:///{tmp_path / 'empty.db'}", work_dir=tmp_path,
                                environment="test")
        app = create_app(settings, config=ApiConfig(**config))
        engine = services_of(app).engine
        create_user(engine, "admin", "admin-password", ["admin"], created_by="test")
        create_user(engine, "officer", "officer-password", ["officer"], created_by="test")
        return TestClient(app)

    return build


@pytest.fixture
def login() -> Callable[..., dict[str, str]]:
    """``login(client, username, password)`` -> Authorization header."""
    return bearer


@pytest.fixture(scope="session")
def demo_results(demo_client: TestClient, demo_site: DemoSite) -> list[Any]:
    """``(entry number, ScoringResult)`` of every demo entry the contract accepts, each scored
    on its own in-process by the service's scorer (the demo plants data errors the contract
    rejects: those are left out)."""
    from tests.api.score_requests import every_entry_request

    from tradeguard.api.intake import validated
    from tradeguard.api.problems import ApiProblem

    scorer = services_of(demo_client.app).scorer.get()  # type: ignore[arg-type]
    out = []
    for body in every_entry_request(demo_site.directory):
        number = body["entry"]["entry_number"]
        try:
            entries = validated("entries", [body["entry"]], label="entry")
            lines = validated("lines", [{**ln, "entry_number": number} for ln in body["lines"]],
                              label="line", known_entries=entries.get_column("entry_number"))
        except ApiProblem:
            continue
        out.append((number, scorer.score(entries, lines)))
    assert len(out) > 50
    return out
