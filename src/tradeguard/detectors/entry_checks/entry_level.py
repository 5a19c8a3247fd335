"""Checks of the entry header, one finding per entry (``line_number`` empty).

The check digit is CBP's (ACE CATAIR Appendix E), the computation of
:func:`tradeguard.contract.entry_number.entry_number_check_digit` written as array operations,
so a batch of many entries needs no per-entry Python call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.detectors.entry_checks.frame import emit, fmt

_RULE = "ACE CATAIR Appendix E (entry number check digit)"
# Character values of the check-digit rule: digits as such, letters by punched-card zone
# (A-I -> 1-9, J-R -> 1-9, S-Z -> 2-9).
_CHAR_VALUE: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **{ch: v for zone, start in (("ABCDEFGHI", 1), ("JKLMNOPQR", 1), ("STUVWXYZ", 2))
       for v, ch in enumerate(zone, start=start)},
}


def _value_table() -> npt.NDArray[np.int64]:
    table = np.zeros(256, dtype=np.int64)
    for ch, value in _CHAR_VALUE.items():
        table[ord(ch)] = value
    return table


_VALUE_OF_BYTE = _value_table()


def check_digits(bases: pl.Series) -> pl.Series:
    """Check digits (Luhn, mod 10) of well-formed upper-case entry numbers without hyphens,
    cut to their ten characters before the check digit (``AAANNNNNNN``).

    The characters of all numbers become one byte matrix whose values are looked up in one
    table; every second value is doubled (less 9 when over 9): a few array operations for a
    batch of 20,000 entries, and no per-character list expression.
    """
    if bases.len() == 0:
        return pl.Series(bases.name, [], dtype=pl.Int64)
    raw = "".join(bases.to_list()).encode("ascii")
    values = _VALUE_OF_BYTE[np.frombuffer(raw, dtype=np.uint8).reshape(-1, 10)]
    values[:, 1::2] *= 2
    values = np.where(values > 9, values - 9, values)
    return pl.Series(bases.name, (10 - values.sum(axis=1) % 10) % 10, dtype=pl.Int64)


def check_digit(base: str) -> int:
    """:func:`check_digits` of one entry number's ten characters (the same table and steps,
    for a request's one entry)."""
    total = 0
    for i, ch in enumerate(base):
        value = _CHAR_VALUE.get(ch, 0)  # the byte table's value: 0 for other characters
        if i % 2:
            value *= 2
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def entry_headers(df: pl.DataFrame) -> pl.DataFrame:
    """One row per entry of the batch: number, importer, entry type and line count."""
    return (df.filter(pl.col("entry_number").is_not_null())
            .group_by("entry_number", maintain_order=True)
            .agg(pl.col("importer_id").first(), pl.col("importer_name").first(),
                 pl.col("entry_type").first(), pl.len().alias("lines")))


def entry_number_findings(entries: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_ENTRY_NUMBER_FORMAT and DQ_ENTRY_CHECK_DIGIT (``entries``: :func:`entry_headers`)."""
    upper = pl.col("entry_number").str.to_uppercase()
    entries = entries.with_columns(
        upper.str.contains(ENTRY_NUMBER_PATTERN).alias("_well_formed"),
        upper.str.slice(12, 1).cast(pl.Int64, strict=False).alias("_declared"))
    well = entries.get_column("_well_formed").fill_null(False)
    bases = entries.filter(well).select(
        upper.str.replace_all("-", "", literal=True).str.slice(0, 10)).to_series()
    expected = pl.repeat(None, entries.height, dtype=pl.Int64, eager=True).alias(
        "_expected").scatter(well.arg_true(), check_digits(bases))
    entries = entries.with_columns(expected)
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


def importer_findings(entries: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_PARTY_MISSING for an entry without importer of record number or name: the importer
    of record is the party liable for duties (19 U.S.C. 1484(a)); ``entries`` as given by
    :func:`entry_headers`."""
    missing = pl.concat_list(
        pl.when(pl.col("importer_id").is_null()).then(pl.lit("importer_id")),
        pl.when(pl.col("importer_name").is_null()).then(pl.lit("importer_name")),
    ).list.drop_nulls()
    # The few entries missing either are found first; only they get the list of fields.
    entries = entries.filter(pl.col("importer_id").is_null() | pl.col("importer_name").is_null()
                             ).with_columns(missing.alias("_missing"))
    return [emit(entries, pl.col("_missing").list.len() > 0, "DQ_PARTY_MISSING",
                 fmt("The entry does not name its importer of record ({} missing); the "
                           "importer of record is liable for the duties.",
                           pl.col("_missing").list.join(", ")),
                 {"missing": pl.col("_missing"), "importer_id": pl.col("importer_id"),
                  "importer_name": pl.col("importer_name"),
                  "rule": pl.lit("19 U.S.C. 1484(a) (importer of record)")},
                 severity=pl.lit("high"), line_level=False)]

