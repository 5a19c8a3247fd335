"""Normalise and validate a batch of raw contract rows, vectorised with Polars.

A raw batch has every cell as text (see :mod:`tradeguard.contract.readers`) plus ``__row``,
the row number a user sees. :func:`validate_batch` cleans what users really send (whitespace,
dotted HTS codes, ``Y``/``N`` booleans, lower-case country codes, thousands separators,
entry numbers without dashes), parses each column to its contract type, applies the column's
rules, and splits the batch into accepted rows (typed, ready to store) and rejected rows (one
per row, with every reason it failed and the raw row as JSON). No Python loop runs per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from tradeguard.contract.countries import country_codes
from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.contract.free_text import MAX_EXTRA_CHARS, mask_controls, suspect, text_reasons
from tradeguard.contract.schema import FINDING_CATEGORIES, DType, Field, FileSchema, Rule
from tradeguard.digests import sha256_hex

ROW = "__row"  # spreadsheet row number of each raw row
READ_ERROR = "__read_error"  # set by a reader when a row could not be parsed at all
EXTRA = "extra"  # JSON object of the columns the contract does not know
NATURAL_KEY = "natural_key"
CONTENT_HASH = "content_hash"
KEY_SEPARATOR = "|"

#: Given entry numbers, return those already stored (used for lines' references).
KnownEntries = Callable[[pl.Series], pl.Series]

_BOOLS = {
    "y": True, "yes": True, "true": True, "t": True, "1": True,
    "n": False, "no": False, "false": False, "f": False, "0": False,
}  # fmt: skip
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_PATTERNS: dict[Rule, tuple[str, str]] = {
    Rule.HTS10: (r"^\d{10}$", "malformed HTS code (expected 10 digits, dots optional)"),
    Rule.HTS6_OR_10: (r"^(\d{6}|\d{10})$", "malformed HTS code (expected 6 or 10 digits)"),
    Rule.ENTRY_NUMBER: (ENTRY_NUMBER_PATTERN, "malformed entry number (expected AAA-NNNNNNN-N)"),
    Rule.PORT: (r"^\d{4}$", "malformed port code (expected 4 digits)"),
    Rule.TWO_DIGIT_CODE: (r"^\d{2}$", "malformed code (expected 2 digits)"),
    Rule.LOCODE: (r"^[A-Z]{2}[A-Z0-9]{3}$", "malformed UN/LOCODE (expected e.g. CNSHA)"),
    Rule.ADCVD_CASE: (r"^[AC]-\d{3}-\d{3}$", "malformed AD/CVD case (expected A-570-979)"),
}


def _raw(name: str) -> pl.Expr:
    """The cell as a user wrote it, without surrounding whitespace; empty -> null."""
    s = pl.col(name).str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s)


def _quoted(expr: pl.Expr) -> pl.Expr:
    # Control characters are masked once, in the finished reasons of the rejected rows.
    return pl.format("'{}'", expr.str.slice(0, 60))


def _clean_text(f: Field, raw: pl.Expr) -> pl.Expr:
    s = raw
    rules = set(f.rules)
    if rules & {Rule.UPPER, Rule.COUNTRY, Rule.ENTRY_NUMBER, Rule.LOCODE, Rule.ADCVD_CASE}:
        s = s.str.to_uppercase()
    if Rule.CATEGORY in rules:
        s = s.str.to_lowercase()
    if rules & {Rule.HTS10, Rule.HTS6_OR_10}:
        s = s.str.replace_all(r"[.\s]", "")
    if rules & {Rule.ENTRY_NUMBER, Rule.LOCODE}:
        s = s.str.replace_all(r"\s", "")
    if Rule.ENTRY_NUMBER in rules:
        flat = s.str.replace_all("-", "")
        s = (
            pl.when(s.str.contains(r"^[A-Z0-9]{3}-?\d{7}-?\d$"))
            .then(
                pl.concat_str(
                    flat.str.slice(0, 3),
                    flat.str.slice(3, 7),
                    flat.str.slice(10, 1),
                    separator="-",
                )
            )
            .otherwise(s)
        )
    # Spreadsheets drop leading zeros of numeric codes; a shorter all-digit code is unambiguous.
    if Rule.PORT in rules:
        s = pl.when(s.str.contains(r"^\d{3}$")).then(s.str.zfill(4)).otherwise(s)
    if Rule.TWO_DIGIT_CODE in rules:
        s = pl.when(s.str.contains(r"^\d$")).then(s.str.zfill(2)).otherwise(s)
    return s


def _number(raw: pl.Expr) -> pl.Expr:
    plain = pl.when(raw.str.contains(_THOUSANDS)).then(raw.str.replace_all(",", "")).otherwise(raw)
    value = plain.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def _parse(f: Field, raw: pl.Expr) -> tuple[pl.Expr, pl.Expr | None]:
    """(typed value, reason it could not be parsed or null) from the trimmed cell ``raw``."""
    if f.dtype is DType.TEXT:
        return _clean_text(f, raw), None
    if f.dtype is DType.NUMBER:
        value = _number(raw)
        return value, pl.when(raw.is_not_null() & value.is_null()).then(
            pl.format("not a number {}", _quoted(raw))
        )
    if f.dtype is DType.INT:
        number = _number(raw)
        value = pl.when(number == number.floor()).then(number).cast(pl.Int64, strict=False)
        return value, pl.when(raw.is_not_null() & value.is_null()).then(
            pl.format("not a whole number {}", _quoted(raw))
        )
    if f.dtype is DType.BOOL:
        value = raw.str.to_lowercase().replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
        return value, pl.when(raw.is_not_null() & value.is_null()).then(
            pl.format("not a yes/no value {} (use Y/N, yes/no, true/false, 1/0)", _quoted(raw))
        )
    # DATE: ISO 8601 day, optionally with a time part (as Parquet/JSON timestamps arrive), or
    # the basic form YYYYMMDD. Anything else (e.g. 03/04/2024) is ambiguous and rejected.
    iso = raw.str.contains(r"^\d{4}-\d{2}-\d{2}([T ].*)?$")
    value = (
        pl.when(iso)
        .then(raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        .when(raw.str.contains(r"^\d{8}$"))
        .then(raw.str.to_date("%Y%m%d", strict=False))
    )
    return value, pl.when(raw.is_not_null() & value.is_null()).then(
        pl.format("not a date {} (expected YYYY-MM-DD)", _quoted(raw))
    )


def _rule_reasons(f: Field, value: pl.Expr, raw_cell: pl.Expr, today: date) -> list[pl.Expr]:
    raw = _quoted(raw_cell)
    reasons: list[pl.Expr] = []
    present = value.is_not_null()
    for rule in f.rules:
        if rule in _PATTERNS:
            pattern, text = _PATTERNS[rule]
            bad = present & ~value.str.contains(pattern)
            reasons.append(pl.when(bad).then(pl.format(f"{text}: {{}}", _quoted(value))))
        elif rule is Rule.COUNTRY:
            bad = present & ~value.is_in(sorted(country_codes()))
            reasons.append(
                pl.when(bad).then(
                    pl.format("unknown country code {} (ISO 3166-1 alpha-2)", _quoted(value))
                )
            )
        elif rule is Rule.CATEGORY:
            bad = present & ~value.is_in(sorted(FINDING_CATEGORIES))
            reasons.append(pl.when(bad).then(pl.format("unknown category {}", _quoted(value))))
        elif rule is Rule.NON_NEGATIVE:
            reasons.append(pl.when(value < 0).then(pl.format("negative value {}", raw)))
        elif rule is Rule.PROBABILITY:
            reasons.append(pl.when((value <= 0) | (value > 1)).then(
                pl.format("must be a probability in (0, 1], got {}", raw)))
        elif rule is Rule.AT_LEAST_ONE:
            reasons.append(pl.when(value < 1).then(pl.format("must be 1 or more, got {}", raw)))
        elif rule is Rule.NOT_FUTURE:
            reasons.append(
                pl.when(value > pl.lit(today)).then(
                    pl.format(f"date in the future ({{}} is after today, {today})", value)
                )
            )
    return reasons


@dataclass
class KeyTracker:
    """Natural keys already seen in the file being ingested, with the row that had each first."""

    seen: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={NATURAL_KEY: pl.String(), "__first_row": pl.Int64()}
        )
    )

    def add(self, keys: pl.DataFrame) -> None:
        """Remember keys (columns natural_key, __first_row) not seen before."""
        self.seen = pl.concat([self.seen, keys], how="vertical")


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


def validate_batch(
    raw: pl.DataFrame,
    schema: FileSchema,
    *,
    today: date,
    keys: KeyTracker | None = None,
    known_entries: KnownEntries | None = None,
) -> CheckedBatch:
    """Normalise, type and check one raw batch; split it into accepted and rejected rows.

    ``keys`` carries the natural keys of earlier batches of the same file, so a duplicate
    key is caught across batches; ``known_entries`` answers which entry numbers are stored
    (for files whose rows must refer to an entry). A row that fails several checks gets one
    rejection with every reason.
    """
    contract = set(schema.names)
    extras = [c for c in raw.columns if c not in contract and not c.startswith("__")]
    missing = [f.name for f in schema.fields if f.name not in raw.columns]
    # One chunk per column: Polars 1.35 can panic in pl.format over columns chunked unevenly.
    frame = raw.rechunk().with_columns(pl.lit(None, dtype=pl.String).alias(n) for n in missing)
    if READ_ERROR not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(READ_ERROR))

    # Three passes, each one with_columns so Polars runs a pass's expressions in parallel:
    # trimmed cells, typed values, then one reason column per check (null = passed).
    frame = frame.with_columns(_raw(f.name).alias(f"__r_{f.name}") for f in schema.fields)
    # Free-text fields only: a closed format (pattern, code list) already rejects hostile text.
    text_limits = {
        f.name: (pl.col(f"__r_{f.name}"), f.max_chars, f.multi_line)
        for f in schema.fields
        if f.max_chars is not None
    }
    text_limits |= {name: (_raw(name), MAX_EXTRA_CHARS, True) for name in extras}
    flagged = (
        frame.select(
            suspect(*limits).any().alias(name) for name, limits in text_limits.items()
        ).row(0, named=True)
        if text_limits and frame.height
        else {}
    )
    values: list[pl.Expr] = []
    checks: list[tuple[str, str, pl.Expr]] = []  # (field, column, reason expression)
    for f in schema.fields:
        cell = pl.col(f"__r_{f.name}")
        value, parse_error = _parse(f, cell)
        values.append(value.alias(f"__v_{f.name}"))
        field_checks: list[pl.Expr] = []
        if f.required:
            field_checks.append(pl.when(cell.is_null()).then(pl.lit("required value is missing")))
        if parse_error is not None:
            field_checks.append(parse_error)
        if flagged.get(f.name):
            field_checks += text_reasons(*text_limits[f.name])
        field_checks += _rule_reasons(f, pl.col(f"__v_{f.name}"), cell, today)
        checks += [(f.name, f"__e_{f.name}_{i}", c) for i, c in enumerate(field_checks)]
    # Unknown columns are stored too (in ``extra``): the same hostile-text rules apply.
    for j, name in enumerate(extras):
        if flagged.get(name):
            extra_checks = text_reasons(*text_limits[name])
            checks += [(name, f"__e_extra{j}_{i}", c) for i, c in enumerate(extra_checks)]

    frame = frame.with_columns(values).with_columns(e.alias(c) for _, c, e in checks)
    key_errors = [pl.col(c).is_null() for f, c, _ in checks if f in schema.key]
    frame = frame.with_columns(
        _natural_key(schema, prefix="__v_").alias(NATURAL_KEY),
        pl.all_horizontal(key_errors or [pl.lit(True)]).alias("__key_ok"),
    )
    frame = _mark_duplicates(frame, schema, keys)
    frame = _mark_unknown_entries(frame, schema, known_entries)

    named = [(f, c) for f, c, _ in checks]
    named += [("(row)", READ_ERROR), ("+".join(schema.key), "__dup"), ("entry_number", "__orphan")]
    bad = pl.any_horizontal(pl.col(c).is_not_null() for _, c in named)
    frame = frame.with_columns(bad.alias("__bad"))
    # Reason lists are built for the rejected rows only: most rows pass.
    failed = frame.filter(pl.col("__bad")).with_columns(
        pl.concat_list([pl.when(pl.col(c).is_not_null()).then(pl.lit(k)) for k, c in named])
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .list.join(";")
        .pipe(mask_controls)
        .alias("__fields"),
        pl.concat_list(
            [pl.when(pl.col(c).is_not_null()).then(pl.format(f"{k}: {{}}", c)) for k, c in named]
        )
        .list.drop_nulls()
        .list.join("; ")
        .pipe(mask_controls)
        .alias("__reasons"),
    )

    original = [c for c in raw.columns if not c.startswith("__")]
    rejected = failed.select(
        pl.col(ROW).cast(pl.Int64).alias("row_number"),
        pl.col("__fields").alias("fields"),
        pl.col("__reasons").alias("reasons"),
        (pl.struct(original).struct.json_encode() if original else pl.lit("{}")).alias("raw_row"),
    )
    extra = (
        pl.struct(extras).struct.json_encode() if extras else pl.lit(None, dtype=pl.String)
    ).alias(EXTRA)
    accepted = (
        frame.filter(~pl.col("__bad"))
        .select(
            pl.col(ROW).cast(pl.Int64),
            pl.col(NATURAL_KEY),
            *[pl.col(f"__v_{n}").alias(n) for n in schema.names],
            extra,
        )
        .with_columns(content_hash_expr(schema).alias(CONTENT_HASH))
    )
    return CheckedBatch(accepted=accepted, rejected=rejected, rows_read=raw.height)


def _mark_duplicates(
    frame: pl.DataFrame, schema: FileSchema, keys: KeyTracker | None
) -> pl.DataFrame:
    """``__dup``: reason when the row's key appeared on an earlier row of the same file."""
    tracker = keys if keys is not None else KeyTracker()
    keyed = frame.select(ROW, NATURAL_KEY, "__key_ok").filter(pl.col("__key_ok"))
    firsts = keyed.group_by(NATURAL_KEY).agg(
        pl.col(ROW).min().cast(pl.Int64).alias("__batch_first")
    )
    firsts = firsts.join(tracker.seen, on=NATURAL_KEY, how="left")
    tracker.add(
        firsts.filter(pl.col("__first_row").is_null()).select(
            NATURAL_KEY, pl.col("__batch_first").alias("__first_row")
        )
    )
    first = pl.coalesce("__first_row", "__batch_first")
    firsts = firsts.select(NATURAL_KEY, first.alias("__first"))
    # rechunk: Polars 1.35 can panic evaluating pl.format on a frame straight out of a join.
    frame = frame.join(firsts, on=NATURAL_KEY, how="left", maintain_order="left").rechunk()
    dup = pl.col("__key_ok") & (pl.col(ROW) != pl.col("__first"))
    return frame.with_columns(
        pl.when(dup)
        .then(pl.format("duplicate key: same as row {} of this file", "__first"))
        .alias("__dup")
    ).drop("__first")


def _mark_unknown_entries(
    frame: pl.DataFrame, schema: FileSchema, known_entries: KnownEntries | None
) -> pl.DataFrame:
    """``__orphan``: reason when the row refers to an entry that is not stored."""
    if not schema.needs_entry or known_entries is None:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("__orphan"))
    entry = pl.col("__v_entry_number")
    valid = entry.is_not_null() & entry.str.contains(ENTRY_NUMBER_PATTERN)
    wanted = frame.filter(valid).get_column("__v_entry_number").unique()
    known = known_entries(wanted) if wanted.len() else wanted
    orphan = valid & ~entry.is_in(known.implode())
    return frame.with_columns(
        pl.when(orphan)
        .then(pl.format("entry {} is not stored (load its entries row first)", entry))
        .alias("__orphan")
    )
