"""The HTTP routes under ``/api/v1/admin/risk-profiles``: thin over the modules beside it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.risk_profiles.access import check_view
from tradeguard.api.routers.risk_profiles.backtest import back_test, back_test_rows
from tradeguard.api.routers.risk_profiles.ledger import PublicationState, read_ledger
from tradeguard.api.routers.risk_profiles.proposals import check_proposal, refuse
from tradeguard.api.routers.risk_profiles.publication import approve, publish, reject
from tradeguard.api.routers.risk_profiles.published import (
    active_profiles,
    follow_published,
    lifespan,
    profiles_folder,
)
from tradeguard.api.routers.risk_profiles.schemas import (
    PUBLICATION_ID,
    ApproveIn,
    BackTestOut,
    CheckOut,
    ProposalIn,
    PublicationCheckOut,
    PublicationDetailOut,
    PublicationOut,
    PublishIn,
    RejectIn,
    RiskProfilesOut,
)
from tradeguard.api.routers.risk_profiles.views import check_rows, overview, publication_row
from tradeguard.governance.oversight_store import publication_records
from tradeguard.governance.publication_check import check_publications, ledger_entries

router = APIRouter(prefix="/risk-profiles", tags=["admin"], lifespan=lifespan)
PublicationId = Annotated[str, Path(pattern=PUBLICATION_ID, examples=["P-0001"])]


@router.get("", response_model=RiskProfilesOut, summary="Published risk profiles")
def list_profiles(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every profile with treatment, validity, status today and hit rates; the change log;
    the versions awaiting approval."""
    check_view(services, principal)
    follow_published(services)
    return overview(services)


@router.post("/check", response_model=CheckOut, summary="Check a proposed change")
def check(body: ProposalIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The loader's problems with file and line; nothing is written."""
    check_view(services, principal)
    return check_rows(check_proposal(active_profiles(services), body.proposal()))


@router.post("/test", response_model=BackTestOut, summary="Back-test a proposed change")
def test_change(body: ProposalIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Stored lines each proposed profile would hit, with hit rates from stored outcomes."""
    check_view(services, principal)
    checked = check_proposal(active_profiles(services), body.proposal())
    if not checked.ok:
        raise refuse(checked, "fix them before testing")
    assert checked.profile_set is not None
    return back_test_rows(back_test(services, checked.profile_set))


@router.post("/publish", response_model=PublicationOut, status_code=201,
             summary="Propose a version for approval")
def publish_change(body: PublishIn, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Check and back-test the proposed set and record it as pending, with who and why.
    Scoring does not change until another person holding ``model:approve`` approves it."""
    return publication_row(publish(services, principal, body.proposal(), body.rationale))


@router.get("/publications", response_model=list[PublicationOut],
            summary="Proposed versions and their decisions")
def publications(principal: PrincipalDep, services: ServicesDep,
                 state: Annotated[PublicationState | None, Query()] = None) -> Any:
    """Every publication, newest first; ``state`` keeps only those in that state."""
    check_view(services, principal)
    ledger = read_ledger(profiles_folder(services.settings))
    return [publication_row(p) for p in reversed(ledger.publications)
            if state is None or p.state == state]


@router.get("/publications/log-check", response_model=PublicationCheckOut,
            summary="Check the publication ledger against the decision log")
def publications_log_check(principal: PrincipalDep, services: ServicesDep) -> Any:
    """Every publication's proposal and decision compared with its log record (people,
    versions, SHA-256 of the files), and every publication record on the log matched to the
    ledger: a rewritten or pruned ledger shows as a difference."""
    check_view(services, principal)
    ledger = read_ledger(profiles_folder(services.settings))
    try:
        logged = publication_records(services.engine)
    except ValueError as exc:
        raise ApiProblem(503, str(exc), kind="log-unreadable") from exc
    result = check_publications(ledger_entries(ledger.model_dump(mode="json")), logged)
    return {"agree": result.agree, "publications": result.publications,
            "log_records": result.log_records, "differences": list(result.differences)}


@router.get("/publications/{publication_id}", response_model=PublicationDetailOut,
            summary="One proposed version, with its files")
def publication(publication_id: PublicationId, principal: PrincipalDep,
                services: ServicesDep) -> Any:
    """The publication and the full text of the set it proposes."""
    check_view(services, principal)
    ledger = read_ledger(profiles_folder(services.settings))
    return publication_row(ledger.find(publication_id), with_files=True)


@router.post("/publications/{publication_id}/approve", response_model=PublicationOut,
             summary="Approve a proposed version")
def approve_publication(publication_id: PublicationId, body: ApproveIn,
                        principal: PrincipalDep, services: ServicesDep) -> Any:
    """Write the set where the service reads it and record author and approver; scoring uses
    it from the next request. Refused to whoever proposed it."""
    return publication_row(approve(services, principal, publication_id, body.note))


@router.post("/publications/{publication_id}/reject", response_model=PublicationOut,
             summary="Reject a proposed version")
def reject_publication(publication_id: PublicationId, body: RejectIn,
                       principal: PrincipalDep, services: ServicesDep) -> Any:
    """Close the proposal with a reason; the published set is unchanged."""
    return publication_row(reject(services, principal, publication_id, body.reason))
