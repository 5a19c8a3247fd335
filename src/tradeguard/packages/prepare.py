"""The columns every package rule reads, derived once per batch.

Descriptions become a comparable key and content words; the consignee address becomes an
address key; the sender is the marketplace seller where declared, else the shipper's name;
value per kilogram is the price measure that survives different quantities per parcel.
"""

from __future__ import annotations

import polars as pl

from tradeguard.network.address import address_key
from tradeguard.packages.config import PackageConfig

PACKAGE_COLUMNS: tuple[str, ...] = (
    "package_id", "arrival_date", "port_of_entry", "shipper_name", "shipper_country",
    "consignee_name", "consignee_address", "declared_value_usd", "description", "hts_code",
    "weight_kg", "country_of_origin", "carrier_code", "seller_id",
)


def _text_key(expr: pl.Expr) -> pl.Expr:
    return (
        expr.cast(pl.String).fill_null("").str.to_lowercase()
        .str.replace_all(r"['’]", "").str.replace_all(r"[^a-z0-9%]+", " ").str.strip_chars()
    )


def prepare_packages(packages: pl.DataFrame, config: PackageConfig) -> pl.DataFrame:
    """Typed contract columns plus ``desc_key``, ``words``, ``vague``, ``hs6``, ``addr_key``,
    ``sender``, ``per_kg`` (missing optional columns become nulls)."""
    missing = [c for c in PACKAGE_COLUMNS if c not in packages.columns]
    frame = packages.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)
    vague = list(config.vague_terms)
    frame = frame.with_columns(
        pl.col("package_id").cast(pl.String),
        pl.col("arrival_date").cast(pl.Date),
        pl.col("declared_value_usd").cast(pl.Float64),
        pl.col("weight_kg").cast(pl.Float64),
        pl.col("shipper_country").cast(pl.String).str.to_uppercase(),
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase(),
        pl.col("seller_id").cast(pl.String),
        _text_key(pl.col("description")).alias("desc_key"),
    ).with_columns(
        pl.col("desc_key").str.split(" ").list.eval(
            pl.element().filter(
                (pl.element().str.len_chars() >= 3)
                & ~pl.element().is_in(vague)
                & ~pl.element().str.contains(r"^[0-9%]+$")
            )
        ).list.unique().alias("words"),
        pl.col("hts_code").cast(pl.String).str.replace_all(r"[^0-9]", "").str.slice(0, 6)
        .alias("hs6"),
        address_key(pl.col("consignee_address")).alias("addr_key"),
        pl.coalesce(
            pl.col("seller_id").str.strip_chars().replace("", None),
            pl.lit("shipper:") + _text_key(pl.col("shipper_name")),
        ).alias("sender"),
        pl.when(pl.col("weight_kg") > 0)
        .then(pl.col("declared_value_usd") / pl.col("weight_kg"))
        .alias("per_kg"),
    )
    return frame.with_columns(
        (pl.col("words").list.len() == 0).alias("vague"),
        pl.when(pl.col("hs6").str.len_chars() == 6).then(pl.col("hs6")).alias("hs6"),
    )
