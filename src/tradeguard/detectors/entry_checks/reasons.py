"""The reason codes of the entry checks: stable names an importer, analyst or rule can cite.

A code never changes meaning; a new rule gets a new code. Each code has a category from the
data contract and a default severity; a check may raise the severity of one finding (a large
duty shortfall weighs more than a few dollars) but never changes its category.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeguard.findings import Category, Severity

DETECTOR_NAME = "entry_checks"
DETECTOR_VERSION = "1.1.0"


@dataclass(frozen=True)
class ReasonCode:
    """What one check tests, in the words used in reports."""

    code: str
    category: Category
    severity: Severity
    rule: str


_DQ = Category.DATA_QUALITY
_REASONS = (
    ReasonCode("DQ_HTS_NOT_STAT", _DQ, Severity.MEDIUM,
               "HTS code is not a 10-digit statistical number"),
    ReasonCode("DQ_HTS_UNKNOWN", _DQ, Severity.MEDIUM,
               "10-digit HTS number not in the tariff in force on the entry date"),
    ReasonCode("DQ_UNIT_MISMATCH", _DQ, Severity.MEDIUM,
               "quantity not declared in the first unit of quantity the tariff lists"),
    ReasonCode("DQ_DUTY_MISMATCH", _DQ, Severity.MEDIUM,
               "declared duty differs from the duty the tariff gives, beyond tolerance"),
    ReasonCode("DQ_SPI_INELIGIBLE", _DQ, Severity.MEDIUM,
               "special program claimed where the program or the tariff line does not allow it"),
    ReasonCode("DQ_MID_MALFORMED", _DQ, Severity.MEDIUM,
               "MID does not follow CBP's construction format"),
    ReasonCode("DQ_MID_COUNTRY", _DQ, Severity.MEDIUM,
               "MID country code differs from the manufacturer's country"),
    ReasonCode("DQ_MID_NAME", _DQ, Severity.MEDIUM,
               "MID name letters do not come from the manufacturer's name"),
    ReasonCode("DQ_MID_ADDRESS", _DQ, Severity.MEDIUM,
               "MID number or city letters do not come from the manufacturer's address"),
    ReasonCode("DQ_ENTRY_NUMBER_FORMAT", _DQ, Severity.MEDIUM,
               "entry number is not filer code + 7 digits + check digit"),
    ReasonCode("DQ_ENTRY_CHECK_DIGIT", _DQ, Severity.MEDIUM,
               "entry number check digit is wrong"),
    ReasonCode("DQ_PARTY_MISSING", _DQ, Severity.MEDIUM,
               "a party the entry must name is missing"),
    ReasonCode("DQ_IMPLAUSIBLE_WEIGHT", _DQ, Severity.MEDIUM,
               "gross weight physically implausible for the quantity declared"),
    ReasonCode("DQ_IMPLAUSIBLE_VALUE", _DQ, Severity.MEDIUM,
               "entered value zero, negative or implausible per kilogram"),
    ReasonCode("DQ_IMPLAUSIBLE_QUANTITY", _DQ, Severity.MEDIUM,
               "quantity zero or negative"),
    ReasonCode("ADCVD_TYPE01_IN_SCOPE", Category.ADCVD, Severity.HIGH,
               "type 01 entry of goods matching an AD/CVD order's HTS prefix and country, "
               "with no case number"),
)
REASONS: dict[str, ReasonCode] = {r.code: r for r in _REASONS}
