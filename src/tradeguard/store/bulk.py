"""Bulk loading of Polars frames: COPY on PostgreSQL, executemany on SQLite.

Both paths insert with ``ON CONFLICT (natural_key) DO NOTHING`` (when a conflict column is
given) and return how many rows were really inserted, so a row another process loaded in the
meantime is counted as already present rather than failing the load. They run inside the
caller's transaction.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa


def _for_driver(df: pl.DataFrame) -> pl.DataFrame:
    # Dates travel as ISO text: sqlite3's date adapter is deprecated and COPY reads text anyway.
    return df.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))


def bulk_insert(
    conn: sa.Connection, table: sa.Table, df: pl.DataFrame, conflict: str | None = None
) -> int:
    """Insert every row of ``df`` (columns named as in ``table``); return rows inserted."""
    if df.is_empty():
        return 0
    if conn.dialect.name == "postgresql":
        return _copy_insert(conn, table, df, conflict)
    return _executemany_insert(conn, table, df, conflict)


def _quoted_columns(conn: sa.Connection, columns: list[str]) -> str:
    quote = conn.dialect.identifier_preparer.quote
    return ", ".join(quote(c) for c in columns)


def _executemany_insert(
    conn: sa.Connection, table: sa.Table, df: pl.DataFrame, conflict: str | None
) -> int:
    cols = _quoted_columns(conn, df.columns)
    marks = ", ".join("?" for _ in df.columns)
    tail = f" ON CONFLICT ({conflict}) DO NOTHING" if conflict else ""
    sql = f"INSERT INTO {table.name} ({cols}) VALUES ({marks}){tail}"
    # The raw cursor takes an iterator, so the batch never exists as a list of Python tuples.
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, _for_driver(df).iter_rows(buffer_size=4096))
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _copy_insert(
    conn: sa.Connection, table: sa.Table, df: pl.DataFrame, conflict: str | None
) -> int:
    cols = _quoted_columns(conn, df.columns)
    payload = _for_driver(df).write_csv(include_header=False, null_value="").encode("utf-8")
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        if conflict is None:
            with cur.copy(f"COPY {table.name} ({cols}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(payload)
            return len(df)
        # COPY cannot skip conflicts: stage the batch, then INSERT ... ON CONFLICT DO NOTHING.
        stage = f"tg_stage_{table.name}"
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(payload)
        cur.execute(
            f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
            f"ON CONFLICT ({conflict}) DO NOTHING"
        )
        inserted = cur.rowcount
        cur.execute(f"TRUNCATE {stage}")
        return int(inserted)
