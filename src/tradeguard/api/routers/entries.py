"""Entries, their assessments and findings: what was declared and what the system found."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from tradeguard.api.deps import PageDep, PrincipalDep, ServicesDep
from tradeguard.api.records import (
    AssessmentFilter,
    entry_detail,
    entry_importer,
    list_assessments,
)
from tradeguard.api.schemas import Page, page_of
from tradeguard.security import Permission, Resource, restrict_select
from tradeguard.store.app_tables import findings

router = APIRouter(prefix="/api/v1", tags=["entries"])
Lane = Annotated[str | None, Query(pattern="^(green|yellow|red)$")]
Text = Annotated[str | None, Query(max_length=40)]


@router.get("/assessments", response_model=Page[dict[str, Any]],
            summary="Scored lines, riskiest first")
def assessments(
    principal: PrincipalDep, services: ServicesDep, page: PageDep,
    port: Text = None, lane: Lane = None, date_from: date | None = None,
    date_to: date | None = None, entry_number: Text = None, category: Text = None,
) -> Any:
    """The newest assessment of each line the caller may see (an importer: its own)."""
    services.workflow.check(principal, Permission.ASSESSMENT_READ,
                            Resource("assessment", "*", principal.importer_id))
    flt = AssessmentFilter(port, lane, date_from, date_to, entry_number, category)
    items, total = list_assessments(services.engine, principal, flt, page.limit, page.offset)
    return page_of(items, total, page.limit, page.offset)


@router.get("/entries/{entry_number}", summary="One entry: lines, assessments, supply chain")
def entry(entry_number: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Everything stored about one entry, for staff or the importer of record."""
    importer = entry_importer(services.engine, entry_number)
    services.workflow.check(principal, Permission.ENTRY_READ,
                            Resource("entry", entry_number, importer))
    return entry_detail(services.engine, entry_number)


@router.get("/findings", response_model=Page[dict[str, Any]], summary="Findings")
def list_findings(
    principal: PrincipalDep, services: ServicesDep, page: PageDep,
    category: Text = None, entry_number: Text = None, reason_code: Text = None,
) -> Any:
    """Detector and rule findings, filterable by category, entry and reason code."""
    services.workflow.check(principal, Permission.ASSESSMENT_READ,
                            Resource("finding", "*", principal.importer_id))
    t = findings
    where: list[Any] = []
    for column, value in ((t.c.category, category), (t.c.entry_number, entry_number),
                          (t.c.reason_code, reason_code)):
        if value is not None:
            where.append(column == value)
    stmt = restrict_select(sa.select(t).where(*where), principal, t.c.importer_id)
    count = restrict_select(sa.select(sa.func.count()).select_from(t).where(*where),
                            principal, t.c.importer_id)
    with services.engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(stmt.order_by(t.c.id).limit(page.limit).offset(page.offset))
        items = [{k: v for k, v in r.items() if k != "id"} for r in rows.mappings()]
    return page_of(items, total, page.limit, page.offset)
