"""The random compliance sample: a seeded hash, so re-scoring draws the same lines.

Each line gets a uniform number u in [0, 1) from SHA-256 of ``seed|config version|entry
number|line number``; it is in the sample when u < rate. Nothing about the line's risk enters
the draw, which is what lets hit rates and bias be estimated from the sample without
selection bias, and the same declaration always draws the same u under the same configuration.
"""

from __future__ import annotations

import hashlib

import polars as pl

_HEX_DIGITS = 13  # 52 bits: exact in a float64 and plenty of resolution for a share
_SCALE = float(16**_HEX_DIGITS)


#: Up to this many rows are hashed in-process: opening a DuckDB connection costs more than
#: hashing a single entry's lines, and SHA-256 is the same function either way.
SMALL_BATCH = 512


def sha256_hex(text: pl.Series) -> pl.Series:
    """Lower-case hex SHA-256 of each UTF-8 string (null in, null out), in row order."""
    if text.len() <= SMALL_BATCH:
        return pl.Series(text.name, [
            None if s is None else hashlib.sha256(s.encode("utf-8")).hexdigest()
            for s in text.cast(pl.String).to_list()], dtype=pl.String)
    # DuckDB computes SHA-256 over the whole column at once; no per-row Python.
    import duckdb

    with duckdb.connect() as con:
        con.register("draws", pl.DataFrame({"s": text}))
        out = con.execute("select sha256(s) as h from draws").pl()
    return out["h"].alias(text.name)


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
