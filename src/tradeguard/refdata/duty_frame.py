"""Expected duty for many entry lines at once: joins and column expressions, no Python loops.

The entry-checks detector compares declared duty to these expected amounts. The rules are the
ones of :func:`tradeguard.refdata.duty.compute_duty`; undetermined amounts stay null with a
reason in ``duty_undetermined_reason`` rather than being guessed. The tables joined are built
once per tariff schedule (:mod:`tradeguard.refdata.duty_lookups`), not on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import polars as pl

from tradeguard.refdata.duty_lookups import DutyLookups, duty_lookups
from tradeguard.refdata.trade_programs import FEE_SCHEDULES, INFORMAL_ENTRY_LIMIT_USD

if TYPE_CHECKING:
    from tradeguard.refdata.loader import ReferenceData

COMPUTABLE = ["free", "ad_valorem", "specific", "compound"]
def _col(df: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(dtype) if name in df.columns else pl.lit(None, dtype=dtype)


def _prepare(lines: pl.DataFrame, on: date | None) -> pl.DataFrame:
    when = on or date.today()
    date_expr = (pl.col("entry_date").cast(pl.Date, strict=False).fill_null(when)
                 if "entry_date" in lines.columns else pl.lit(when, dtype=pl.Date))
    return lines.with_row_index("_row").with_columns(
        pl.col("hts_code").cast(pl.String).str.replace_all(r"\D", "").alias("hts10"),
        pl.col("country_of_origin").cast(pl.String).str.strip_chars().str.to_uppercase()
        .alias("_origin"),
        pl.col("entered_value_usd").cast(pl.Float64).alias("_value"),
        _col(lines, "quantity", pl.Float64()).alias("_qty"),
        _col(lines, "quantity_unit", pl.String()).str.to_uppercase().alias("_unit"),
        _col(lines, "spi", pl.String()).str.strip_chars().str.to_uppercase().alias("_spi"),
        _col(lines, "adcvd_case_number", pl.String()).str.strip_chars().str.to_uppercase()
        .alias("_case"),
        date_expr.alias("_date"),
    )


def _chapter99_by_row(df: pl.DataFrame, lookups: DutyLookups) -> pl.DataFrame:
    wide = lookups.country_wide
    if wide is None:
        return pl.DataFrame(schema={"_row": pl.UInt32, "chapter99_rate": pl.Float64,
                                    "chapter99_headings": pl.List(pl.String)})
    hits = (df.select("_row", "_origin", "_date", "_spi").join(wide, on="_origin", how="inner")
            .filter((pl.col("in_force_until").is_null()
                     | (pl.col("in_force_until") > pl.col("_date")))
                    & ~(pl.col("_spi").is_in(["S", "S+"]).fill_null(False)
                        & pl.col("_origin").is_in(["CA", "MX"]))))
    # More than one country-wide heading = alternatives the data cannot choose between: null.
    return hits.group_by("_row").agg(
        pl.when(pl.len() == 1).then(pl.col("added_ad_valorem").sum())
        .otherwise(None).alias("chapter99_rate"),
        pl.col("heading").sort().alias("chapter99_headings"))


def _chapter99_may_apply(df: pl.DataFrame, lookups: DutyLookups) -> bool:
    """Whether some line's origin has a country-wide Chapter 99 measure in force on its date
    (when none has, the join and grouping of :func:`_chapter99_by_row` find nothing). Lines
    that already carry the columns the join adds always take the join."""
    wide = lookups.country_wide
    if wide is None:
        return True
    if {"chapter99_rate", "chapter99_headings"} & set(df.columns):
        return True
    ends = lookups.country_wide_ends
    open_ended = [o for o, end in ends.items() if end is None]
    last_day = {o: end for o, end in ends.items() if end is not None}
    in_force = pl.col("_origin").is_in(open_ended) | (
        pl.col("_date") < pl.col("_origin").replace_strict(
            last_day, default=None, return_dtype=pl.Date))
    return bool(df.select(in_force.fill_null(False).any()).item())


@dataclass(frozen=True)
class _RateExprs:
    """The rate-column choice, the rate picks and the duty columns (the same expressions for
    every batch: built once)."""

    column: pl.Expr
    picks: tuple[pl.Expr, ...]
    duty: tuple[pl.Expr, ...]
    total: pl.Expr


@lru_cache(maxsize=1)
def _rate_exprs() -> _RateExprs:
    is_col2 = pl.col("_col2_from").is_not_null() & (pl.col("_date") >= pl.col("_col2_from"))
    eligible = (pl.col("special_kind").is_not_null() & pl.col("prog_from").is_not_null()
                & (pl.col("_date") >= pl.col("prog_from"))
                & (pl.col("prog_to").is_null() | (pl.col("_date") < pl.col("prog_to"))))
    column = (pl.when(pl.col("general_kind").is_null()).then(pl.lit(None, pl.String))
              .when(is_col2).then(pl.lit("column2"))
              .when(eligible).then(pl.lit("special")).otherwise(pl.lit("general")))

    def pick(general: str, special_name: str, column2: str) -> pl.Expr:
        return (pl.when(pl.col("rate_column") == "column2").then(pl.col(column2))
                .when(pl.col("rate_column") == "special").then(pl.col(special_name))
                .otherwise(pl.col(general)))

    factor = pl.when(pl.col("_unit") == pl.col("expected_specific_unit")).then(1.0) \
        .otherwise(pl.col("_factor"))
    needs_qty = pl.col("expected_specific_usd").fill_null(0.0) > 0
    specific_part = pl.when(needs_qty).then(
        pl.col("expected_specific_usd") * pl.col("_qty") * factor).otherwise(0.0)
    duty = pl.when(pl.col("rate_kind").is_in(COMPUTABLE)).then(
        pl.col("expected_ad_valorem").fill_null(0.0) * pl.col("_value") + specific_part)
    reason = (pl.when(pl.col("rate_column").is_null()).then(pl.lit("hts_not_in_schedule"))
              .when(~pl.col("rate_kind").is_in(COMPUTABLE)).then(pl.lit("conditional_rate"))
              .when(needs_qty & (pl.col("_qty").is_null() | factor.is_null()))
              .then(pl.lit("quantity_not_in_rate_unit")).otherwise(pl.lit(None, pl.String)))
    return _RateExprs(
        column=column.alias("rate_column"),
        picks=(
            pick("general_rate", "rate_text", "column2_rate").alias("rate_text"),
            pick("general_kind", "special_kind", "column2_kind").alias("rate_kind"),
            pick("general_ad_valorem", "special_ad_valorem", "column2_ad_valorem")
            .alias("expected_ad_valorem"),
            pick("general_specific", "special_specific", "column2_specific")
            .alias("expected_specific_usd"),
            pick("specific_unit", "special_specific_unit", "column2_specific_unit")
            .alias("expected_specific_unit"),
        ),
        duty=(duty.round(2).alias("expected_duty_usd"),
              reason.alias("duty_undetermined_reason"),
              pl.col("rate_column").is_not_null().alias("tariff_found")),
        total=(pl.col("expected_duty_usd") + pl.col("expected_chapter99_usd")
               + pl.col("expected_adcvd_usd") + pl.col("expected_mpf_usd")).round(2)
        .alias("expected_total_usd"),
    )


@lru_cache(maxsize=2)
def _fee_exprs(with_deposit: bool) -> tuple[pl.Expr, ...]:
    """Chapter 99, AD/CVD deposit and MPF amounts; ``with_deposit``: the order list's
    ``deposit_rate`` was joined (else no line names a case)."""
    deposit = pl.col("deposit_rate") if with_deposit else pl.lit(None, pl.Float64)
    mpf = pl.lit(None, pl.Float64)
    for fees in FEE_SCHEDULES:
        in_year = (pl.col("_date") >= fees.valid_from) & (pl.col("_date") < fees.valid_to)
        raw = (pl.col("_value") * fees.mpf_rate).clip(fees.mpf_min_usd, fees.mpf_max_usd)
        mpf = pl.when(in_year).then(raw).otherwise(mpf)
    last = FEE_SCHEDULES[-1]
    mpf = pl.when(pl.col("_date") >= last.valid_to).then(
        (pl.col("_value") * last.mpf_rate).clip(last.mpf_min_usd, last.mpf_max_usd)).otherwise(mpf)
    formal = pl.col("_value") > INFORMAL_ENTRY_LIMIT_USD
    return (
        (pl.col("chapter99_rate") * pl.col("_value")).round(2).alias("expected_chapter99_usd"),
        pl.when(pl.col("_case").is_null()).then(0.0)
        .otherwise(deposit * pl.col("_value")).round(2)
        .alias("expected_adcvd_usd"),
        pl.when(formal).then(mpf).otherwise(0.0).round(2).alias("expected_mpf_usd"),
    )


def expected_duty_frame(lines: pl.DataFrame, ref: ReferenceData,
                        on: date | None = None) -> pl.DataFrame:
    """Add expected duty columns to contract ``lines`` (hts_code, country_of_origin, ...)."""
    df = _prepare(lines, on)
    lookups = duty_lookups(ref.tariff)
    tariff, special = lookups.for_codes(df.get_column("hts10"))
    df = (df.join(tariff, on="hts10", how="left")
          .join(lookups.column2, on="_origin", how="left")
          .join(special, on=["hts10", "_spi"], how="left")
          .join(lookups.programs, on=["_spi", "_origin"], how="left"))
    rates = _rate_exprs()
    df = df.with_columns(rates.column)
    df = df.with_columns(rates.picks).join(
        lookups.conversions, on=["_unit", "expected_specific_unit"], how="left")
    df = df.with_columns(rates.duty)
    if _chapter99_may_apply(df, lookups):
        df = df.join(_chapter99_by_row(df, lookups), on="_row", how="left").with_columns(
            pl.when(pl.col("chapter99_headings").is_null()).then(0.0)
            .otherwise(pl.col("chapter99_rate")).alias("chapter99_rate"),
            pl.when(pl.col("chapter99_headings").is_not_null()
                    & pl.col("chapter99_rate").is_null())
            .then(pl.lit("chapter99_alternatives")).otherwise(pl.col("duty_undetermined_reason"))
            .alias("duty_undetermined_reason"))
    else:  # what the join gives when no line meets a measure: no heading, no add-on
        df = df.with_columns(pl.lit(0.0).alias("chapter99_rate"),
                             pl.lit(None, pl.List(pl.String)).alias("chapter99_headings"))
    joined = df.get_column("_case").null_count() < df.height or "deposit_rate" in df.columns
    if joined:
        orders = ref.adcvd_orders.select(pl.col("case_number").alias("_case"), "deposit_rate")
        df = df.join(orders, on="_case", how="left")
    # without the join no line names a case, and no deposit is expected
    df = df.with_columns(_fee_exprs(joined)).with_columns(
        rates.total, pl.lit(ref.versions.get("tariff")).alias("tariff_version"))
    keep = [*lines.columns, "hts10", "tariff_found", "rate_column", "rate_text", "rate_kind",
            "expected_ad_valorem", "expected_specific_usd", "expected_specific_unit",
            "expected_duty_usd", "chapter99_rate", "chapter99_headings",
            "expected_chapter99_usd", "expected_adcvd_usd", "expected_mpf_usd",
            "expected_total_usd", "duty_undetermined_reason", "tariff_version"]
    keep = list(dict.fromkeys(c for c in keep if c in df.columns))
    return df.sort("_row").select(keep)
