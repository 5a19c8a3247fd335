"""Every registry change reaches the decision log, and logged reasons open from the registry."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tradeguard.decisions import MemoryLogStore, SqlLogStore, TransparencyLog, verify_log
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.events import (
    KillSwitchChanged,
    ModelApproved,
    ModelRevoked,
    ModelRolledBack,
    decode_record,
    opens,
)
from tradeguard.governance.impact import RiskSigner
from tradeguard.governance.registry import (
    ApprovalRefused,
    JsonRegistryRepository,
    Registry,
    history_opening,
)

from .conftest import ADMIN, BUILDER, REVIEWER, Clock, model_version

LOG_SIGNER = derive_development_signer("test-secret", "test.tradeguard/log")


def _events(log: TransparencyLog) -> list[object]:
    return [decode_record(r.canonical).event for r in log.store.records()]


def test_approve_revoke_rollback_and_kill_switch_are_logged(
        tmp_path: Path, signer: RiskSigner, clock: Clock) -> None:
    log = TransparencyLog(MemoryLogStore(), LOG_SIGNER)
    reg = Registry(JsonRegistryRepository(tmp_path / "r"), signer, log, clock=clock)
    for v in ("v1", "v2", "v3"):
        reg.register(BUILDER, model_version(signer, v))
    reg.approve(REVIEWER, "model", "v1")
    clock.advance(1)
    reg.approve(REVIEWER, "model", "v2")
    clock.advance(1)
    reg.approve(REVIEWER, "model", "v3")
    reg.rollback(REVIEWER, "model", "line_exam_outcome", "precision fell")
    reg.revoke(REVIEWER, "model", "v2", "leaks a targeting rule")
    reg.set_kill_switch(REVIEWER, True, "vendor outage")
    events = _events(log)
    kinds = [e.event_type.value for e in events]  # type: ignore[attr-defined]
    assert kinds == ["model.registered"] * 3 + ["model.approved"] * 3 + [
        "model.rolled_back", "model.revoked", "killswitch.changed"]
    approved = events[5]
    assert isinstance(approved, ModelApproved)
    assert approved.version == "v3" and approved.approved_by == "sup.bob"
    assert approved.audit_evidence_hash == "e" * 64 and approved.valid_until == "2027-03-03"
    rolled, revoked, kill = events[6:]
    assert isinstance(rolled, ModelRolledBack)
    assert (rolled.from_version, rolled.to_version) == ("v3", "v2")
    assert isinstance(revoked, ModelRevoked)
    # v2 was active after the rollback; revoking it hands over to v1.
    assert revoked.version == "v2" and revoked.active_version == "v1"
    assert isinstance(kill, KillSwitchChanged) and kill.engaged
    history = reg.state().history
    assert opens(rolled.reason_commitment, history_opening(history[-3]))
    assert opens(revoked.reason_commitment, history_opening(history[-2]))
    assert opens(kill.reason_commitment, history_opening(history[-1]))
    assert not opens(kill.reason_commitment, history_opening(history[-2]))
    # the reason text itself never enters the log
    assert all(b"leaks a targeting rule" not in r.canonical for r in log.store.records())
    assert verify_log(log.store, LOG_SIGNER.verifier_key).ok


def test_approval_records_the_waivers_it_relied_on(
        tmp_path: Path, signer: RiskSigner, clock: Clock) -> None:
    log = TransparencyLog(MemoryLogStore(), LOG_SIGNER)
    reg = Registry(JsonRegistryRepository(tmp_path / "r"), signer, log, clock=clock)
    reg.register(BUILDER, model_version(signer, "v1", audit_passed=False))
    w = reg.waive(ADMIN, "model", "v1", "audit", "urgent operational need", date(2026, 6, 1))
    reg.approve(REVIEWER, "model", "v1")
    approved = _events(log)[-1]
    assert isinstance(approved, ModelApproved) and approved.waivers == (w.waiver_id,)


def test_refused_approval_logs_nothing(tmp_path: Path, signer: RiskSigner, clock: Clock) -> None:
    log = TransparencyLog(MemoryLogStore(), LOG_SIGNER)
    reg = Registry(JsonRegistryRepository(tmp_path / "r"), signer, log, clock=clock)
    reg.register(BUILDER, model_version(signer, "v1", audit_passed=False))
    with pytest.raises(ApprovalRefused, match="audit failed"):
        reg.approve(REVIEWER, "model", "v1")
    assert [type(e).__name__ for e in _events(log)] == ["ModelRegistered"]


def test_registry_cli_logs_to_the_database(tmp_path: Path, signer: RiskSigner) -> None:
    from tradeguard.cli import build_app

    rec = tmp_path / "v.json"
    rec.write_text(model_version(signer, "v1").model_dump_json())
    url = f"sqlite:///{tmp_path / 'log.db'}"
    common = ["--registry-dir", str(tmp_path / "reg"), "--db", url]
    run = CliRunner().invoke
    app = build_app()
    assert run(app, ["registry", "register", str(rec), "--actor", "ds.alice",
                     "--role", "model_owner", *common]).exit_code == 0
    res = run(app, ["registry", "kill-switch", "on", "--reason", "drill", "--actor",
                    "sup.bob", "--role", "supervisor", *common])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"ai_lanes_enabled": False}
    engine = sa.create_engine(url)
    try:
        types = [r.event_type for r in SqlLogStore(engine).records()]
    finally:
        engine.dispose()
    assert types == ["model.registered", "killswitch.changed"]
