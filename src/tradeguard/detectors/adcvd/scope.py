"""Scope matching: which AD/CVD orders an entry line may fall under.

An order's HTS numbers are listed "for convenience" and its written scope governs, so a match
here is a lead for review, never proof. A line matches an order when its HTS number starts
with one of the order's prefixes, the order was in force on the entry date, and (for
:func:`match_orders`) the country of origin is the order's subject country.
:func:`match_scope` drops the country test: it finds in-scope goods from *any* country, the
starting point of transshipment (EAPA) analysis.
"""

from __future__ import annotations

import polars as pl

MATCH_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "case_number": pl.String(),
    "order_type": pl.String(),
    "country": pl.String(),
    "product": pl.String(),
    "order_date": pl.Date(),
    "deposit_rate": pl.Float64(),
    "hts_prefix": pl.String(),
}


def normalise_hts(column: str = "hts_code") -> pl.Expr:
    """HTS number as bare digits (``7604.21.0000`` -> ``7604210000``)."""
    return pl.col(column).cast(pl.String).str.replace_all(r"[^0-9]", "")


def order_prefixes(orders: pl.DataFrame) -> pl.DataFrame:
    """One row per (order, HTS prefix), prefixes as bare digits, empty ones dropped."""
    return (
        orders.select(
            "case_number", "order_type", "country", "product", "order_date",
            pl.col("deposit_rate").cast(pl.Float64), "hts_prefixes",
        )
        .explode("hts_prefixes")
        .with_columns(normalise_hts("hts_prefixes").alias("hts_prefix"))
        .drop("hts_prefixes")
        .filter(pl.col("hts_prefix").str.len_chars() > 0)
    )


def match_scope(lines: pl.DataFrame, orders: pl.DataFrame, *,
                in_force_only: bool = True) -> pl.DataFrame:
    """Every (line, order) pair whose HTS prefix matches, whatever the origin.

    ``lines`` needs ``entry_number``, ``line_number`` and ``hts_code``; when it also has
    ``entry_date`` (and ``in_force_only``, the default) an order only matches lines entered on
    or after its order date; pre-order lines are wanted for trade-flow baselines. The result
    has :data:`MATCH_SCHEMA` (``country`` is the order's subject country) and is vectorised:
    one join per distinct prefix length.
    """
    has_date = "entry_date" in lines.columns and in_force_only
    keys = lines.lazy().select(
        pl.col("entry_number").cast(pl.String),
        pl.col("line_number").cast(pl.Int64),
        normalise_hts().alias("_hts"),
        *([pl.col("entry_date").cast(pl.Date).alias("_entry_date")] if has_date else []),
    )
    # One query: a join per prefix length, then the date test, the dedup and the order.
    parts = [keys.with_columns(pl.col("_hts").str.slice(0, length).alias("hts_prefix")).join(
        of_length.lazy(), on="hts_prefix", how="inner")
        for length, of_length in prefixes_by_length(orders)]
    if not parts:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    matched = pl.concat(parts, how="vertical_relaxed")
    if has_date:
        matched = matched.filter(
            pl.col("order_date").is_null() | pl.col("_entry_date").is_null()
            | (pl.col("_entry_date") >= pl.col("order_date")))
    # A line matching two prefixes of one order counts once (the longest, most specific).
    matched = matched.sort("hts_prefix", descending=True).unique(
        ["entry_number", "line_number", "case_number"], keep="first", maintain_order=True)
    return matched.select([pl.col(c).cast(t) for c, t in MATCH_SCHEMA.items()]).sort(
        "entry_number", "line_number", "case_number").collect()


# The last order list's prefixes by length: every batch matches against the same list.
_KEPT: list[tuple[pl.DataFrame, tuple[tuple[int, pl.DataFrame], ...]]] = []


def prefixes_by_length(orders: pl.DataFrame) -> tuple[tuple[int, pl.DataFrame], ...]:
    """(length, that length's :func:`order_prefixes` rows) for each prefix length, shortest
    first; built once per order list (reference data keeps its frame)."""
    for kept_orders, kept in list(_KEPT):
        if kept_orders is orders:
            return kept
    prefixes = order_prefixes(orders).with_columns(
        pl.col("hts_prefix").str.len_chars().alias("_len"))
    by_length = tuple((int(length), prefixes.filter(pl.col("_len") == length).drop("_len"))
                      for length in sorted(prefixes["_len"].unique().to_list()))
    _KEPT[:] = [(orders, by_length)]  # one list at a time; keeps the frame it keys on alive
    return by_length


def match_orders(lines: pl.DataFrame, orders: pl.DataFrame,
                 scope: pl.DataFrame | None = None) -> pl.DataFrame:
    """Orders each line is subject to: HTS prefix + origin = subject country + in force.

    ``lines`` needs ``entry_number``, ``line_number``, ``hts_code`` and ``country_of_origin``
    (``entry_date`` optional, see :func:`match_scope`). Returns one row per
    (entry_number, line_number, case_number) with :data:`MATCH_SCHEMA` columns. ``scope``, when
    given, is ``match_scope(lines, orders)`` already computed for the batch.
    """
    origin = lines.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("country_of_origin").cast(pl.String).str.strip_chars().str.to_uppercase()
        .alias("_origin"),
    )
    if scope is None:
        scope = match_scope(lines, orders)
    return (
        scope.join(origin, on=["entry_number", "line_number"], how="inner")
        .filter(pl.col("_origin") == pl.col("country"))
        .drop("_origin")
    )
