"""Request dependencies: the services, the authenticated principal, paging parameters.

Authentication is OAuth2 bearer tokens for people and ``X-API-Key`` for systems. Every
authenticated request also spends one token of its client's rate-limit bucket.

The credentials' rows are read with statements built once at import (building a SQLAlchemy
``select`` per call costs more than the one-row read itself) and reused for at most a second
(:mod:`tradeguard.api.fresh_principals`): a key revoked or an account disabled through the
service stops working at once, from another process within that second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from tradeguard.api.accounts import principal_for_account, principal_for_key
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


async def request_services(request: Request) -> Services:
    """:func:`get_services` as a dependency, ``async`` so that it runs on the event loop:
    FastAPI hands a plain function to a worker thread, which costs more than the lookup."""
    return get_services(request)


ServicesDep = Annotated[Services, Depends(request_services)]

def principal_from_token(services: Services, token: str) -> Principal:
    """The principal of a session or bearer token; the account must still be active."""
    return principal_for_account(services.engine, services.tokens.subject(token))


def throttle(services: Services, client: str) -> None:
    """Spend one request from ``client``'s bucket, or answer 429 with Retry-After."""
    wait = services.limiter.take(client)
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise ApiProblem(429, f"rate limit exceeded; retry in {seconds} s", kind="rate-limited",
                         headers={"Retry-After": str(seconds)})


def authenticated(services: Services, token: str | None, api_key: str | None) -> Principal:
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


async def current_principal(
    services: ServicesDep,
    token: Annotated[str | None, Depends(oauth2)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """The caller (see :func:`authenticated`), checked on every request.

    On SQLite the one-row read (~30 us, local file, readers never wait under WAL) is done on
    the event loop, which is cheaper than a worker thread; a database server is asked from
    a worker thread so that no request waits on the network behind another.
    """
    if services.engine.dialect.name == "sqlite":
        return authenticated(services, token, api_key)
    return await run_in_threadpool(authenticated, services, token, api_key)


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
