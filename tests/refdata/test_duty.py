"""compute_duty and compute_duty_frame: real rates from the shipped schedule."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradeguard.refdata import ReferenceData, UnknownTariffNumber
from tradeguard.refdata.duty import compute_duty, compute_duty_frame

ON = date(2026, 5, 1)  # FY2026, after the IEEPA headings ended


def _duty(result: object) -> float | None:
    return result.components[0].amount_usd  # type: ignore[attr-defined, no-any-return]


def test_ad_valorem_plus_mpf(ref: ReferenceData) -> None:
    result = compute_duty(ref, "6109.10.00.12", "VN", 10_000, on=ON)
    assert result.general_rate == "16.5%" and result.rate_column == "general"
    assert _duty(result) == 1650.00
    mpf = [c for c in result.components if c.name == "Merchandise processing fee"]
    assert mpf[0].amount_usd == 34.64 and "24.23" in mpf[0].legal_basis
    assert result.total_usd == 1684.64
    assert result.versions["tariff"] == ref.versions["tariff"]


def test_mpf_minimum_and_maximum(ref: ReferenceData) -> None:
    low = compute_duty(ref, "8471300100", "VN", 3_000, on=ON)
    high = compute_duty(ref, "8471300100", "VN", 1_000_000, on=ON)
    assert [c.amount_usd for c in low.components] == [0.0, 33.58]
    assert [c.amount_usd for c in high.components] == [0.0, 651.50]
    informal = compute_duty(ref, "8471300100", "VN", 800, on=ON)
    assert informal.total_usd == 0.0 and len(informal.components) == 1


def test_compound_rate(ref: ReferenceData) -> None:
    # 0402.29.50.00: $1.104/kg + 14.9%
    result = compute_duty(ref, "0402295000", "NZ", 2_000, quantity=500, unit="KG", on=ON)
    assert result.applied_rate == "$1.104/kg + 14.9%"
    assert _duty(result) == pytest.approx(1.104 * 500 + 0.149 * 2_000)


def test_specific_rate_with_unit_conversion(ref: ReferenceData) -> None:
    # 0102.29.40.24: 1¢/kg; 2 t declared = 2000 kg
    result = compute_duty(ref, "0102294024", "AR", 1_000, quantity=2, unit="T", on=ON)
    assert _duty(result) == pytest.approx(20.0)


def test_specific_rate_without_quantity_is_not_guessed(ref: ReferenceData) -> None:
    result = compute_duty(ref, "0102294024", "AR", 1_000, quantity=3, unit="NO", on=ON)
    assert _duty(result) is None and result.total_usd is None
    assert any("needs the quantity in KG" in n for n in result.notes)


def test_conditional_rate_flagged(ref: ReferenceData) -> None:
    result = compute_duty(ref, "0711201800", "ES", 1_000, quantity=10, unit="KG", on=ON)
    assert _duty(result) is None
    assert any("depends on facts not declared" in n for n in result.notes)


def test_column2_country(ref: ReferenceData) -> None:
    result = compute_duty(ref, "6109100012", "RU", 1_000, on=ON, spi="KR")
    assert result.rate_column == "column2" and result.applied_rate == "90%"
    assert _duty(result) == 900.0
    assert "Pub. L. 117-110" in result.components[0].legal_basis
    assert compute_duty(ref, "6109100012", "CU", 1_000, on=ON).rate_column == "column2"


def test_special_rate_for_eligible_origin(ref: ReferenceData) -> None:
    result = compute_duty(ref, "6109100012", "KR", 1_000, on=ON, spi="KR")
    assert result.rate_column == "special" and _duty(result) == 0.0
    assert "General Note 33" in result.components[0].legal_basis


def test_special_claim_refused_for_wrong_origin_or_lapsed_program(ref: ReferenceData) -> None:
    wrong = compute_duty(ref, "6109100012", "CN", 1_000, on=ON, spi="KR")
    assert wrong.rate_column == "general" and _duty(wrong) == 165.0
    assert any("not a U.S.-Korea FTA country" in n for n in wrong.notes)
    gsp = compute_duty(ref, "0101300000", "IN", 1_000, on=ON, spi="A+")
    assert gsp.rate_column == "general"
    assert any("not in force" in n for n in gsp.notes)


def test_unknown_code_rejected(ref: ReferenceData) -> None:
    with pytest.raises(UnknownTariffNumber):
        compute_duty(ref, "9999.99.99.99", "CN", 100, on=ON)


def test_adcvd_deposit_unknown_rate_is_said(ref: ReferenceData) -> None:
    result = compute_duty(ref, "8541430010", "CN", 10_000, on=ON, adcvd_case="A-570-979")
    deposit = [c for c in result.components if c.name.startswith("AD/CVD")]
    assert deposit[0].amount_usd is None and result.total_usd is None
    assert any("deposit rate for A-570-979 unknown" in n for n in result.notes)


def test_ieepa_country_wide_before_end_and_not_after(ref: ReferenceData) -> None:
    before = compute_duty(ref, "6109100012", "BR", 1_000, on=date(2025, 12, 1))
    added = [c for c in before.components if c.name.startswith("Chapter 99")]
    assert [c.legal_basis.split(",")[0] for c in added] == ["HTSUS 9903.01.77"]
    assert added[0].amount_usd == 400.0
    after = compute_duty(ref, "6109100012", "BR", 1_000, on=ON)
    assert not [c for c in after.components if c.name.startswith("Chapter 99")]


def test_frame_matches_single_line(ref: ReferenceData) -> None:
    lines = pl.DataFrame({
        "hts_code": ["6109.10.00.12", "6109100012", "6109100012", "0402295000", "0102294024",
                     "0711201800", "9999999999", "6109100012"],
        "country_of_origin": ["VN", "KR", "RU", "NZ", "AR", "ES", "CN", "BR"],
        "entered_value_usd": [10_000.0, 10_000, 1_000, 2_000, 1_000, 1_000, 5, 1_000],
        "quantity": [100.0, 1, 1, 500, 3, 10, 1, 1],
        "quantity_unit": ["DOZ", "DOZ", "DOZ", "KG", "NO", "KG", "NO", "DOZ"],
        "spi": [None, "KR", "KR", None, None, None, None, None],
        "entry_date": [ON] * 7 + [date(2025, 12, 1)],
    })
    out = compute_duty_frame(lines, ref)
    assert out.height == lines.height
    assert out["rate_column"].to_list() == ["general", "special", "column2", "general",
                                            "general", "general", None, "general"]
    expected = []
    for row in lines.iter_rows(named=True):
        try:
            single = compute_duty(ref, row["hts_code"], row["country_of_origin"],
                                  row["entered_value_usd"], quantity=row["quantity"],
                                  unit=row["quantity_unit"], on=row["entry_date"],
                                  spi=row["spi"])
            expected.append(single.total_usd)
        except UnknownTariffNumber:
            expected.append(None)
    assert out["expected_total_usd"].to_list() == expected
    assert out["duty_undetermined_reason"].to_list()[4:7] == [
        "quantity_not_in_rate_unit", "conditional_rate", "hts_not_in_schedule"]
    assert out["chapter99_headings"].to_list()[7] == ["9903.01.77"]
