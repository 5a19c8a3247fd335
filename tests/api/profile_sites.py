"""A service of its own for the risk-profile tests: publishing there changes nothing the
other API tests score with."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.api.conftest import bearer

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.demo_site import DemoSite, demo_settings

Headers = Callable[[str], dict[str, str]]


@contextmanager
def profiles_site(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory, name: str,
                  prepare: Callable[[FastAPI], None] | None = None,
                  ) -> Iterator[tuple[TestClient, FastAPI, Path]]:
    """A client over a copy of the demo database, its app, and the profiles folder it
    publishes to; ``prepare`` runs on the app before the client starts (extra accounts)."""
    copy = tmp_path_factory.mktemp(name)
    shutil.copy(demo_site.directory / "tradeguard.db", copy / "tradeguard.db")
    folder = copy / "published-profiles"
    app = create_app(
        demo_settings(copy, environment="test", profiles_dir=folder),
        config=ApiConfig(model_dir=demo_site.model_dir, rate_per_second=1000, rate_burst=1000))
    if prepare is not None:
        prepare(app)
    with TestClient(app) as client:
        yield client, app, folder
    services_of(app).close()


def cached_headers(client: TestClient, passwords: Mapping[str, str] | None = None) -> Headers:
    """Bearer headers per user, logging each in once (``passwords`` for non-demo accounts)."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = bearer(client, username, (passwords or {}).get(username))
        return cache[username]

    return headers
