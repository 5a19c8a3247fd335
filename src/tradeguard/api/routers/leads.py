"""AD/CVD case leads over the stored declarations, ranked by estimated duty exposure.

The leads come from :mod:`tradeguard.detectors.adcvd` run over a window of stored lines, with
every line filed before the window as the baseline (new plants, flows, prices). One run per
window is kept in the app's cache until the stored data changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import Response

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.services import Services
from tradeguard.detectors.adcvd import AdcvdDetector
from tradeguard.detectors.adcvd.leads import Lead, build_leads, leads_frame
from tradeguard.security import Permission, Principal, Resource

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])

#: Without a ``since``, leads cover this many days up to the last stored entry date.
DEFAULT_WINDOW_DAYS = 90
MEMBER_COLUMNS = ("entry_number", "line_number", "entry_date", "importer_id", "port_of_entry",
                  "hts_code", "country_of_origin", "manufacturer_name", "manufacturer_id",
                  "entered_value_usd", "duty_usd", "adcvd_case_number")


@dataclass(frozen=True)
class LeadRun:
    """The leads of one window, the lines they were built from and the versions used."""

    since: date | None
    leads: list[Lead]
    lines: pl.DataFrame
    versions: dict[str, str]

    def lead(self, lead_id: str) -> Lead:
        """One lead by id; a 404 names it when it is not in this window."""
        for x in self.leads:
            if x.lead_id == lead_id:
                return x
        raise ApiProblem(404, f"no lead {lead_id} in the window from {self.since}")

    def members(self, lead: Lead) -> pl.DataFrame:
        """The lead's lines with the declared fields an investigator checks first."""
        keys = pl.DataFrame({"entry_number": [e for e, _ in lead.members],
                             "line_number": [n for _, n in lead.members]},
                            schema={"entry_number": pl.String, "line_number": pl.Int64})
        cols = [c for c in MEMBER_COLUMNS if c in self.lines.columns]
        return keys.join(self.lines.select(cols), on=["entry_number", "line_number"],
                         how="left").sort("entry_date", "entry_number", "line_number")


def data_fingerprint(engine: sa.Engine) -> tuple[Any, ...]:
    """Cheap change marker of the stored declarations (row counts and the last date)."""
    from tradeguard.store.tables import CONTRACT_TABLES

    e, ln = CONTRACT_TABLES["entries"], CONTRACT_TABLES["lines"]
    with engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.count(), sa.func.max(e.c.entry_date))).one()
        n_lines = conn.execute(sa.select(sa.func.count()).select_from(ln)).scalar_one()
    return (int(first[0]), first[1], int(n_lines))


def lead_run(services: Services, since: date | None) -> LeadRun:
    """Run the AD/CVD detector over the window (cached per window and data state)."""
    from tradeguard.api.records import stored_declarations
    from tradeguard.detectors.base import DetectionContext, declaration_lines
    from tradeguard.refdata import load_reference_data

    mark = data_fingerprint(services.engine)
    if since is None and isinstance(mark[1], date):
        since = mark[1] - timedelta(days=DEFAULT_WINDOW_DAYS)
    key = f"leads|{since}|{mark}"
    cached = services.cache.get(key)
    if isinstance(cached, LeadRun):
        return cached
    window = stored_declarations(services.engine, date_from=since)
    batch = declaration_lines(window.entries, window.lines)
    ref = load_reference_data()
    detector = AdcvdDetector()
    ctx = DetectionContext(ref=ref, as_of=date.today())
    if since is not None:
        past = stored_declarations(services.engine, before=since)
        if past.lines.height:
            detector.fit(declaration_lines(past.entries, past.lines), ctx)
    result = detector.assess(batch, ctx)
    leads = build_leads(result, detector.findings(result), detector.config)
    versions = {"detector": f"{detector.name} {detector.version}",
                "adcvd_orders": str(ref.versions.get("adcvd_orders", "")),
                "default_deposit_rate": str(detector.config.default_deposit_rate)}
    run = LeadRun(since, leads, batch.with_columns(pl.col("entry_number").cast(pl.String),
                                                   pl.col("line_number").cast(pl.Int64)),
                  versions)
    services.cache = {k: v for k, v in services.cache.items() if not k.startswith("leads|")}
    services.cache[key] = run
    return run


def checked_run(services: Services, principal: Principal, since: date | None,
                what: str = "*") -> LeadRun:
    """Leads name many importers: only roles granted investigation reads see them."""
    services.workflow.check(principal, Permission.INVESTIGATION_READ, Resource("lead", what))
    return lead_run(services, since)


SinceQuery = Annotated[date | None, Query(description="First entry date of the window")]


@router.get("", summary="AD/CVD case leads ranked by duty exposure")
def list_leads(principal: PrincipalDep, services: ServicesDep, since: SinceQuery = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Leads of the window, highest estimated exposure first, with the versions used."""
    run = checked_run(services, principal, since)
    frame = leads_frame(run.leads).head(limit)
    return {"since": run.since.isoformat() if run.since else None, "versions": run.versions,
            "total": len(run.leads),
            "leads": frame.with_columns(pl.col(pl.Date).cast(pl.String)).to_dicts()}


@router.get("/{lead_id}", summary="One lead: evidence, timeline and member lines")
def get_lead(lead_id: str, principal: PrincipalDep, services: ServicesDep,
             since: SinceQuery = None) -> Any:
    """The lead with its member lines (declared fields) and the versions used."""
    run = checked_run(services, principal, since, lead_id)
    lead = run.lead(lead_id)
    members = run.members(lead).with_columns(pl.col(pl.Date).cast(pl.String))
    return {**lead.to_json(), "versions": run.versions, "member_lines": members.to_dicts()}


@router.get("/{lead_id}/evidence.{fmt}", summary="Export a lead's evidence pack (CSV or HTML)")
def evidence(lead_id: str, fmt: str, principal: PrincipalDep, services: ServicesDep,
             since: SinceQuery = None) -> Response:
    """A download: member lines as CSV, or one self-contained HTML page (no outside links)."""
    from tradeguard.web.evidence import PACK_CSP, evidence_csv, evidence_html

    if fmt not in ("csv", "html"):
        raise ApiProblem(404, f"no evidence format {fmt!r}; use csv or html")
    run = checked_run(services, principal, since, lead_id)
    services.workflow.check(principal, Permission.VENDOR_EXPORT, Resource("lead", lead_id))
    lead = run.lead(lead_id)
    members = run.members(lead)
    name = f"evidence-{lead_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(evidence_csv(lead, members, run.versions), headers=headers,
                        media_type="text/csv; charset=utf-8")
    headers["Content-Security-Policy"] = PACK_CSP
    return Response(evidence_html(lead, members, run.versions), headers=headers,
                    media_type="text/html; charset=utf-8")
