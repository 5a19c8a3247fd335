"""The normalised line frame every check reads, and the one way checks turn hits into findings.

Input columns are optional beyond the contract's required ones: a missing optional column is
a null column here, and a check that needs it stays silent rather than guessing.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from tradeguard.detectors.entry_checks.reasons import DETECTOR_NAME, DETECTOR_VERSION, REASONS
from tradeguard.findings import FINDINGS_SCHEMA

_TEXT_COLUMNS = ("entry_number", "entry_type", "importer_id", "importer_name", "hts_code",
                 "country_of_origin", "quantity_unit", "manufacturer_id", "manufacturer_name",
                 "manufacturer_address", "manufacturer_country", "seller_name",
                 "adcvd_case_number", "spi")
_NUMBER_COLUMNS = ("quantity", "entered_value_usd", "gross_weight_kg", "duty_usd")


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().replace("", None)


def _entry_date(lines: pl.DataFrame) -> pl.Expr:
    """``entry_date`` as a Date; text that is not ``YYYY-MM-DD`` becomes null.

    A column that is a Date already is taken as it is when every year has four digits: it
    then reads back the same through the text form (the slow path, ~15 ms per 50,000 lines).
    """
    column = pl.col("entry_date")
    if (lines.schema["entry_date"] == pl.Date
            and lines.get_column("entry_date").dt.year().is_between(1000, 9999).all()):
        return column
    return column.cast(pl.String).str.to_date("%Y-%m-%d", strict=False)


def prepare_lines(lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Trimmed text (blank -> null), floats, a parsed entry date and a row id ``_row``."""
    present = set(lines.columns)
    exprs: list[pl.Expr] = []
    for name in _TEXT_COLUMNS:
        source = pl.col(name) if name in present else pl.lit(None, pl.String)
        exprs.append(_blank_to_null(source).alias(name))
    for name in _NUMBER_COLUMNS:
        source = pl.col(name).cast(pl.Float64, strict=False) if name in present \
            else pl.lit(None, pl.Float64)
        exprs.append(source.alias(name))
    line_no = pl.col("line_number").cast(pl.Int64, strict=False) if "line_number" in present \
        else pl.lit(None, pl.Int64)
    when = _entry_date(lines) if "entry_date" in present else pl.lit(None, pl.Date)
    return lines.select(
        *exprs, line_no.alias("line_number"), when.fill_null(as_of).alias("entry_date"),
        pl.col("hts_code").cast(pl.String).str.replace_all(r"[.\s]", "").alias("hts_digits")
        if "hts_code" in present else pl.lit(None, pl.String).alias("hts_digits"),
    ).with_row_index("_row")


def fmt(template: str, *args: pl.Expr) -> pl.Expr:
    """``pl.format`` built from ``concat_str`` (``pl.format`` panics on some filtered frames in
    polars 1.35); ``{}`` placeholders, nulls shown as ``(none)``."""
    pieces = template.split("{}")
    if len(pieces) != len(args) + 1:
        raise ValueError(f"template needs {len(pieces) - 1} values, got {len(args)}")
    exprs: list[pl.Expr] = []
    for piece, arg in zip(pieces, [*args, None], strict=True):
        if piece:
            exprs.append(pl.lit(piece))
        if arg is not None:
            exprs.append(arg.cast(pl.String).fill_null("(none)"))
    return pl.concat_str(exprs)


def txt(expr: pl.Expr, missing: str = "(none)") -> pl.Expr:
    """A column as text for a sentence; null shows as ``missing``."""
    return expr.cast(pl.String).fill_null(missing)


def usd(expr: pl.Expr) -> pl.Expr:
    """``1234.5`` -> ``'$1234.50'`` (cents always shown)."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (cents.abs() // 100).cast(pl.String)
    frac = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    return pl.concat_str([sign, pl.lit("$"), whole, pl.lit("."), frac]).fill_null("(none)")


def emit(frame: pl.DataFrame, mask: pl.Expr, code: str, text: pl.Expr,
         evidence: dict[str, pl.Expr], severity: pl.Expr | None = None,
         line_level: bool = True) -> pl.DataFrame:
    """Findings of one reason code for the rows where ``mask`` holds.

    Most checks hit no line of a given entry: those stop after the filter, so scoring one
    entry does not pay for building sentences and evidence nobody will read.
    """
    reason = REASONS[code]
    hit = frame.filter(mask.fill_null(False))
    if hit.is_empty():
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    line = pl.col("line_number") if line_level else pl.lit(None)
    sev = severity if severity is not None else pl.lit(reason.severity.value)
    columns = {
        "entry_number": pl.col("entry_number"), "line_number": line,
        "category": pl.lit(reason.category.value), "reason_code": pl.lit(code),
        "severity": sev, "text": text,
        "evidence": pl.struct([e.alias(k) for k, e in evidence.items()]).struct.json_encode(),
        "detector": pl.lit(DETECTOR_NAME), "detector_version": pl.lit(DETECTOR_VERSION),
    }
    return hit.select(e.cast(FINDINGS_SCHEMA[k]).alias(k) for k, e in columns.items())
