"""Re-scoring an appealed line on the importer's corrected data (the reviewer's step).

The corrections were filed with the appeal (:func:`tradeguard.decisions.appeals.file_appeal`);
here the stored entry is corrected in memory, scored through the same scorer as any entry, and
the new assessment is logged and linked to the appeal by
:func:`tradeguard.decisions.appeals.rescore_appeal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from tradeguard.api.deps import PrincipalDep, ServicesDep
from tradeguard.api.problems import ApiProblem
from tradeguard.api.routers.appeals import appeal_out
from tradeguard.api.services import Services
from tradeguard.decisions.appeals import Rescorer, rescore_appeal
from tradeguard.decisions.workflow_records import AppealRecord
from tradeguard.security import Principal

router = APIRouter(prefix="/api/v1/appeals", tags=["appeals"])

#: What an importer may correct on an appealed line: declared facts, never keys.
CORRECTABLE = ("hts_code", "country_of_origin", "quantity", "quantity_unit",
               "entered_value_usd", "manufacturer_id", "manufacturer_name",
               "manufacturer_country", "description", "adcvd_case_number")
NUMERIC = frozenset({"quantity", "entered_value_usd"})


def checked_corrections(fields: Mapping[str, str]) -> dict[str, Any]:
    """Corrections from a form: known fields only, numbers that are numbers, blanks dropped."""
    out: dict[str, Any] = {}
    for name, raw in fields.items():
        value = raw.strip()
        if not name or not value:
            continue
        if name not in CORRECTABLE:
            raise ApiProblem(422, f"correction field {name!r}: not correctable "
                                  f"(one of {', '.join(CORRECTABLE)})")
        if name in NUMERIC:
            try:
                number = float(value.replace(",", ""))
            except ValueError as exc:
                raise ApiProblem(422, f"correction {name}: {value!r} is not a number") from exc
            if number <= 0:
                raise ApiProblem(422, f"correction {name}: must be more than 0")
            out[name] = number
        else:
            out[name] = value
    return out


def stored_rescorer(services: Services) -> Rescorer:
    """Score the stored entry with the corrections applied, with the app's scorer."""
    from tradeguard.api.records import contract_frame
    from tradeguard.decisions.replay import apply_corrections
    from tradeguard.store.tables import CONTRACT_TABLES
    from tradeguard.targeting import Assessment

    def rescore(entry_number: str, line_number: int, corrections: Mapping[str, Any]) -> Any:
        with services.engine.connect() as conn:
            frames = {kind: contract_frame(conn, kind, [
                CONTRACT_TABLES[kind].c.entry_number == sa.literal(entry_number)])
                for kind in ("entries", "lines", "supply_chain")}
        try:
            entries, lines = apply_corrections(frames["entries"], frames["lines"], entry_number,
                                               line_number, corrections)
        except ValueError as exc:
            raise ApiProblem(422, str(exc)) from exc
        chain = frames["supply_chain"] if frames["supply_chain"].height else None
        result = services.scorer.get().score(entries, lines, supply_chain=chain)
        for row in result.assessments.iter_rows(named=True):  # one entry: a few lines
            if (str(row["entry_number"]), int(row["line_number"])) == (entry_number,
                                                                       line_number):
                return Assessment.from_row(row)
        raise ApiProblem(409, f"entry {entry_number} line {line_number} was not scored")

    return rescore


def rescore(services: Services, principal: Principal, appeal_id: str) -> AppealRecord:
    """The assigned reviewer re-scores the appealed line on its corrected data."""
    return rescore_appeal(services.workflow, principal, appeal_id, stored_rescorer(services))


@router.post("/{appeal_id}/rescore", summary="Re-score the appealed line on corrected data")
def rescore_endpoint(appeal_id: str, principal: PrincipalDep, services: ServicesDep) -> Any:
    """The new score, lane and reasons beside the previous ones, logged and linked."""
    wf = services.workflow
    return appeal_out(rescore(services, principal, appeal_id), wf.clock())
