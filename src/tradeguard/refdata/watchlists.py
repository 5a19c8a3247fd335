"""Normalise the public watch lists into one entity frame that screening matches against.

Each list is published in its own layout (UFLPA ``;`` aliases, OFAC's legacy sdn.csv with
aliases inside Remarks, DoD 1260H names with the alias in parentheses...). Screening must not
care, so every list becomes the same columns; countries become ISO2 codes where the list's own
spelling can be resolved, else null.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from tradeguard.refdata.countries import to_iso2

WATCHLIST_SCHEMA: dict[str, pl.DataType] = {
    "entity_id": pl.String(), "list": pl.String(), "name": pl.String(),
    "aliases": pl.List(pl.String()), "country": pl.String(), "addresses": pl.List(pl.String()),
    "program": pl.String(), "date_added": pl.Date(), "date_removed": pl.Date(),
    "source": pl.String(), "entity_type": pl.String(), "confidence": pl.String(),
}

OFAC_COLUMNS = ("ent_num", "name", "sdn_type", "program", "title", "call_sign", "vess_type",
                "tonnage", "grt", "vess_flag", "vess_owner", "remarks")
_OFAC_TYPES = {"-0-": "organization", "individual": "person", "vessel": "vessel",
               "aircraft": "aircraft"}
_AKA = re.compile(r"(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*'([^']+)'", re.IGNORECASE)
_NATIONALITY = re.compile(r"(?:nationality|citizen)\s+([A-Za-z ,.'()-]+?)(?:;|\.$|$)")
_PAREN_COUNTRY = re.compile(r"\(([A-Z][A-Za-z .'-]+)\)")
_ADDRESS = re.compile(r"(?:Address|Located at)\s*:?\s*([^;]+)")


def _split(text: str | None, sep: str = ";") -> list[str]:
    if not text:
        return []
    return [part.strip() for part in text.split(sep) if part.strip()]


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=WATCHLIST_SCHEMA)


def _date(value: str | None) -> str | None:
    return value.strip()[:10] if value and value.strip() else None


def load_uflpa(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """DHS UFLPA Entity List in the shipped column layout (aliases separated by ';')."""
    raw = pl.read_csv(path, infer_schema_length=0)
    rows = [{
        "entity_id": r["entity_id"], "list": "uflpa", "name": r["name"],
        "aliases": _split(r["aliases"]), "country": to_iso2(r["country"], countries),
        "addresses": _split(r.get("location"), "|"), "program": r.get("legal_basis"),
        "date_added": _date(r.get("date_added")), "date_removed": _date(r.get("date_removed")),
        "source": r.get("source_url"), "entity_type": "organization",
        "confidence": r.get("confidence"),
    } for r in raw.iter_rows(named=True)]
    return _cast(rows)


def load_wro(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """CBP Withhold Release Orders and Findings (19 U.S.C. 1307)."""
    raw = pl.read_csv(path, infer_schema_length=0)
    rows = [{
        "entity_id": r["id"], "list": "wro", "name": r["entity_or_product"],
        "aliases": _split(r["aliases"]), "country": to_iso2(r["country"], countries),
        "addresses": [], "program": f"19 U.S.C. 1307 {r['kind']}: {r.get('merchandise') or ''}",
        "date_added": _date(r.get("date_issued")), "date_removed": None,
        "source": r.get("source_url"), "entity_type": "organization",
        "confidence": r.get("confidence"),
    } for r in raw.iter_rows(named=True)]
    return _cast(rows)


def _ofac_country(remarks: str, flag: str, countries: dict[str, str]) -> str | None:
    """Nationality/citizenship, else vessel flag, else the country most cited in ID notes."""
    match = _NATIONALITY.search(remarks)
    if match and (iso := to_iso2(match.group(1), countries)):
        return iso
    if flag and (iso := to_iso2(flag, countries)):
        return iso
    cited = [iso for c in _PAREN_COUNTRY.findall(remarks) if (iso := to_iso2(c, countries))]
    return max(set(cited), key=cited.count) if cited else None


def load_ofac_sdn(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """OFAC SDN legacy sdn.csv: latin-1, no header, ``-0-`` for empty, aliases in Remarks."""
    raw = pl.read_csv(path, has_header=False, new_columns=list(OFAC_COLUMNS),
                      encoding="latin-1", infer_schema_length=0, truncate_ragged_lines=True)
    raw = raw.with_columns(pl.all().str.strip_chars()).filter(
        pl.col("ent_num").str.contains(r"^\d+$"))
    rows: list[dict[str, object]] = []
    for r in raw.iter_rows(named=True):
        remarks = "" if r["remarks"] in (None, "-0-") else r["remarks"]
        flag = "" if r["vess_flag"] in (None, "-0-") else r["vess_flag"]
        rows.append({
            "entity_id": f"OFAC-{r['ent_num']}", "list": "ofac_sdn", "name": r["name"],
            "aliases": _AKA.findall(remarks), "country": _ofac_country(remarks, flag, countries),
            "addresses": [m.strip() for m in _ADDRESS.findall(remarks)],
            "program": (r["program"] or "").strip("[] "), "date_added": None,
            "date_removed": None, "source": "https://www.treasury.gov/ofac/downloads/sdn.csv",
            "entity_type": _OFAC_TYPES.get(r["sdn_type"] or "-0-", "organization"),
            "confidence": "official",
        })
    return _cast(rows)


def load_bis_mieu(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """BIS Military-Intelligence End Users, 15 CFR 744.22(f)(2)."""
    raw = pl.read_csv(path, infer_schema_length=0)
    rows = [{
        "entity_id": f"MIEU-{i:04d}", "list": "bis_mieu", "name": r["Name"],
        "aliases": _split(r["Alias"]), "country": to_iso2(r["Country"], countries),
        "addresses": [], "program": r.get("Program") or "15 CFR 744.22(f)(2)",
        "date_added": _date(r.get("Date")), "date_removed": _date(r.get("End date")),
        "source": r.get("Source URL"), "entity_type": (r["Type"] or "organization").lower(),
        "confidence": "official",
    } for i, r in enumerate(raw.iter_rows(named=True), start=1)]
    return _cast(rows)


def load_dod_1260h(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """DoD section 1260H Chinese military companies; a filled End date means removed."""
    raw = pl.read_csv(path, infer_schema_length=0)
    rows = [{
        "entity_id": f"1260H-{i:04d}", "list": "dod_1260h",
        "name": r["Clean Name"] or r["Name"],
        "aliases": _split(r["Alias"]) + _split(r["Previous Name"]),
        "country": "CN", "addresses": [],
        "program": "FY2021 NDAA sec. 1260H" + (f" (parent: {r['Parent Name']})"
                                                if r["Parent Name"] else ""),
        "date_added": _date(r.get("Start date")), "date_removed": _date(r.get("End date")),
        "source": r.get("Source Url") or "https://media.defense.gov/",
        "entity_type": "organization", "confidence": "official",
    } for i, r in enumerate(raw.iter_rows(named=True), start=1)]
    return _cast(rows)


def _cast(rows: list[dict[str, object]]) -> pl.DataFrame:
    schema = dict(WATCHLIST_SCHEMA)
    schema["date_added"] = pl.String()
    schema["date_removed"] = pl.String()
    frame = pl.DataFrame(rows, schema=schema)
    return frame.with_columns(
        pl.col("date_added").str.to_date("%Y-%m-%d", strict=False),
        pl.col("date_removed").str.to_date("%Y-%m-%d", strict=False),
    )


LIST_LOADERS: dict[str, Callable[[Path, dict[str, str]], pl.DataFrame]] = {
    "uflpa": load_uflpa, "wro": load_wro, "ofac_sdn": load_ofac_sdn,
    "bis_mieu": load_bis_mieu, "dod_1260h": load_dod_1260h,
}
