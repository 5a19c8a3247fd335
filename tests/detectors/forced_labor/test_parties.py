"""Listed parties on the line: variants found, list dates respected, watch lists separate."""

from __future__ import annotations

import json

import polars as pl

from tradeguard.detectors.forced_labor import ForcedLaborDetector
from tradeguard.detectors.watchlist import WatchlistDetector
from tradeguard.findings import FINDINGS_SCHEMA

from .conftest import context, lines


def _codes(findings: pl.DataFrame) -> set[str]:
    return set(findings["reason_code"].to_list())


def test_listed_manufacturer_variant_is_critical_with_versioned_evidence() -> None:
    batch = lines(manufacturer_name=["HOSHINE SILICON IND CO LTD"], manufacturer_country=["CN"],
                  country_of_origin=["CN"])
    out = ForcedLaborDetector().detect(batch, context())
    assert out.schema == pl.Schema(FINDINGS_SCHEMA)
    hit = out.filter(pl.col("reason_code") == "FL_UFLPA_PARTY").row(0, named=True)
    assert hit["severity"] == "critical" and hit["category"] == "forced_labor"
    item = json.loads(hit["evidence"])["hits"][0]
    assert item["entity_id"] == "UFLPA-1" and item["role"] == "manufacturer"
    assert item["list_version"] == "2025-01-15+test"
    assert item["algorithm"].startswith("tradeguard-name-match")
    assert "hoshine" in item["explanation"]


def test_wro_seller_is_high_and_clean_line_has_no_finding() -> None:
    batch = lines(line_number=[1, 2], seller_name=["TOP GLOVE CORPORATION BHD", "Rhein GmbH"],
                  seller_country=["MY", "DE"])
    out = ForcedLaborDetector().detect(batch, context())
    assert out.select("line_number", "reason_code", "severity").rows() == [
        (1, "FL_WRO_PARTY", "high")
    ]


def test_entity_removed_before_entry_date_does_not_fire() -> None:
    name, cn = ["Baoding Reformed Textile Co Ltd"], ["CN"]
    before = lines(manufacturer_name=name, manufacturer_country=cn, entry_date=["2024-12-01"])
    after = lines(manufacturer_name=name, manufacturer_country=cn, entry_date=["2025-02-01"])
    detector = ForcedLaborDetector()
    assert _codes(detector.detect(before, context())) == {"FL_UFLPA_PARTY"}
    assert detector.detect(after, context()).is_empty()


def test_entity_added_after_entry_date_does_not_fire() -> None:
    name = ["Xinjiang Lianchuang Cotton Ginning Co., Ltd."]
    early = lines(manufacturer_name=name, manufacturer_country=["CN"], entry_date=["2024-07-01"])
    late = lines(manufacturer_name=name, manufacturer_country=["CN"], entry_date=["2024-09-01"])
    detector = ForcedLaborDetector()
    assert detector.detect(early, context()).is_empty()
    assert _codes(detector.detect(late, context())) == {"FL_UFLPA_PARTY"}


def test_watchlist_screens_importer_and_seller_against_sanctions_lists() -> None:
    batch = lines(line_number=[1, 2, 3],
                  seller_name=["PETROKICK LLC", "Rhein GmbH", "OCEAN STAR"],
                  importer_name=["Acme Imports LLC", "MAIN INTELLIGENCE DIRECTORATE", "Acme"],
                  importer_country=["US", "RU", "US"], seller_country=["RU", "DE", "IR"])
    out = WatchlistDetector().detect(batch, context())
    got = set(out.select("line_number", "reason_code", "severity", "category").rows())
    # the vessel on the SDN list is never a declared party, so line 3 stays clean
    assert got == {(1, "WL_OFAC_SDN", "critical", "watchlist"),
                   (2, "WL_BIS_MIEU", "high", "watchlist")}
    item = json.loads(out.filter(pl.col("line_number") == 1)["evidence"][0])["hits"][0]
    assert item["list_version"] == "2024-05-03+test" and item["role"] == "seller"
    assert "explanation" in item and item["algorithm"]
    # forced-labor lists are not the watch-list detector's, and vice versa
    assert ForcedLaborDetector().detect(batch, context()).is_empty()
