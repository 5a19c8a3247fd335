"""Pages for reviewers (appeals), auditors (registry, audit, log) and administrators."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from tradeguard.api.accounts import create_user, get_account, list_accounts
from tradeguard.api.deps import get_services
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.appeal_rescore import rescore as rescore_line
from tradeguard.api.routers.governance import latest_evidence, registry_state
from tradeguard.decisions import verify_log
from tradeguard.decisions.appeals import (
    appeal_clock,
    assign_reviewer,
    decide_appeal,
    list_appeals,
    overturn_rates,
)
from tradeguard.decisions.training import record_training
from tradeguard.security import Permission, Resource
from tradeguard.store.app_tables import assessments
from tradeguard.web import risk_profiles
from tradeguard.web.charts import stacked_bars_svg
from tradeguard.web.render import PagePrincipal, check_form, redirect, render

router = APIRouter(include_in_schema=False)
router.include_router(risk_profiles.router)  # /admin/risk-profiles
LANE_COLOURS = {"red": "#b3261e", "yellow": "#c98a00", "green": "#2e7d32"}


@router.get("/appeals")
def appeals(request: Request, principal: PagePrincipal) -> Response:
    """Appeals waiting for an independent reviewer, and those assigned to me."""
    wf = get_services(request).workflow
    found = list_appeals(wf, principal)
    now = wf.clock()
    return render(request, "appeals.html", principal,
                  appeals=[(a, appeal_clock(a, now)) for a in found])


@router.post("/appeals/{appeal_id}/assign")
def assign(request: Request, appeal_id: str, principal: PagePrincipal,
           form_token: Annotated[str, Form()],
           reviewer: Annotated[str, Form(max_length=120)] = "") -> Response:
    """Route the appeal to a reviewer (myself by default); refused if not independent."""
    check_form(request, form_token)
    services = get_services(request)
    account = get_account(services.engine, reviewer or principal.subject_id)
    if account is None or not account.active:
        raise KeyError(f"no active user {reviewer}")
    assign_reviewer(services.workflow, principal, appeal_id, account.principal())
    return redirect(f"/appeals/{appeal_id}", f"Assigned to {account.display_name}.")


@router.post("/appeals/{appeal_id}/rescore")
def rescore(request: Request, appeal_id: str, principal: PagePrincipal,
            form_token: Annotated[str, Form()]) -> Response:
    """The assigned reviewer re-scores the line on the importer's corrections."""
    check_form(request, form_token)
    a = rescore_line(get_services(request), principal, appeal_id)
    lane = (a.rescored or {}).get("lane", "")
    return redirect(f"/appeals/{appeal_id}", f"Re-scored on the corrected data: lane {lane}.")


@router.post("/appeals/{appeal_id}/decision")
def decide(request: Request, appeal_id: str, principal: PagePrincipal,
           outcome: Annotated[str, Form(max_length=20)],
           reasons: Annotated[str, Form(max_length=5000)],
           form_token: Annotated[str, Form()]) -> Response:
    """Decide the appeal with reasons."""
    check_form(request, form_token)
    a = decide_appeal(get_services(request).workflow, principal, appeal_id, outcome, reasons)
    return redirect(f"/appeals/{appeal_id}", f"Decided: {a.outcome}.")


def _lanes_by_day(engine: sa.Engine) -> dict[str, dict[str, int]]:
    t = assessments
    stmt = sa.select(t.c.entry_date, t.c.lane, sa.func.count()).group_by(t.c.entry_date, t.c.lane)
    out: dict[str, dict[str, int]] = defaultdict(dict)
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            day, lane, n = row[0], row[1], row[2]
            if isinstance(day, date):
                out[day.isoformat()][str(lane)] = int(n)
    return dict(out)


@router.get("/oversight")
def oversight(request: Request, principal: PagePrincipal) -> Response:
    """Registry, the latest audit, lanes over time, appeal overturns and the log's state."""
    services = get_services(request)
    wf = services.workflow
    wf.check(principal, Permission.MONITORING_READ, Resource("oversight"))
    head = wf.log.checkpoint()
    evidence = latest_evidence(services)
    rates = overturn_rates(wf, principal).to_dicts()
    chart = Markup(stacked_bars_svg(_lanes_by_day(services.engine), LANE_COLOURS))
    return render(request, "oversight.html", principal, registry=registry_state(services),
                  evidence=evidence, rates=rates, chart=chart, head=head,
                  verifier_key=wf.log.signer.verifier_key, verification=None)


@router.post("/oversight/verify-log")
def verify(request: Request, principal: PagePrincipal,
           form_token: Annotated[str, Form()]) -> Response:
    """Recompute every hash of the decision log now and show the outcome."""
    check_form(request, form_token)
    wf = get_services(request).workflow
    wf.check(principal, Permission.LOG_VERIFY, Resource("log", "*", principal.importer_id))
    result = verify_log(wf.log.store, wf.log.signer.verifier_key)
    words = (f"Decision log verified: {result.records_checked} records, "
             f"{result.heads_checked} signed heads, nothing altered."
             if result.ok else f"Decision log FAILED verification: {result.first_bad}")
    back = "/oversight" if Permission.MONITORING_READ.value in _perm_values(principal) \
        else "/admin"
    return redirect(back, words)


def _perm_values(principal: Any) -> set[str]:
    from tradeguard.security.roles import permissions_of

    return {p.value for p in permissions_of(principal)}


@router.get("/admin")
def admin(request: Request, principal: PagePrincipal) -> Response:
    """Users and roles, training records, recent access attempts; a link to risk profiles."""
    services = get_services(request)
    wf = services.workflow
    wf.check(principal, Permission.USER_ADMIN, Resource("user", "*"))
    accounts = list_accounts(services.engine)
    training = {a.username: wf.store.training(a.username) for a in accounts}
    events = list(reversed(wf.access_log.events()))[:40] if wf.access_log else []
    return render(request, "admin.html", principal, accounts=accounts, training=training,
                  events=events, today=date.today().isoformat())


@router.post("/admin/users")
def add_user(request: Request, principal: PagePrincipal,
             username: Annotated[str, Form(max_length=120)],
             password: Annotated[str, Form(max_length=200)],
             role: Annotated[str, Form(max_length=40)], form_token: Annotated[str, Form()],
             importer_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Add an account."""
    check_form(request, form_token)
    services = get_services(request)
    services.workflow.check(principal, Permission.USER_ADMIN, Resource("user", username))
    try:
        create_user(services.engine, username, password, [role],
                    importer_id=importer_id or None, created_by=principal.subject_id)
    except ValueError as exc:
        raise ApiProblem(422, str(exc)) from exc
    return redirect("/admin", f"User {username} added.")


@router.post("/admin/training")
def add_training(request: Request, principal: PagePrincipal,
                 subject_id: Annotated[str, Form(max_length=120)],
                 completed_on: Annotated[date, Form()],
                 form_token: Annotated[str, Form()]) -> Response:
    """Record that a user completed the AI-assisted targeting course."""
    check_form(request, form_token)
    try:
        record_training(get_services(request).workflow.store, principal, subject_id,
                        completed_on)
    except ValueError as exc:
        raise ApiProblem(422, str(exc)) from exc
    return redirect("/admin", f"Training recorded for {subject_id}.")
