"""Transshipment indicators: each fires on its pattern and stays silent on clean trade."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tradeguard.detectors.adcvd.detector import AdcvdDetector

ALU = {"hts_code": "7604210000", "quantity": 100.0}
OLD_VN = {"manufacturer_id": "VNALUOLD1HAN", "manufacturer_name": "Old Aluminium JSC",
          "country_of_origin": "VN", "importer_id": "IMP-A", "entered_value_usd": 500.0}
CN_SUPPLIER = {"manufacturer_id": "CNALUCN1NIN", "manufacturer_name": "Ningbo Alu Co., Ltd.",
               "manufacturer_country": "CN", "seller_country": "CN",
               "country_of_origin": "CN", "importer_id": "IMP-B", "entered_value_usd": 400.0}
NEW_PLANT = {"manufacturer_id": "CNNEWALU9NIN", "manufacturer_name": "New Star Aluminium",
             "manufacturer_address": "No. 9 Zhongshan Road, Ningbo, Zhejiang, China",
             "seller_name": "Sino Trading Ltd", "seller_country": "CN",
             "country_of_origin": "VN", "importer_id": "IMP-B", "entered_value_usd": 400.0}


@pytest.fixture
def history(kit) -> pl.DataFrame:
    """An established VN and CN plant, and a VN plant that started in June and shipped about
    once a month (the start-up the new-plant volume test compares with)."""
    start = date(2025, 1, 5)
    rows = (kit.monthly(start, 12, 1, **(ALU | OLD_VN))
            + kit.monthly(start, 12, 1, **(ALU | CN_SUPPLIER)))
    rows += [kit.line(f"H-STA-{k}", entry_date=date(2025, 6, 2) + timedelta(days=45 * k),
                      **(ALU | OLD_VN | {"manufacturer_id": "VNALUSTA5HAN",
                                         "manufacturer_name": "Star Aluminium JSC"}))
             for k in range(4)]
    return kit.frame(rows)


def _assess(kit, ctx, history, rows):
    det = AdcvdDetector()
    det.fit(history, ctx)
    return det, det.assess(kit.frame(rows), ctx)


def _codes(result, entry):
    got = result.indicators.filter(pl.col("entry_number") == entry)
    return set(got["reason_code"].to_list())


def _batch(kit, n_new=8):
    day = date(2026, 3, 2)
    rows = [kit.line(f"S{k}", entry_date=day + timedelta(days=k), **(ALU | NEW_PLANT))
            for k in range(n_new)]
    rows.append(kit.line("C1", entry_date=day, **(ALU | OLD_VN)))
    return rows


def test_each_indicator_fires_on_the_transshipment_pattern(kit, ctx, history):
    _, result = _assess(kit, ctx, history, _batch(kit))
    assert _codes(result, "S0") == {
        "ADCVD_EVASION_NEW_MANUFACTURER", "ADCVD_EVASION_MID_SUBJECT",
        "ADCVD_EVASION_ADDRESS_SUBJECT", "ADCVD_EVASION_SELLER_SUBJECT",
        "ADCVD_EVASION_ORIGIN_SWITCH", "ADCVD_EVASION_PRICE_SUBJECT",
        "ADCVD_EVASION_NEW_PLANT_VOLUME", "ADCVD_EVASION_SURGE"}


def test_established_plant_only_shares_the_flow_level_surge(kit, ctx, history):
    _, result = _assess(kit, ctx, history, _batch(kit))
    assert _codes(result, "C1") == {"ADCVD_EVASION_SURGE"}
    scores = result.scores
    assert scores.filter(pl.col("entry_number") == "S0")["reported"].to_list() == [True]
    assert scores.filter(pl.col("entry_number") == "C1")["reported"].to_list() == [False]


def test_no_surge_at_baseline_volume(kit, ctx, history):
    _, result = _assess(kit, ctx, history, _batch(kit, n_new=1))
    assert "ADCVD_EVASION_SURGE" not in _codes(result, "S0")
    assert "ADCVD_EVASION_NEW_PLANT_VOLUME" not in _codes(result, "S0")  # one shipment


def test_new_manufacturer_needs_history(kit, ctx):
    det = AdcvdDetector()
    result = det.assess(kit.frame(_batch(kit)), ctx)  # not fitted: nobody is known to be new
    assert "ADCVD_EVASION_NEW_MANUFACTURER" not in _codes(result, "S0")


def test_street_names_and_other_countries_are_not_subject_places(kit, ctx, history):
    rows = [kit.line("T1", **(ALU | OLD_VN | {
                "manufacturer_address": "No. 1 Zhongshan Road, Bac Ninh, Viet Nam"})),
            kit.line("T2", **(ALU | {"country_of_origin": "TW", "manufacturer_id": "TWX1TAO",
                                     "manufacturer_address": "No. 5 Xingye Road, Taoyuan, "
                                                             "Taiwan"}))]
    _, result = _assess(kit, ctx, history, rows)
    assert "ADCVD_EVASION_ADDRESS_SUBJECT" not in _codes(result, "T1") | _codes(result, "T2")


QUIET = NEW_PLANT | {"manufacturer_id": "VNNEWALU9HAN", "seller_country": "VN",
                     "manufacturer_address": "No. 9 Tan Thuan Road, Bac Ninh, Viet Nam",
                     "importer_id": "IMP-C"}


def _quiet(kit, n):
    return [kit.line(f"Q{k}", entry_date=date(2026, 3, 2 + k), **(ALU | QUIET)) for k in range(n)]


def test_price_tie_with_one_kind_of_change_is_not_reported(kit, ctx, history):
    # VN MID, seller and address: only price ties the new plant to China; four lines make no
    # surge, so the plant shows one kind of change (being new) and stays below the bar.
    _, result = _assess(kit, ctx, history, _quiet(kit, 4))
    assert "ADCVD_EVASION_PRICE_SUBJECT" in _codes(result, "Q0")
    assert "ADCVD_EVASION_SURGE" not in _codes(result, "Q0")
    assert not result.scores["reported"].any()


def test_price_tie_with_new_plant_and_surge_is_reported(kit, ctx, history):
    _, result = _assess(kit, ctx, history, _quiet(kit, 8))
    assert {"ADCVD_EVASION_PRICE_SUBJECT", "ADCVD_EVASION_SURGE",
            "ADCVD_EVASION_NEW_MANUFACTURER"} <= _codes(result, "Q0")
    assert result.scores["reported"].all()


def test_importer_switch_is_not_corroborated_by_change_alone(kit, ctx, history):
    # Priced at the VN level: the importer's switch from China is the only tie, and a switch
    # after an order is what the order intends, so new plant plus surge do not make it a case.
    switched = QUIET | {"importer_id": "IMP-B", "entered_value_usd": 500.0}
    rows = [kit.line(f"W{k}", entry_date=date(2026, 3, 2 + k), **(ALU | switched))
            for k in range(8)]
    _, result = _assess(kit, ctx, history, rows)
    codes = _codes(result, "W0")
    assert {"ADCVD_EVASION_ORIGIN_SWITCH", "ADCVD_EVASION_SURGE"} <= codes
    assert "ADCVD_EVASION_PRICE_SUBJECT" not in codes
    assert not result.scores["reported"].any()


def test_known_name_under_a_new_mid_is_a_new_manufacturer(kit, ctx, history):
    renamed = OLD_VN | {"manufacturer_id": "CNOLDALU7NIN"}  # same name, re-registered
    rows = [kit.line(f"R{k}", entry_date=date(2026, 3, 2 + k), **(ALU | renamed))
            for k in range(3)]
    _, result = _assess(kit, ctx, history, rows)
    assert "ADCVD_EVASION_NEW_MANUFACTURER" in _codes(result, "R0")
    same = [kit.line("K1", entry_date=date(2026, 3, 2), **(ALU | OLD_VN))]
    _, result = _assess(kit, ctx, history, same)
    assert "ADCVD_EVASION_NEW_MANUFACTURER" not in _codes(result, "K1")


def test_findings_carry_score_and_indicator_evidence(kit, ctx, history):
    det, result = _assess(kit, ctx, history, _batch(kit))
    findings = det.findings(result)
    s0 = findings.filter(pl.col("entry_number") == "S0")
    assert set(s0["category"].to_list()) == {"adcvd"}
    assert set(s0["severity"].to_list()) == {"high"}
    assert s0["evidence"].str.contains('"score"').all()
    assert s0["evidence"].str.contains('"detail"').all()
    assert findings.filter(pl.col("entry_number") == "C1").height == 0
    assert set(findings["detector_version"].to_list()) == {AdcvdDetector.version}
