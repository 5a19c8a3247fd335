"""The AD/CVD detector: subject-merchandise checks plus transshipment indicators.

``fit`` builds the evasion baseline from history once; ``detect`` scores a whole batch of
declaration lines. :meth:`AdcvdDetector.assess` keeps the intermediate frames (checks,
indicators, scores) so case leads can be built from the same run without recomputing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import polars as pl

from tradeguard.detectors.adcvd.baseline import (
    EvasionBaseline,
    build_baseline,
    third_country_scope,
)
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.deposits import deposit_checks
from tradeguard.detectors.adcvd.indicators import (
    INDICATOR_SCHEMA,
    address_subject,
    first_seen_dates,
    mid_subject,
    new_importer,
    new_manufacturer,
    new_plant_volume,
    origin_switch,
    seller_subject,
    start_up_rates,
    subject_places,
    surge,
)
from tradeguard.detectors.adcvd.parties import with_party_keys
from tradeguard.detectors.adcvd.pricing import price_subject, ranked_unit_values
from tradeguard.detectors.adcvd.request import SMALL_REQUEST, RequestScreen
from tradeguard.detectors.adcvd.request_ties import TieScreen
from tradeguard.detectors.adcvd.routes import documented_routes, known_route
from tradeguard.detectors.adcvd.scope import match_scope, normalise_hts
from tradeguard.detectors.adcvd.scoring import SCORE_SCHEMA, score_lines
from tradeguard.detectors.adcvd.supply import supplier_subject
from tradeguard.detectors.base import DetectionContext
from tradeguard.findings import Category, conform, empty_findings
from tradeguard.kept import Kept

INDICATOR_TEXT: dict[str, str] = {
    "ADCVD_EVASION_NEW_MANUFACTURER": "manufacturer first seen after the order",
    "ADCVD_EVASION_MID_SUBJECT": "MID points to the subject country",
    "ADCVD_EVASION_ADDRESS_SUBJECT": "manufacturer address names a subject-country place",
    "ADCVD_EVASION_SELLER_SUBJECT": "seller in the subject country",
    "ADCVD_EVASION_ORIGIN_SWITCH": "importer switched from the subject country",
    "ADCVD_EVASION_PRICE_SUBJECT": "unit value at subject-country level",
    "ADCVD_EVASION_NEW_PLANT_VOLUME": "new plant shipping more in its first months than a busy "
    "start-up",
    "ADCVD_EVASION_NEW_IMPORTER": "importer new to the order's merchandise",
    "ADCVD_EVASION_KNOWN_ROUTE": "origin is a documented evasion route for the order",
    "ADCVD_EVASION_SURGE": "surge of in-scope imports from this origin",
    "ADCVD_EVASION_SUPPLIER_SUBJECT": "declared tier-1 supplier in the subject country",
    "ADCVD_EVASION_UPSTREAM_SUBJECT": "declared upstream supplier in the subject country",
}

#: Baseline-derived inputs kept before the memory starts afresh.
_INPUTS_KEPT = 64

# The empty result of a request with nothing to find (a clone costs under 1 us).
_NO_FINDINGS = empty_findings()
_NO_INDICATORS = pl.DataFrame(schema=INDICATOR_SCHEMA)
_NO_SCORES = pl.DataFrame(schema=SCORE_SCHEMA)


@dataclass(frozen=True)
class Assessment:
    """Every intermediate frame of one run over a batch (inputs of findings and leads)."""

    lines: pl.DataFrame
    checks: pl.DataFrame
    candidates: pl.DataFrame
    indicators: pl.DataFrame
    scores: pl.DataFrame


def prepare_lines(lines: pl.DataFrame, party_keys: bool = True) -> pl.DataFrame:
    """Declaration lines with the typed columns and party keys the indicators read (the
    deposit checks alone read no party key: ``party_keys=False`` leaves them out)."""
    optional = {"manufacturer_name": pl.String, "manufacturer_address": pl.String,
                "seller_name": pl.String, "seller_country": pl.String,
                "quantity_unit": pl.String, "importer_id": pl.String,
                "importer_name": pl.String, "entry_date": pl.Date}
    frame = lines.with_columns([pl.lit(None, t).alias(c) for c, t in optional.items()
                                if c not in lines.columns])
    frame = (with_party_keys(frame) if party_keys else frame).with_columns(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("entry_date").cast(pl.Date),
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase().alias("origin"),
        normalise_hts().alias("hts10"),
        pl.col("quantity").cast(pl.Float64), pl.col("quantity_unit").cast(pl.String),
        pl.col("entered_value_usd").cast(pl.Float64),
        pl.coalesce(pl.col("importer_id").cast(pl.String), pl.col("importer_name"))
        .alias("importer"),
    )
    return frame.with_columns(pl.col("hts10").str.slice(0, 6).alias("hts6"))


def _span(batch: pl.DataFrame) -> tuple[date, date] | None:
    """First and last entry date of the batch (None when it has no dates)."""
    first, last = batch["entry_date"].min(), batch["entry_date"].max()
    return (first, last) if isinstance(first, date) and isinstance(last, date) else None


class AdcvdDetector:
    """AD/CVD scope, deposits and transshipment indicators (category ``adcvd``)."""

    name: ClassVar[str] = "adcvd"
    version: ClassVar[str] = "1.2.0"
    # The declared fields ``detect`` reads (entry header and line, besides the keys): batch
    # engines gather only these for its candidate lines.
    reads: ClassVar[tuple[str, ...]] = (
        "entry_date", "entry_type", "importer_id", "importer_name", "hts_code",
        "country_of_origin", "quantity", "quantity_unit", "entered_value_usd",
        "manufacturer_id", "manufacturer_name", "manufacturer_address", "manufacturer_country",
        "seller_name", "seller_country", "adcvd_deposit_usd", "adcvd_case_number",
    )

    def __init__(self, config: AdcvdConfig | dict[str, Any] | None = None) -> None:
        self.config = config if isinstance(config, AdcvdConfig) else AdcvdConfig(
            **(config or {}))
        self.baseline = EvasionBaseline()
        self._screen: RequestScreen | None = None
        self._ties: tuple[EvasionBaseline, pl.DataFrame, object, TieScreen] | None = None
        self._inputs: Kept[tuple[object, ...], tuple[tuple[object, ...], pl.DataFrame]] = \
            Kept(_INPUTS_KEPT)

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Aggregate past declaration lines into the evasion baseline (once per history)."""
        if history.height == 0:
            self.baseline = EvasionBaseline()
            return
        self.baseline = build_baseline(prepare_lines(history), ctx.ref.adcvd_orders)

    def assess(self, lines: pl.DataFrame, ctx: DetectionContext) -> Assessment:
        """Run every check and indicator over the batch; nothing is filtered yet."""
        cfg, orders = self.config, ctx.ref.adcvd_orders
        batch = prepare_lines(lines)
        # HTS prefix matching once per batch, shared by the deposit checks and the indicators.
        in_scope = match_scope(batch, orders)
        checks = deposit_checks(batch, orders, cfg, in_scope)
        scope = third_country_scope(batch, orders, scope=in_scope)
        joined = scope.join(batch.drop("origin"), on=["entry_number", "line_number"])
        cand = first_seen_dates(joined, self.baseline)
        if cand.is_empty():
            # No line could be a third-country evasion: every indicator would be empty.
            none = pl.DataFrame(schema=INDICATOR_SCHEMA)
            return Assessment(batch, checks, cand, none, score_lines(none, cand, cfg))
        base, countries = self.baseline, tuple(sorted(set(scope["subject_country"].to_list())))
        # Inputs that depend only on the baseline, reference data and config: kept.
        places = self._kept(("places", ctx.ref, cfg, countries),
                            lambda: subject_places(ctx.ref, list(countries), cfg))
        ranked = self._kept(("ranked", base), lambda: ranked_unit_values(base)) \
            if base.unit_values.height else None
        rates = self._kept(("start_up_rates", base, cfg), lambda: start_up_rates(base, cfg))
        routes = self._kept(("routes", orders, ctx.ref, cfg),
                            lambda: documented_routes(orders, ctx.ref, cfg))
        parts = [
            new_manufacturer(cand, base, cfg), mid_subject(cand),
            address_subject(cand, places), seller_subject(cand),
            origin_switch(cand, base), price_subject(cand, base, cfg, ranked),
            new_plant_volume(cand, base, cfg, _span(batch), rates),
            surge(cand, base, cfg), supplier_subject(cand, ctx.supply_chain, cfg),
            new_importer(cand, base),
            known_route(cand, routes),
        ]
        indicators = pl.concat([p.select([pl.col(c).cast(t) for c, t in INDICATOR_SCHEMA.items()])
                                for p in parts])
        return Assessment(batch, checks, cand, indicators, score_lines(indicators, cand, cfg))

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for the batch in :data:`tradeguard.findings.FINDINGS_SCHEMA`.

        A request-sized frame that provably has nothing to find skips the batch path's
        queries (:mod:`.request`); one whose lines can have no transshipment report gets the
        deposit checks alone (:mod:`.request_ties`); every other frame is assessed in full."""
        if lines.height <= SMALL_REQUEST:
            screen = self.screen(ctx)
            read = screen.triage(lines)
            if read is not None and not (any(read.third) and screen.may_evade(read)
                                         and self.ties(ctx).may_tie(
                                             read, lines.schema, ctx.supply_chain, screen)):
                if read.deposits_clear:
                    return _NO_FINDINGS.clone()
                return self.findings(self._checks(lines, ctx))
        return self.findings(self.assess(lines, ctx))

    def _checks(self, lines: pl.DataFrame, ctx: DetectionContext) -> Assessment:
        """The deposit checks of ``lines`` with no evasion indicator: :meth:`assess` when
        no line can be reported (its findings are then the checks alone)."""
        batch = prepare_lines(lines, party_keys=False)
        orders = ctx.ref.adcvd_orders
        checks = deposit_checks(batch, orders, self.config, match_scope(batch, orders))
        none = _NO_INDICATORS.clear()
        return Assessment(batch, checks, none, none, _NO_SCORES.clear())

    def ties(self, ctx: DetectionContext) -> TieScreen:
        """The subject-country tie screen for this baseline, order list and reference data
        (built once, then kept)."""
        cfg, orders = self.config, ctx.ref.adcvd_orders
        routes = self._kept(("routes", orders, ctx.ref, cfg),
                            lambda: documented_routes(orders, ctx.ref, cfg))
        kept = self._ties
        if kept is None or kept[0] is not self.baseline or kept[1] is not routes \
                or kept[2] is not ctx.ref:
            ref = ctx.ref
            screen = TieScreen(self.baseline, cfg, routes, lambda country: self._kept(
                ("places", ref, cfg, (country,)),
                lambda: subject_places(ref, [country], cfg)))
            kept = self._ties = (self.baseline, routes, ref, screen)
        return kept[3]

    def _kept(self, key: tuple[object, ...], make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """``make()``, kept under ``key``: a name, then the objects it was made from
        (compared by identity, so a new baseline or order list makes it again) and values."""
        slot = (key[0], *(k for k in key[1:] if isinstance(k, tuple)))
        found = self._inputs.get(slot)
        if found is None or len(found[0]) != len(key) or not all(
                a is b for a, b in zip(found[0], key, strict=True)
                if not isinstance(a, tuple)):
            found = self._inputs.keep(slot, (key, make()))
        return found[1]

    def screen(self, ctx: DetectionContext) -> RequestScreen:
        """The request screen for this baseline and order list (built once, then kept)."""
        orders = ctx.ref.adcvd_orders
        screen = self._screen
        if screen is None or not screen.fits(orders, self.baseline, self.config):
            screen = self._screen = RequestScreen(orders, self.baseline, self.config)
        return screen

    def __getstate__(self) -> dict[str, object]:
        # The screen is derived from the baseline; rebuilt on first use after unpickling.
        return {**self.__dict__, "_screen": None, "_inputs": {}, "_ties": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_screen", None)
        self.__dict__.setdefault("_ties", None)
        self.__dict__.setdefault("_inputs", {})

    def findings(self, result: Assessment) -> pl.DataFrame:
        """Findings of an assessment: every check, and each indicator of reported lines."""
        stamp = [pl.lit(Category.ADCVD.value).alias("category"),
                 pl.lit(self.name).alias("detector"),
                 pl.lit(self.version).alias("detector_version")]
        checks = result.checks.with_columns(stamp)
        cols = ["entry_number", "line_number", "category", "reason_code", "severity", "text",
                "evidence", "detector", "detector_version"]
        if result.scores.is_empty() or result.indicators.is_empty():
            # no line reported for evasion (the deposit checks alone): the checks, as below
            return conform(checks.select(cols)) if checks.height else empty_findings()
        reported = result.scores.filter(pl.col("reported"))
        evasion = result.indicators.join(
            reported.select("entry_number", "line_number", "subject_country", "score",
                            "indicators", "severity"),
            on=["entry_number", "line_number", "subject_country"], how="inner")
        described = pl.col("reason_code").replace_strict(INDICATOR_TEXT, default="indicator")
        outer = pl.struct(
            pl.col("score").round(3), pl.col("indicators"), pl.col("subject_country"),
            pl.col("primary_case")).struct.json_encode()
        evasion = evasion.with_columns(
            pl.concat_str([pl.lit("Possible transshipment of goods under "),
                           pl.col("primary_case"), pl.lit(" ("), pl.col("subject_country"),
                           pl.lit("): "), described, pl.lit("; score "),
                           pl.col("score").round(2).cast(pl.String), pl.lit(" from "),
                           pl.col("indicators").list.len().cast(pl.String),
                           pl.lit(" indicators")]).alias("text"),
            pl.concat_str([pl.lit('{"detail":'), pl.col("evidence"), pl.lit(","),
                           outer.str.slice(1)]).alias("evidence"),
            *stamp)
        frames = [f for f in (checks, evasion) if f.height]
        if not frames:
            return empty_findings()
        return conform(pl.concat([f.select(cols) for f in frames], how="vertical_relaxed"))
