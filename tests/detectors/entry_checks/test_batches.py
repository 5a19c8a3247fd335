"""Batches: verdicts remembered across batches and work done per distinct value give the
findings of checking every line afresh."""

from __future__ import annotations

import random
import string
from typing import Any

import polars as pl
import pytest

from tradeguard.contract.entry_number import entry_number_check_digit, format_entry_number
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks import EntryChecks, mid_checks
from tradeguard.detectors.entry_checks.entry_level import check_digits
from tradeguard.refdata import ReferenceData

from .conftest import ON


def _batch(clean: dict[str, Any], first: int, count: int) -> pl.DataFrame:
    """``count`` lines of as many manufacturers (every fifth with a MID of another name)."""
    rows = []
    for i in range(first, first + count):
        mid = clean["manufacturer_id"] if i % 5 else "VNOTHERS127THU"
        rows.append({**clean, "entry_number": format_entry_number("ABC", 1000000 + i),
                     "manufacturer_name": f"{clean['manufacturer_name']} {i}",
                     "manufacturer_id": mid})
    return pl.DataFrame(rows, schema_overrides={"adcvd_case_number": pl.String,
                                                "spi": pl.String})


def test_remembered_mid_verdicts_give_the_findings_of_a_fresh_check(
        ref: ReferenceData, clean: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = DetectionContext(ref=ref, as_of=ON)
    checked: list[int] = []
    check = mid_checks._checked

    def counted(parties: pl.DataFrame, iso2: pl.Series) -> pl.DataFrame:
        checked.append(parties.height)
        return check(parties, iso2)

    monkeypatch.setattr(mid_checks, "_checked", counted)
    first, second = _batch(clean, 0, 100), _batch(clean, 50, 100)
    assert mid_checks.REMEMBERED_BATCH < 100
    worker = EntryChecks()
    worker.detect(first, ctx)
    again = worker.detect(second, ctx)
    assert checked == [100, 50]  # the second batch shares 50 manufacturers with the first
    fresh = EntryChecks().detect(second, ctx)
    assert again.equals(fresh)
    assert again.filter(pl.col("reason_code") == "DQ_MID_NAME").height == 20


def test_a_date_typed_entry_date_gives_the_findings_of_its_text(
        ref: ReferenceData, clean: dict[str, Any]) -> None:
    ctx = DetectionContext(ref=ref, as_of=ON)
    text = _batch(clean, 0, 80).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 > 0).then(pl.col("entry_date")).alias("entry_date"),
        hts_code=pl.lit("6109100012"))
    dated = text.with_columns(pl.col("entry_date").str.to_date())
    assert dated.schema["entry_date"] == pl.Date and dated["entry_date"].null_count() == 12
    assert EntryChecks().detect(dated, ctx).equals(EntryChecks().detect(text, ctx))


def test_check_digits_follow_the_rule() -> None:
    rng = random.Random(11)
    chars = string.ascii_uppercase + string.digits
    bases = ["".join(rng.choices(chars, k=3)) + "".join(rng.choices(string.digits, k=7))
             for _ in range(5_000)]
    got = check_digits(pl.Series(bases)).to_list()
    assert got == [entry_number_check_digit(b[:3], b[3:]) for b in bases]
    assert check_digits(pl.Series([], dtype=pl.String)).to_list() == []
