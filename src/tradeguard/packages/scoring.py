"""Score a batch of small packages: run every rule, combine reasons, assign lanes.

Reasons combine as independent evidence (``1 - prod(1 - weight)``), so two medium reasons
outweigh one, and a watch-list hit alone sends a parcel to red. Findings keep the findings
schema: the ``package_id`` goes in ``entry_number`` and ``line_number`` is null (a package has
no lines); the evidence names the record kind (``"record": "package"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA, conform
from tradeguard.packages.config import RULES_NAME, PackageConfig
from tradeguard.packages.offenders import past_offenders, repeat_offenders
from tradeguard.packages.prepare import prepare_packages
from tradeguard.packages.rules import (
    HIT_SCHEMA,
    hts_contradicts,
    origin_contradicts,
    peer_prices,
    price_ratio,
    split_shipments,
    undervalued,
    vague_description,
)
from tradeguard.packages.watchlist import watchlisted_shippers
from tradeguard.screening import ScreeningConfig, WatchlistIndex

SCORE_SCHEMA: dict[str, pl.DataType] = {
    "package_id": pl.String(),
    "risk_score": pl.Float64(),
    "lane": pl.String(),
    "categories": pl.String(),
    "reasons": pl.String(),
    "explanation": pl.String(),
    "rules_version": pl.String(),
}


@dataclass(frozen=True)
class PackageScores:
    """One row per package (``scores``), every finding behind them, and the versions used."""

    scores: pl.DataFrame
    findings: pl.DataFrame
    versions: dict[str, str] = field(default_factory=dict)


def _findings(hits: pl.DataFrame, version: str) -> pl.DataFrame:
    frame = hits.select(
        pl.col("package_id").alias("entry_number"),
        pl.lit(None, dtype=pl.Int64).alias("line_number"),
        "category", "reason_code", "severity", "text",
        pl.concat_str([pl.lit('{"record":"package",'), pl.col("evidence").str.slice(1)])
        .alias("evidence"),
        pl.lit(RULES_NAME).alias("detector"),
        pl.lit(version).alias("detector_version"),
    )
    return conform(frame) if not frame.is_empty() else pl.DataFrame(schema=FINDINGS_SCHEMA)


def rule_hits(frame: pl.DataFrame, baseline: pl.DataFrame, cfg: PackageConfig) -> pl.DataFrame:
    """Hits of every list-free rule on ``frame`` (prepared, with ``price_ratio``)."""
    return pl.concat([p.select(list(HIT_SCHEMA)) for p in (
        split_shipments(frame, cfg),
        undervalued(frame, cfg),
        vague_description(frame, cfg),
        hts_contradicts(frame, baseline, cfg),
        origin_contradicts(frame, baseline, cfg),
    )])


def score_packages(packages: pl.DataFrame, config: PackageConfig | None = None, *,
                   index: WatchlistIndex | None = None,
                   screening: ScreeningConfig | None = None,
                   history: pl.DataFrame | None = None,
                   outcomes: pl.DataFrame | None = None) -> PackageScores:
    """Score every package in ``packages`` (contract columns).

    ``index`` enables watch-list screening of shippers; ``history`` (past packages, same
    columns) widens the peer baselines and, judged by the same rules, gives each sender a
    record of flagged past parcels; ``outcomes`` (``package_id`` or ``entry_number``,
    ``discrepancy``, optional ``examined`` and ``selection``, of past packages) gives confirmed
    violations, judged against the other senders' hit rate (random exams only when
    ``selection`` says which were random).
    """
    cfg = config or PackageConfig()
    version = cfg.version()
    batch = prepare_packages(packages, cfg)
    past = prepare_packages(history, cfg) if history is not None else None
    cols = batch.columns
    baseline = batch if past is None else pl.concat([batch, past.select(cols)])
    peers = peer_prices(baseline, cfg)
    batch = price_ratio(batch, peers)
    parts = [rule_hits(batch, baseline, cfg)]
    if index is not None:
        screen_cfg = screening or ScreeningConfig(threshold=cfg.shipper_match_threshold)
        parts.append(watchlisted_shippers(batch, index, screen_cfg))
    hits = pl.concat([p.select(list(HIT_SCHEMA)) for p in parts])
    # The sender's record: its past parcels judged by the same rules, and exam outcomes.
    past_hits = (rule_hits(price_ratio(past, peers), baseline, cfg)
                 if past is not None and not past.is_empty() else None)
    offenders = repeat_offenders(batch, hits.filter(pl.col("category") != "watchlist"),
                                 past_offenders(past, outcomes, past_hits, cfg), cfg)
    hits = pl.concat([hits, offenders]).unique(["package_id", "reason_code"], keep="first",
                                               maintain_order=True)
    weights = pl.col("reason_code").replace_strict(cfg.weights, default=0.3,
                                                   return_dtype=pl.Float64)
    agg = hits.with_columns(weights.alias("w")).group_by("package_id").agg(
        (1 - (1 - pl.col("w")).log().sum().exp()).round(4).alias("risk_score"),
        pl.col("category").unique().sort().str.join(";").alias("categories"),
        pl.col("reason_code").unique().sort().str.join(";").alias("reasons"),
        pl.col("text").str.join(" | ").alias("explanation"),
    )
    scores = batch.select("package_id").join(agg, on="package_id", how="left",
                                             maintain_order="left").with_columns(
        pl.col("risk_score").fill_null(0.0),
        pl.col("categories").fill_null(""),
        pl.col("reasons").fill_null(""),
        pl.col("explanation").fill_null(""),
    ).with_columns(
        pl.when(pl.col("risk_score") >= cfg.red_at).then(pl.lit("red"))
        .when(pl.col("risk_score") >= cfg.yellow_at).then(pl.lit("yellow"))
        .otherwise(pl.lit("green")).alias("lane"),
        pl.lit(version).alias("rules_version"),
    ).select(list(SCORE_SCHEMA))
    versions = {"rules": f"{RULES_NAME} {version}"}
    if index is not None:
        lists = set(index.names.get_column("list").unique().to_list())
        versions.update({f"list:{k}": v for k, v in index.versions.items() if k in lists})
    return PackageScores(scores=scores, findings=_findings(hits, version), versions=versions)
