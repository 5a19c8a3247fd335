"""Security: hostile input is rejected at the contract boundary, and no confidential value
leaks into logs or exports.

Hostile rows (spreadsheet formula injection, a 100 000-character field, control and escape
characters, SQL-like text) are written to a real entries file and read through the contract
readers and validators, exactly as ingest and scoring read files. Canary values planted in
the confidential fields of the scored data are then searched for in every output of the run.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Section, judge
from tradeguard.security.redaction import CONFIDENTIAL_FIELDS as REDACTED_FIELDS

# Declared fields whose canaries must not show up in any export (the declaration-line ones of
# :data:`tradeguard.security.redaction.CONFIDENTIAL_FIELDS`).
CONFIDENTIAL_FIELDS = ("importer_name", "importer_address", "manufacturer_name",
                       "manufacturer_address", "seller_name")
assert set(CONFIDENTIAL_FIELDS) <= set(REDACTED_FIELDS)

# (test, field, hostile value); a row passes when rejected, or accepted only in a safe form
# (see :func:`_safe`): SQL-like text may be kept verbatim because storage binds parameters.
HOSTILE: tuple[tuple[str, str, str], ...] = (
    ("formula_injection", "importer_name", "=cmd|' /C calc'!A0"),
    ("formula_injection_at", "importer_name", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("huge_string", "bill_of_lading", "X" * 100_000),
    ("control_characters", "importer_name", "1 Main St\x00\x1b[31m\x07"),
    ("sql_text", "importer_name", "x'; DROP TABLE entries;--"),
    ("sql_text_union", "port_of_entry", "5301' OR '1'='1"),
)


MAX_SAFE_CHARS = 4096


def _safe(test: str, value: str | None) -> bool:
    """Whether an accepted value is harmless in storage, exports and spreadsheets."""
    if value is None:
        return True
    if test.startswith("formula"):
        return value[:1] not in ("=", "+", "-", "@")
    if test == "huge_string":
        return len(value) <= MAX_SAFE_CHARS
    if test == "control_characters":
        return not any(ord(ch) < 32 for ch in value)
    return test.startswith("sql_text") and not test.endswith("union")


def _entry_row(i: int) -> dict[str, str]:
    from tradeguard.contract.entry_number import format_entry_number

    return {"entry_number": format_entry_number("ZZ9", 1_000_000 + i), "entry_type": "01",
            "entry_date": "2026-01-05", "port_of_entry": "5301", "importer_id": "24-387379300",
            "importer_name": "Harbor Supply Inc.", "importer_country": "US",
            "filer_code": "ZZ9", "mode_of_transport": "11", "country_of_export": "CN",
            "port_of_lading": "CNSHA", "bill_of_lading": f"YMLU{100000 + i}",
            "carrier_code": "YMLU", "trusted_trader": "false",
            }


def hostile_input_results() -> list[dict[str, object]]:
    """Each hostile row and whether the contract rejected it (with its reasons)."""
    from tradeguard.pipeline.inputs import read_contract_file

    rows = [_entry_row(0)] + [{**_entry_row(i + 1), field: value}
                              for i, (_, field, value) in enumerate(HOSTILE)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entries.csv"
        pl.DataFrame(rows).write_csv(path)
        read = read_contract_file(path, "entries", Path(tmp) / "q")
        kept = {r["entry_number"]: r for r in read.frame.iter_rows(named=True)}
        accepted_rows: dict[str, dict[str, Any]] = kept
        reasons: dict[str, str] = {}
        if read.rejects_file is not None:
            rej = pl.read_csv(read.rejects_file, infer_schema=False)
            key = [c for c in rej.columns if "reason" in c]
            raw = rej.get_column("raw_row").to_list() if "raw_row" in rej.columns else []
            for i, r in enumerate(raw):
                for row in rows:
                    if row["entry_number"] in (r or ""):
                        reasons[row["entry_number"]] = str(rej[key[0]][i]) if key else ""
    out: list[dict[str, object]] = []
    for i, (name, field, _) in enumerate(HOSTILE):
        number = rows[i + 1]["entry_number"]
        got = accepted_rows.get(number)
        value = None if got is None else got.get(field)
        out.append({"test": name, "field": field, "rejected": got is None,
                    "safe": got is None or _safe(name, value),
                    "reason": reasons.get(number, "")[:200]})
    out.append({"test": "clean_control_row", "field": "", "safe": True,
                "rejected": rows[0]["entry_number"] not in kept, "reason": ""})
    return out


def plant_canaries(decl: pl.DataFrame, rows: int = 5) -> tuple[pl.DataFrame, list[str]]:
    """Copy of ``decl`` with unique canary values in the confidential fields of a few rows."""
    fields = [f for f in CONFIDENTIAL_FIELDS if f in decl.columns]
    token = secrets.token_hex(6).upper()
    canaries = [f"CANARY{token}{f.upper()}" for f in fields]
    planted = pl.int_range(pl.len()) < rows
    return decl.with_columns(
        pl.when(planted).then(pl.lit(c)).otherwise(pl.col(f)).alias(f)
        for f, c in zip(fields, canaries, strict=True)), canaries


def scan(texts: dict[str, str], canaries: list[str]) -> list[dict[str, str]]:
    """Every (output, field) pair where that field's canary appears (the canary value itself
    is never reported, so reports stay clean)."""
    return [{"output": name, "field": _field_of(c)} for name, text in texts.items()
            for c in canaries if c in text]


def _field_of(canary: str) -> str:
    for f in CONFIDENTIAL_FIELDS:
        if canary.endswith(f.upper()):
            return f
    return "unknown"


def security_section(hostile: list[dict[str, object]], leaks: list[dict[str, str]],
                     scanned: list[str], policy: AuditPolicy) -> Section:
    """Judge hostile-row acceptance and canary leaks."""
    pol = policy.security
    sec = Section("security", "Is bad input refused, and does confidential data stay in?",
                  "Hostile rows (formula injection, huge strings, control characters, SQL-like "
                  "text) fed through the contract validators; planted canary values searched "
                  "for in every output: " + ", ".join(scanned) + ".")
    accepted = [h for h in hostile if h["test"] != "clean_control_row" and not h["safe"]]
    control_ok = not next(h for h in hostile if h["test"] == "clean_control_row")["rejected"]
    sec.checks += [
        judge("hostile_rows_accepted_unsafe", float(len(accepted)),
              float(pol.max_accepted_hostile_rows), "<=",
              note=", ".join(str(h["test"]) for h in accepted)),
        judge("clean_control_row_accepted", 1.0 if control_ok else 0.0, 1.0, ">="),
        judge("canary_leaks", float(len(leaks)), float(pol.max_canary_leaks), "<=",
              note="; ".join(f"{x['field']} found in {x['output']}" for x in leaks)),
    ]
    sec.tables["hostile_inputs"] = hostile
    sec.tables["canary_leaks"] = leaks
    return sec
