"""The history baseline of the evasion indicators, built once in ``fit``.

Everything here is an aggregate of past declaration lines: when each manufacturer (MID or
normalised name) was first seen, which origins each importer bought each product from, unit
value medians and the sorted unit values themselves per (HTS, unit, origin) (the price test
ranks new lines among them), monthly line counts of in-scope goods per (origin,
order), each third-country plant's shipments (entries) under each order (how fast plants that
started within history ramped up, what a new plant shipped first), and which importers already
bought each order's merchandise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from tradeguard.detectors.adcvd.parties import with_party_keys
from tradeguard.detectors.adcvd.scope import match_scope, normalise_hts


def third_country_scope(lines: pl.DataFrame, orders: pl.DataFrame, *,
                        in_force_only: bool = True,
                        scope: pl.DataFrame | None = None) -> pl.DataFrame:
    """In-scope lines from a country other than the order's: one row per (line, subject
    country) with the order family (``primary_case``: first AD case, else first CVD), the
    cases, and the summed known deposit rate (null when no order gives one). ``scope`` is
    ``match_scope(lines, orders, in_force_only=...)`` when the caller already has it."""
    if scope is None:
        scope = match_scope(lines, orders, in_force_only=in_force_only)
    origin = lines.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase().alias("origin"))
    return (
        scope.join(origin, on=["entry_number", "line_number"])
        .filter(pl.col("origin") != pl.col("country"))
        .sort("entry_number", "line_number", pl.col("order_type") != "AD", "case_number")
        .group_by("entry_number", "line_number", "origin",
                  pl.col("country").alias("subject_country"), maintain_order=True)
        .agg(
            pl.col("case_number").first().alias("primary_case"),
            pl.col("case_number").alias("cases"),
            pl.col("order_date").min(),
            pl.when(pl.col("deposit_rate").is_not_null().any())
            .then(pl.col("deposit_rate").sum()).otherwise(None).alias("rate_sum"),
        )
    )


def month(column: str = "entry_date") -> pl.Expr:
    """The first day of the entry's month (the unit of the surge counts)."""
    return pl.col(column).cast(pl.Date).dt.truncate("1mo")


@dataclass
class EvasionBaseline:
    """Aggregates of history the indicators compare a batch against."""

    start: date | None = None
    end: date | None = None
    months: int = 0
    first_seen_mid: pl.DataFrame = field(default_factory=pl.DataFrame)
    first_seen_name: pl.DataFrame = field(default_factory=pl.DataFrame)
    importer_origins: pl.DataFrame = field(default_factory=pl.DataFrame)
    prices: pl.DataFrame = field(default_factory=pl.DataFrame)
    flows: pl.DataFrame = field(default_factory=pl.DataFrame)
    plants: pl.DataFrame = field(default_factory=pl.DataFrame)
    rows: int = 0
    unit_values: pl.DataFrame = field(default_factory=pl.DataFrame)
    importer_cases: pl.DataFrame = field(default_factory=pl.DataFrame)


def build_baseline(history: pl.DataFrame, orders: pl.DataFrame) -> EvasionBaseline:
    """Aggregate past declaration lines (entries joined to lines) into the baseline."""
    if history.height == 0 or "entry_date" not in history.columns:
        return EvasionBaseline()
    hist = with_party_keys(history).with_columns(
        pl.col("entry_date").cast(pl.Date),
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase().alias("origin"),
        normalise_hts().alias("hts10"),
    )
    start, end = hist["entry_date"].min(), hist["entry_date"].max()
    assert isinstance(start, date) and isinstance(end, date)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    first_mid = hist.group_by("mid_key").agg(pl.col("entry_date").min().alias("first_seen")) \
        .drop_nulls("mid_key")
    first_name = hist.group_by("name_key").agg(pl.col("entry_date").min().alias("first_seen")) \
        .drop_nulls("name_key")
    imp_col = "importer_id" if "importer_id" in hist.columns else "importer_name"
    importer_origins = hist.select(
        pl.col(imp_col).cast(pl.String).alias("importer"), pl.col("hts10").str.slice(0, 6)
        .alias("hts6"), "origin", "entry_date",
    ).group_by("importer", "hts6", "origin").agg(
        pl.len().alias("lines"), pl.col("entry_date").max().alias("last_seen"))
    uv = (pl.col("entered_value_usd").cast(pl.Float64) / pl.col("quantity").cast(pl.Float64))
    prices = hist.filter(pl.col("quantity").cast(pl.Float64) > 0).group_by(
        "hts10", pl.col("quantity_unit").cast(pl.String), "origin").agg(
        uv.median().alias("median_uv"), pl.len().alias("n"))
    unit_values = hist.filter(pl.col("quantity").cast(pl.Float64) > 0).select(
        "hts10", pl.col("quantity_unit").cast(pl.String), "origin", uv.alias("uv")
    ).drop_nulls().sort("uv")
    # HTS prefix matching once for history: third-country flows and importers' purchases.
    in_scope = match_scope(hist, orders, in_force_only=False)
    scope = third_country_scope(hist, orders, scope=in_scope).join(
        hist.select("entry_number", pl.col("line_number").cast(pl.Int64), "entry_date",
                    "mid_key", "name_key", pl.col("entered_value_usd").cast(pl.Float64)),
        on=["entry_number", "line_number"])
    flows = scope.with_columns(month().alias("month")).group_by(
        "origin", "subject_country", "primary_case", "month").agg(
        pl.len().alias("lines"), pl.col("order_date").min())
    plant = pl.coalesce("mid_key", "name_key").alias("plant")
    # One row per shipment (entry) of a third-country plant under an order: how fast plants
    # that started within history ramped up, and what a new plant shipped in its first months.
    plants = scope.with_columns(plant).drop_nulls("plant").group_by(
        "origin", "primary_case", "plant", "entry_number").agg(
        pl.col("entry_date").min(), pl.col("entered_value_usd").sum())
    # Importers that bought goods within an order's scope from any country, the subject
    # country included (every case the HTS number falls under, whatever the origin).
    importer_cases = in_scope.join(
        hist.select("entry_number", pl.col("line_number").cast(pl.Int64),
                    pl.col("importer" if "importer" in hist.columns else imp_col)
                    .cast(pl.String).alias("importer")),
        on=["entry_number", "line_number"]).select(
        "importer", "case_number").drop_nulls().unique()
    return EvasionBaseline(start, end, months, first_mid, first_name, importer_origins, prices,
                           flows, plants, hist.height, unit_values, importer_cases)
