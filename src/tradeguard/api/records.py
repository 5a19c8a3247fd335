"""Reading declarations and stored assessments out of the database as Polars frames.

Every query an importer can reach is built through
:func:`tradeguard.security.restrict_select`, so the tenant filter is in the SQL and the
database never returns another importer's rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from tradeguard.contract.schema import SCHEMAS
from tradeguard.security import Principal, restrict_select
from tradeguard.store.app_tables import assessments, findings
from tradeguard.store.tables import CONTRACT_TABLES

_POLARS = {"text": pl.String(), "int": pl.Int64(), "number": pl.Float64(), "date": pl.Date(),
           "bool": pl.Boolean()}


def _schema(kind: str) -> dict[str, pl.DataType]:
    return {f.name: _POLARS[f.dtype.value] for f in SCHEMAS[kind].fields}


def contract_frame(conn: sa.Connection, kind: str, where: Sequence[Any] = ()) -> pl.DataFrame:
    """Stored rows of one contract kind with exactly the contract's typed columns."""
    table = CONTRACT_TABLES[kind]
    schema = _schema(kind)
    stmt = sa.select(*(table.c[n] for n in schema)).where(*where)
    rows = conn.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


@dataclass(frozen=True)
class Declarations:
    """Entries, their lines and declared supply chains, as the pipeline takes them."""

    entries: pl.DataFrame
    lines: pl.DataFrame
    supply_chain: pl.DataFrame


def stored_declarations(
    engine: sa.Engine, *, date_from: date | None = None, date_to: date | None = None,
    before: date | None = None,
) -> Declarations:
    """Entries filed in a date window (or strictly before a day) with their lines."""
    e = CONTRACT_TABLES["entries"]
    where: list[Any] = []
    if date_from is not None:
        where.append(e.c.entry_date >= date_from)
    if date_to is not None:
        where.append(e.c.entry_date <= date_to)
    if before is not None:
        where.append(e.c.entry_date < before)
    numbers = sa.select(e.c.entry_number).where(*where).scalar_subquery()
    with engine.connect() as conn:
        entries = contract_frame(conn, "entries", where)
        lines = contract_frame(conn, "lines", [CONTRACT_TABLES["lines"].c.entry_number.in_(
            numbers)])
        chain = contract_frame(conn, "supply_chain", [
            CONTRACT_TABLES["supply_chain"].c.entry_number.in_(numbers)])
    return Declarations(entries, lines, chain)


def stored_outcomes(engine: sa.Engine) -> pl.DataFrame:
    """Every stored exam outcome."""
    with engine.connect() as conn:
        return contract_frame(conn, "outcomes")


def save_result(
    engine: sa.Engine, frame: pl.DataFrame, found: pl.DataFrame,
    importer_of: Mapping[str, str], log_seq: Mapping[tuple[str, int], int] | None = None,
) -> str:
    """Store an assessment frame and its findings under a new run id; returns the run id."""
    from tradeguard.targeting import assessments_to_records

    run_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    records = assessments_to_records(frame)
    seqs = log_seq or {}
    rows = [
        {
            "run_id": run_id, "entry_number": r["entry_number"], "line_number": r["line_number"],
            "importer_id": importer_of.get(r["entry_number"]),
            "port_of_entry": r["port_of_entry"],
            "entry_date": date.fromisoformat(r["entry_date"]) if r["entry_date"] else None,
            "risk_score": r["risk_score"], "lane": r["lane"],
            "categories": ";".join(r["categories"]),
            "model_version": r["versions"]["model"], "input_digest": r["input_digest"],
            "record": json.dumps(r, sort_keys=True, default=str), "scored_at": now,
            "log_seq": seqs.get((r["entry_number"], r["line_number"])),
        }
        for r in records
    ]
    owners = pl.DataFrame({"entry_number": list(importer_of),
                           "importer_id": list(importer_of.values())},
                          schema={"entry_number": pl.String, "importer_id": pl.String})
    frows = (found.join(owners, on="entry_number", how="left")
             .with_columns(pl.lit(run_id).alias("run_id"),
                           pl.col("evidence").fill_null("{}"),
                           pl.col("text").fill_null(pl.col("reason_code")),
                           pl.col("severity").fill_null("info"),
                           pl.col("detector").fill_null("unknown"),
                           pl.col("detector_version").fill_null(""))
             .to_dicts())
    with engine.begin() as conn:
        if rows:
            conn.execute(assessments.insert(), rows)
        if frows:
            conn.execute(findings.insert(), frows)
    return run_id


@dataclass(frozen=True)
class AssessmentFilter:
    """What the risk queue and the assessment list can be narrowed by."""

    port: str | None = None
    lane: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    entry_number: str | None = None
    category: str | None = None


def _latest() -> Any:
    """Only the newest assessment of each line (a re-score supersedes, never deletes)."""
    newer = assessments.alias("newer")
    return ~sa.exists().where(
        newer.c.entry_number == assessments.c.entry_number,
        newer.c.line_number == assessments.c.line_number,
        newer.c.id > assessments.c.id,
    )


def list_assessments(
    engine: sa.Engine, principal: Principal, flt: AssessmentFilter, limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The newest assessment per line the principal may see, riskiest first, and the total."""
    t = assessments
    where: list[Any] = [_latest()]
    for column, value in ((t.c.port_of_entry, flt.port), (t.c.lane, flt.lane),
                          (t.c.entry_number, flt.entry_number)):
        if value is not None:
            where.append(column == value)
    if flt.date_from is not None:
        where.append(t.c.entry_date >= flt.date_from)
    if flt.date_to is not None:
        where.append(t.c.entry_date <= flt.date_to)
    if flt.category is not None:
        where.append(t.c.categories.contains(flt.category))
    base = restrict_select(sa.select(t).where(*where), principal, t.c.importer_id)
    count = restrict_select(sa.select(sa.func.count()).select_from(t).where(*where),
                            principal, t.c.importer_id)
    stmt = base.order_by(t.c.risk_score.desc(), t.c.entry_number, t.c.line_number)
    with engine.connect() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = conn.execute(stmt.limit(limit).offset(offset)).mappings().all()
    return [_assessment(r) for r in rows], total


def _assessment(row: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(row["record"])
    record["importer_id"] = row["importer_id"]
    record["scored_at"] = row["scored_at"].isoformat() if row["scored_at"] else None
    record["log_seq"] = row["log_seq"]
    return record


def entry_importer(engine: sa.Engine, entry_number: str) -> str | None:
    """The importer of record of a stored entry; KeyError when no such entry is stored."""
    e = CONTRACT_TABLES["entries"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(e.c.importer_id).where(
            e.c.entry_number == entry_number)).first()
    if row is None:
        raise KeyError(f"no entry {entry_number}")
    return str(row[0]) if row[0] else None


def entry_detail(engine: sa.Engine, entry_number: str) -> dict[str, Any]:
    """Header, lines, newest assessments, findings and supply chain of one stored entry.

    The caller has already checked the principal may read this entry.
    """
    e, ln = CONTRACT_TABLES["entries"], CONTRACT_TABLES["lines"]
    sc = CONTRACT_TABLES["supply_chain"]
    with engine.connect() as conn:
        header = contract_frame(conn, "entries", [e.c.entry_number == entry_number]).to_dicts()
        lines = contract_frame(conn, "lines", [ln.c.entry_number == entry_number]).sort(
            "line_number").to_dicts()
        chain = contract_frame(conn, "supply_chain", [sc.c.entry_number == entry_number]).sort(
            "tier", "supplier_name").to_dicts()
        scored = conn.execute(sa.select(assessments).where(
            assessments.c.entry_number == entry_number, _latest()).order_by(
            assessments.c.line_number)).mappings().all()
    return {
        "entry": header[0] if header else None,
        "lines": lines,
        "assessments": [_assessment(r) for r in scored],
        "supply_chain": chain,
    }


def peer_unit_values(
    engine: sa.Engine, hts_code: str, origin: str | None, unit: str, limit: int = 400,
) -> list[float]:
    """Declared unit values of stored lines with the same HTS number, origin and unit."""
    ln = CONTRACT_TABLES["lines"]
    where: list[Any] = [ln.c.hts_code == hts_code, ln.c.quantity_unit == unit,
                        ln.c.quantity > 0]
    if origin:
        where.append(ln.c.country_of_origin == origin)
    stmt = sa.select((ln.c.entered_value_usd / ln.c.quantity).label("uv")).where(
        *where).limit(limit)
    with engine.connect() as conn:
        return [float(v) for (v,) in conn.execute(stmt) if v is not None]
