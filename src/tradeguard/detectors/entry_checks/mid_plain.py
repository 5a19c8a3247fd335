"""The MID verdict of one manufacturer in plain Python, for a request's few new parties.

:func:`~tradeguard.detectors.entry_checks.mid_checks.party_verdicts` checks the parties a
small batch has not seen with a dozen Polars queries (~5 ms for one party, most of it fixed
cost); a request names one to five manufacturers, so the same rule is read here character
by character. The verdict is the same tuple (:data:`~.mid_checks.VERDICT` order) the frames
give; ``None`` where the plain reading could differ from Polars' (non-ASCII MID or country).
"""

from __future__ import annotations

import re

from unidecode import unidecode

from tradeguard.demo.mid import CANADA_PROVINCES
from tradeguard.detectors.entry_checks.mid_checks import (
    _PROVINCE_CODES,
    _SHAPE,
    PROBLEM_CHARACTERS,
    PROBLEM_COUNTRY,
    PROBLEM_LENGTH,
    PROBLEM_SHAPE,
    _readings,
)

Verdict = tuple[list[str], bool, str | None, list[str], str, str, bool, bool]

_PROVINCES = frozenset(_PROVINCE_CODES)
_PLACES = [(place.upper(), code) for place, code in CANADA_PROVINCES.items()]
# Patterns are read on ASCII text only (non-ASCII addresses are folded first), where Python's
# and Rust's classes agree; ``fullmatch`` is the frames' ``^...$`` (end of text, no newline).
_SHAPE_RE = re.compile(_SHAPE.removeprefix("^").removesuffix("$"))
_NOT_CODE = re.compile(r"[^A-Z0-9]")
_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[A-Z]+")
_NOT_LETTER = re.compile(r"[^A-Z]")
_TAIL = re.compile(r"([0-9]{0,4})([A-Z]{0,3})")
_INT64_MAX = 2**63 - 1


def _province(addr: str | None) -> str | None:
    """The province code of the last listed place the address mentions."""
    found = None
    if addr is not None:
        for place, code in _PLACES:
            if place in addr:
                found = code
    return found


def _address_parts(addr: str) -> tuple[list[str], list[str], list[str], str, str]:
    """Numbers, city letters of parts and of words, expected number and city letters."""
    segments = addr.split(",")
    numbers = [m[:4] for m in _DIGITS.findall(addr)]
    parts = [_NOT_LETTER.sub("", s)[:3] for s in segments]
    words = [m[:3] for m in _LETTERS.findall(addr)]
    # Numbers past Int64 are dropped (the frames cast with strict=False).
    values = [v for v in (int(m) for m in _DIGITS.findall(segments[0])) if v <= _INT64_MAX]
    number = str(max(values))[:4] if values else ""
    city = _NOT_LETTER.sub("", segments[1])[:3] if len(segments) > 1 else ""
    return numbers, parts, words, number, city


def plain_verdict(key: tuple[str | None, ...], iso2_not_ca: frozenset[str]) -> Verdict | None:
    """:data:`~.mid_checks.VERDICT` of one :data:`~.mid_checks.KEY` with a MID."""
    mid, name, address, raw_country = key
    if mid is None or not mid.isascii() or not (raw_country or "").isascii():
        return None
    joined = "|".join(_readings(name)) if name is not None else None
    readings: list[str] | None = None if joined is None else (
        [] if joined == "" else joined.split("|"))
    addr = None if address is None else (
        address.upper() if address.isascii() else unidecode(address).upper())
    if addr is None:
        numbers = parts = words = None
        exp_number = exp_city = ""
    else:
        numbers, parts, words, exp_number, exp_city = _address_parts(addr)
    country = None if raw_country is None else raw_country.upper()
    head = mid[:2]
    problems = []
    if _NOT_CODE.search(mid):
        problems.append(PROBLEM_CHARACTERS)
    if len(mid) > 15:
        problems.append(PROBLEM_LENGTH)
    if head not in iso2_not_ca and head not in _PROVINCES:
        problems.append(PROBLEM_COUNTRY.format(head))
    if not _SHAPE_RE.fullmatch(mid):
        problems.append(PROBLEM_SHAPE)
    province = _province(addr) if country == "CA" else None
    if country is None:
        country_ok = True
    elif country == "CA":
        country_ok = head in _PROVINCES and (province is None or head == province)
    else:
        country_ok = head == country
    rest = mid[2:]
    name_ok = address_ok = False
    for reading in readings or ():
        starts = rest.startswith(reading)
        name_ok = name_ok or starts
        tail = _TAIL.fullmatch(rest[len(reading):])
        if not starts or tail is None or numbers is None or parts is None or words is None:
            continue
        number, city = tail.groups()
        number_ok = not numbers if number == "" else number in numbers
        city_ok = not words if city == "" else (city in parts or city in words)
        address_ok = address_ok or (number_ok and city_ok)
    return (problems, country_ok, province if country == "CA" else country, list(readings or ()),
            exp_number, exp_city, name_ok, address_ok)
