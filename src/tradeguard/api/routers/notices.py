"""Notices to importers: JSON, HTML and PDF renderings of the same hashed content."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tradeguard.api.deps import PageDep, PrincipalDep, ServicesDep
from tradeguard.api.schemas import Page, page_of
from tradeguard.decisions.notices import get_notice, list_notices, render_html, render_pdf

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])


def notice_summary(n: Any) -> dict[str, Any]:
    """A notice's headline fields."""
    return {"notice_id": n.notice_id, "case_id": n.case_id, "entry_number": n.entry_number,
            "line_number": n.line_number, "importer_id": n.importer_id,
            "action": n.content["action"]["code"], "issued_at": n.issued_at.isoformat(),
            "content_hash": n.content_hash, "log_seq": n.log_seq}


@router.get("", response_model=Page[dict[str, Any]], summary="Notices")
def notices(principal: PrincipalDep, services: ServicesDep, page: PageDep) -> Any:
    """Notices the caller may read, newest first (an importer: only its own)."""
    found = list_notices(services.workflow, principal)
    chosen = found[page.offset: page.offset + page.limit]
    return page_of([notice_summary(n) for n in chosen], len(found), page.limit, page.offset)


@router.get("/{notice_id}", summary="One notice (JSON content, hash and receipts)")
def notice(notice_id: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The exact content the importer received, its SHA-256 and its log position."""
    n = get_notice(services.workflow, principal, notice_id)
    return {**notice_summary(n), "content": n.content}


@router.get("/{notice_id}/html", response_class=HTMLResponse, summary="Notice as HTML")
def notice_html(notice_id: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The notice as a self-contained page."""
    return HTMLResponse(render_html(get_notice(services.workflow, principal, notice_id).content))


@router.get("/{notice_id}/pdf", summary="Notice as PDF",
            responses={200: {"content": {"application/pdf": {}}}})
def notice_pdf(notice_id: str, principal: PrincipalDep, services: ServicesDep) -> Response:
    """The notice as a PDF document."""
    n = get_notice(services.workflow, principal, notice_id)
    return Response(render_pdf(n.content), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{n.case_id}.pdf"'})
