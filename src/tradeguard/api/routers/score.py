"""Scoring now: one entry synchronously, many as a job with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.intake import validated
from tradeguard.api.jobs import job_out, start_job
from tradeguard.api.problems import ApiProblem
from tradeguard.api.schemas import JobOut, ScoreBatchRequest, ScoreOut, ScoreRequest
from tradeguard.api.scoring import EntryScorer, ScorerBusy
from tradeguard.security import Permission, Resource, require

if TYPE_CHECKING:
    from tradeguard.pipeline import ScoringResult

router = APIRouter(prefix="/api/v1", tags=["scoring"])

#: The answer's schema, checked and rendered as FastAPI does for ``response_model`` (validated
#: from attributes, dumped in JSON mode by alias), but in the request's own worker thread.
SCORE_OUT: TypeAdapter[ScoreOut] = TypeAdapter(ScoreOut)


def score_response(content: dict[str, Any]) -> JSONResponse:
    """``content`` as the JSON response ``response_model=ScoreOut`` would give, byte for byte.

    Done here rather than by FastAPI, which would hand the check to a second worker thread
    after the endpoint's own: that hop costs more CPU than the check on a 1-5 line entry.
    """
    checked = SCORE_OUT.validate_python(content, from_attributes=True)
    return JSONResponse(SCORE_OUT.dump_python(checked, mode="json", by_alias=True))


@router.post("/score", response_model=ScoreOut, summary="Score one entry now", responses={
    503: {"description": "At capacity: retry after the Retry-After seconds"}})
def score_entry(body: ScoreRequest, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Score an entry's lines through the whole chain and return each line's assessment.

    Nothing is stored: this is the answer the pipeline gives for these declared values.
    """
    entry = body.entry.model_dump()
    require(principal, Permission.ASSESSMENT_READ,
            Resource("entry", body.entry.entry_number, body.entry.importer_id))
    scorer = services.scorer.get()
    try:
        with scorer.admitted(services.config.max_waiting_scores):
            result = _score(scorer, body, entry)
    except ScorerBusy as exc:
        raise ApiProblem(503, "scoring is at capacity; retry in a second", kind="busy",
                         headers={"Retry-After": "1"}) from exc
    from tradeguard.targeting import assessments_to_records

    return score_response({"entry_number": body.entry.entry_number,
                           "assessments": assessments_to_records(result.assessments),
                           "warnings": list(result.warnings)})


def _score(scorer: EntryScorer, body: ScoreRequest, entry: dict[str, Any]) -> ScoringResult:
    """Validate the request's rows as the contract says, then score them."""
    entries = validated("entries", [entry], label="entry")
    lines = validated(
        "lines", [{**ln.model_dump(), "entry_number": body.entry.entry_number}
                  for ln in body.lines],
        label="line", known_entries=entries.get_column("entry_number"))
    chain = None
    if body.supply_chain:
        chain = validated(
            "supply_chain", [{**s.model_dump(), "entry_number": body.entry.entry_number}
                             for s in body.supply_chain],
            label="supplier", known_entries=entries.get_column("entry_number"))
    return scorer.score(entries, lines, supply_chain=chain)


@router.post("/score/batch", response_model=JobOut, status_code=202,
             summary="Score many entries as a job")
async def score_batch(body: ScoreBatchRequest, principal: PrincipalDep,
                      services: ServicesDep) -> Any:
    """Validate now, score in the background; follow the job at ``/api/v1/jobs/{job_id}``."""
    for e in body.entries:
        require(principal, Permission.ASSESSMENT_READ,
                Resource("entry", e.entry_number, e.importer_id))
    entries = await run_in_threadpool(
        validated, "entries", [e.model_dump() for e in body.entries], label="entry")
    lines = await run_in_threadpool(
        validated, "lines", body.lines, label="line",
        known_entries=entries.get_column("entry_number"))

    def work(progress: Any) -> dict[str, Any]:
        from tradeguard.targeting import output_frame

        progress(0, entries.height)
        result = services.scorer.get().score(entries, lines)
        progress(entries.height, entries.height)
        out = output_frame(result.assessments).with_columns(
            entry_date=output_frame(result.assessments)["entry_date"].cast(str))
        return {"lines_scored": result.assessments.height, "assessments": out.to_dicts(),
                "warnings": list(result.warnings)}

    job = start_job(services, principal, "score", entries.height, work)
    return job_out(job)
