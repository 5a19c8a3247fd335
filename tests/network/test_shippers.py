"""The foreign shipper cluster rule: on inline, already clustered seller lines, and through
the fitted ``network`` detector and ``network build`` on declarations."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext
from tradeguard.network import build_network
from tradeguard.network.detector import NetworkDetector
from tradeguard.network.shippers import (
    ShipperRule,
    peer_prices,
    shipper_clusters,
    with_price_flags,
)
from tradeguard.pipeline.run import declarations
from tradeguard.refdata import load_reference_data

LATEST = date(2026, 9, 30)
SWEATERS = "6110303010|DOZ"
RICHWAY = ["Richway Trading Limited", "Richway Trade Co., Ltd.", "RICHWAY INTL TRADING LTD"]


def spread(i: int) -> float:
    """Ordinary unit values: 7 to 13 dollars, spread evenly."""
    return 7.0 + 6.0 * ((i * 7) % 20) / 19


def seller_lines(cluster: str, names: list[str], importers: list[str], values: list[float], *,
                 history: bool = False, key: str = SWEATERS) -> pl.DataFrame:
    """Seller occurrences of one cluster: line i under names[i], sold to importers[i]."""
    n = len(values)
    tag = "H" if history else "N"
    return pl.DataFrame({
        "kind": "seller", "cluster": cluster,
        "name": [names[i % len(names)] for i in range(n)],
        "importer": [importers[i % len(importers)] for i in range(n)],
        "country": "HK", "price_key": key, "unit_value": values, "history": history,
        "entry_number": [f"{cluster}-{tag}{i}" for i in range(n)], "line_number": 1,
        "date": [LATEST - timedelta(days=(200 if history else 20) - i) for i in range(n)],
        "linkage_version": "v1"})


def buyers(k: int, start: int = 0) -> list[str]:
    return [f"{20 + start + i}-{3000000 + i}00" for i in range(k)]


def market(current: float = 1.0) -> list[pl.DataFrame]:
    """Forty one-name sellers: ten past lines and three current lines each (current prices
    times ``current``), to importers of their own."""
    return [part for c in range(40) for part in (
        seller_lines(f"S{c}", [f"Seller {c} Ltd"], buyers(3, c), [spread(c + i)
                     for i in range(10)], history=True),
        seller_lines(f"S{c}", [f"Seller {c} Ltd"], buyers(3, c),
                     [current * spread(c + i) for i in range(3)]))]


def judged(parts: list[pl.DataFrame], rule: ShipperRule | None = None) -> pl.DataFrame:
    occ = pl.concat(parts)
    cfg = rule or ShipperRule()
    return shipper_clusters(with_price_flags(occ, peer_prices(occ, cfg)), cfg)


def test_a_seller_under_several_names_invoicing_many_importers_low_is_raised() -> None:
    richway = seller_lines("R", RICHWAY, buyers(6, 60), [4.0, 4.5, 5.0, 5.5, 4.2, 3.9])
    found = judged([*market(), richway])
    assert found["cluster"].to_list() == ["R"]
    row = found.row(0, named=True)
    assert (row["low_lines"], row["lines"], row["importers"]) == (6, 6, 6)
    assert row["members"] == sorted(RICHWAY) and row["hts_units"] == [SWEATERS]
    # The base rate is what the data shows: past lines are at or above their own 5 % cut,
    # current ordinary lines low at the same rate.
    assert 0 < row["base_rate"] < 0.1 and row["p_value"] < 1e-5


def test_one_buyer_or_one_name_is_not_a_network() -> None:
    # Every line to divisions of one firm (one EIN): a matter of that importer's valuation.
    one_firm = [f"12-3456789{j:02d}" for j in range(6)]
    low = [4.0, 4.5, 5.0, 5.5, 4.2, 3.9]
    assert judged([*market(), seller_lines("R", RICHWAY, one_firm, low)]).is_empty()
    # One name only: a cheap seller, for the valuation checks, not an operation under names.
    single = seller_lines("R", ["Richway Trading Limited"], buyers(6, 60), low)
    assert judged([*market(), single]).is_empty()
    assert judged([*market(), single], ShipperRule(min_names=1))["cluster"].to_list() == ["R"]


def test_low_lines_count_against_the_base_rate_of_the_market() -> None:
    # Three of five lines low: improbable where 5 % of lines are low ...
    richway = seller_lines("R", RICHWAY, buyers(5, 60), [4.0, 4.5, 10.0, 5.0, 11.0])
    assert judged([*market(), richway])["cluster"].to_list() == ["R"]
    # ... ordinary when this season's prices fell across the market and half the lines are.
    fell = judged([*market(current=0.55), richway])
    assert fell.is_empty()
    flags = pl.concat([*market(current=0.55), richway])
    rows = with_price_flags(flags, peer_prices(flags, ShipperRule()))
    assert rows["low"].sum() / rows["priced"].sum() > 0.2


def test_a_large_seller_with_a_few_low_lines_is_not_raised() -> None:
    values = [3.0 if i % 12 == 0 else spread(i) for i in range(60)]  # 5 low of 60
    big = seller_lines("B", ["Big Group Co Ltd", "Big Group JSC"], buyers(20, 60), values)
    assert judged([*market(), big]).is_empty()


def test_goods_without_enough_past_prices_are_not_judged() -> None:
    rare = "8543709960|NO"
    past = seller_lines("P", ["Peer Ltd"], buyers(3), [spread(i) for i in range(12)],
                        history=True, key=rare)
    richway = seller_lines("R", RICHWAY, buyers(6, 60), [4.0] * 6, key=rare)
    assert judged([*market(), past, richway]).is_empty()
    assert judged([*market(), past, richway],
                  ShipperRule(min_peer_lines=10))["cluster"].to_list() == ["R"]


def test_peer_prices_come_from_the_history_when_there_is_one() -> None:
    richway = seller_lines("R", RICHWAY, buyers(6, 60), [1.0] * 6)
    with_history = pl.concat([*market(), richway])
    past_only = pl.concat(market()).filter(pl.col("history"))
    assert peer_prices(with_history, ShipperRule()).equals(
        peer_prices(past_only, ShipperRule()))
    # Without history the declarations are their own peers.
    current = with_history.filter(~pl.col("history"))
    cut = peer_prices(current, ShipperRule())["low_cut"][0]
    assert cut < peer_prices(past_only, ShipperRule())["low_cut"][0]


# ---- through the fitted detector and ``network build``

AS_OF = date(2026, 9, 30)
TRADE = ["Apex", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Indigo",
         "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz",
         "Raven", "Sable", "Tundra"]


def declared(rows: list[tuple[str, str, str, float, int]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(entry, importer word, seller, unit value, days ago) as entries and lines files."""
    frame = pl.DataFrame(rows, orient="row", schema={
        "entry_number": pl.String, "buyer": pl.String, "seller_name": pl.String,
        "unit": pl.Float64, "ago": pl.Int64})
    entries = frame.select(
        "entry_number",
        (pl.lit(AS_OF) - pl.duration(days=pl.col("ago"))).cast(pl.Date).cast(pl.String)
        .alias("entry_date"),
        pl.format("{}-{}00", pl.col("buyer").str.len_chars() + 10,
                  pl.col("buyer").str.to_uppercase().str.encode("hex").str.slice(0, 7))
        .alias("importer_id"),
        pl.format("{} Imports Inc.", "buyer").alias("importer_name"),
        pl.format("{} Main St, Reno, NV 89501", pl.col("buyer").str.len_chars() * 10 + 1)
        .alias("importer_address"))
    lines = frame.select(
        "entry_number", pl.lit("1").alias("line_number"),
        pl.lit("6110303010").alias("hts_code"), pl.lit("100").alias("quantity"),
        pl.lit("DOZ").alias("quantity_unit"),
        (pl.col("unit") * 100).round(2).cast(pl.String).alias("entered_value_usd"),
        pl.format("{} Knitting Co Ltd", pl.col("seller_name").str.split(" ").list.first())
        .alias("manufacturer_name"),
        pl.lit("CN").alias("manufacturer_country"), "seller_name",
        pl.lit("HK").alias("seller_country"))
    return entries, lines


def trade(ago: list[int], tag: str) -> list[tuple[str, str, str, float, int]]:
    """Twenty importers buying sweaters from twenty sellers at ordinary prices."""
    return [(f"{tag}{i}-{a}", w, f"{TRADE[-1 - i]} Export Ltd", spread(i + a), a)
            for i, w in enumerate(TRADE) for a in ago]


@pytest.fixture(scope="module")
def ctx() -> DetectionContext:
    return DetectionContext(ref=load_reference_data(), as_of=AS_OF)


def test_the_detector_and_network_build_raise_a_seller_cluster_under_its_spellings(
        ctx: DetectionContext) -> None:
    past = declared(trade([300, 250, 200, 150, 100], "H"))
    scheme = [(f"RW-{i}", TRADE[i], RICHWAY[i % 3], 3.5 + 0.4 * i, 8 + i) for i in range(5)]
    now = declared([*trade([30, 5], "N"), *scheme])
    detector = NetworkDetector()
    detector.fit(declarations(*past), ctx)
    found = detector.detect(declarations(*now), ctx).filter(
        pl.col("reason_code") == "NET_SHIPPER_CLUSTER")
    assert sorted(found["entry_number"].to_list()) == [f"RW-{i}" for i in range(5)]
    assert (found["category"] == "network").all()
    text = found["text"][0]
    assert "3 names in HK" in text and "5 of its 5 priced lines" in text
    assert "5 unrelated importers" in text
    assert not found["text"].str.contains("(?i)richway|apex|imports").any()
    evidence = found["evidence"].str.json_decode().struct.unnest()
    assert sorted(evidence["members"][0]) == sorted(RICHWAY)
    assert evidence["importer_ids"][0].len() == 5
    built = build_network(*now, history_entries=past[0], history_lines=past[1]).findings
    keys = ["entry_number", "line_number", "reason_code"]
    assert found.select(keys).sort(keys).equals(
        built.filter(pl.col("reason_code") == "NET_SHIPPER_CLUSTER").select(keys).sort(keys))
    # The same sellers at ordinary prices raise nothing.
    fair = [(e, b, s, spread(i), a) for i, (e, b, s, _, a) in enumerate(scheme)]
    assert detector.detect(declarations(*declared([*trade([30, 5], "N"), *fair])), ctx
                           ).filter(pl.col("reason_code") == "NET_SHIPPER_CLUSTER").is_empty()
