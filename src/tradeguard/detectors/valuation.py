"""Valuation: unit values and values per kilogram far from their peers.

Undervaluation (paying duty on part of the price) is the main target; gross overvaluation is
reported too, because inflated values launder money or inflate drawback claims. Each finding
states the peer median, the ratio, the percentile and the peer count, and for undervaluation
the duty the gap would have paid at the line's ad valorem rate.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl
from pydantic import BaseModel, Field
from scipy.special import ndtr

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.peers import LEVELS, build_peer_baseline, value_measures
from tradeguard.findings import FINDINGS_SCHEMA, Category, conform, empty_findings


class ValuationConfig(BaseModel):
    """Thresholds. A line is flagged only when it is both statistically extreme (robust z on
    log value, about 1 in 4,000 clean lines per side at 3.5 under a normal law) and
    economically material (ratio to the peer median)."""

    window_days: int = Field(730, ge=30, description="Peer window before the as-of date")
    min_peers: int = Field(5, ge=2, description="Peers a level needs before it is used")
    z_cut: float = Field(3.5, gt=0, description="Robust z beyond which a value is extreme")
    under_ratio: float = Field(0.5, gt=0, lt=1, description="Flag at or below this ratio")
    over_ratio: float = Field(3.0, gt=1, description="Flag overvaluation at or above this")
    sigma_floor: float = Field(0.05, gt=0, description="Least log-scale spread of a group")
    high_ratio: float = Field(0.33, description="Undervaluation at/below this ratio is high")
    high_duty_usd: float = Field(2_500.0, description="...or when this much duty is at risk")
    critical_ratio: float = Field(0.2, description="Critical: ratio at/below this AND ...")
    critical_duty_usd: float = Field(10_000.0, description="...at least this duty at risk")
    gross_over_ratio: float = Field(10.0, description="Overvaluation at/above this is high")
    use_any_origin: bool = Field(False, description="Fall back to HS-4 peers of all origins")


def tariff_rates(ctx: DetectionContext | None) -> pl.DataFrame | None:
    """hts10 -> general ad valorem rate from the reference tariff, when one is loaded."""
    tariff = getattr(getattr(ctx, "ref", None), "tariff", None)
    frame = getattr(tariff, "frame", None)
    if not isinstance(frame, pl.DataFrame) or "general_ad_valorem" not in frame.columns:
        return None
    return frame.select("hts10", pl.col("general_ad_valorem").cast(pl.Float64)
                        .alias("_tariff_rate")).unique("hts10")


def _fmt(expr: pl.Expr) -> pl.Expr:
    """A number as text with two decimals, for finding sentences."""
    return expr.round(2).cast(pl.String)


class ValuationDetector:
    """Peer-price detector; ``fit`` builds the baseline, ``detect`` scores a batch."""

    name: ClassVar[str] = "valuation_peers"
    version: ClassVar[str] = "1.0.0"

    def __init__(self, config: ValuationConfig | None = None,
                 baseline: pl.DataFrame | None = None) -> None:
        self.config = config or ValuationConfig()
        self.baseline = baseline

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Build the peer baseline from past lines (reuse it via :attr:`baseline`)."""
        cfg = self._config(ctx)
        self.baseline = build_peer_baseline(history, ctx.as_of, cfg.window_days, cfg.sigma_floor)

    def _config(self, ctx: DetectionContext) -> ValuationConfig:
        override = ctx.config.get("valuation")
        return ValuationConfig.model_validate(
            {**self.config.model_dump(), **override}) if override else self.config

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for lines whose value is extreme against their peers."""
        if self.baseline is None or self.baseline.is_empty() or lines.is_empty():
            return empty_findings()
        cfg = self._config(ctx)
        scored = self.score(lines, cfg, ctx)
        flagged = scored.filter(pl.col("_under") | pl.col("_over"))
        if flagged.is_empty():
            return empty_findings()
        return conform(self._findings(flagged, cfg))

    def score(self, lines: pl.DataFrame, cfg: ValuationConfig,
              ctx: DetectionContext | None = None) -> pl.DataFrame:
        """Every line with its chosen peer level, ratios and robust z (flags as ``_under``/
        ``_over``); exposed for analysts and the benchmark."""
        assert self.baseline is not None
        frame = value_measures(lines).with_columns(
            pl.col("hts10").str.slice(0, 6).alias("_hs6"),
            pl.col("hts10").str.slice(0, 4).alias("_hs4"),
        )
        levels = [lvl for lvl in LEVELS if lvl != "hs4_any" or cfg.use_any_origin]
        stat_cols = ["code", "n", "luv_post_med", "luv_post_sig", "uv_p05", "uv_p95",
                     "lvpk_n", "lvpk_post_med", "lvpk_post_sig"]
        key_of = {"hts10": "hts10", "hs6": "_hs6", "hs4": "_hs4", "hs4_any": "_hs4"}
        for lvl in levels:
            part = self.baseline.filter(pl.col("level") == lvl).select(
                pl.col("code").alias(key_of[lvl]),
                *([] if lvl == "hs4_any" else [pl.col("origin")]), "unit",
                *[pl.col(c).alias(f"{lvl}__{c}") for c in stat_cols],
            )
            on = [key_of[lvl], "unit"] + ([] if lvl == "hs4_any" else ["origin"])
            frame = frame.join(part.lazy(), on=on, how="left")

        def pick(col: str) -> pl.Expr:
            expr = pl.lit(None)
            for lvl in reversed(levels):
                expr = pl.when(pl.col(f"{lvl}__n") >= cfg.min_peers).then(
                    pl.col(f"{lvl}__{col}")).otherwise(expr)
            return expr

        level_expr: pl.Expr = pl.lit(None, dtype=pl.String)
        for lvl in reversed(levels):
            level_expr = pl.when(pl.col(f"{lvl}__n") >= cfg.min_peers).then(
                pl.lit(lvl)).otherwise(level_expr)
        frame = frame.with_columns(
            level_expr.alias("peer_level"),
            *[pick(c).alias(f"peer_{c}") for c in stat_cols],
        ).drop([f"{lvl}__{c}" for lvl in levels for c in stat_cols])
        tariff = tariff_rates(ctx)
        if tariff is not None:
            frame = frame.join(tariff.lazy(), on="hts10", how="left")
        rate = self._rate_expr(frame, ctx)
        kg_ok = pl.col("peer_lvpk_n") >= cfg.min_peers
        z_uv = (pl.col("luv") - pl.col("peer_luv_post_med")) / pl.col("peer_luv_post_sig")
        z_kg = pl.when(kg_ok).then(
            (pl.col("lvpk") - pl.col("peer_lvpk_post_med")) / pl.col("peer_lvpk_post_sig"))
        frame = frame.with_columns(
            z_uv.alias("z_uv"), z_kg.alias("z_kg"),
            (pl.col("luv") - pl.col("peer_luv_post_med")).exp().alias("ratio_uv"),
            pl.when(kg_ok).then((pl.col("lvpk") - pl.col("peer_lvpk_post_med")).exp())
            .alias("ratio_kg"),
            rate.alias("ad_valorem_rate"),
        )
        under_uv = (pl.col("ratio_uv") <= cfg.under_ratio) & (pl.col("z_uv") <= -cfg.z_cut)
        under_kg = (pl.col("ratio_kg") <= cfg.under_ratio) & (pl.col("z_kg") <= -cfg.z_cut)
        over_uv = (pl.col("ratio_uv") >= cfg.over_ratio) & (pl.col("z_uv") >= cfg.z_cut)
        over_kg = (pl.col("ratio_kg") >= cfg.over_ratio) & (pl.col("z_kg") >= cfg.z_cut)
        value = pl.col("entered_value_usd").cast(pl.Float64)
        implied = pl.max_horizontal(
            pl.when(under_uv).then(value / pl.col("ratio_uv")),
            pl.when(under_kg).then(value / pl.col("ratio_kg")),
        )
        return frame.with_columns(
            under_uv.fill_null(False).alias("_under_uv"),
            under_kg.fill_null(False).alias("_under_kg"),
            (under_uv | under_kg).fill_null(False).alias("_under"),
            ((over_uv | over_kg) & ~(under_uv | under_kg)).fill_null(False).alias("_over"),
            (implied - value).alias("value_gap_usd"),
            ((implied - value) * pl.col("ad_valorem_rate")).alias("duty_at_risk_usd"),
        ).collect()

    @staticmethod
    def _rate_expr(frame: pl.LazyFrame, ctx: DetectionContext | None) -> pl.Expr:
        """The line's declared ad valorem rate, else the tariff's general rate for its HTS."""
        names = frame.collect_schema().names()
        declared = pl.col("duty_rate").cast(pl.Float64) if "duty_rate" in names else pl.lit(None)
        return declared.fill_null(pl.col("_tariff_rate")) if "_tariff_rate" in names else declared

    def _findings(self, flagged: pl.DataFrame, cfg: ValuationConfig) -> pl.DataFrame:
        z = flagged["z_uv"].fill_null(0.0).to_numpy()
        zkg = flagged["z_kg"].fill_null(0.0).to_numpy()
        flagged = flagged.with_columns(
            pl.Series("percentile_uv", np.round(100 * ndtr(z), 3)),
            pl.Series("percentile_kg", np.round(100 * ndtr(zkg), 3)),
        )
        under = pl.col("_under")
        ratio = pl.when(under & ~pl.col("_under_uv")).then(pl.col("ratio_kg")).otherwise(
            pl.col("ratio_uv"))
        duty = pl.col("duty_at_risk_usd").fill_null(0.0)
        severity = (
            pl.when(under & (ratio <= cfg.critical_ratio) & (duty >= cfg.critical_duty_usd))
            .then(pl.lit("critical"))
            .when(under & ((ratio <= cfg.high_ratio) | (duty >= cfg.high_duty_usd)))
            .then(pl.lit("high"))
            .when(~under & (ratio >= cfg.gross_over_ratio)).then(pl.lit("high"))
            .otherwise(pl.lit("medium"))
        )
        med_uv = pl.col("peer_luv_post_med").exp()
        basis = pl.concat_str([
            pl.col("peer_n").cast(pl.String), pl.lit(" peer lines ("),
            pl.col("peer_level"), pl.lit(" "), pl.col("peer_code"), pl.lit(", origin "),
            pl.col("origin"), pl.lit(", unit "), pl.col("unit"), pl.lit(")"),
        ])
        text = pl.concat_str([
            pl.lit("Unit value $"), _fmt(pl.col("luv").exp()), pl.lit(" per "), pl.col("unit"),
            pl.lit(" is "), _fmt(pl.col("ratio_uv")), pl.lit("x the median $"), _fmt(med_uv),
            pl.lit(" of "), basis, pl.lit(" (percentile "), _fmt(pl.col("percentile_uv")),
            pl.lit(")"),
            pl.when(pl.col("ratio_kg").is_not_null()).then(pl.concat_str([
                pl.lit("; value per kg is "), _fmt(pl.col("ratio_kg")),
                pl.lit("x the peer median $"),
                _fmt(pl.col("peer_lvpk_post_med").exp()), pl.lit("/kg")])).otherwise(pl.lit("")),
            pl.when(under).then(pl.concat_str([
                pl.lit(". Possible undervaluation; duty at risk $"),
                _fmt(duty), pl.lit(".")])).otherwise(pl.lit(
                    ". Possible overvaluation (money laundering or drawback risk).")),
        ])
        evidence = pl.struct(
            pl.col("peer_level").alias("peer_level"), pl.col("peer_code").alias("peer_code"),
            pl.col("origin"), pl.col("unit"), pl.col("peer_n").alias("peer_count"),
            pl.col("luv").exp().round(4).alias("unit_value_usd"),
            med_uv.round(4).alias("peer_median_unit_value_usd"),
            pl.col("peer_uv_p05").round(4).alias("peer_p05_unit_value_usd"),
            pl.col("peer_uv_p95").round(4).alias("peer_p95_unit_value_usd"),
            pl.col("ratio_uv").round(4).alias("ratio"),
            pl.col("z_uv").round(3).alias("robust_z"),
            pl.col("percentile_uv").alias("percentile"),
            pl.col("lvpk").exp().round(4).alias("value_per_kg_usd"),
            pl.col("peer_lvpk_post_med").exp().round(4).alias("peer_median_value_per_kg_usd"),
            pl.col("ratio_kg").round(4).alias("ratio_per_kg"),
            pl.col("peer_lvpk_n").alias("peer_count_per_kg"),
            pl.col("ad_valorem_rate"),
            pl.col("value_gap_usd").round(2), duty.round(2).alias("duty_at_risk_usd"),
            pl.lit(self.version).alias("baseline_method_version"),
        ).struct.json_encode()
        reason = (
            pl.when(under & pl.col("_under_uv")).then(pl.lit("VAL_UNDER_UNIT_VALUE"))
            .when(under).then(pl.lit("VAL_UNDER_VALUE_PER_KG"))
            .otherwise(pl.lit("VAL_OVER_UNIT_VALUE"))
        )
        return flagged.select(
            pl.col("entry_number").cast(pl.String),
            pl.col("line_number").cast(pl.Int64),
            pl.lit(Category.VALUATION.value).alias("category"),
            reason.alias("reason_code"), severity.alias("severity"), text.alias("text"),
            evidence.alias("evidence"), pl.lit(self.name).alias("detector"),
            pl.lit(self.version).alias("detector_version"),
        ).select(list(FINDINGS_SCHEMA))
