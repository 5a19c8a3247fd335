"""Logging in and out of the web UI (a signed session cookie, HttpOnly, SameSite=Lax)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tradeguard.api.accounts import authenticate
from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.deps import get_services, throttle
from tradeguard.api.routers.auth import client_address
from tradeguard.web.render import SESSION_COOKIE, PagePrincipal, home_for, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: a login link must not send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/")
def home(principal: PagePrincipal) -> Response:
    """The user's start page for their role."""
    return RedirectResponse(home_for(principal), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login page."""
    return render(request, "login.html", None, next=_safe_next(next) or "", error=None)


@router.post("/login")
def login(
    request: Request, username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password and start a session."""
    services = get_services(request)
    throttle(services, client_address(request))
    try:
        account = authenticate(services.engine, username, password)
    except InvalidCredentials:
        return render(request, "login.html", None, status=401, next=_safe_next(next) or "",
                      error="Wrong username or password.")
    target = _safe_next(next) or home_for(account.principal())
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, services.tokens.issue(account.username),
                        max_age=services.tokens.ttl_seconds, httponly=True, samesite="lax",
                        secure=services.config.cookie_secure)
    return response


@router.post("/logout")
def logout() -> Response:
    """End the session."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
