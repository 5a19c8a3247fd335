"""Subject merchandise checks: case numbers, entry type and cash deposits.

A line is subject merchandise when its HTS number falls under an order on its country of
origin that was in force on the entry date (see :mod:`.scope`). Type 01 entries of subject
merchandise *without* a case number are the entry checks' ``ADCVD_TYPE01_IN_SCOPE``; this
module reports the rest: a declared case that is not an order on that country and product, a
missing case on other entry types, an entry type other than 03, and a deposit short of the
rate times the value (with "rate unknown" evidence when the order list gives no rate).
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.scope import match_orders, match_scope

CHECK_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "reason_code": pl.String(),
    "severity": pl.String(), "text": pl.String(), "evidence": pl.String(),
    "case_number": pl.String(), "expected_deposit_usd": pl.Float64(),
    "shortfall_usd": pl.Float64(), "rate_assumed": pl.Boolean(),
}


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype)


def subject_lines(lines: pl.DataFrame, orders: pl.DataFrame,
                  scope: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per line with its declared case/deposit, the orders it is subject to, whether
    the declared case is one of them, and the expected deposit (null when a rate is unknown).

    ``scope`` is ``match_scope(lines, orders)`` when the caller already has it (one HTS
    prefix match per batch serves the deposit checks and the evasion indicators)."""
    base = lines.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        _col(lines, "entry_type", pl.String()).str.strip_chars().alias("entry_type"),
        pl.col("entered_value_usd").cast(pl.Float64).alias("value"),
        _col(lines, "adcvd_deposit_usd", pl.Float64()).alias("declared_deposit"),
        _col(lines, "adcvd_case_number", pl.String()).str.strip_chars().str.to_uppercase()
        .alias("declared_case"),
    ).with_columns(pl.when(pl.col("declared_case").str.len_chars() > 0)
                   .then(pl.col("declared_case")).alias("declared_case"))
    if scope is None:
        scope = match_scope(lines, orders)
    matched = match_orders(lines, orders, scope).group_by("entry_number", "line_number").agg(
        pl.col("case_number").alias("subject_cases"),
        pl.col("case_number").filter(pl.col("deposit_rate").is_null()).alias("unknown_rate"),
        pl.col("deposit_rate").sum().alias("rate_all"))
    scoped = scope.select(
        "entry_number", "line_number", pl.col("case_number").alias("declared_case"),
        pl.lit(True).alias("declared_in_hts_scope"))
    known = orders.select(pl.col("case_number").alias("declared_case"),
                          pl.col("country").alias("declared_case_country"),
                          pl.col("deposit_rate").alias("declared_rate"))
    out = (base.join(matched, on=["entry_number", "line_number"], how="left")
           .join(scoped, on=["entry_number", "line_number", "declared_case"], how="left")
           .join(known, on="declared_case", how="left"))
    subject = pl.col("subject_cases").list.len().fill_null(0) > 0
    valid = pl.col("subject_cases").list.contains(pl.col("declared_case")).fill_null(False)
    rate = (pl.when(valid).then(pl.col("declared_rate"))
            .when(pl.col("unknown_rate").list.len() == 0).then(pl.col("rate_all")))
    return out.with_columns(
        subject.alias("subject"), valid.alias("case_valid"), rate.alias("rate"),
        (rate * pl.col("value")).round(2).alias("expected_deposit_usd"))


def deposit_checks(lines: pl.DataFrame, orders: pl.DataFrame, cfg: AdcvdConfig,
                   scope: pl.DataFrame | None = None) -> pl.DataFrame:
    """Findings-shaped rows (plus expected deposit and shortfall) for subject merchandise."""
    s = subject_lines(lines, orders, scope)
    checks = _deposit_rules(cfg.deposit_tolerance)
    # One pass tells which checks any line fails; only those select their rows.
    hit = s.select(when.any().alias(code) for code, when, _ in checks).row(0)
    parts = [s.filter(when).select(columns)
             for (_, when, columns), failed in zip(checks, hit, strict=True) if failed]
    if not parts:
        return pl.DataFrame(schema=CHECK_SCHEMA)
    return pl.concat(parts, how="vertical_relaxed").select(
        [pl.col(c).cast(t) for c, t in CHECK_SCHEMA.items()])


@lru_cache(maxsize=8)
def _deposit_rules(tolerance: float) -> tuple[tuple[str, pl.Expr, tuple[pl.Expr, ...]], ...]:
    """(reason code, the lines failing it, the finding's columns) of each deposit check,
    built once per deposit tolerance."""
    has_case = pl.col("declared_case").is_not_null()
    type01_no_case = (pl.col("entry_type") == "01") & ~has_case
    cases = pl.col("subject_cases").list.join(";")
    declared = pl.col("declared_deposit").fill_null(0.0)
    known_short = pl.col("rate").is_not_null() & (
        declared < pl.col("expected_deposit_usd") * (1 - tolerance) - 1.0)
    unknown_short = pl.col("rate").is_null() & (declared <= 0)
    shortfall = pl.when(pl.col("rate").is_not_null()).then(
        (pl.col("expected_deposit_usd") - declared).clip(lower_bound=0.0))
    why_wrong = (pl.when(pl.col("declared_case_country").is_null())
                 .then(pl.lit("not a case on the AD/CVD order list"))
                 .when(pl.col("declared_in_hts_scope").is_null())
                 .then(pl.lit("HTS number outside the case's scope"))
                 .otherwise(pl.lit("case is on another country (verify any circumvention "
                                   "ruling)")))
    checks = [
        ("ADCVD_CASE_WRONG", "high", has_case & ~pl.col("case_valid"),
         pl.concat_str([pl.lit("Declared case "), pl.col("declared_case"),
                        pl.lit(" does not cover this line: "), why_wrong]),
         {"declared_case": pl.col("declared_case"), "reason": why_wrong,
          "declared_case_country": pl.col("declared_case_country"),
          "orders_matching_line": cases}),
        ("ADCVD_CASE_MISSING", "high", pl.col("subject") & ~has_case & ~type01_no_case,
         pl.concat_str([pl.lit("Goods fall under AD/CVD order(s) "), cases,
                        pl.lit(" but no case number is declared")]),
         {"orders_matching_line": cases, "entry_type": pl.col("entry_type")}),
        ("ADCVD_ENTRY_TYPE", "medium", (pl.col("subject") | has_case)
         & pl.col("entry_type").is_not_null() & (pl.col("entry_type") != "03")
         & ~type01_no_case,
         pl.concat_str([pl.lit("Subject merchandise entered as type "), pl.col("entry_type"),
                        pl.lit(", not 03 (AD/CVD)")]),
         {"entry_type": pl.col("entry_type"), "declared_case": pl.col("declared_case"),
          "orders_matching_line": cases}),
        ("ADCVD_DEPOSIT_SHORT", "high", pl.col("subject") & (known_short | unknown_short),
         pl.when(pl.col("rate").is_not_null()).then(pl.concat_str([
             pl.lit("Declared AD/CVD deposit "), declared.round(2).cast(pl.String),
             pl.lit(" USD is short of the expected "),
             pl.col("expected_deposit_usd").cast(pl.String), pl.lit(" USD")]))
         .otherwise(pl.concat_str([pl.lit("No AD/CVD cash deposit declared for goods under "),
                                   cases, pl.lit(" (rate unknown)")])),
         {"declared_deposit_usd": pl.col("declared_deposit"),
          "deposit_rate": pl.col("rate"),
          "rate_status": pl.when(pl.col("rate").is_null()).then(pl.lit("rate unknown"))
          .otherwise(pl.lit("rate from order list")),
          "expected_deposit_usd": pl.col("expected_deposit_usd"),
          "entered_value_usd": pl.col("value"), "orders_matching_line": cases}),
    ]
    rules = []
    for code, severity, when, text, evidence in checks:
        sev = pl.lit(severity)
        if code == "ADCVD_DEPOSIT_SHORT":  # a shortfall at an unknown rate is less certain
            sev = pl.when(pl.col("rate").is_null()).then(pl.lit("medium")).otherwise(sev)
        elif code == "ADCVD_CASE_WRONG":  # another country's case, goods within its scope
            sev = pl.when(pl.col("declared_in_hts_scope").fill_null(False)).then(
                pl.lit("medium")).otherwise(sev)
        rules.append((code, when.fill_null(False), (
            pl.col("entry_number"), pl.col("line_number"), pl.lit(code).alias("reason_code"),
            sev.alias("severity"), text.alias("text"),
            pl.struct([e.alias(k) for k, e in evidence.items()]).struct.json_encode()
            .alias("evidence"),
            # the order the goods fall under (the lead key), else the case declared
            pl.coalesce(pl.col("subject_cases").list.first(), pl.col("declared_case"))
            .alias("case_number"),
            pl.col("expected_deposit_usd"), shortfall.alias("shortfall_usd"),
            pl.col("rate").is_null().alias("rate_assumed"))))
    return tuple(rules)
