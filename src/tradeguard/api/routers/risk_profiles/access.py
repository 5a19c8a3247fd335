"""Who may read, propose and approve risk profiles.

Profile sets decide lanes just as the model does, so they follow the registry's separation of
duties: analysts write and propose (``profile:edit``); a version takes effect only when someone
holding ``model:approve`` — the permission :meth:`Registry.approve` requires, which the role
matrix gives to supervisors — approves it, and never on the proposer's own say-so.
"""

from __future__ import annotations

from tradeguard.api.services import Services
from tradeguard.security import Permission, Principal, Resource
from tradeguard.security.roles import allowed

RESOURCE = Resource("risk_profiles")
#: Who may read the set: those who write profiles, those who oversee targeting (supervisors
#: and auditors among them, so approvers see what they approve), and administrators.
VIEW_PERMISSIONS = (Permission.PROFILE_EDIT, Permission.MONITORING_READ, Permission.USER_ADMIN)
#: Proposing a publication.
PROPOSE_PERMISSION = Permission.PROFILE_EDIT
#: Approving or rejecting a pending publication: the registry's approval permission.
APPROVE_PERMISSION = Permission.MODEL_APPROVE


def check_view(services: Services, principal: Principal) -> None:
    """Require one of :data:`VIEW_PERMISSIONS` through the workflow's (logged) check."""
    for permission in VIEW_PERMISSIONS:
        if allowed(principal, permission, RESOURCE):
            services.workflow.check(principal, permission, RESOURCE)
            return
    services.workflow.check(principal, VIEW_PERMISSIONS[0], RESOURCE)  # refused, and logged


def may_publish(principal: Principal) -> bool:
    """For showing the publish form; the proposal itself is checked where it is made."""
    return allowed(principal, PROPOSE_PERMISSION, RESOURCE)


def may_approve(principal: Principal) -> bool:
    """For showing the approve/reject form; the decision itself is checked where it is made."""
    return allowed(principal, APPROVE_PERMISSION, RESOURCE)
