"""SHA-256 digests of text and the text a digest reads from typed fields."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import polars as pl

from tradeguard.digests import as_text, sha256_hex


def test_sha256_hex_is_hashlib_of_the_utf8_bytes_with_nulls_kept() -> None:
    texts = ["", "entry_number=E1\x1fline_number=1", "Ürümqi 新疆 ☃", None, "x" * 5000]
    got = sha256_hex(pl.Series("s", texts)).to_list()
    assert got == [None if t is None else hashlib.sha256(t.encode()).hexdigest() for t in texts]
    assert sha256_hex(pl.Series("s", [], dtype=pl.String)).to_list() == []


def test_dates_read_as_text_like_a_cast_once_per_distinct_value() -> None:
    frame = pl.DataFrame({
        "day": [date(2024, 2, 29), None, date(1999, 12, 31), date(2024, 2, 29)],
        "at": [datetime(2024, 1, 1, 12, 30), None, None, datetime(2024, 1, 1, 12, 30)],
        "n": [1, None, 3, 4]})
    for name in frame.columns:
        assert frame.select(as_text(frame, name)).to_series().equals(
            frame.get_column(name).cast(pl.String))
    assert frame.select(as_text(frame, "day")).to_series().to_list() == [
        "2024-02-29", None, "1999-12-31", "2024-02-29"]
