"""CBP ports, UN/LOCODE support tables, HS 2022 nomenclature and Federal Reserve FX rates.

Small support tables the detectors join against. FX rates carry their quote direction in a
column because the Fed quotes a few currencies as USD per unit and the rest per USD.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tradeguard.refdata.countries import to_iso2

# H.10 series quoted as U.S. dollars per unit of the foreign currency; all others per USD.
USD_PER_UNIT_SERIES = frozenset({"Australia", "Euro", "Ireland", "New Zealand", "United Kingdom"})


def load_ports(path: Path) -> pl.DataFrame:
    """CBP 4-digit port codes (first two digits = district)."""
    return pl.read_csv(path, infer_schema_length=0).select(
        pl.col("port_code").str.zfill(4), "port_name", pl.col("district_code").str.zfill(2))


def load_locode_tables(folder: Path) -> dict[str, pl.DataFrame]:
    """UN/LOCODE support tables (countries, subdivisions, functions, status, aliases)."""
    names = {"locode_countries": "country-codes.csv",
             "locode_subdivisions": "subdivision-codes.csv",
             "locode_functions": "function-classifiers.csv",
             "locode_status": "status-indicators.csv", "locode_aliases": "alias.csv"}
    return {k: pl.read_csv(folder / v, infer_schema_length=0) for k, v in names.items()}


def load_hs2022(path: Path) -> pl.DataFrame:
    """WCO HS 2022 nomenclature: 2/4/6-digit codes with parent and section."""
    return pl.read_csv(path, infer_schema_length=0).select(
        "section", "hscode", "description", "parent", pl.col("level").cast(pl.Int8))


def load_fx_monthly(path: Path, countries: dict[str, str]) -> pl.DataFrame:
    """Monthly Fed H.10 averages with an explicit quote direction and a per-USD column."""
    raw = pl.read_csv(path, infer_schema_length=0)
    series = raw["Country"].unique().to_list()
    iso = {s: ("EU" if s == "Euro" else to_iso2(s, countries)) for s in series}
    frame = raw.select(
        pl.col("Date").str.to_date("%Y-%m-%d").alias("month"),
        pl.col("Country").alias("series"),
        pl.col("Country").replace_strict(iso, default=None).alias("country"),
        pl.col("Exchange rate").cast(pl.Float64, strict=False).alias("rate"),
    ).with_columns(
        pl.when(pl.col("series").is_in(list(USD_PER_UNIT_SERIES)))
        .then(pl.lit("usd_per_unit")).otherwise(pl.lit("units_per_usd")).alias("quote"),
    )
    return frame.with_columns(
        pl.when(pl.col("quote") == "usd_per_unit").then(1.0 / pl.col("rate"))
        .otherwise(pl.col("rate")).alias("units_per_usd"),
    ).filter(pl.col("rate").is_not_null())
