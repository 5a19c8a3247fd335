"""The declared-supply-chain indicator: a supplier in the order's subject country.

Importers declare upstream suppliers (contract file ``supply_chain``: a row per tier; an empty
``line_number`` covers the whole entry). A third-country "manufacturer" whose direct (tier-1)
supplier sits in the subject country is the classic EAPA pattern of finished or near-finished
goods bought in the subject country and re-exported; that is a strong tie. A subject-country
supplier further up the chain is common in legitimate trade and only a weak tie. Either must be
a practice of the plant, declared on at least ``supplier_min_lines`` of its lines, not a single
shipment's sourcing.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.indicators import INDICATOR_SCHEMA, emit
from tradeguard.detectors.adcvd.scoring import plant_key

REQUIRED = ("entry_number", "tier", "supplier_country")


def chain_rows(supply_chain: pl.DataFrame) -> pl.DataFrame:
    """The declared chain typed for joining; a missing required column is a clear error."""
    missing = [c for c in REQUIRED if c not in supply_chain.columns]
    if missing:
        raise ValueError(f"supply_chain: missing required field(s) {', '.join(missing)}")
    chain = supply_chain.with_columns([pl.lit(None, pl.String).alias(c) for c in (
        "line_number", "supplier_name", "material") if c not in supply_chain.columns])
    return chain.select(
        pl.col("entry_number").cast(pl.String),
        pl.col("line_number").cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False),
        pl.col("tier").cast(pl.Int64, strict=False),
        pl.col("supplier_country").cast(pl.String).str.strip_chars().str.to_uppercase(),
        pl.col("supplier_name").cast(pl.String), pl.col("material").cast(pl.String),
    ).drop_nulls(["entry_number", "tier", "supplier_country"])


def supplier_subject(cand: pl.DataFrame, supply_chain: pl.DataFrame | None, cfg: AdcvdConfig
                     ) -> pl.DataFrame:
    """``SUPPLIER_SUBJECT`` (tier 1) or ``UPSTREAM_SUBJECT`` (tier 2+) per (line, subject
    country): the nearest declared supplier located in the subject country."""
    if supply_chain is None or supply_chain.height == 0 or cand.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    chain = chain_rows(supply_chain)
    keys = ["entry_number", "line_number"]
    per_line = cand.join(chain.drop_nulls("line_number"), on=keys, how="inner")
    per_entry = cand.join(chain.filter(pl.col("line_number").is_null()).drop("line_number"),
                          on="entry_number", how="inner")
    found = (pl.concat([per_line, per_entry], how="diagonal_relaxed")
             .filter(pl.col("supplier_country") == pl.col("subject_country"))
             .sort("tier", maintain_order=True)
             .unique(["entry_number", "line_number", "subject_country", "primary_case"],
                     keep="first", maintain_order=True)
             .with_columns(plant_key())
             .with_columns(pl.len().over("plant", "subject_country", "primary_case")
                           .alias("plant_lines_declaring"))
             .filter(pl.col("plant_lines_declaring") >= cfg.supplier_min_lines))
    evidence = {"tier": pl.col("tier"), "supplier_name": pl.col("supplier_name"),
                "supplier_country": pl.col("supplier_country"), "material": pl.col("material"),
                "plant_lines_declaring": pl.col("plant_lines_declaring")}
    return pl.concat([
        emit(found.filter(pl.col("tier") <= 1), "ADCVD_EVASION_SUPPLIER_SUBJECT",
             pl.col("entry_date"), evidence),
        emit(found.filter(pl.col("tier") > 1), "ADCVD_EVASION_UPSTREAM_SUBJECT",
             pl.col("entry_date"), evidence),
    ])
