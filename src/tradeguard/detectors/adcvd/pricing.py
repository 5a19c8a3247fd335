"""The price indicator: a plant's unit values are typical of the subject country, not of its
declared origin, by a rank test rather than a fixed gap.

Each line's unit value is ranked (mid-rank percentile) among history lines of the same HTS 10
and unit, once among the declared origin's and once among the subject country's. Under the null
"an ordinary plant of that origin", percentiles are uniform, so the mean of ``n`` of them has
standard deviation ``1 / sqrt(12 n)``. A plant's prices tie it to the subject country when its
mean percentile among origin peers is significantly off-centre (``|z| >= price_z_origin``),
towards the subject country's median, while among subject-country peers it is unremarkable
(``|z| < price_z_subject``). Percentiles are pooled over the plant's lines and products, so a
plant with few lines or thin peer groups cannot pass.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.adcvd.baseline import EvasionBaseline
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.indicators import INDICATOR_SCHEMA, emit
from tradeguard.detectors.adcvd.scoring import plant_key

_GROUP = ["hts10", "quantity_unit"]


def _percentile(lines: pl.DataFrame, ranked: pl.DataFrame, country: str, name: str
                ) -> pl.DataFrame:
    """Add ``name`` (mid-rank percentile of ``uv`` among history lines of ``country``)."""
    peers = ranked.rename({"origin": country})
    by = [*_GROUP, country]
    le = lines.sort("uv").join_asof(
        peers.select(*by, "uv", pl.col("rank").alias("_le")), on="uv", by=by,
        strategy="backward", check_sortedness=False)
    lt = le.sort("uv").join_asof(
        peers.select(*by, "uv", pl.col("rank").alias("_lt")), on="uv", by=by,
        strategy="backward", allow_exact_matches=False, check_sortedness=False)
    counts = peers.group_by(by).agg(pl.len().alias(f"{name}_n"))
    below, equal = pl.col("_lt").fill_null(0), pl.col("_le").fill_null(0) - pl.col(
        "_lt").fill_null(0)
    return lt.join(counts, on=by, how="inner").with_columns(
        ((below + 0.5 * equal) / pl.col(f"{name}_n")).alias(name)).drop("_le", "_lt")


def ranked_unit_values(base: EvasionBaseline) -> pl.DataFrame:
    """History unit values with their rank within (HTS 10, unit, origin): the same for every
    batch scored against one baseline, so a detector may keep it."""
    return base.unit_values.with_columns(
        pl.int_range(1, pl.len() + 1).over(*_GROUP, "origin").alias("rank"))


def price_subject(cand: pl.DataFrame, base: EvasionBaseline, cfg: AdcvdConfig,
                  ranked: pl.DataFrame | None = None) -> pl.DataFrame:
    """Lines of plants whose prices rank like the subject country's and unlike the origin's.

    ``ranked`` is :func:`ranked_unit_values` of ``base`` when the caller keeps it."""
    if base.unit_values.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    if ranked is None:
        ranked = ranked_unit_values(base)
    lines = cand.filter(pl.col("quantity") > 0).with_columns(
        (pl.col("entered_value_usd") / pl.col("quantity")).alias("uv"), plant_key())
    lines = _percentile(_percentile(lines, ranked, "origin", "pct_origin"), ranked,
                        "subject_country", "pct_subject")
    lines = lines.filter((pl.col("pct_origin_n") >= cfg.price_min_peers)
                         & (pl.col("pct_subject_n") >= cfg.price_min_peers))
    medians = base.prices.select(*_GROUP, "origin", "median_uv")
    lines = (lines.join(medians.rename({"median_uv": "origin_median"}),
                        on=[*_GROUP, "origin"], how="left")
             .join(medians.rename({"origin": "subject_country", "median_uv": "subject_median"}),
                   on=[*_GROUP, "subject_country"], how="left"))
    group = ["plant", "subject_country", "primary_case"]
    n = pl.len().over(group)
    z_origin = (pl.col("pct_origin").mean().over(group) - 0.5) * (12 * n).sqrt()
    z_subject = (pl.col("pct_subject").mean().over(group) - 0.5) * (12 * n).sqrt()
    # The subject country must be cheaper (dearer) where the plant ranks low (high).
    towards = (pl.col("subject_median") - pl.col("origin_median")).sign().median().over(group)
    tested = lines.with_columns(n.alias("priced_lines"), z_origin.alias("z_origin"),
                                z_subject.alias("z_subject"), towards.alias("towards"))
    hit = tested.filter((pl.col("priced_lines") >= cfg.price_min_lines)
                        & (pl.col("z_origin").abs() >= cfg.price_z_origin)
                        & (pl.col("z_subject").abs() < cfg.price_z_subject)
                        & (pl.col("z_origin").sign() == pl.col("towards")))
    return emit(hit, "ADCVD_EVASION_PRICE_SUBJECT", pl.col("entry_date"), {
        "unit_value": pl.col("uv").round(4), "percentile_among_origin": pl.col("pct_origin")
        .round(3), "percentile_among_subject": pl.col("pct_subject").round(3),
        "plant_lines_priced": pl.col("priced_lines"), "z_origin": pl.col("z_origin").round(2),
        "z_subject": pl.col("z_subject").round(2), "origin_median": pl.col("origin_median")
        .round(4), "subject_median": pl.col("subject_median").round(4),
        "origin_peers": pl.col("pct_origin_n"), "subject_peers": pl.col("pct_subject_n")})
