"""The declaration frame of a scoring request's few lines, and their input digests, in Python.

:func:`~tradeguard.pipeline.run.declarations` joins and types entries and lines in two
general passes, and :func:`~tradeguard.pipeline.run.input_digest` casts every declared field
to text in a query: ~100 us each whatever the size. For a request's typed lines the same
frame is its columns side by side, and the same digests are each line's fields written as
Polars writes them. Anything these paths cannot vouch for returns None: the general path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from hashlib import sha256
from operator import itemgetter
from typing import Any, NamedTuple

import polars as pl

from tradeguard.frame_reads import column_types, row_tuples
from tradeguard.targeting.request_frames import column


def plain_declarations(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame | None:
    """:func:`~tradeguard.pipeline.run.declarations` of a few typed lines (as the contract
    gives them), or None.

    Each line takes its entry's header by position (the left join's rows, in line order);
    fields already of their type are left as they are and absent ones added as nulls (as
    the typing pass does); HTS codes without dots or spaces are already normalised; the
    derived fields are divided out in Python (the same IEEE division). Lines whose entry is
    missing, repeated entries, a field still to parse or a NaN: the general path. What can
    decline is checked before any column is made.
    """
    numbers = entries.get_column("entry_number").to_list()
    at = {n: i for i, n in enumerate(numbers)}
    if len(at) < len(numbers) or None in at:
        return None
    rows: list[int] = []
    for n in lines.get_column("entry_number").to_list():
        if n not in at:
            return None
        rows.append(at[n])
    # Names and types read once per frame: a series' own ``dtype`` costs about a
    # microsecond, a frame's ``dtypes`` about as much for all of its columns.
    line_names, entry_names = lines.columns, entries.columns
    shared = set(line_names)
    kept = [i for i, n in enumerate(entry_names) if n not in shared]
    entry_types = entries.dtypes
    absent = _declared_absent((*line_names, *(entry_names[i] for i in kept)),
                              (*map(type, lines.dtypes), *(type(entry_types[i]) for i in kept)))
    if absent is None:
        return None
    height = lines.height
    from_entries = {entry_names[i] for i in kept}

    def values(name: str) -> list[Any]:
        if name in shared:
            return lines.get_column(name).to_list()
        if name in from_entries:  # the entry's value on each of its lines
            column = entries.get_column(name).to_list()
            return [column[r] for r in rows]
        return [None] * height  # absent: added as nulls

    hts = values("hts_code")
    if not all(h is None or (h.isascii() and h.isalnum()) for h in hts):
        return None
    derived = _plain_derived(*(values(n) for n in (
        "entered_value_usd", "quantity", "gross_weight_kg")))
    if derived is None:
        return None
    every = entries.get_columns()
    header = [every[i] for i in kept]
    if rows and len(set(rows)) == 1:  # one entry's lines: its header, repeated
        one = rows[0]
        if not (entries.height == 1 and len(rows) == 1):
            header = [s.new_from_index(one, len(rows)) for s in header]
    else:
        picked = entries[rows].get_columns()
        header = [picked[i] for i in kept]
    added = [pl.Series(n, [None] * height, dtype=t) for n, t in absent]
    return lines.hstack([*header, *added, *derived])


def _plain_derived(value: list[float | None], quantity: list[float | None],
                   weight: list[float | None]) -> list[pl.Series] | None:
    """The derived fields of a few lines as :func:`~tradeguard.rules._fields.derived_columns`
    gives them (a zero or missing divisor gives null); None on a NaN, which Polars orders
    above every number."""
    if any(v != v for v in (*value, *quantity, *weight) if v is not None):
        return None

    def ratio(divisors: list[float | None]) -> list[float | None]:
        return [v / d if v is not None and d is not None and d > 0 else None
                for v, d in zip(value, divisors, strict=True)]

    return [column("unit_value_usd", ratio(quantity), pl.Float64()),
            column("value_per_kg_usd", ratio(weight), pl.Float64())]


@lru_cache(maxsize=16)
def _declared_absent(columns: tuple[str, ...], kinds: tuple[type[pl.DataType], ...]
                     ) -> tuple[tuple[str, pl.DataType], ...] | None:
    """The declared fields a frame of this shape lacks, with their types (added as nulls);
    None when a field is not of its type yet or a derived field is there already.

    Columns are told by their type classes: every declared field's type is a plain one,
    which a column has exactly when its class is that type's (a cheaper cache key than the
    types themselves, whose hashing and comparison run in Python)."""
    from tradeguard.rules import DECLARED_FIELDS
    from tradeguard.rules._fields import POLARS_TYPES

    have = dict(zip(columns, kinds, strict=True))
    absent = []
    for name, spec in DECLARED_FIELDS.items():
        if spec.source == "derived":
            if name in have:
                return None
        elif name not in have:
            absent.append((name, POLARS_TYPES[spec.kind]))
        elif have[name] is not type(POLARS_TYPES[spec.kind]):
            return None
    return tuple(absent)


def _plain_float(value: float) -> str | None:
    """A float as Polars writes it, where Python's shortest form is the same (no exponent)."""
    return repr(value) if value == 0.0 or 1e-4 <= abs(value) < 1e15 else None


def _plain_day(value: date) -> str | None:
    return value.isoformat() if 1000 <= value.year <= 9999 else None


def _plain_format(kind: type[pl.DataType]) -> Callable[[Any], str | None] | None:
    """How the general path's text cast writes a non-null value of a column whose type's
    class is ``kind`` (None: a type left to the general path). The types written here have
    no parameters, so the class says the type."""
    if kind is pl.String:
        return str
    if kind is pl.Boolean:
        return lambda v: "true" if v else "false"
    if kind.is_integer():
        return str
    if kind is pl.Float64:
        return _plain_float
    if kind is pl.Date:
        return _plain_day
    return None


class _DigestPlan(NamedTuple):
    """How a frame shape's rows are written for their digest: ``get`` reads the digested
    fields present from a row; ``writes`` writes the non-text ones (by their place in what
    ``get`` reads; text is written as it is); ``template`` is the whole text with a ``%s``
    for each field read (labels, and absent fields' ``\\N``, written in)."""

    get: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    writes: tuple[tuple[int, Callable[[Any], str | None]], ...]
    template: str


@lru_cache(maxsize=16)
def _plain_plan(columns: tuple[str, ...], dtypes: tuple[type[pl.DataType], ...]
                ) -> _DigestPlan | None:
    """The digest plan of a frame shape, told by its columns' type classes (None: a type
    left to the general path)."""
    at = {c: i for i, c in enumerate(columns)}
    positions: list[int] = []
    writes: list[tuple[int, Callable[[Any], str | None]]] = []
    template = ""
    for i, n in enumerate(digest_fields()):
        template += (("\x1f" if i else "") + n + "=").replace("%", "%%")
        if n not in at:
            template += "\\N"
            continue
        kind = dtypes[at[n]]
        write = _plain_format(kind)
        if write is None:
            return None
        if kind is not pl.String:
            writes.append((len(positions), write))
        positions.append(at[n])
        template += "%s"
    return _DigestPlan(_reader(positions), tuple(writes), template)


def _reader(positions: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The values at ``positions`` of a row, as a tuple (one C call for two or more)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda row: tuple(row[i] for i in positions)


def plain_digests(decl: pl.DataFrame) -> pl.Series | None:
    """:func:`~tradeguard.pipeline.run.input_digest` of a few lines in Python (the same
    text, field by field)."""
    types = column_types(decl)  # read once per frame, shared with the other steps
    plan = _plain_plan(tuple(types), tuple(map(type, types.values())))
    if plan is None:
        return None
    out = []
    for row in row_tuples(decl):
        values = list(plan.get(row))
        for k, write in plan.writes:
            value = values[k]
            if value is not None:
                text = write(value)
                if text is None:
                    return None  # a value Polars writes otherwise: the general path
                values[k] = text
        written = plan.template % tuple(["\\N" if v is None else v for v in values])
        out.append(sha256(written.encode("utf-8")).hexdigest())
    return column("input_digest", out, pl.String())


@lru_cache(maxsize=1)
def digest_fields() -> tuple[str, ...]:
    """The declared contract fields a digest covers, in contract order."""
    from tradeguard.contract.schema import schema_for

    return tuple(dict.fromkeys([*schema_for("entries").names, *schema_for("lines").names]))
