"""Batch jobs: long scoring or ingest runs in a background worker, progress in the database.

One worker thread per service: batch work is CPU-bound and the machine's cores are better
spent on one job at a time than on several competing ones. A job's row says how far it got;
its result (or its error) is kept as JSON.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tradeguard.api.services import Services
from tradeguard.security import Permission, Principal, Resource, require
from tradeguard.store.app_tables import jobs

log = logging.getLogger("tradeguard.api.jobs")
Progress = Callable[[int, int], None]
Work = Callable[[Progress], Any]


def _executor(services: Services) -> ThreadPoolExecutor:
    pool = services.jobs.get("executor")
    if not isinstance(pool, ThreadPoolExecutor):
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tradeguard-job")
        services.jobs["executor"] = pool
    return pool


def start_job(services: Services, principal: Principal, kind: str, total: int,
              work: Work) -> dict[str, Any]:
    """Queue ``work`` and return the job's row."""
    job_id = uuid.uuid4().hex
    row = {"job_id": job_id, "kind": kind, "status": "queued", "done": 0, "total": total,
           "created_by": principal.subject_id, "importer_id": principal.importer_id,
           "created_at": datetime.now(UTC)}
    engine = services.engine
    with engine.begin() as conn:
        conn.execute(jobs.insert().values(row))

    def update(**values: Any) -> None:
        with engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.job_id == job_id).values(**values))

    def run() -> None:
        update(status="running")
        try:
            result = work(lambda done, of: update(done=done, total=of))
        except Exception as exc:
            log.exception("job %s failed", job_id)
            update(status="failed", error=f"{type(exc).__name__}: {exc}",
                   finished_at=datetime.now(UTC))
            return
        update(status="done", result=json.dumps(result, default=str),
               finished_at=datetime.now(UTC))

    _executor(services).submit(run)
    return row


def get_job(services: Services, principal: Principal, job_id: str) -> dict[str, Any]:
    """One job, for whoever may read assessments of its importer (or staff)."""
    with services.engine.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.job_id == job_id)).mappings().first()
    if row is None:
        raise KeyError(f"no job {job_id}")
    require(principal, Permission.ASSESSMENT_READ, Resource("job", job_id, row["importer_id"]))
    return dict(row)


def job_out(row: dict[str, Any]) -> dict[str, Any]:
    """A job row as the API shows it."""
    def when(v: Any) -> str | None:
        return v.isoformat() if isinstance(v, datetime) else None

    result = json.loads(row["result"]) if row.get("result") else None
    return {"job_id": row["job_id"], "kind": row["kind"], "status": row["status"],
            "done": int(row["done"]), "total": int(row["total"]),
            "created_at": when(row["created_at"]) or "", "finished_at": when(row.get(
                "finished_at")), "result": result, "error": row.get("error")}
