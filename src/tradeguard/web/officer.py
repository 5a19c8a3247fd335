"""The officer workbench: the risk queue and the entry page with its decision form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from tradeguard.api.deps import get_services
from tradeguard.api.records import entry_detail, entry_importer, peer_unit_values
from tradeguard.decisions.notices import act_and_notify
from tradeguard.decisions.review import ReviewAction, item_id, review_queue
from tradeguard.security import Permission, Resource
from tradeguard.security.redaction import declared_parties, restore_labels
from tradeguard.web.charts import peer_price_svg
from tradeguard.web.render import PagePrincipal, check_form, optional_date, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/queue")
def queue(
    request: Request, principal: PagePrincipal,
    port: Annotated[str | None, Query(max_length=10)] = None,
    lane: Annotated[str | None, Query(pattern="^(green|yellow|red)?$")] = None,
    day: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[str, Query(pattern="^(open|decided|all)$")] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Today's (or a day's) lines for a port, riskiest first, with their reasons in words."""
    when = optional_date(day)
    wf = get_services(request).workflow
    items = review_queue(wf, principal, port=port or None, lane=lane or None, date_from=when,
                         date_to=when, status=None if status == "all" else status)
    ports = sorted({i.port_of_entry for i in items if i.port_of_entry})
    shown = items[(page - 1) * PAGE: page * PAGE]
    return render(request, "queue.html", principal, items=shown, total=len(items), page=page,
                  pages=max(1, -(-len(items) // PAGE)), ports=ports,
                  filters={"port": port or "", "lane": lane or "", "day": when or "",
                           "status": status})


def _line_views(request: Request, detail: dict[str, Any], entry_number: str) -> list[Any]:
    """Each line with its assessment, queue item, peer-price chart and findings."""
    services = get_services(request)
    scored = {a["line_number"]: a for a in detail["assessments"]}
    chain = detail["supply_chain"]
    views = []
    for line in detail["lines"]:
        n = line["line_number"]
        a = scored.get(n)
        qty = line.get("quantity") or 0
        unit_value = line["entered_value_usd"] / qty if qty else None
        peers = peer_unit_values(services.engine, line["hts_code"], line["country_of_origin"],
                                 line["quantity_unit"])
        parties = declared_parties(detail["entry"], line, *chain)
        views.append({
            "line": line, "assessment": a,
            "reasons": restore_labels(a["reason_texts"] or [], parties) if a else [],
            "item": services.workflow.store.review_item(item_id(entry_number, n)),
            "chart": Markup(peer_price_svg(peers, unit_value, line["quantity_unit"])),
            "unit_value": unit_value,
        })
    return views


@router.get("/entries/{entry_number}")
def entry(request: Request, entry_number: str, principal: PagePrincipal) -> Response:
    """One entry: header, route, lines with reasons, prices, supply chain, decision forms."""
    services = get_services(request)
    importer = entry_importer(services.engine, entry_number)
    services.workflow.check(principal, Permission.ENTRY_READ,
                            Resource("entry", entry_number, importer))
    detail = entry_detail(services.engine, entry_number)
    actions = services.workflow.store.actions(entry_number)
    return render(request, "entry.html", principal, d=detail, entry_number=entry_number,
                  lines=_line_views(request, detail, entry_number), actions=actions,
                  review_actions=[a.value for a in ReviewAction])


@router.post("/entries/{entry_number}/lines/{line_number}/decision")
def decide(
    request: Request, entry_number: str, line_number: int, principal: PagePrincipal,
    action: Annotated[str, Form(max_length=40)], form_token: Annotated[str, Form()],
    rationale: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the officer's action; an adverse one sends the importer a notice."""
    check_form(request, form_token)
    wf = get_services(request).workflow
    record, notice = act_and_notify(wf, principal, item_id(entry_number, line_number), action,
                                    rationale)
    words = f"Recorded: {record.action.replace('_', ' ')} on line {line_number}."
    if notice is not None:
        words += f" Notice {notice.case_id} sent to the importer."
    return redirect(f"/entries/{entry_number}", words)
