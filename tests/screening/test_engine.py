"""Batch screening against an inline watch-list frame, and the Xinjiang place matcher."""

from __future__ import annotations

import polars as pl
import pytest

from tradeguard.screening import (
    ALGORITHM_VERSION,
    ScreeningConfig,
    WatchlistIndex,
    screen_names,
    xuar_flag,
    xuar_mentioned,
)


@pytest.fixture(scope="module")
def index() -> WatchlistIndex:
    lists = pl.DataFrame(
        {
            "entity_id": ["U-1", "S-1", "S-2"],
            "list": ["uflpa", "ofac_sdn", "ofac_sdn"],
            "name": ["Hoshine Silicon Industry Co., Ltd.", "LAVROV, Sergei", "Acme Steel JSC"],
            "aliases": [["Hesheng Guiye"], [], ["Acme Metallurgical Plant"]],
            "country": ["CN", "RU", "RU"],
            "addresses": [["Shihezi, Xinjiang"], [], []],
            "entity_type": ["organization", "person", "organization"],
        }
    )
    return WatchlistIndex.build(lists, {"uflpa": "2025-01-15+abc", "ofac_sdn": "2024-05-03+def"})


def test_batch_screen_returns_explained_versioned_matches(index: WatchlistIndex) -> None:
    names = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": ["HOSHINE SILICON IND CO LTD", "Sergei Lavrov", "Blue Ocean Foods", "合盛硅业"],
        }
    )
    out = screen_names(names, index)
    assert set(out["id"]) == {"a", "b", "d"}
    row = out.filter(pl.col("id") == "a").row(0, named=True)
    assert row["entity_id"] == "U-1" and row["list"] == "uflpa"
    assert "hoshine~hoshine" in row["matched_tokens"]
    assert row["list_version"] == "2025-01-15+abc"
    assert row["algorithm"].endswith(ALGORITHM_VERSION)
    alias = out.filter(pl.col("id") == "d").row(0, named=True)
    assert alias["matched_alias"] and alias["matched_name"] == "Hesheng Guiye"


def test_country_corroboration_raises_and_contradiction_lowers(index: WatchlistIndex) -> None:
    cfg = ScreeningConfig(threshold=0.5)
    names = pl.DataFrame(
        {"id": ["cn", "us", "none"], "name": ["Hoshine Silicon Trading"] * 3,
         "country": ["CN", "US", None]}
    )
    out = screen_names(names, index, cfg).filter(pl.col("entity_id") == "U-1")
    score = dict(zip(out["id"], out["score"], strict=True))
    assert score["cn"] > score["none"] > score["us"]
    evidence = dict(zip(out["id"], out["country_evidence"], strict=True))
    assert evidence["us"].startswith("differs")


def test_address_in_same_listed_place_is_reported(index: WatchlistIndex) -> None:
    names = pl.DataFrame(
        {"id": ["x"], "name": ["Hoshine Silicon Industry"], "address": ["Shihezi, Xinjiang, China"]}
    )
    row = screen_names(names, index).row(0, named=True)
    assert row["address_evidence"].startswith("agrees")


def test_no_match_gives_no_row_and_missing_column_is_an_error(index: WatchlistIndex) -> None:
    assert screen_names(pl.DataFrame({"id": ["z"], "name": ["Nordic Timber AB"]}), index).is_empty()
    with pytest.raises(ValueError, match="name"):
        screen_names(pl.DataFrame({"id": ["z"]}), index)


def test_xuar_spellings_in_every_script() -> None:
    addresses = pl.Series(
        ["No. 8 Road, Wulumuqi", "喀什市", "Ürümqi", "Kumul city", "Hetian", "Shanghai", None]
    )
    flags = pl.select(xuar_flag(pl.lit(addresses))).to_series().to_list()
    assert flags == [True, True, True, True, True, False, False]
    assert not xuar_mentioned("Ili Road, Nairobi")


def test_misspelled_trade_word_still_matches_the_word_the_list_rewrote() -> None:
    # "Industrial" on the list becomes the token "industry"; its misspellings must follow it
    lists = pl.DataFrame({
        "entity_id": ["W-1"], "list": ["wro"],
        "name": ["Lop County Hair Product Industrial Park"], "aliases": [[]],
        "country": ["CN"], "addresses": [[]], "entity_type": ["organization"]})
    index = WatchlistIndex.build(lists, {"wro": "v1"})
    names = pl.DataFrame({"id": ["drop", "swap", "other"],
                          "name": ["Lop County Hair Product Inustrial Park",
                                   "Lop County Hair Product Indsutrial Park",
                                   "Lop County Hair Product Logistics Park"]})
    out = screen_names(names, index, ScreeningConfig(threshold=0.5))
    score = dict(zip(out["id"], out["score"], strict=True))
    assert score["drop"] == score["swap"] == 1.0
    assert "industry~industry" in out.filter(pl.col("id") == "drop")["matched_tokens"][0]
    # a different word in its place is not a misspelling of it
    assert score.get("other", 0.0) < 0.9
