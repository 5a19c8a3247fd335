"""Importer rings: one business spread over several importer numbers with no track record.

A CBP importer number is the firm's EIN plus a two-digit suffix, and a firm may hold several
numbers under one EIN (CBP Form 5106), one per division: an ordinary multi-division firm files
for years, and each division buys its own goods from its own suppliers (that is why it is a
division). A ring uses the same device to split **one** trade: new numbers, often under
variants of one trade name at one address, buying the same goods from the same foreign
supplier, so that no number builds a history, a penalty or bond claim hits one shell, and each
number's volume stays small. The rule, every part configurable in :class:`RingRule`:

1. The importer numbers are one party: Splink linked them by EIN root, address or name
   (the cluster), and there are at least ``min_importers`` of them.
2. They share one trade: at least ``min_importers`` of the numbers bought from one foreign
   supplier (a manufacturer or seller cluster).
3. The group has no track record: none of its numbers filed before the scored declarations
   (no history), or its first entry is at most ``new_days`` before its latest declaration.
   A group first seen less than ``lead_days`` after the earliest declaration of the data is
   of unknown age (the data starts just before it), not new, as for MID churn.

Both sides are needed: an established firm's divisions that happen to share a supplier, or
new numbers of one firm that each buy different goods, are ordinary; new numbers that split
one supplier's goods are what a ring looks like on paper.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.network.records import with_occurrence_defaults

# The foreign parties whose goods an importer buys: one of them shared is one trade.
SUPPLIER_KINDS: tuple[str, ...] = ("manufacturer", "seller")


class RingRule(BaseModel):
    """When several importer numbers of one party count as a ring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_importers: int = Field(
        2, ge=2, description="Importer numbers in the cluster, and of them buying from one "
        "foreign supplier.")
    new_days: int = Field(
        180, ge=1, description="A group whose first entry is at most this many days before "
        "the latest declaration has no track record.")
    lead_days: int = Field(
        90, ge=0, description="A group first seen this close to the start of the data is of "
        "unknown age, not new.")


def supplier_name(cluster: pl.Expr) -> pl.Expr:
    """The name part of a cluster name (the smallest record id: kind|name|address|...)."""
    return cluster.str.split("|").list.get(1, null_on_oob=True)


def importer_rings(occ: pl.DataFrame, rule: RingRule) -> pl.DataFrame:
    """Importer clusters that pass the rule: one row per cluster with its evidence.

    Rows may stand for several declarations (folded history): the dates read are the first
    (``date``) and last (``last_date``) of each row.
    """
    occ = with_occurrence_defaults(occ)
    imp = occ.filter(pl.col("kind") == "importer")
    latest, earliest = occ["last_date"].max(), occ["date"].min()
    if imp.is_empty() or latest is None or earliest is None:
        return pl.DataFrame()
    # Most clusters hold one number: count first, gather the evidence of the few others.
    several = imp.group_by("cluster").agg(pl.col("identifier").n_unique().alias("k")).filter(
        pl.col("k") >= rule.min_importers).select("cluster")
    if several.is_empty():
        return pl.DataFrame()
    members = imp.join(several, on="cluster")
    numbers = members.select("cluster", "identifier").unique()
    supplies = occ.filter(pl.col("kind").is_in(SUPPLIER_KINDS)
                          & pl.col("importer").is_in(numbers["identifier"].implode())).select(
        pl.col("cluster").alias("supplier"), "importer").unique()
    shared = numbers.join(supplies, left_on="identifier", right_on="importer").group_by(
        "cluster", "supplier").agg(pl.col("identifier").n_unique().alias("numbers")).filter(
        pl.col("numbers") >= rule.min_importers).group_by("cluster").agg(
        pl.col("numbers").max().alias("sharing_numbers"),
        supplier_name(pl.col("supplier")).unique().sort().alias("shared_suppliers"))
    since = pl.lit(latest).cast(pl.Date) - pl.duration(days=rule.new_days)
    dated = pl.lit(earliest).cast(pl.Date) + pl.duration(days=rule.lead_days)
    has_history = (pl.col("history").any() if "history" in members.columns
                   else pl.lit(False)).alias("has_history")
    groups = members.group_by("cluster").agg(
        pl.col("identifier").unique().sort().alias("importer_ids"),
        pl.col("name").drop_nulls().unique().sort().alias("names"),
        pl.col("address").drop_nulls().unique().sort().alias("addresses"),
        pl.col("date").min().alias("first_entry"),
        has_history,
        pl.col("linkage_version").first(),
    ).join(shared, on="cluster")
    new = ~pl.col("has_history") | ((pl.col("first_entry") >= since)
                                    & (pl.col("first_entry") >= dated))
    return groups.filter(new).with_columns(
        (pl.lit(latest).cast(pl.Date) - pl.col("first_entry")).dt.total_days()
        .alias("days_filing"),
        pl.col("first_entry").cast(pl.String)).sort("cluster")
