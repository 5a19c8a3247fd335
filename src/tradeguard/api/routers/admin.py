"""Administration: user accounts, API keys, training records, the access record, and the
risk profiles (see :mod:`tradeguard.api.routers.risk_profiles`)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from fastapi import APIRouter

from tradeguard.api.accounts import create_api_key, create_user, list_accounts, set_active
from tradeguard.api.deps import PageDep, PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers import risk_profiles
from tradeguard.api.schemas import ApiKeyIn, ApiKeyOut, Page, TrainingIn, UserIn, UserOut, page_of
from tradeguard.decisions.training import record_training
from tradeguard.security import Permission, Resource

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
router.include_router(risk_profiles.router)


@router.get("/users", response_model=list[UserOut], summary="User accounts")
def users(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every account with its roles (never a password hash)."""
    services.workflow.check(principal, Permission.USER_ADMIN, Resource("user", "*"))
    return [dataclasses.asdict(a) for a in list_accounts(services.engine)]


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user")
def add_user(body: UserIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Create an account; importer users must name their importer of record."""
    services.workflow.check(principal, Permission.USER_ADMIN, Resource("user", body.username))
    try:
        account = create_user(services.engine, body.username, body.password, body.roles,
                              importer_id=body.importer_id, display_name=body.display_name,
                              created_by=principal.subject_id)
    except ValueError as exc:
        raise ApiProblem(422, str(exc), kind="invalid-input") from exc
    return dataclasses.asdict(account)


@router.post("/users/{username}/disable", response_model=dict[str, str],
             summary="Disable a user")
def disable(username: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The account's tokens stop working at once."""
    services.workflow.check(principal, Permission.USER_ADMIN, Resource("user", username))
    set_active(services.engine, username, False)
    return {"username": username, "status": "disabled"}


@router.post("/api-keys", response_model=ApiKeyOut, status_code=201, summary="Issue an API key")
def add_key(body: ApiKeyIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """A key for a system; the full key is returned once and never stored."""
    services.workflow.check(principal, Permission.USER_ADMIN, Resource("api_key", body.name))
    try:
        key_id, key = create_api_key(services.engine, body.name, body.roles,
                                     importer_id=body.importer_id,
                                     created_by=principal.subject_id)
    except ValueError as exc:
        raise ApiProblem(422, str(exc), kind="invalid-input") from exc
    return {"key_id": key_id, "api_key": key}


@router.post("/training", status_code=201, summary="Record completed training")
def training(body: TrainingIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Only trained users may act on AI output; this records who completed which course."""
    try:
        done = date.fromisoformat(body.completed_on)
        until = date.fromisoformat(body.expires_on) if body.expires_on else None
        record = record_training(services.workflow.store, principal, body.subject_id, done,
                                 until, body.course)
    except ValueError as exc:
        raise ApiProblem(422, str(exc), kind="invalid-input") from exc
    out = dataclasses.asdict(record)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}


@router.get("/access-log", response_model=Page[dict[str, Any]], summary="Who read what")
def access_log(principal: PrincipalDep, services: ServicesDep, page: PageDep) -> Any:
    """Granted and refused access attempts, newest first."""
    wf = services.workflow
    wf.check(principal, Permission.ACCESS_LOG_READ, Resource("access_log"))
    assert wf.access_log is not None
    events = list(reversed(wf.access_log.events()))
    chosen = events[page.offset: page.offset + page.limit]
    items = [{**dataclasses.asdict(e), "at": e.at.isoformat()} for e in chosen]
    return page_of(items, len(events), page.limit, page.offset)
