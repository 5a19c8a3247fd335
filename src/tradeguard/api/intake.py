"""JSON rows in, contract-validated frames out: the same checks as file ingest.

A request's rows go through :func:`tradeguard.contract.validate_batch` exactly as a file's
would, so the API accepts and rejects what ``tradeguard ingest`` accepts and rejects. Any
rejected row refuses the request with a 422 naming the row, the fields and the reasons.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from tradeguard.api.problems import ApiProblem
from tradeguard.request_path import REQUEST_LINES

#: Requests of at most this many rows may take the plain-rows path (see :func:`validated`).
PLAIN_ROWS_MAX = REQUEST_LINES


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def validated(kind: str, rows: Sequence[Mapping[str, Any]], *, label: str,
              known_entries: pl.Series | Collection[str] | None = None) -> pl.DataFrame:
    """Validate ``rows`` as contract ``kind``; the accepted frame, or a 422 with every reject.

    ``known_entries``: the entry numbers rows may refer to, as a column or as plain strings
    (a request's one entry number needs no Polars query to look up).
    """
    from tradeguard.contract.plain_rows import accept_plain_rows
    from tradeguard.contract.schema import schema_for

    schema = schema_for(kind)
    today = date.today()
    cells = [{k: v if v.__class__ is str else _cell(v) for k, v in r.items()} for r in rows]
    numbers = _known_numbers(known_entries)
    # A request's rows are few: when every cell is already in its stored form, they are
    # typed in Python (the general path's twenty-odd queries cost ~100 us each); any other
    # row, valid or not, goes through the general path, which names every reject.
    if len(rows) <= PLAIN_ROWS_MAX:
        plain = accept_plain_rows(cells, schema, today=today, known_entries=numbers)
        if plain is not None:
            return plain
    from tradeguard.contract.validate import ROW, validate_batch

    columns = list(dict.fromkeys([*schema.names, *(k for r in rows for k in r)]))
    data = {c: [r.get(c) for r in cells] for c in columns}
    raw = pl.DataFrame(data, schema={c: pl.String for c in columns}).with_columns(
        pl.int_range(1, len(rows) + 1, dtype=pl.Int64).alias(ROW))
    known = None
    if numbers is not None:
        wanted = pl.Series("entry_number", list(numbers), dtype=pl.String)

        def known(found: pl.Series) -> pl.Series:
            return found.filter(found.is_in(wanted.implode()))

    checked = validate_batch(raw, schema, today=today, known_entries=known)
    if checked.rejected.height:
        rejects = [{"row": r["row_number"], "fields": r["fields"], "reasons": r["reasons"]}
                   for r in checked.rejected.iter_rows(named=True)]
        first = rejects[0]
        raise ApiProblem(422, f"{label} row {first['row']}: {first['reasons']}",
                         kind="rejected-rows", rejected=rejects)
    return checked.accepted.select(schema.names)


def _known_numbers(known: pl.Series | Collection[str] | None) -> Collection[str] | None:
    """The known entry numbers as a set of strings (nulls left out, as ``is_in`` leaves them)."""
    if known is None:
        return None
    if isinstance(known, pl.Series):
        column = known if known.dtype == pl.String else known.cast(pl.String)
        return {n for n in column.to_list() if n is not None}
    return known if isinstance(known, (set, frozenset)) else set(known)
