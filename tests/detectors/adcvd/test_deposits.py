"""Subject merchandise: case numbers, entry type and cash deposits."""

from __future__ import annotations

import json

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.deposits import deposit_checks

CN_ALU = {"hts_code": "7604210000", "country_of_origin": "CN", "entered_value_usd": 1000.0}


def _codes(kit, **kw):
    lines = kit.frame([kit.line("E1", **(CN_ALU | kw))])
    return deposit_checks(lines, kit.orders(), AdcvdConfig())


def test_correct_type03_entry_is_silent(kit):
    assert _codes(kit, entry_type="03", adcvd_case_number="A-570-967",
                  adcvd_deposit_usd=300.0).height == 0


def test_case_outside_scope_is_wrong(kit):
    got = _codes(kit, entry_type="03", adcvd_case_number="A-552-801", adcvd_deposit_usd=300.0)
    wrong = got.filter(got["reason_code"] == "ADCVD_CASE_WRONG")
    assert wrong.height == 1 and wrong["severity"][0] == "high"
    assert "outside" in json.loads(wrong["evidence"][0])["reason"]
    assert wrong["case_number"][0] in {"A-570-967", "C-570-968"}  # the order the goods fall under


def test_missing_case_on_type03_but_type01_left_to_entry_checks(kit):
    t03 = _codes(kit, entry_type="03", adcvd_deposit_usd=300.0)
    assert "ADCVD_CASE_MISSING" in t03["reason_code"].to_list()
    t01 = _codes(kit, entry_type="01")
    codes = t01["reason_code"].to_list()
    assert "ADCVD_CASE_MISSING" not in codes and "ADCVD_ENTRY_TYPE" not in codes
    assert "ADCVD_DEPOSIT_SHORT" in codes  # the deposit is owed whatever the entry type


def test_declared_case_on_type01_is_wrong_entry_type(kit):
    got = _codes(kit, entry_type="01", adcvd_case_number="A-570-967", adcvd_deposit_usd=300.0)
    assert got["reason_code"].to_list() == ["ADCVD_ENTRY_TYPE"]


def test_short_deposit_at_known_rate(kit):
    got = _codes(kit, entry_type="03", adcvd_case_number="A-570-967", adcvd_deposit_usd=150.0)
    short = got.filter(got["reason_code"] == "ADCVD_DEPOSIT_SHORT")
    assert short["expected_deposit_usd"][0] == 300.0 and short["shortfall_usd"][0] == 150.0
    assert short["severity"][0] == "high" and not short["rate_assumed"][0]


def test_unknown_rate_says_so_and_only_flags_no_deposit(kit):
    none = _codes(kit, entry_type="03", adcvd_case_number="C-570-968", adcvd_deposit_usd=0.0)
    short = none.filter(none["reason_code"] == "ADCVD_DEPOSIT_SHORT")
    evidence = json.loads(short["evidence"][0])
    assert evidence["rate_status"] == "rate unknown" and short["rate_assumed"][0]
    assert short["severity"][0] == "medium"
    some = _codes(kit, entry_type="03", adcvd_case_number="C-570-968", adcvd_deposit_usd=50.0)
    assert some.height == 0


def test_non_subject_line_is_silent(kit):
    assert _codes(kit, country_of_origin="MX").height == 0
