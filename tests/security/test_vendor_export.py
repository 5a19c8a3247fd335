"""Vendor egress: allow-list, keyed pseudonyms, generalisation, canaries, ledger, fail closed."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import polars as pl
import pytest

from tradeguard.decisions import EgressSent, MemoryLogStore, TransparencyLog, verify_receipt
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.security import EgressRefused, VendorPolicy, derive_vendor_key, export_for_vendor
from tradeguard.security.vendor_export import canary_ids, pseudonym

LINES = pl.DataFrame(
    {
        "entry_number": ["E1", "E2", "E3", "E4"],
        "importer_id": ["IMP-A", "IMP-B", "IMP-A", "IMP-C"],
        "importer_name": ["Acme", "Bolt", "Acme", "Cato"],
        "manufacturer_address": ["1 Road", "2 Road", "3 Road", "4 Road"],
        "hts_code": ["6109100012", "8541430010", "6109100012", "9403200050"],
        "entered_value_usd": [950.0, 12_500.0, 0.5, 100_000.0],
        "entry_date": [date(2026, 1, 1), date(2026, 1, 7), date(2026, 2, 2), date(2026, 12, 31)],
    }
)
REQUEST = ["importer_id", "hts_code", "entered_value_usd", "entry_date"]


def _policy(vendor: str = "acme-analytics", **changes: Any) -> VendorPolicy:
    base: dict[str, object] = {
        "vendor": vendor,
        "purpose": "classification model evaluation",
        "contract_clause": "DPA 4.2 (no training on agency data)",
        "allowed_fields": frozenset(REQUEST),
        "pseudonymise": {"importer_id": "importer"},
        "value_buckets": frozenset({"entered_value_usd"}),
        "week_dates": frozenset({"entry_date"}),
        "canaries": 2,
    }
    base.update(changes)
    return VendorPolicy(**base)  # type: ignore[arg-type]


@pytest.fixture
def ledger() -> TransparencyLog:
    return TransparencyLog(MemoryLogStore(), derive_development_signer("s", "t.example/log"))


def test_only_allow_listed_fields_leave_and_identifiers_are_pseudonymised(
    ledger: TransparencyLog,
) -> None:
    out = export_for_vendor(
        LINES, REQUEST, _policy(), derive_vendor_key("m", "acme-analytics", "p1"), ledger
    )
    assert out.frame.columns == REQUEST
    text = out.payload.decode()
    for secret in ("IMP-A", "Acme", "Road", "E1", "950"):
        assert secret not in text
    real = out.frame.filter(~pl.col("importer_id").is_in(list(out.canary_ids)))
    assert real.height == 4
    # same importer -> same pseudonym within one extract; different importers differ
    by_hts = dict(zip(real["hts_code"], real["importer_id"], strict=False))
    assert real["importer_id"].n_unique() == 3
    assert by_hts["8541430010"] != by_hts["9403200050"]


def test_generalisation_to_decade_buckets_and_iso_weeks(ledger: TransparencyLog) -> None:
    out = export_for_vendor(
        LINES, REQUEST, _policy(canaries=0, pseudonymise={"importer_id": "i"}), b"k" * 32, ledger
    )
    got = dict(
        zip(out.frame["hts_code"].to_list(), out.frame["entered_value_usd"].to_list(), strict=False)
    )
    assert sorted(out.frame["entered_value_usd"].to_list()) == sorted(
        ["100-1000", "10000-100000", "0-1", "100000-1000000"]
    )
    assert got["8541430010"] == "10000-100000"
    weeks = set(out.frame["entry_date"].to_list())
    assert weeks == {"2026-W01", "2026-W02", "2026-W06", "2026-W53"}


def test_pseudonyms_are_stable_per_vendor_and_differ_across_vendors(
    ledger: TransparencyLog,
) -> None:
    k_a1 = derive_vendor_key("master", "vendor-a", "p1")
    k_a1_again = derive_vendor_key("master", "vendor-a", "p1")
    k_b1 = derive_vendor_key("master", "vendor-b", "p1")
    k_a2 = derive_vendor_key("master", "vendor-a", "p2")
    assert pseudonym(k_a1, "importer", "IMP-A") == pseudonym(k_a1_again, "importer", "IMP-A")
    assert pseudonym(k_a1, "importer", "IMP-A") != pseudonym(k_b1, "importer", "IMP-A")
    assert pseudonym(k_a1, "importer", "IMP-A") != pseudonym(k_a2, "importer", "IMP-A")
    assert pseudonym(k_a1, "importer", "IMP-A") != pseudonym(k_a1, "manufacturer", "IMP-A")
    a = export_for_vendor(LINES, REQUEST, _policy("vendor-a"), k_a1, ledger)
    a2 = export_for_vendor(LINES, REQUEST, _policy("vendor-a"), k_a1_again, ledger)
    b = export_for_vendor(LINES, REQUEST, _policy("vendor-b"), k_b1, ledger)
    assert a.payload == a2.payload
    assert not set(a.frame["importer_id"]) & set(b.frame["importer_id"])


def test_canaries_are_planted_per_vendor(ledger: TransparencyLog) -> None:
    key_a = derive_vendor_key("m", "vendor-a", "p")
    key_b = derive_vendor_key("m", "vendor-b", "p")
    a = export_for_vendor(LINES, REQUEST, _policy("vendor-a", canaries=3), key_a, ledger)
    b = export_for_vendor(LINES, REQUEST, _policy("vendor-b", canaries=3), key_b, ledger)
    assert a.frame.height == LINES.height + 3
    assert len(a.canary_ids) == 3
    assert a.canary_ids <= set(a.frame["importer_id"])
    assert a.canary_ids == set(canary_ids(key_a, _policy("vendor-a", canaries=3), "importer"))
    assert not a.canary_ids & b.canary_ids
    assert not a.canary_ids & set(b.frame["importer_id"])


def test_ledger_entry_carries_the_payload_hash(ledger: TransparencyLog) -> None:
    key = derive_vendor_key("m", "acme-analytics", "p")
    out = export_for_vendor(LINES, REQUEST, _policy(), key, ledger)
    assert out.payload_hash == hashlib.sha256(out.payload).hexdigest()
    record = ledger.read(out.receipt.leaf_index)
    assert isinstance(record.event, EgressSent)
    assert record.event.payload_hash == out.payload_hash
    assert record.event.fields == tuple(REQUEST)
    assert record.event.vendor == "acme-analytics"
    assert record.event.contract_clause.startswith("DPA 4.2")
    assert record.event.row_count == out.frame.height
    assert verify_receipt(out.receipt, ledger.signer.verifier_key, record.canonical())


@pytest.mark.parametrize(
    ("requested", "policy_changes", "message"),
    [
        ([*REQUEST, "importer_name"], {}, "not on the allow-list: importer_name"),
        (
            ["manufacturer_address"],
            {"allowed_fields": frozenset({"manufacturer_address"})},
            "free-text",
        ),
        (["importer_id", "hts_code"], {"pseudonymise": {}, "canaries": 0}, "unpseudonymised"),
        (REQUEST, {"no_training_clause": False}, "no-training"),
        (["hts_code"], {}, "canaries need"),
        (
            [*REQUEST, "bill_of_lading"],
            {
                "allowed_fields": frozenset([*REQUEST, "bill_of_lading"]),
                "pseudonymise": {"importer_id": "i", "bill_of_lading": "bol"},
            },
            "not in the data: bill_of_lading",
        ),
    ],
)
def test_policy_violations_fail_closed(
    ledger: TransparencyLog, requested: list[str], policy_changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(EgressRefused, match=message):
        export_for_vendor(LINES, requested, _policy(**policy_changes), b"k" * 32, ledger)
    assert ledger.size == 0  # nothing released, nothing ledgered


def test_a_ledger_failure_releases_nothing(ledger: TransparencyLog) -> None:
    class BrokenStore(MemoryLogStore):
        def append(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    broken = TransparencyLog(BrokenStore(), ledger.signer)
    with pytest.raises(OSError):
        export_for_vendor(LINES, REQUEST, _policy(), b"k" * 32, broken)
