"""Profile hit rates from exam outcomes, with Wilson confidence intervals.

Hit rate = discrepancies found / lines examined, among the lines a profile hit. It is only
observed where someone examined, and small counts mislead, so each rate carries a Wilson score
interval (sound near 0 and 1 and for small n, unlike the normal approximation).
An outcome without a line number covers every line of its entry; a line-level outcome wins
over its entry's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from tradeguard.rules._lines import parse_column

Z95 = 1.959963984540054

HIT_RATE_SCHEMA: dict[str, pl.DataType] = {
    "profile_id": pl.String(),
    "lines_hit": pl.Int64(),
    "examined": pl.Int64(),
    "discrepancies": pl.Int64(),
    "hit_rate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n`` (NaNs when n is 0)."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _wilson_exprs(k: pl.Expr, n: pl.Expr, z: float) -> tuple[pl.Expr, pl.Expr]:
    nf, p = n.cast(pl.Float64), k.cast(pl.Float64) / n.cast(pl.Float64)
    denom = 1 + z * z / nf
    centre = (p + z * z / (2 * nf)) / denom
    half = z * (p * (1 - p) / nf + z * z / (4 * nf * nf)).sqrt() / denom
    ok = n > 0
    low = pl.when(ok).then(pl.max_horizontal(centre - half, pl.lit(0.0)))
    high = pl.when(ok).then(pl.min_horizontal(centre + half, pl.lit(1.0)))
    return low, high


def _typed_outcomes(outcomes: pl.DataFrame) -> pl.DataFrame:
    exprs = [
        parse_column(outcomes, "entry_number", "text", "outcomes"),
        parse_column(outcomes, "examined", "bool", "outcomes"),
        parse_column(outcomes, "discrepancy", "bool", "outcomes"),
    ]
    if "line_number" in outcomes.columns:
        exprs.append(parse_column(outcomes, "line_number", "int", "outcomes"))
    else:
        exprs.append(pl.lit(None, dtype=pl.Int64).alias("line_number"))
    return outcomes.select(exprs).with_columns(
        pl.col("examined").fill_null(False),
        (pl.col("examined") & pl.col("discrepancy")).fill_null(False).alias("discrepancy"),
    )


def hit_rates(
    hits: pl.DataFrame, outcomes: pl.DataFrame, profile_ids: Sequence[str], z: float = Z95
) -> pl.DataFrame:
    """Per profile: lines hit, examined, discrepancies, hit rate and its Wilson interval.

    ``hits`` is ``RuleEvaluation.hits``; ``outcomes`` has the contract's outcomes columns.
    Every id in ``profile_ids`` gets a row, so a profile that never hit shows zero.
    """
    typed = _typed_outcomes(outcomes)
    agg = [pl.col("examined").any(), pl.col("discrepancy").any()]
    by_line = (
        typed.filter(pl.col("line_number").is_not_null())
        .group_by("entry_number", "line_number")
        .agg(agg)
    )
    by_entry = (
        typed.filter(pl.col("line_number").is_null())
        .group_by("entry_number")
        .agg(agg)
        .rename({"examined": "e_examined", "discrepancy": "e_discrepancy"})
    )
    joined = (
        hits.join(by_line, on=["entry_number", "line_number"], how="left")
        .join(by_entry, on="entry_number", how="left")
        .with_columns(
            pl.coalesce("examined", "e_examined", pl.lit(False)).alias("examined"),
            pl.coalesce("discrepancy", "e_discrepancy", pl.lit(False)).alias("discrepancy"),
        )
    )
    counts = joined.group_by("profile_id").agg(
        pl.len().alias("lines_hit"),
        pl.col("examined").sum().alias("examined"),
        (pl.col("examined") & pl.col("discrepancy")).sum().alias("discrepancies"),
    )
    base = pl.DataFrame({"profile_id": list(profile_ids)}, schema={"profile_id": pl.String})
    table = base.join(counts, on="profile_id", how="left").with_columns(
        pl.col("lines_hit", "examined", "discrepancies").fill_null(0).cast(pl.Int64)
    )
    k, n = pl.col("discrepancies"), pl.col("examined")
    low, high = _wilson_exprs(k, n, z)
    return table.with_columns(
        pl.when(n > 0).then(k / n).alias("hit_rate"), low.alias("ci_low"), high.alias("ci_high")
    ).select([pl.col(c).cast(t) for c, t in HIT_RATE_SCHEMA.items()])
