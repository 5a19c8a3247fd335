"""The officer's review queue and decisions (the AI advises; only a person decides)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from tradeguard.api.deps import PageDep, PrincipalDep, ServicesDep
from tradeguard.api.schemas import DecisionIn, DecisionOut, Page, page_of
from tradeguard.decisions.notices import act_and_notify
from tradeguard.decisions.review import review_queue

router = APIRouter(prefix="/api/v1/review", tags=["review"])


def item_out(item: Any) -> dict[str, Any]:
    """A queue item as JSON."""
    out = dataclasses.asdict(item)
    out["entry_date"] = item.entry_date.isoformat() if item.entry_date else None
    return out


@router.get("/queue", response_model=Page[dict[str, Any]], summary="The risk queue")
def queue(
    principal: PrincipalDep, services: ServicesDep, page: PageDep,
    port: Annotated[str | None, Query(max_length=10)] = None,
    lane: Annotated[str | None, Query(pattern="^(green|yellow|red)$")] = None,
    date_from: date | None = None, date_to: date | None = None,
    status: Annotated[str, Query(pattern="^(open|decided|all)$")] = "open",
) -> Any:
    """Queued lines, highest risk first, for a port and day range."""
    items = review_queue(services.workflow, principal, port=port, lane=lane,
                         date_from=date_from, date_to=date_to,
                         status=None if status == "all" else status)
    chosen = items[page.offset: page.offset + page.limit]
    return page_of([item_out(i) for i in chosen], len(items), page.limit, page.offset)


@router.post("/items/{item_id}/decision", response_model=DecisionOut, status_code=201,
             summary="Record an officer's decision")
def decide(item_id: str, body: DecisionIn, principal: PrincipalDep,
           services: ServicesDep) -> Any:
    """Release, document review, exam, hold, detain or refer; adverse actions issue a notice."""
    record, notice = act_and_notify(services.workflow, principal, item_id, body.action,
                                    body.rationale)
    return {"action_id": record.action_id, "item_id": record.item_id, "action": record.action,
            "override": record.override, "log_seq": record.log_seq,
            "notice_id": notice.notice_id if notice else None}
