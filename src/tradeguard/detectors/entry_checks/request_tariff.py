"""The tariff checks' findings (:mod:`.tariff_checks`) for a request's lines, in plain Python.

Each function reads the values :func:`~.request.screen` normalised and gives the rows the
general check writes, with the same sentences, evidence and severity; inputs whose join the
general check could repeat (a program listed twice for one indicator) raise
:class:`~tradeguard.detectors.finding_text.Declined`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tradeguard.detectors.entry_checks.request import DOT_OR_SPACE
from tradeguard.detectors.entry_checks.request_rows import Row, finding
from tradeguard.detectors.entry_checks.request_text import Declined, polars_round, text, usd
from tradeguard.refdata.trade_programs import TABLES_VERSION

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.config import DutyTolerance
    from tradeguard.detectors.entry_checks.request import Screen

_STAT = re.compile(r"[0-9]{10}")
_HTS_RULE = "19 CFR 152.11; HTSUS General Note 1 (10-digit statistical reporting number)"
_ADCVD_CAVEAT = "HTS numbers on an order are for convenience; the written scope governs"


def hts_rows(screened: Screen, version: str | None) -> list[Row]:
    """DQ_HTS_NOT_STAT and DQ_HTS_UNKNOWN."""
    col, rows = screened.columns, []
    for i, tariff in enumerate(screened.tariffs):
        digits, when = col["hts_digits"][i], col["entry_date"][i]
        entry, line = col["entry_number"][i], col["line_number"][i]
        if digits is None or _STAT.fullmatch(digits) is None:
            rows.append(finding(
                "DQ_HTS_NOT_STAT", entry, line,
                f"HTS code '{text(col['hts_code'][i])}' is not a 10-digit statistical number; "
                "entry lines must declare all ten digits of the HTSUS number.",
                ("declared_hts", "digits", "rule"),
                (col["hts_code"][i], None if digits is None else len(digits), _HTS_RULE)))
            continue
        in_force = tariff is not None and (tariff[1] is None or tariff[1] <= when) \
            and (tariff[2] is None or when < tariff[2])
        if not in_force:
            rows.append(finding(
                "DQ_HTS_UNKNOWN", entry, line,
                f"HTS number {digits} is not in the tariff schedule in force on "
                f"{text(when)} (HTS version {text(version, 'unknown')}).",
                ("declared_hts", "entry_date", "listed", "tariff_version"),
                (digits, when, tariff is not None, version)))
    return rows


def unit_rows(screened: Screen, version: str | None) -> list[Row]:
    """DQ_UNIT_MISMATCH: a quantity not in the tariff's first unit."""
    col, rows = screened.columns, []
    for i, tariff in enumerate(screened.tariffs):
        declared = col["quantity_unit"][i]
        if tariff is None or not tariff[0] or declared is None:
            continue
        units: list[Any] = tariff[0]
        unit = DOT_OR_SPACE.sub("", declared.upper())
        if units[0] is None or units[0] == unit:
            continue
        if any(u is None for u in units):
            raise Declined(units)
        hts10 = col["hts10"][i]
        rows.append(finding(
            "DQ_UNIT_MISMATCH", col["entry_number"][i], col["line_number"][i],
            f"Quantity is declared in {declared} but HTS {text(hts10)} is reported in "
            f"{' and '.join(units)} first.",
            ("declared_unit", "tariff_units", "hts10", "tariff_version"),
            (declared, units, hts10, version)))
    return rows


def duty_rows(screened: Screen, tol: DutyTolerance, version: str | None) -> list[Row]:
    """DQ_DUTY_MISMATCH beyond both tolerances (severity by the shortfall)."""
    col, look, rows = screened.columns, screened.look, []
    for i in range(screened.rows):
        declared = col["duty_usd"][i]
        if declared is None:
            continue
        hts10 = col["hts10"][i]
        duty = look.duty.expected(
            hts10, col["country_of_origin"][i], col["entered_value_usd"][i],
            col["quantity"][i], col["quantity_unit"][i], col["spi"][i], col["entry_date"][i])
        expected = duty.expected
        if expected is None:
            continue
        diff = declared - expected
        if not (abs(diff) > tol.abs_usd and abs(diff) > tol.rel * abs(expected)):
            continue
        severity = "high" if diff <= -tol.high_shortfall_usd else (
            "medium" if diff < 0 else "low")
        rows.append(finding(
            "DQ_DUTY_MISMATCH", col["entry_number"][i], col["line_number"][i],
            f"Declared duty {usd(declared)} differs from {usd(expected)} expected at the "
            f"{text(duty.column)} rate '{text(duty.rate_text)}' of HTS {text(hts10)} "
            f"({'shortfall' if diff < 0 else 'overpayment'} {usd(abs(diff))}).",
            ("declared_duty_usd", "expected_duty_usd", "difference_usd", "rate_column",
             "rate_text", "tariff_version", "trade_programs_version", "tolerance_abs_usd",
             "tolerance_rel"),
            (declared, expected, polars_round(diff, 2), duty.column, duty.rate_text, version,
             TABLES_VERSION, float(tol.abs_usd), float(tol.rel)),
            severity=severity))
    return rows


def spi_rows(screened: Screen, version: str | None) -> list[Row]:
    """DQ_SPI_INELIGIBLE: the first reason a claimed preference cannot be had."""
    col, look, rows = screened.columns, screened.look, []
    for i, tariff in enumerate(screened.tariffs):
        spi = col["spi"][i]
        if spi is None:
            continue
        code, origin = spi.upper(), col["country_of_origin"][i]
        programs = look.programs.get(code) or [(None,) * 5]
        if len(programs) > 1:
            raise Declined(code)  # the join would repeat the line
        program, partners, start, end, basis = programs[0]
        when, hts10 = col["entry_date"][i], col["hts10"][i]
        listed = None if tariff is None else tariff[3]
        if program is None:
            why = f"SPI '{spi}' is not a special program indicator of the tariff"
        elif (start is not None and when < start) or (end is not None and when >= end):
            why = f"{program} was not in force on {text(when)}"
        elif partners is None or origin is None or origin.upper() not in partners:
            why = f"origin {text(origin)} is not a {program} country"
        elif tariff is not None and (listed is None or code not in listed):
            why = f"the special column of HTS {text(hts10)} does not list {code}"
        else:
            continue
        rows.append(finding(
            "DQ_SPI_INELIGIBLE", col["entry_number"][i], col["line_number"][i],
            f"Preference {spi} cannot be claimed here: {why}.",
            ("declared_spi", "origin", "program", "legal_basis", "reason", "tariff_programs",
             "tariff_version", "trade_programs_version"),
            (spi, origin, program, basis, why, listed, version, TABLES_VERSION)))
    return rows


def adcvd_rows(screened: Screen) -> list[Row]:
    """ADCVD_TYPE01_IN_SCOPE: orders matched by prefix (shortest prefixes first, each
    length's orders in table order), as the general check's joins list them."""
    col, look, rows = screened.columns, screened.look, []
    version = look.tables.adcvd_version
    for i in range(screened.rows):
        digits, origin = col["hts_digits"][i], col["country_of_origin"][i]
        if col["entry_type"][i] != "01" or col["adcvd_case_number"][i] is not None \
                or digits is None or origin is None:
            continue
        when = col["entry_date"][i]
        cases: list[Any] = []
        products: list[Any] = []
        prefixes: list[str] = []
        for length, by_key in look.order_cases:
            prefix = digits[:length]
            for order_date, case, product in by_key.get((origin, prefix), ()):
                if order_date is not None and order_date > when:
                    continue
                if case is None or product is None:
                    raise Declined(case)  # a null the joined list would drop
                for seen, value in ((cases, case), (products, product), (prefixes, prefix)):
                    if value not in seen:
                        seen.append(value)
        if not cases:
            continue
        rows.append(finding(
            "ADCVD_TYPE01_IN_SCOPE", col["entry_number"][i], col["line_number"][i],
            f"Type 01 entry, but HTS {digits} from {origin} matches AD/CVD order(s) "
            f"{', '.join(cases)} ({'; '.join(products)}); goods in scope are entered as "
            "type 03 with the case number and cash deposit.",
            ("entry_type", "hts", "origin", "cases", "order_hts_prefixes",
             "adcvd_orders_version", "caveat"),
            (col["entry_type"][i], digits, origin, cases, prefixes, version, _ADCVD_CAVEAT)))
    return rows
