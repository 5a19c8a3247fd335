"""Parse HTS rate-of-duty text into machine terms, flagging what cannot be read safely.

A rate is Free, ad valorem (``16.5%``), specific (``4.4¢/kg``, ``$1.25/doz.``, ``10¢ each``) or
compound (``2.2¢/kg + 7%``). Anything with a condition (``on the case``, ``on copper content``,
``less ... for each degree``, ``See 9822...``) is returned as ``unparsed``: the duty then depends
on facts a line does not carry, and the caller must say so rather than guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tradeguard.refdata.units import RATE_UNIT_TO_CBP

RateKind = str  # 'free' | 'ad_valorem' | 'specific' | 'compound' | 'unparsed' | 'none'

_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_AD_VALOREM = re.compile(rf"^{_NUM}\s*%$")
_CENTS = re.compile(rf"^{_NUM}\s*¢\s*(?:/\s*(?P<unit>[^+]+?)|\s+(?P<each>each))$")
_DOLLARS = re.compile(rf"^\$\s*{_NUM}\s*(?:/\s*(?P<unit>[^+]+?)|\s+(?P<each>each))$")


@dataclass(frozen=True)
class ParsedRate:
    """One rate column read into numbers; ``ad_valorem`` is a fraction (0.165 = 16.5 %)."""

    text: str
    kind: RateKind
    ad_valorem: float | None = None
    specific_usd: float | None = None
    specific_unit: str | None = None
    reason: str | None = None

    @property
    def computable(self) -> bool:
        """True when the duty follows from value and quantity alone."""
        return self.kind in {"free", "ad_valorem", "specific", "compound"}


def clean_rate_text(text: str) -> str:
    """Undo the export's line breaks and hyphenation (``thou- sand``) before parsing."""
    out = " ".join(text.replace("\n", " ").split())
    return re.sub(r"(\w)- (\w)", r"\1\2", out)


def _number(raw: str) -> float:
    return float(raw.replace(",", ""))


def _specific(term: str) -> tuple[float, str] | None | str:
    """(USD per unit, CBP unit), None when not specific, or a reason string when unreadable."""
    for pattern, scale in ((_CENTS, 0.01), (_DOLLARS, 1.0)):
        match = pattern.match(term)
        if not match:
            continue
        amount = round(_number(match.group(1)) * scale, 10)
        if match.group("each"):
            return amount, "NO"
        unit_text = match.group("unit").strip()
        code = RATE_UNIT_TO_CBP.get(unit_text)
        if code is None:
            return f"specific rate per '{unit_text}' (condition or unknown unit)"
        return amount, code
    return None


def parse_rate(text: str | None) -> ParsedRate:
    """Read one rate-of-duty text; never guesses: unreadable terms give kind ``unparsed``."""
    if text is None or not text.strip():
        return ParsedRate(text="", kind="none")
    clean = clean_rate_text(text)
    if clean.lower() == "free":
        return ParsedRate(text=clean, kind="free", ad_valorem=0.0, specific_usd=0.0)
    ad_valorem: float | None = None
    specific: tuple[float, str] | None = None
    for term in (t.strip() for t in clean.split("+")):
        match = _AD_VALOREM.match(term)
        if match:
            if ad_valorem is not None:
                return ParsedRate(clean, "unparsed", reason="more than one ad valorem term")
            ad_valorem = _number(match.group(1)) / 100.0
            continue
        spec = _specific(term)
        if isinstance(spec, tuple) and specific is None:
            specific = spec
            continue
        reason = spec if isinstance(spec, str) else f"term '{term}' is conditional or unknown"
        if isinstance(spec, tuple):
            reason = "more than one specific term"
        return ParsedRate(clean, "unparsed", reason=reason)
    if specific is None:
        return ParsedRate(clean, "ad_valorem", ad_valorem=ad_valorem)
    kind = "specific" if ad_valorem is None else "compound"
    return ParsedRate(clean, kind, ad_valorem, specific[0], specific[1])


_SPECIAL_GROUP = re.compile(r"\(\s*([A-Z][A-Z+*]*(?:\s*,\s*[A-Z][A-Z+*]*)*)\s*\)")


def parse_special(text: str | None) -> list[tuple[str, list[str]]]:
    """Split a special-rate column into (rate text, program codes) groups.

    ``'Free (A+,AU,BH) 5.5% (JP)'`` -> ``[('Free', ['A+','AU','BH']), ('5.5%', ['JP'])]``.
    """
    if not text:
        return []
    clean = clean_rate_text(text)
    groups: list[tuple[str, list[str]]] = []
    start = 0
    for match in _SPECIAL_GROUP.finditer(clean):
        rate = clean[start : match.start()].strip()
        programs = [p.strip() for p in match.group(1).split(",") if p.strip()]
        groups.append((rate, programs))
        start = match.end()
    return groups
