"""Per-column expressions of validation: cleaning, parsing to the contract type, and checks.

A check is a pair (:class:`Check`): a boolean evaluated on every row of a batch, and the reason
text, built only for the rows that failed. Most rows pass, and formatting a reason for every
row (then throwing it away) used to cost more than the checks themselves.

Some work is only needed when some cell of the batch needs it (a thousands separator, an entry
number not yet in the contract's form, a date with a time part). :func:`fact_exprs` measures
that once per batch, and :func:`value` then leaves the unneeded steps out; either way the value
is the one the general expression gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from tradeguard.contract.countries import country_codes
from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.contract.schema import FINDING_CATEGORIES, DType, Field, Rule

_BOOLS = {
    "y": True, "yes": True, "true": True, "t": True, "1": True,
    "n": False, "no": False, "false": False, "f": False, "0": False,
}  # fmt: skip
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
_PATTERNS: dict[Rule, tuple[str, str]] = {
    Rule.HTS10: (r"^\d{10}$", "malformed HTS code (expected 10 digits, dots optional)"),
    Rule.HTS6_OR_10: (r"^(\d{6}|\d{10})$", "malformed HTS code (expected 6 or 10 digits)"),
    Rule.ENTRY_NUMBER: (ENTRY_NUMBER_PATTERN, "malformed entry number (expected AAA-NNNNNNN-N)"),
    Rule.PORT: (r"^\d{4}$", "malformed port code (expected 4 digits)"),
    Rule.TWO_DIGIT_CODE: (r"^\d{2}$", "malformed code (expected 2 digits)"),
    Rule.LOCODE: (r"^[A-Z]{2}[A-Z0-9]{3}$", "malformed UN/LOCODE (expected e.g. CNSHA)"),
    Rule.ADCVD_CASE: (r"^[AC]-\d{3}-\d{3}$", "malformed AD/CVD case (expected A-570-979)"),
}
#: Yes/no spellings and their value (read case-insensitively).
BOOL_SPELLINGS: Mapping[str, bool] = _BOOLS


def rule_pattern(rule: Rule) -> str | None:
    """The regular expression a value of a pattern rule must match (None for other rules)."""
    return _PATTERNS[rule][0] if rule in _PATTERNS else None


@dataclass(frozen=True)
class Check:
    """One check of one column: ``fails`` on every row, ``reason`` on the failing rows only."""

    field: str  # the column named in the rejected row's fields
    fails: pl.Expr  # true when the row fails; null counts as passing
    reason: pl.Expr  # the reason text (without the field name)


def trimmed(name: str) -> pl.Expr:
    """The cell without surrounding whitespace (empty cells are nulled by :func:`non_empty`)."""
    return pl.col(name).str.strip_chars()


def non_empty(cell: pl.Expr) -> pl.Expr:
    """Null for an empty cell (a separate pass from trimming, so the trim runs once)."""
    return pl.when(cell.str.len_bytes() > 0).then(cell)


def raw_cell(name: str) -> pl.Expr:
    """The cell as a user wrote it, without surrounding whitespace; empty -> null."""
    return non_empty(trimmed(name))


def quoted(expr: pl.Expr) -> pl.Expr:
    """The start of a value, quoted, for a reason text."""
    # Control characters are masked once, in the finished reasons of the rejected rows.
    return pl.format("'{}'", expr.str.slice(0, 60))


def fact_exprs(f: Field, cell: pl.Expr) -> dict[str, pl.Expr]:
    """Batch-wide booleans that let :func:`value` skip steps no cell of the batch needs."""
    facts: dict[str, pl.Expr] = {}
    if f.dtype in (DType.NUMBER, DType.INT):
        facts[f"{f.name}:comma"] = cell.str.contains(",", literal=True).any()
    if f.dtype is DType.TEXT and Rule.ENTRY_NUMBER in f.rules:
        canonical = cell.is_null() | cell.str.contains(ENTRY_NUMBER_PATTERN)
        facts[f"{f.name}:canonical"] = canonical.all()
    if f.dtype is DType.BOOL:
        facts[f"{f.name}:lower"] = (cell.is_null() | cell.is_in(list(_BOOLS))).all()
    if f.dtype is DType.DATE:
        facts[f"{f.name}:day"] = (cell.is_null() | cell.str.contains(_ISO_DAY)).all()
    return facts


def _clean_text(f: Field, raw: pl.Expr, facts: Mapping[str, bool]) -> pl.Expr:
    rules = set(f.rules)
    if Rule.ENTRY_NUMBER in rules and well_formed_entries(f, facts):
        return raw  # already AAA-NNNNNNN-N: every step below would leave it as it is
    s = raw
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


def _number(f: Field, raw: pl.Expr, facts: Mapping[str, bool]) -> pl.Expr:
    plain = raw
    if facts.get(f"{f.name}:comma", True):  # no comma in the batch: no thousands separator
        plain = pl.when(raw.str.contains(_THOUSANDS)).then(raw.str.replace_all(",", "")).otherwise(
            raw
        )
    return plain.cast(pl.Float64, strict=False)


def value(f: Field, raw: pl.Expr, facts: Mapping[str, bool]) -> pl.Expr:
    """The typed value of the trimmed cell ``raw`` (null when it cannot be parsed).

    Numbers are finished by :func:`finish` in the next pass, so each cell is parsed once
    rather than once per use of the parsed value.
    """
    if f.dtype is DType.TEXT:
        return _clean_text(f, raw, facts)
    if f.dtype in (DType.NUMBER, DType.INT):
        return _number(f, raw, facts)
    if f.dtype is DType.BOOL:
        if not facts.get(f"{f.name}:lower"):  # some cell not already a lower-case spelling
            raw = raw.str.to_lowercase()
        return raw.replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
    # DATE: ISO 8601 day, optionally with a time part (as Parquet/JSON timestamps arrive), or
    # the basic form YYYYMMDD. Anything else (e.g. 03/04/2024) is ambiguous and rejected.
    if facts.get(f"{f.name}:day"):  # every cell a plain ISO day: the first branch below
        return raw.str.to_date("%Y-%m-%d", strict=False)
    return (
        pl.when(raw.str.contains(r"^\d{4}-\d{2}-\d{2}([T ].*)?$"))
        .then(raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        .when(raw.str.contains(r"^\d{8}$"))
        .then(raw.str.to_date("%Y%m%d", strict=False))
    )


def finish(f: Field, parsed: pl.Expr) -> pl.Expr | None:
    """A number field's value from its parsed cell (None for other types): null unless finite
    and, for an INT field, whole."""
    if f.dtype not in (DType.NUMBER, DType.INT):
        return None
    number = pl.when(parsed.is_finite()).then(parsed)
    if f.dtype is DType.NUMBER:
        return number
    return pl.when(number == number.floor()).then(number).cast(pl.Int64, strict=False)


_PARSE_REASONS = {
    DType.NUMBER: "not a number {}",
    DType.INT: "not a whole number {}",
    DType.BOOL: "not a yes/no value {} (use Y/N, yes/no, true/false, 1/0)",
    DType.DATE: "not a date {} (expected YYYY-MM-DD)",
}


def presence_checks(f: Field, value: pl.Expr, raw: pl.Expr) -> list[Check]:
    """Required and parse checks of one field (``value``: typed values, ``raw``: trimmed)."""
    checks: list[Check] = []
    if f.required:
        checks.append(Check(f.name, raw.is_null(), pl.lit("required value is missing")))
    if f.dtype in _PARSE_REASONS:
        checks.append(Check(f.name, raw.is_not_null() & value.is_null(),
                            pl.format(_PARSE_REASONS[f.dtype], quoted(raw))))
    return checks


def rule_checks(f: Field, value: pl.Expr, raw: pl.Expr, today: date,
                facts: Mapping[str, bool]) -> list[Check]:
    """The checks of the field's rules, in the order the schema lists them."""
    return [Check(f.name, fails, reason)
            for fails, reason in _rule_checks(f, value, raw, today, facts)]


def well_formed_entries(f: Field, facts: Mapping[str, bool]) -> bool:
    """Whether every entry number of the batch is already in the contract's form."""
    return bool(facts.get(f"{f.name}:canonical"))


def _rule_checks(f: Field, value: pl.Expr, raw_cell: pl.Expr, today: date,
                 facts: Mapping[str, bool]) -> list[tuple[pl.Expr, pl.Expr]]:
    raw = quoted(raw_cell)
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    present = value.is_not_null()
    for rule in f.rules:
        if rule in _PATTERNS:
            pattern, text = _PATTERNS[rule]
            malformed = present & ~value.str.contains(pattern)
            if rule is Rule.ENTRY_NUMBER and well_formed_entries(f, facts):
                malformed = pl.lit(False)
            checks.append((malformed, pl.format(f"{text}: {{}}", quoted(value))))
        elif rule is Rule.COUNTRY:
            checks.append((present & ~value.is_in(sorted(country_codes())),
                           pl.format("unknown country code {} (ISO 3166-1 alpha-2)",
                                     quoted(value))))
        elif rule is Rule.CATEGORY:
            checks.append((present & ~value.is_in(sorted(FINDING_CATEGORIES)),
                           pl.format("unknown category {}", quoted(value))))
        elif rule is Rule.NON_NEGATIVE:
            checks.append((value < 0, pl.format("negative value {}", raw)))
        elif rule is Rule.PROBABILITY:
            checks.append(((value <= 0) | (value > 1),
                           pl.format("must be a probability in (0, 1], got {}", raw)))
        elif rule is Rule.AT_LEAST_ONE:
            checks.append((value < 1, pl.format("must be 1 or more, got {}", raw)))
        elif rule is Rule.NOT_FUTURE:
            checks.append((value > pl.lit(today),
                           pl.format(f"date in the future ({{}} is after today, {today})",
                                     value)))
    return checks
