"""Dated tables the duty computation applies: column 2 countries, FTA eligibility, user fees.

Kept as data in one place so a change (a new fiscal year's MPF limits, a lapsed program) is a
one-row edit with its legal citation, and so every computed amount can cite the row it used.
As of 2026-11; verify before relying on them for a liquidation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TABLES_VERSION = "2026-11-25"

# General Note 3(b): Cuba and North Korea; Russia and Belarus by Pub. L. 117-110 (eff. 2022-04-09).
COLUMN2_COUNTRIES: dict[str, tuple[date, str]] = {
    "CU": (date(1962, 1, 1), "HTSUS General Note 3(b)"),
    "KP": (date(1951, 1, 1), "HTSUS General Note 3(b)"),
    "RU": (date(2022, 4, 9), "HTSUS General Note 3(b); Pub. L. 117-110 (2022)"),
    "BY": (date(2022, 4, 9), "HTSUS General Note 3(b); Pub. L. 117-110 (2022)"),
}


@dataclass(frozen=True)
class SpecialProgram:
    """A special program indicator and who may claim it, with its window in force."""

    codes: tuple[str, ...]
    name: str
    countries: frozenset[str]
    legal_basis: str
    valid_from: date
    valid_to: date | None = None  # exclusive; None = in force as of TABLES_VERSION


_CAFTA = frozenset({"CR", "DO", "SV", "GT", "HN", "NI"})
# GSP beneficiaries are many; the program lapsed 2020-12-31 and was not renewed as of 2026-11,
# so the list does not matter for current entries: any claim is ineligible on date alone.
SPECIAL_PROGRAMS: tuple[SpecialProgram, ...] = (
    SpecialProgram(("AU",), "U.S.-Australia FTA", frozenset({"AU"}), "HTSUS General Note 28",
                   date(2005, 1, 1)),
    SpecialProgram(("BH",), "U.S.-Bahrain FTA", frozenset({"BH"}), "HTSUS General Note 30",
                   date(2006, 8, 1)),
    SpecialProgram(("CL",), "U.S.-Chile FTA", frozenset({"CL"}), "HTSUS General Note 26",
                   date(2004, 1, 1)),
    SpecialProgram(("CO",), "U.S.-Colombia TPA", frozenset({"CO"}), "HTSUS General Note 34",
                   date(2012, 5, 15)),
    SpecialProgram(("IL",), "U.S.-Israel FTA", frozenset({"IL"}), "HTSUS General Note 8",
                   date(1985, 9, 1)),
    SpecialProgram(("JO",), "U.S.-Jordan FTA", frozenset({"JO"}), "HTSUS General Note 18",
                   date(2001, 12, 17)),
    SpecialProgram(("KR",), "U.S.-Korea FTA", frozenset({"KR"}), "HTSUS General Note 33",
                   date(2012, 3, 15)),
    SpecialProgram(("MA",), "U.S.-Morocco FTA", frozenset({"MA"}), "HTSUS General Note 27",
                   date(2006, 1, 1)),
    SpecialProgram(("OM",), "U.S.-Oman FTA", frozenset({"OM"}), "HTSUS General Note 31",
                   date(2009, 1, 1)),
    SpecialProgram(("P", "P+"), "CAFTA-DR", _CAFTA, "HTSUS General Note 29", date(2006, 3, 1)),
    SpecialProgram(("PA",), "U.S.-Panama TPA", frozenset({"PA"}), "HTSUS General Note 35",
                   date(2012, 10, 31)),
    SpecialProgram(("PE",), "U.S.-Peru TPA", frozenset({"PE"}), "HTSUS General Note 32",
                   date(2009, 2, 1)),
    SpecialProgram(("SG",), "U.S.-Singapore FTA", frozenset({"SG"}), "HTSUS General Note 25",
                   date(2004, 1, 1)),
    SpecialProgram(("S", "S+"), "USMCA", frozenset({"CA", "MX"}), "HTSUS General Note 11",
                   date(2020, 7, 1)),
    SpecialProgram(("JP",), "U.S.-Japan Trade Agreement", frozenset({"JP"}),
                   "HTSUS General Note 36", date(2020, 1, 1)),
    SpecialProgram(("A", "A*", "A+"), "Generalized System of Preferences (lapsed)", frozenset(),
                   "HTSUS General Note 4; authorization lapsed 2020-12-31", date(1976, 1, 1),
                   date(2021, 1, 1)),
)
PROGRAM_BY_CODE: dict[str, SpecialProgram] = {
    code: prog for prog in SPECIAL_PROGRAMS for code in prog.codes}


@dataclass(frozen=True)
class FeeSchedule:
    """One fiscal year's merchandise processing fee for formal entries, 19 CFR 24.23(b)(1)."""

    fiscal_year: int
    valid_from: date
    valid_to: date  # exclusive
    mpf_rate: float
    mpf_min_usd: float
    mpf_max_usd: float
    source: str


MPF_LEGAL_BASIS = "19 U.S.C. 58c(a)(9)(A); 19 CFR 24.23(b)(1)(i)"
HMF_RATE = 0.00125
HMF_LEGAL_BASIS = "26 U.S.C. 4461; 19 CFR 24.24 (commercial cargo by vessel)"
INFORMAL_ENTRY_LIMIT_USD = 2500.0  # 19 CFR 143.21(a)

# Limits adjusted each fiscal year for inflation (19 U.S.C. 58c(l)); verify against the
# Federal Register notice for the year before relying on them.
FEE_SCHEDULES: tuple[FeeSchedule, ...] = (
    FeeSchedule(2025, date(2024, 10, 1), date(2025, 10, 1), 0.003464, 32.71, 634.62,
                "CBP FY2025 user fee adjustment notice (Federal Register, 2024)"),
    FeeSchedule(2026, date(2025, 10, 1), date(2026, 10, 1), 0.003464, 33.58, 651.50,
                "CBP FY2026 user fee adjustment notice (Federal Register, 2025)"),
)


def fee_schedule(on: date) -> FeeSchedule:
    """The MPF row in force on a date; the latest known row after the table ends (noted)."""
    for row in FEE_SCHEDULES:
        if row.valid_from <= on < row.valid_to:
            return row
    return FEE_SCHEDULES[-1] if on >= FEE_SCHEDULES[-1].valid_to else FEE_SCHEDULES[0]


def is_column2(country: str, on: date) -> str | None:
    """Legal basis when a country is charged column 2 on that date, else None."""
    entry = COLUMN2_COUNTRIES.get(country.upper())
    if entry is None or on < entry[0]:
        return None
    return entry[1]


def program_eligibility(spi: str, origin: str, on: date) -> tuple[bool, str]:
    """(eligible, reason) for a special program claim by an origin on a date."""
    program = PROGRAM_BY_CODE.get(spi.upper())
    if program is None:
        return False, f"SPI {spi!r} is not in the program table ({TABLES_VERSION})"
    if on < program.valid_from or (program.valid_to is not None and on >= program.valid_to):
        return False, f"{program.name} not in force on {on.isoformat()} ({program.legal_basis})"
    if origin.upper() not in program.countries:
        return False, f"origin {origin} is not a {program.name} country"
    return True, f"{program.name} ({program.legal_basis})"
