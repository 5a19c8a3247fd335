"""Operator training records: only users with current training may act on AI output.

M-25-21 asks that operators of high-impact AI are trained; the evidence is a roster of who
completed which course when, and a refusal when someone untrained tries to act. Records carry
a completion and an expiry date; a record counts on the days between them, inclusive, so a
lapsed refresher blocks the officer the day after it expires.
"""

from __future__ import annotations

from datetime import date, timedelta

from tradeguard.decisions.workflow_records import TrainingRecord, WorkflowStore
from tradeguard.security import AccessDenied, Permission, Principal, Resource, require

#: The course every officer and reviewer needs before acting on AI-assisted targeting.
AI_TARGETING_COURSE = "ai-assisted-targeting"
DEFAULT_VALIDITY = timedelta(days=365)


class TrainingRequired(AccessDenied):
    """The principal has no current training record for the course the action needs."""

    def __init__(self, principal: Principal, permission: Permission, course: str, on: date):
        super().__init__(
            principal,
            permission,
            Resource("training", course),
            f"no current '{course}' training on {on.isoformat()}",
        )
        self.course = course


def record_training(
    store: WorkflowStore,
    principal: Principal,
    subject_id: str,
    completed_on: date,
    expires_on: date | None = None,
    course: str = AI_TARGETING_COURSE,
) -> TrainingRecord:
    """Record a completed course for ``subject_id`` (user administrators only)."""
    require(principal, Permission.USER_ADMIN, Resource("training", subject_id))
    expiry = expires_on or completed_on + DEFAULT_VALIDITY
    if not subject_id.strip() or not course.strip():
        raise ValueError("training record: subject_id and course are required")
    if expiry < completed_on:
        raise ValueError(
            f"training record for {subject_id}: expires_on {expiry} is before "
            f"completed_on {completed_on}"
        )
    record = TrainingRecord(subject_id, course, completed_on, expiry, principal.subject_id)
    store.add_training(record)
    return record


def is_trained(
    store: WorkflowStore, subject_id: str, on: date, course: str = AI_TARGETING_COURSE
) -> bool:
    """True when a record for ``course`` covers the day ``on``."""
    return any(
        r.course == course and r.completed_on <= on <= r.expires_on
        for r in store.training(subject_id)
    )


def require_training(
    store: WorkflowStore,
    principal: Principal,
    permission: Permission,
    on: date,
    course: str = AI_TARGETING_COURSE,
) -> None:
    """Raise :class:`TrainingRequired` unless the principal is trained on day ``on``."""
    if not is_trained(store, principal.subject_id, on, course):
        raise TrainingRequired(principal, permission, course, on)


def training_roster(
    store: WorkflowStore, principal: Principal, subject_ids: list[str]
) -> list[TrainingRecord]:
    """Every record of the named users, for the G8 evidence roster (auditors and admins)."""
    require(principal, Permission.ACCESS_LOG_READ, Resource("training"))
    return [r for s in subject_ids for r in store.training(s)]
