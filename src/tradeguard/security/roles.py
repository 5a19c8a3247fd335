"""Roles and permissions as data, and the one check every interface calls.

Permissions are granted to roles by the table :data:`ROLE_PERMISSIONS`, not by code paths, so
the grant matrix can be printed, reviewed and tested as a whole. Duties are separated on
purpose: an administrator manages accounts but cannot decide on entries; an auditor reads and
verifies but cannot change anything; an importer sees only its own records (see
:mod:`tradeguard.security.tenancy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Who a user is in the targeting and accountability process."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    MODEL_OWNER = "model_owner"
    IMPORTER = "importer"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a principal may do; ``<resource>:<verb>``."""

    ENTRY_READ = "entry:read"
    ASSESSMENT_READ = "assessment:read"
    DECISION_RECORD = "decision:record"
    DECISION_OVERRIDE = "decision:override"
    NOTICE_SEND = "notice:send"
    NOTICE_READ = "notice:read"
    APPEAL_FILE = "appeal:file"
    APPEAL_REVIEW = "appeal:review"
    CONFIDENTIAL_READ = "confidential:read"
    PROFILE_EDIT = "profile:edit"
    MODEL_REGISTER = "model:register"
    MODEL_APPROVE = "model:approve"
    MONITORING_READ = "monitoring:read"
    AUDIT_RUN = "audit:run"
    LOG_VERIFY = "log:verify"
    COMMITMENT_REVEAL = "commitment:reveal"
    VENDOR_EXPORT = "vendor:export"
    WAIVER_GRANT = "waiver:grant"
    USER_ADMIN = "user:admin"
    ACCESS_LOG_READ = "access_log:read"
    DATA_LOAD = "data:load"
    INVESTIGATION_READ = "investigation:read"


_P = Permission
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(
        {
            _P.ENTRY_READ,
            _P.ASSESSMENT_READ,
            _P.DECISION_RECORD,
            _P.NOTICE_SEND,
            _P.NOTICE_READ,
            _P.CONFIDENTIAL_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            _P.ENTRY_READ,
            _P.ASSESSMENT_READ,
            _P.DECISION_RECORD,
            _P.DECISION_OVERRIDE,
            _P.NOTICE_SEND,
            _P.NOTICE_READ,
            _P.APPEAL_REVIEW,
            _P.CONFIDENTIAL_READ,
            _P.MODEL_APPROVE,
            _P.MONITORING_READ,
            _P.INVESTIGATION_READ,
        }
    ),
    Role.ANALYST: frozenset(
        {
            _P.ENTRY_READ,
            _P.ASSESSMENT_READ,
            _P.PROFILE_EDIT,
            _P.MONITORING_READ,
            _P.VENDOR_EXPORT,
            _P.DATA_LOAD,
            _P.INVESTIGATION_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            _P.ENTRY_READ,
            _P.ASSESSMENT_READ,
            _P.NOTICE_READ,
            _P.MONITORING_READ,
            _P.AUDIT_RUN,
            _P.LOG_VERIFY,
            _P.COMMITMENT_REVEAL,
            _P.ACCESS_LOG_READ,
        }
    ),
    Role.MODEL_OWNER: frozenset(
        {_P.ASSESSMENT_READ, _P.MODEL_REGISTER, _P.MONITORING_READ, _P.AUDIT_RUN}
    ),
    Role.IMPORTER: frozenset(
        {_P.ENTRY_READ, _P.ASSESSMENT_READ, _P.NOTICE_READ, _P.APPEAL_FILE, _P.LOG_VERIFY}
    ),
    Role.ADMIN: frozenset(
        {_P.USER_ADMIN, _P.WAIVER_GRANT, _P.ACCESS_LOG_READ, _P.LOG_VERIFY, _P.DATA_LOAD}
    ),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user; importer users carry the importer of record they act for."""

    subject_id: str
    roles: frozenset[Role]
    importer_id: str | None = None

    @property
    def is_importer(self) -> bool:
        """Importer principals are tenant-scoped, whatever other roles they hold."""
        return Role.IMPORTER in self.roles


@dataclass(frozen=True, slots=True)
class Resource:
    """What is being accessed; ``importer_id`` ties it to one importer's data."""

    kind: str
    resource_id: str = ""
    importer_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


class AccessDenied(PermissionError):
    """Raised by :func:`require`; says who was refused what, on which resource, and why."""

    def __init__(
        self, principal: Principal, permission: Permission, resource: Resource | None, reason: str
    ) -> None:
        target = f" on {resource.kind} {resource.resource_id}".rstrip() if resource else ""
        super().__init__(f"{principal.subject_id}: {permission.value}{target} denied: {reason}")
        self.principal = principal
        self.permission = permission
        self.resource = resource
        self.reason = reason


def permissions_of(principal: Principal) -> frozenset[Permission]:
    """Union of the permissions of the principal's roles."""
    granted: frozenset[Permission] = frozenset()
    for role in principal.roles:
        granted |= ROLE_PERMISSIONS[role]
    return granted


def require(principal: Principal, permission: Permission, resource: Resource | None = None) -> None:
    """Raise :class:`AccessDenied` unless ``principal`` may do ``permission`` on ``resource``.

    Importer principals are additionally confined to resources of their own importer id; a
    resource with no importer id is not theirs (fail closed).
    """
    if permission not in permissions_of(principal):
        roles = ",".join(sorted(principal.roles)) or "none"
        raise AccessDenied(principal, permission, resource, f"no role grants it (roles: {roles})")
    if principal.is_importer:
        if principal.importer_id is None:
            raise AccessDenied(principal, permission, resource, "importer user without importer id")
        if resource is not None and resource.importer_id != principal.importer_id:
            raise AccessDenied(principal, permission, resource, "belongs to another importer")


def allowed(principal: Principal, permission: Permission, resource: Resource | None = None) -> bool:
    """True when :func:`require` would pass (for menus and buttons, never for enforcement)."""
    try:
        require(principal, permission, resource)
    except AccessDenied:
        return False
    return True
