"""Declared features and history keys read text fields the same, typed or raw."""

from __future__ import annotations

import math

import polars as pl

from tradeguard.model.line_features import declared_features, history_keys, line_features


def _decl() -> pl.DataFrame:
    return pl.DataFrame({
        "entry_number": ["E1", "E1", "E2"], "line_number": [1, 2, 1],
        "country_of_origin": [" cn ", "", "vn"], "country_of_export": ["VN", "CN", None],
        "manufacturer_country": ["cn", "MY", "VN"],
        "manufacturer_id": [" cnacme12shz ", "  ", "myxyz9"],
        "hts_code": ["8471.30.0100", "6203 42 4511", ""], "importer_id": ["I-1 ", "I-1", " "],
        "entered_value_usd": [100.0, 0.0, None], "quantity": [4.0, 1.0, 2.0],
        "spi": ["", "A", None], "trusted_trader": ["yes", "0", None],
    })


def test_text_fields_are_stripped_blank_as_missing_and_compared_upper_case() -> None:
    out = declared_features(_decl())
    assert out["country_of_origin"].to_list() == ["CN", None, "VN"]
    assert out["hs_chapter"].to_list() == ["84", "62", None]
    assert out["origin_export_differ"].to_list() == [1.0, None, None]
    assert out["manufacturer_origin_differ"].to_list() == [0.0, None, 0.0]
    # The manufacturer ID's first two letters name a country: "MY" is not Viet Nam.
    assert out["mid_origin_differ"].to_list() == [0.0, None, 1.0]
    assert out["spi_claimed"].to_list() == [0.0, 1.0, 0.0]
    assert out["trusted_trader"].to_list() == [1.0, 0.0, None]
    assert out["lines_in_entry"].to_list() == [2.0, 2.0, 1.0]
    assert out["log_unit_value"].to_list()[:2] == [math.log(100.0 / 4.0), None]


def test_history_keys_and_line_features_read_the_same_normalised_fields() -> None:
    decl = _decl()
    keys = history_keys(decl)
    assert keys["manufacturer_id"].to_list() == ["CNACME12SHZ", None, "MYXYZ9"]
    assert keys["hs6"].to_list() == ["847130", "620342", None]
    assert keys["importer_id"].to_list() == ["I-1", "I-1", None]
    assert keys["country_of_origin"].to_list() == ["CN", None, "VN"]
    findings = pl.DataFrame(schema={"entry_number": pl.String, "line_number": pl.Int64,
                                    "category": pl.String, "severity": pl.String})
    features = line_features(decl, findings)
    assert features.select(declared_features(decl).columns).equals(declared_features(decl))
    assert not any(c.startswith("_") for c in features.columns)
