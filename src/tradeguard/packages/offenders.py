"""Repeat offenders: senders (marketplace sellers, else shippers) with a record of violations.

The evidence is what an agency keeps about a sender, in order of weight:

1. Confirmed violations: past parcels of the sender examined with a discrepancy (package
   outcomes joined to the past packages that say who sent them). Exams are mostly targeted,
   so the hit rate among examined parcels is far above the share of bad parcels, and a fixed
   share would name every big seller. A sender is an offender when its hit rate is far above
   that of the other senders: a one-sided binomial test, Benjamini-Hochberg across senders
   (``offender_violation_fdr``), at least ``offender_min_violations`` violations and a rate
   ``offender_min_violation_ratio`` times the others'. When the outcomes carry ``selection``,
   only ``random`` exams count (see :func:`_exam_record`).
2. Prior findings: past parcels of the sender that the same rules flag (under-valued, vague,
   HTS or origin contradicting the goods, split). A sender is an offender when its flagged
   share is far above that of all past parcels: significant (one-sided binomial z-score) and
   a large effect (a multiple of the base rate), with a minimum count.
3. The batch itself, by the same test, which is how a pattern shows before any history exists.

An offender's parcels that carry a weak sign on their own (a low price against the same goods)
are raised, with the record that made the sender an offender as evidence.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tradeguard.packages.config import PackageConfig
from tradeguard.packages.rules import empty_hits, hits_frame
from tradeguard.packages.significance import benjamini_hochberg, binomial_excess_p

PAST_SCHEMA: dict[str, pl.DataType] = {
    "sender": pl.String(), "past_parcels": pl.UInt32(), "past_exams": pl.UInt32(),
    "past_violations": pl.UInt32(), "past_flagged": pl.UInt32(),
}
_TRUE = ["true", "1", "yes", "y", "t"]


def _flag(frame: pl.DataFrame, column: str, default: bool) -> pl.Expr:
    """A yes/no column as booleans; ``default`` where the column or the value is absent."""
    if column not in frame.columns:
        return pl.lit(default)
    return pl.col(column).cast(pl.String).str.to_lowercase().is_in(_TRUE).fill_null(default)


def package_outcomes(outcomes: pl.DataFrame) -> pl.DataFrame:
    """Outcomes keyed by ``package_id`` (or, in the contract's outcomes form, the package id in
    ``entry_number``) with ``examined`` (true when the column is absent) and ``discrepancy``."""
    key = "package_id" if "package_id" in outcomes.columns else "entry_number"
    if key not in outcomes.columns or "discrepancy" not in outcomes.columns:
        raise ValueError("package outcomes need package_id (or entry_number) and discrepancy")
    selection = (pl.col("selection").cast(pl.String).str.to_lowercase()
                 if "selection" in outcomes.columns else pl.lit(None, dtype=pl.String))
    frame = outcomes.select(
        pl.col(key).cast(pl.String).alias("package_id"),
        _flag(outcomes, "examined", default=True).alias("examined"),
        _flag(outcomes, "discrepancy", default=False).alias("bad"),
        selection.alias("selection"),
    ).group_by("package_id").agg(
        pl.col("examined").any(), pl.col("bad").any(),
        # One random exam is enough for the parcel to be part of the random sample.
        pl.when((pl.col("selection") == "random").any()).then(pl.lit("random"))
        .otherwise(pl.col("selection").drop_nulls().first()).alias("selection"))
    return frame if "selection" in outcomes.columns else frame.drop("selection")


def _significant(per: pl.DataFrame, count: str, total: str, cfg: PackageConfig) -> pl.Expr:
    """Senders whose ``count`` of ``total`` parcels is far above the frame's overall rate."""
    rate = per[count].sum() / max(int(per[total].sum()), 1)
    p = min(max(float(rate), 1e-6), 1 - 1e-6)
    z = (pl.col(count) - pl.col(total) * p) / (pl.col(total) * p * (1 - p)).sqrt()
    # Significance alone flags every big seller in a big batch: the rate must also be far
    # above the overall one (an effect, not just a large sample).
    return ((pl.col(count) >= cfg.offender_min_findings) & (z >= cfg.offender_min_z)
            & (pl.col(count) / pl.col(total) >= cfg.offender_min_rate_ratio * p))


def _exam_record(per: pl.DataFrame) -> pl.DataFrame:
    """Per sender: examined parcels and confirmed violations, from random-sample exams only
    when the outcomes say how each parcel was chosen.

    Targeted exams pick the parcels that look wrong, so their hit rate says how good the
    targeting is, not how often a sender errs; a sender the targeting favours would look worse
    than it is. A random sample is the fair yardstick, so when ``selection`` is given only
    exams marked ``random`` count; without it every exam counts and the test compares each
    sender with the overall hit rate among examined parcels, which the targeting shares.
    """
    sampled = pl.col("examined").fill_null(False)
    if "selection" in per.columns:
        sampled = sampled & (pl.col("selection") == "random")
    return per.group_by("sender").agg(
        pl.len().cast(pl.UInt32).alias("past_parcels"),
        sampled.sum().cast(pl.UInt32).alias("past_exams"),
        (sampled & pl.col("bad").fill_null(False)).sum().cast(pl.UInt32)
        .alias("past_violations"),
        pl.col("flagged").fill_null(False).sum().cast(pl.UInt32).alias("past_flagged"),
    )


def excess_violations(stats: pl.DataFrame, cfg: PackageConfig) -> pl.Series:
    """Senders whose confirmed violations among examined parcels are far above the hit rate
    of every other sender's exams.

    A one-sided binomial test per sender against the others' rate (the sender itself left
    out: a large offender would otherwise raise the yardstick it is measured by),
    Benjamini-Hochberg across the senders that could reach the minimum count, that minimum,
    and a rate a multiple of the others' (a big seller with thousands of exams is not an
    offender for being a little worse than average).
    """
    exams = stats["past_exams"].cast(pl.Float64).to_numpy()
    bad = stats["past_violations"].cast(pl.Float64).to_numpy()
    others = (bad.sum() - bad) / np.maximum(exams.sum() - exams, 1.0)
    family = (exams >= cfg.offender_min_violations) & (others > 0)
    named = np.zeros(stats.height, dtype=bool)
    if family.any():
        k, n, rate = bad[family], exams[family], others[family]
        q = benjamini_hochberg(binomial_excess_p(k, n, rate))
        named[family] = ((q <= cfg.offender_violation_fdr)
                         & (k >= cfg.offender_min_violations)
                         & (k >= cfg.offender_min_violation_ratio * rate * n))
    return pl.Series("confirmed", named)


def past_offenders(history: pl.DataFrame | None, outcomes: pl.DataFrame | None,
                   past_hits: pl.DataFrame | None, cfg: PackageConfig) -> pl.DataFrame:
    """Senders with significantly many confirmed past violations or a record of flagged past
    parcels (:data:`PAST_SCHEMA`); empty without history."""
    if history is None or history.is_empty():
        return pl.DataFrame(schema=PAST_SCHEMA)
    per = history.select("package_id", "sender").unique("package_id")
    if outcomes is not None and not outcomes.is_empty():
        per = per.join(package_outcomes(outcomes), on="package_id", how="left")
    else:
        per = per.with_columns(pl.lit(None, dtype=pl.Boolean).alias("examined"),
                               pl.lit(None, dtype=pl.Boolean).alias("bad"))
    flagged = (past_hits.select("package_id").unique() if past_hits is not None
               else pl.DataFrame(schema={"package_id": pl.String}))
    per = per.join(flagged.with_columns(pl.lit(True).alias("flagged")), on="package_id",
                   how="left")
    stats = _exam_record(per)
    confirmed = excess_violations(stats, cfg)
    record = _significant(stats, "past_flagged", "past_parcels", cfg)
    return stats.filter(confirmed | record).select(list(PAST_SCHEMA))


def repeat_offenders(batch: pl.DataFrame, hits: pl.DataFrame, past: pl.DataFrame,
                     cfg: PackageConfig) -> pl.DataFrame:
    """Findings on weak-sign parcels of senders with a past record or an in-batch pattern."""
    flagged = hits.select("package_id").unique().with_columns(pl.lit(True).alias("hit"))
    stats = batch.select("package_id", "sender").join(flagged, on="package_id",
                                                      how="left").group_by("sender").agg(
        pl.len().alias("parcels"), pl.col("hit").fill_null(False).sum().alias("with_findings"))
    pattern = stats.filter(_significant(stats, "with_findings", "parcels", cfg))
    offenders = pattern.join(past, on="sender", how="full", coalesce=True).with_columns(
        pl.col(c).fill_null(0) for c in (*list(PAST_SCHEMA)[1:], "with_findings"))
    if offenders.is_empty():
        return empty_hits()
    # A vague description alone is too common to condemn a big seller's every parcel: the
    # weak sign is a low price against the same goods.
    weak = pl.col("price_ratio") <= cfg.offender_weak_ratio
    hit = batch.filter(weak.fill_null(False)).join(
        offenders.select("sender", *list(PAST_SCHEMA)[1:], "with_findings"), on="sender")
    text = pl.format(
        "sender {} has {} past violations in {} examined parcels, {} of {} past parcels with "
        "findings and {} parcels with findings in this batch; this parcel is low-priced too "
        "({}% of the median of the same goods)", "sender", "past_violations", "past_exams",
        "past_flagged", "past_parcels", "with_findings", (pl.col("price_ratio") * 100).round(1))
    return hits_frame(hit, "PKG_REPEAT_OFFENDER", "small_package", "medium", text,
                      ["sender", *list(PAST_SCHEMA)[1:], "with_findings", "vague",
                       "price_ratio"])
