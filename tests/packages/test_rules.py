"""Small-package rules on the smallest inline batches that show each behaviour."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA
from tradeguard.packages import PackageConfig, score_packages


def parcel(pid: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "package_id": pid, "arrival_date": date(2026, 5, 1), "port_of_entry": "4701",
        "shipper_name": "SHENZHEN GADGET CO LTD", "shipper_country": "CN",
        "consignee_name": f"PERSON {pid}", "consignee_address": f"{pid} OAK AVE, DENVER, CO 80202",
        "declared_value_usd": 40.0, "description": "WIRELESS BLUETOOTH HEADPHONES",
        "hts_code": "851830", "weight_kg": 2.0, "country_of_origin": "CN",
        "carrier_code": "DHL", "seller_id": "S-1",
    }
    row.update(over)
    return row


def reasons(frame: pl.DataFrame, pid: str) -> set[str]:
    value = frame.filter(pl.col("package_id") == pid)["reasons"][0]
    return set(value.split(";")) if value else set()


def peers(n: int = 12) -> list[dict[str, Any]]:
    return [parcel(f"P{i}", declared_value_usd=38.0 + i, seller_id=f"S-{i}") for i in range(n)]


def test_split_shipment_found_despite_respelled_consignee() -> None:
    day = date(2026, 5, 1)
    split = [
        parcel("A1", consignee_name="JOHN SMITH", consignee_address="12 MAIN ST APT 4, X, NY 10001",
               declared_value_usd=760.0, arrival_date=day),
        parcel("A2", consignee_name="J. SMITH", consignee_address="12 Main Street #4, X, NY 10001",
               declared_value_usd=790.0, arrival_date=day + timedelta(days=2)),
        parcel("A3", consignee_name="SMITH JOHN", consignee_address="12 main st apt 4 x ny 10001",
               declared_value_usd=720.0, arrival_date=day + timedelta(days=4)),
    ]
    # Same address, same seller, but weeks apart: separate orders, not a split.
    apart = [parcel(f"B{i}", consignee_name="MARY LEE", consignee_address="9 PINE ST, Y, TX 77001",
                    declared_value_usd=750.0, arrival_date=day + timedelta(days=20 * i))
             for i in range(3)]
    scores = score_packages(pl.DataFrame(split + apart + peers())).scores
    for pid in ("A1", "A2", "A3"):
        assert "PKG_SPLIT_SHIPMENT" in reasons(scores, pid)
        assert scores.filter(pl.col("package_id") == pid)["lane"][0] != "green"
    assert all("PKG_SPLIT_SHIPMENT" not in reasons(scores, f"B{i}") for i in range(3))


def test_split_threshold_is_configuration() -> None:
    day = date(2026, 5, 1)
    rows = [parcel(f"C{i}", consignee_name="ANA DIAZ", consignee_address="5 ELM ST, Z, FL 33101",
                   declared_value_usd=700.0, arrival_date=day + timedelta(days=i))
            for i in range(3)]
    batch = pl.DataFrame(rows + peers())
    assert "PKG_SPLIT_SHIPMENT" in reasons(score_packages(batch).scores, "C0")
    raised = PackageConfig(value_thresholds_usd=(2500.0,))
    assert "PKG_SPLIT_SHIPMENT" not in reasons(score_packages(batch, raised).scores, "C0")


def test_undervalued_against_peers_of_same_goods() -> None:
    batch = pl.DataFrame([*peers(), parcel("U", declared_value_usd=2.0, seller_id="S-x")])
    scores = score_packages(batch).scores
    assert "PKG_UNDERVALUED_VS_PEERS" in reasons(scores, "U")
    assert "valuation" in scores.filter(pl.col("package_id") == "U")["categories"][0]
    assert all(reasons(scores, f"P{i}") == set() for i in range(12))


def test_vague_description_only_matters_on_valuable_parcels() -> None:
    batch = pl.DataFrame([
        *peers(), parcel("V1", description="GIFT", declared_value_usd=650.0, hts_code=None),
        parcel("V2", description="gift", declared_value_usd=30.0, hts_code=None),
        parcel("V3", description="WIRELESS BLUETOOTH HEADPHONES", declared_value_usd=650.0,
               weight_kg=30.0),
    ])
    scores = score_packages(batch).scores
    assert "PKG_VAGUE_DESCRIPTION" in reasons(scores, "V1")
    assert "PKG_VAGUE_DESCRIPTION" not in reasons(scores, "V2")
    assert "PKG_VAGUE_DESCRIPTION" not in reasons(scores, "V3")


def test_hts_and_origin_that_contradict_the_goods() -> None:
    batch = pl.DataFrame([
        *peers(), parcel("H", hts_code="6109100012", seller_id="S-h"),
        parcel("O", country_of_origin="IT", seller_id="S-o"),
    ])
    scores = score_packages(batch).scores
    assert "PKG_HTS_CONTRADICTS_DESCRIPTION" in reasons(scores, "H")
    assert "PKG_ORIGIN_CONTRADICTS_DESCRIPTION" in reasons(scores, "O")
    assert reasons(scores, "P3") == set()


def test_findings_keep_the_findings_schema_with_package_in_entry_number() -> None:
    batch = pl.DataFrame([*peers(), parcel("U", declared_value_usd=2.0, seller_id="S-x")])
    result = score_packages(batch)
    assert dict(result.findings.schema) == FINDINGS_SCHEMA
    row = result.findings.row(0, named=True)
    assert row["entry_number"] == "U" and row["line_number"] is None
    assert '"record":"package"' in row["evidence"]
    assert result.scores["rules_version"][0] == PackageConfig().version()
    assert result.scores.height == batch.height


def test_past_parcels_flagged_by_the_rules_make_a_sender_an_offender() -> None:
    # No exam outcomes: the sender's record is its past parcels, judged by the same rules.
    # Three of its past parcels were grossly under-valued; other senders' were not.
    old_peers = [parcel(f"H{i}", seller_id=f"S-{i % 6}", declared_value_usd=38.0 + i % 5)
                 for i in range(30)]
    old_bad = [parcel(f"HB{i}", seller_id="BAD", declared_value_usd=2.0) for i in range(3)]
    history = pl.DataFrame(old_peers + old_bad)
    batch = pl.DataFrame([*peers(), parcel("N1", seller_id="BAD", declared_value_usd=14.0),
                          parcel("N2", seller_id="S-1", declared_value_usd=14.0)])
    scored = score_packages(batch, history=history)
    assert reasons(scored.scores, "N1") == {"PKG_REPEAT_OFFENDER"}
    assert reasons(scored.scores, "N2") == set()
    evidence = scored.findings.filter(pl.col("entry_number") == "N1")["evidence"][0]
    assert '"past_flagged":3' in evidence
    # Without that history the same parcel is only low-priced: no finding.
    assert reasons(score_packages(batch).scores, "N1") == set()
