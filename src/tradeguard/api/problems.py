"""Errors as RFC 9457 problem details (``application/problem+json``), in one place.

Library exceptions keep their meaning at the edge: a refused permission is 403, an unknown
record 404, a decision or appeal the rules refuse 409, invalid input 422. Web pages get the
same status with a readable page instead of JSON (see :mod:`tradeguard.web`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradeguard.security import AccessDenied

PROBLEM_TYPE = "https://tradeguard.invalid/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("tradeguard.api")

#: Renders a problem for a browser page instead of JSON (set by the web UI).
PageRenderer = Callable[[Request, int, str, str], Awaitable[Response]]


class ApiProblem(Exception):
    """Raise from a router to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or HTTPStatus(status).phrase.lower().replace(" ", "-")
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    request: Request, status: int, detail: str, kind: str | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    """A problem+json response for ``request``."""
    name = kind or HTTPStatus(status).phrase.lower().replace(" ", "-")
    body = {"type": PROBLEM_TYPE + name, "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and request.url.path != "/openapi.json"


def install_problem_handlers(app: FastAPI, page: PageRenderer | None = None) -> None:
    """Register the handlers that turn exceptions into problem documents (or pages)."""

    async def respond(request: Request, status: int, detail: str, kind: str | None = None,
                      headers: dict[str, str] | None = None, **extra: Any) -> Response:
        if page is not None and _wants_page(request):
            return await page(request, status, detail, kind or "")
        return problem_response(request, status, detail, kind, headers, **extra)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return await respond(request, exc.status, exc.detail, exc.kind, exc.headers, **exc.extra)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return await respond(request, exc.status_code, str(exc.detail),
                             headers=dict(exc.headers or {}))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ())),
                   "reason": str(e.get("msg", ""))} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5]) or "invalid input"
        return await respond(request, 422, detail, "invalid-input", errors=errors)

    async def on_denied(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AccessDenied)
        return await respond(request, 403, f"not allowed: {exc.reason}", "forbidden")

    async def on_missing(request: Request, exc: Exception) -> Response:
        text = str(exc.args[0]) if exc.args else "not found"
        return await respond(request, 404, text, "not-found")

    async def on_refused(request: Request, exc: Exception) -> Response:
        return await respond(request, 409, str(exc), "refused")

    async def on_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await respond(request, 500, "internal error; the incident was logged",
                             "internal-error")

    from tradeguard.decisions.appeals import AppealRefused
    from tradeguard.decisions.notices import NoticeIncomplete
    from tradeguard.decisions.review import DecisionRefused

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(AccessDenied, on_denied)
    app.add_exception_handler(KeyError, on_missing)
    for refused in (DecisionRefused, AppealRefused, NoticeIncomplete):
        app.add_exception_handler(refused, on_refused)
    app.add_exception_handler(Exception, on_error)


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit (413) before reading them in full.

    Multipart uploads get ``upload_limit``, every other body ``body_limit``. A declared
    Content-Length is checked up front; a chunked body is counted as it streams.
    """

    def __init__(self, app: Any, body_limit: int, upload_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = length = None  # the last of each, as a dict of the headers would keep
        for name, value in scope.get("headers", []):
            name = name.lower()  # only ASCII letters lower into these ASCII names
            if name == b"content-type":
                kind = value
            elif name == b"content-length":
                length = value
        is_upload = kind is not None \
            and kind.decode("latin-1").startswith("multipart/form-data")
        limit = self.upload_limit if is_upload else self.body_limit
        declared = None if length is None else length.decode("latin-1")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Any, receive: Any, send: Any, limit: int) -> None:
        request = Request(scope, receive)
        response = problem_response(request, 413, f"request body over the {limit}-byte limit",
                                    "payload-too-large", limit_bytes=limit)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
