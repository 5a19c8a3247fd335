"""Inline reference data and declarations for the AD/CVD tests."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext
from tradeguard.refdata.adcvd import ADCVD_SCHEMA


def orders_frame() -> pl.DataFrame:
    """Aluminum extrusions on CN (AD with a rate, CVD without), fish fillets on VN."""
    rows = [
        ("A-570-967", "AD", "CN", "Aluminum extrusions", ["7604", "7610"], date(2011, 1, 1), 0.3),
        ("C-570-968", "CVD", "CN", "Aluminum extrusions", ["7604", "7610"], date(2011, 1, 1),
         None),
        ("A-552-801", "AD", "VN", "Frozen fish fillets", ["030462"], date(2003, 1, 1), 0.1),
    ]
    return pl.DataFrame(
        [dict(zip(["case_number", "order_type", "country", "product", "hts_prefixes",
                   "order_date", "deposit_rate"], r, strict=True)) | {"confidence": "high",
                                                                      "notes": None}
         for r in rows], schema=ADCVD_SCHEMA)


class FakeRef:
    """The parts of ReferenceData the AD/CVD detector reads."""

    def __init__(self) -> None:
        self.adcvd_orders = orders_frame()
        self.countries = pl.DataFrame({"iso2": ["CN", "VN", "TW"],
                                       "name": ["China", "Viet Nam", "Taiwan"]})
        self.versions = {"adcvd_orders": "test"}

    def locode(self, table: str) -> pl.DataFrame:
        return pl.DataFrame({"SUCountry": ["CN", "CN"], "SUCode": ["ZJ", "TW"],
                             "SUName": ["Zhejiang Sheng", "Taiwan Sheng"],
                             "SUType": ["Province", "Province"]})


@pytest.fixture
def ctx() -> DetectionContext:
    return DetectionContext(ref=FakeRef(), as_of=date(2026, 6, 30))  # type: ignore[arg-type]


def line(entry: str, n: int = 1, **kw: Any) -> dict[str, Any]:
    """One declaration line (entry header fields included) with clean defaults."""
    base: dict[str, Any] = {
        "entry_number": entry, "line_number": n, "entry_type": "01",
        "entry_date": date(2026, 3, 10), "importer_id": "IMP-A", "importer_name": "A Inc",
        "hts_code": "9403.60.8081", "description": "goods", "country_of_origin": "VN",
        "quantity": 100.0, "quantity_unit": "KG", "entered_value_usd": 500.0,
        "manufacturer_id": "VNPLANT1HAN", "manufacturer_name": "Plant One Co., Ltd.",
        "manufacturer_address": "No. 1 Tan Thuan Road, Bac Ninh, Viet Nam",
        "manufacturer_country": "VN", "seller_name": "Plant One Co., Ltd.",
        "seller_country": "VN", "adcvd_case_number": None, "adcvd_deposit_usd": None,
    }
    base.update(kw)
    return base


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def monthly(start: date, months: int, per_month: int, **kw: Any) -> list[dict[str, Any]]:
    """History lines: ``per_month`` lines a month for ``months`` months from ``start``."""
    rows = []
    for m in range(months):
        for k in range(per_month):
            day = start + timedelta(days=30 * m + 2 * k)
            rows.append(line(f"H-{kw.get('manufacturer_id', 'X')}-{m}-{k}", entry_date=day,
                             **kw))
    return rows


@pytest.fixture
def kit() -> SimpleNamespace:
    """Builders for inline declaration frames (tests import nothing from conftest)."""
    return SimpleNamespace(line=line, frame=frame, monthly=monthly, orders=orders_frame)
