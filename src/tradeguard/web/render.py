"""Rendering pages: the template environment, the page principal, errors as pages."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tradeguard.api.auth import InvalidCredentials
from tradeguard.api.deps import get_services, principal_from_token, throttle
from tradeguard.api.problems import ApiProblem
from tradeguard.security import Principal, Role
from tradeguard.security.roles import permissions_of

SESSION_COOKIE = "tg_session"
TEMPLATES = Path(__file__).parent / "templates"

LANE_WORDS = {"red": "Examine", "yellow": "Review documents", "green": "Release"}
ACTION_WORDS = {"release": "Released", "document_review": "Document review", "exam": "Exam",
                "hold": "Hold", "detain": "Detained", "refer_to_case": "Referred to a case"}


@cache
def environment() -> jinja2.Environment:
    """The template environment (built on first use)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals.update(lane_words=LANE_WORDS, action_words=ACTION_WORDS)
    env.filters["pct"] = lambda v: f"{100 * float(v):.0f}" if v is not None else "–"
    env.filters["money"] = lambda v: f"${float(v):,.2f}" if v is not None else "–"
    return env


def render(request: Request, template: str, principal: Principal | None, *,
           status: int = 200, **context: Any) -> HTMLResponse:
    """A page with the layout's context (who is logged in, their menu, the form token)."""
    session = request.cookies.get(SESSION_COOKIE, "")
    form_token = get_services(request).tokens.form_token(session) if session else ""
    perms = {p.value for p in permissions_of(principal)} if principal else set()
    html = environment().get_template(template).render(
        request=request, principal=principal, perms=perms, form_token=form_token,
        roles={r.value for r in principal.roles} if principal else set(),
        flash=request.query_params.get("flash"), **context)
    return HTMLResponse(html, status_code=status)


def page_principal(request: Request) -> Principal:
    """The logged-in user of a page; 401 (shown as a redirect to the login page) otherwise."""
    services = get_services(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise ApiProblem(401, "please log in", kind="unauthenticated")
    try:
        principal = principal_from_token(services, token)
    except InvalidCredentials as exc:
        raise ApiProblem(401, "your session has ended; please log in again",
                         kind="unauthenticated") from exc
    throttle(services, principal.subject_id)
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def check_form(request: Request, token: str) -> None:
    """Refuse a form post whose anti-forgery token does not match the session."""
    session = request.cookies.get(SESSION_COOKIE, "")
    expected = get_services(request).tokens.form_token(session) if session else None
    if not expected or token != expected:
        raise ApiProblem(403, "the form has expired; reload the page and try again",
                         kind="bad-form-token")


def optional_date(text: str | None, field: str = "day") -> date | None:
    """A date from a GET form, where an empty box arrives as ``""`` rather than nothing."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ApiProblem(422, f"{field}: {text!r} is not a date (YYYY-MM-DD)") from exc


def optional_count(text: str | None, field: str) -> int | None:
    """A whole number of 0 or more from a GET form; an empty box means none given."""
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit():
        raise ApiProblem(422, f"{field}: {text!r} is not a whole number of 0 or more")
    return int(text)


def home_for(principal: Principal) -> str:
    """Where a user lands after logging in."""
    if principal.is_importer:
        return "/portal"
    if principal.roles & {Role.OFFICER, Role.SUPERVISOR}:
        return "/queue"
    if Role.ADMIN in principal.roles:
        return "/admin"
    if Role.ANALYST in principal.roles:
        return "/leads"
    return "/oversight"


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    """A 303 to ``url`` (after a form post), with an optional message shown there."""
    if flash:
        url += ("&" if "?" in url else "?") + "flash=" + quote(flash)
    return RedirectResponse(url, status_code=303)


async def error_page(request: Request, status: int, detail: str, kind: str) -> Response:
    """Errors on pages: a login redirect for 401, a readable page otherwise."""
    if status == 401:
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)
    titles = {403: "Not allowed", 404: "Not found", 409: "Not recorded", 413: "Too large",
              422: "Please check the form", 429: "Slow down"}
    return render(request, "error.html", None, status=status,
                  title=titles.get(status, "Something went wrong"), detail=detail)
