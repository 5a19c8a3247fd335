"""HTS units of quantity, as printed in the USITC export, mapped to CBP (ACE) unit codes.

Entry lines declare quantities in CBP codes (``NO``, ``KG``, ``DOZ``...), while the schedule
prints ``No.``, ``kg``, ``doz.``. Every distinct unit found in HTS 2026 rev. 4 is listed here;
anything not listed is reported by the build rather than guessed. Content units (``Cu kg``,
``Au g``) are reported by CBP as content kilograms / grams / tons.
"""

from __future__ import annotations

import re

# printed unit (whitespace-normalised) -> CBP code
HTS_UNIT_TO_CBP: dict[str, str] = {
    "No.": "NO", "No": "NO", "kg": "KG", "doz.": "DOZ", "m²": "M2", "m2": "M2",
    "prs.": "PRS", "m3": "M3", "m³": "M3", "t": "T", "liters": "L", "doz. prs.": "DPR",
    "g": "GM", "gross": "GRS", "bbl": "BBL", "pcs": "PCS", "m": "M", "pf.liters": "PFL",
    "thousands": "THS", "Dz Pcs": "DPC", "carat": "CAR", "hundreds": "HUN", "W": "W",
    "cm2": "CM2", "thousand m3": "TM3", "thousand m": "TM", "Jwls.": "JWL", "GBq": "GBQ",
    "lin. m": "LNM", "doses": "DS", "square": "SQ", "Fiber m": "FBM", "gr.lines": "GRL",
    "MWh": "MWH", "pack": "PK",
    # clean yield / component / total-sugar kilograms
    "cy kg": "CYK", "kg cmsc": "KSC", "kg msc": "KMS", "kg ttl sug": "KTS", "kg amc": "KAM",
    # air-dry / dry-weight-basis metric tons (wood pulp)
    "t adw": "ADW", "t dwb": "DWB",
    # "W kg": watts with the weight reported alongside
    "W kg": "WKG",
}
# "Cu kg", "V2O5 kg", "NaOH kg": a chemical symbol or formula, then the mass unit.
_CONTENT = re.compile(r"^(?P<element>[A-Z][A-Za-z0-9]*) (?P<unit>kg|g|t)$")
_CONTENT_CODE = {"kg": "CKG", "g": "CGM", "t": "CTN"}

# Specific-rate units as printed in the rate columns -> CBP code
RATE_UNIT_TO_CBP: dict[str, str] = {
    "kg": "KG", "liter": "L", "doz.": "DOZ", "doz": "DOZ", "each": "NO", "pr.": "PRS",
    "prs.": "PRS", "gross": "GRS", "m2": "M2", "m²": "M2", "m3": "M3", "t": "T", "bbl": "BBL",
    "pf. liter": "PFL", "pf.liter": "PFL", "proof liter": "PFL", "1000": "THS", "1,000": "THS",
    "thousand": "THS", "head": "NO", "g": "GM", "m": "M", "pack": "PK", "doz. pr.": "DPR",
    "doz. prs.": "DPR", "pc": "PCS", "pcs": "PCS", "jewel": "JWL", "gross lines": "GRL",
    "cm2": "CM2", "carat": "CAR", "dose": "DS", "square": "SQ",
}

# Exact conversions between CBP codes (factor to multiply a quantity by), never approximations.
UNIT_CONVERSIONS: dict[tuple[str, str], float] = {
    ("T", "KG"): 1000.0, ("KG", "T"): 0.001, ("GM", "KG"): 0.001, ("KG", "GM"): 1000.0,
    ("DOZ", "NO"): 12.0, ("NO", "DOZ"): 1 / 12, ("GRS", "NO"): 144.0, ("NO", "GRS"): 1 / 144,
    ("THS", "NO"): 1000.0, ("NO", "THS"): 0.001, ("DPR", "PRS"): 12.0, ("PRS", "DPR"): 1 / 12,
    ("PCS", "NO"): 1.0, ("NO", "PCS"): 1.0, ("DPC", "PCS"): 12.0, ("PCS", "DPC"): 1 / 12,
}


def normalise_unit_text(raw: str) -> str:
    """Collapse the stray spaces and line breaks the export carries (``'doz. '``, ``' kg'``)."""
    return " ".join(raw.split())


def cbp_unit(raw: str) -> str | None:
    """CBP code for a printed HTS unit; None when unknown (the build reports it)."""
    text = normalise_unit_text(raw)
    if text in HTS_UNIT_TO_CBP:
        return HTS_UNIT_TO_CBP[text]
    match = _CONTENT.match(text)
    if match:
        return _CONTENT_CODE[match.group("unit")]
    return None


def split_units(raw: str) -> list[str]:
    """``'No. and kg'`` is two reporting units printed as one."""
    text = normalise_unit_text(raw)
    if " and " in text:
        return [part.strip() for part in text.split(" and ")]
    return [text] if text else []
