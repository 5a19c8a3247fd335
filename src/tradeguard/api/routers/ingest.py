"""Loading contract files over HTTP: the same ingest as ``tradeguard ingest``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.security import Permission, Resource

router = APIRouter(prefix="/api/v1", tags=["ingest"])

#: Loading trade data is its own duty (analysts and administrators), separate from managing
#: accounts, so a user administrator's grant is not needed to refresh the data.
INGEST_PERMISSION = Permission.DATA_LOAD


@router.post("/ingest", summary="Upload contract files (CSV, Parquet, JSON Lines)")
def ingest(
    files: Annotated[list[UploadFile], File(description="Contract files")],
    principal: PrincipalDep, services: ServicesDep,
    kind: Annotated[str | None, Form(pattern="^(entries|lines|packages|supply_chain|outcomes)$")]
    = None,
) -> Any:
    """Validate and load; rejected rows are quarantined with file, row, field and reason."""
    from tradeguard.contract import ContractError
    from tradeguard.ingest import ingest_files

    services.workflow.check(principal, INGEST_PERMISSION, Resource("ingest"))
    with tempfile.TemporaryDirectory(prefix="tradeguard-upload-") as tmp:
        paths = []
        for i, upload in enumerate(files):
            name = Path(upload.filename or f"upload-{i}.csv").name
            target = Path(tmp) / name
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out)
            paths.append(target)
        try:
            report = ingest_files(paths, store=services.store, kind=kind,
                                  settings=services.settings)
        except ContractError as exc:
            raise ApiProblem(422, str(exc), kind="unreadable-file") from exc
    doc: dict[str, Any] = report.to_dict()
    return doc
