"""Reading and writing the ingest tables: batches, contract rows, amendments, quarantine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tradeguard.contract.validate import CONTENT_HASH, NATURAL_KEY
from tradeguard.store.bulk import bulk_insert
from tradeguard.store.tables import (
    CONTRACT_TABLES,
    ingest_batches,
    quarantine,
    superseded_rows,
)

#: Keys looked up per query.
LOOKUP_CHUNK = 20_000


def _now() -> datetime:
    return datetime.now(UTC)


def _key_batches(conn: sa.Connection, values: pl.Series) -> Iterator[Any]:
    """The values to look up, in chunks bound as one parameter each (see _rows_with_keys)."""
    for start in range(0, values.len(), LOOKUP_CHUNK):
        chunk = values.slice(start, LOOKUP_CHUNK)
        if conn.dialect.name == "postgresql":
            yield chunk.to_list()
        else:
            yield json.dumps(chunk.to_list())


def _rows_with_keys(
    conn: sa.Connection, table: sa.Table, key: sa.Column[Any], columns: list[sa.Column[Any]]
) -> sa.Select[Any]:
    """``SELECT columns FROM table`` for the rows whose ``key`` is among the values bound to ``k``.

    The values travel as one parameter, so a query stays small whatever the chunk size. On
    PostgreSQL it is an array joined through ``unnest``, each value an index probe (a long
    ``IN`` list, or ``= ANY`` under a cached generic plan, makes the planner test every stored
    row against every value); on SQLite a JSON array read by ``json_each``.
    """
    if conn.dialect.name == "postgresql":
        wanted = (
            sa.func.unnest(sa.bindparam("k", type_=postgresql.ARRAY(sa.Text)))
            .table_valued("value")
            .render_derived(name="wanted")
        )
        return sa.select(*columns).join_from(wanted, table, key == wanted.c.value)
    values: sa.Select[Any] = sa.select(sa.column("value")).select_from(
        sa.func.json_each(sa.bindparam("k", type_=sa.Text))
    )
    return sa.select(*columns).where(key.in_(values))


def existing_values(conn: sa.Connection, column: sa.Column[Any], values: pl.Series) -> pl.Series:
    """Those of ``values`` that are present in ``column`` (an indexed text column)."""
    found: list[Any] = []
    query = _rows_with_keys(conn, column.table, column, [column])
    for chunk in _key_batches(conn, values.unique()):
        found += conn.execute(query, {"k": chunk}).scalars().all()
    return pl.Series(values.name, found, dtype=values.dtype)


def stored_hashes(conn: sa.Connection, table: sa.Table, keys: pl.Series) -> pl.DataFrame:
    """``natural_key`` and stored ``content_hash`` for those of ``keys`` already stored."""
    query = _rows_with_keys(
        conn, table, table.c.natural_key, [table.c.natural_key, table.c.content_hash]
    )
    rows: list[tuple[Any, Any]] = []
    for chunk in _key_batches(conn, keys):
        rows += [(key, digest) for key, digest in conn.execute(query, {"k": chunk})]
    return pl.DataFrame(
        rows, schema={NATURAL_KEY: pl.String(), "stored_hash": pl.String()}, orient="row"
    )


@dataclass
class StoreCounts:
    """What happened to the accepted rows of a batch."""

    inserted: int = 0
    amended: int = 0
    already_present: int = 0


def store_accepted(
    conn: sa.Connection, kind: str, accepted: pl.DataFrame, batch_id: int
) -> StoreCounts:
    """Insert new rows, supersede changed ones, count the ones already stored unchanged.

    Same natural key and same content: already present, nothing written. Same key, different
    content: an amendment — the stored version moves to ``superseded_rows`` and the new one
    replaces it with ``version`` + 1 (like a post-summary correction of an entry summary).
    """
    table = CONTRACT_TABLES[kind]
    if accepted.is_empty():
        return StoreCounts()
    stored = stored_hashes(conn, table, accepted[NATURAL_KEY])
    rows = accepted.drop("__row").join(stored, on=NATURAL_KEY, how="left")
    new = rows.filter(pl.col("stored_hash").is_null()).drop("stored_hash")
    changed = rows.filter(
        pl.col("stored_hash").is_not_null() & (pl.col("stored_hash") != pl.col(CONTENT_HASH))
    ).drop("stored_hash")
    unchanged = rows.height - new.height - changed.height
    inserted = bulk_insert(
        conn, table, new.with_columns(pl.lit(batch_id).alias("batch_id")), conflict="natural_key"
    )
    amended = amend(conn, table, changed, batch_id)
    return StoreCounts(
        inserted=inserted, amended=amended, already_present=unchanged + new.height - inserted
    )


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def amend(conn: sa.Connection, table: sa.Table, changed: pl.DataFrame, batch_id: int) -> int:
    """Replace stored rows by their new versions, keeping each old version in history."""
    if changed.is_empty():
        return 0
    keys = changed[NATURAL_KEY]
    old_query = _rows_with_keys(conn, table, table.c.natural_key, list(table.c))
    now = _now()
    history: list[dict[str, Any]] = []
    for chunk in _key_batches(conn, keys):
        for row in conn.execute(old_query, {"k": chunk}).mappings():
            content = {k: v for k, v in row.items() if k not in ("id", "batch_id", "version")}
            history.append(
                {
                    "table_name": table.name,
                    "natural_key": row["natural_key"],
                    "version": row["version"],
                    "content_hash": row["content_hash"],
                    "row": json.dumps(content, default=_json_default, sort_keys=True),
                    "batch_id": row["batch_id"],
                    "superseded_by_batch_id": batch_id,
                    "superseded_at": now,
                }
            )
    conn.execute(superseded_rows.insert(), history)
    columns = [c for c in changed.columns if c != NATURAL_KEY]
    update = (
        table.update()
        .where(table.c.natural_key == sa.bindparam("b_natural_key"))
        .values(
            {c: sa.bindparam(f"b_{c}") for c in columns}
            | {"version": table.c.version + 1, "batch_id": batch_id}
        )
    )
    params = [{f"b_{k}": v for k, v in row.items()} for row in changed.iter_rows(named=True)]
    conn.execute(update, params)
    return len(params)


def insert_quarantine(
    conn: sa.Connection, rejected: pl.DataFrame, batch_id: int, file: str, kind: str
) -> None:
    """Record rejected rows (row_number, fields, reasons, raw_row) in the quarantine table."""
    if rejected.is_empty():
        return
    frame = rejected.select(
        pl.lit(batch_id).alias("batch_id"),
        pl.lit(file).alias("file"),
        pl.lit(kind).alias("kind"),
        "row_number",
        "fields",
        "reasons",
        "raw_row",
    )
    bulk_insert(conn, quarantine, frame)


def start_batch(engine: sa.Engine, **values: Any) -> int:
    """Record the start of an ingest (file, sha256, kind, format, encoding); return its id."""
    with engine.begin() as conn:
        result = conn.execute(
            ingest_batches.insert()
            .values(status="running", started_at=_now(), **values)
            .returning(ingest_batches.c.id)
        )
        return int(result.scalar_one())


def finish_batch(engine: sa.Engine, batch_id: int, **values: Any) -> None:
    """Record the outcome of an ingest (status, counts, rejects file, error)."""
    with engine.begin() as conn:
        conn.execute(
            ingest_batches.update()
            .where(ingest_batches.c.id == batch_id)
            .values(finished_at=_now(), **values)
        )


def refresh_statistics(engine: sa.Engine, table: sa.Table) -> None:
    """Update the planner's statistics after a bulk load (PostgreSQL; SQLite needs none)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text(f"ANALYZE {table.name}"))
