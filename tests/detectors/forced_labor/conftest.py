"""A tiny reference-data stand-in: inline watch lists and two tariff lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext

VERSIONS = {"uflpa": "2025-01-15+test", "wro": "2026-01-29+test", "ofac_sdn": "2024-05-03+test",
            "bis_mieu": "2026-08-22+test", "dod_1260h": "2026-08-22+test"}


@dataclass
class _Tariff:
    frame: pl.DataFrame


@dataclass
class FakeRef:
    watchlists: pl.DataFrame
    tariff: _Tariff
    versions: dict[str, str] = field(default_factory=lambda: dict(VERSIONS))


def _entity(eid: str, lst: str, name: str, **kw: Any) -> dict[str, Any]:
    return {"entity_id": eid, "list": lst, "name": name, "aliases": kw.get("aliases", []),
            "country": kw.get("country", "CN"), "addresses": kw.get("addresses", []),
            "program": kw.get("program", "test basis"), "date_added": kw.get("added"),
            "date_removed": kw.get("removed"), "entity_type": kw.get("kind", "organization"),
            "list_version": VERSIONS[lst]}


WATCHLISTS = pl.DataFrame(
    [
        _entity("UFLPA-1", "uflpa", "Hoshine Silicon Industry Co., Ltd.",
                addresses=["Shihezi, Xinjiang"], added=date(2022, 6, 21)),
        _entity("UFLPA-2", "uflpa", "Xinjiang Lianchuang Cotton Ginning Co., Ltd.",
                added=date(2024, 8, 1)),
        _entity("UFLPA-3", "uflpa", "Baoding Reformed Textile Co., Ltd.",
                added=date(2022, 6, 21), removed=date(2025, 1, 10)),
        _entity("CBP-1", "wro", "Top Glove Corporation Bhd", country="MY",
                added=date(2021, 7, 15)),
        _entity("SDN-1", "ofac_sdn", "Petrokick LLC", country="RU"),
        _entity("SDN-2", "ofac_sdn", "Ocean Star", country="IR", kind="vessel"),
        _entity("MIEU-1", "bis_mieu", "Main Intelligence Directorate", country="RU"),
    ],
    schema_overrides={"date_added": pl.Date, "date_removed": pl.Date},
)
TARIFF = pl.DataFrame({
    "hts10": ["6109100012", "8471300100", "6110303010"],
    "description": ["T-shirts, knitted: Of cotton: Men's", "Portable automatic data processing",
                    "Sweaters, knitted: Of man-made fibers: Men's"],
})


def context(supply_chain: pl.DataFrame | None = None, **config: Any) -> DetectionContext:
    ref = FakeRef(WATCHLISTS, _Tariff(TARIFF))
    return DetectionContext(ref=ref, as_of=date(2026, 3, 1),  # type: ignore[arg-type]
                            supply_chain=supply_chain, config=config)


def lines(**overrides: list[Any]) -> pl.DataFrame:
    """One clean non-priority line from Germany; overrides change columns (and row count)."""
    base: dict[str, list[Any]] = {
        "entry_number": ["ABC-1234567-8"], "line_number": [1], "entry_date": ["2026-02-01"],
        "hts_code": ["8471300100"], "description": ["LAPTOP COMPUTERS"],
        "country_of_origin": ["DE"], "manufacturer_name": ["Rhein Elektronik GmbH"],
        "manufacturer_address": ["Industriestr. 5, Koeln, Germany"],
        "manufacturer_country": ["DE"], "seller_name": ["Rhein Elektronik GmbH"],
        "seller_country": ["DE"], "importer_name": ["Acme Imports LLC"],
        "importer_country": ["US"],
    }
    base.update(overrides)
    n = max(len(v) for v in base.values())
    return pl.DataFrame({k: v * n if len(v) == 1 else v for k, v in base.items()})


@pytest.fixture
def ctx() -> DetectionContext:
    return context()
