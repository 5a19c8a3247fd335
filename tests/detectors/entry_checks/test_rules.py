"""Each check fires on its violation and is silent on the correct line."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from tradeguard.detectors.entry_checks import REASONS, EntryChecks, EntryChecksConfig
from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.refdata import ReferenceData
from tradeguard.refdata.duty_frame import COMPUTABLE

from .conftest import HTS, Run, codes


def test_correct_line_has_no_findings(run: Run) -> None:
    found = run()
    assert found.height == 0
    assert dict(found.schema) == FINDINGS_SCHEMA


@pytest.mark.parametrize(("changes", "code"), [
    ({"hts_code": "6109.10"}, "DQ_HTS_NOT_STAT"),
    ({"hts_code": "61091000"}, "DQ_HTS_NOT_STAT"),
    ({"hts_code": "6109100099"}, "DQ_HTS_UNKNOWN"),
    ({"quantity_unit": "NO"}, "DQ_UNIT_MISMATCH"),
    # the tariff line's second unit: reported besides the first, not instead of it
    ({"quantity_unit": "KG", "quantity": 240.0}, "DQ_UNIT_MISMATCH"),
    ({"duty_usd": 100.0}, "DQ_DUTY_MISMATCH"),
    ({"manufacturer_id": "VN vietha 127THU"}, "DQ_MID_MALFORMED"),
    ({"manufacturer_id": "XXVIETHA127THU"}, "DQ_MID_MALFORMED"),
    ({"manufacturer_id": "VNVIETHA127THULTD0001"}, "DQ_MID_MALFORMED"),
    ({"manufacturer_id": "CNVIETHA127THU"}, "DQ_MID_COUNTRY"),
    ({"manufacturer_id": "VNSUNWOO127THU"}, "DQ_MID_NAME"),
    ({"manufacturer_id": "VNVIETHA999THU"}, "DQ_MID_ADDRESS"),
    ({"manufacturer_id": "VNVIETHA127"}, "DQ_MID_ADDRESS"),
    ({"manufacturer_id": None}, "DQ_PARTY_MISSING"),
    ({"seller_name": None}, "DQ_PARTY_MISSING"),
    ({"manufacturer_address": None}, "DQ_PARTY_MISSING"),
    ({"spi": "KR"}, "DQ_SPI_INELIGIBLE"),
    ({"spi": "A", "country_of_origin": "KH"}, "DQ_SPI_INELIGIBLE"),
    ({"spi": "ZZ"}, "DQ_SPI_INELIGIBLE"),
    ({"gross_weight_kg": 0.25}, "DQ_IMPLAUSIBLE_WEIGHT"),
    ({"gross_weight_kg": 250000.0}, "DQ_IMPLAUSIBLE_WEIGHT"),
    ({"gross_weight_kg": 0.0}, "DQ_IMPLAUSIBLE_WEIGHT"),
    ({"quantity_unit": "KG", "quantity": 300.0}, "DQ_IMPLAUSIBLE_WEIGHT"),
    ({"quantity_unit": "KG", "quantity": 10.0}, "DQ_IMPLAUSIBLE_WEIGHT"),
    ({"entered_value_usd": 3.0, "duty_usd": 0.5}, "DQ_IMPLAUSIBLE_VALUE"),
    ({"entered_value_usd": 0.0, "duty_usd": 0.0}, "DQ_IMPLAUSIBLE_VALUE"),
    ({"quantity": 0.0}, "DQ_IMPLAUSIBLE_QUANTITY"),
])
def test_violation_fires_its_code(run: Run, changes: dict[str, Any], code: str) -> None:
    found = run(**changes)
    assert code in codes(found)
    row = found.filter(pl.col("reason_code") == code).row(0, named=True)
    assert row["category"] == REASONS[code].category.value
    assert row["line_number"] == 1 and row["text"]
    assert row["detector"] == EntryChecks.name
    assert isinstance(json.loads(row["evidence"]), dict)


@pytest.mark.parametrize("changes", [
    {"duty_usd": None},  # nothing declared: nothing to compare
    {"entry_type": "11", "manufacturer_id": None, "seller_name": None},  # informal entry
    {"manufacturer_name": "An Phat Garment Co., Ltd.", "manufacturer_id": "VNANPHA127THU"},
    {"manufacturer_name": "An Phat Garment Co., Ltd.", "manufacturer_id": "VNPHAGAR127THU"},
    {"manufacturer_name": "Hi-Tech Garment Ltd.", "manufacturer_id": "VNHITGAR127THU"},
    {"manufacturer_name": "Hi-Tech Garment Ltd.", "manufacturer_id": "VNHITEC127THU"},
    {"manufacturer_id": "VNVIETHA127HOC"},  # city read as Ho Chi Minh City
])
def test_tolerated_readings_are_silent(run: Run, changes: dict[str, Any]) -> None:
    assert run(**changes).height == 0


def test_duty_tolerance_is_both_absolute_and_relative(run: Run, clean: dict[str, Any]) -> None:
    assert run(duty_usd=clean["duty_usd"] - 0.9).height == 0  # under $1
    large = {"entered_value_usd": 300000.0, "gross_weight_kg": 25000.0, "quantity": 10000.0}
    expected = 300000.0 * clean["duty_rate"]  # $49,500: 1 % is $495
    assert run(duty_usd=expected - 5.0, **large).height == 0  # over $1, under 1 %
    assert codes(run(duty_usd=expected - 600.0, **large)) == {"DQ_DUTY_MISMATCH"}
    loose = {"entry_checks": {"duty": {"abs_usd": 1.0, "rel": 0.5}}}
    assert run(duty_usd=clean["duty_usd"] - 3.0, config=loose).height == 0


def test_duty_shortfall_evidence_and_severity(run: Run, clean: dict[str, Any],
                                              ref: ReferenceData) -> None:
    found = run(duty_usd=0.0, entered_value_usd=30000.0, gross_weight_kg=2500.0,
                quantity=1000.0)
    row = found.filter(pl.col("reason_code") == "DQ_DUTY_MISMATCH").row(0, named=True)
    evidence = json.loads(row["evidence"])
    assert evidence["expected_duty_usd"] == pytest.approx(30000.0 * 0.165)
    assert evidence["tariff_version"] == ref.versions["tariff"]
    assert row["severity"] == "high"  # shortfall over $1,000


def test_undetermined_duty_is_counted_not_guessed(run: Run, ref: ReferenceData) -> None:
    line = ref.tariff.frame.filter(~pl.col("general_kind").is_in(COMPUTABLE)
                                   & (pl.col("units").list.first() == "KG")).row(0, named=True)
    detector = EntryChecks()
    found = run(detector=detector, hts_code=line["hts10"], quantity_unit="KG",
                quantity=240.0, duty_usd=1.0)
    assert "DQ_DUTY_MISMATCH" not in codes(found)
    assert detector.last_stats is not None
    assert detector.last_stats.not_checked.get("duty_undetermined:conditional_rate") == 1


def test_valid_fta_claim_is_silent(run: Run, ref: ReferenceData) -> None:
    special = ref.tariff.special_rate(HTS, "KR")
    assert special is not None and special.ad_valorem is not None
    found = run(spi="KR", country_of_origin="KR", manufacturer_country="KR",
                manufacturer_id="KRVIETHA127THU", duty_usd=3000.0 * special.ad_valorem)
    assert found.height == 0


def test_entry_number_checks_are_entry_level(run: Run, clean: dict[str, Any]) -> None:
    good = clean["entry_number"]
    wrong = good[:-1] + str((int(good[-1]) + 3) % 10)
    found = run(entry_number=wrong)
    assert codes(found) == {"DQ_ENTRY_CHECK_DIGIT"}
    assert found["line_number"].to_list() == [None]
    assert codes(run(entry_number="ABC1234567")) == {"DQ_ENTRY_NUMBER_FORMAT"}


def test_missing_importer_is_one_entry_finding(run: Run) -> None:
    found = run(importer_name=None)
    assert codes(found) == {"DQ_PARTY_MISSING"}
    assert found.row(0, named=True)["line_number"] is None


def test_unidentified_manufacturer_is_high(run: Run) -> None:
    found = run(manufacturer_id=None, manufacturer_name=None)
    assert found.filter(pl.col("reason_code") == "DQ_PARTY_MISSING")["severity"].to_list() \
        == ["high"]


def test_adcvd_type01_in_scope(run: Run, ref: ReferenceData) -> None:
    order = ref.adcvd_orders.explode("hts_prefixes").row(0, named=True)
    hts = ref.tariff.frame.filter(pl.col("hts10").str.starts_with(order["hts_prefixes"])) \
        .row(0, named=True)
    base: dict[str, Any] = {
        "hts_code": hts["hts10"], "country_of_origin": order["country"],
        "manufacturer_country": order["country"], "manufacturer_id": None,
        "quantity_unit": hts["units"][0], "quantity": 240.0, "duty_usd": None,
        "gross_weight_kg": 250.0, "entered_value_usd": 3000.0}
    found = run(**base)
    row = found.filter(pl.col("reason_code") == "ADCVD_TYPE01_IN_SCOPE").row(0, named=True)
    assert row["category"] == "adcvd"
    assert order["case_number"] in json.loads(row["evidence"])["cases"]
    assert "ADCVD_TYPE01_IN_SCOPE" not in codes(run(**{**base, "entry_type": "03"}))
    assert "ADCVD_TYPE01_IN_SCOPE" not in codes(
        run(**{**base, "adcvd_case_number": order["case_number"]}))
    assert "ADCVD_TYPE01_IN_SCOPE" not in codes(run(**{**base, "country_of_origin": "DE",
                                                       "manufacturer_country": "DE"}))


def test_disabled_codes_are_dropped(run: Run) -> None:
    detector = EntryChecks(EntryChecksConfig(disabled=frozenset({"DQ_UNIT_MISMATCH"})))
    assert run(detector=detector, quantity_unit="NO").height == 0


def test_batch_keeps_lines_apart(ref: ReferenceData, clean: dict[str, Any]) -> None:
    from tradeguard.detectors.base import DetectionContext

    from .conftest import ON

    rows = [clean, {**clean, "line_number": 2, "quantity_unit": "NO"},
            {**clean, "line_number": 3, "hts_code": "6109"}]
    frame = pl.DataFrame(rows, schema_overrides={"adcvd_case_number": pl.String,
                                                 "spi": pl.String})
    found = EntryChecks().detect(frame, DetectionContext(ref=ref, as_of=ON))
    by_line = dict(found.group_by("line_number").agg(pl.col("reason_code")).iter_rows())
    assert 1 not in by_line
    assert by_line[2] == ["DQ_UNIT_MISMATCH"]
    assert by_line[3] == ["DQ_HTS_NOT_STAT"]


def test_plausibility_in_a_batch_equals_each_line_checked_alone(
        ref: ReferenceData, clean: dict[str, Any]) -> None:
    from tradeguard.detectors.base import DetectionContext

    from .conftest import ON

    changes: list[dict[str, Any]] = [
        {}, {"gross_weight_kg": 0.25}, {"quantity": 0.0}, {},
        {"entered_value_usd": 3.0, "duty_usd": 0.5}, {"gross_weight_kg": 250000.0},
        {"quantity_unit": "KG", "quantity": 300.0}, {"entered_value_usd": 0.0, "duty_usd": 0.0},
    ]
    rows = [{**clean, "line_number": i + 1, **c} for i, c in enumerate(changes)]
    ctx = DetectionContext(ref=ref, as_of=ON)

    def plausibility(rows: list[dict[str, Any]]) -> pl.DataFrame:
        frame = pl.DataFrame(rows, schema_overrides={"adcvd_case_number": pl.String,
                                                     "spi": pl.String})
        return EntryChecks().detect(frame, ctx).filter(
            pl.col("reason_code").str.starts_with("DQ_IMPLAUSIBLE"))

    together = plausibility(rows)
    alone = pl.concat([plausibility([row]) for row in rows])
    assert together.sort("line_number", "reason_code").equals(
        alone.sort("line_number", "reason_code"))
    assert set(together["line_number"]) == {2, 3, 5, 6, 7, 8}
