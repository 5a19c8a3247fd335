"""The product catalogue: what demo importers buy, priced and classified from the tariff.

``catalogue.csv`` (shipped with the package) holds the trade side of each product: terse
descriptions as filers write them, typical unit prices at Chinese price level, weight per unit,
usual origins and typical lot sizes. Its HTS number is the only tariff fact it carries: units of
quantity and the general rate always come from the reference tariff, so a clean demo line is
exactly as correct as the tariff the detectors read.
"""

from __future__ import annotations

import io
from importlib import resources

import polars as pl

from tradeguard.refdata import ReferenceData

CATALOGUE_FILE = "catalogue.csv"


class CatalogueError(ValueError):
    """A catalogue product that cannot be priced or classified from the reference tariff."""


def read_catalogue_file() -> pl.DataFrame:
    """The raw catalogue table as shipped (one row per product)."""
    text = resources.files("tradeguard.demo").joinpath(CATALOGUE_FILE).read_text("utf-8")
    return pl.read_csv(io.StringIO(text), schema_overrides={"hts10": pl.String})


def load_catalogue(ref: ReferenceData) -> pl.DataFrame:
    """Catalogue joined with the tariff: unit, second unit, ad valorem and specific rate.

    Refuses products whose HTS number is missing, whose rate cannot be computed from value and
    quantity, or whose specific rate is per a unit other than the first unit of quantity (the
    contract's lines carry one quantity only).
    """
    raw = read_catalogue_file().with_row_index("product_idx")
    tariff = ref.tariff.frame.select(
        "hts10", "units", "general_rate", "special_rate", "general_ad_valorem",
        "general_specific", "specific_unit", "general_kind", "special_programs",
        "column2_ad_valorem", "column2_specific",
    )
    joined = raw.join(tariff, on="hts10", how="left")
    missing = joined.filter(pl.col("units").is_null())["product_id"].to_list()
    if missing:
        raise CatalogueError(f"{CATALOGUE_FILE}: HTS number not in the tariff for {missing}")
    bad_kind = joined.filter(~pl.col("general_kind").is_in(
        ["free", "ad_valorem", "specific", "compound"]))["product_id"].to_list()
    if bad_kind:
        raise CatalogueError(f"{CATALOGUE_FILE}: general rate not computable for {bad_kind}")
    out = joined.with_columns(
        pl.col("units").list.get(0).alias("unit"),
        pl.col("units").list.get(1, null_on_oob=True).alias("unit2"),
        pl.col("general_ad_valorem").fill_null(0.0).alias("ad_valorem"),
        pl.col("general_specific").fill_null(0.0).alias("specific"),
        pl.col("column2_ad_valorem").fill_null(0.0).alias("col2_ad_valorem"),
        pl.col("column2_specific").fill_null(0.0).alias("col2_specific"),
        pl.col("hts10").str.slice(0, 4).alias("heading"),
        pl.col("hts10").str.slice(0, 2).alias("chapter"),
        # programs whose special rate is Free: the first "Free (...)" group of the text
        pl.col("special_rate").str.extract(r"^Free\s*\(([^)]*)\)", 1)
        .str.replace_all(r"\s", "").str.split(",").fill_null([]).alias("free_programs"),
    )
    off_unit = out.filter(
        pl.col("specific_unit").is_not_null() & (pl.col("specific") > 0)
        & (pl.col("specific_unit") != pl.col("unit")))["product_id"].to_list()
    if off_unit:
        raise CatalogueError(
            f"{CATALOGUE_FILE}: specific rate not per the first unit of quantity for {off_unit}")
    return out.sort("product_idx")
