"""Foreign shipper clusters: one seller under several names invoicing many importers low.

Undervaluation by the seller is an operation abroad rather than one importer's error: a
trading house invoices its goods far below what the same goods are declared at by everyone
else (the rest is paid another way), under several trade names, to many buyers, so that no
single importer's declarations stand out. Line by line each low price is possible; what an
officer can state is that one seller's lines are low far more often than lines are at all.
The rule, every part configurable in :class:`ShipperRule`:

1. **Peer price.** A line's unit value (entered value over quantity) is compared with the
   past lines of the same HTS number and unit of quantity: the ``low_quantile`` (5 %) of their
   unit values is the cut, "cheaper than 95 % of what the same goods were declared at",
   where at least ``min_peer_lines`` past lines give it (a 5th percentile of fewer lines is
   the cheapest line). The empirical quantile assumes no price distribution (prices of one
   HTS number mix origins and grades; a log-normal fitted by median and MAD put the cut too
   low on such mixtures); its weakness is a scheme that makes up more than 5 % of its HTS
   number's past lines, which lowers the cut against itself. Past lines are the history (the
   fitted detector's, or the history files of ``network build``); without history, the
   declarations themselves. The network detector computes this itself from the lines it
   resolves: the valuation detector's reference prices are its own model (by origin, with
   its own trimming and versions), and a network finding should not change when that model
   is retuned.
2. **The seller** is a cluster of seller records (Splink resolves its spellings) declared
   under at least ``min_names`` names, case and punctuation aside.
3. **Its lines are low far more often than the base rate**: at least ``min_low_lines`` lines
   below the cut, at least ``min_share`` (half) of its priced lines, and a binomial upper
   tail ``P(X >= low) <= alpha`` for X ~ Binomial(priced lines, base rate), the base rate
   being the share of all priced seller lines (history and batch) below their cut. The test
   says the excess is not chance; the share says it is the seller's way of invoicing, not a
   cheap grade among its goods (a large exporter with a modest, significant excess is for
   the valuation checks line by line).
4. **Sold to several unrelated importers**: at least ``min_importers`` importer EINs (the
   first nine digits of the importer number; divisions of one firm are one buyer).

Rows may stand for several declarations (the fitted detector's folded history): each carries
``priced`` (lines with a peer price) and ``low`` (of those, below the cut) counts.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.network.violators import binomial_tail, cluster_identity

# Who sets the invoice price of a line.
PRICED_KINDS: tuple[str, ...] = ("seller",)
PEER_SCHEMA: dict[str, pl.DataType] = {"price_key": pl.String(), "low_cut": pl.Float64(),
                                       "peer_lines": pl.UInt32()}


class ShipperRule(BaseModel):
    """When a foreign seller cluster's prices make it a shipper cluster."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low_quantile: float = Field(
        0.05, gt=0, lt=0.5, description="A line below this quantile of its peers' past unit "
        "values is priced far below them.")
    min_peer_lines: int = Field(20, ge=2, description="Past lines an HTS number needs.")
    min_low_lines: int = Field(3, ge=1, description="The seller's lines below the cut.")
    min_share: float = Field(
        0.5, gt=0, le=1, description="Share of the seller's priced lines below the cut.")
    min_importers: int = Field(3, ge=1, description="Unrelated importers (EINs) it sold to.")
    min_names: int = Field(2, ge=1, description="Distinct names the seller is declared under.")
    alpha: float = Field(
        0.01, gt=0, lt=1, description="Binomial tail of the low-line count vs the base rate.")


def peer_prices(occ: pl.DataFrame, rule: ShipperRule) -> pl.DataFrame:
    """The low cut of each HTS number and unit (``price_key``) with enough past lines."""
    if "price_key" not in occ.columns:
        return pl.DataFrame(schema=PEER_SCHEMA)
    rows = occ.filter(pl.col("kind").is_in(PRICED_KINDS) & pl.col("price_key").is_not_null()
                      & (pl.col("unit_value") > 0))
    if "history" in rows.columns and rows["history"].any():
        rows = rows.filter(pl.col("history"))
    return rows.group_by("price_key").agg(
        pl.col("unit_value").quantile(rule.low_quantile, "linear").alias("low_cut"),
        pl.len().alias("peer_lines"),
    ).filter(pl.col("peer_lines") >= rule.min_peer_lines).sort("price_key").cast(
        PEER_SCHEMA)  # type: ignore[arg-type]


def with_price_flags(occ: pl.DataFrame, peers: pl.DataFrame) -> pl.DataFrame:
    """Occurrences with ``priced`` and ``low`` counts (0 or 1 for a declared line)."""
    if "price_key" not in occ.columns or peers.is_empty():
        return occ.with_columns(pl.lit(0, dtype=pl.Int64).alias("priced"),
                                pl.lit(0, dtype=pl.Int64).alias("low"))
    cut = pl.col("price_key").replace_strict(peers["price_key"], peers["low_cut"],
                                             default=None, return_dtype=pl.Float64)
    return occ.with_columns(cut.alias("_cut")).with_columns(
        (pl.col("_cut").is_not_null() & (pl.col("unit_value") > 0)).cast(pl.Int64)
        .alias("priced"),
        (pl.col("unit_value") < pl.col("_cut")).fill_null(False).cast(pl.Int64).alias("low"),
    ).drop("_cut")


def shipper_clusters(occ: pl.DataFrame, rule: ShipperRule) -> pl.DataFrame:
    """Seller clusters that pass the rule: one row per cluster with its evidence."""
    if "low" not in occ.columns:
        return pl.DataFrame()
    rows = occ.filter(pl.col("kind").is_in(PRICED_KINDS) & (pl.col("priced") > 0))
    priced, low = rows["priced"].sum(), rows["low"].sum()
    if not priced:
        return pl.DataFrame()
    base = float(low) / float(priced)
    # Sums first (cheap on every seller), the evidence only for the few with low lines.
    counts = rows.group_by("cluster").agg(
        pl.col("priced").sum().alias("lines"), pl.col("low").sum().alias("low_lines"),
    ).filter((pl.col("low_lines") >= rule.min_low_lines)
             & (pl.col("low_lines") >= rule.min_share * pl.col("lines")))
    if counts.is_empty():
        return pl.DataFrame()
    ein = pl.col("importer").str.replace_all(r"[^0-9A-Za-z]", "").str.slice(0, 9)
    found = rows.join(counts, on="cluster").group_by("cluster").agg(
        pl.col("lines").first(), pl.col("low_lines").first(),
        ein.drop_nulls().n_unique().alias("importers"),
        pl.col("importer").drop_nulls().unique().sort().alias("importer_ids"),
        *cluster_identity(),
        pl.col("price_key").filter(pl.col("low") > 0).drop_nulls().unique().sort()
        .alias("hts_units"),
    ).filter((pl.col("importers") >= rule.min_importers)
             & (pl.col("name_count") >= rule.min_names))
    if found.is_empty():
        return found
    return found.with_columns(
        binomial_tail(found["low_lines"], found["lines"], base).alias("p_value"),
        pl.lit(round(base, 4)).alias("base_rate"),
        pl.lit(f"{rule.low_quantile * 100:g}").alias("low_percent"),
    ).filter(pl.col("p_value") <= rule.alpha).sort("cluster")
