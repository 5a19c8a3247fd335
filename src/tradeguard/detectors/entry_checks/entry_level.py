"""Checks of the entry header, one finding per entry (``line_number`` empty).

The check digit is CBP's (ACE CATAIR Appendix E), computed by
:func:`tradeguard.contract.entry_number.entry_number_check_digit` once per distinct entry, not
per line: a batch has far fewer entries than lines.
"""

from __future__ import annotations

import polars as pl

from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN, entry_number_check_digit
from tradeguard.detectors.entry_checks.frame import emit, fmt

_RULE = "ACE CATAIR Appendix E (entry number check digit)"


def _entries(df: pl.DataFrame) -> pl.DataFrame:
    return (df.filter(pl.col("entry_number").is_not_null())
            .group_by("entry_number", maintain_order=True)
            .agg(pl.col("importer_id").first(), pl.col("importer_name").first(),
                 pl.col("entry_type").first(), pl.len().alias("lines")))


def entry_number_findings(df: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_ENTRY_NUMBER_FORMAT and DQ_ENTRY_CHECK_DIGIT."""
    entries = _entries(df).with_columns(
        pl.col("entry_number").str.to_uppercase().str.contains(ENTRY_NUMBER_PATTERN)
        .alias("_well_formed"))
    formed = entries.filter(pl.col("_well_formed"))["entry_number"].str.to_uppercase()
    numbers = formed.unique().to_list()
    expected = [entry_number_check_digit(n[:3], n[4:11]) for n in numbers]
    digits = pl.DataFrame({"_upper": numbers, "_expected": expected},
                          schema={"_upper": pl.String, "_expected": pl.Int64})
    entries = (entries.with_columns(pl.col("entry_number").str.to_uppercase().alias("_upper"))
               .join(digits, on="_upper", how="left")
               .with_columns(pl.col("_upper").str.slice(12, 1).cast(pl.Int64, strict=False)
                             .alias("_declared")))
    return [
        emit(entries, ~pl.col("_well_formed"), "DQ_ENTRY_NUMBER_FORMAT",
             fmt("Entry number '{}' is not a 3-character filer code, 7-digit transaction "
                       "number and check digit (AAA-NNNNNNN-N).", pl.col("entry_number")),
             {"declared": pl.col("entry_number"), "pattern": pl.lit(ENTRY_NUMBER_PATTERN)},
             line_level=False),
        emit(entries, pl.col("_well_formed") & (pl.col("_declared") != pl.col("_expected")),
             "DQ_ENTRY_CHECK_DIGIT",
             fmt("Entry number {} ends in check digit {} but its filer code and "
                       "transaction number give {}.", pl.col("entry_number"),
                       pl.col("_declared"), pl.col("_expected")),
             {"declared": pl.col("entry_number"), "declared_check_digit": pl.col("_declared"),
              "expected_check_digit": pl.col("_expected"), "rule": pl.lit(_RULE)},
             line_level=False),
    ]


def importer_findings(df: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_PARTY_MISSING for an entry without importer of record number or name: the importer
    of record is the party liable for duties (19 U.S.C. 1484(a))."""
    entries = _entries(df)
    missing = pl.concat_list(
        pl.when(pl.col("importer_id").is_null()).then(pl.lit("importer_id")),
        pl.when(pl.col("importer_name").is_null()).then(pl.lit("importer_name")),
    ).list.drop_nulls()
    entries = entries.with_columns(missing.alias("_missing"))
    return [emit(entries, pl.col("_missing").list.len() > 0, "DQ_PARTY_MISSING",
                 fmt("The entry does not name its importer of record ({} missing); the "
                           "importer of record is liable for the duties.",
                           pl.col("_missing").list.join(", ")),
                 {"missing": pl.col("_missing"), "importer_id": pl.col("importer_id"),
                  "importer_name": pl.col("importer_name"),
                  "rule": pl.lit("19 U.S.C. 1484(a) (importer of record)")},
                 severity=pl.lit("high"), line_level=False)]

