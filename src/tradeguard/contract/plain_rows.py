"""Contract rows already in their plain form, accepted without a query (a scoring request).

A scoring request holds one entry and a few lines, and :func:`~tradeguard.contract.validate_batch`
runs some twenty Polars queries on them (about 100 us each, whatever the size). Most requests
send every cell in the form the contract stores: ASCII codes in the right case and length,
plain decimal numbers, ISO days, no surrounding whitespace. :func:`accept_plain_rows` reads
such rows in Python with the contract's own patterns, spellings and limits, and types them as
the general path would. Any cell that would need cleaning (case, dots, separators, leading
zeros of long codes...), any cell that might fail a check, any duplicate key or unknown
entry answers None: the caller then runs the general path, so every rejection (its fields,
reasons and row numbers) still comes from there. An accepted cell is only ever one whose
value cannot differ between the two paths.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from tradeguard.contract.countries import country_codes
from tradeguard.contract.free_text import MAX_EXTRA_CHARS, suspect_text
from tradeguard.contract.parse import BOOL_SPELLINGS, rule_pattern
from tradeguard.contract.schema import FINDING_CATEGORIES, DType, Field, FileSchema, Rule
from tradeguard.kept import Kept

#: Parsed value of a plain cell, or :data:`_NOT_PLAIN` when the general path must decide.
_NOT_PLAIN: Any = object()
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_PLAIN_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")
#: Whole numbers above this are left to the general path (exact in a float, far in an Int64).
_MAX_WHOLE = 2**53
_DTYPES: dict[DType, pl.DataType] = {
    DType.TEXT: pl.String(), DType.INT: pl.Int64(), DType.NUMBER: pl.Float64(),
    DType.DATE: pl.Date(), DType.BOOL: pl.Boolean(),
}  # fmt: skip

Reader = Callable[[str, date], Any]


def _matcher(rule: Rule) -> Callable[[str], bool]:
    """Whether a cleaned value matches the rule's pattern in ASCII (an ASCII match is a match
    of the general path's Unicode pattern too; anything else goes to the general path)."""
    pattern = rule_pattern(rule)
    assert pattern is not None
    full = re.compile(pattern, re.ASCII).fullmatch
    return lambda v: full(v) is not None


def _text_reader(f: Field) -> Reader | None:
    """How a plain cell of text field ``f`` reads (None: a rule this path does not know)."""
    if len(f.rules) > 1:
        return None
    rule = f.rules[0] if f.rules else None
    limit, multi = f.max_chars, f.multi_line

    def free(cell: str, today: date) -> Any:
        if limit is not None and suspect_text(cell, limit, multi):
            return _NOT_PLAIN
        return cell

    if rule is None:
        return free
    if rule is Rule.UPPER:  # the text checks look at the cell as sent, the value is upper
        return lambda cell, today: cell.upper() if cell.isascii() \
            and free(cell, today) is not _NOT_PLAIN else _NOT_PLAIN
    if rule is Rule.COUNTRY:
        codes = country_codes()
        return lambda cell, today: cell.upper() if cell.isascii() and cell.upper() in codes \
            else _NOT_PLAIN
    if rule is Rule.CATEGORY:
        return lambda cell, today: cell.lower() if cell.isascii() \
            and cell.lower() in FINDING_CATEGORIES else _NOT_PLAIN
    if rule in (Rule.HTS10, Rule.HTS6_OR_10, Rule.ENTRY_NUMBER):
        ok = _matcher(rule)  # already clean: cleaning would leave the value as it is
        return lambda cell, today: cell if ok(cell) else _NOT_PLAIN
    if rule in (Rule.LOCODE, Rule.ADCVD_CASE):
        ok = _matcher(rule)
        return lambda cell, today: cell.upper() if cell.isascii() and ok(cell.upper()) \
            else _NOT_PLAIN
    if rule in (Rule.PORT, Rule.TWO_DIGIT_CODE):
        ok, width = _matcher(rule), 4 if rule is Rule.PORT else 2

        def code(cell: str, today: date) -> Any:
            if ok(cell):
                return cell
            # A code one digit short gets its leading zero back (as the general path does).
            if len(cell) == width - 1 and _DIGITS.fullmatch(cell):
                return "0" + cell
            return _NOT_PLAIN
        return code
    return None


def _number_reader(f: Field) -> Reader | None:
    """Plain decimals only (no sign, exponent or separator); ``float`` rounds as the general
    path's cast does (both correctly rounded)."""
    known = {Rule.NON_NEGATIVE, Rule.AT_LEAST_ONE, Rule.PROBABILITY}
    if not set(f.rules) <= known:
        return None
    whole = f.dtype is DType.INT
    least = 1.0 if Rule.AT_LEAST_ONE in f.rules else 0.0
    probability = Rule.PROBABILITY in f.rules

    def number(cell: str, today: date) -> Any:
        if not _PLAIN_NUMBER.fullmatch(cell):
            return _NOT_PLAIN
        v = float(cell)
        if not math.isfinite(v) or v < least or (probability and not 0.0 < v <= 1.0):
            return _NOT_PLAIN
        if whole:
            return int(v) if v.is_integer() and v < _MAX_WHOLE else _NOT_PLAIN
        return v
    return number


def _day_reader(f: Field) -> Reader | None:
    if not set(f.rules) <= {Rule.NOT_FUTURE}:
        return None
    not_future = Rule.NOT_FUTURE in f.rules

    def day(cell: str, today: date) -> Any:
        if not _PLAIN_DAY.fullmatch(cell):
            return _NOT_PLAIN
        try:
            v = date.fromisoformat(cell)
        except ValueError:
            return _NOT_PLAIN
        return _NOT_PLAIN if not_future and v > today else v
    return day


def _bool_reader(f: Field) -> Reader | None:
    if f.rules:
        return None
    return lambda cell, today: BOOL_SPELLINGS.get(cell.lower(), _NOT_PLAIN) \
        if cell.isascii() else _NOT_PLAIN


def _reader(f: Field) -> Reader | None:
    if f.dtype is DType.TEXT:
        return _text_reader(f)
    if f.dtype in (DType.NUMBER, DType.INT):
        return _number_reader(f)
    if f.dtype is DType.DATE:
        return _day_reader(f)
    return _bool_reader(f)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What reading one schema's plain rows needs, cut once per schema: each field's name,
    whether it is required and its reader, the column names, the typed frame schema and where
    the key and entry number sit."""

    readers: tuple[tuple[str, bool, Reader], ...]
    names: frozenset[str]
    frame_schema: pl.Schema
    key_at: tuple[int, ...]
    entry_at: int | None


#: Plans by schema identity (hashing a schema hashes every field and rule: ~15 us a call).
_PLANS: Kept[int, tuple[FileSchema, _Plan | None]] = Kept(64)


def _plan(schema: FileSchema) -> _Plan | None:
    """The schema's plan, cut once per schema object."""
    found = _PLANS.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    # the schema is kept, so its id is not reused
    return _PLANS.keep(id(schema), (schema, _new_plan(schema)))[1]


def _new_plan(schema: FileSchema) -> _Plan | None:
    """The schema's plan (None: some field has no reader, so its rows go the general way)."""
    out = []
    for f in schema.fields:
        read = _reader(f)
        if read is None:
            return None
        out.append((f.name, f.required, read))
    names = schema.names
    return _Plan(
        readers=tuple(out), names=frozenset(names),
        frame_schema=pl.Schema({f.name: _DTYPES[f.dtype] for f in schema.fields}),
        key_at=tuple(names.index(k) for k in schema.key),
        entry_at=names.index("entry_number") if schema.needs_entry else None)


def _extra_is_plain(cell: str | None) -> bool:
    """An unknown column's cell that the general path's text checks pass without a look."""
    if cell is None or cell == "":
        return True
    return cell.strip() == cell and not suspect_text(cell, MAX_EXTRA_CHARS, True)


def accept_plain_rows(
    rows: Sequence[Mapping[str, str | None]], schema: FileSchema, *, today: date,
    known_entries: Collection[str] | None = None,
) -> pl.DataFrame | None:
    """The accepted frame (contract columns, typed) of ``rows`` whose every cell is plain;
    None when the general path must decide (some cell needs cleaning or may fail a check).

    ``rows`` are cells as text, as the general path reads them; ``known_entries``: the entry
    numbers lines may refer to (as the general path's ``known_entries`` answers). The frame is
    built from row tuples in one call: a column at a time costs ~15 us per column.
    """
    plan = _plan(schema)
    if plan is None or not rows:
        return None
    names, key_at, entry_at = plan.names, plan.key_at, plan.entry_at
    typed: list[tuple[Any, ...]] = []
    keys: set[tuple[Any, ...]] = set()
    for row in rows:
        if not names.issuperset(row):  # columns the contract does not know: each looked at
            for name, cell in row.items():
                if name not in names and (name.startswith("__") or not _extra_is_plain(cell)):
                    return None
        values: list[Any] = []
        for name, required, read in plan.readers:
            cell = row.get(name)
            if cell is None or cell == "":
                if required:
                    return None
                values.append(None)
                continue
            if cell.strip() != cell:  # Python strips every character Polars strips, and more
                return None
            v = read(cell, today)
            if v is _NOT_PLAIN:
                return None
            values.append(v)
        key = tuple(values[i] for i in key_at)
        if key in keys or any(isinstance(k, str) and "|" in k for k in key):
            return None
        keys.add(key)
        if entry_at is not None and known_entries is not None \
                and values[entry_at] not in known_entries:
            return None
        typed.append(tuple(values))
    return row_frame(typed, plan.frame_schema)


def row_frame(rows: list[tuple[Any, ...]], schema: pl.Schema) -> pl.DataFrame:
    """``pl.DataFrame(rows, schema=schema, orient="row")`` for rows whose values already
    have the schema's types, built by the Rust constructor that call ends in.

    The public call then checks each column's name and type in Python (~90 us on a
    contract's twenty-odd columns, every request) and, values being of their types, changes
    nothing; a Polars without that constructor gets the public call.
    """
    try:
        from polars._plr import PyDataFrame

        # Its stub types ``data`` as columns; the public call hands it these very rows.
        built = PyDataFrame.from_rows(
            rows, schema=schema, infer_schema_length=None)  # type: ignore[arg-type]
    except (ImportError, AttributeError, TypeError):
        return pl.DataFrame(rows, schema=schema, orient="row")
    return pl.DataFrame._from_pydf(built)
