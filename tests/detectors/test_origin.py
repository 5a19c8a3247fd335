"""Origin contradictions and FTA claims, on inline lines and a tiny gazetteer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import polars as pl
import pytest

from tradeguard.detectors import origin
from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.origin import OriginDetector


@dataclass
class _Tariff:
    frame: pl.DataFrame


@dataclass
class _Ref:
    countries: pl.DataFrame
    subdivisions: pl.DataFrame
    tariff: _Tariff


REF = _Ref(
    countries=pl.DataFrame({"iso2": ["CN", "VN", "DE"], "name": ["China", "Viet Nam", "Germany"]}),
    subdivisions=pl.DataFrame({"SUCountry": ["CN", "VN"],
                               "SUName": ["Guangdong Sheng", "Binh Duong"]}),
    tariff=_Tariff(pl.DataFrame({"hts10": ["6109100012"],
                                 "special_programs": [["AU", "KR", "SG", "S"]]})),
)
CTX = DetectionContext(ref=REF, as_of=date(2025, 6, 1))  # type: ignore[arg-type]


def _lines(**overrides: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "entry_number": ["E1"], "line_number": [1], "hts_code": ["6109100012"],
        "country_of_origin": ["VN"], "manufacturer_id": ["VNBINDUO123BD"],
        "manufacturer_address": ["5 Tan Uyen Rd, Binh Duong"], "manufacturer_country": ["VN"],
        "port_of_lading": ["VNSGN"], "country_of_export": ["VN"], "seller_country": ["VN"],
        "spi": [None],
    }
    base.update(overrides)
    return pl.DataFrame(base)


def _detect(lines: pl.DataFrame) -> pl.DataFrame:
    detector = OriginDetector()
    detector.fit(pl.DataFrame(), CTX)
    return detector.detect(lines, CTX)


def test_origin_contradicted_by_mid_port_and_address_is_flagged() -> None:
    lines = _lines(manufacturer_id=["CNSHAMET1234SHA"],
                   manufacturer_address=["12 Industrial Rd, Dongguan, Guangdong"],
                   manufacturer_country=[None], port_of_lading=["CNSHA"])
    found = _detect(lines)
    assert found.height == 1
    row = found.row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["category"] == "origin" and row["reason_code"] == "ORG_CONTRADICTED"
    assert ev["indicated_country"] == "CN" and ev["declared_origin"] == "VN"
    assert ev["contradicting_signals"] == ["manufacturer_address", "mid", "port_of_lading"]
    assert "CN" in row["text"]


def test_consistent_origin_is_not_flagged() -> None:
    assert _detect(_lines()).is_empty()


def test_route_signals_alone_do_not_make_a_finding() -> None:
    # German goods shipped from Rotterdam and sold by a Dutch trader are normal trade.
    lines = _lines(country_of_origin=["DE"], manufacturer_id=["DEBERLIN12BER"],
                   manufacturer_address=["Berlin, Germany"], manufacturer_country=["DE"],
                   port_of_lading=["NLRTM"], country_of_export=["NL"], seller_country=["NL"])
    assert _detect(lines).is_empty()


def test_fta_claim_for_a_non_party_origin_is_flagged() -> None:
    found = _detect(_lines(spi=["SG"]))
    assert found["reason_code"].to_list() == ["ORG_SPI_ORIGIN_NOT_PARTY"]


def test_fta_claim_the_tariff_line_does_not_grant_is_flagged() -> None:
    found = _detect(_lines(country_of_origin=["JO"], manufacturer_id=["JOAMMAN12AMM"],
                           manufacturer_address=["Amman"], manufacturer_country=["JO"],
                           port_of_lading=["JOAQJ"], country_of_export=["JO"],
                           seller_country=["JO"], spi=["JO"]))
    assert found["reason_code"].to_list() == ["ORG_SPI_NOT_ELIGIBLE_FOR_HTS"]


def test_valid_fta_claim_is_not_flagged() -> None:
    found = _detect(_lines(country_of_origin=["KR"], manufacturer_id=["KRSEOUL12SEL"],
                           manufacturer_address=["Seoul"], manufacturer_country=["KR"],
                           port_of_lading=["KRPUS"], country_of_export=["KR"],
                           seller_country=["KR"], spi=["KR"]))
    assert found.is_empty()


def test_program_windows_come_from_the_dated_refdata_table() -> None:
    gsp = _lines(spi=["A"])
    detector = OriginDetector()
    detector.fit(pl.DataFrame(), CTX)
    after = detector.detect(gsp, CTX)
    assert after["reason_code"].to_list() == ["ORG_SPI_PROGRAM_LAPSED"]
    assert "General Note 4" in json.loads(after["evidence"][0])["legal_basis"]
    # the same GSP claim by a non-beneficiary in 2019 is judged on partners, not on dates
    in_2019 = DetectionContext(ref=REF, as_of=date(2019, 6, 1))  # type: ignore[arg-type]
    before = detector.detect(gsp, in_2019)
    assert before["reason_code"].to_list() == ["ORG_SPI_ORIGIN_NOT_PARTY"]
    # USMCA entered into force on 2020-07-01
    mx = _lines(country_of_origin=["MX"], manufacturer_id=["MXMONT12MTY"],
                manufacturer_address=["Monterrey"], manufacturer_country=["MX"],
                port_of_lading=["MXZLO"], country_of_export=["MX"], seller_country=["MX"],
                spi=["S"])
    assert detector.detect(mx, CTX).is_empty()
    in_2020 = DetectionContext(ref=REF, as_of=date(2020, 3, 1))  # type: ignore[arg-type]
    early = detector.detect(mx, in_2020)
    assert early["reason_code"].to_list() == ["ORG_SPI_PROGRAM_LAPSED"]


def test_addresses_searched_once_each_give_each_lines_own_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    addresses = ["12 Industrial Rd, Dongguan, Guangdong", "5 Tan Uyen Rd, Binh Duong", None,
                 "12 Industrial Rd, Dongguan, Guangdong", "Berlin", "guangdong sheng"]
    detector = OriginDetector()
    detector.fit(pl.DataFrame(), CTX)
    column = pl.Series(addresses, dtype=pl.String)
    together = detector._address_country(column).to_list()
    alone = [detector._address_country(column.slice(i, 1)).item() for i in range(len(column))]
    assert together == alone == ["CN", "VN", None, "CN", None, "CN"]
    monkeypatch.setattr(origin, "_SMALL_BATCH", 0)  # the matcher over every place
    assert detector._address_country(column).to_list() == together


def test_country_codes_are_read_once_per_distinct_value() -> None:
    values = pl.Series(["cn", " VN ", None, "USA", "c1", "cn", "", "De"])
    expected = pl.select(origin._iso2(pl.lit(values))).to_series().to_list()
    assert origin._iso2_of(values, "x").to_list() == expected == [
        "CN", "VN", None, None, None, "CN", None, "DE"]
