"""Appeals: filed by the importer, routed to an independent reviewer, decided with reasons."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fastapi import APIRouter

from tradeguard.api.accounts import get_account
from tradeguard.api.deps import PageDep, PrincipalDep, ServicesDep
from tradeguard.api.schemas import AppealDecisionIn, AppealIn, AssignIn, Page, page_of
from tradeguard.decisions.appeals import (
    appeal_clock,
    appeal_status,
    assign_reviewer,
    decide_appeal,
    file_appeal,
    list_appeals,
)
from tradeguard.decisions.workflow_records import AppealDocument

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])


def appeal_out(a: Any, now: datetime | None = None) -> dict[str, Any]:
    """An appeal as JSON, with where it stands against its clock."""
    out = dataclasses.asdict(a)
    for k, v in out.items():
        if isinstance(v, datetime):
            out[k] = v.isoformat()
    if now is not None:
        clock = appeal_clock(a, now)
        out["days_left"], out["overdue"] = clock.days_left, clock.overdue
    return out


@router.get("", response_model=Page[dict[str, Any]], summary="Appeals")
def appeals(principal: PrincipalDep, services: ServicesDep, page: PageDep) -> Any:
    """Appeals the caller may see (an importer: its own), oldest first."""
    wf = services.workflow
    found = list_appeals(wf, principal)
    chosen = found[page.offset: page.offset + page.limit]
    now = wf.clock()
    return page_of([appeal_out(a, now) for a in chosen], len(found), page.limit, page.offset)


@router.post("", status_code=201, summary="File an appeal against a notice")
def file(body: AppealIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Acknowledged at once with a 30-day clock; grounds are sealed in the log."""
    docs = [AppealDocument(d.name, d.doc_type, d.sha256) for d in body.documents]
    a = file_appeal(services.workflow, principal, body.notice_id, body.grounds, docs,
                    body.corrections)
    return appeal_out(a, services.workflow.clock())


@router.get("/{appeal_id}", summary="One appeal")
def appeal(appeal_id: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Where an appeal stands."""
    wf = services.workflow
    return appeal_out(appeal_status(wf, principal, appeal_id), wf.clock())


@router.post("/{appeal_id}/assign", summary="Route an appeal to an independent reviewer")
def assign(appeal_id: str, body: AssignIn, principal: PrincipalDep,
           services: ServicesDep) -> Any:
    """Refused when the reviewer took part in the decision or is not trained."""
    account = get_account(services.engine, body.reviewer)
    if account is None or not account.active:
        raise KeyError(f"no active user {body.reviewer}")
    wf = services.workflow
    return appeal_out(assign_reviewer(wf, principal, appeal_id, account.principal()),
                      wf.clock())


@router.post("/{appeal_id}/decision", summary="Decide an appeal")
def decide(appeal_id: str, body: AppealDecisionIn, principal: PrincipalDep,
           services: ServicesDep) -> Any:
    """Upheld, overturned or modified, with reasons (the assigned reviewer only)."""
    wf = services.workflow
    return appeal_out(decide_appeal(wf, principal, appeal_id, body.outcome, body.reasons),
                      wf.clock())
