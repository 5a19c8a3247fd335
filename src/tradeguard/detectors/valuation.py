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

from functools import lru_cache
from typing import ClassVar

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.peers import (
    ANY_ORIGIN_LEVELS,
    LEVELS,
    PRICE_COLUMNS,
    WEIGHT_COLUMNS,
    build_peer_baseline,
    peer_levels,
    value_measures,
)
from tradeguard.detectors.valuation_corroboration import (
    AccountBaseRates,
    account_base_rates,
    corroborate,
)
from tradeguard.detectors.valuation_entry import (
    ENTRY_LINES,
    EntryReferences,
    EntryScores,
    entry_references,
    entry_scores,
    tariff_lookup,
)
from tradeguard.detectors.valuation_evidence import ValuationConfig, evidence_scores
from tradeguard.detectors.valuation_findings import request_findings, valuation_findings
from tradeguard.detectors.valuation_history import (
    PARTIES,
    build_party_history,
    importer_counts,
    importer_lines,
    party_table,
    party_z,
)
from tradeguard.findings import conform, empty_findings
from tradeguard.kept import Kept

__all__ = ["ValuationConfig", "ValuationDetector", "tariff_rates"]


_RATES: Kept[int, tuple[pl.DataFrame, pl.DataFrame]] = Kept(1)  # one tariff at a time
_NO_FINDINGS = empty_findings()  # cleared per call: a new frame costs ~0.1 ms, this ~1 us


def tariff_rates(ctx: DetectionContext | None) -> pl.DataFrame | None:
    """hts10 -> general ad valorem rate from the reference tariff, when one is loaded (built
    once per tariff frame: a service asks for it on every request)."""
    tariff = getattr(getattr(ctx, "ref", None), "tariff", None)
    frame = getattr(tariff, "frame", None)
    known = _RATES.get(id(frame))
    if known is not None and known[0] is frame:
        return known[1]
    if not isinstance(frame, pl.DataFrame) or "general_ad_valorem" not in frame.columns:
        return None
    rates = frame.select("hts10", pl.col("general_ad_valorem").cast(pl.Float64)
                         .alias("_tariff_rate")).unique("hts10", keep="first",
                                                         maintain_order=True)
    return _RATES.keep(id(frame), (frame, rates))[1]  # holds the frame it keys on


def _recent(history: pl.DataFrame, ctx: DetectionContext, limit: int) -> pl.DataFrame:
    """The latest ``limit`` history lines before ``ctx.as_of`` (whole days, fixed order)."""
    if history.is_empty() or "entry_date" not in history.columns:
        return history.clear()
    day = pl.col("entry_date").cast(pl.Date, strict=False)
    order = [day, pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64)]
    # top_k, not a sort: ten million history lines need only their latest ``limit``.
    return history.filter(day < ctx.as_of).top_k(limit, by=order)


# the line's column each level's code is compared with
LEVEL_KEYS = {"hts10": "hts10", "hs6": "_hs6", "hs4": "_hs4", "hs4_any": "_hs4",
              "hts10_any": "hts10"}


@lru_cache(maxsize=16)
def _peer_picks(min_peers: int, use_any_origin: bool
                ) -> tuple[tuple[str, ...], tuple[pl.Expr, ...], tuple[str, ...]]:
    """The levels joined, the expressions picking each line's peer level and statistics
    (the most specific level with ``min_peers``), and the joined columns dropped after."""
    price_levels, weight_levels = peer_levels(use_any_origin)
    levels = tuple(lvl for lvl in LEVELS if lvl in price_levels or lvl in weight_levels)

    def pick(col: str, among: tuple[str, ...], count: str) -> pl.Expr:
        expr = pl.lit(None)
        for lvl in reversed(among):
            expr = pl.when(pl.col(f"{lvl}__{count}") >= min_peers).then(
                pl.col(f"{lvl}__{col}")).otherwise(expr)
        return expr

    picks = (
        pick("level", price_levels, "n").alias("peer_level"),
        *[pick(c, price_levels, "n").alias(f"peer_{c}") for c in PRICE_COLUMNS],
        pick("level", weight_levels, "lkpu_n").alias("peer_kpu_level"),
        *[pick(c, weight_levels, "lkpu_n").alias(f"peer_{c}") for c in WEIGHT_COLUMNS],
    )
    dropped = tuple([f"{lvl}__{c}" for lvl in levels
                     for c in [*PRICE_COLUMNS, *WEIGHT_COLUMNS, "level"]] + ["_hs6", "_hs4"])
    return levels, picks, dropped


#: Batches with at most this many distinct (HTS, unit, origin) keys use the kept peer rows.
SMALL_PEER_KEYS = 256
#: Keys whose peer rows are kept, per configuration, before the rows are dropped and rebuilt.
KEPT_PEER_KEYS = 50_000


class _PeerRows:
    """Peer rows already worked out, by (HTS, unit, origin): the row as a tuple, in
    ``schema`` (one peer configuration and tariff)."""

    def __init__(self, tariff: pl.DataFrame | None) -> None:
        self.tariff = tariff  # kept so that the identity it is keyed on stays valid
        self.schema: pl.Schema | None = None
        self.rows: dict[tuple[object, ...], tuple[object, ...]] = {}

    def add(self, computed: pl.DataFrame, width: int) -> None:
        """Keep the rows of ``computed`` (keys first, ``width`` of them)."""
        if len(self.rows) + computed.height > KEPT_PEER_KEYS:
            self.rows.clear()
        self.schema = computed.schema
        for row in computed.iter_rows():
            self.rows[row[:width]] = row


class _FittedTables:
    """What every batch reads from the fitted baseline and party history, cut once: the
    baseline's rows of each peer level, renamed for the join, and the party tables."""

    def __init__(self, baseline: pl.DataFrame, party_history: pl.DataFrame) -> None:
        self.baseline = baseline
        self.party_history = party_history
        self._levels: dict[str, tuple[pl.DataFrame, list[str]]] = {}
        self._parties: dict[tuple[str, int, float], tuple[pl.DataFrame, float]] = {}
        self._counts: pl.DataFrame | None = None
        self._peer_rows: dict[tuple[int, bool, int], _PeerRows] = {}
        self._entry: dict[tuple[int, float], EntryReferences | None] = {}

    def peer_rows(self, min_peers: int, use_any_origin: bool,
                  tariff: pl.DataFrame | None) -> _PeerRows:
        """The peer rows kept for one peer configuration and tariff."""
        key = (min_peers, use_any_origin, id(tariff))
        kept = self._peer_rows.get(key)
        if kept is None or kept.tariff is not tariff:
            kept = self._peer_rows[key] = _PeerRows(tariff)
        return kept

    def level(self, lvl: str) -> tuple[pl.DataFrame, list[str]]:
        """The baseline rows of peer level ``lvl`` with prefixed columns, and join keys."""
        if lvl not in self._levels:
            any_origin = lvl in ANY_ORIGIN_LEVELS
            part = self.baseline.filter(pl.col("level") == lvl).select(
                pl.col("code").alias(LEVEL_KEYS[lvl]),
                *([] if any_origin else [pl.col("origin")]), "unit",
                *[pl.col(c).alias(f"{lvl}__{c}") for c in PRICE_COLUMNS + WEIGHT_COLUMNS],
            )
            on = [LEVEL_KEYS[lvl], "unit"] + ([] if any_origin else ["origin"])
            self._levels[lvl] = (part, on)
        return self._levels[lvl]

    def party(self, kind: str, min_lines: int, sigma_floor: float
              ) -> tuple[pl.DataFrame, float] | None:
        """:func:`party_table` of the party history (None without a history)."""
        if self.party_history.is_empty():
            return None
        key = (kind, min_lines, sigma_floor)
        if key not in self._parties:
            self._parties[key] = party_table(self.party_history, kind, min_lines, sigma_floor)
        return self._parties[key]

    def entry_references(self, min_lines: int, sigma_floor: float) -> EntryReferences | None:
        """The tables as dicts for :func:`entry_scores` (None when a key repeats)."""
        key = (min_lines, sigma_floor)
        if key not in self._entry:
            parties = None
            if not self.party_history.is_empty():
                parties = {}
                for kind, _ in PARTIES:
                    table = self.party(kind, min_lines, sigma_floor)
                    assert table is not None
                    parties[kind] = table
            self._entry[key] = entry_references(self.baseline, parties, self.importer_counts())
        return self._entry[key]

    def importer_counts(self) -> pl.DataFrame | None:
        """:func:`importer_counts` of the party history (None without a history)."""
        if self.party_history.is_empty():
            return None
        if self._counts is None:
            self._counts = importer_counts(self.party_history)
        return self._counts


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
            return _NO_FINDINGS.clear()
        cfg = self._config(ctx)
        found = self._entry_scores(lines, cfg, ctx)
        if found is not None:
            if not found.values:
                return _NO_FINDINGS.clear()
            rows = found.rows()
            plain = None if rows is None else request_findings(rows, cfg, self.name,
                                                               self.version)
            if plain is not None:
                return plain
            flagged = found.flagged
        else:
            scored = self.score(lines, cfg, ctx)
            flagged = scored.filter(pl.col("_under") | pl.col("_over") | pl.col("_quantity")
                                    | pl.col("_light"))
        if flagged.is_empty():
            return _NO_FINDINGS.clear()
        return conform(self._findings(flagged, cfg))

    def _entry_scores(self, lines: pl.DataFrame, cfg: ValuationConfig,
                      ctx: DetectionContext) -> EntryScores | None:
        """The scores of a request-sized batch, worked out from dicts of the fitted tables
        (:mod:`valuation_entry`: a request holds 1-5 lines, and the batch path's twenty
        Polars queries cost ~100 us each); None for a larger batch or one that path does not
        cover."""
        if lines.height > ENTRY_LINES:
            return None
        refs = self._fitted().entry_references(cfg.min_party_lines, cfg.sigma_floor)
        if refs is None:
            return None
        rates = tariff_rates(ctx)
        return entry_scores(lines, cfg, refs, self.base_rates,
                            None if rates is None else tariff_lookup(rates))

    def score(self, lines: pl.DataFrame, cfg: ValuationConfig,
              ctx: DetectionContext | None = None) -> pl.DataFrame:
        """Every line with its chosen peer level, signals, evidence score and flags
        (``_under``, ``_over``, ``_quantity``); exposed for analysts and the benchmark."""
        return corroborate(self._evidence(lines, cfg, ctx), cfg, self.base_rates)

    def _evidence(self, lines: pl.DataFrame, cfg: ValuationConfig,
                  ctx: DetectionContext | None) -> pl.DataFrame:
        """Evidence scores and flags of each line on its own (before corroboration)."""
        assert self.baseline is not None
        fitted = self._fitted()
        frame = value_measures(lines).with_columns(
            pl.col("hts10").str.slice(0, 6).alias("_hs6"),
            pl.col("hts10").str.slice(0, 4).alias("_hs4"),
        )
        keys = ["hts10", "unit", "origin"]
        peers = self._peers(frame, cfg, ctx, fitted)
        frame = frame.join(peers, on=keys, how="left", nulls_equal=True, maintain_order="left")
        rate = self._rate_expr(frame, ctx)
        history = fitted.party_history
        for kind in ("importer", "manufacturer", "supplier"):
            frame = party_z(frame, history, kind, cfg.min_party_lines, cfg.party_prior_lines,
                            cfg.sigma_floor,
                            fitted.party(kind, cfg.min_party_lines, cfg.sigma_floor))
        frame = importer_lines(frame, history, fitted.importer_counts())
        return evidence_scores(frame, cfg, rate).collect()

    def _peers(self, frame: pl.LazyFrame, cfg: ValuationConfig, ctx: DetectionContext | None,
               fitted: _FittedTables) -> pl.LazyFrame:
        """Peer level, peer statistics and tariff rate per (HTS, unit, origin) of the lines.

        Peer levels and tariff rate depend only on the line's HTS, unit and origin, and a
        batch of 50,000 lines has a few thousand of those: they are looked up once per key
        and joined to the lines in one go. A small batch (one entry) takes the keys it has
        seen before from the rows kept for them, and works out only the new ones."""
        keys = ["hts10", "unit", "origin"]
        tariff = tariff_rates(ctx)
        distinct = frame.select(keys).unique().collect()
        if distinct.is_empty() or distinct.height > SMALL_PEER_KEYS:
            return self._peer_plan(frame.select(*keys, "_hs6", "_hs4").unique(), cfg, tariff,
                                   fitted)
        kept = fitted.peer_rows(cfg.min_peers, cfg.use_any_origin, tariff)
        found = {k: kept.rows.get(k) for k in distinct.rows()}
        schema = kept.schema
        if new := [k for k, row in found.items() if row is None]:
            fresh = pl.LazyFrame(new, schema=distinct.schema, orient="row").with_columns(
                pl.col("hts10").str.slice(0, 6).alias("_hs6"),
                pl.col("hts10").str.slice(0, 4).alias("_hs4"))
            computed = self._peer_plan(fresh, cfg, tariff, fitted).collect()
            found |= {row[:len(keys)]: row for row in computed.iter_rows()}
            schema = computed.schema
            kept.add(computed, len(keys))
        return pl.LazyFrame(list(found.values()), schema=schema, orient="row")

    @staticmethod
    def _peer_plan(peers: pl.LazyFrame, cfg: ValuationConfig, tariff: pl.DataFrame | None,
                   fitted: _FittedTables) -> pl.LazyFrame:
        """:meth:`_peers` of the distinct keys ``peers`` (with ``_hs6`` and ``_hs4``)."""
        levels, picks, dropped = _peer_picks(cfg.min_peers, cfg.use_any_origin)
        for lvl in levels:
            part, on = fitted.level(lvl)
            peers = peers.join(part.lazy(), on=on, how="left").with_columns(
                pl.lit(lvl).alias(f"{lvl}__level"))
        peers = peers.with_columns(picks).drop(dropped)
        if tariff is not None:
            peers = peers.join(tariff.lazy(), on="hts10", how="left")
        return peers

    def _fitted(self) -> _FittedTables:
        """The per-level baseline tables and party-history tables, kept while the baseline
        and party history are the same objects (a service scores one entry per call)."""
        assert self.baseline is not None
        history = self.party_history if self.party_history is not None else pl.DataFrame()
        kept = self.__dict__.get("_tables")
        if not isinstance(kept, _FittedTables) or kept.baseline is not self.baseline \
                or kept.party_history is not history:
            kept = _FittedTables(self.baseline, history)
            self.__dict__["_tables"] = kept
        return kept

    def __getstate__(self) -> dict[str, object]:
        # The kept tables are rebuilt from the baseline where the detector is unpickled.
        return {k: v for k, v in self.__dict__.items() if k != "_tables"}

    @staticmethod
    def _rate_expr(frame: pl.LazyFrame, ctx: DetectionContext | None) -> pl.Expr:
        """The line's declared ad valorem rate, else the tariff's general rate for its HTS."""
        names = frame.collect_schema().names()
        declared = pl.col("duty_rate").cast(pl.Float64) if "duty_rate" in names else pl.lit(None)
        return declared.fill_null(pl.col("_tariff_rate")) if "_tariff_rate" in names else declared

    def _findings(self, flagged: pl.DataFrame, cfg: ValuationConfig) -> pl.DataFrame:
        return valuation_findings(flagged, cfg, self.name, self.version)
