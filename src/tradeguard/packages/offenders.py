"""Repeat offenders: senders (marketplace sellers, else shippers) with a record of violations.

Two sources, both optional and both truth-free: past package outcomes (``package_id,
discrepancy`` joined to the past packages that say who sent them), and the batch itself — a
sender whose parcels draw findings far more often than the batch as a whole (a one-sided
binomial z-score), which is how a pattern shows before any exam has confirmed it. An offender's
parcels that carry a weak sign on their own (a low price against the same goods) are raised.
"""

from __future__ import annotations

import polars as pl

from tradeguard.packages.config import PackageConfig
from tradeguard.packages.rules import empty_hits, hits_frame


def past_offenders(history: pl.DataFrame | None, outcomes: pl.DataFrame | None,
                   cfg: PackageConfig) -> pl.DataFrame:
    """Senders with at least ``offender_min_violations`` past discrepancies (``sender``,
    ``past_violations``); empty without both inputs."""
    schema = {"sender": pl.String, "past_violations": pl.UInt32}
    if history is None or outcomes is None or history.is_empty() or outcomes.is_empty():
        return pl.DataFrame(schema=schema)
    found = outcomes.select(
        pl.col("package_id").cast(pl.String),
        pl.col("discrepancy").cast(pl.String).str.to_lowercase().is_in(["true", "1", "yes"])
        .alias("bad"),
    ).filter(pl.col("bad"))
    return (history.select("package_id", "sender").join(found, on="package_id")
            .group_by("sender").agg(pl.len().cast(pl.UInt32).alias("past_violations"))
            .filter(pl.col("past_violations") >= cfg.offender_min_violations))


def repeat_offenders(batch: pl.DataFrame, hits: pl.DataFrame, past: pl.DataFrame,
                     cfg: PackageConfig) -> pl.DataFrame:
    """Findings on weak-sign parcels of senders with past violations or an in-batch pattern."""
    flagged = hits.select("package_id").unique().with_columns(pl.lit(True).alias("hit"))
    per = batch.select("package_id", "sender").join(flagged, on="package_id", how="left")
    rate = per["hit"].fill_null(False).cast(pl.Float64).mean()
    stats = per.group_by("sender").agg(
        pl.len().alias("parcels"), pl.col("hit").fill_null(False).sum().alias("with_findings"))
    p = min(max(float(rate) if isinstance(rate, float) else 0.0, 1e-6), 1 - 1e-6)
    stats = stats.with_columns(
        ((pl.col("with_findings") - pl.col("parcels") * p)
         / (pl.col("parcels") * p * (1 - p)).sqrt()).alias("z"))
    # Significance alone flags every big seller in a big batch: the rate must also be far
    # above the batch's (an effect, not just a large sample).
    pattern = stats.filter((pl.col("with_findings") >= cfg.offender_min_findings)
                           & (pl.col("z") >= cfg.offender_min_z)
                           & (pl.col("with_findings") / pl.col("parcels")
                              >= cfg.offender_min_rate_ratio * p))
    offenders = pattern.join(past, on="sender", how="full", coalesce=True).with_columns(
        pl.col("past_violations").fill_null(0), pl.col("with_findings").fill_null(0),
        pl.col("z").fill_null(0.0).round(2))
    if offenders.is_empty():
        return empty_hits()
    # A vague description alone is too common to condemn a big seller's every parcel: the
    # weak sign is a low price against the same goods.
    weak = pl.col("price_ratio") <= cfg.offender_weak_ratio
    hit = batch.filter(weak.fill_null(False)).join(
        offenders.select("sender", "past_violations", "with_findings", "z"), on="sender")
    text = pl.format("sender {} has {} past violations and {} parcels with findings in this "
                     "batch (z = {}); this parcel is low-priced too", "sender",
                     "past_violations", "with_findings", "z")
    return hits_frame(hit, "PKG_REPEAT_OFFENDER", "small_package", "medium", text,
                 ["sender", "past_violations", "with_findings", "z", "vague", "price_ratio"])
