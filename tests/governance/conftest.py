"""Registry fixtures: a JSON registry in a temp folder and principals with real roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tradeguard.governance.impact import (
    IMPACT_CATEGORIES,
    HighImpactDetermination,
    ImpactAssessment,
    RiskAcceptance,
    RiskSigner,
)
from tradeguard.governance.model_card import MetricEstimate, ModelCard
from tradeguard.governance.records import ArtifactKind, AuditStamp, RegisteredVersion
from tradeguard.governance.registry import JsonRegistryRepository, Registry
from tradeguard.security import Principal, Role

BUILDER = Principal("ds.alice", frozenset({Role.MODEL_OWNER}))
REVIEWER = Principal("sup.bob", frozenset({Role.SUPERVISOR}))
ADMIN = Principal("caio.carol", frozenset({Role.ADMIN}))
AUDITOR = Principal("aud.dan", frozenset({Role.AUDITOR}))


class Clock:
    """A settable clock so expiry can be tested without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer() -> RiskSigner:
    return RiskSigner(secret="test-secret")


@pytest.fixture
def registry(tmp_path: Path, signer: RiskSigner, clock: Clock) -> Registry:
    return Registry(JsonRegistryRepository(tmp_path / "registry"), signer, clock=clock)


def assessment(signer: RiskSigner, **blank: str) -> ImpactAssessment:
    """A complete, signed assessment; keyword arguments blank out fields."""
    fields = {"purpose_and_benefit": "Rank lines for exams; more duty recovered per exam",
              "data_quality": "Contract-validated entries; rejects quarantined",
              "impacts_and_mitigations": "Exam burden on importers; officer decides",
              "reassessment_schedule": "Every 6 months or on drift alert",
              "costs": "Two analysts, one server", "independent_review": "Passed by sup.bob"}
    fields.update(blank)
    ia = ImpactAssessment(
        **fields, next_reassessment=date(2026, 9, 1),
        risk_acceptance=RiskAcceptance(statement="Residual risk accepted",
                                       accepted_by="caio.carol", accepted_on=date(2026, 2, 1)))
    return ia.signed(signer)


def model_version(signer: RiskSigner, version: str = "v1", audit_passed: bool = True,
                  **blank: str) -> RegisteredVersion:
    card = ModelCard(name="line_exam_outcome", version=version, owner="ds.alice",
                     intended_uses=["rank lines"], out_of_scope_uses=["automatic holds"],
                     training_data="exams 2025", training_snapshot_hash="ab" * 32,
                     metrics=[MetricEstimate(name="lift@5", value=3.0, low=2.0, high=4.0)],
                     limitations=["selective labels"], artifact_hash=version)
    det = HighImpactDetermination(
        categories={c: c == "law_enforcement_action" for c in IMPACT_CATEGORIES},
        high_impact=True, justification="Selects shipments for exams",
        determined_by="caio.carol", determined_on=date(2026, 2, 1))
    return RegisteredVersion(
        kind=ArtifactKind.MODEL, name="line_exam_outcome", version=version,
        artifact_hash=version, built_by=["ds.alice"], registered_by="ds.alice",
        registered_at=datetime(2026, 2, 1, tzinfo=UTC), card=card, determination=det,
        assessment=assessment(signer, **blank),
        audit=AuditStamp(evidence_hash="e" * 64, passed=audit_passed,
                         failed_checks=[] if audit_passed else ["efficacy.lift_lower_at_5pct"],
                         run_on=date(2026, 2, 20)))
