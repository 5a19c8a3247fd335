"""Normalised manufacturer keys: the same factory under respelled names or new MIDs.

Transshippers rename or re-register factories, so "first seen" and lead clustering use the MID
and a normalised name (legal-form words and punctuation removed).
"""

from __future__ import annotations

import polars as pl

# Legal-form and filler words that differ between filings of the same company.
_LEGAL = (r"\b(co|company|corp|corporation|ltd|limited|inc|incorporated|llc|jsc|joint|stock|"
          r"pvt|private|plc|sdn|bhd|pte|tbk|pt|cv|gmbh|sa|srl|the|and|of|group|holdings?|"
          r"industrial|industries|industry|manufacturing|mfg|factory|trading|international|intl)\b")


def normalise_name(column: str) -> pl.Expr:
    """Lower-case words without legal forms (``Hua Feng Co., Ltd.`` -> ``hua feng``)."""
    return (
        pl.col(column).cast(pl.String).fill_null("").str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.replace_all(_LEGAL, " ")
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )


def normalise_address(column: str) -> pl.Expr:
    """Lower-case alphanumeric address words, single-spaced, for whole-word place matching."""
    return (
        pl.col(column).cast(pl.String).fill_null("").str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", " ").str.replace_all(r"\s+", " ").str.strip_chars()
    )


def with_party_keys(lines: pl.DataFrame) -> pl.DataFrame:
    """Add ``mid_key`` (upper-case MID) and ``name_key`` (normalised name + country).

    Names repeat across lines, so the regular expressions run once per distinct name."""
    name: pl.Expr = pl.lit("")
    if "manufacturer_name" in lines.columns:
        distinct = lines.select(pl.col("manufacturer_name").cast(pl.String)
                                .alias("_name_raw")).unique()
        normalised = distinct.with_columns(normalise_name("_name_raw").alias("_name_norm"))
        lines = lines.with_columns(pl.col("manufacturer_name").cast(pl.String)
                                   .alias("_name_raw")).join(
            normalised, on="_name_raw", how="left", nulls_equal=True, maintain_order="left")
        name = pl.col("_name_norm")
    country = (pl.col("manufacturer_country").cast(pl.String).fill_null("")
               if "manufacturer_country" in lines.columns else pl.col("country_of_origin"))
    mid = (pl.col("manufacturer_id").cast(pl.String).str.strip_chars().str.to_uppercase()
           if "manufacturer_id" in lines.columns else pl.lit(None, pl.String))
    return lines.with_columns(
        pl.when(mid.str.len_chars() > 0).then(mid).otherwise(None).alias("mid_key"),
        pl.when(name.str.len_chars() > 0).then(pl.concat_str([name, pl.lit("|"), country]))
        .otherwise(None).alias("name_key"),
    ).drop("_name_raw", "_name_norm", strict=False)
