"""Read the official USITC HTS CSV export into one row per 10-digit statistical number.

The export is a flat list where an 8-digit line carries the rates, its 10-digit children carry
the units, and blank-number rows are headings that exist only through the Indent column. The
build walks the indents once to give every statistical number its full description and the
rates it inherits. This runs when data is built or imported, not on the load path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from tradeguard.refdata.rates import ParsedRate, clean_rate_text, parse_rate, parse_special
from tradeguard.refdata.units import cbp_unit, normalise_unit_text, split_units

USITC_COLUMNS = (
    "HTS Number", "Indent", "Description", "Unit of Quantity", "General Rate of Duty",
    "Special Rate of Duty", "Column 2 Rate of Duty",
)


class TariffFileError(ValueError):
    """The file is not a USITC HTS export; names the file, row and field."""


@dataclass
class TariffBuild:
    """Output of one build: the line frame, special-rate frame and what could not be mapped."""

    lines: pl.DataFrame
    special: pl.DataFrame
    unmapped_units: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, str]] = field(default_factory=list)


def _rate_columns(prefix: str, parsed: ParsedRate) -> dict[str, object]:
    return {
        f"{prefix}_ad_valorem": parsed.ad_valorem,
        f"{prefix}_specific": parsed.specific_usd,
        f"{prefix}_specific_unit": parsed.specific_unit,
        f"{prefix}_kind": parsed.kind,
    }


def _read_export(path: Path) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    raw = raw.rename({c: c.lstrip("\ufeff") for c in raw.columns})
    missing = [c for c in USITC_COLUMNS if c not in raw.columns]
    if missing:
        raise TariffFileError(f"{path}: row 1 (header): missing column(s) {missing}")
    return raw.with_columns(pl.col(c).fill_null("") for c in USITC_COLUMNS)


def build_tariff(path: Path, valid_from: date | None = None) -> TariffBuild:
    """Parse a USITC HTS CSV export (as downloaded from hts.usitc.gov) into tariff frames."""
    raw = _read_export(path)
    unmapped: dict[str, int] = {}
    rejected: list[dict[str, str]] = []
    stack: list[tuple[int, str, tuple[str, str, str] | None]] = []
    rows: list[dict[str, object]] = []
    special_rows: list[dict[str, object]] = []
    for row_no, rec in enumerate(raw.select(USITC_COLUMNS).iter_rows(), start=2):
        number, indent_text, desc, units_json, general, special, column2 = rec
        try:
            indent = int(indent_text or 0)
        except ValueError:
            rejected.append({"file": str(path), "row": str(row_no), "field": "Indent",
                             "reason": f"not an integer: {indent_text!r}"})
            continue
        rates = (general, special, column2) if general.strip() else None
        stack = [s for s in stack if s[0] < indent]
        stack.append((indent, " ".join(desc.split()), rates))
        digits = number.replace(".", "").strip()
        if len(digits) != 10 or not digits.isdigit():
            if number.strip() and not digits.isdigit():
                rejected.append({"file": str(path), "row": str(row_no), "field": "HTS Number",
                                 "reason": f"not a tariff number: {number!r}"})
            continue
        inherited = next((s[2] for s in reversed(stack) if s[2] is not None), None)
        g_text, s_text, c_text = inherited or ("", "", "")
        units = _units(units_json, unmapped)
        description = ": ".join(s[1].rstrip(":").strip() for s in stack if s[1])
        groups = parse_special(s_text)
        general_rate = parse_rate(g_text)
        rows.append({
            "hts10": digits, "hts8": digits[:8], "description": description,
            "units": [u for u, _ in units], "units_text": [t for _, t in units],
            "general_rate": clean_rate_text(g_text), "special_rate": clean_rate_text(s_text),
            "column2_rate": clean_rate_text(c_text),
            "general_ad_valorem": general_rate.ad_valorem,
            "general_specific": general_rate.specific_usd,
            "specific_unit": general_rate.specific_unit, "general_kind": general_rate.kind,
            **_rate_columns("column2", parse_rate(c_text)),
            "special_programs": sorted({p for _, progs in groups for p in progs}),
            "valid_from": valid_from, "valid_to": None,
        })
        for rate_text, programs in groups:
            parsed = parse_rate(rate_text)
            for program in programs:
                special_rows.append({"hts10": digits, "program": program,
                                     "rate_text": parsed.text or rate_text,
                                     **_rate_columns("special", parsed)})
    lines = pl.DataFrame(rows, schema_overrides={"valid_from": pl.Date, "valid_to": pl.Date})
    special_frame = pl.DataFrame(special_rows, schema=_SPECIAL_SCHEMA)
    return TariffBuild(lines.sort("hts10"), special_frame, unmapped, rejected)


_SPECIAL_SCHEMA = {
    "hts10": pl.String, "program": pl.String, "rate_text": pl.String,
    "special_ad_valorem": pl.Float64, "special_specific": pl.Float64,
    "special_specific_unit": pl.String, "special_kind": pl.String,
}


def _units(units_json: str, unmapped: dict[str, int]) -> list[tuple[str, str]]:
    """(CBP code, printed text) per reporting unit; unknown units kept as printed and counted."""
    if not units_json.strip():
        return []
    try:
        printed = json.loads(units_json)
    except json.JSONDecodeError:
        printed = [units_json]
    out: list[tuple[str, str]] = []
    for item in printed:
        for part in split_units(str(item)):
            code = cbp_unit(part)
            if code is None:
                key = normalise_unit_text(part)
                if key:
                    unmapped[key] = unmapped.get(key, 0) + 1
                    out.append((key, key))
                continue
            out.append((code, part))
    return out
