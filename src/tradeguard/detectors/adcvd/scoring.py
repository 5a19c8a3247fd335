"""Combine evasion indicators into one score per plant and order, so weak signals never flag
alone.

Evasion is a plant's (or a trading company's) practice, not one shipment's, so indicators are
pooled over all in-scope lines of one manufacturer (MID, else normalised name) for one
subject country and order family: the score is the summed weight of the distinct indicators,
and every line of the plant carries it. A plant is reported when the score reaches
``min_score`` with at least ``min_indicators`` indicators, including (by default) ties to the
subject country and a change on the supply side (``LINK_INDICATORS``, ``SUPPLY_CHANGE_KINDS``:
new plant, surge). The ties must be worth ``min_link_score`` (one strong tie or two weak ones),
unless the tie is a tested one (``TESTED_TIES``: the price rank test) and the plant shows
``weak_link_min_changes`` kinds of supply change, or the origin is a documented route
(``ROUTE_TIES``, worth nothing towards ``min_link_score``), the plant's start-up shipments are
implausible and it shows ``weak_link_min_changes`` kinds of change in all (``CHANGE_KINDS``: new
plant, surge, importers new to the merchandise).
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.adcvd.config import (
    CHANGE_KINDS,
    LINK_INDICATORS,
    ROUTE_TIES,
    SUPPLY_CHANGE_KINDS,
    TESTED_TIES,
    AdcvdConfig,
)

SCORE_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "subject_country": pl.String(),
    "primary_case": pl.String(), "plant": pl.String(), "score": pl.Float64(),
    "indicators": pl.List(pl.String()), "severity": pl.String(), "reported": pl.Boolean(),
}
_PAIR = ["entry_number", "line_number", "subject_country", "primary_case"]


def plant_key() -> pl.Expr:
    """The manufacturer a line is pooled under: MID, else normalised name, else the line."""
    return pl.coalesce("mid_key", "name_key", pl.concat_str(
        [pl.col("entry_number"), pl.col("line_number").cast(pl.String)], separator="#")
    ).alias("plant")


def score_lines(indicators: pl.DataFrame, candidates: pl.DataFrame, cfg: AdcvdConfig
                ) -> pl.DataFrame:
    """Per line: best subject country, its plant score, indicator codes, severity, reported."""
    if indicators.height == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    weights = pl.DataFrame({"reason_code": list(cfg.weights),
                            "weight": list(cfg.weights.values())})
    lines = candidates.select(*_PAIR, plant_key()).unique(_PAIR)
    group = ["plant", "subject_country", "primary_case"]
    size = lines.group_by(group).agg(pl.len().alias("plant_lines"))
    # An indicator counts for the plant when it holds on at least ``min_line_share`` of the
    # plant's lines: a few cheap or switched shipments do not make a plant suspect.
    # A line's plant follows from its pair: each (pair, indicator) counts once.
    held = (indicators.select(*_PAIR, "reason_code").unique()
            .join(lines, on=_PAIR, how="inner")
            .group_by(*group, "reason_code").agg(pl.len().alias("hits"))
            .join(size, on=group)
            .filter(pl.col("hits") >= cfg.min_line_share * pl.col("plant_lines")))
    kind = pl.col("kind")
    per_plant = (held.select(*group, "reason_code")
                 .join(weights, on="reason_code", how="left")
                 .with_columns(pl.col("reason_code").replace_strict(
                     CHANGE_KINDS, default=None, return_dtype=pl.String).alias("kind"))
                 .group_by(group)
                 .agg(pl.col("weight").fill_null(0.0).sum().alias("score"),
                      pl.col("weight").filter(pl.col("reason_code").is_in(
                          sorted(LINK_INDICATORS - ROUTE_TIES))).sum().alias("link_score"),
                      kind.drop_nulls().n_unique().alias("change_kinds"),
                      kind.filter(kind.is_in(sorted(SUPPLY_CHANGE_KINDS))).n_unique()
                      .alias("supply_change_kinds"),
                      pl.col("reason_code").sort().alias("indicators")))
    # A new plant's volume already says it is new: count the stronger of the two only.
    nested = (pl.col("indicators").list.contains("ADCVD_EVASION_NEW_PLANT_VOLUME")
              & pl.col("indicators").list.contains("ADCVD_EVASION_NEW_MANUFACTURER"))
    per_plant = per_plant.with_columns(pl.when(nested).then(
        pl.col("score") - cfg.weights.get("ADCVD_EVASION_NEW_MANUFACTURER", 0.0))
        .otherwise(pl.col("score")).alias("score"))
    n = pl.col("indicators").list.len()
    link = pl.col("indicators").list.eval(pl.element().is_in(sorted(LINK_INDICATORS))).list
    reported = (pl.col("score") >= cfg.min_score) & (n >= cfg.min_indicators)
    if cfg.require_link_and_change:
        tested = pl.col("indicators").list.eval(pl.element().is_in(sorted(TESTED_TIES))).list
        route = pl.col("indicators").list.eval(pl.element().is_in(sorted(ROUTE_TIES))).list
        implausible = pl.col("indicators").list.contains("ADCVD_EVASION_NEW_PLANT_VOLUME")
        enough_ties = ((pl.col("link_score") >= cfg.min_link_score)
                       | (tested.any()
                          & (pl.col("supply_change_kinds") >= cfg.weak_link_min_changes))
                       | (route.any() & implausible
                          & (pl.col("change_kinds") >= cfg.weak_link_min_changes)))
        reported = (reported & link.any() & (pl.col("supply_change_kinds") >= 1)
                    & enough_ties)
    severity = pl.when(pl.col("score") >= cfg.high_score).then(pl.lit("high")).otherwise(
        pl.lit("medium"))
    scored = per_plant.with_columns(severity.alias("severity"), reported.alias("reported"))
    best = (lines.join(scored, on=group, how="inner")
            .sort(["reported", "score", "subject_country"], descending=[True, True, False])
            .unique(["entry_number", "line_number"], keep="first"))
    return best.select([pl.col(c).cast(t) for c, t in SCORE_SCHEMA.items()]).sort(
        "entry_number", "line_number")
