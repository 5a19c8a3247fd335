"""Normalisation and validation of raw batches (no files, no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from tests.contract.rows import ENTRY, LINE

from tradeguard.contract import SCHEMAS, KeyTracker, validate_batch
from tradeguard.contract.validate import CheckedBatch

TODAY = date(2026, 11, 25)



def raw(rows: list[dict[str, Any]], first_row: int = 2) -> pl.DataFrame:
    """A raw batch as a reader yields it: text cells plus spreadsheet row numbers."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    frame = pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String)
    )
    return frame.with_columns(pl.int_range(first_row, first_row + len(rows)).alias("__row"))


def check(kind: str, rows: list[dict[str, Any]], **kwargs: Any) -> CheckedBatch:
    return validate_batch(raw(rows), SCHEMAS[kind], today=TODAY, **kwargs)


def reasons(batch: CheckedBatch) -> dict[int, str]:
    return dict(zip(batch.rejected["row_number"], batch.rejected["reasons"], strict=True))


def test_a_valid_line_is_accepted_typed() -> None:
    batch = check("lines", [LINE])
    assert batch.rejected.is_empty()
    row = batch.accepted.row(0, named=True)
    assert row["line_number"] == 1 and row["quantity"] == 120.0
    assert row["natural_key"] == "ABC-1234567-6|1"
    assert len(row["content_hash"]) == 64


def test_what_users_really_send_is_normalised() -> None:
    messy = {
        **LINE,
        "entry_number": " abc12345676 ",
        "hts_code": "6109.10.0012",
        "country_of_origin": "cn",
        "quantity": "1,234.50",
        "entered_value_usd": " 12,000 ",
        "related_party": "Y",
        "manufacturer_country": "vn",
        "description": "  cotton t-shirts  ",
    }
    batch = check("lines", [messy, {**LINE, "line_number": "2", "related_party": "no"}])
    assert batch.rejected.is_empty(), batch.rejected["reasons"].to_list()
    first, second = batch.accepted.iter_rows(named=True)
    assert first["entry_number"] == "ABC-1234567-6"
    assert first["hts_code"] == "6109100012"
    assert first["country_of_origin"] == "CN" and first["manufacturer_country"] == "VN"
    assert first["quantity"] == 1234.5 and first["entered_value_usd"] == 12000.0
    assert first["description"] == "cotton t-shirts"
    assert first["related_party"] is True and second["related_party"] is False


@pytest.mark.parametrize(
    ("text", "value"),
    [("Y", True), ("n", False), ("yes", True), ("NO", False), ("true", True), ("False", False),
     ("1", True), ("0", False), ("T", True), ("f", False)],
)  # fmt: skip
def test_booleans(text: str, value: bool) -> None:
    batch = check("entries", [{**ENTRY, "trusted_trader": text}])
    assert batch.accepted["trusted_trader"].to_list() == [value]


def test_short_numeric_codes_from_spreadsheets_are_padded() -> None:
    batch = check("entries", [{**ENTRY, "port_of_entry": "401", "entry_type": "1"}])
    row = batch.accepted.row(0, named=True)
    assert (row["port_of_entry"], row["entry_type"]) == ("0401", "01")


def test_dates_accept_iso_with_time_and_basic_form() -> None:
    rows = [
        {**ENTRY, "entry_number": "ABC-1234567-6", "entry_date": "2026-03-02T00:00:00"},
        {**ENTRY, "entry_number": "ABC-1234568-4", "entry_date": "20260302"},
    ]
    batch = check("entries", rows)
    assert batch.accepted["entry_date"].to_list() == [date(2026, 3, 2)] * 2


@pytest.mark.parametrize(
    ("kind", "change", "field", "words"),
    [
        ("lines", {"description": None}, "description", "required value is missing"),
        ("lines", {"description": "   "}, "description", "required value is missing"),
        ("lines", {"quantity": "12abc"}, "quantity", "not a number '12abc'"),
        ("lines", {"quantity": "1.234,50"}, "quantity", "not a number"),
        ("lines", {"line_number": "one"}, "line_number", "not a whole number"),
        ("lines", {"line_number": "1.5"}, "line_number", "not a whole number"),
        ("lines", {"line_number": "0"}, "line_number", "must be 1 or more"),
        ("lines", {"quantity": "-3"}, "quantity", "negative value '-3'"),
        ("lines", {"entered_value_usd": "-100.00"}, "entered_value_usd", "negative value"),
        ("lines", {"country_of_origin": "XX"}, "country_of_origin", "unknown country code 'XX'"),
        ("lines", {"country_of_origin": "CHN"}, "country_of_origin", "unknown country code"),
        ("lines", {"hts_code": "61091000"}, "hts_code", "malformed HTS code"),
        ("lines", {"hts_code": "6109.10.00.1A"}, "hts_code", "malformed HTS code"),
        ("lines", {"entry_number": "AB-123-4"}, "entry_number", "malformed entry number"),
        ("lines", {"related_party": "maybe"}, "related_party", "not a yes/no value 'maybe'"),
        ("lines", {"adcvd_case_number": "570-979"}, "adcvd_case_number", "malformed AD/CVD"),
        ("entries", {"entry_date": "2026-12-25"}, "entry_date", "date in the future"),
        ("entries", {"entry_date": "2026-02-30"}, "entry_date", "not a date"),
        ("entries", {"entry_date": "03/04/2026"}, "entry_date", "not a date"),
        ("entries", {"port_of_entry": "27A4"}, "port_of_entry", "malformed port code"),
        ("entries", {"port_of_lading": "SHANGHAI"}, "port_of_lading", "malformed UN/LOCODE"),
        ("outcomes", {"category": "fraud"}, "category", "unknown category"),
        ("packages", {"hts_code": "61091"}, "hts_code", "expected 6 or 10 digits"),
    ],
)
def test_each_rule_rejects_with_its_reason(
    kind: str, change: dict[str, Any], field: str, words: str
) -> None:
    base = {
        "lines": LINE,
        "entries": ENTRY,
        "outcomes": {"entry_number": "ABC-1234567-6", "examined": "Y", "discrepancy": "N"},
        "packages": {
            "package_id": "1Z999",
            "arrival_date": "2026-05-01",
            "port_of_entry": "4701",
            "shipper_name": "Shop",
            "shipper_country": "CN",
            "consignee_name": "J. Doe",
            "consignee_address": "1 Main St",
            "declared_value_usd": "25",
            "description": "toy",
        },
    }[kind]
    batch = check(kind, [{**base, **change}])
    assert batch.accepted.is_empty()
    rejected = batch.rejected.row(0, named=True)
    assert rejected["row_number"] == 2
    assert field in rejected["fields"].split(";")
    assert f"{field}: " in rejected["reasons"] and words in rejected["reasons"]


def test_packages_accept_six_or_ten_digit_hts() -> None:
    base = {
        "package_id": "1Z1", "arrival_date": "2026-05-01", "port_of_entry": "4701",
        "shipper_name": "Shop", "shipper_country": "cn", "consignee_name": "J. Doe",
        "consignee_address": "1 Main St", "declared_value_usd": "25", "description": "toy",
    }  # fmt: skip
    rows = [
        {**base, "hts_code": "9503.00"},
        {**base, "package_id": "1Z2", "hts_code": "9503000073"},
    ]
    batch = check("packages", rows)
    assert batch.accepted["hts_code"].to_list() == ["950300", "9503000073"]


def test_a_row_failing_several_checks_has_one_record_with_every_reason() -> None:
    bad = {**LINE, "line_number": "2", "quantity": "-1", "country_of_origin": "QQ", "hts_code": "1",
           "description": ""}  # fmt: skip
    batch = check("lines", [LINE, bad])
    assert batch.rejected.height == 1 and batch.accepted.height == 1
    record = batch.rejected.row(0, named=True)
    assert record["row_number"] == 3
    assert record["fields"].split(";") == [
        "hts_code",
        "description",
        "country_of_origin",
        "quantity",
    ]
    assert record["reasons"].count("; ") == 3


def test_the_raw_row_is_kept_as_sent() -> None:
    batch = check("lines", [{**LINE, "quantity": " -7 ", "note": "rush"}])
    raw_row = batch.rejected["raw_row"][0]
    assert '"quantity":" -7 "' in raw_row and '"note":"rush"' in raw_row


def test_unknown_columns_are_kept_as_extra_json() -> None:
    batch = check("lines", [{**LINE, "invoice_ref": "INV-9", "buyer_po": None}])
    assert batch.accepted["extra"].to_list() == ['{"invoice_ref":"INV-9","buyer_po":null}']
    assert check("lines", [LINE]).accepted["extra"].to_list() == [None]


def test_duplicate_keys_within_a_batch_keep_the_first_row() -> None:
    rows = [LINE, {**LINE, "line_number": "2"}, {**LINE, "description": "again"}]
    batch = check("lines", rows)
    assert batch.accepted["line_number"].to_list() == [1, 2]
    assert reasons(batch) == {
        4: "entry_number+line_number: duplicate key: same as row 2 of this file"
    }


def test_duplicate_keys_are_caught_across_batches_of_one_file() -> None:
    keys = KeyTracker()
    schema = SCHEMAS["lines"]
    first = validate_batch(raw([LINE]), schema, today=TODAY, keys=keys)
    second = validate_batch(
        raw([{**LINE, "line_number": "2"}, LINE], first_row=3), schema, today=TODAY, keys=keys
    )
    assert first.rejected.is_empty()
    assert reasons(second) == {
        4: "entry_number+line_number: duplicate key: same as row 2 of this file"
    }


def test_a_row_with_a_broken_key_is_not_a_duplicate() -> None:
    batch = check("lines", [LINE, {**LINE, "line_number": "x"}])
    assert "duplicate" not in reasons(batch)[3]


def test_lines_of_unknown_entries_are_rejected() -> None:
    stored = pl.Series(["ABC-1234567-6"])

    def known(numbers: pl.Series) -> pl.Series:
        return numbers.filter(numbers.is_in(stored.implode()))

    rows = [LINE, {**LINE, "entry_number": "ABC-1234568-4"}]
    batch = check("lines", rows, known_entries=known)
    assert batch.accepted.height == 1
    assert reasons(batch) == {
        3: "entry_number: entry ABC-1234568-4 is not stored (load its entries row first)"
    }


def test_a_read_error_rejects_the_row() -> None:
    frame = raw([LINE, LINE]).with_columns(
        pl.Series("__read_error", [None, "not a JSON object"], dtype=pl.String),
        pl.Series("line_number", ["1", "2"]),
    )
    batch = validate_batch(frame, SCHEMAS["lines"], today=TODAY)
    assert reasons(batch)[3].startswith("(row): not a JSON object")


def test_accepted_plus_rejected_is_rows_read() -> None:
    rows = [LINE, {**LINE, "line_number": "2", "quantity": "x"}, {**LINE, "line_number": "3"}]
    batch = check("lines", rows)
    assert batch.accepted.height + batch.rejected.height == batch.rows_read == 3


def test_content_hash_tells_changed_content() -> None:
    same = check("lines", [LINE]).accepted["content_hash"][0]
    assert check("lines", [dict(LINE)]).accepted["content_hash"][0] == same
    changed = check("lines", [{**LINE, "quantity": "121"}]).accepted["content_hash"][0]
    assert changed != same
    # Formatting differences that normalise to the same values are the same content.
    reformatted = check("lines", [{**LINE, "hts_code": "6109.10.0012", "quantity": "120.00"}])
    assert reformatted.accepted["content_hash"][0] == same


def test_a_row_gets_the_same_values_whatever_the_rest_of_its_batch() -> None:
    # Work a batch does not need is left out (no thousands separator, entry numbers and dates
    # already in form, lower-case booleans); a messy neighbour brings the general path back.
    entry = {**ENTRY, "entry_date": "2026-03-02", "trusted_trader": "true"}
    messy_entry = {**ENTRY, "entry_number": " abc12345684 ", "entry_date": "2026-03-03T10:00",
                   "trusted_trader": "Y"}
    line = {**LINE, "quantity": "120", "line_number": "1"}
    messy_line = {**LINE, "entry_number": "abc-1234567-6", "line_number": "2.0",
                  "quantity": "1,234.5"}
    for kind, row, messy in (("entries", entry, messy_entry), ("lines", line, messy_line)):
        alone = check(kind, [row])
        mixed = check(kind, [row, messy])
        assert alone.rejected.is_empty() and mixed.rejected.is_empty()
        assert mixed.accepted.head(1).equals(alone.accepted)
    mixed_entries = check("entries", [entry, messy_entry]).accepted.row(1, named=True)
    assert mixed_entries["entry_number"] == "ABC-1234568-4"
    assert mixed_entries["entry_date"] == date(2026, 3, 3)
    assert mixed_entries["trusted_trader"] is True
    mixed_lines = check("lines", [line, messy_line]).accepted.row(1, named=True)
    assert (mixed_lines["line_number"], mixed_lines["quantity"]) == (2, 1234.5)


def test_contract_only_keeps_the_same_rows_without_storage_columns() -> None:
    rows = [{**LINE, "note": "x"}, {**LINE, "line_number": "2", "quantity": "-1"},
            {**LINE, "line_number": "3"}]
    full = check("lines", rows)
    only = check("lines", rows, contract_only=True)
    assert only.accepted.columns == list(SCHEMAS["lines"].names)
    assert only.accepted.equals(full.accepted.select(SCHEMAS["lines"].names))
    assert only.rejected.equals(full.rejected)
    assert {"natural_key", "extra", "content_hash", "__row"} <= set(full.accepted.columns)
