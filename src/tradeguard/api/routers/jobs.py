"""Following batch jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.jobs import get_job, job_out
from tradeguard.api.schemas import JobOut

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobOut, summary="A job's progress and result")
def job(job_id: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Status, rows done of total, and the result once done."""
    return job_out(get_job(services, principal, job_id))
