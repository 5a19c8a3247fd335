"""Two small entries (three T-shirt lines) as raw contract text: the inline scoring base."""

from __future__ import annotations

import polars as pl


def two_entries(second_date: str = "2026-07-01",
                second_trusted: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(entries, lines): entry 1 has lines 1 and 2, entry 2 has line 1; all clean."""
    entries = pl.DataFrame({
        "entry_number": ["AB1-0000001-1", "AB1-0000002-9"], "entry_type": ["01", "01"],
        "entry_date": ["2026-07-01", second_date], "port_of_entry": ["2704", "2704"],
        "importer_id": ["11-1111111-00", "22-2222222-00"], "importer_name": ["A Co", "B Co"],
        "trusted_trader": ["false", str(second_trusted).lower()],
    })
    lines = pl.DataFrame({
        "entry_number": ["AB1-0000001-1", "AB1-0000001-1", "AB1-0000002-9"],
        "line_number": ["1", "2", "1"], "hts_code": ["6109100012"] * 3,
        "description": ["COTTON T-SHIRTS"] * 3, "country_of_origin": ["VN"] * 3,
        "quantity": ["100", "100", "100"], "quantity_unit": ["DOZ"] * 3,
        "entered_value_usd": ["5000", "5000", "5000"],
        "manufacturer_id": ["VNSAIGAR12HOC"] * 3,
    })
    return entries, lines
