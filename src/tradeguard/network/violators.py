"""Violator clusters: a foreign operation under several names whose lines keep failing exams.

Two discrepancies in a big exporter's hundred lines are the ordinary error rate of trade;
the same two in a five-line firm that also ships under other names are an operation worth
targeting. The rule, every part configurable in :class:`ViolatorRule`:

1. Only **confirmed** discrepancies count: outcome rows with ``discrepancy`` true (an exam
   or audit found it), never other detectors' findings, which are suspicions.
2. The cluster (manufacturers, sellers and shippers resolved as one party) declares at
   least ``min_names`` distinct names and has at least ``min_discrepancies`` lines with a
   confirmed discrepancy.
3. Its share of discrepant lines is significantly above the base rate: binomial upper tail
   ``P(X >= discrepancies) <= alpha`` for X ~ Binomial(lines, base rate), where the base
   rate is discrepant lines over all foreign-party lines declared in the period the
   outcomes cover (from the earliest to the latest line that has an outcome), and the
   cluster's lines are counted over the same period. Lines rather than exams are the
   denominator: exams are targeted, so the share of exams that find something says more
   about the targeting than about the party.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

FOREIGN_KINDS: tuple[str, ...] = ("manufacturer", "seller", "shipper")


class ViolatorRule(BaseModel):
    """When a foreign party cluster counts as a violator cluster."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_discrepancies: int = Field(2, ge=1, description="Lines with confirmed discrepancies.")
    min_names: int = Field(2, ge=1, description="Distinct names declared in the cluster.")
    alpha: float = Field(
        0.05, gt=0, lt=1, description="Binomial tail of the discrepancy count vs base rate.")


def cluster_identity() -> list[pl.Expr]:
    """What names a cluster in a rule's evidence (aggregations over its rows): how many names it
    is declared under — as declared, case and punctuation aside: the normalised linkage key
    reads "Trade Co., Ltd." and "Trading Limited" as one name, yet they are two — the names,
    countries and the linkage version."""
    return [
        pl.col("name").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "").n_unique()
        .alias("name_count"),
        pl.col("name").unique().sort().alias("members"),
        pl.col("country").drop_nulls().unique().sort().alias("countries"),
        pl.col("linkage_version").first(),
    ]


def binomial_tail(successes: pl.Series, trials: pl.Series, rate: float) -> pl.Series:
    """``P(X >= successes)`` for X ~ Binomial(trials, rate), element-wise."""
    from scipy.special import bdtrc

    values = bdtrc((successes.cast(pl.Int64) - 1).to_numpy(), trials.cast(pl.Int64).to_numpy(),
                   min(max(rate, 1e-12), 1 - 1e-12))
    return pl.Series(successes.name, values, dtype=pl.Float64)


def confirmed_discrepancies(outcomes: pl.DataFrame) -> pl.DataFrame:
    """Entry lines with an outcome, and whether it confirmed a discrepancy."""
    return outcomes.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("discrepancy").cast(pl.String).str.to_lowercase().is_in(["true", "1"])
        .alias("bad")).group_by("entry_number", "line_number").agg(pl.col("bad").any())


def violator_clusters(occ: pl.DataFrame, outcomes: pl.DataFrame,
                      rule: ViolatorRule) -> pl.DataFrame:
    """Foreign party clusters that pass the rule: one row per cluster with its evidence."""
    judged = confirmed_discrepancies(outcomes)
    foreign = occ.filter(pl.col("kind").is_in(FOREIGN_KINDS)
                         & pl.col("entry_number").is_not_null()).join(
        judged, on=["entry_number", "line_number"], how="left")
    period = foreign.filter(pl.col("bad").is_not_null())
    start, end = period["date"].min(), period["date"].max()
    if start is None or end is None:
        return pl.DataFrame()
    covered = foreign.filter(pl.col("date").is_between(pl.lit(start), pl.lit(end))).with_columns(
        pl.concat_str("entry_number", pl.col("line_number").cast(pl.String), separator="#")
        .alias("line_key"), pl.col("bad").fill_null(False))
    lines = covered.select("line_key", "bad").unique("line_key")
    base = float(lines["bad"].sum()) / max(lines.height, 1)
    clusters = covered.group_by("cluster").agg(
        pl.col("line_key").filter(pl.col("bad")).n_unique().alias("discrepancies"),
        pl.col("line_key").n_unique().alias("lines"),
        *cluster_identity(),
        pl.col("entry_number").n_unique().alias("entries"),
    ).filter((pl.col("discrepancies") >= rule.min_discrepancies)
             & (pl.col("name_count") >= rule.min_names))
    if clusters.is_empty():
        return clusters
    return clusters.with_columns(
        binomial_tail(clusters["discrepancies"], clusters["lines"], base).alias("p_value"),
        pl.lit(round(base, 4)).alias("base_rate"),
    ).filter(pl.col("p_value") <= rule.alpha)
