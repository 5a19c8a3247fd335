"""The random compliance sample: a seeded hash, so re-scoring draws the same lines.

Each line gets a uniform number u in [0, 1) from SHA-256 of ``seed|config version|entry
number|line number``; it is in the sample when u < rate. Nothing about the line's risk enters
the draw, which is what lets hit rates and bias be estimated from the sample without
selection bias, and the same declaration always draws the same u under the same configuration.
"""

from __future__ import annotations

import polars as pl

from tradeguard.digests import sha256_hex

_HEX_DIGITS = 13  # 52 bits: exact in a float64 and plenty of resolution for a share
_SCALE = float(16**_HEX_DIGITS)


def sample_draw(keys: pl.DataFrame, seed: int, config_version: str) -> pl.Series:
    """Uniform draws in [0, 1), one per (entry_number, line_number) row of ``keys``."""
    if keys.is_empty():
        return pl.Series("draw", [], dtype=pl.Float64)
    text = keys.select(pl.concat_str(
        pl.lit(f"{seed}|{config_version}|"), pl.col("entry_number").cast(pl.String),
        pl.lit("|"), pl.col("line_number").cast(pl.String).fill_null(""),
    ).alias("s")).to_series()
    digest = sha256_hex(text)
    return (digest.str.slice(0, _HEX_DIGITS).str.to_integer(base=16).cast(pl.Float64)
            / _SCALE).alias("draw")
