"""Declared fields read as model inputs: numbers, stripped text, contract booleans.

The line features (:mod:`~tradeguard.model.line_features`) read a frame that may be typed or
still text; these expressions read either the same way. The text fields both the declared
features and the history keys normalise are normalised once per batch (:func:`normalised`).
"""

from __future__ import annotations

import polars as pl


def number(name: str, frame: pl.DataFrame) -> pl.Expr:
    """A numeric field as Float64 (text that is no number as null)."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Float64)
    return pl.col(name).cast(pl.Float64, strict=False)


def text(name: str, frame: pl.DataFrame) -> pl.Expr:
    """A text field stripped, blank as null."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name).cast(pl.String).str.strip_chars().replace("", None)


def boolean(name: str, frame: pl.DataFrame) -> pl.Expr:
    """A contract boolean as Boolean, whether the frame is typed or still text."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Boolean)
    if frame.schema[name] == pl.Boolean:
        return pl.col(name)
    text = pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (pl.when(text.is_in(["true", "1", "yes", "y", "t"])).then(True)
            .when(text.is_in(["false", "0", "no", "n", "f"])).then(False))


def flag(name: str, frame: pl.DataFrame) -> pl.Expr:
    """A contract boolean as 0.0/1.0."""
    return boolean(name, frame).cast(pl.Float64)


def log1p(expr: pl.Expr) -> pl.Expr:
    """log(1 + x) of amounts, null for negative ones."""
    return pl.when(expr >= 0).then(expr.log1p())


# Normalised text fields both the declared features and the history keys read, computed once.
ORIGIN, HTS_DIGITS, MANUFACTURER_ID = "_origin", "_hts_digits", "_manufacturer_id"


def normalised(decl: pl.DataFrame) -> pl.DataFrame:
    """``decl`` with origin (upper case), HTS digits and the manufacturer ID (stripped) added."""
    return decl.with_columns(
        text("country_of_origin", decl).str.to_uppercase().alias(ORIGIN),
        text("hts_code", decl).str.replace_all(r"[.\s]", "").alias(HTS_DIGITS),
        text("manufacturer_id", decl).alias(MANUFACTURER_ID))
