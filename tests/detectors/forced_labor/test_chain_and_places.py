"""Xinjiang places, supply-chain paths and missing traceability on inline frames."""

from __future__ import annotations

import json

import polars as pl

from tradeguard.detectors.forced_labor import ForcedLaborDetector

from .conftest import context, lines

CHAIN = pl.DataFrame({
    "entry_number": ["ABC-1234567-8"] * 3,
    "line_number": [1, 1, 1],
    "tier": [1, 2, 3],
    "supplier_name": ["Nam Dinh Fabric Mill", "Wuxi Spinning Co", "HOSHINE SILICON INDUSTRY"],
    "supplier_country": ["VN", "CN", "CN"],
    "supplier_address": ["Nam Dinh, VN", "Wuxi, Jiangsu", "Zhejiang"],
    "material": ["fabric", "yarn", "silicon"],
    "buyer_name": ["Rhein Elektronik GmbH", "Nam Dinh Fabric Mill", "WUXI SPINNING CO."],
})


def test_upstream_tier3_listed_supplier_found_with_path() -> None:
    out = ForcedLaborDetector().detect(lines(), context(CHAIN))
    hit = out.filter(pl.col("reason_code") == "FL_UPSTREAM_LISTED").row(0, named=True)
    assert hit["severity"] == "critical"
    item = json.loads(hit["evidence"])["hits"][0]
    assert item["tier"] == 3 and item["entity_id"] == "UFLPA-1"
    assert item["path"] == [
        "manufacturer: Rhein Elektronik GmbH",
        "tier 1: Nam Dinh Fabric Mill (Nam Dinh, VN)",
        "tier 2: Wuxi Spinning Co (Wuxi, Jiangsu)",
        "tier 3: HOSHINE SILICON INDUSTRY (Zhejiang)",
    ]
    assert item["path_complete"] is True
    assert "tier 2: Wuxi Spinning Co" in hit["text"]


def test_tier_beyond_max_tiers_is_not_traced() -> None:
    cfg = {"forced_labor": {"max_tiers": 2}}
    out = ForcedLaborDetector().detect(lines(), context(CHAIN, **cfg))
    assert "FL_UPSTREAM_LISTED" not in out["reason_code"].to_list()


def test_whole_entry_chain_applies_to_every_line_and_links_by_tier() -> None:
    chain = pl.DataFrame({
        "entry_number": ["ABC-1234567-8"] * 2, "line_number": [None, None], "tier": [1, 2],
        "supplier_name": ["Alpha Mill", "Beta Ginning"], "supplier_country": ["CN", "CN"],
        "supplier_address": ["Shaoxing", "阿克苏地区 新疆"], "buyer_name": [None, None],
    })
    out = ForcedLaborDetector().detect(lines(line_number=[1, 2]), context(chain))
    up = out.filter(pl.col("reason_code") == "FL_UPSTREAM_XUAR")
    assert sorted(up["line_number"].to_list()) == [1, 2]
    item = json.loads(up["evidence"][0])["hits"][0]
    assert item["path"][1] == "tier 1: Alpha Mill (Shaoxing)" and item["path_complete"]
    assert "新疆" in item["xuar_places"]


def test_xuar_address_in_chinese_characters() -> None:
    batch = lines(line_number=[1, 2],
                  manufacturer_address=["新疆维吾尔自治区乌鲁木齐市天山区", "上海市浦东新区"])
    out = ForcedLaborDetector().detect(batch, context())
    assert out.select("line_number", "reason_code", "severity").rows() == [
        (1, "FL_XUAR_ADDRESS", "critical")
    ]
    assert "乌鲁木齐" in json.loads(out["evidence"][0])["hits"][0]["xuar_places"]


def test_traceability_only_for_priority_goods_from_at_risk_origin_without_chain() -> None:
    batch = lines(
        line_number=[1, 2, 3, 4, 5],
        hts_code=["6109.10.0012", "8471300100", "6109100012", "6109100012", "6110303010"],
        description=["MENS COTTON T-SHIRTS", "LAPTOPS", "MENS COTTON T-SHIRTS",
                     "MENS COTTON T-SHIRTS", "MENS SWEATERS 100% ACRYLIC"],
        country_of_origin=["CN", "CN", "DE", "CN", "CN"],
    )
    chain = CHAIN.with_columns(line_number=pl.lit(4)).head(1)
    out = ForcedLaborDetector().detect(batch, context(chain))
    found = out.filter(pl.col("reason_code") == "FL_NO_TRACEABILITY")
    # 1: cotton apparel from CN, no chain. 2: not a priority sector. 3: not an at-risk origin.
    # 4: chain declared. 5: man-made-fibre apparel (cotton required by default).
    assert found.select("line_number", "severity").rows() == [(1, "low")]
    assert json.loads(found["evidence"][0])["hits"][0]["sector"] == "apparel"
    relaxed = {"forced_labor": {"apparel_requires_cotton": False}}
    out_all = ForcedLaborDetector().detect(batch, context(chain, **relaxed))
    lines_all = out_all.filter(pl.col("reason_code") == "FL_NO_TRACEABILITY")["line_number"]
    assert sorted(lines_all.to_list()) == [1, 5]


def test_sector_counts_only_from_its_designation_date() -> None:
    batch = lines(line_number=[1, 2], hts_code=["7604291090"] * 2, country_of_origin=["CN"] * 2,
                  description=["ALUMINUM PROFILES"] * 2, entry_date=["2024-07-01", "2024-07-10"])
    out = ForcedLaborDetector().detect(batch, context())
    assert out.select("line_number", "reason_code").rows() == [(2, "FL_NO_TRACEABILITY")]


def test_a_lines_findings_do_not_depend_on_the_other_lines_of_the_batch() -> None:
    # Line 1 has the listed tier-3 supplier; lines 2-4 have chains of their own (one with a
    # Xinjiang address, one clean) and share addresses with line 1's suppliers.
    others = pl.concat([
        CHAIN.with_columns(line_number=pl.lit(2, dtype=pl.Int64)),
        CHAIN.head(2).with_columns(line_number=pl.lit(3, dtype=pl.Int64),
                                   supplier_address=pl.lit("Kashgar, Xinjiang")),
        CHAIN.head(1).with_columns(line_number=pl.lit(4, dtype=pl.Int64)),
    ])
    chain = pl.concat([CHAIN, others])
    batch = lines(line_number=[1, 2, 3, 4], manufacturer_address=[
        "Industriestr. 5, Koeln, Germany", "Zhejiang", "Kashgar, Xinjiang", None])
    together = ForcedLaborDetector().detect(batch, context(chain))
    for n in (1, 2, 3, 4):
        alone = ForcedLaborDetector().detect(batch.filter(pl.col("line_number") == n),
                                             context(chain.filter(pl.col("line_number") == n)))
        assert together.filter(pl.col("line_number") == n).equals(alone)
    assert {(r["line_number"], r["reason_code"]) for r in together.iter_rows(named=True)} >= {
        (1, "FL_UPSTREAM_LISTED"), (2, "FL_UPSTREAM_LISTED"), (3, "FL_UPSTREAM_XUAR"),
        (3, "FL_XUAR_ADDRESS")}
