"""Watch-listed shippers: each distinct (shipper, country) screened once against the lists."""

from __future__ import annotations

import polars as pl

from tradeguard.packages.rules import empty_hits, hits_frame
from tradeguard.screening import ScreeningConfig, WatchlistIndex, screen_names


def watchlisted_shippers(batch: pl.DataFrame, index: WatchlistIndex,
                         config: ScreeningConfig | None = None) -> pl.DataFrame:
    """Parcels whose shipper name matches a listed party (category ``watchlist``)."""
    shippers = batch.select(
        pl.col("shipper_name").alias("name"), pl.col("shipper_country").alias("country")
    ).unique().drop_nulls("name").with_columns(
        pl.concat_str([pl.col("name"), pl.col("country").fill_null("")], separator="|")
        .alias("id"))
    if shippers.is_empty():
        return empty_hits()
    matches = screen_names(shippers, index, config)
    if matches.is_empty():
        return empty_hits()
    best = matches.sort("score", descending=True).unique("id", keep="first")
    hit = batch.with_columns(
        pl.concat_str([pl.col("shipper_name"), pl.col("shipper_country").fill_null("")],
                      separator="|").alias("id")
    ).join(best, on="id")
    text = pl.format("shipper '{}' matches {} entry '{}' (score {}): {}", "shipper_name",
                     "list", "matched_name", "score", "explanation")
    return hits_frame(hit, "PKG_WATCHLISTED_SHIPPER", "watchlist", "critical", text,
                 ["list", "entity_id", "matched_name", "score", "list_version", "algorithm"])
