"""An entry's parties read from the frame's shared rows are those read column by column (each
field cast to text as the general path casts it), whatever the column types."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from tradeguard.network.entry_screen import EntryParty, entry_parties, record_id

FIELDS = (("importer", ("importer_name", "importer_address", "importer_country", "importer_id")),
          ("manufacturer", ("manufacturer_name", "manufacturer_address",
                            "manufacturer_country", "manufacturer_id")),
          ("seller", ("seller_name", None, "seller_country", None)))
WHITE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
        "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def alone(lines: pl.DataFrame, name: str | None, dtype: type[pl.DataType] = pl.String
          ) -> list[Any]:
    if name is None or name not in lines.columns:
        return [None] * lines.height
    return lines.get_column(name).cast(dtype, strict=False).to_list()


def by_columns(lines: pl.DataFrame) -> list[EntryParty]:
    """The parties read one column at a time."""
    numbers = alone(lines, "line_number", pl.Int64)
    out = []
    for kind, fields in FIELDS:
        names, addresses, countries, ids = (alone(lines, f) for f in fields)
        if kind == "importer":
            countries = ["US" if c is None else c for c in countries]
        for row, name in enumerate(names):
            if name is None or str(name).strip(WHITE) == "":
                continue
            out.append(EntryParty(
                kind, name, addresses[row], countries[row], ids[row],
                alone(lines, "entry_number")[row], alone(lines, "entry_date", pl.Date)[row],
                alone(lines, "importer_id")[row], row, numbers[row],
                record_id(kind, name, addresses[row], countries[row],
                          ids[row])))
    return out


def frame(**extra: pl.Series) -> pl.DataFrame:
    rows = 3
    base: dict[str, object] = {
        "entry_number": ["E1"] * rows, "line_number": list(range(1, rows + 1)),
        "entry_date": [date(2024, 1, 2)] * rows,
        "importer_name": ["Acme", " ", None], "importer_id": ["12-3", None, "45-6"],
        "importer_country": [None, "US", "CA"],
        "manufacturer_name": ["Mfg", None, "Mfg B"], "manufacturer_address": ["1 Rd", None, None],
        "manufacturer_country": ["CN", None, "VN"], "manufacturer_id": ["CNMFG1", None, None],
        "seller_name": [None, "Sell", "Sell"], "seller_country": ["HK", "HK", None]}
    return pl.DataFrame(base).with_columns(**extra)


def test_parties_from_rows_match_column_reads() -> None:
    cases = [
        frame(),
        frame(importer_id=pl.Series([12, None, 45])),
        frame(seller_name=pl.Series(["A", None, "B"], dtype=pl.Categorical)),
        frame(entry_date=pl.Series(["2024-01-02", "bad", None])),
        frame(entry_date=pl.Series([3_000_000] * 3, dtype=pl.Int32).cast(pl.Date)),
        frame(other=pl.Series([[1], [2], [3]])),
        frame(line_number=pl.Series([1, 2, 3], dtype=pl.UInt8)),
        frame(manufacturer_name=pl.Series([None, None, None], dtype=pl.Null)),
        frame().drop("seller_country", "importer_country"),
    ]
    for lines in cases:
        try:
            expected: list[EntryParty] | type[Exception] = by_columns(lines)
        except ValueError:
            expected = ValueError
        try:
            got: list[EntryParty] | type[Exception] = entry_parties(lines)
        except ValueError:
            got = ValueError
        assert got == expected, lines
