"""The registry of models, rule-profile sets and watch-list versions, and its approval rules.

Approval is where accountability bites: it needs the approve permission, an approver who did
not build or register the version (independent review), a complete high-impact determination,
for models a complete model card and a signed seven-part impact assessment, and a passing
audit (or an active waiver). Every change is appended to a hash-chained history and, when a
decision log is attached, to the log as well (register, approve, revoke, roll back, kill
switch, waive). Free-text reasons enter the log only as commitments; the salt is derived from
the history entry's hash, so whoever holds the registry can open them and nobody else can.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tradeguard.governance.impact import RiskSigner, content_hash
from tradeguard.governance.records import (
    ApprovalState,
    ArtifactKind,
    AuditStamp,
    HistoryEntry,
    RegisteredVersion,
    RegistryState,
    Waiver,
)
from tradeguard.security import Permission, Principal, require

if TYPE_CHECKING:
    from tradeguard.decisions.events import Opening

REGISTRY_FILE = "registry.json"
WAIVER_MAX_DAYS = 366
WAIVER_REQUIREMENTS = ("audit", "validity", "impact_assessment")


class RegistryError(ValueError):
    """A registry request that cannot be carried out (unknown version, bad input)."""


class ApprovalRefused(RegistryError):
    """Approval refused, with every reason."""

    def __init__(self, key: str, reasons: list[str]) -> None:
        self.key, self.reasons = key, reasons
        super().__init__(f"approval of {key} refused: " + "; ".join(reasons))


class RegistryRepository(Protocol):
    """Where the registry state lives (a JSON file today, database tables later)."""

    def load(self) -> RegistryState: ...

    def save(self, state: RegistryState) -> None: ...


class JsonRegistryRepository:
    """The registry as one JSON document in ``directory`` (written atomically)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / REGISTRY_FILE

    def load(self) -> RegistryState:
        if not self.path.is_file():
            return RegistryState()
        try:
            return RegistryState.model_validate_json(self.path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RegistryError(f"{self.path}: not a valid registry file: {exc}") from exc

    def save(self, state: RegistryState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".registry-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(state.model_dump_json(indent=2))
        os.replace(tmp, self.path)


def _chain(prev: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((prev + json.dumps(body, sort_keys=True, default=str)).encode()
                          ).hexdigest()


class Registry:
    """Registry operations over a repository; ``log`` (a TransparencyLog) is optional."""

    def __init__(self, repo: RegistryRepository, signer: RiskSigner, log: Any | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.repo, self.signer, self.log, self.clock = repo, signer, log, clock

    # ---- reading
    def state(self) -> RegistryState:
        """The current state (fresh from the repository)."""
        return self.repo.load()

    def find(self, kind: ArtifactKind | str, name: str | None, version: str,
             state: RegistryState | None = None) -> RegisteredVersion:
        """The registered version, or :class:`RegistryError` naming what was asked for."""
        st = state or self.repo.load()
        hits = [v for v in st.versions if v.kind == ArtifactKind(kind) and v.version == version
                and (name is None or v.name == name)]
        if not hits:
            raise RegistryError(f"{ArtifactKind(kind).value} version {version!r} is not "
                                "registered")
        return hits[0]

    def history_ok(self) -> bool:
        """True when the change history's hash chain is intact."""
        prev = ""
        for h in self.repo.load().history:
            body = h.model_dump(mode="json", exclude={"entry_hash"})
            if h.prev_hash != prev or _chain(prev, body) != h.entry_hash:
                return False
            prev = h.entry_hash
        return True

    # ---- writing
    def _record(self, st: RegistryState, actor: str, action: str, subject: str,
                detail: str) -> HistoryEntry:
        prev = st.history[-1].entry_hash if st.history else ""
        draft = HistoryEntry(at=self.clock(), actor=actor, action=action, subject=subject,
                             detail=detail, prev_hash=prev, entry_hash="")
        body = draft.model_dump(mode="json", exclude={"entry_hash"})
        entry = draft.model_copy(update={"entry_hash": _chain(prev, body)})
        st.history.append(entry)
        self.repo.save(st)
        return entry

    def register(self, principal: Principal, entry: RegisteredVersion) -> RegisteredVersion:
        """Register a new version (state ``registered``); duplicates are refused."""
        require(principal, Permission.MODEL_REGISTER)
        st = self.repo.load()
        if any(v.key == entry.key for v in st.versions):
            raise RegistryError(f"{entry.key} is already registered")
        if entry.registered_by != principal.subject_id:
            entry = entry.model_copy(update={"registered_by": principal.subject_id})
        entry = entry.model_copy(update={"state": ApprovalState.REGISTERED,
                                         "approved_by": None, "approved_at": None})
        st.versions.append(entry)
        self._record(st, principal.subject_id, "register", entry.key, entry.artifact_hash)
        if self.log is not None:
            from tradeguard.decisions import ModelRegistered

            card_hash = entry.card.card_hash() if entry.card else content_hash(
                entry.model_dump(mode="json"))
            self.log.append(ModelRegistered(
                model_id=f"{entry.kind.value}:{entry.name}", version=entry.version,
                artifact_hash=entry.artifact_hash, card_hash=card_hash,
                registered_by=principal.subject_id))
        return entry

    def attach_audit(self, principal: Principal, kind: ArtifactKind | str, version: str,
                     stamp: AuditStamp) -> None:
        """Record the audit a version is judged on (its verdict feeds approval and the gate)."""
        require(principal, Permission.AUDIT_RUN)
        st = self.repo.load()
        v = self.find(kind, None, version, st)
        v.audit = stamp
        self._record(st, principal.subject_id, "audit", v.key,
                     f"{'passed' if stamp.passed else 'failed'} {stamp.evidence_hash}")

    def approval_problems(self, v: RegisteredVersion, approver: str, on: date,
                          waivers: list[Waiver]) -> list[str]:
        """Every reason ``approver`` may not approve ``v`` on ``on`` (empty = may approve)."""
        waived = {w.requirement for w in waivers if w.scope == v.key and w.active(on)}
        out: list[str] = []
        if v.state != ApprovalState.REGISTERED:
            out.append(f"state is {v.state.value}, only a registered version can be approved")
        if approver in v.built_by or approver == v.registered_by:
            out.append(f"independent review required: {approver} built or registered "
                       "this version")
        if v.determination is None:
            out.append("no high-impact determination")
        else:
            out += [p for p in v.determination.problems() if "not blocking" not in p]
        if v.kind == ArtifactKind.MODEL or (v.determination and v.determination.high_impact):
            if v.kind == ArtifactKind.MODEL:
                if v.card is None:
                    out.append("no model card")
                else:
                    out += [f"model card field empty: {p}" for p in v.card.problems()]
            if "impact_assessment" not in waived:
                if v.assessment is None:
                    out.append("no impact assessment")
                else:
                    out += [f"impact assessment field empty: {f}"
                            for f in v.assessment.missing_fields()]
                    if (v.assessment.risk_acceptance and v.assessment.risk_acceptance.signature
                            and not v.assessment.signature_valid(self.signer)):
                        out.append("risk acceptance signature does not verify")
            if "audit" not in waived:
                if v.audit is None:
                    out.append("no audit attached")
                elif not v.audit.passed:
                    out.append("audit failed: " + ", ".join(v.audit.failed_checks))
        return out

    def approve(self, principal: Principal, kind: ArtifactKind | str, version: str, *,
                valid_days: int = 365, reassess_days: int = 180) -> RegisteredVersion:
        """Approve and activate ``version``; :class:`ApprovalRefused` lists every reason not to."""
        require(principal, Permission.MODEL_APPROVE)
        st = self.repo.load()
        v = self.find(kind, None, version, st)
        today = self.clock().date()
        problems = self.approval_problems(v, principal.subject_id, today, st.waivers)
        if problems:
            raise ApprovalRefused(v.key, problems)
        v.state, v.approved_by, v.approved_at = (ApprovalState.APPROVED, principal.subject_id,
                                                 self.clock())
        v.valid_until = today + timedelta(days=valid_days)
        reassess = today + timedelta(days=reassess_days)
        if v.assessment and v.assessment.next_reassessment:
            reassess = min(reassess, v.assessment.next_reassessment)
        v.reassess_by = reassess
        st.active[f"{v.kind.value}:{v.name}"] = v.version
        self._record(st, principal.subject_id, "approve", v.key, f"valid until {v.valid_until}")
        if self.log is not None:
            from tradeguard.decisions.events import ModelApproved

            self.log.append(ModelApproved(
                model_id=f"{v.kind.value}:{v.name}", version=v.version,
                artifact_hash=v.artifact_hash, approved_by=principal.subject_id,
                valid_until=v.valid_until.isoformat(),
                audit_evidence_hash=v.audit.evidence_hash if v.audit else None,
                waivers=tuple(sorted(w.waiver_id for w in st.waivers
                                     if w.scope == v.key and w.active(today)))))
        return v

    def revoke(self, principal: Principal, kind: ArtifactKind | str, version: str,
               reason: str) -> RegisteredVersion:
        """Revoke a version for good; if it was active, the previous approved one takes over."""
        require(principal, Permission.MODEL_APPROVE)
        if not reason.strip():
            raise RegistryError("a revocation needs a reason")
        st = self.repo.load()
        v = self.find(kind, None, version, st)
        v.state, v.state_reason = ApprovalState.REVOKED, reason
        slot = f"{v.kind.value}:{v.name}"
        if st.active.get(slot) == v.version:
            prev = self._previous_approved(st, v)
            if prev is None:
                st.active.pop(slot)
            else:
                st.active[slot] = prev.version
        entry = self._record(st, principal.subject_id, "revoke", v.key, reason)
        if self.log is not None:
            from tradeguard.decisions.events import ModelRevoked

            self.log.append(ModelRevoked(
                model_id=slot, version=v.version, revoked_by=principal.subject_id,
                reason_commitment=history_opening(entry).commitment(),
                active_version=st.active.get(slot)))
        return v

    @staticmethod
    def _previous_approved(st: RegistryState, v: RegisteredVersion) -> RegisteredVersion | None:
        older = [o for o in st.versions if o.kind == v.kind and o.name == v.name
                 and o.version != v.version and o.state == ApprovalState.APPROVED
                 and o.approved_at is not None]
        return max(older, key=lambda o: o.approved_at or datetime.min) if older else None

    def rollback(self, principal: Principal, kind: ArtifactKind | str, name: str,
                 reason: str) -> RegisteredVersion:
        """Withdraw the active version of ``name``; the previous approved version takes over."""
        require(principal, Permission.MODEL_APPROVE)
        st = self.repo.load()
        slot = f"{ArtifactKind(kind).value}:{name}"
        current = st.active.get(slot)
        if current is None:
            raise RegistryError(f"no active version of {slot} to roll back")
        v = self.find(kind, name, current, st)
        prev = self._previous_approved(st, v)
        if prev is None:
            raise RegistryError(f"{slot}: no previous approved version to roll back to")
        v.state, v.state_reason = ApprovalState.WITHDRAWN, f"rolled back: {reason}"
        st.active[slot] = prev.version
        entry = self._record(st, principal.subject_id, "rollback", v.key,
                             f"to {prev.version}: {reason}")
        if self.log is not None:
            from tradeguard.decisions.events import ModelRolledBack

            self.log.append(ModelRolledBack(
                model_id=slot, from_version=v.version, to_version=prev.version,
                rolled_back_by=principal.subject_id,
                reason_commitment=history_opening(entry).commitment()))
        return prev

    def set_kill_switch(self, principal: Principal, engaged: bool, reason: str) -> None:
        """Engage (AI-assisted lanes off: rules and random selection only) or release."""
        require(principal, Permission.MODEL_APPROVE)
        if not reason.strip():
            raise RegistryError("the kill switch needs a reason")
        st = self.repo.load()
        st.ai_lanes_enabled, st.kill_switch_reason = (not engaged), reason
        entry = self._record(st, principal.subject_id, "kill_switch",
                             "engaged" if engaged else "released", reason)
        if self.log is not None:
            from tradeguard.decisions.events import KillSwitchChanged

            self.log.append(KillSwitchChanged(
                engaged=engaged, changed_by=principal.subject_id,
                reason_commitment=history_opening(entry).commitment()))

    def waive(self, principal: Principal, kind: ArtifactKind | str, version: str,
              requirement: str, justification: str, expires_on: date) -> Waiver:
        """Grant a signed waiver of one requirement, at most a year long."""
        require(principal, Permission.WAIVER_GRANT)
        if requirement not in WAIVER_REQUIREMENTS:
            raise RegistryError(f"requirement must be one of {WAIVER_REQUIREMENTS}, "
                                f"got {requirement!r}")
        if not justification.strip():
            raise RegistryError("a waiver needs a justification")
        today = self.clock().date()
        if not today < expires_on <= today + timedelta(days=WAIVER_MAX_DAYS):
            raise RegistryError(f"expires_on must be after today and within {WAIVER_MAX_DAYS} "
                                f"days (waivers are annual), got {expires_on}")
        st = self.repo.load()
        v = self.find(kind, None, version, st)
        wid = "W-" + content_hash([v.key, requirement, today, len(st.waivers)])[:12]
        waiver = Waiver(waiver_id=wid, scope=v.key, requirement=requirement,
                        justification=justification, signed_by=principal.subject_id,
                        granted_on=today, expires_on=expires_on,
                        omb_report_due=today + timedelta(days=30))
        st.waivers.append(waiver)
        self._record(st, principal.subject_id, "waive", v.key, f"{requirement} to {expires_on}")
        if self.log is not None:
            from tradeguard.decisions import WaiverGranted, seal

            commitment, _ = seal({"justification": justification})
            self.log.append(WaiverGranted(waiver_id=wid, scope=f"{v.key}#{requirement}",
                                          signed_by=principal.subject_id,
                                          expires_on=expires_on.isoformat(),
                                          justification_commitment=commitment))
        return waiver


def history_opening(entry: HistoryEntry) -> Opening:
    """The opening of the logged commitment to a history entry's reason (its ``detail``).

    The salt comes from the entry's chained hash: the registry holder can reveal the reason to
    an inspector, while log witnesses, who never see the registry, learn nothing from it.
    """
    from tradeguard.decisions.events import Opening

    salt = hashlib.sha256(b"tradeguard registry reason\x00" + entry.entry_hash.encode()).digest()
    return Opening(salt[:16], {"action": entry.action, "subject": entry.subject,
                               "detail": entry.detail})


def open_registry(settings: Any, log: Any | None = None,
                  directory: Path | None = None) -> Registry:
    """The JSON-file registry under ``settings.work_dir / 'registry'``."""
    where = directory or Path(settings.work_dir) / "registry"
    return Registry(JsonRegistryRepository(where), RiskSigner.from_settings(settings), log)
