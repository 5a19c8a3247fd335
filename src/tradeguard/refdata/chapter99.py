"""Chapter 99 additional duties (Section 301/232/201, IEEPA...) indexed by country.

The HTS export names the country in the heading text ("articles the product of China") but the
product lists of the U.S. notes are not in it. Only headings that apply to every product of a
country, with a stated "+ N%" add-on, are charged automatically; the rest are listed as
possibly applicable. Program labels are heuristics from the derived file: verify before use.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl

from tradeguard.refdata.countries import to_iso2

CHAPTER99_CAVEAT = (
    "Chapter 99 program labels are heuristic (derived from heading ranges and note numbers); "
    "the product lists of the U.S. notes are not in the HTS export: verify before relying on it."
)
# Measures known to have ended after the schedule snapshot (PROVENANCE of usitc_hts).
PROGRAM_END_DATES: dict[str, date] = {"IEEPA": date(2026, 2, 20)}

_PRODUCT_OF = re.compile(
    r"(?:articles|products?) (?:that (?:is|are) )?(?:the |a )?products? of (?P<names>.+?)"
    r"(?:,| as provided| that | which |$)", re.IGNORECASE)
_PRODUCT_SCOPED = re.compile(
    r"enumerated|provided for in the tariff headings|subheadings|loaded onto a vessel|"
    r"donations|informational materials|potash|derivative|U\.S\. content", re.IGNORECASE)


def _countries(text: str, lookup: dict[str, str]) -> list[str]:
    match = _PRODUCT_OF.search(text)
    if not match:
        return []
    names = match.group("names")
    if names.lower().startswith("any country"):
        return ["*"]
    parts = re.split(r"\s*(?:,|\band\b|\bor\b)\s*", names)
    return sorted({iso for p in parts if (iso := to_iso2(p.removeprefix("the "), lookup))})


def build_chapter99(path: Path, lookup: dict[str, str]) -> pl.DataFrame:
    """One row per 9903 heading: program, add-on (fraction), countries, scope, end date."""
    raw = pl.read_csv(path, infer_schema_length=0)
    rows = []
    for rec in raw.iter_rows(named=True):
        text = rec["description"] or ""
        countries = _countries(text, lookup)
        pct = rec["added_ad_valorem_pct"]
        program = rec["program"] or ""
        scoped = bool(_PRODUCT_SCOPED.search(text))
        # Section 301/232/201 measures follow product lists kept outside the export; only the
        # IEEPA headings were written country-wide.
        country_wide = "IEEPA" in program and countries != ["*"] and not scoped and pct
        scope = "country_wide" if countries and country_wide else "product_specific_or_conditional"
        ends = next((d for key, d in PROGRAM_END_DATES.items() if key in program), None)
        rows.append({
            "heading": rec["heading"], "us_note": rec["us_note"], "program": program or None,
            "added_ad_valorem": float(pct) / 100.0 if pct else None, "countries": countries,
            "scope": scope, "in_force_until": ends, "description": text,
        })
    return pl.DataFrame(rows, schema={
        "heading": pl.String, "us_note": pl.String, "program": pl.String,
        "added_ad_valorem": pl.Float64, "countries": pl.List(pl.String), "scope": pl.String,
        "in_force_until": pl.Date, "description": pl.String,
    })
