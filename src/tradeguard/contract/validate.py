"""Normalise and validate a batch of raw contract rows, vectorised with Polars.

A raw batch has every cell as text (see :mod:`tradeguard.contract.readers`) plus ``__row``,
the row number a user sees. :func:`validate_batch` cleans what users really send (whitespace,
dotted HTS codes, ``Y``/``N`` booleans, lower-case country codes, thousands separators,
entry numbers without dashes), parses each column to its contract type, applies the column's
rules, and splits the batch into accepted rows (typed, ready to store) and rejected rows (one
per row, with every reason it failed and the raw row as JSON). No Python loop runs per row.
The column expressions are in :mod:`tradeguard.contract.parse`, duplicate keys in
:mod:`tradeguard.contract.keys`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.contract.free_text import MAX_EXTRA_CHARS, mask_controls, suspect, text_checks
from tradeguard.contract.keys import NATURAL_KEY, ROW, KeyTracker, first_rows
from tradeguard.contract.parse import (
    Check,
    fact_exprs,
    finish,
    non_empty,
    presence_checks,
    raw_cell,
    rule_checks,
    trimmed,
    value,
    well_formed_entries,
)
from tradeguard.contract.schema import FileSchema
from tradeguard.digests import sha256_hex

__all__ = [
    "CONTENT_HASH", "EXTRA", "KEY_SEPARATOR", "NATURAL_KEY", "READ_ERROR", "ROW",
    "CheckedBatch", "KeyTracker", "KnownEntries", "content_hash_expr", "validate_batch",
]  # fmt: skip

READ_ERROR = "__read_error"  # set by a reader when a row could not be parsed at all
EXTRA = "extra"  # JSON object of the columns the contract does not know
CONTENT_HASH = "content_hash"
#: Batches of at most this many rows run fewer, wider passes (see :func:`validate_batch`).
SMALL_BATCH_ROWS = 256
KEY_SEPARATOR = "|"

#: Given entry numbers, return those already stored (used for lines' references).
KnownEntries = Callable[[pl.Series], pl.Series]


@dataclass
class CheckedBatch:
    """A validated batch: accepted rows ready to store, rejected rows for quarantine."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame
    rows_read: int


def _natural_key(schema: FileSchema, prefix: str = "") -> pl.Expr:
    """The natural key as one string (key values joined by ``|``, an empty value as empty)."""
    parts = [pl.col(f"{prefix}{k}").cast(pl.String).fill_null("") for k in schema.key]
    return pl.concat_str(parts, separator=KEY_SEPARATOR)


def content_hash_expr(schema: FileSchema) -> pl.Expr:
    """Stable digest of a row's stored content (contract columns and extras).

    Stored with the row and compared on re-ingest, so it must not change between library
    versions (Polars' own hash may): a SHA-256 hex digest of the normalised values, joined
    with a unit separator, a missing value written ``\\N``.
    """
    parts = [pl.col(c).cast(pl.String).fill_null("\\N") for c in (*schema.names, EXTRA)]
    return pl.concat_str(parts, separator="\x1f").map_batches(sha256_hex, return_dtype=pl.String)


def _facts(frame: pl.DataFrame, prelude: _Prelude) -> dict[str, bool]:
    """One pass over the batch for what decides which expressions it needs (see parse)."""
    if not prelude.facts:
        return {}
    row = frame.select(prelude.facts).row(0, named=True)
    return {name: bool(flag) for name, flag in row.items()}


def _checks(schema: FileSchema, extras: list[str], facts: dict[str, bool],
            text_limits: dict[str, tuple[pl.Expr, int, bool]], today: date) -> list[Check]:
    """Every check of the batch, in the order reasons are listed."""
    checks: list[Check] = []
    for f in schema.fields:
        cell, typed = pl.col(f"__r_{f.name}"), pl.col(f"__v_{f.name}")
        checks += presence_checks(f, typed, cell)
        # Free-text fields only: a closed format (pattern, code list) already rejects hostile
        # text; the text checks run for the columns where some cell is suspect.
        if facts.get(f"{f.name}:text"):
            checks += [Check(f.name, *c) for c in text_checks(*text_limits[f.name])]
        checks += rule_checks(f, typed, cell, today, facts)
    # Unknown columns are stored too (in ``extra``): the same hostile-text rules apply.
    for name in extras:
        if facts.get(f"{name}:text"):
            checks += [Check(name, *c) for c in text_checks(*text_limits[name])]
    return checks


def validate_batch(
    raw: pl.DataFrame,
    schema: FileSchema,
    *,
    today: date,
    keys: KeyTracker | None = None,
    known_entries: KnownEntries | None = None,
    contract_only: bool = False,
) -> CheckedBatch:
    """Normalise, type and check one raw batch; split it into accepted and rejected rows.

    ``keys`` carries the natural keys of earlier batches of the same file, so a duplicate
    key is caught across batches; ``known_entries`` answers which entry numbers are stored
    (for files whose rows must refer to an entry). A row that fails several checks gets one
    rejection with every reason. ``contract_only`` leaves out of the accepted rows what only
    storing them needs (row number, natural key, ``extra``, content hash): the contract's
    columns only.
    """
    contract = set(schema.names)
    extras = tuple(c for c in raw.columns if c not in contract and not c.startswith("__"))
    missing = [f.name for f in schema.fields if f.name not in raw.columns]
    # One chunk per column: Polars 1.35 can panic in pl.format over columns chunked unevenly.
    added = [pl.lit(None, dtype=pl.String).alias(n) for n in missing]
    if READ_ERROR not in raw.columns:
        added.append(pl.lit(None, dtype=pl.String).alias(READ_ERROR))
    frame = raw.rechunk()
    if added:
        frame = frame.with_columns(added)

    # Passes, each one with_columns so Polars runs a pass's expressions in parallel: trimmed
    # cells (empty ones nulled in a second pass, so each cell is trimmed once), typed values,
    # then one boolean per check (true = failed). Reason texts come last, for failed rows.
    # A small batch (an API request) does trimming and nulling, and parsing and finishing,
    # in one pass each: the same values, one query fewer each.
    small = raw.height <= SMALL_BATCH_ROWS
    prelude = _prelude(schema, extras)
    if small:
        frame = frame.with_columns(prelude.cells)
    else:
        frame = frame.with_columns(prelude.trimmed).with_columns(prelude.non_empty)
    facts = _facts(frame, prelude)
    plan = _plan(schema, extras, tuple(sorted(facts.items())), today)
    if small:
        frame = frame.with_columns(plan.typed)
    else:
        frame = frame.with_columns(plan.values)
        if plan.finished:
            frame = frame.with_columns(plan.finished)
    frame = frame.with_columns(plan.flags)
    first = first_rows(frame, plan.key_ok, keys if keys is not None else KeyTracker())
    frame = frame.with_columns(first, (pl.col(ROW) != first).fill_null(False).alias("__dup"))
    frame = frame.with_columns(
        _unknown_entries(frame, schema, known_entries, facts).alias("__orphan"))
    frame = frame.with_columns(plan.bad)
    rejected = _rejected(frame.filter(pl.col("__bad")).rechunk(), raw, plan.named)
    return CheckedBatch(accepted=_accepted(frame, schema, extras, contract_only, small),
                        rejected=rejected, rows_read=raw.height)


@dataclass(frozen=True)
class _Prelude:
    """The expressions of a file's first passes (trim, null empty cells, batch facts), built
    once per (schema, unknown columns): building them costs more than running them on the
    one-entry batches of the scoring service."""

    trimmed: tuple[pl.Expr, ...]
    non_empty: tuple[pl.Expr, ...]
    cells: tuple[pl.Expr, ...]  # trimmed and nulled in one expression
    text_limits: dict[str, tuple[pl.Expr, int, bool]]
    facts: tuple[pl.Expr, ...]


@lru_cache(maxsize=64)
def _prelude(schema: FileSchema, extras: tuple[str, ...]) -> _Prelude:
    cells = [f"__r_{f.name}" for f in schema.fields]
    text_limits = {
        f.name: (pl.col(f"__r_{f.name}"), f.max_chars, f.multi_line)
        for f in schema.fields
        if f.max_chars is not None
    }
    text_limits |= {name: (raw_cell(name), MAX_EXTRA_CHARS, True) for name in extras}
    exprs = {f"{name}:text": suspect(*limits).any() for name, limits in text_limits.items()}
    for f in schema.fields:
        exprs |= fact_exprs(f, pl.col(f"__r_{f.name}"))
    return _Prelude(
        trimmed=tuple(trimmed(f.name).alias(c) for f, c in zip(schema.fields, cells,
                                                                strict=True)),
        non_empty=tuple(non_empty(pl.col(c)).alias(c) for c in cells),
        cells=tuple(non_empty(trimmed(f.name)).alias(c) for f, c in zip(schema.fields, cells,
                                                                          strict=True)),
        text_limits=text_limits,
        facts=tuple(e.alias(name) for name, e in exprs.items()),
    )


@dataclass(frozen=True)
class _Plan:
    """The expressions of a file's later passes for one set of batch facts and one day:
    typed values, check flags and natural key, the key check, every (field, failed, reason)
    and the row's verdict. Batches of a file share a few sets of facts, so each plan is
    built once and reused."""

    values: tuple[pl.Expr, ...]
    finished: tuple[pl.Expr, ...]
    typed: tuple[pl.Expr, ...]  # values finished in one expression
    flags: tuple[pl.Expr, ...]
    key_ok: pl.Expr
    named: list[tuple[str, pl.Expr, pl.Expr]]
    bad: pl.Expr


@lru_cache(maxsize=256)
def _plan(schema: FileSchema, extras: tuple[str, ...], fact_items: tuple[tuple[str, bool], ...],
          today: date) -> _Plan:
    facts = dict(fact_items)
    text_limits = _prelude(schema, extras).text_limits
    contract = set(schema.names)
    numbers = {f"__v_{f.name}": finish(f, pl.col(f"__v_{f.name}")) for f in schema.fields}
    checks = _checks(schema, list(extras), facts, text_limits, today)
    flags = [f"__e{i}" for i in range(len(checks))]
    key_ok = ~pl.any_horizontal(
        [pl.col(n) for c, n in zip(checks, flags, strict=True) if c.field in schema.key]
        or [pl.lit(False)]
    )
    named = [(c.field, pl.col(n), c.reason) for c, n in zip(checks, flags, strict=True)]
    named += [
        ("(row)", pl.col(READ_ERROR).is_not_null(), pl.col(READ_ERROR)),
        ("+".join(schema.key), pl.col("__dup"),
         pl.format("duplicate key: same as row {} of this file", "__first")),
        ("entry_number", pl.col("__orphan"),
         pl.format("entry {} is not stored (load its entries row first)", "__v_entry_number")
         if "entry_number" in contract else pl.lit(None, dtype=pl.String)),
    ]
    parsed = {f.name: value(f, pl.col(f"__r_{f.name}"), facts) for f in schema.fields}
    typed: list[pl.Expr] = []
    for f in schema.fields:
        done = finish(f, parsed[f.name])
        typed.append((parsed[f.name] if done is None else done).alias(f"__v_{f.name}"))
    return _Plan(
        values=tuple(v.alias(f"__v_{n}") for n, v in parsed.items()),
        typed=tuple(typed),
        finished=tuple(e.alias(c) for c, e in numbers.items() if e is not None),
        flags=(*[c.fails.fill_null(False).alias(n) for c, n in zip(checks, flags, strict=True)],
               _natural_key(schema, prefix="__v_").alias(NATURAL_KEY)),
        key_ok=key_ok,
        named=named,
        bad=pl.any_horizontal(failed for _, failed, _ in named).alias("__bad"),
    )


def _rejected(failed: pl.DataFrame, raw: pl.DataFrame,
              named: list[tuple[str, pl.Expr, pl.Expr]]) -> pl.DataFrame:
    """One record per failed row: its fields, every reason, and the row as sent."""
    if failed.is_empty():
        return pl.DataFrame(schema={"row_number": pl.Int64, "fields": pl.String,
                                    "reasons": pl.String, "raw_row": pl.String})
    # Only the checks some failed row failed: the others would add nothing but their cost.
    fired = failed.select(bad.any().alias(str(i)) for i, (_, bad, _) in enumerate(named)).row(0)
    named = [check for check, hit in zip(named, fired, strict=True) if hit]
    failed = failed.with_columns(
        pl.concat_list([pl.when(bad).then(pl.lit(k)) for k, bad, _ in named])
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .list.join(";")
        .pipe(mask_controls)
        .alias("__fields"),
        pl.concat_list(
            [pl.when(bad).then(pl.format(f"{k}: {{}}", reason)) for k, bad, reason in named]
        )
        .list.drop_nulls()
        .list.join("; ")
        .pipe(mask_controls)
        .alias("__reasons"),
    )
    original = [c for c in raw.columns if not c.startswith("__")]
    return failed.select(
        pl.col(ROW).cast(pl.Int64).alias("row_number"),
        pl.col("__fields").alias("fields"),
        pl.col("__reasons").alias("reasons"),
        (pl.struct(original).struct.json_encode() if original else pl.lit("{}")).alias("raw_row"),
    )


def _accepted(frame: pl.DataFrame, schema: FileSchema, extras: tuple[str, ...],
              contract_only: bool, small: bool = False) -> pl.DataFrame:
    """The rows that passed, typed; only the columns they need are filtered (a small batch
    is filtered whole, one query fewer)."""
    values, needed, stored = _accepted_exprs(schema, extras)
    if contract_only:
        return frame.select(*values, "__bad").filter(~pl.col("__bad")).drop("__bad")
    narrow = frame if small else frame.select(needed)
    return narrow.filter(~pl.col("__bad")).select(stored[:-1]).with_columns(stored[-1])


@lru_cache(maxsize=64)
def _accepted_exprs(schema: FileSchema, extras: tuple[str, ...]
                    ) -> tuple[tuple[pl.Expr, ...], tuple[str, ...], tuple[pl.Expr, ...]]:
    """Typed values, the columns accepted rows need, and the stored columns (the last one
    the content hash, computed after the others), built once per (schema, unknown columns)."""
    values = tuple(pl.col(f"__v_{n}").alias(n) for n in schema.names)
    needed = tuple(dict.fromkeys([ROW, NATURAL_KEY, *(f"__v_{n}" for n in schema.names),
                                  *extras, "__bad"]))
    extra = (
        pl.struct(list(extras)).struct.json_encode() if extras else pl.lit(None, dtype=pl.String)
    ).alias(EXTRA)
    return values, needed, (pl.col(ROW).cast(pl.Int64), pl.col(NATURAL_KEY), *values, extra,
                            content_hash_expr(schema).alias(CONTENT_HASH))


def _unknown_entries(frame: pl.DataFrame, schema: FileSchema,
                     known_entries: KnownEntries | None, facts: dict[str, bool]) -> pl.Expr:
    """True when the row refers to an entry that is not stored."""
    if not schema.needs_entry or known_entries is None:
        return pl.lit(False)
    entry = pl.col("__v_entry_number")
    valid = entry.is_not_null()
    if not well_formed_entries(schema.field("entry_number"), facts):
        valid = valid & entry.str.contains(ENTRY_NUMBER_PATTERN)
    wanted = frame.filter(valid).get_column("__v_entry_number").unique()
    known = known_entries(wanted) if wanted.len() else wanted
    return (valid & ~entry.is_in(known.implode())).fill_null(False)
