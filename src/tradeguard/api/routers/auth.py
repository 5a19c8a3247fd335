"""Logging in: OAuth2 password flow for people; who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from tradeguard.api.accounts import authenticate
from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.deps import PrincipalDep, ServicesDep, throttle
from tradeguard.api.problems import ApiProblem
from tradeguard.api.schemas import MeOut, TokenOut
from tradeguard.security.roles import permissions_of

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def client_address(request: Request) -> str:
    """The caller's address, for rate-limiting unauthenticated calls."""
    return f"ip:{request.client.host if request.client else 'unknown'}"


@router.post("/token", response_model=TokenOut, summary="Log in (OAuth2 password flow)")
def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()],
    services: ServicesDep,
) -> Any:
    """Exchange a username and password for a bearer token."""
    throttle(services, client_address(request))
    try:
        account = authenticate(services.engine, form.username, form.password)
    except InvalidCredentials as exc:
        raise ApiProblem(401, "wrong username or password", kind="unauthenticated",
                         headers={"WWW-Authenticate": "Bearer"}) from exc
    return {"access_token": services.tokens.issue(account.username),
            "token_type": "bearer", "expires_in": services.tokens.ttl_seconds}


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(principal: PrincipalDep) -> Any:
    """The caller's roles, importer and permissions (for menus; enforcement is per call)."""
    return {"subject_id": principal.subject_id, "roles": sorted(principal.roles),
            "importer_id": principal.importer_id,
            "permissions": sorted(p.value for p in permissions_of(principal))}
