"""Declared-supplier and price-rank indicators, on the smallest histories that show them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest

from tradeguard.detectors.adcvd.detector import AdcvdDetector

ALU = {"hts_code": "7604210000", "quantity": 100.0}
VN_NEW = {"manufacturer_id": "VNNEWALU9HAN", "manufacturer_name": "New Star Aluminium",
          "manufacturer_address": "No. 9 Tan Thuan Road, Bac Ninh, Viet Nam",
          "seller_country": "VN", "country_of_origin": "VN", "importer_id": "IMP-C",
          "entered_value_usd": 500.0}


def _history(kit, vn_values, cn_values):
    """One VN and one CN plant, a line a week, cycling through the given unit values."""
    start, rows = date(2025, 1, 6), []
    for k in range(48):
        day = start + timedelta(days=7 * k)
        rows.append(kit.line(f"HV{k}", entry_date=day, **(ALU | {
            "manufacturer_id": "VNOLD1HAN", "manufacturer_name": "Old Alu JSC",
            "country_of_origin": "VN", "entered_value_usd": vn_values[k % len(vn_values)]})))
        rows.append(kit.line(f"HC{k}", entry_date=day, **(ALU | {
            "manufacturer_id": "CNALU1NIN", "manufacturer_name": "Ningbo Alu",
            "manufacturer_country": "CN", "country_of_origin": "CN",
            "entered_value_usd": cn_values[k % len(cn_values)]})))
    return kit.frame(rows)


def _run(kit, ctx, history, rows, chain=None):
    det = AdcvdDetector()
    det.fit(history, ctx)
    return det.assess(kit.frame(rows), replace(ctx, supply_chain=chain))


def _codes(result, entry):
    return set(result.indicators.filter(pl.col("entry_number") == entry)["reason_code"])


def _chain(entries, tier, country, line_number=None):
    return pl.DataFrame({"entry_number": entries, "line_number": [line_number] * len(entries),
                         "tier": [tier] * len(entries), "supplier_name": ["Hengtai Billet"]
                         * len(entries), "supplier_country": [country] * len(entries),
                         "material": ["aluminum billet"] * len(entries)},
                        schema_overrides={"line_number": pl.Int64})


def _new_plant(kit, n):
    # Two weeks apart: no month holds enough lines for a surge.
    return [kit.line(f"N{k}", entry_date=date(2026, 3, 2) + timedelta(days=14 * k),
                     **(ALU | VN_NEW)) for k in range(n)]


SPREAD = [450.0, 480.0, 500.0, 520.0, 550.0]
CHEAP = [380.0, 400.0, 420.0, 440.0, 460.0]


def test_tier1_subject_supplier_is_a_strong_tie(kit, ctx):
    rows = _new_plant(kit, 4)
    chain = _chain([r["entry_number"] for r in rows], 1, "CN")  # whole entries
    result = _run(kit, ctx, _history(kit, SPREAD, CHEAP), rows, chain)
    assert "ADCVD_EVASION_SUPPLIER_SUBJECT" in _codes(result, "N0")
    assert result.scores["reported"].all()  # strong tie + new manufacturer


def test_upstream_subject_supplier_alone_is_weak(kit, ctx):
    rows = _new_plant(kit, 4)
    chain = _chain([r["entry_number"] for r in rows], 2, "CN", line_number=1)
    result = _run(kit, ctx, _history(kit, SPREAD, CHEAP), rows, chain)
    assert _codes(result, "N0") & {"ADCVD_EVASION_UPSTREAM_SUBJECT",
                                   "ADCVD_EVASION_SUPPLIER_SUBJECT"} == {
        "ADCVD_EVASION_UPSTREAM_SUBJECT"}
    assert not result.scores["reported"].any()


def test_one_shipment_from_a_subject_supplier_is_not_a_practice(kit, ctx):
    rows = _new_plant(kit, 4)
    chain = pl.concat([_chain(["N0", "N1"], 1, "CN"), _chain(["N2", "N3"], 1, "MY")])
    result = _run(kit, ctx, _history(kit, SPREAD, CHEAP), rows, chain)
    assert "ADCVD_EVASION_SUPPLIER_SUBJECT" not in _codes(result, "N0")


def test_supply_chain_without_country_names_the_field(kit, ctx):
    rows = _new_plant(kit, 3)
    with pytest.raises(ValueError, match="supplier_country"):
        _run(kit, ctx, _history(kit, SPREAD, CHEAP), rows,
             pl.DataFrame({"entry_number": ["N0"], "tier": [1]}))


def test_price_at_subject_rank_fires_and_origin_rank_does_not(kit, ctx):
    history = _history(kit, SPREAD, CHEAP)
    cheap = [r | {"entered_value_usd": v} for r, v in zip(
        _new_plant(kit, 5), [400.0, 420.0, 410.0, 430.0, 400.0], strict=True)]
    assert "ADCVD_EVASION_PRICE_SUBJECT" in _codes(_run(kit, ctx, history, cheap), "N0")
    usual = [r | {"entered_value_usd": v} for r, v in zip(
        _new_plant(kit, 5), [480.0, 500.0, 520.0, 500.0, 490.0], strict=True)]
    assert "ADCVD_EVASION_PRICE_SUBJECT" not in _codes(_run(kit, ctx, history, usual), "N0")


def test_price_needs_enough_lines_for_significance(kit, ctx):
    history = _history(kit, SPREAD, CHEAP)
    two = [r | {"entered_value_usd": 400.0} for r in _new_plant(kit, 2)]
    assert "ADCVD_EVASION_PRICE_SUBJECT" not in _codes(_run(kit, ctx, history, two), "N0")
