"""The service scores through the deployment gate, and the demo registers its model.

One app over the demo database is handed the demo's trained model and a copy of the demo's
registry (so the shared demo is never changed); each test starts from that copy. The app's
registry watch is set to look at the file on every request, so a change is seen by the next
request; how often a running service looks is tested on the watch itself with a fake clock.
Approval, revocation and the kill switch take effect without rebuilding the scorer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tradeguard.api import ApiConfig, create_app, services_of
from tradeguard.api.demo_site import DemoSite
from tradeguard.governance.deployment import RegistryWatch
from tradeguard.governance.registry import JsonRegistryRepository, Registry, open_registry
from tradeguard.pipeline.run import KILL_SWITCH_OFF
from tradeguard.security import Principal, Role
from tradeguard.settings import Settings, get_settings

from .conftest import bearer
from .score_requests import entry_request

ADMIN = Principal("admin", frozenset({Role.ADMIN}))
SUPERVISOR = Principal("supervisor", frozenset({Role.SUPERVISOR}))


@dataclass
class Gated:
    """The gated app's client, its settings and the demo's untouched registry file."""

    client: TestClient
    settings: Settings
    original: Path
    version: str

    def registry(self) -> Registry:
        return open_registry(self.settings)

    def reset(self) -> None:
        """Put the demo's registry back (a new file, as the registry itself writes it)."""
        target = Path(self.settings.work_dir) / "registry" / "registry.json"
        tmp = target.with_suffix(".reset")
        shutil.copyfile(self.original, tmp)
        os.replace(tmp, target)

    def headers(self, user: str) -> dict[str, str]:
        from .conftest import PASSWORDS

        return bearer(self.client, user, PASSWORDS[user])


@pytest.fixture(scope="module")
def gated_app(demo_site: DemoSite, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Gated]:
    assert demo_site.trained_model_dir is not None
    work = tmp_path_factory.mktemp("gated")
    (work / "registry").mkdir()
    original = demo_site.directory / "registry" / "registry.json"
    shutil.copyfile(original, work / "registry" / "registry.json")
    settings = get_settings(db=demo_site.db_url, work_dir=work, environment="test")
    app = create_app(settings, config=ApiConfig(model_dir=demo_site.trained_model_dir,
                                                rate_per_second=1000, rate_burst=1000))
    with TestClient(app) as client:
        gate = services_of(app).scorer.get().gate
        assert gate is not None
        gate.interval = 0.0  # see the file on every request (a service: once a second)
        yield Gated(client, settings, original, demo_site.summary["model"])


@pytest.fixture
def gated(gated_app: Gated) -> Iterator[Gated]:
    gated_app.reset()
    yield gated_app
    gated_app.reset()


def _score(g: Gated, site: DemoSite) -> dict[str, Any]:
    r = g.client.post("/api/v1/score", json=entry_request(site.directory),
                      headers=g.headers("officer"))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _status(g: Gated) -> dict[str, Any]:
    r = g.client.get("/api/v1/deployment", headers=g.headers("auditor"))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _approve(g: Gated) -> None:
    """Approve the demo model the way the registry allows after its failed audit: an
    administrator's signed, expiring waiver of the audit, then an independent approval."""
    reg = g.registry()
    v = reg.find("model", None, g.version)
    if v.audit is not None and not v.audit.passed:
        reg.waive(ADMIN, "model", g.version, "audit", "demo data too small for the sample",
                  reg.clock().date() + timedelta(days=30))
    reg.approve(SUPERVISOR, "model", g.version)


def _model_used(body: dict[str, Any], version: str) -> bool:
    used = [a["versions"]["model"] == version and a["model_probability"] is not None
            for a in body["assessments"]]
    assert len(set(used)) == 1  # every line of one response is scored the same way
    return used[0]


def test_unapproved_model_is_left_out_and_the_status_says_why(
        gated: Gated, demo_site: DemoSite) -> None:
    body = _score(gated, demo_site)
    assert not _model_used(body, gated.version)
    for a in body["assessments"]:
        assert a["model_probability"] is None
        assert a["versions"]["model"].startswith(f"none (model {gated.version} refused")
        assert "detector:classification" in a["versions"]  # detectors still run
        assert a["lane"] in {"green", "yellow", "red"}
    assert any(w.startswith(f"model {gated.version} not used") and "(state: registered)" in w
               for w in body["warnings"])
    status = _status(gated)
    assert status["gated"] and status["scorer_ready"] and status["ai_lanes_enabled"]
    assert status["model_version"] == gated.version and status["model_used"] is False
    assert status["model_state"] == "registered"
    assert "not approved" in status["model_refused_because"]


def test_approval_and_revocation_take_effect_on_the_next_request(
        gated: Gated, demo_site: DemoSite) -> None:
    _approve(gated)
    body = _score(gated, demo_site)
    assert _model_used(body, gated.version)
    assert not any("not used" in w for w in body["warnings"])
    assert _status(gated)["model_used"] is True

    gated.registry().revoke(SUPERVISOR, "model", gated.version, "drift found in review")
    body = _score(gated, demo_site)
    assert not _model_used(body, gated.version)
    assert any("revoked: drift found in review" in w for w in body["warnings"])
    assert _status(gated)["model_state"] == "revoked"


def test_kill_switch_turns_ai_lanes_off_while_serving_and_back_on(
        gated: Gated, demo_site: DemoSite) -> None:
    from tradeguard.api.records import stored_declarations, stored_outcomes
    from tradeguard.model import load_artifact
    from tradeguard.pipeline import Scorer
    from tradeguard.store import open_store

    _approve(gated)
    assert _model_used(_score(gated, demo_site), gated.version)
    gated.registry().set_kill_switch(SUPERVISOR, True, "suspected data poisoning")
    body = _score(gated, demo_site)
    for a in body["assessments"]:
        assert a["versions"]["model"] == KILL_SWITCH_OFF and a["model_probability"] is None
        assert "detector:classification" not in a["versions"]
    assert any("kill switch engaged: suspected data poisoning" in w for w in body["warnings"])
    status = _status(gated)
    assert status["ai_lanes_enabled"] is False and status["model_used"] is False
    assert status["kill_switch_reason"] == "suspected data poisoning"

    # The same answer as a scorer fitted from scratch with the kill switch engaged.
    req = entry_request(demo_site.directory)
    number = req["entry"]["entry_number"]
    with open_store(demo_site.db_url) as store:
        every = stored_declarations(store.engine)
        outcomes = stored_outcomes(store.engine)
    assert demo_site.trained_model_dir is not None
    off = Scorer(history_entries=every.entries, history_lines=every.lines, outcomes=outcomes,
                 model=load_artifact(demo_site.trained_model_dir), ai_lanes_enabled=False,
                 pin_baseline=True).score(
        every.entries.filter(pl.col("entry_number") == number),
        every.lines.filter(pl.col("entry_number") == number))
    got = {a["line_number"]: a for a in body["assessments"]}
    for row in off.assessments.iter_rows(named=True):
        a = got[row["line_number"]]
        assert (a["lane"], a["reasons"]) == (row["lane"], row["reasons"])
        assert abs(a["risk_score"] - row["risk_score"]) < 1e-9

    gated.registry().set_kill_switch(SUPERVISOR, False, "investigation closed")
    assert _model_used(_score(gated, demo_site), gated.version)
    assert _status(gated)["ai_lanes_enabled"] is True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _CountingRepo(JsonRegistryRepository):
    """The JSON registry, counting how often it is parsed."""

    loads = 0

    def load(self) -> Any:
        type(self).loads += 1
        return super().load()


def test_watch_looks_at_most_once_per_interval_and_reads_only_changes(
        tmp_path: Path) -> None:
    from tradeguard.governance.impact import RiskSigner

    repo = _CountingRepo(tmp_path / "registry")
    registry = Registry(repo, RiskSigner(secret="s"))
    clock = _Clock()
    watch = RegistryWatch(registry, "v1", clock=clock)
    assert watch.current().ai_lanes_enabled and watch.current().refused is not None
    reads = _CountingRepo.loads
    registry.set_kill_switch(SUPERVISOR, True, "incident")
    clock.now += 0.5
    assert watch.current().ai_lanes_enabled  # not looked yet: within the interval
    clock.now += 0.6
    assert not watch.current().ai_lanes_enabled  # looked, file changed, decided again
    reads_after_change = _CountingRepo.loads
    assert reads_after_change > reads + 1  # the switch itself read it once, the watch again
    for _ in range(5):
        clock.now += 2
        assert not watch.current().ai_lanes_enabled
    assert _CountingRepo.loads == reads_after_change  # unchanged file: stat only, no parse


def test_unreadable_registry_fails_closed(tmp_path: Path) -> None:
    from tradeguard.governance.impact import RiskSigner

    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "registry.json").write_text("{not json", encoding="utf-8")
    registry = Registry(JsonRegistryRepository(tmp_path / "registry"), RiskSigner(secret="s"))
    status = RegistryWatch(registry, "v1").current()
    assert not status.ai_lanes_enabled and not status.model_allowed
    assert "registry.json" in status.registry_error
    assert any("cannot be read" in w for w in status.warnings)


def _stored(site: DemoSite, sql: str) -> list[Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(site.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)).all())
    finally:
        engine.dispose()


def stored_model_versions(site: DemoSite) -> dict[str, int]:
    """``versions.model`` of every stored assessment, counted."""
    import json

    counts: dict[str, int] = {}
    for (record,) in _stored(site, "select record from app_assessments"):
        version = json.loads(record)["versions"]["model"]
        counts[version] = counts.get(version, 0) + 1
    return counts


def test_demo_registers_its_model_with_card_and_audit(
        demo_client: TestClient, as_user: Callable[[str], dict[str, str]],
        demo_site: DemoSite) -> None:
    record = demo_site.summary["registry"]
    r = demo_client.get("/api/v1/registry", headers=as_user("auditor"))
    assert r.status_code == 200, r.text
    doc = r.json()
    listed = [v for v in doc["versions"] if v["kind"] == "model"]
    assert [v["version"] for v in listed] == [demo_site.summary["model"]] == [record["version"]]
    v = listed[0]
    assert v["card"]["artifact_hash"] == v["version"] and v["card"]["metrics"]
    assert "held out for the audit" in v["card"]["training_data"]
    assert v["registered_by"] == "model_owner" and v["audit"]["evidence_hash"] == \
        record["evidence"]
    assert v["audit"]["passed"] is record["audit_passed"]
    actions = [(h["action"], h["actor"]) for h in doc["history"]]
    assert actions[:2] == [("register", "model_owner"), ("audit", "auditor")]
    evidence = demo_client.get("/api/v1/audit/evidence", headers=as_user("auditor")).json()
    assert evidence["versions"]["model"] == v["version"]
    # The audit looked at the later days scored in shadow, under the site's own targeting.
    assert evidence["versions"]["targeting"] == demo_site.summary["targeting"]["version"]
    assert evidence["population"]["lines"] == record["audit"]["lines"] > 0
    status = demo_client.get("/api/v1/deployment", headers=as_user("auditor")).json()
    versions = stored_model_versions(demo_site)
    if record["audit_passed"]:
        # Approved by someone who neither built nor registered it; the service uses it.
        assert v["state"] == "approved" and v["approved_by"] == "supervisor"
        assert doc["active"]["model:" + v["name"]] == v["version"]
        assert demo_site.model_dir == demo_site.trained_model_dir
        assert status["model_used"] is True
        assert versions == {v["version"]: demo_site.summary["lines_scored"]}
    else:
        # Not faked: registered, refused approval for its failed audit, and not served.
        assert v["state"] == "registered" and v["approved_by"] is None
        assert record["approval_refused"] == [
            "audit failed: " + ", ".join(v["audit"]["failed_checks"])]
        assert demo_site.model_dir is None and status["model_version"] is None
        # No stored decision was made by the refused model: scored without it, and saying so.
        label = f"none (model {v['version']} refused by the deployment gate: registered)"
        assert versions == {label: demo_site.summary["lines_scored"]}
        assert demo_site.summary["scored_with"] == label
        probabilities = _stored(demo_site, "select count(*) from app_assessments where "
                                "json_extract(record, '$.model_probability') is not null")
        assert probabilities == [(0,)]


def test_demo_shadow_audit_stores_and_logs_no_decision(demo_site: DemoSite) -> None:
    """Only the site's own run is stored and logged: one assessment and one
    ``decision.scored`` record per line of the window, none from the shadow run."""
    scored = demo_site.summary["lines_scored"]
    assert _stored(demo_site, "select count(*) from app_assessments") == [(scored,)]
    logged = _stored(demo_site, "select event_type, count(*) from decision_log_records "
                     "group by event_type order by event_type")
    assert dict(logged)["decision.scored"] == scored
    assert set(dict(logged)) <= {"decision.scored", "model.registered", "model.approved"}
    targeting = _stored(demo_site, "select distinct json_extract(record, "
                        "'$.versions.targeting') from app_assessments")
    assert targeting == [(demo_site.summary["targeting"]["version"],)]
    assert demo_site.summary["targeting"]["compliance_sample_rate"] == 0.05


def _sections(doc: dict[str, Any]) -> dict[str, Any]:
    return {s["name"]: s for s in doc["sections"]}


def test_demo_audit_skips_rescoring_only_when_the_verdict_is_settled(
        demo_site: DemoSite) -> None:
    import json

    from tradeguard.api.demo_registry import RESCORED

    doc = json.loads((demo_site.directory / "audit" / "evidence.json").read_text())
    by = _sections(doc)
    settled = [c for c in doc["failed_checks"] if c.split(".")[0] not in RESCORED]
    assert (doc["verdict"] == "pass") is demo_site.summary["registry"]["audit_passed"]
    if settled:  # robustness could not have changed a failing verdict: not run, and said so
        assert doc["verdict"] == "fail" and by["robustness"]["skipped"]
        assert "not run: the verdict already fails on " + ", ".join(settled) in doc["data_note"]
    else:
        assert not by["robustness"]["skipped"]


@pytest.mark.slow
def test_demo_audit_rescores_through_the_shadow_scorer_when_it_matters(
        demo_site: DemoSite, tmp_path: Path) -> None:
    from importlib.resources import files

    import yaml

    from tradeguard.api.demo_registry import audit_in_shadow
    from tradeguard.governance.audit.demo import audit_demo_folder
    from tradeguard.governance.audit.policy import load_policy

    shipped = yaml.safe_load((files("tradeguard.governance.audit") / "policy.yaml")
                             .read_text("utf-8"))
    # Thresholds no demo can fail, except robustness and security: they must then be run.
    shipped["efficacy"].update(min_lift_lower=0.0, min_random_sample_lines=0)
    shipped["validity"].update(max_ece=1.0, max_brier=1.0)
    shipped["bias"]["ratio_band"] = [0.0, 1e9]
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    before = (_stored(demo_site, "select count(*) from app_assessments"),
              _stored(demo_site, "select count(*) from decision_log_records"))
    run = audit_demo_folder(demo_site.directory / "data", tmp_path / "rejected",
                            supply_chain=True)
    result = audit_in_shadow(run.audit_input, policy=load_policy(lenient))
    by = {s.name: s for s in result.sections}
    assert not by["robustness"].skipped
    tests = {row["test"] for row in by["robustness"].tables["tests"]}
    assert {"case_and_spacing", "value_rounding", "swapped_origin"} <= tests
    assert result.extra["canaries"]  # the canary scan ran on re-scored output
    # The same candidate as the demo registered (training is deterministic), and the shadow
    # run left the site's database as it was.
    assert run.artifact.version == demo_site.summary["model"]
    assert (_stored(demo_site, "select count(*) from app_assessments"),
            _stored(demo_site, "select count(*) from decision_log_records")) == before


def test_status_before_the_scorer_is_built_reports_the_kill_switch(
        empty_app_factory: Callable[..., TestClient], tmp_path: Path) -> None:
    from tradeguard.api.accounts import create_user

    client = empty_app_factory()
    app = client.app
    assert isinstance(app, FastAPI)
    services = services_of(app)
    create_user(services.engine, "aud", "auditor-password", ["auditor"], created_by="test")
    headers = bearer(client, "aud", "auditor-password")
    first = client.get("/api/v1/deployment", headers=headers).json()
    assert first["scorer_ready"] is False and first["ai_lanes_enabled"] is True
    assert first["model_version"] is None and first["warnings"] == []
    open_registry(services.settings).set_kill_switch(SUPERVISOR, True, "outage drill")
    second = client.get("/api/v1/deployment", headers=headers).json()
    assert second["ai_lanes_enabled"] is False and not services.scorer.ready
    assert second["warnings"] == ["kill switch engaged: outage drill"]
    officer = bearer(client, "officer", "officer-password")
    assert client.get("/api/v1/deployment", headers=officer).status_code == 403
