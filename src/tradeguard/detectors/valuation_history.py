"""A party's own price history: the importer's and the manufacturer's past unit values.

Peers tell what the market pays; the importer's own past declarations for the same HTS-10 and
unit tell what *this* buyer has paid, which is usually much tighter (one supplier, one
contract, one product spec). A sudden drop against one's own history is a classic valuation
lead. Sparse histories are noisy, so the party's spread is shrunk toward the peer spread:
sigma^2 = (n * s_own^2 + k * s_peer^2) / (n + k), with ``k`` prior lines of weight, and the
predictive spread adds the uncertainty of a median of n lines, (pi/2) sigma^2 / n.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl

from tradeguard.detectors.peers import value_measures

# (party kind, column naming the party on a declaration line)
PARTIES: tuple[tuple[str, str], ...] = (
    ("importer", "importer_id"), ("manufacturer", "manufacturer_id"))

PARTY_SCHEMA: dict[str, pl.DataType] = {
    "party_kind": pl.String(), "party_id": pl.String(), "hts10": pl.String(),
    "unit": pl.String(), "n": pl.Int64(), "luv_med": pl.Float64(), "luv_sig": pl.Float64(),
}


def build_party_history(history: pl.DataFrame | pl.LazyFrame, as_of: date,
                        window_days: int = 730, min_lines: int = 3) -> pl.DataFrame:
    """Median and spread of log unit value per (party, HTS-10, unit) with at least
    ``min_lines`` lines in the window.

    The spread is the standard deviation (one streaming pass; a per-group MAD over millions
    of mostly tiny groups costs as much as the whole peer baseline). The centre stays the
    median, and the spread is shrunk toward the robust peer spread when scoring.
    """
    frame = value_measures(history)
    names = frame.collect_schema().names()
    if "entry_date" in names:
        when = pl.col("entry_date").cast(pl.Date, strict=False)
        frame = frame.filter(when.is_null()
                             | when.is_between(as_of - timedelta(days=window_days), as_of))
    parts = []
    for kind, column in PARTIES:
        if column not in names:
            continue
        luv = pl.col("luv")
        keys = [pl.col(column).cast(pl.String).alias("party_id"), pl.col("hts10"),
                pl.col("unit")]
        keyed = frame.filter(luv.is_not_null() & pl.col(column).is_not_null()).select(
            *keys, luv)
        # count first (cheap), then medians only for groups long enough to be used
        enough = keyed.group_by("party_id", "hts10", "unit").agg(pl.len().alias("n")) \
            .filter(pl.col("n") >= min_lines)
        parts.append(keyed.join(enough, on=["party_id", "hts10", "unit"], how="semi")
                     .group_by("party_id", "hts10", "unit").agg(
            luv.count().alias("n"), luv.median().alias("luv_med"), luv.std().alias("luv_sig"),
        ).with_columns(pl.lit(kind).alias("party_kind")))
    if not parts:
        return pl.DataFrame(schema=PARTY_SCHEMA)
    out = pl.concat(pl.collect_all(parts))
    return out.select([pl.col(c).cast(t) for c, t in PARTY_SCHEMA.items()])


def party_z(frame: pl.LazyFrame, history: pl.DataFrame, kind: str, min_lines: int,
            prior_lines: float, sigma_floor: float) -> pl.LazyFrame:
    """Add ``z_<kind>`` and ``ratio_<kind>``: the line's log unit value against the party's
    own median, with the spread shrunk toward the peer spread ``peer_luv_post_sig``."""
    column = dict(PARTIES)[kind]
    z, ratio, n = f"z_{kind}", f"ratio_{kind}", f"{kind}_history_lines"
    if column not in frame.collect_schema().names() or history.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(z),
                                  pl.lit(None, dtype=pl.Float64).alias(ratio),
                                  pl.lit(None, dtype=pl.Int64).alias(n))
    own = history.filter((pl.col("party_kind") == kind) & (pl.col("n") >= min_lines)).select(
        pl.col("party_id").alias("_party"), "hts10", "unit",
        pl.col("n").alias(n), pl.col("luv_med").alias("_p_med"),
        pl.col("luv_sig").clip(lower_bound=sigma_floor).alias("_p_sig"),
    )
    joined = frame.with_columns(pl.col(column).cast(pl.String).alias("_party")).join(
        own.lazy(), on=["_party", "hts10", "unit"], how="left")
    cnt = pl.col(n).cast(pl.Float64)
    peer2 = pl.col("peer_luv_post_sig") ** 2
    sig2 = (cnt * pl.col("_p_sig") ** 2 + prior_lines * peer2.fill_null(pl.col("_p_sig") ** 2)) \
        / (cnt + prior_lines)
    spread = (sig2 * (1 + (math.pi / 2) / cnt)).sqrt()
    return joined.with_columns(
        ((pl.col("luv") - pl.col("_p_med")) / spread).alias(z),
        (pl.col("luv") - pl.col("_p_med")).exp().alias(ratio),
    ).drop("_party", "_p_med", "_p_sig")
