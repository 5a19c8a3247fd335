"""The importer portal: my entries and their status, notices with receipts, appeals."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from tradeguard.api.deps import get_services
from tradeguard.api.problems import ApiProblem
from tradeguard.api.records import AssessmentFilter, list_assessments
from tradeguard.api.routers.appeal_rescore import CORRECTABLE, checked_corrections
from tradeguard.decisions import Receipt, verify_receipt
from tradeguard.decisions.appeals import appeal_clock, appeal_status, file_appeal, list_appeals
from tradeguard.decisions.notices import get_notice, list_notices, render_json, render_pdf
from tradeguard.decisions.workflow_records import AppealDocument
from tradeguard.security import Permission, Resource
from tradeguard.web.documents import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    CheckedDocument,
    check_document,
    keep_document,
)
from tradeguard.web.render import PagePrincipal, check_form, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/portal")
def portal(request: Request, principal: PagePrincipal,
           page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """My entries, the notices I received and my appeals."""
    services = get_services(request)
    wf = services.workflow
    wf.check(principal, Permission.ASSESSMENT_READ,
             Resource("assessment", "*", principal.importer_id))
    lines, total = list_assessments(services.engine, principal, AssessmentFilter(), PAGE,
                                    (page - 1) * PAGE)
    notices = list_notices(wf, principal)
    appeals = list_appeals(wf, principal)
    decided = {}
    for n in {ln["entry_number"] for ln in lines}:
        for act in wf.store.actions(n):
            decided[(act.entry_number, act.line_number)] = act.action
    now = wf.clock()
    return render(request, "portal.html", principal, lines=lines, total=total, page=page,
                  pages=max(1, -(-total // PAGE)), notices=notices, decided=decided,
                  appeals=[(a, appeal_clock(a, now)) for a in appeals])


def _receipt_checks(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Each receipt on the notice, checked against the log's key (as an importer would)."""
    receipt = content.get("receipt") or {}
    key = receipt.get("verifier_key", "")
    out = []
    for r in receipt.get("records", []):
        try:
            ok = verify_receipt(Receipt.from_json(r), key)
        except (ValueError, KeyError):
            ok = False
        out.append({**r, "valid": ok})
    return out


@router.get("/notices/{notice_id}")
def notice(request: Request, notice_id: str, principal: PagePrincipal) -> Response:
    """A notice in plain words, its receipts checked, and the appeal form."""
    wf = get_services(request).workflow
    n = get_notice(wf, principal, notice_id)
    appeals = [a for a in wf.store.appeals(n.importer_id) if a.notice_id == notice_id]
    return render(request, "notice.html", principal, n=n, c=n.content,
                  receipts=_receipt_checks(dict(n.content)), appeals=appeals,
                  correctable=CORRECTABLE, document_types=DOCUMENT_TYPES,
                  max_mb=MAX_DOCUMENT_BYTES // 1_000_000)


@router.get("/notices/{notice_id}/pdf")
def notice_pdf(request: Request, notice_id: str, principal: PagePrincipal) -> Response:
    """The notice as a PDF, for the logged-in importer or staff."""
    n = get_notice(get_services(request).workflow, principal, notice_id)
    return Response(render_pdf(n.content), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{n.case_id}.pdf"'})


@router.get("/notices/{notice_id}/json")
def notice_json(request: Request, notice_id: str, principal: PagePrincipal) -> Response:
    """The notice's exact JSON content (what its fingerprint covers)."""
    n = get_notice(get_services(request).workflow, principal, notice_id)
    return Response(render_json(n.content), media_type="application/json")


@router.post("/notices/{notice_id}/appeal")
async def appeal(
    request: Request, notice_id: str, principal: PagePrincipal,
    grounds: Annotated[str, Form(max_length=5000)], form_token: Annotated[str, Form()],
    document_name: Annotated[str, Form(max_length=300)] = "",
    document_text: Annotated[str, Form(max_length=200_000)] = "",
    document: Annotated[UploadFile | None, File()] = None,
    document_type: Annotated[str, Form(max_length=40)] = "supply_chain_tracing",
    fix_field: Annotated[list[str] | None, Form(max_length=40)] = None,
    fix_value: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    """File an appeal with corrected values and documents, each fixed by its SHA-256.

    An uploaded file is checked (type, size, content), kept by its hash and never shown;
    corrected values go to the reviewer, who re-scores the line on them.
    """
    check_form(request, form_token)
    services = get_services(request)
    wf = services.workflow
    docs = []
    if document_name.strip() and document_text:
        digest = hashlib.sha256(document_text.encode("utf-8")).hexdigest()
        docs.append(AppealDocument(document_name.strip(), "supporting_document", digest))
    upload: tuple[CheckedDocument, bytes] | None = None
    if document is not None and document.filename:
        data = await document.read(MAX_DOCUMENT_BYTES + 1)
        checked = check_document(document.filename, document_type, data)
        docs.append(AppealDocument(checked.name, checked.doc_type, checked.sha256))
        upload = (checked, data)
    fields, values = fix_field or [], fix_value or []
    if len(fields) != len(values):
        raise ApiProblem(422, "corrections: each field needs a value")
    corrections = checked_corrections(dict(zip(fields, values, strict=True)))
    a = file_appeal(wf, principal, notice_id, grounds, docs, corrections)
    if upload is not None:
        keep_document(services.settings.work_dir / "documents", a.importer_id, *upload)
    return redirect(f"/appeals/{a.appeal_id}",
                    "Your appeal was received. A reviewer who was not involved will decide it.")


@router.get("/appeals/{appeal_id}")
def appeal_page(request: Request, appeal_id: str, principal: PagePrincipal) -> Response:
    """Where an appeal stands, and its decision once made."""
    wf = get_services(request).workflow
    a = appeal_status(wf, principal, appeal_id)
    return render(request, "appeal.html", principal, a=a, clock=appeal_clock(a, wf.clock()))
