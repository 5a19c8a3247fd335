"""One correct declaration line (real tariff numbers, a MID built by hand from the rule) that
each test breaks in exactly one way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest

from tradeguard.contract.entry_number import format_entry_number
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks import EntryChecks
from tradeguard.refdata import ReferenceData, load_reference_data

HTS = "6109100012"  # men's cotton knit T-shirts: DOZ and KG, 16.5 % general
ON = date(2026, 3, 2)


@pytest.fixture(scope="session")
def ref() -> ReferenceData:
    return load_reference_data()


@pytest.fixture(scope="session")
def clean(ref: ReferenceData) -> dict[str, Any]:
    rate = ref.tariff.require(HTS).general.ad_valorem
    assert rate is not None
    value = 3000.0
    return {
        "entry_number": format_entry_number("ABC", 1234567), "line_number": 1,
        "entry_type": "01", "entry_date": ON.isoformat(), "importer_id": "12-345678900",
        "importer_name": "Pacific Apparel LLC", "hts_code": "6109.10.0012",
        "description": "MENS 100% COTTON KNIT T-SHIRTS", "country_of_origin": "VN",
        "quantity": 100.0, "quantity_unit": "DOZ", "entered_value_usd": value,
        "gross_weight_kg": 250.0, "manufacturer_id": "VNVIETHA127THU",
        "manufacturer_name": "Viet Thang Garment Co., Ltd.",
        "manufacturer_address": "No. 127 Le Van Viet Street, Thu Duc, Ho Chi Minh City, Vietnam",
        "manufacturer_country": "VN", "seller_name": "Viet Thang Garment Co., Ltd.",
        "seller_country": "VN", "duty_rate": rate, "duty_usd": round(value * rate, 2),
        "adcvd_case_number": None, "spi": None,
    }


Run = Callable[..., pl.DataFrame]


@pytest.fixture()
def run(ref: ReferenceData, clean: dict[str, Any]) -> Run:
    """``run(field=value, ...)`` -> findings of the clean line with those fields changed."""

    def _run(*, detector: EntryChecks | None = None, config: dict[str, Any] | None = None,
             **changes: Any) -> pl.DataFrame:
        row = {**clean, **changes}
        frame = pl.DataFrame([row], schema_overrides={"adcvd_case_number": pl.String,
                                                      "spi": pl.String})
        ctx = DetectionContext(ref=ref, as_of=ON, config=config or {})
        return (detector or EntryChecks()).detect(frame, ctx)

    return _run


def codes(findings: pl.DataFrame) -> set[str]:
    return set(findings["reason_code"].to_list())
