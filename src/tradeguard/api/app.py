"""The application factory: one FastAPI app serving the REST API and the web UI.

``create_app(settings)`` opens the database (migrating it), wires the decisions workflow and
the scorer, and mounts the routers; nothing happens at import. The OpenAPI document is at
``/openapi.json`` and a self-hosted page listing every operation at ``/docs`` (no assets
from outside the package: the machines that run this may have no internet).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from tradeguard import __version__
from tradeguard.api.config import ApiConfig
from tradeguard.api.problems import BodyLimit, install_problem_handlers
from tradeguard.api.routers import (
    admin,
    appeal_rescore,
    appeals,
    auth,
    entries,
    exam_plan,
    governance,
    ingest,
    jobs,
    leads,
    log,
    network,
    notices,
    review,
    score,
    screening,
)
from tradeguard.api.scoring import EntryScorer
from tradeguard.api.services import Services, open_services
from tradeguard.settings import Settings, get_settings
from tradeguard.store import Store

ROUTERS = (auth, score, jobs, entries, review, exam_plan, notices, appeals, log, screening,
           ingest, governance, admin, leads, network, appeal_rescore)

#: Pages and API answers name no outside origin: scripts, styles and images are our own.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets :data:`SECURITY_HEADERS` it does not set itself.

    Plain ASGI rather than ``@app.middleware("http")``: that wrapper runs each request through
    a task group and memory streams, which costs more CPU than a small scored request's whole
    routing. Header names are compared without case, so a route's own value always wins.
    """

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        self.raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {bytes(k).lower() for k, _ in raw}
                raw += [(k, v) for k, v in self.raw if k not in present]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    config: ApiConfig | None = None,
    store: Store | None = None,
    scorer: EntryScorer | None = None,
    web: bool = True,
) -> FastAPI:
    """Build the app over the database of ``settings`` (or an open ``store``)."""
    settings = settings or get_settings()
    cfg = config or ApiConfig()
    services = open_services(settings, cfg, store, scorer)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if cfg.warm_scorer:
            # Fitting takes seconds: done before the first request, not during it.
            await run_in_threadpool(services.scorer.get)
            # What start-up built lives as long as the process: frozen out of the cyclic
            # collector, whose full passes would otherwise walk the fitted scorer's ~500,000
            # objects (~200 ms, measured) in the middle of some request.
            gc.collect()
            gc.freeze()
        yield
        services.close()

    app = FastAPI(
        title="tradeguard",
        version=__version__,
        description="Risk scoring, review, notices, appeals and the decision log for "
                    "customs trade enforcement. Authenticate with a bearer token "
                    "(`/api/v1/auth/token`) or an `X-API-Key`.",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.services = services
    for module in ROUTERS:
        app.include_router(module.router)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, body_limit=cfg.max_body_bytes,
                       upload_limit=cfg.max_upload_bytes)
    page = None
    if web:
        from tradeguard.web import install_web

        page = install_web(app)
    install_problem_handlers(app, page)
    return app


def services_of(app: FastAPI) -> Services:
    """The services an app was built with (tests and the demo use it)."""
    services: Services = app.state.services
    return services
