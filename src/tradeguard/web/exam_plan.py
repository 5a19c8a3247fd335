"""The officer's exam plan page: what to open at a port on a day, within capacity."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tradeguard.api.deps import get_services
from tradeguard.api.routers.exam_plan import plan_for
from tradeguard.decisions.review import review_queue
from tradeguard.web.render import PagePrincipal, optional_count, optional_date, render

router = APIRouter(include_in_schema=False)


@router.get("/exam-plan")
def exam_plan_page(
    request: Request, principal: PagePrincipal,
    port: Annotated[str | None, Query(max_length=10)] = None,
    day: Annotated[str | None, Query(max_length=10)] = None,
    capacity: Annotated[str | None, Query(max_length=6)] = None,
) -> Response:
    """Pick a port and day; the plan lists exams within capacity, those beyond, and reviews."""
    when = optional_date(day)
    limit = optional_count(capacity, "capacity")
    services = get_services(request)
    # the queue call checks the officer's permission before anything is shown
    known = review_queue(services.workflow, principal, status=None)
    ports = sorted({i.port_of_entry for i in known if i.port_of_entry})
    # port-days with the most lines to open or review, as one-click starting points
    busiest = Counter((i.port_of_entry, i.entry_date) for i in known
                      if i.port_of_entry and i.entry_date and i.lane in ("red", "yellow")
                      and (not port or i.port_of_entry == port)).most_common(12)
    plan = plan_for(services, principal, port, when, limit) if port and when else None
    return render(request, "exam_plan.html", principal, plan=plan, ports=ports,
                  busiest=busiest, filters={"port": port or "", "day": when or "",
                                           "capacity": "" if limit is None else limit})
