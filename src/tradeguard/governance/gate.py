"""The deployment gate: nothing decides a lane unless its exact version is approved and valid.

Fail closed: an unregistered, unapproved, revoked, withdrawn or expired version, or one whose
audit failed, is refused with :class:`DeploymentRefused` naming the version, its state and why.
A waiver only covers its one requirement until it expires. The kill switch turns AI-assisted
lanes off while rules and the random compliance sample keep working; targeting reads it
through :meth:`DeploymentGate.ai_lanes_enabled`.
"""

from __future__ import annotations

from datetime import date

from tradeguard.governance.records import ApprovalState, ArtifactKind, RegisteredVersion
from tradeguard.governance.registry import Registry, RegistryError


class DeploymentRefused(RuntimeError):
    """A version may not be used; says which, in what state and why."""

    def __init__(self, kind: str, version: str, state: str, why: str) -> None:
        self.kind, self.version, self.state, self.why = kind, version, state, why
        super().__init__(f"deployment of {kind} version {version} refused "
                         f"(state: {state}): {why}")


class DeploymentGate:
    """Read-only checks over a :class:`Registry`."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def check(self, kind: ArtifactKind | str, version: str,
              on: date | None = None) -> RegisteredVersion:
        """The approved version, or :class:`DeploymentRefused`."""
        day = on or self.registry.clock().date()
        kind_s = ArtifactKind(kind).value
        st = self.registry.state()
        try:
            v = self.registry.find(kind, None, version, st)
        except RegistryError:
            raise DeploymentRefused(kind_s, version, "unregistered",
                                    "no such version in the registry") from None
        waived = {w.requirement for w in st.waivers if w.scope == v.key and w.active(day)}
        lapsed = [w for w in st.waivers if w.scope == v.key and day > w.expires_on]
        if v.state == ApprovalState.REVOKED:
            raise DeploymentRefused(kind_s, version, v.state.value,
                                    f"revoked: {v.state_reason}")
        if v.state == ApprovalState.WITHDRAWN:
            raise DeploymentRefused(kind_s, version, v.state.value, v.state_reason)
        if v.state != ApprovalState.APPROVED:
            raise DeploymentRefused(kind_s, version, v.state.value,
                                    "not approved by an independent reviewer")
        if v.expired(day) and "validity" not in waived:
            note = f"; waiver {lapsed[-1].waiver_id} expired {lapsed[-1].expires_on}" \
                if lapsed else ""
            raise DeploymentRefused(kind_s, version, "expired",
                                    f"approval valid until {v.valid_until}{note}")
        if v.audit is not None and not v.audit.passed and "audit" not in waived:
            raise DeploymentRefused(kind_s, version, "audit_failed",
                                    "latest audit failed: " + ", ".join(v.audit.failed_checks))
        return v

    def active_version(self, kind: ArtifactKind | str, name: str) -> str | None:
        """The version currently active for ``name`` (after approvals and rollbacks)."""
        return self.registry.state().active.get(f"{ArtifactKind(kind).value}:{name}")

    def ai_lanes_enabled(self) -> bool:
        """False while the kill switch is engaged: score with rules and random selection only."""
        return self.registry.state().ai_lanes_enabled
