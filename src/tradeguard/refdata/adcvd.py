"""Antidumping and countervailing duty orders: the seed list and the official list format.

Commerce case numbers read ``A|C-CCC-NNN``: A antidumping, C countervailing, CCC the Commerce
country code. HTS numbers on an order are "for convenience"; the written scope governs, so a
prefix match is a lead for review, never proof that a line is in scope.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from tradeguard.refdata.countries import to_iso2

ADCVD_SCHEMA: dict[str, pl.DataType] = {
    "case_number": pl.String(), "order_type": pl.String(), "country": pl.String(),
    "product": pl.String(), "hts_prefixes": pl.List(pl.String()), "order_date": pl.Date(),
    "deposit_rate": pl.Float64(), "confidence": pl.String(), "notes": pl.String(),
}
CASE_NUMBER = re.compile(r"^[AC]-\d{3}-\d{3}$")

# Official list export (ITA/CBP AD/CVD case reference) column names we accept, lower-cased.
_OFFICIAL_ALIASES: dict[str, tuple[str, ...]] = {
    "case_number": ("case_number", "case number", "case no.", "case"),
    "country": ("country", "country_iso2", "country name"),
    "product": ("product", "product description", "merchandise"),
    "hts_prefixes": ("hts_prefixes", "hts_prefixes_convenience", "hts numbers", "hts",
                     "hts number"),
    "order_date": ("order_date", "order date", "order_year", "published date"),
    "deposit_rate": ("deposit_rate", "cash deposit rate", "all others rate", "rate"),
}


class OrderFileError(ValueError):
    """An AD/CVD list row that cannot be read; names file, row and field."""


def _pick(columns: list[str], field: str) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    return next((lower[a] for a in _OFFICIAL_ALIASES[field] if a in lower), None)


def _hts_prefixes(text: str | None) -> list[str]:
    return [p.replace(".", "").strip() for p in re.split(r"[;,\s]+", text or "") if p.strip()]


def _order_date(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    return f"{text}-01-01" if re.fullmatch(r"\d{4}", text) else text[:10]


def _rate(text: str | None, path: Path, row: int) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.strip().rstrip("%")) / 100.0
    except ValueError as exc:
        raise OrderFileError(
            f"{path}: row {row}: deposit_rate: not a percentage: {text!r}") from exc


def load_orders(path: Path, countries: dict[str, str],
                commerce_codes: dict[str, str] | None = None) -> pl.DataFrame:
    """Read the seed CSV or an official order list CSV into the order frame.

    ``deposit_rate`` is a fraction (0.2 = 20 %); null when the list does not give it, which is
    the case for the seed: company-specific cash-deposit rates come from the official list.
    """
    raw = pl.read_csv(path, infer_schema_length=0)
    picks = {f: _pick(raw.columns, f) for f in _OFFICIAL_ALIASES}
    if picks["case_number"] is None:
        raise OrderFileError(f"{path}: row 1 (header): no case number column")
    rows: list[dict[str, object]] = []
    for row_no, rec in enumerate(raw.iter_rows(named=True), start=2):
        case = (rec[picks["case_number"]] or "").strip()
        if not CASE_NUMBER.match(case):
            raise OrderFileError(f"{path}: row {row_no}: case_number: not A|C-CCC-NNN: {case!r}")
        country_text = rec[picks["country"]] if picks["country"] else None
        country = to_iso2(country_text, countries)
        if country is None and commerce_codes:
            country = commerce_codes.get(case[2:5])

        def get(field: str, rec: dict[str, str | None] = rec) -> str | None:
            column = picks[field]
            return rec[column] if column else None

        rows.append({
            "case_number": case, "order_type": "AD" if case[0] == "A" else "CVD",
            "country": country, "product": get("product"),
            "hts_prefixes": _hts_prefixes(get("hts_prefixes")),
            "order_date": _order_date(get("order_date")),
            "deposit_rate": _rate(get("deposit_rate"), path, row_no),
            "confidence": rec.get("confidence"), "notes": rec.get("notes"),
        })
    schema = dict(ADCVD_SCHEMA)
    schema["order_date"] = pl.String()
    frame = pl.DataFrame(rows, schema=schema)
    return frame.with_columns(pl.col("order_date").str.to_date("%Y-%m-%d", strict=False))


def commerce_country_codes(path: Path) -> dict[str, str]:
    """Commerce three-digit country code -> ISO2 (570 -> CN)."""
    raw = pl.read_csv(path, infer_schema_length=0)
    return dict(zip(raw["commerce_code"], raw["country_iso2"], strict=True))
