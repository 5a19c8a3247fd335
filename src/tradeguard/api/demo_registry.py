"""The demo's model goes through the registry like any other model, before it decides anything.

The candidate was trained on the earlier days of the demo window and scored the later days in
shadow (:func:`tradeguard.governance.audit.demo.audit_demo_folder`: nothing stored, nothing
logged as a decision). The model owner registers it with its model card, high-impact
determination and signed impact assessment; the auditor runs the audit harness on that shadow
run and attaches the verdict; the supervisor, who neither built nor registered it, approves
it — which the registry refuses when the audit failed. Nothing is waived: a model that fails
stays registered and unapproved, and the demo then scores without it.

One economy: the robustness re-scoring and the canary scan are not run when another blocking
section already failed (the evidence says so), since they could not change the verdict.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tradeguard.settings import Settings

#: Who does what in the demo (accounts of :data:`tradeguard.api.demo_site.DEMO_USERS`).
REGISTRAR, AUDITOR, APPROVER, ACCOUNTABLE = "model_owner", "auditor", "supervisor", "admin"
#: Sections whose verdict needs re-scoring through the pipeline.
RESCORED = ("robustness", "security")


@dataclass(frozen=True)
class DemoModelRecord:
    """What the registry holds about the demo model after the demo was built, and what its
    shadow audit looked at (``population``: audited lines, exams, random-sample exams)."""

    version: str
    state: str
    audit_passed: bool
    failed_checks: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    evidence: str = ""
    audit_note: str = ""
    population: dict[str, Any] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        """True when the supervisor's approval went through."""
        return self.state == "approved"

    def to_json(self) -> dict[str, Any]:
        """For the demo's summary."""
        return {"version": self.version, "state": self.state, "approved": self.approved,
                "audit_passed": self.audit_passed, "failed_checks": self.failed_checks,
                "approval_refused": self.refused, "evidence": self.evidence,
                "audit": {"run": "shadow: nothing stored, nothing logged as a decision",
                          "note": self.audit_note, **self.population}}


def reset_registry(settings: Settings) -> None:
    """A fresh demo starts with an empty registry and no audit report."""
    work = Path(settings.work_dir)
    for stale in (work / "registry" / "registry.json", work / "audit" / "evidence.json",
                  work / "audit" / "report.html"):
        stale.unlink(missing_ok=True)


def govern_demo_model(settings: Settings, log: Any, run: Any,
                      policy: Any | None = None) -> DemoModelRecord:
    """Register the candidate of ``run`` (a shadow :class:`~tradeguard.governance.audit.demo.
    DemoRun`), audit it, attach the verdict and ask the supervisor to approve it."""
    from tradeguard.governance.audit.report import write_outputs
    from tradeguard.governance.impact import RiskSigner
    from tradeguard.governance.records import ArtifactKind, AuditStamp
    from tradeguard.governance.registry import ApprovalRefused, open_registry
    from tradeguard.security import Principal, Role

    artifact = run.artifact
    registry = open_registry(settings, log=log)
    signer = RiskSigner.from_settings(settings)
    today = registry.clock().date()
    registry.register(Principal(REGISTRAR, frozenset({Role.MODEL_OWNER})),
                      demo_registration(artifact, signer, today, run.cut))
    result = audit_in_shadow(run.audit_input, policy)
    _, _, digest = write_outputs(result, Path(settings.work_dir) / "audit")
    registry.attach_audit(Principal(AUDITOR, frozenset({Role.AUDITOR})), ArtifactKind.MODEL,
                          artifact.version, AuditStamp(
                              evidence_hash=digest, passed=result.passed,
                              failed_checks=result.failed_checks, run_on=today))
    refused: list[str] = []
    try:
        registry.approve(Principal(APPROVER, frozenset({Role.SUPERVISOR})), ArtifactKind.MODEL,
                         artifact.version)
    except ApprovalRefused as exc:
        refused = exc.reasons
    state = registry.find(ArtifactKind.MODEL, None, artifact.version).state.value
    population = {k: result.extra["population"][k]
                  for k in ("lines", "examined", "random_sample_examined")}
    return DemoModelRecord(artifact.version, state, result.passed, result.failed_checks,
                           refused, digest, result.data_note, population)


def demo_registration(artifact: Any, signer: Any, today: Any, trained_before: Any) -> Any:
    """The registry record of the demo model: card, determination, signed assessment."""
    from tradeguard.governance.impact import (
        IMPACT_CATEGORIES,
        HighImpactDetermination,
        ImpactAssessment,
        RiskAcceptance,
    )
    from tradeguard.governance.model_card import MetricEstimate, card_for_artifact
    from tradeguard.governance.records import ArtifactKind, RegisteredVersion

    m = artifact.metrics
    measured = f"validation split, {int(m.get('valid_rows', 0))} examined lines"
    metrics = [MetricEstimate(name=k, value=float(m[k]), measured_on=measured)
               for k in ("valid_auc", "valid_brier", "valid_precision_at_5") if k in m]
    card = card_for_artifact(artifact, REGISTRAR, metrics, (
        f"Demo declarations: {int(m.get('train_rows', 0))} examined lines of the demo window "
        f"entered before {trained_before}, with their exam outcomes, past months as history "
        "(generated data); the later days are held out for the audit"))
    determination = HighImpactDetermination(
        categories={c: c == "law_enforcement_action" for c in IMPACT_CATEGORIES},
        high_impact=True, determined_by=ACCOUNTABLE, determined_on=today,
        justification="Selects entry lines for examination: an enforcement action")
    assessment = ImpactAssessment(
        purpose_and_benefit="Rank entry lines for review or examination by an officer",
        data_quality="Contract-validated demo declarations; rejected rows quarantined",
        impacts_and_mitigations="Exam burden on importers; an officer decides each line, "
                                "notices and appeals follow every adverse action",
        reassessment_schedule="Every 6 months, and on a drift alert from monitoring",
        costs="Demo installation: one process, no staff",
        independent_review=f"Audit by {AUDITOR}; approval by {APPROVER}, who did not build it",
        risk_acceptance=RiskAcceptance(
            statement="Residual risk accepted for the demo installation only",
            accepted_by=ACCOUNTABLE, accepted_on=today),
        next_reassessment=today + timedelta(days=180)).signed(signer)
    return RegisteredVersion(
        kind=ArtifactKind.MODEL, name=artifact.name, version=artifact.version,
        artifact_hash=artifact.version, built_by=[REGISTRAR], registered_by=REGISTRAR,
        registered_at=datetime.now(UTC), description="Line model trained by the demo",
        card=card, determination=determination, assessment=assessment)


def audit_in_shadow(inp: Any, policy: Any | None = None) -> Any:
    """The audit of a shadow run under ``policy`` (default: the shipped one), re-scoring
    edited declarations only when that can change the verdict."""
    from tradeguard.governance.audit.harness import run_audit
    from tradeguard.governance.audit.policy import load_policy

    policy = policy or load_policy()
    first = run_audit(dataclasses.replace(inp, score_fn=None), policy)
    settled = [c for s in first.sections if s.name not in RESCORED
               and s.name in policy.blocking_sections for c in s.failed_checks]
    if settled or inp.score_fn is None:
        if settled:
            first.data_note += (" Robustness and the canary scan were not run: the verdict "
                                "already fails on " + ", ".join(settled) + ".")
        return first
    return run_audit(inp, policy)
