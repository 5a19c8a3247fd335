"""Duty lookups built once per schedule; small and large batches get the same duty."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tradeguard.refdata import ReferenceData
from tradeguard.refdata import duty_lookups as lookups_module
from tradeguard.refdata.duty import compute_duty_frame
from tradeguard.refdata.duty_lookups import duty_lookups


def _lines(ref: ReferenceData) -> pl.DataFrame:
    codes = ref.tariff.special["hts10"].unique(maintain_order=True).head(3).to_list()
    codes += [ref.tariff.frame["hts10"][0], "0000000000"]
    return pl.DataFrame({
        "entry_number": ["ABC-0000001-0"] * 5,
        "line_number": [1, 2, 3, 4, 5],
        "hts_code": codes,
        "country_of_origin": ["CN", "KR", "AU", "MX", "CN"],
        "entered_value_usd": [1000.0, 2000.0, 3000.0, 400.0, 50.0],
        "quantity": [10.0, 20.0, 30.0, 4.0, 5.0],
        "quantity_unit": ["KG", "NO", "KG", "KG", "NO"],
        "spi": [None, "KR", "AU", None, None],
        "entry_date": [date(2026, 5, 1)] * 5,
    })


def test_lookups_are_built_once_per_schedule(ref: ReferenceData) -> None:
    first = duty_lookups(ref.tariff)
    assert duty_lookups(ref.tariff) is first
    assert first.version == ref.tariff.version


def test_small_batch_by_index_equals_full_join(
    ref: ReferenceData, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _lines(ref)
    by_index = compute_duty_frame(lines, ref)
    monkeypatch.setattr(lookups_module, "SMALL_BATCH_CODES", 0)
    by_join = compute_duty_frame(lines, ref)
    assert_frame_equal(by_index, by_join)
    assert by_index["tariff_found"].to_list() == [True, True, True, True, False]


def test_taken_rows_are_exactly_those_of_the_codes(ref: ReferenceData) -> None:
    lookups = duty_lookups(ref.tariff)
    codes = pl.Series(_lines(ref)["hts_code"])
    tariff, special = lookups.for_codes(codes)
    assert set(tariff["hts10"]) == set(codes.to_list()) - {"0000000000"}
    expected = ref.tariff.special.filter(pl.col("hts10").is_in(codes.to_list())).height
    assert special.height == expected > 0
