"""CBP Manufacturer Identification Code (MID) construction.

The MID identifies the foreign manufacturer on an entry line. It is built from the name and
address on the commercial invoice (19 CFR 102 Appendix; CBP Form 7501 instructions):

1. ISO 3166 alpha-2 country of the manufacturer; for Canada a province code (XO Ontario,
   XQ Quebec, ...) replaces ``CA``.
2. The first three letters of each of the first two "words" of the name; the English words
   ``a``, ``an``, ``and``, ``of``, ``the`` are skipped, hyphens and punctuation separate nothing
   (``Hi-Tech`` is one word), and runs of single letters or initials count as one word
   (``A.B.C. Company`` -> ``ABCCOM``). A one-word name contributes its first three letters.
3. Up to four digits: the first four digits of the largest number in the street address.
4. The first three letters of the city.

The result is at most 15 characters, letters upper-case, no spaces. Detectors re-derive it
to spot MIDs that do not follow from the declared manufacturer.
"""

from __future__ import annotations

import re
import unicodedata

CANADA_PROVINCES: dict[str, str] = {
    "alberta": "XA", "british columbia": "XC", "manitoba": "XM", "new brunswick": "XB",
    "newfoundland": "XW", "labrador": "XW", "northwest territories": "XT", "nova scotia": "XN",
    "nunavut": "XV", "ontario": "XO", "prince edward island": "XP", "quebec": "XQ",
    "saskatchewan": "XS", "yukon": "XY",
}

_SKIPPED = {"a", "an", "and", "of", "the"}


def _ascii_upper(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return folded.upper()


def name_part(name: str) -> str:
    """The 3+3 letters taken from the manufacturer's name."""
    raw = [w for w in re.split(r"[\s,]+", _ascii_upper(name)) if w]
    words: list[str] = []
    initials = ""
    cleaned = [re.sub(r"[^A-Z0-9]", "", t) for t in raw]
    for pos, (token, letters) in enumerate(zip(raw, cleaned, strict=True)):
        if not letters:
            continue
        is_initial = len(letters) == 1 or bool(re.fullmatch(r"([A-Z]\.)+[A-Z]?\.?", token))
        next_single = pos + 1 < len(cleaned) and len(cleaned[pos + 1]) == 1
        in_run = is_initial and (bool(initials) or next_single)
        if letters.lower() in _SKIPPED and not in_run:
            continue
        if is_initial:
            initials += letters
            continue
        if initials:
            words.append(initials)
            initials = ""
        words.append(letters)
    if initials:
        words.append(initials)
    return "".join(w[:3] for w in words[:2])


def number_part(street_address: str) -> str:
    """First four digits of the largest number in the street address line."""
    numbers: list[str] = re.findall(r"\d+", street_address)
    if not numbers:
        return ""
    return str(max(numbers, key=int))[:4]


def city_part(city: str) -> str:
    """First three letters of the city name."""
    return re.sub(r"[^A-Z]", "", _ascii_upper(city))[:3]


def country_part(country: str, province: str | None = None) -> str:
    """ISO country, or the CBP province code for Canada."""
    if country.upper() == "CA":
        return CANADA_PROVINCES.get((province or "").strip().lower(), "XO")
    return country.upper()


def build_mid(name: str, street_address: str, city: str, country: str,
              province: str | None = None) -> str:
    """The MID for one manufacturer, per the CBP construction rule above."""
    mid = (country_part(country, province) + name_part(name) + number_part(street_address)
           + city_part(city))
    return mid[:15]
