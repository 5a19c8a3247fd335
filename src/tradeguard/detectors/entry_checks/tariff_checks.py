"""Checks against the tariff: the HTS number, its unit of quantity, the duty, SPI claims and
AD/CVD scope of type 01 entries. All read the reference data version they cite."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from tradeguard.detectors.entry_checks.frame import emit, fmt, txt, usd
from tradeguard.refdata.duty import compute_duty_frame
from tradeguard.refdata.trade_programs import TABLES_VERSION

if TYPE_CHECKING:
    from datetime import date

    from tradeguard.detectors.entry_checks.config import DutyTolerance
    from tradeguard.detectors.entry_checks.reference import CheckTables

_DUTY_INPUT = ("hts_code", "country_of_origin", "entered_value_usd", "quantity",
               "quantity_unit", "spi", "adcvd_case_number", "entry_date")
_DUTY_OUTPUT = ("hts10", "tariff_found", "rate_column", "rate_text", "expected_duty_usd",
                "duty_undetermined_reason", "tariff_version")


def with_tariff(frame: pl.DataFrame, tables: CheckTables, as_of: date) -> pl.DataFrame:
    """Add expected duty (reference-data layer) and the tariff line's units, validity, SPIs."""
    duty = compute_duty_frame(frame.select(_DUTY_INPUT), tables.ref, on=as_of)
    lined = frame.hstack(duty.select(_DUTY_OUTPUT))
    return (lined.join(tables.tariff_for(lined.get_column("hts10")), on="hts10", how="left")
            .with_columns(pl.col("_listed").fill_null(False)))


def hts_findings(df: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_HTS_NOT_STAT (not 10 digits) and DQ_HTS_UNKNOWN (not in force on the entry date)."""
    is_stat = pl.col("hts_digits").str.contains(r"^\d{10}$").fill_null(False)
    in_force = (pl.col("_listed")
                & (pl.col("valid_from").is_null() | (pl.col("valid_from") <= pl.col("entry_date")))
                & (pl.col("valid_to").is_null() | (pl.col("entry_date") < pl.col("valid_to"))))
    version = txt(pl.col("tariff_version"), "unknown")
    return [
        emit(df, ~is_stat, "DQ_HTS_NOT_STAT",
             fmt("HTS code '{}' is not a 10-digit statistical number; entry lines must "
                       "declare all ten digits of the HTSUS number.", txt(pl.col("hts_code"))),
             {"declared_hts": pl.col("hts_code"),
              "digits": pl.col("hts_digits").str.len_chars(), "rule": pl.lit("19 CFR 152.11; "
              "HTSUS General Note 1 (10-digit statistical reporting number)")}),
        emit(df, is_stat & ~in_force, "DQ_HTS_UNKNOWN",
             fmt("HTS number {} is not in the tariff schedule in force on {} (HTS "
                       "version {}).", pl.col("hts_digits"), txt(pl.col("entry_date")), version),
             {"declared_hts": pl.col("hts_digits"), "entry_date": pl.col("entry_date"),
              "listed": pl.col("_listed"), "tariff_version": pl.col("tariff_version")}),
    ]


def unit_findings(df: pl.DataFrame) -> list[pl.DataFrame]:
    """DQ_UNIT_MISMATCH: the quantity is not declared in the tariff's first unit.

    The first unit is the reporting unit of the statistical quantity; where the schedule
    prints two (``doz. and kg``) the second is reported in addition, never instead, so a line
    carrying one quantity must carry it in the first. Lines whose number prints no unit (``X``)
    are not checked.
    """
    unit = pl.col("quantity_unit").str.to_uppercase().str.replace_all(r"[.\s]", "")
    units = pl.col("tariff_units")
    mismatch = (pl.col("_listed") & (units.list.len() > 0) & unit.is_not_null()
                & (units.list.first() != unit))
    return [emit(df, mismatch, "DQ_UNIT_MISMATCH",
                 fmt("Quantity is declared in {} but HTS {} is reported in {} first.",
                           txt(pl.col("quantity_unit")), pl.col("hts10"),
                           units.list.join(" and ")),
                 {"declared_unit": pl.col("quantity_unit"), "tariff_units": units,
                  "hts10": pl.col("hts10"), "tariff_version": pl.col("tariff_version")})]


def duty_findings(df: pl.DataFrame, tol: DutyTolerance, stats: dict[str, int]
                  ) -> list[pl.DataFrame]:
    """DQ_DUTY_MISMATCH beyond both tolerances, against the HTS duty (the contract's
    ``duty_usd`` excludes Chapter 99 and AD/CVD). Lines whose expected duty the reference data
    cannot determine are counted by reason (``stats['duty_undetermined:<reason>']``), never
    guessed."""
    declared, expected = pl.col("duty_usd"), pl.col("expected_duty_usd")
    # chapter99_alternatives concerns Chapter 99 only; the HTS duty compared here is known.
    undetermined = df.filter(declared.is_not_null() & expected.is_null())
    if undetermined.height:
        counts = undetermined.group_by("duty_undetermined_reason").len()
        for reason, n in counts.iter_rows():
            stats[f"duty_undetermined:{reason}"] = int(n)
    stats["duty_not_declared"] = df.get_column("duty_usd").null_count()
    diff = declared - expected
    comparable = declared.is_not_null() & expected.is_not_null()
    beyond = (diff.abs() > tol.abs_usd) & (diff.abs() > tol.rel * expected.abs())
    severity = (pl.when(diff <= -tol.high_shortfall_usd).then(pl.lit("high"))
                .when(diff < 0).then(pl.lit("medium")).otherwise(pl.lit("low")))
    return [emit(df, comparable & beyond, "DQ_DUTY_MISMATCH",
                 fmt("Declared duty {} differs from {} expected at the {} rate '{}' of "
                           "HTS {} ({} {}).", usd(declared), usd(expected),
                           txt(pl.col("rate_column")), txt(pl.col("rate_text")), pl.col("hts10"),
                           pl.when(diff < 0).then(pl.lit("shortfall"))
                           .otherwise(pl.lit("overpayment")), usd(diff.abs())),
                 {"declared_duty_usd": declared, "expected_duty_usd": expected,
                  "difference_usd": diff.round(2), "rate_column": pl.col("rate_column"),
                  "rate_text": pl.col("rate_text"), "tariff_version": pl.col("tariff_version"),
                  "trade_programs_version": pl.lit(TABLES_VERSION),
                  "tolerance_abs_usd": pl.lit(tol.abs_usd), "tolerance_rel": pl.lit(tol.rel)},
                 severity=severity)]


def spi_findings(df: pl.DataFrame, tables: CheckTables) -> list[pl.DataFrame]:
    """DQ_SPI_INELIGIBLE: unknown program, program not in force, origin not a partner, or
    the tariff line's special column does not list the program."""
    if df.get_column("spi").null_count() == df.height:
        return []
    claims = df.filter(pl.col("spi").is_not_null()).with_columns(
        pl.col("spi").str.to_uppercase().alias("_spi"),
        pl.col("country_of_origin").str.to_uppercase().alias("_origin"),
    ).join(tables.programs, on="_spi", how="left")
    date_ = pl.col("entry_date")
    why = (pl.when(pl.col("program").is_null())
           .then(fmt("SPI '{}' is not a special program indicator of the tariff",
                           pl.col("spi")))
           .when((date_ < pl.col("prog_from"))
                 | (pl.col("prog_to").is_not_null() & (date_ >= pl.col("prog_to"))))
           .then(fmt("{} was not in force on {}", pl.col("program"), txt(date_)))
           .when(~pl.col("partners").list.contains(pl.col("_origin")).fill_null(False))
           .then(fmt("origin {} is not a {} country", txt(pl.col("country_of_origin")),
                           pl.col("program")))
           .when(pl.col("_listed") & ~pl.col("tariff_programs").list.contains(pl.col("_spi"))
                 .fill_null(False))
           .then(fmt("the special column of HTS {} does not list {}", pl.col("hts10"),
                           pl.col("_spi")))
           .otherwise(pl.lit(None, pl.String)))
    claims = claims.with_columns(why.alias("_why"))
    return [emit(claims, pl.col("_why").is_not_null(), "DQ_SPI_INELIGIBLE",
                 fmt("Preference {} cannot be claimed here: {}.", pl.col("spi"),
                           pl.col("_why")),
                 {"declared_spi": pl.col("spi"), "origin": pl.col("country_of_origin"),
                  "program": pl.col("program"), "legal_basis": pl.col("legal_basis"),
                  "reason": pl.col("_why"), "tariff_programs": pl.col("tariff_programs"),
                  "tariff_version": pl.col("tariff_version"),
                  "trade_programs_version": pl.lit(TABLES_VERSION)})]


def adcvd_type01_findings(df: pl.DataFrame, tables: CheckTables) -> list[pl.DataFrame]:
    """ADCVD_TYPE01_IN_SCOPE: type 01 line matching an order (HTS prefix + origin, order in
    effect) with no case number. HTS numbers on orders are for convenience: a lead, not proof.
    """
    base = df.filter((pl.col("entry_type") == "01") & pl.col("adcvd_case_number").is_null()
                     & pl.col("hts_digits").is_not_null())
    if base.is_empty() or not tables.orders_by_length:
        return []
    parts = []
    for length, table in tables.orders_by_length:  # a handful of prefix lengths
        parts.append(base.with_columns(
            pl.col("hts_digits").str.slice(0, length).alias("prefix"))
            .join(table, left_on=["country_of_origin", "prefix"],
                  right_on=["country", "prefix"], how="inner"))
    hits = pl.concat(parts).filter(
        pl.col("order_date").is_null() | (pl.col("order_date") <= pl.col("entry_date")))
    hits = hits.group_by("_row", maintain_order=True).agg(
        pl.all().exclude("case_number", "product", "prefix", "order_date").first(),
        pl.col("case_number").unique(maintain_order=True).alias("cases"),
        pl.col("product").unique(maintain_order=True).alias("products"),
        pl.col("prefix").unique(maintain_order=True).alias("prefixes"))
    return [emit(hits, pl.lit(True), "ADCVD_TYPE01_IN_SCOPE",
                 fmt("Type 01 entry, but HTS {} from {} matches AD/CVD order(s) {} ({}); "
                           "goods in scope are entered as type 03 with the case number and "
                           "cash deposit.", pl.col("hts_digits"), pl.col("country_of_origin"),
                           pl.col("cases").list.join(", "), pl.col("products").list.join("; ")),
                 {"entry_type": pl.col("entry_type"), "hts": pl.col("hts_digits"),
                  "origin": pl.col("country_of_origin"), "cases": pl.col("cases"),
                  "order_hts_prefixes": pl.col("prefixes"),
                  "adcvd_orders_version": pl.lit(tables.adcvd_version),
                  "caveat": pl.lit("HTS numbers on an order are for convenience; the written "
                                   "scope governs")})]
