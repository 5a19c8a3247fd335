"""The registry's records: registered versions, waivers and the change history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.governance.impact import HighImpactDetermination, ImpactAssessment
from tradeguard.governance.model_card import ModelCard


class ArtifactKind(StrEnum):
    """What is registered: the three things that decide a lane."""

    MODEL = "model"
    RULE_PROFILES = "rule_profiles"
    WATCH_LIST = "watch_list"


class ApprovalState(StrEnum):
    """Approval life cycle; expiry is computed from ``valid_until`` at check time."""

    REGISTERED = "registered"
    APPROVED = "approved"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"  # rolled back: approved once, no longer the active version


class AuditStamp(BaseModel):
    """The audit a version was judged on: the evidence hash and the verdict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence_hash: str
    passed: bool
    failed_checks: list[str] = Field(default_factory=list)
    run_on: date


class RegisteredVersion(BaseModel):
    """One version of a model, rule-profile set or watch list, and its accountability."""

    model_config = ConfigDict(extra="forbid")

    kind: ArtifactKind
    name: str
    version: str
    artifact_hash: str
    built_by: list[str]
    registered_by: str
    registered_at: datetime
    description: str = ""
    card: ModelCard | None = None
    determination: HighImpactDetermination | None = None
    assessment: ImpactAssessment | None = None
    audit: AuditStamp | None = None
    state: ApprovalState = ApprovalState.REGISTERED
    approved_by: str | None = None
    approved_at: datetime | None = None
    valid_until: date | None = None
    reassess_by: date | None = None
    state_reason: str = ""

    @property
    def key(self) -> str:
        """``kind:name:version`` — how waivers and history name it."""
        return f"{self.kind.value}:{self.name}:{self.version}"

    def expired(self, on: date) -> bool:
        """True when the approval's validity has run out on ``on``."""
        return self.valid_until is not None and on > self.valid_until


class Waiver(BaseModel):
    """A signed, time-limited exemption from one requirement for one version (M-25-21 4(a)(ii))."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    waiver_id: str
    scope: str  # kind:name:version
    requirement: str  # audit | validity | impact_assessment
    justification: str
    signed_by: str
    granted_on: date
    expires_on: date
    omb_report_due: date

    def active(self, on: date) -> bool:
        """True from grant to expiry inclusive."""
        return self.granted_on <= on <= self.expires_on


class HistoryEntry(BaseModel):
    """One change, chained to the previous one by hash so edits to the file show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str
    entry_hash: str


class RegistryState(BaseModel):
    """Everything the registry holds; one JSON document in the file implementation."""

    model_config = ConfigDict(extra="forbid")

    versions: list[RegisteredVersion] = Field(default_factory=list)
    waivers: list[Waiver] = Field(default_factory=list)
    active: dict[str, str] = Field(default_factory=dict)  # kind:name -> version
    ai_lanes_enabled: bool = True
    kill_switch_reason: str = ""
    history: list[HistoryEntry] = Field(default_factory=list)
