"""MID churn: one factory that keeps taking new manufacturer identification codes.

A MID is built from the manufacturer's name, street number and city, so a factory that
respells itself or moves gets a new one; an established factory has one or two MIDs that
it declares for years. Churn is the evasion pattern: a factory (one cluster of manufacturer
records) for which several MIDs **first appear within a short window**, in numbers beyond
what factories in the same data show, so that each MID carries too little history for its
violations to catch up with it. The rule, every part configurable in :class:`ChurnRule`:

1. MIDs are compared by their stem (name letters and street number): a MID with the city
   letters cut off (``VNVIETHA1017`` for ``VNVIETHA1017HAI``) or a wrong country code
   (``XXVIETHA1017HAI``) is one MID keyed wrong, not a new one; the factory's country is
   declared on the line anyway.
2. A MID counts for the factory that declares it most (its home cluster). A MID keyed on a
   line of another factory is a data-entry error for the entry-error checks, not churn.
3. A MID is new when first declared at most ``window_days`` before the latest declaration;
   MIDs seen earlier are established and never count as churn. So is a MID first declared
   less than ``lead_days`` after the earliest declaration in the data: its age is unknown (the data
   starts just before it), and a short history would otherwise make every MID look new.
4. A factory churns when it has at least ``min_new_mids`` new MIDs and that count is
   improbable given the base rate of new MIDs per active factory in the data: Poisson
   upper tail ``P(X >= new_mids) <= alpha`` with mean = new MIDs / active factories. Where
   every MID is new (data without history) the base rate is high and nothing is raised.

The evidence names the new MIDs, how long each stayed in use and how many importers they
were spread across (a churning factory usually sells under each MID to few importers).
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.network.records import with_occurrence_defaults

# Country, then the name letters, then the street number: the city letters trail.
MID_STEM = r"^[A-Z]{2}([A-Z]+[0-9]+)"


class ChurnRule(BaseModel):
    """When a factory's MIDs count as churn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_new_mids: int = Field(3, ge=2, description="New MIDs of one factory in the window.")
    window_days: int = Field(
        180, ge=1, description="A MID first declared this close to the latest date is new.")
    alpha: float = Field(
        0.01, gt=0, lt=1, description="Poisson tail of the new-MID count against base rate.")
    lead_days: int = Field(
        90, ge=0, description="A MID first declared this close to the start of the data is "
        "of unknown age, not new.")


def mid_stem(expr: pl.Expr) -> pl.Expr:
    """The comparable part of a MID: upper-cased, punctuation out, country and city letters
    cut off."""
    mid = expr.cast(pl.String).str.to_uppercase().str.replace_all(r"[^A-Z0-9]", "")
    return pl.coalesce(mid.str.extract(MID_STEM, 1), mid)


def poisson_tail(counts: pl.Series, mean: float) -> pl.Series:
    """``P(X >= count)`` for X ~ Poisson(mean), element-wise."""
    from scipy.special import pdtrc

    values = pdtrc((counts.cast(pl.Float64) - 1).to_numpy(), max(mean, 1e-12))
    return pl.Series(counts.name, values, dtype=pl.Float64)


def mid_churn(occ: pl.DataFrame, rule: ChurnRule) -> pl.DataFrame:
    """Manufacturer clusters that churn MIDs: one row per cluster with its evidence.

    Rows may stand for several declarations (``n``, ``date`` to ``last_date``): counts are
    sums of ``n``, so folded history and declared lines give the same answer.
    """
    occ = with_occurrence_defaults(occ)
    mfr = occ.filter((pl.col("kind") == "manufacturer") & pl.col("identifier").is_not_null()
                     & pl.col("date").is_not_null())
    # A MID is declared on many lines: its stem is read once per distinct MID.
    stems = mfr.select("identifier").unique().with_columns(
        mid_stem(pl.col("identifier")).alias("stem")).filter(pl.col("stem") != "")
    mfr = mfr.join(stems, on="identifier", maintain_order="left")
    latest, earliest = occ["last_date"].max(), occ["date"].min()
    if mfr.is_empty() or latest is None or earliest is None:
        return pl.DataFrame()
    since = pl.lit(latest).cast(pl.Date) - pl.duration(days=rule.window_days)
    dated = pl.lit(earliest).cast(pl.Date) + pl.duration(days=rule.lead_days)
    home = mfr.group_by("stem", "cluster").agg(pl.col("n").sum()).sort(
        "n", "cluster", descending=[True, False]).unique("stem", keep="first").select(
        "stem", "cluster")
    mine = mfr.join(home, on=["stem", "cluster"])
    # The MID as most often keyed (ties: the first in sort order), for the evidence.
    keyed = mine.group_by("cluster", "stem", "identifier").agg(pl.col("n").sum()).sort(
        "n", "identifier", descending=[True, False]).unique(["cluster", "stem"], keep="first")
    mids = mine.group_by("cluster", "stem").agg(
        pl.col("date").min().alias("first_seen"), pl.col("last_date").max().alias("last_seen"),
        pl.col("linkage_version").first(),
    ).join(keyed.select("cluster", "stem", pl.col("identifier").alias("mid")),
           on=["cluster", "stem"]).with_columns(
        ((pl.col("first_seen") >= since) & (pl.col("first_seen") >= dated)).alias("new"))
    active = mfr.filter(pl.col("last_date") >= since)["cluster"].n_unique()
    base = mids["new"].sum() / max(active, 1)
    per_factory = mids.sort("first_seen", "mid").group_by("cluster").agg(
        pl.col("mid").filter(pl.col("new")).alias("mids"),
        pl.col("mid").filter(~pl.col("new")).alias("established"),
        pl.col("new").sum().alias("new_mids"),
        ((pl.col("last_seen") - pl.col("first_seen")).dt.total_days().filter(pl.col("new"))
         .max()).alias("longest_use_days"),
        pl.col("linkage_version").first(),
    ).filter(pl.col("new_mids") >= rule.min_new_mids)
    if per_factory.is_empty():
        return per_factory
    # Importers the new MIDs were sold to, for the few factories with enough new MIDs.
    new_mids = mids.filter(pl.col("new")).join(per_factory.select("cluster"), on="cluster")
    buyers = mine.join(new_mids.select("cluster", "stem"), on=["cluster", "stem"]).group_by(
        "cluster").agg(pl.col("importer").drop_nulls().n_unique().alias("importers"))
    per_factory = per_factory.join(buyers, on="cluster", how="left", maintain_order="left"
                                   ).with_columns(pl.col("importers").fill_null(0))
    return per_factory.with_columns(
        poisson_tail(per_factory["new_mids"], base).alias("p_value"),
        pl.lit(round(base, 4)).alias("base_rate"),
        pl.lit(rule.window_days).alias("window_days"),
    ).filter(pl.col("p_value") <= rule.alpha)
