"""Weight, quantity and value that cannot be true of the goods the HTS number describes.

Bounds are physical: gross weight is never below the net weight declared as quantity; a
crate is not ten times its contents; an article of a kind weighs within a wide band; goods
are worth more than the bulk raw material they are made of (see
:class:`~tradeguard.detectors.entry_checks.config.Plausibility`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from tradeguard.detectors.entry_checks.frame import emit, fmt, txt, usd
from tradeguard.detectors.entry_checks.reference import CheckTables
from tradeguard.findings import FINDINGS_SCHEMA


def plausibility_findings(df: pl.DataFrame, tables: CheckTables) -> list[pl.DataFrame]:
    """DQ_IMPLAUSIBLE_QUANTITY, DQ_IMPLAUSIBLE_WEIGHT, DQ_IMPLAUSIBLE_VALUE."""
    checks = _checks(tables)
    frame = (df.with_columns(checks.prepared)
             .join(tables.units, on="_unit", how="left")
             .join(tables.chapter_floor, on="_chapter", how="left"))
    frame = frame.filter(checks.any_fails)
    if frame.is_empty():  # what every emit below gives when no line is flagged
        return [pl.DataFrame(schema=FINDINGS_SCHEMA)]
    frame = frame.with_columns(checks.whys)
    return [emit(frame, mask, code, text, evidence)
            for mask, code, text, evidence in checks.emitted]


@dataclass(frozen=True)
class _Checks:
    """The expressions of the plausibility checks for one set of check tables (built once:
    building them costs more than running them on one entry)."""

    prepared: tuple[pl.Expr, ...]
    any_fails: pl.Expr
    whys: tuple[pl.Expr, ...]
    emitted: tuple[tuple[pl.Expr, str, pl.Expr, dict[str, pl.Expr]], ...]


_KEPT: list[tuple[CheckTables, _Checks]] = []


def _checks(tables: CheckTables) -> _Checks:
    for kept_tables, kept in list(_KEPT):
        if kept_tables is tables:
            return kept
    cfg = tables.plausibility
    unit = pl.col("quantity_unit").str.to_uppercase().str.replace_all(r"[.\s]", "")
    prepared = (unit.alias("_unit"), pl.col("hts_digits").str.slice(0, 2).alias("_chapter"),
                tables.article_min_kg.alias("_min_kg"), tables.article_max_kg.alias("_max_kg"))
    qty, gross = pl.col("quantity"), pl.col("gross_weight_kg")
    value = pl.col("entered_value_usd")
    net_kg = qty * pl.col("_kg_per_unit")
    per_article = gross / (qty * pl.col("_articles_per_unit"))
    weighs = ~pl.col("_unit").is_in(list(cfg.weightless_units)).fill_null(False)
    ok_qty = qty > 0
    per_kg = value / gross
    exempt = pl.col("_chapter").cast(pl.Int64, strict=False).is_in(
        list(cfg.ceiling_exempt_chapters)).fill_null(False)
    # (test, why) in the order they are tried; the first that holds explains the line.
    weight_tests = [
        (weighs & ok_qty & (gross <= 0),
         fmt("gross weight {} kg for {} {}", gross, qty, txt(pl.col("_unit")))),
        (ok_qty & (gross < net_kg * (1 - cfg.net_weight_tolerance)),
         fmt("gross weight {} kg is less than the {} kg declared as quantity",
             gross, net_kg.round(3))),
        (ok_qty & pl.col("_whole_mass").fill_null(False)
         & (gross > net_kg * cfg.max_packing_ratio + cfg.packing_allowance_kg),
         fmt("gross weight {} kg is over {}x the {} kg of goods declared",
             gross, pl.lit(cfg.max_packing_ratio), net_kg.round(3))),
        (ok_qty & (gross > 0) & ((per_article < pl.col("_min_kg"))
                                 | (per_article > pl.col("_max_kg"))),
         fmt("{} kg per article, outside {}-{} kg for HTS {}", per_article
             .round_sig_figs(3), pl.col("_min_kg"), pl.col("_max_kg"), pl.col("hts_digits"))),
        (ok_qty & (gross > 0) & ((gross / qty < pl.col("_unit_min"))
                                 | (gross / qty > pl.col("_unit_max"))),
         fmt("{} kg per {}, outside {}-{} kg", (gross / qty).round_sig_figs(3),
             pl.col("_unit"), pl.col("_unit_min"), pl.col("_unit_max"))),
    ]
    value_tests = [
        (value <= 0, fmt("entered value {}", usd(value))),
        ((gross > 0) & (per_kg < pl.col("_floor")),
         fmt("{} per kg, below the {} per kg floor for chapter {} goods",
             per_kg.round_sig_figs(3), pl.col("_floor"), pl.col("_chapter"))),
        ((gross > 0) & ~exempt & (per_kg > cfg.value_ceiling_usd_per_kg),
         fmt("{} USD per kg", per_kg.round_sig_figs(3))),
    ]
    # Sentences are built only for the lines some test flags; almost every line passes all.
    tests = [qty <= 0, *(test for test, _ in weight_tests), *(test for test, _ in value_tests)]
    common: dict[str, pl.Expr] = {"quantity": qty, "quantity_unit": pl.col("quantity_unit"),
                                  "gross_weight_kg": gross, "entered_value_usd": value,
                                  "hts": pl.col("hts_digits")}
    checks = _Checks(
        prepared=prepared,
        any_fails=pl.any_horizontal(tests).fill_null(False),
        whys=(_first_why(weight_tests).alias("_weight"), _first_why(value_tests).alias("_value")),
        emitted=(
            (qty <= 0, "DQ_IMPLAUSIBLE_QUANTITY",
             fmt("Quantity {} {} is not a quantity of goods.", qty,
                 txt(pl.col("quantity_unit"))), common),
            (pl.col("_weight").is_not_null(), "DQ_IMPLAUSIBLE_WEIGHT",
             fmt("Weight is not physically plausible: {}.", pl.col("_weight")),
             {**common, "bound": pl.col("_weight"), "min_kg_per_article": pl.col("_min_kg"),
              "max_kg_per_article": pl.col("_max_kg")}),
            (pl.col("_value").is_not_null(), "DQ_IMPLAUSIBLE_VALUE",
             fmt("Value is not plausible for these goods: {}.", pl.col("_value")),
             {**common, "bound": pl.col("_value"), "floor_usd_per_kg": pl.col("_floor")}),
        ))
    _KEPT[:] = [(tables, checks)]  # one set of tables at a time, as a detector keeps them
    return checks


def _first_why(tests: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    """The explanation of the first test that holds (null when none does)."""
    chain: Then | ChainedThen = pl.when(tests[0][0]).then(tests[0][1])
    for test, why in tests[1:]:
        chain = chain.when(test).then(why)
    return chain.otherwise(pl.lit(None, pl.String))
