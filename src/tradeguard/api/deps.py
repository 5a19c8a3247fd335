"""Request dependencies: the services, the authenticated principal, paging parameters.

Authentication is OAuth2 bearer tokens for people and ``X-API-Key`` for systems. Every
authenticated request also spends one token of its client's rate-limit bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from tradeguard.api.accounts import get_account, principal_for_key
from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.problems import ApiProblem
from tradeguard.api.services import Services
from tradeguard.security import Principal

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_services(request: Request) -> Services:
    """The services the app was built with."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def principal_from_token(services: Services, token: str) -> Principal:
    """The principal of a session or bearer token; the account must still be active."""
    username = services.tokens.subject(token)
    account = get_account(services.engine, username)
    if account is None or not account.active:
        raise InvalidCredentials("account no longer active")
    return account.principal()


def throttle(services: Services, client: str) -> None:
    """Spend one request from ``client``'s bucket, or answer 429 with Retry-After."""
    wait = services.limiter.take(client)
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise ApiProblem(429, f"rate limit exceeded; retry in {seconds} s", kind="rate-limited",
                         headers={"Retry-After": str(seconds)})


def current_principal(
    services: ServicesDep,
    token: Annotated[str | None, Depends(oauth2)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """The caller, from a bearer token or an API key; 401 without valid credentials."""
    challenge = {"WWW-Authenticate": "Bearer"}
    try:
        if api_key:
            principal = principal_for_key(services.engine, api_key)
        elif token:
            principal = principal_from_token(services, token)
        else:
            raise ApiProblem(401, "authentication required: a bearer token or an X-API-Key",
                             kind="unauthenticated", headers=challenge)
    except InvalidCredentials as exc:
        raise ApiProblem(401, "invalid or expired credentials", kind="unauthenticated",
                         headers=challenge) from exc
    throttle(services, principal.subject_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True)
class PageParams:
    """``limit`` and ``offset`` of a list request."""

    limit: int
    offset: int


def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> PageParams:
    """Paging parameters, bounded by the service's page-size limit."""
    cap = get_services(request).config.max_page_size
    return PageParams(min(limit, cap), offset)


PageDep = Annotated[PageParams, Depends(page_params)]
