"""The SQL both engines run, written once (DuckDB dialect) and transpiled with sqlglot.

Only set-level work lives in SQL — splitting inputs into batches of whole entries, picking rows
by key, the run's latest entry date. Pure functions returning SQL text; executing it is the
engine's job, so the text can be read and tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

BATCH_COLUMN = "_batch"


@cache
def _transpile(sql: str, dialect: str) -> str:
    if dialect == "duckdb":
        return sql
    import sqlglot

    out: list[str] = sqlglot.transpile(sql, read="duckdb", write=dialect)
    return out[0]


def entry_batches(table: str, entries: str, batches: int, dialect: str = "duckdb") -> str:
    """Every row of ``table`` with the number of its entry's batch in ``_batch``.

    The batch is a hash of the entry's importer (``entries`` gives each entry its importer; an
    entry without one is its own account), so all lines of an entry and its header land in the
    same batch, and so does an importer's whole account, which the importer-level reviews
    read. Results therefore never depend on the batch size or the engine.
    """
    if batches < 1:
        raise ValueError(f"batches must be at least 1 (got {batches})")
    account = "COALESCE(e.importer_id, e.entry_number)"
    sql = (f"SELECT t.*, CAST(ABS(HASH({account})) % {batches} AS INT) AS {BATCH_COLUMN} "
           f"FROM {table} AS t JOIN (SELECT entry_number, importer_id FROM {entries}) AS e "
           "ON t.entry_number = e.entry_number")
    return _transpile(sql, dialect)


def _picked(columns: Sequence[str] | None) -> str:
    return "t.*" if columns is None else ", ".join(f"t.{c}" for c in columns)


def rows_of_lines(table: str, keys: str, dialect: str = "duckdb",
                  columns: Sequence[str] | None = None) -> str:
    """Rows of ``table`` whose (entry_number, line_number) is in ``keys`` (only ``columns``
    when given: a detector that reads a few fields of every line gathers just those)."""
    sql = (f"SELECT {_picked(columns)} FROM {table} AS t WHERE EXISTS (SELECT 1 FROM {keys} AS k "
           "WHERE k.entry_number = t.entry_number AND k.line_number = t.line_number)")
    return _transpile(sql, dialect)


def rows_of_entries(table: str, keys: str, dialect: str = "duckdb",
                    columns: Sequence[str] | None = None) -> str:
    """Rows of ``table`` whose entry_number is in ``keys`` (only ``columns`` when given)."""
    sql = (f"SELECT {_picked(columns)} FROM {table} AS t WHERE t.entry_number IN "
           f"(SELECT DISTINCT entry_number FROM {keys})")
    return _transpile(sql, dialect)


def line_keys(table: str, dialect: str = "duckdb") -> str:
    """Every (entry_number, line_number) of ``table``."""
    return _transpile(f"SELECT entry_number, line_number FROM {table}", dialect)


def latest_entry_date(entries: str, lines: str, dialect: str = "duckdb") -> str:
    """The latest date of an entry with lines (the default evaluation date)."""
    sql = (f"SELECT MAX(e.entry_date) AS as_of FROM {entries} AS e WHERE e.entry_number IN "
           f"(SELECT DISTINCT entry_number FROM {lines})")
    return _transpile(sql, dialect)
