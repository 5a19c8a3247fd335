"""The web UI: server-rendered pages for officers, importers, reviewers, auditors and admins.

Pages are Jinja2 templates shipped in the package with their own CSS and a little vanilla
JavaScript (keyboard navigation); charts are inline SVG. Nothing is fetched from another
origin. :func:`install_web` mounts the pages and static files on the API's app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tradeguard.api.problems import PageRenderer


def install_web(app: FastAPI) -> PageRenderer:
    """Add the pages and ``/static`` to ``app``; returns the error-page renderer."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from tradeguard.web import analyst, docs, exam_plan, importer, officer, oversight, session
    from tradeguard.web.render import error_page

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (session, officer, exam_plan, analyst, importer, oversight, docs):
        app.include_router(module.router)
    return error_page


__all__ = ["install_web"]
