"""The entry and party checks' findings for a request's lines, in plain Python: entry number
and importer of record per entry (:mod:`.entry_level`), required parties per line
(:mod:`.party_checks`) and MIDs (:mod:`.mid_checks`, from the verdicts the screen kept)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tradeguard.contract.entry_number import ENTRY_NUMBER_PATTERN
from tradeguard.detectors.entry_checks.entry_level import _RULE as _CHECK_DIGIT_RULE
from tradeguard.detectors.entry_checks.entry_level import check_digit
from tradeguard.detectors.entry_checks.mid_checks import _RULE as _MID_RULE
from tradeguard.detectors.entry_checks.mid_checks import KEY
from tradeguard.detectors.entry_checks.party_checks import _RULES as _PARTY_RULES
from tradeguard.detectors.entry_checks.party_checks import party_fields
from tradeguard.detectors.entry_checks.request_rows import Row, finding
from tradeguard.detectors.entry_checks.request_text import Declined, text

if TYPE_CHECKING:
    from tradeguard.detectors.entry_checks.config import PartyRules

_ENTRY_NUMBER = re.compile(ENTRY_NUMBER_PATTERN)
_IMPORTER_RULE = "19 U.S.C. 1484(a) (importer of record)"
Verdicts = dict[tuple[str | None, ...], tuple[object, ...]]


def entry_rows(col: dict[str, list[Any]], numbers: bool, importers: bool) -> list[Row]:
    """DQ_ENTRY_NUMBER_FORMAT, DQ_ENTRY_CHECK_DIGIT and the importer's DQ_PARTY_MISSING, read
    on each entry's first line (``entry_headers``)."""
    first: dict[str, int] = {}
    for i, number in enumerate(col["entry_number"]):
        if number is not None and number not in first:
            first[number] = i
    rows = []
    for number, i in first.items():
        if numbers:
            rows += _number_rows(number)
        importer_id, importer_name = col["importer_id"][i], col["importer_name"][i]
        missing = [name for name, value in (("importer_id", importer_id),
                                            ("importer_name", importer_name)) if value is None]
        if importers and missing:
            rows.append(finding(
                "DQ_PARTY_MISSING", number, None,
                f"The entry does not name its importer of record ({', '.join(missing)} "
                "missing); the importer of record is liable for the duties.",
                ("missing", "importer_id", "importer_name", "rule"),
                (missing, importer_id, importer_name, _IMPORTER_RULE), severity="high"))
    return rows


def _number_rows(number: str) -> list[Row]:
    upper = number.upper()
    if _ENTRY_NUMBER.fullmatch(upper) is None:
        return [finding(
            "DQ_ENTRY_NUMBER_FORMAT", number, None,
            f"Entry number '{number}' is not a 3-character filer code, 7-digit transaction "
            "number and check digit (AAA-NNNNNNN-N).",
            ("declared", "pattern"), (number, ENTRY_NUMBER_PATTERN))]
    declared, expected = int(upper[12]), check_digit(upper.replace("-", "")[:10])
    if declared == expected:
        return []
    return [finding(
        "DQ_ENTRY_CHECK_DIGIT", number, None,
        f"Entry number {number} ends in check digit {declared} but its filer code and "
        f"transaction number give {expected}.",
        ("declared", "declared_check_digit", "expected_check_digit", "rule"),
        (number, declared, expected, _CHECK_DIGIT_RULE))]


def party_rows(col: dict[str, list[Any]], rules: PartyRules, present: set[str]) -> list[Row]:
    """DQ_PARTY_MISSING per line of a formal entry, listing every missing party field."""
    fields = party_fields(rules, present, len(col["entry_number"]), {})
    rows: list[Row] = []
    if not fields:
        return rows
    for i, entry_type in enumerate(col["entry_type"]):
        missing = [f for f in fields if col[f][i] is None]
        if not missing or (entry_type is not None and entry_type in rules.informal_entry_types):
            continue
        if col["manufacturer_id"][i] is None and (col["manufacturer_name"][i] is None
                                                  or col["manufacturer_address"][i] is None):
            severity = "high"
        else:
            severity = "medium" if "manufacturer_id" in missing else "low"
        rows.append(finding(
            "DQ_PARTY_MISSING", col["entry_number"][i], col["line_number"][i],
            f"This line of a formal entry (type {text(entry_type, 'unknown')}) does not give: "
            f"{', '.join(missing)}.",
            ("missing", "rules", "entry_type"),
            (missing, [_PARTY_RULES[f] for f in missing], entry_type), severity=severity))
    return rows


def mid_rows(col: dict[str, list[Any]], remembered: Verdicts) -> list[Row]:
    """DQ_MID_MALFORMED, DQ_MID_COUNTRY, DQ_MID_NAME and DQ_MID_ADDRESS from the verdicts
    the screen looked up or worked out for each manufacturer."""
    rows = []
    for i, mid in enumerate(col["manufacturer_id"]):
        if mid is None:
            continue
        key = tuple(col[k][i] for k in KEY)
        verdict = remembered.get(key)
        if verdict is None:
            raise Declined(key)
        problems, country_ok, exp_country, readings, exp_number, exp_city, name_ok, \
            address_ok = verdict
        if not (isinstance(problems, list) and isinstance(readings, list)
                and all(isinstance(v, bool) for v in (country_ok, name_ok, address_ok))):
            raise Declined(verdict)  # a null the frames would read their own way
        _, name, address, country = key
        formed = not problems
        base_values: tuple[object, ...] = (mid, _expected_mid(verdict), _MID_RULE)
        base = ("declared_mid", "expected_mid", "rule")
        entry, line = col["entry_number"][i], col["line_number"][i]
        if not formed:
            rows.append(finding(
                "DQ_MID_MALFORMED", entry, line,
                f"MID '{mid}' does not follow CBP's construction rule: {'; '.join(problems)}.",
                (*base, "problems"), (*base_values, problems)))
            continue
        if not country_ok:
            rows.append(finding(
                "DQ_MID_COUNTRY", entry, line,
                f"MID {mid} starts with {mid[:2]} but the manufacturer is in {text(country)} "
                f"(expected {text(exp_country, 'a Canadian province code')}).",
                (*base, "manufacturer_country"), (*base_values, country)))
        if name is not None and not name_ok:
            rows.append(finding(
                "DQ_MID_NAME", entry, line,
                f"MID {mid} does not carry the name letters of '{name}' (expected "
                f"{' or '.join(readings)}).",
                (*base, "manufacturer_name", "accepted_name_letters"),
                (*base_values, name, readings)))
        if name is not None and address is not None and name_ok and not address_ok:
            rows.append(finding(
                "DQ_MID_ADDRESS", entry, line,
                f"MID {mid} does not end in a number and city letters from the address "
                f"'{address}' (expected {text(exp_number)}{text(exp_city)}).",
                (*base, "manufacturer_address"), (*base_values, address)))
    return rows


def _expected_mid(verdict: tuple[object, ...]) -> str | None:
    """Country (``??`` unknown) + first name reading + number + city letters; null when the
    number or city letters are."""
    _, _, exp_country, readings, exp_number, exp_city, _, _ = verdict
    if not isinstance(exp_number, str) or not isinstance(exp_city, str):
        return None
    head = exp_country if isinstance(exp_country, str) else "??"
    first = readings[0] if isinstance(readings, list) and readings else ""
    if not isinstance(first, str):
        raise Declined(readings)
    return head + first + exp_number + exp_city
