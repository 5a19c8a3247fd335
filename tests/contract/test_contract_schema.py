from __future__ import annotations

from importlib import resources

import pytest

from tradeguard.contract import (
    KINDS,
    SCHEMAS,
    contract_markdown,
    entry_number_check_digit,
    is_valid_entry_number,
    kind_from_path,
)
from tradeguard.contract.countries import country_codes, country_names
from tradeguard.contract.entry_number import format_entry_number

# The contract's own column lists (shared/contract/README.md), as the acceptance checks see them.
CONTRACT_REQUIRED = {
    "entries": {"entry_number", "entry_type", "entry_date", "port_of_entry", "importer_id",
                "importer_name"},
    "lines": {"entry_number", "line_number", "hts_code", "description", "country_of_origin",
              "quantity", "quantity_unit", "entered_value_usd"},
    "packages": {"package_id", "arrival_date", "port_of_entry", "shipper_name", "shipper_country",
                 "consignee_name", "consignee_address", "declared_value_usd", "description"},
    "supply_chain": {"entry_number", "tier", "supplier_name", "supplier_country"},
    "outcomes": {"entry_number", "examined", "discrepancy"},
}  # fmt: skip


def test_required_columns_match_the_contract() -> None:
    assert set(KINDS) == set(CONTRACT_REQUIRED)
    for kind, required in CONTRACT_REQUIRED.items():
        assert set(SCHEMAS[kind].required) == required


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("entries.csv", "entries"),
        ("Entries_2024-05.parquet", "entries"),
        ("lines_part1.jsonl", "lines"),
        ("packages.csv", "packages"),
        ("supply_chain.csv", "supply_chain"),
        ("supply-chain-q2.csv", "supply_chain"),
        ("outcomes.csv", "outcomes"),
        ("declarations.csv", None),
    ],
)
def test_kind_from_file_name(name: str, kind: str | None) -> None:
    assert kind_from_path(f"/data/{name}") == kind


def test_country_list_is_iso_alpha2() -> None:
    codes = country_codes()
    assert len(codes) == 249
    assert {"US", "CN", "VN", "NA", "TW", "HK"} <= codes
    assert "XX" not in codes and "UK" not in codes
    assert country_names()["DE"] == "Germany"


def test_entry_number_check_digit_worked_examples() -> None:
    assert entry_number_check_digit("ABC", "1234567") == 6
    assert entry_number_check_digit("999", "9999999") == 0
    assert entry_number_check_digit("abc", "1234567") == 6
    assert format_entry_number("SP7", 1) == "SP7-0000001-4"
    assert is_valid_entry_number("ABC-1234567-6")
    assert not is_valid_entry_number("ABC-1234567-7")
    assert not is_valid_entry_number("ABC1234567-6")


def test_entry_number_check_digit_catches_single_digit_errors() -> None:
    good = "ABC-1234567-6"
    for position in range(4, 11):
        if good[position] == "-":
            continue
        for digit in "0123456789":
            if digit != good[position]:
                changed = good[:position] + digit + good[position + 1 :]
                assert not is_valid_entry_number(changed), changed


def test_entry_number_check_digit_rejects_malformed_parts() -> None:
    with pytest.raises(ValueError, match="7-digit"):
        entry_number_check_digit("AB", "1234567")
    with pytest.raises(ValueError):
        entry_number_check_digit("ABC", "12345X7")


def test_contract_readme_is_generated_from_the_schema() -> None:
    shipped = resources.files("tradeguard.contract").joinpath("README.md").read_text("utf-8")
    generated = contract_markdown()
    assert generated in shipped, "regenerate: python -m tradeguard.contract.schema"
    for schema in SCHEMAS.values():
        for field in schema.fields:
            assert f"| {field.name}" in generated
