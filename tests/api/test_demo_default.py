"""The default ``tradeguard demo`` shows the governed path working end to end.

Its model is trained on the earlier days, audited in shadow on the later ones, approved by the
supervisor because that audit passed, and only then decides lanes: the stored assessments and
the service's scorer use exactly the approved version. Building the default size takes tens
of seconds, so the test is marked slow; the small shared demo of the other tests fails its
audit and checks the refused path (``test_deployment_gate``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator

import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tradeguard.api import ApiConfig, create_app
from tradeguard.api.demo_site import DEFAULT_ENTRIES, DemoSite, build_demo, demo_settings

from .conftest import PASSWORDS, bearer
from .score_requests import entry_request


def test_cli_demo_builds_the_default_size() -> None:
    from tradeguard.cli.serve import demo

    assert inspect.signature(demo).parameters["entries"].default == DEFAULT_ENTRIES
    assert inspect.signature(build_demo).parameters["entries"].default == DEFAULT_ENTRIES


@pytest.fixture(scope="module")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    directory = tmp_path_factory.mktemp("default-demo")
    return build_demo(directory, passwords=PASSWORDS,
                      settings=demo_settings(directory, environment="test"))


@pytest.fixture(scope="module")
def default_client(default_site: DemoSite) -> Iterator[TestClient]:
    app = create_app(demo_settings(default_site.directory, environment="test"),
                     config=ApiConfig(model_dir=default_site.model_dir, rate_per_second=1000,
                                      rate_burst=1000))
    with TestClient(app) as client:
        yield client


def _stored(site: DemoSite) -> pl.DataFrame:
    engine = sa.create_engine(site.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select record from app_assessments")).all()
    finally:
        engine.dispose()
    records = [json.loads(r[0]) for r in rows]
    return pl.DataFrame({
        "model": [r["versions"]["model"] for r in records],
        "targeting": [r["versions"]["targeting"] for r in records],
        "probability": [r["model_probability"] for r in records],
    }, schema={"model": pl.String, "targeting": pl.String, "probability": pl.Float64})


@pytest.mark.slow
def test_default_demo_model_is_approved_after_a_passing_shadow_audit(
        default_site: DemoSite) -> None:
    from tradeguard.governance.registry import open_registry

    record = default_site.summary["registry"]
    version = default_site.summary["model"]
    assert record["version"] == version
    assert record["audit_passed"] is True and record["failed_checks"] == []
    assert record["approved"] is True and record["approval_refused"] == []
    assert record["audit"]["random_sample_examined"] >= 10
    settings = demo_settings(default_site.directory, environment="test")
    registered = open_registry(settings).find("model", None, version)
    assert registered.state.value == "approved" and registered.approved_by == "supervisor"
    assert registered.audit is not None and registered.audit.passed
    evidence = json.loads((default_site.directory / "audit" / "evidence.json").read_text())
    assert evidence["verdict"] == "pass" and evidence["versions"]["model"] == version
    robustness = next(s for s in evidence["sections"] if s["name"] == "robustness")
    assert not robustness["skipped"]  # a passing verdict ran every section
    assert default_site.model_dir == default_site.trained_model_dir is not None


@pytest.mark.slow
def test_default_demo_decides_only_with_the_approved_model(default_site: DemoSite) -> None:
    version = default_site.summary["model"]
    stored = _stored(default_site)
    assert stored.height == default_site.summary["lines_scored"] > 0
    assert stored["model"].unique().to_list() == [version]
    assert default_site.summary["scored_with"] == version
    assert stored["probability"].null_count() == 0
    evidence = json.loads((default_site.directory / "audit" / "evidence.json").read_text())
    # Stored under the targeting configuration the model was audited with (5 % sample).
    assert stored["targeting"].unique().to_list() == [evidence["versions"]["targeting"]] == \
        [default_site.summary["targeting"]["version"]]


@pytest.mark.slow
def test_default_demo_service_scores_with_the_approved_model(
        default_site: DemoSite, default_client: TestClient) -> None:
    version = default_site.summary["model"]
    r = default_client.post("/api/v1/score", json=entry_request(default_site.directory),
                            headers=bearer(default_client, "officer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["assessments"]
    for a in body["assessments"]:
        assert a["versions"]["model"] == version and a["model_probability"] is not None
    status = default_client.get("/api/v1/deployment",
                                headers=bearer(default_client, "auditor")).json()
    assert status["scorer_ready"] and status["model_version"] == version
    assert status["model_used"] is True and status["warnings"] == []
    assert not any("not used" in w for w in body["warnings"])

