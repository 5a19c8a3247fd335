"""Weight, quantity and value that cannot be true of the goods the HTS number describes.

Bounds are physical: gross weight is never below the net weight declared as quantity; a
crate is not ten times its contents; an article of a kind weighs within a wide band; goods
are worth more than the bulk raw material they are made of (see
:class:`~tradeguard.detectors.entry_checks.config.Plausibility`).
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.entry_checks.config import Plausibility
from tradeguard.detectors.entry_checks.frame import emit, fmt, txt, usd

# Units whose quantity is a mass: kilograms per unit, and whether it is the whole net mass
# (so it bounds packing from above too) or only a content (metal content, dry weight).
_MASS_UNITS: dict[str, tuple[float, bool]] = {
    "KG": (1.0, True), "GM": (0.001, True), "T": (1000.0, True),
    "CKG": (1.0, False), "CGM": (0.001, False), "CTN": (1000.0, False),
    "CYK": (1.0, False), "KSC": (1.0, False), "KMS": (1.0, False), "KTS": (1.0, False),
    "KAM": (1.0, False), "ADW": (1000.0, False), "DWB": (1000.0, False),
}
# Articles per unit of count units (a pair is one article of footwear or gloves).
_ARTICLES: dict[str, float] = {"NO": 1, "PCS": 1, "PRS": 1, "DOZ": 12, "DPR": 12, "DPC": 12,
                               "GRS": 144, "HUN": 100, "THS": 1000}


def _chapter_floor(cfg: Plausibility) -> pl.DataFrame:
    rows = {f"{c:02d}": b.value for b in cfg.value_floor_usd_per_kg
            for c in range(b.first, b.last + 1)}
    return pl.DataFrame({"_chapter": list(rows), "_floor": list(rows.values())},
                        schema={"_chapter": pl.String, "_floor": pl.Float64})


def _article_bounds(cfg: Plausibility) -> tuple[pl.Expr, pl.Expr]:
    """Per-article bounds: the longest matching prefix row wins, else the default."""
    lo, hi = cfg.article_weight_default
    min_kg, max_kg = pl.lit(lo), pl.lit(hi)
    for row in sorted(cfg.article_weight, key=lambda r: len(r.prefix)):
        hit = pl.col("hts_digits").str.starts_with(row.prefix).fill_null(False)
        min_kg = pl.when(hit).then(pl.lit(row.min_kg)).otherwise(min_kg)
        max_kg = pl.when(hit).then(pl.lit(row.max_kg)).otherwise(max_kg)
    return min_kg, max_kg


def plausibility_findings(df: pl.DataFrame, cfg: Plausibility) -> list[pl.DataFrame]:
    """DQ_IMPLAUSIBLE_QUANTITY, DQ_IMPLAUSIBLE_WEIGHT, DQ_IMPLAUSIBLE_VALUE."""
    unit = pl.col("quantity_unit").str.to_uppercase().str.replace_all(r"[.\s]", "")
    mass = pl.DataFrame({"_unit": list(_MASS_UNITS),
                         "_kg_per_unit": [v[0] for v in _MASS_UNITS.values()],
                         "_whole_mass": [v[1] for v in _MASS_UNITS.values()]})
    count = pl.DataFrame({"_unit": list(_ARTICLES), "_articles_per_unit":
                          [float(v) for v in _ARTICLES.values()]})
    min_kg, max_kg = _article_bounds(cfg)
    dense = pl.DataFrame({"_unit": list(cfg.unit_mass),
                          "_unit_min": [v[0] for v in cfg.unit_mass.values()],
                          "_unit_max": [v[1] for v in cfg.unit_mass.values()]},
                         schema={"_unit": pl.String, "_unit_min": pl.Float64,
                                 "_unit_max": pl.Float64})
    frame = (df.with_columns(unit.alias("_unit"),
                             pl.col("hts_digits").str.slice(0, 2).alias("_chapter"))
             .join(mass, on="_unit", how="left").join(count, on="_unit", how="left")
             .join(dense, on="_unit", how="left")
             .join(_chapter_floor(cfg), on="_chapter", how="left")
             .with_columns(min_kg.alias("_min_kg"), max_kg.alias("_max_kg")))
    qty, gross = pl.col("quantity"), pl.col("gross_weight_kg")
    value = pl.col("entered_value_usd")
    net_kg = qty * pl.col("_kg_per_unit")
    per_article = gross / (qty * pl.col("_articles_per_unit"))
    weighs = ~pl.col("_unit").is_in(list(cfg.weightless_units)).fill_null(False)
    ok_qty = qty > 0
    weight_why = (
        pl.when(weighs & ok_qty & (gross <= 0))
        .then(fmt("gross weight {} kg for {} {}", gross, qty, txt(pl.col("_unit"))))
        .when(ok_qty & (gross < net_kg * (1 - cfg.net_weight_tolerance)))
        .then(fmt("gross weight {} kg is less than the {} kg declared as quantity",
                        gross, net_kg.round(3)))
        .when(ok_qty & pl.col("_whole_mass").fill_null(False)
              & (gross > net_kg * cfg.max_packing_ratio + cfg.packing_allowance_kg))
        .then(fmt("gross weight {} kg is over {}x the {} kg of goods declared",
                        gross, pl.lit(cfg.max_packing_ratio), net_kg.round(3)))
        .when(ok_qty & (gross > 0) & ((per_article < pl.col("_min_kg"))
                                      | (per_article > pl.col("_max_kg"))))
        .then(fmt("{} kg per article, outside {}-{} kg for HTS {}", per_article
                        .round_sig_figs(3), pl.col("_min_kg"), pl.col("_max_kg"),
                        pl.col("hts_digits")))
        .when(ok_qty & (gross > 0) & ((gross / qty < pl.col("_unit_min"))
                                      | (gross / qty > pl.col("_unit_max"))))
        .then(fmt("{} kg per {}, outside {}-{} kg", (gross / qty).round_sig_figs(3),
                  pl.col("_unit"), pl.col("_unit_min"), pl.col("_unit_max")))
        .otherwise(pl.lit(None, pl.String)))
    per_kg = value / gross
    exempt = pl.col("_chapter").cast(pl.Int64, strict=False).is_in(
        list(cfg.ceiling_exempt_chapters)).fill_null(False)
    value_why = (
        pl.when(value <= 0).then(fmt("entered value {}", usd(value)))
        .when((gross > 0) & (per_kg < pl.col("_floor")))
        .then(fmt("{} per kg, below the {} per kg floor for chapter {} goods",
                        per_kg.round_sig_figs(3),
                        pl.col("_floor"), pl.col("_chapter")))
        .when((gross > 0) & ~exempt & (per_kg > cfg.value_ceiling_usd_per_kg))
        .then(fmt("{} USD per kg", per_kg.round_sig_figs(3)))
        .otherwise(pl.lit(None, pl.String)))
    frame = frame.with_columns(weight_why.alias("_weight"), value_why.alias("_value"))
    common: dict[str, pl.Expr] = {"quantity": qty, "quantity_unit": pl.col("quantity_unit"),
                                  "gross_weight_kg": gross, "entered_value_usd": value,
                                  "hts": pl.col("hts_digits")}
    return [
        emit(frame, qty <= 0, "DQ_IMPLAUSIBLE_QUANTITY",
             fmt("Quantity {} {} is not a quantity of goods.", qty,
                       txt(pl.col("quantity_unit"))), common),
        emit(frame, pl.col("_weight").is_not_null(), "DQ_IMPLAUSIBLE_WEIGHT",
             fmt("Weight is not physically plausible: {}.", pl.col("_weight")),
             {**common, "bound": pl.col("_weight"), "min_kg_per_article": pl.col("_min_kg"),
              "max_kg_per_article": pl.col("_max_kg")}),
        emit(frame, pl.col("_value").is_not_null(), "DQ_IMPLAUSIBLE_VALUE",
             fmt("Value is not plausible for these goods: {}.", pl.col("_value")),
             {**common, "bound": pl.col("_value"), "floor_usd_per_kg": pl.col("_floor")}),
    ]
