"""Forced-labour entry lines read from the shared rows give what each column's own read gives,
whatever the column types (and decline the rows when a date cannot convert)."""

from __future__ import annotations

from datetime import date

import polars as pl

from tradeguard.detectors.forced_labor.entry import EntryLines, entry_parties

NAMES = ("entry_number", "manufacturer_name", "manufacturer_country", "manufacturer_address",
         "seller_name", "seller_country", "hts_code", "description", "country_of_origin")


def frame(extra: dict[str, pl.Series]) -> pl.DataFrame:
    base = {n: [f"{n}-{i}" if i % 2 else None for i in range(3)] for n in NAMES}
    base["line_number"] = [1, 2, 3]
    return pl.DataFrame(base).with_columns(**extra)


def each_alone(lines: pl.DataFrame, name: str) -> list[str | None] | None:
    """The column read on its own, as the batch path would read it."""
    if name not in lines.columns:
        return [None] * lines.height
    if not isinstance(lines.schema[name], (pl.String, pl.Null)):
        return None
    return lines.get_column(name).to_list()


def test_texts_match_column_reads() -> None:
    odd_date = pl.Series([3_000_000] * 3, dtype=pl.Int32).cast(pl.Date)
    cases = [
        {},
        {"entry_date": pl.Series([date(2024, 1, 1)] * 3)},
        {"entry_date": odd_date},
        {"weights": pl.Series([[1], [2], [3]])},
        {"manufacturer_name": pl.Series([None, None, None], dtype=pl.Null)},
        {"seller_name": pl.Series(["a", "b", "c"], dtype=pl.Categorical)},
    ]
    for extra in cases:
        lines = frame(extra)
        entry = EntryLines(lines)
        for name in (*NAMES, "absent"):
            got = entry.texts(name)
            assert (None if got is None else list(got)) == each_alone(lines, name), name
        for name in ("line_number", "entry_date"):
            if name in lines.columns:
                try:
                    direct: object = lines.get_column(name).to_list()
                except ValueError:
                    direct = ValueError
                try:
                    got_values: object = list(entry.values(name))
                except ValueError:
                    got_values = ValueError
                assert got_values == direct, name
        alone = EntryLines(lines)
        alone._unsafe = True  # every column read on its own
        roles = ["manufacturer", "seller"]
        assert entry_parties(EntryLines(lines), roles) == entry_parties(alone, roles)
