"""Valuation: declared values far from what peers and the party itself usually declare.

Undervaluation (paying duty on part of the price) is the main target; gross overvaluation is
reported too, because inflated values launder money or inflate drawback claims, and so is a
quantity that does not fit the declared weight. Signals and their weights are documented in
:mod:`valuation_evidence`. Each finding states the peer median, the ratio, the percentile, the
peer count and the evidence score, and the duty the gap would have paid at the line's rate.
Lines that are only somewhat low are reported when their entry or their importer's account in
the batch shows the same pattern (:mod:`valuation_corroboration`).
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.peers import (
    ANY_ORIGIN_LEVELS,
    LEVELS,
    PRICE_LEVELS,
    WEIGHT_LEVELS,
    build_peer_baseline,
    value_measures,
)
from tradeguard.detectors.valuation_corroboration import (
    AccountBaseRates,
    account_base_rates,
    corroborate,
)
from tradeguard.detectors.valuation_evidence import ValuationConfig, evidence_scores
from tradeguard.detectors.valuation_findings import valuation_findings
from tradeguard.detectors.valuation_history import build_party_history, importer_lines, party_z
from tradeguard.findings import conform, empty_findings

__all__ = ["ValuationConfig", "ValuationDetector", "tariff_rates"]


_RATES: dict[int, tuple[pl.DataFrame, pl.DataFrame]] = {}


def tariff_rates(ctx: DetectionContext | None) -> pl.DataFrame | None:
    """hts10 -> general ad valorem rate from the reference tariff, when one is loaded (built
    once per tariff frame: a service asks for it on every request)."""
    tariff = getattr(getattr(ctx, "ref", None), "tariff", None)
    frame = getattr(tariff, "frame", None)
    if not isinstance(frame, pl.DataFrame) or "general_ad_valorem" not in frame.columns:
        return None
    known = _RATES.get(id(frame))
    if known is not None and known[0] is frame:
        return known[1]
    rates = frame.select("hts10", pl.col("general_ad_valorem").cast(pl.Float64)
                         .alias("_tariff_rate")).unique("hts10", keep="first",
                                                         maintain_order=True)
    _RATES.clear()  # one tariff at a time; keeps the frame it keys on alive
    _RATES[id(frame)] = (frame, rates)
    return rates


def _recent(history: pl.DataFrame, ctx: DetectionContext, limit: int) -> pl.DataFrame:
    """The latest ``limit`` history lines before ``ctx.as_of`` (whole days, fixed order)."""
    if history.is_empty() or "entry_date" not in history.columns:
        return history.clear()
    day = pl.col("entry_date").cast(pl.Date, strict=False)
    order = [day, pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64)]
    # top_k, not a sort: ten million history lines need only their latest ``limit``.
    return history.filter(day < ctx.as_of).top_k(limit, by=order)


class ValuationDetector:
    """Peer-price detector; ``fit`` builds the baseline, ``detect`` scores a batch."""

    name: ClassVar[str] = "valuation_peers"
    version: ClassVar[str] = "2.5.0"

    def __init__(self, config: ValuationConfig | None = None,
                 baseline: pl.DataFrame | None = None,
                 party_history: pl.DataFrame | None = None) -> None:
        self.config = config or ValuationConfig()
        self.baseline = baseline
        self.party_history = party_history
        self.base_rates: AccountBaseRates | None = None

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Build the peer baseline and the parties' own price history from past lines (reuse
        them via :attr:`baseline` and :attr:`party_history`)."""
        cfg = self._config(ctx)
        self.baseline = build_peer_baseline(history, ctx.as_of, cfg.window_days, cfg.sigma_floor)
        self.party_history = build_party_history(history, ctx.as_of, cfg.window_days,
                                                 cfg.min_party_lines)
        self.account_rates(history, ctx)

    def account_rates(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """The account reviews' base rates from the latest history lines (fitted baseline
        needed); none without a baseline or history."""
        cfg = self._config(ctx)
        self.base_rates = None
        if self.baseline is None or self.baseline.is_empty():
            return
        recent = _recent(history, ctx, cfg.base_rate_lines)
        if not recent.is_empty():
            self.base_rates = account_base_rates(self._evidence(recent, cfg, ctx), cfg)

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
        flagged = scored.filter(pl.col("_under") | pl.col("_over") | pl.col("_quantity")
                                | pl.col("_light"))
        if flagged.is_empty():
            return empty_findings()
        return conform(self._findings(flagged, cfg))

    def score(self, lines: pl.DataFrame, cfg: ValuationConfig,
              ctx: DetectionContext | None = None) -> pl.DataFrame:
        """Every line with its chosen peer level, signals, evidence score and flags
        (``_under``, ``_over``, ``_quantity``); exposed for analysts and the benchmark."""
        return corroborate(self._evidence(lines, cfg, ctx), cfg, self.base_rates)

    def _evidence(self, lines: pl.DataFrame, cfg: ValuationConfig,
                  ctx: DetectionContext | None) -> pl.DataFrame:
        """Evidence scores and flags of each line on its own (before corroboration)."""
        assert self.baseline is not None
        frame = value_measures(lines).with_columns(
            pl.col("hts10").str.slice(0, 6).alias("_hs6"),
            pl.col("hts10").str.slice(0, 4).alias("_hs4"),
        )
        price_levels = [lvl for lvl in PRICE_LEVELS if lvl != "hs4_any" or cfg.use_any_origin]
        weight_levels = [lvl for lvl in WEIGHT_LEVELS if lvl != "hs4_any" or cfg.use_any_origin]
        levels = [lvl for lvl in LEVELS if lvl in price_levels or lvl in weight_levels]
        price_cols = ["code", "n", "luv_post_med", "luv_post_sig", "uv_p05", "uv_p95", "uv_min",
                      "uv_max", "lvpk_n", "lvpk_post_med", "lvpk_post_sig"]
        weight_cols = ["lkpu_n", "lkpu_post_med", "lkpu_post_sig"]
        key_of = {"hts10": "hts10", "hs6": "_hs6", "hs4": "_hs4", "hs4_any": "_hs4",
                  "hts10_any": "hts10"}
        # Peer levels and tariff rate depend only on the line's HTS, unit and origin, and a
        # batch of 50,000 lines has a few thousand of those: they are looked up once per key
        # and joined to the lines in one go.
        keys = ["hts10", "unit", "origin"]
        peers = frame.select(*keys, "_hs6", "_hs4").unique()
        for lvl in levels:
            any_origin = lvl in ANY_ORIGIN_LEVELS
            part = self.baseline.filter(pl.col("level") == lvl).select(
                pl.col("code").alias(key_of[lvl]),
                *([] if any_origin else [pl.col("origin")]), "unit",
                *[pl.col(c).alias(f"{lvl}__{c}") for c in price_cols + weight_cols],
            )
            on = [key_of[lvl], "unit"] + ([] if any_origin else ["origin"])
            peers = peers.join(part.lazy(), on=on, how="left").with_columns(
                pl.lit(lvl).alias(f"{lvl}__level"))

        def pick(col: str, among: list[str], count: str) -> pl.Expr:
            expr = pl.lit(None)
            for lvl in reversed(among):
                expr = pl.when(pl.col(f"{lvl}__{count}") >= cfg.min_peers).then(
                    pl.col(f"{lvl}__{col}")).otherwise(expr)
            return expr

        peers = peers.with_columns(
            pick("level", price_levels, "n").alias("peer_level"),
            *[pick(c, price_levels, "n").alias(f"peer_{c}") for c in price_cols],
            pick("level", weight_levels, "lkpu_n").alias("peer_kpu_level"),
            *[pick(c, weight_levels, "lkpu_n").alias(f"peer_{c}") for c in weight_cols],
        ).drop([f"{lvl}__{c}" for lvl in levels for c in [*price_cols, *weight_cols, "level"]]
               + ["_hs6", "_hs4"])
        tariff = tariff_rates(ctx)
        if tariff is not None:
            peers = peers.join(tariff.lazy(), on="hts10", how="left")
        frame = frame.join(peers, on=keys, how="left", nulls_equal=True, maintain_order="left")
        rate = self._rate_expr(frame, ctx)
        for kind in ("importer", "manufacturer", "supplier"):
            frame = party_z(frame, self.party_history if self.party_history is not None
                            else pl.DataFrame(), kind, cfg.min_party_lines,
                            cfg.party_prior_lines, cfg.sigma_floor)
        frame = importer_lines(frame, self.party_history if self.party_history is not None
                               else pl.DataFrame())
        return evidence_scores(frame, cfg, rate).collect()

    @staticmethod
    def _rate_expr(frame: pl.LazyFrame, ctx: DetectionContext | None) -> pl.Expr:
        """The line's declared ad valorem rate, else the tariff's general rate for its HTS."""
        names = frame.collect_schema().names()
        declared = pl.col("duty_rate").cast(pl.Float64) if "duty_rate" in names else pl.lit(None)
        return declared.fill_null(pl.col("_tariff_rate")) if "_tariff_rate" in names else declared

    def _findings(self, flagged: pl.DataFrame, cfg: ValuationConfig) -> pl.DataFrame:
        return valuation_findings(flagged, cfg, self.name, self.version)
