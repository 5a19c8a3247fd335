"""The analyst's pages: AD/CVD case leads with evidence packs, and the party network."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from tradeguard.api.deps import get_services
from tradeguard.api.routers.leads import checked_run
from tradeguard.api.routers.network import checked_network, cluster_of, party_matches
from tradeguard.security import Permission, Resource
from tradeguard.web.evidence import PACK_CSP, evidence_csv, evidence_html, timeline
from tradeguard.web.network_svg import cluster_svg
from tradeguard.web.render import PagePrincipal, optional_date, render

router = APIRouter(include_in_schema=False)
SinceQuery = Annotated[str | None, Query(max_length=10)]


@router.get("/leads")
def leads(request: Request, principal: PagePrincipal, since: SinceQuery = None) -> Response:
    """Leads of the window ranked by estimated duty exposure."""
    run = checked_run(get_services(request), principal, optional_date(since, "since"))
    return render(request, "leads.html", principal, run=run, leads=run.leads[:200])


@router.get("/leads/{lead_id}")
def lead(request: Request, lead_id: str, principal: PagePrincipal,
         since: SinceQuery = None) -> Response:
    """One lead: what it alleges, its timeline, its member lines, and the exports."""
    run = checked_run(get_services(request), principal, optional_date(since, "since"), lead_id)
    found = run.lead(lead_id)
    members = run.members(found)
    return render(request, "lead.html", principal, run=run, lead=found,
                  timeline=timeline(found), members=members.to_dicts(),
                  reasons=json.dumps(found.reason_codes), since=since or "")


@router.get("/leads/{lead_id}/evidence.{fmt}")
def evidence(request: Request, lead_id: str, fmt: str, principal: PagePrincipal,
             since: SinceQuery = None) -> Response:
    """The evidence pack as a download (CSV, or HTML that opens without network access)."""
    services = get_services(request)
    run = checked_run(services, principal, optional_date(since, "since"), lead_id)
    services.workflow.check(principal, Permission.VENDOR_EXPORT, Resource("lead", lead_id))
    found = run.lead(lead_id)
    members = run.members(found)
    headers = {"Content-Disposition": f'attachment; filename="evidence-{lead_id}.{fmt}"'}
    if fmt == "csv":
        return Response(evidence_csv(found, members, run.versions), headers=headers,
                        media_type="text/csv; charset=utf-8")
    if fmt == "html":
        headers["Content-Security-Policy"] = PACK_CSP
        return Response(evidence_html(found, members, run.versions), headers=headers,
                        media_type="text/html; charset=utf-8")
    return render(request, "error.html", principal, status=404, title="Not found",
                  detail=f"No evidence format {fmt!r}: use csv or html.")


@router.get("/network")
def network(request: Request, principal: PagePrincipal,
            q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Search parties by id, identifier or name; each result links to its cluster."""
    services = get_services(request)
    found = None
    if len(q.strip()) >= 2:
        found = party_matches(checked_network(services, principal, q), q.strip(), 50).to_dicts()
    else:
        services.workflow.check(principal, Permission.INVESTIGATION_READ, Resource("network"))
    return render(request, "network.html", principal, q=q, parties=found)


@router.get("/network/clusters/{cluster:path}")
def cluster(request: Request, cluster: str, principal: PagePrincipal) -> Response:
    """One cluster: the graph, its member spellings, the links that joined them, its trade."""
    summary = cluster_of(checked_network(get_services(request), principal, cluster), cluster)
    graph = Markup(cluster_svg(summary["members"], summary["links"],
                               summary["counterparties"]))
    return render(request, "cluster.html", principal, s=summary, graph=graph)
