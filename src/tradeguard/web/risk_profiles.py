"""The risk-profiles page of the admin area: the published set, proposing a change, and
deciding on proposed versions.

One form serves the three steps of a change: *check* shows the loader's problems with file
and line, *test* shows how many stored lines each profile would hit (and hit rates where exams
were recorded), *publish* proposes the set with a rationale. A proposed version waits, with its
diff and back-test, until someone holding ``model:approve`` other than its proposer approves
it (only then does scoring use it) or rejects it with a reason. The work is done by
:mod:`tradeguard.api.routers.risk_profiles`, the same code the JSON API runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradeguard.api.deps import get_services
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers import risk_profiles as rp
from tradeguard.api.services import Services
from tradeguard.security import Principal
from tradeguard.web.render import PagePrincipal, check_form, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/admin/risk-profiles"


def _page(request: Request, services: Services, principal: Principal, *, file: str,
          text: str, replace_set: bool = False, status: int = 200, **result: Any) -> Response:
    view = rp.overview(services)
    context: dict[str, Any] = {"checked": None, "tested": None, "problems": [], "refused": None,
                               "rationale": "", "decision_refused": None, "decision_on": None,
                               **result}
    return render(request, "risk_profiles.html", principal, status=status, view=view,
                  file=file, text=text, replace_set=replace_set,
                  may_publish=rp.may_publish(principal), may_approve=rp.may_approve(principal),
                  me=principal.subject_id, **context)


@router.get(PAGE)
def risk_profiles(request: Request, principal: PagePrincipal, file: str = "") -> Response:
    """The published set; ``?file=`` puts that profile file in the change form."""
    services = get_services(request)
    rp.check_view(services, principal)
    rp.follow_published(services)
    files = rp.active_profiles(services).files
    chosen = file if file in files else next(iter(files), "profiles.yaml")
    return _page(request, services, principal, file=chosen, text=files.get(chosen, ""))


@router.post(PAGE)
def propose(request: Request, principal: PagePrincipal,
            form_token: Annotated[str, Form()],
            action: Annotated[str, Form(max_length=10)],
            file: Annotated[str, Form(max_length=70)],
            text: Annotated[str, Form(max_length=200_000)],
            replace_set: Annotated[str, Form(max_length=5)] = "",
            rationale: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Check, test or publish the proposed file; the form keeps what was typed."""
    check_form(request, form_token)
    if action not in ("check", "test", "publish"):
        raise ApiProblem(422, f"unknown action {action!r}")
    services = get_services(request)
    rp.check_view(services, principal)
    proposal = rp.Proposal(file, text.replace("\r\n", "\n"), replace_set == "on")
    keep: dict[str, Any] = {"file": file, "text": proposal.text,
                            "replace_set": proposal.replace_set, "rationale": rationale}
    if action == "publish":
        try:
            done = rp.publish(services, principal, proposal, rationale)
        except ApiProblem as exc:
            if exc.status not in (409, 422):
                raise
            return _page(request, services, principal, status=exc.status, refused=exc.detail,
                         problems=exc.extra.get("problems", []), **keep)
        return redirect(PAGE, f"Proposed {done.id} (version {done.version}) for approval; "
                              f"scoring keeps {done.previous_version} until another person "
                              "approves it.")
    checked = rp.check_proposal(rp.active_profiles(services), proposal)
    problems = rp.check_rows(checked)["problems"]
    if action == "test" and checked.ok and checked.profile_set is not None:
        tested = rp.back_test_rows(rp.back_test(services, checked.profile_set))
        return _page(request, services, principal, checked=checked, tested=tested, **keep)
    return _page(request, services, principal, checked=checked, problems=problems,
                 status=200 if checked.ok else 422, **keep)


@router.post(PAGE + "/publications/{publication_id}")
def decide(request: Request, principal: PagePrincipal,
           publication_id: Annotated[str, Path(pattern=rp.PUBLICATION_ID)],
           form_token: Annotated[str, Form()],
           action: Annotated[str, Form(max_length=10)],
           reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Approve or reject a proposed version; a refusal is shown on the page with its reason."""
    check_form(request, form_token)
    if action not in ("approve", "reject"):
        raise ApiProblem(422, f"unknown action {action!r}")
    services = get_services(request)
    rp.check_view(services, principal)
    try:
        if action == "approve":
            done = rp.approve(services, principal, publication_id, reason)
        else:
            done = rp.reject(services, principal, publication_id, reason)
    except ApiProblem as exc:
        if exc.status not in (403, 409, 422):
            raise
        files = rp.active_profiles(services).files
        chosen = next(iter(files), "profiles.yaml")
        return _page(request, services, principal, status=exc.status, file=chosen,
                     text=files.get(chosen, ""), decision_refused=exc.detail,
                     decision_on=publication_id)
    if done.state == rp.PublicationState.APPROVED:
        n = len(done.recorded)
        return redirect(PAGE, f"Approved {done.id}: version {done.version} published, {n} "
                              f"profile change{'' if n == 1 else 's'} recorded; scoring uses "
                              "it now.")
    return redirect(PAGE, f"Rejected {done.id}; the published set is unchanged.")
