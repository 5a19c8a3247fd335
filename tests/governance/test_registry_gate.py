"""Approval rules, the deployment gate, kill switch, rollback and waivers."""

from __future__ import annotations

from datetime import date

import pytest

from tradeguard.governance.gate import DeploymentGate, DeploymentRefused
from tradeguard.governance.impact import RiskSigner
from tradeguard.governance.registry import ApprovalRefused, Registry, RegistryError
from tradeguard.security import AccessDenied, Principal, Role

from .conftest import ADMIN, BUILDER, REVIEWER, Clock, assessment, model_version


def test_builder_cannot_approve_own_version(registry: Registry, signer: RiskSigner) -> None:
    builder_supervisor = Principal("ds.alice", frozenset({Role.MODEL_OWNER, Role.SUPERVISOR}))
    registry.register(BUILDER, model_version(signer))
    with pytest.raises(ApprovalRefused, match=r"independent review required: ds.alice"):
        registry.approve(builder_supervisor, "model", "v1")
    assert registry.approve(REVIEWER, "model", "v1").approved_by == "sup.bob"


def test_approval_needs_the_permission(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer))
    with pytest.raises(AccessDenied):
        registry.approve(Principal("x", frozenset({Role.ANALYST})), "model", "v1")


def test_empty_impact_assessment_field_refused(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer, costs="  "))
    with pytest.raises(ApprovalRefused, match="impact assessment field empty: costs"):
        registry.approve(REVIEWER, "model", "v1")


def test_tampered_assessment_breaks_signature(registry: Registry, signer: RiskSigner) -> None:
    v = model_version(signer)
    assert v.assessment is not None and v.assessment.signature_valid(signer)
    edited = v.assessment.model_copy(update={"costs": "free"})
    assert not edited.signature_valid(signer)
    assert not v.assessment.signature_valid(RiskSigner(secret="another-secret"))
    registry.register(BUILDER, v.model_copy(update={"assessment": edited}))
    with pytest.raises(ApprovalRefused, match="signature does not verify"):
        registry.approve(REVIEWER, "model", "v1")


def test_unsigned_risk_acceptance_refused(registry: Registry, signer: RiskSigner) -> None:
    v = model_version(signer)
    assert v.assessment is not None and v.assessment.risk_acceptance is not None
    unsigned = v.assessment.model_copy(update={"risk_acceptance": v.assessment.risk_acceptance
                                               .model_copy(update={"signature": None})})
    registry.register(BUILDER, v.model_copy(update={"assessment": unsigned}))
    with pytest.raises(ApprovalRefused, match=r"risk_acceptance.signature"):
        registry.approve(REVIEWER, "model", "v1")


def test_failed_audit_blocks_approval_unless_waived(registry: Registry, signer: RiskSigner,
                                                     clock: Clock) -> None:
    registry.register(BUILDER, model_version(signer, audit_passed=False))
    with pytest.raises(ApprovalRefused, match="audit failed"):
        registry.approve(REVIEWER, "model", "v1")
    registry.waive(ADMIN, "model", "v1", "audit", "Emergency: port surge", date(2026, 4, 1))
    registry.approve(REVIEWER, "model", "v1")
    gate = DeploymentGate(registry)
    assert gate.check("model", "v1", on=date(2026, 3, 15)).version == "v1"
    with pytest.raises(DeploymentRefused, match="audit_failed"):
        gate.check("model", "v1", on=date(2026, 4, 2))  # the waiver has expired


def test_gate_refuses_unapproved_revoked_expired(registry: Registry, signer: RiskSigner) -> None:
    gate = DeploymentGate(registry)
    with pytest.raises(DeploymentRefused, match="unregistered"):
        gate.check("model", "nope")
    registry.register(BUILDER, model_version(signer))
    with pytest.raises(DeploymentRefused, match=r"v1 refused \(state: registered\)"):
        gate.check("model", "v1")
    registry.approve(REVIEWER, "model", "v1", valid_days=30)
    assert gate.check("model", "v1", on=date(2026, 3, 31)).state == "approved"
    with pytest.raises(DeploymentRefused, match="state: expired"):
        gate.check("model", "v1", on=date(2026, 4, 1))
    registry.revoke(REVIEWER, "model", "v1", "found leakage")
    with pytest.raises(DeploymentRefused, match="revoked: found leakage"):
        gate.check("model", "v1", on=date(2026, 3, 2))


def test_validity_waiver_expires(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer))
    registry.approve(REVIEWER, "model", "v1", valid_days=10)
    registry.waive(ADMIN, "model", "v1", "validity", "Re-audit scheduled", date(2026, 3, 31))
    gate = DeploymentGate(registry)
    assert gate.check("model", "v1", on=date(2026, 3, 20)).version == "v1"
    with pytest.raises(DeploymentRefused, match=r"waiver W-.* expired 2026-03-31"):
        gate.check("model", "v1", on=date(2026, 4, 1))


def test_waiver_limits(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer))
    with pytest.raises(RegistryError, match="within 366 days"):
        registry.waive(ADMIN, "model", "v1", "audit", "x", date(2027, 6, 1))
    with pytest.raises(AccessDenied):
        registry.waive(REVIEWER, "model", "v1", "audit", "x", date(2026, 6, 1))


def test_kill_switch(registry: Registry) -> None:
    gate = DeploymentGate(registry)
    assert gate.ai_lanes_enabled()
    registry.set_kill_switch(REVIEWER, True, "drift alert on valuation features")
    assert not gate.ai_lanes_enabled()
    registry.set_kill_switch(REVIEWER, False, "retrained and re-approved")
    assert gate.ai_lanes_enabled()
    assert registry.history_ok()


def test_rollback_to_previous_approved(registry: Registry, signer: RiskSigner,
                                       clock: Clock) -> None:
    gate = DeploymentGate(registry)
    registry.register(BUILDER, model_version(signer, "v1"))
    registry.approve(REVIEWER, "model", "v1")
    clock.advance(1)
    registry.register(BUILDER, model_version(signer, "v2"))
    registry.approve(REVIEWER, "model", "v2")
    assert gate.active_version("model", "line_exam_outcome") == "v2"
    back = registry.rollback(REVIEWER, "model", "line_exam_outcome", "lane churn")
    assert back.version == "v1"
    assert gate.active_version("model", "line_exam_outcome") == "v1"
    with pytest.raises(DeploymentRefused, match="withdrawn"):
        gate.check("model", "v2")
    with pytest.raises(RegistryError, match="no previous approved version"):
        registry.rollback(REVIEWER, "model", "line_exam_outcome", "again")


def test_history_chain_detects_edits(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer))
    registry.approve(REVIEWER, "model", "v1")
    assert registry.history_ok()
    path = registry.repo.path  # type: ignore[attr-defined]
    path.write_text(path.read_text().replace('"sup.bob"', '"someone.else"'))
    assert not registry.history_ok()


def test_duplicate_and_unknown(registry: Registry, signer: RiskSigner) -> None:
    registry.register(BUILDER, model_version(signer))
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(BUILDER, model_version(signer))
    with pytest.raises(RegistryError, match="not registered"):
        registry.approve(REVIEWER, "model", "v9")


def test_assessment_missing_fields_listed(signer: RiskSigner) -> None:
    ia = assessment(signer, purpose_and_benefit="", data_quality="")
    assert ia.missing_fields()[:2] == ["purpose_and_benefit", "data_quality"]
