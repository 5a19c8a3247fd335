"""Rate text parsing: every readable form, and refusal to guess the rest."""

from __future__ import annotations

import pytest

from tradeguard.refdata.rates import parse_rate, parse_special


def test_ad_valorem_is_a_fraction() -> None:
    rate = parse_rate("16.5%")
    assert (rate.kind, rate.ad_valorem, rate.specific_usd) == ("ad_valorem", 0.165, None)


def test_free() -> None:
    rate = parse_rate("Free")
    assert rate.kind == "free" and rate.ad_valorem == 0.0


@pytest.mark.parametrize(("text", "usd", "unit"), [
    ("4.4¢/kg", 0.044, "KG"), ("$1.25/doz.", 1.25, "DOZ"), ("37.5¢/liter", 0.375, "L"),
    ("10¢ each", 0.10, "NO"), ("$1.15/1,000", 1.15, "THS"),
])
def test_specific(text: str, usd: float, unit: str) -> None:
    rate = parse_rate(text)
    assert rate.kind == "specific"
    assert rate.specific_usd == pytest.approx(usd)
    assert rate.specific_unit == unit


def test_compound() -> None:
    rate = parse_rate("2.2¢/kg + 7%")
    assert rate.kind == "compound"
    assert rate.ad_valorem == pytest.approx(0.07)
    assert rate.specific_usd == pytest.approx(0.022)
    assert rate.specific_unit == "KG"


@pytest.mark.parametrize("text", [
    "3.7¢/kg on drained weight", "$1.16 each + 6% on the case",
    "0.7¢/kg on copper content + 0.7¢/kg on lead content",
    "The duty provided in the applicable subheading + 25%", "1.5 percent of the fair retail value",
])
def test_conditional_rates_are_flagged_not_guessed(text: str) -> None:
    rate = parse_rate(text)
    assert rate.kind == "unparsed"
    assert not rate.computable
    assert rate.ad_valorem is None and rate.specific_usd is None
    assert rate.reason


def test_special_groups_and_programs() -> None:
    groups = parse_special("Free (A+,AU,BH, CL) 5.5% (JP)")
    assert groups == [("Free", ["A+", "AU", "BH", "CL"]), ("5.5%", ["JP"])]
