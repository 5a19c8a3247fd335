"""The officer's exam plan for one port and day, within the exams the port can do.

The plan is built by :func:`tradeguard.targeting.exam_plan` from the review queue the
officer may see (the queue call enforces the role and the tenancy), so the API and the
web page show the same lines in the same order.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.services import Services
from tradeguard.decisions.review import review_queue
from tradeguard.security import Principal
from tradeguard.targeting import ExamPlan, exam_plan

router = APIRouter(prefix="/api/v1/review", tags=["review"])

_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "entry_number": pl.String, "line_number": pl.Int64, "port_of_entry": pl.String,
    "entry_date": pl.Date, "risk_score": pl.Float64, "lane": pl.String,
    "selection": pl.String, "categories": pl.List(pl.String), "reasons": pl.List(pl.String),
    "reason_texts": pl.List(pl.String),
}


def plan_for(services: Services, principal: Principal, port: str, day: date,
             capacity: int | None) -> ExamPlan:
    """The plan over every queued line (open or decided) of ``port`` on ``day``."""
    items = review_queue(services.workflow, principal, port=port, date_from=day, date_to=day,
                         status=None)
    lists = {"categories", "reasons", "reason_texts"}
    columns = {name: [list(getattr(i, name)) if name in lists else getattr(i, name)
                      for i in items] for name in _SCHEMA}
    frame = pl.DataFrame(columns, schema=_SCHEMA)
    return exam_plan(frame, port, day, capacity)


@router.get("/exam-plan", summary="The exam plan for a port and day")
def plan(
    principal: PrincipalDep, services: ServicesDep,
    port: Annotated[str, Query(min_length=1, max_length=10)],
    day: date,
    capacity: Annotated[int | None, Query(ge=0, le=100_000,
                                          description="Exams the port can do that day")] = None,
) -> Any:
    """Red lines to examine (forced first, then by risk) up to ``capacity``, the red lines
    beyond it, and the yellow lines for document review, each with its reasons."""
    return plan_for(services, principal, port, day, capacity).to_dict()
