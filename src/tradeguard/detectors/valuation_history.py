"""A party's own price history: the importer's, the manufacturer's and the pair's past prices.

Peers tell what the market pays; the importer's own past declarations for the same HTS-10 and
unit tell what *this* buyer has paid, and the importer x manufacturer ("supplier") history
what this buyer pays this seller, which is usually much tighter (one contract, one product
spec). A sudden drop against a stable pair history is the classic valuation lead. Sparse
histories are noisy, so the party's spread is shrunk toward the pooled spread of its kind:
sigma^2 = (n * s_own^2 + k * s_pooled^2) / (n + k), with ``k`` prior lines of weight, and the
predictive spread adds the uncertainty of a median of n lines, (pi/2) sigma^2 / n.

The history also counts each importer's lines over all tariff numbers (kind ``importer_any``,
HTS and unit ``*``): an importer with none in the window is new to this administration, which
is context for weighing its prices (see :mod:`valuation_evidence`).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl

from tradeguard.detectors.peers import value_measures

# (party kind, columns naming the party on a declaration line). ``supplier`` is the
# importer x manufacturer pair: one buyer's standing purchase from one seller, the tightest
# price history a customs officer can compare with.
PARTIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("importer", ("importer_id",)), ("manufacturer", ("manufacturer_id",)),
    ("supplier", ("importer_id", "manufacturer_id")))


def _party_key(columns: tuple[str, ...]) -> pl.Expr:
    """One string key for a party (or a buyer-seller pair); null when any part is missing."""
    parts = [pl.col(c).cast(pl.String) for c in columns]
    return parts[0] if len(parts) == 1 else pl.concat_str(parts, separator="|")

ANY = "*"
PARTY_SCHEMA: dict[str, pl.DataType] = {
    "party_kind": pl.String(), "party_id": pl.String(), "hts10": pl.String(),
    "unit": pl.String(), "n": pl.Int64(), "luv_med": pl.Float64(), "luv_sig": pl.Float64(),
    "luv_min": pl.Float64(), "luv_max": pl.Float64(),
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
    for kind, columns in PARTIES:
        if any(c not in names for c in columns):
            continue
        luv = pl.col("luv")
        keys = [_party_key(columns).alias("party_id"), pl.col("hts10"), pl.col("unit")]
        keyed = frame.select(*keys, luv).filter(
            luv.is_not_null() & pl.col("party_id").is_not_null()
            & (pl.col("party_id") != ""))
        # count first (cheap), then medians only for groups long enough to be used
        enough = keyed.group_by("party_id", "hts10", "unit").agg(pl.len().alias("n")) \
            .filter(pl.col("n") >= min_lines)
        parts.append(keyed.join(enough, on=["party_id", "hts10", "unit"], how="semi")
                     .group_by("party_id", "hts10", "unit").agg(
            luv.count().alias("n"), luv.median().alias("luv_med"), luv.std().alias("luv_sig"),
            luv.min().alias("luv_min"), luv.max().alias("luv_max"),
        ).with_columns(pl.lit(kind).alias("party_kind")))
    if "importer_id" in names:
        importer = pl.col("importer_id").cast(pl.String)
        parts.append(frame.filter(importer.is_not_null() & (importer != "")).group_by(
            importer.alias("party_id")).agg(pl.len().alias("n")).with_columns(
            pl.lit("importer_any").alias("party_kind"), pl.lit(ANY).alias("hts10"),
            pl.lit(ANY).alias("unit")))
    if not parts:
        return pl.DataFrame(schema=PARTY_SCHEMA)
    out = pl.concat(pl.collect_all(parts), how="diagonal_relaxed")
    return out.select([pl.col(c).cast(t) for c, t in PARTY_SCHEMA.items()])


def party_table(history: pl.DataFrame, kind: str, min_lines: int,
                sigma_floor: float) -> tuple[pl.DataFrame, float]:
    """The party history rows of ``kind`` with at least ``min_lines`` lines, as
    :func:`party_z` joins them, and the pooled within-party variance of that kind. They
    depend on the history only, so a scorer builds them once, not on every batch."""
    n = f"{kind}_history_lines"
    own = history.filter((pl.col("party_kind") == kind) & (pl.col("n") >= min_lines)).select(
        pl.col("party_id").alias("_party"), "hts10", "unit",
        pl.col("n").alias(n), pl.col("luv_med").alias("_p_med"),
        pl.col("luv_sig").clip(lower_bound=sigma_floor).alias("_p_sig"),
        pl.col("luv_min").alias("_p_min"), pl.col("luv_max").alias("_p_max"),
    )
    pooled = own["_p_sig"].pow(2).median()
    return own, float(pooled) if isinstance(pooled, float) else sigma_floor ** 2


def party_z(frame: pl.LazyFrame, history: pl.DataFrame, kind: str, min_lines: int,
            prior_lines: float, sigma_floor: float,
            table: tuple[pl.DataFrame, float] | None = None) -> pl.LazyFrame:
    """Add ``z_<kind>``, ``ratio_<kind>``, ``<kind>_history_lines`` and ``<kind>_spread``: the
    line's log unit value against the party's own median, and the predictive spread used.

    The party's spread is shrunk toward the pooled within-party spread of its kind (the median
    over all parties of that kind), not toward the peer spread: peers differ because their
    contracts differ, so the between-party spread says nothing about how much one buyer's
    price moves. Short histories lean on the pooled value; long stable ones keep their own.
    ``table``: :func:`party_table` of the same arguments, when the caller keeps it."""
    columns = dict(PARTIES)[kind]
    z, ratio, n = f"z_{kind}", f"ratio_{kind}", f"{kind}_history_lines"
    sig = f"{kind}_spread"
    names = frame.collect_schema().names()
    if any(c not in names for c in columns) or history.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(z),
                                  pl.lit(None, dtype=pl.Float64).alias(ratio),
                                  pl.lit(None, dtype=pl.Int64).alias(n),
                                  pl.lit(None, dtype=pl.Float64).alias(sig),
                                  pl.lit(None, dtype=pl.Float64).alias(f"floor_ratio_{kind}"),
                                  pl.lit(None, dtype=pl.Float64).alias(f"ceiling_ratio_{kind}"))
    own, pooled2 = table if table is not None else party_table(history, kind, min_lines,
                                                               sigma_floor)
    joined = frame.with_columns(_party_key(columns).alias("_party")).join(
        own.lazy(), on=["_party", "hts10", "unit"], how="left")
    cnt = pl.col(n).cast(pl.Float64)
    sig2 = (cnt * pl.col("_p_sig") ** 2 + prior_lines * pooled2) / (cnt + prior_lines)
    spread = (sig2 * (1 + (math.pi / 2) / cnt)).sqrt()
    return joined.with_columns(
        ((pl.col("luv") - pl.col("_p_med")) / spread).alias(z),
        (pl.col("luv") - pl.col("_p_med")).exp().alias(ratio),
        spread.alias(sig),
        (pl.col("luv") - pl.col("_p_min")).exp().alias(f"floor_ratio_{kind}"),
        (pl.col("luv") - pl.col("_p_max")).exp().alias(f"ceiling_ratio_{kind}"),
    ).drop("_party", "_p_med", "_p_sig", "_p_min", "_p_max")


def importer_counts(history: pl.DataFrame) -> pl.DataFrame:
    """Each importer's lines over all tariff numbers in the history (what
    :func:`importer_lines` joins; a scorer builds it once)."""
    return history.filter(pl.col("party_kind") == "importer_any").select(
        pl.col("party_id").alias("_importer"), pl.col("n").alias("_lines"))


def importer_lines(frame: pl.LazyFrame, history: pl.DataFrame,
                   counts: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Add ``importer_lines_in_window``: the importer's past lines over all tariff numbers
    (0 for an importer the history has never seen; null when the line names no importer).
    ``counts``: :func:`importer_counts` of ``history``, when the caller keeps it."""
    names = frame.collect_schema().names()
    if "importer_id" not in names or history.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("importer_lines_in_window"))
    seen = counts if counts is not None else importer_counts(history)
    importer = pl.col("importer_id").cast(pl.String)
    return frame.with_columns(importer.alias("_importer")).join(
        seen.lazy(), on="_importer", how="left").with_columns(
        pl.when(importer.is_not_null() & (importer != "")).then(pl.col("_lines").fill_null(0))
        .cast(pl.Int64).alias("importer_lines_in_window")).drop("_importer", "_lines")
