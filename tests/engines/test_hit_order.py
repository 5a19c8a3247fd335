"""Tied screening hits give the same finding text and evidence whatever order they arrive in."""

from __future__ import annotations

import json

import polars as pl

from tradeguard.detectors.forced_labor.report import item_json, to_findings


def _hits(roles: list[str], lists: list[str], ids: list[str]) -> pl.DataFrame:
    raw = pl.DataFrame({"role": roles, "list": lists, "entity_id": ids})
    return raw.select(
        entry_number=pl.lit("E1"), line_number=pl.lit(1, dtype=pl.Int64),
        reason_code=pl.lit("WL_OFAC_SDN"), severity=pl.lit("critical"),
        text=pl.lit("Party '") + pl.col("role") + pl.lit("' matches (score 1.0)"),
        rank=pl.lit(1.0), item=item_json(role=pl.col("role"), list=pl.col("list"),
                                         entity_id=pl.col("entity_id")),
    )


def test_tied_hits_are_ordered_by_role_list_and_entity() -> None:
    roles = ["seller", "manufacturer", "seller"]
    lists = ["ofac_sdn", "ofac_sdn", "bis_mieu"]
    ids = ["NK-2", "NK-1", "NK-9"]
    forward = _hits(roles, lists, ids)
    results = {
        to_findings(hits, "watchlist", "watchlist", "1").select("text", "evidence").rows()[0]
        for hits in (forward, forward.reverse(), forward.sample(fraction=1.0, shuffle=True,
                                                                seed=3))
        for _ in range(5)
    }
    assert len(results) == 1
    text, evidence = results.pop()
    assert text.startswith("Party 'manufacturer'") and text.endswith("(and 2 more)")
    order = [(h["role"], h["list"]) for h in json.loads(evidence)["hits"]]
    assert order == [("manufacturer", "ofac_sdn"), ("seller", "bis_mieu"),
                     ("seller", "ofac_sdn")]


def test_higher_score_still_comes_first() -> None:
    hits = _hits(["seller", "manufacturer"], ["ofac_sdn", "ofac_sdn"], ["A", "B"])
    hits = hits.with_columns(rank=pl.Series([0.99, 0.9]))
    text = to_findings(hits, "watchlist", "watchlist", "1").get_column("text")[0]
    assert text.startswith("Party 'seller'")
