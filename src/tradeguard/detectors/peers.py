"""Peer price baselines: robust unit-value statistics of past lines, shrunk for sparse groups.

A line's peers are past lines of the same HTS-10 (else HS-6, else HS-4), origin and unit of
quantity inside a time window. Prices are compared on the log scale, where customs unit values
are roughly symmetric, using medians and MADs so a few fraudulent past lines cannot move the
baseline. A sparse group's median is an empirical-Bayes blend with its parent group's: the
weight on the group's own median is tau^2 / (tau^2 + (pi/2) sigma_w^2 / n), where tau^2 is the
spread of medians between sibling groups and sigma_w^2 the typical spread inside a group; with
many peers the group speaks for itself, with few it leans on the parent.

Kilograms per declared unit is a physical property of the article, not of where it was made,
so it also has an HTS-10 level pooled over origins (``hts10_any``), used when the line's own
origin has too few lines to say what the article weighs.

The baseline is one small frame (one row per group and level) that round-trips through Parquet,
so it is built once from history and reused by every scoring job.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl

LEVELS: tuple[str, ...] = ("hts10", "hs6", "hs4", "hs4_any", "hts10_any")
CODE_LENGTH = {"hts10": 10, "hs6": 6, "hs4": 4, "hs4_any": 4, "hts10_any": 10}
PARENT = {"hts10": "hs6", "hs6": "hs4", "hs4": "hs4_any", "hts10_any": "hs4_any"}
# levels pooled over all origins
ANY_ORIGIN_LEVELS = frozenset({"hs4_any", "hts10_any"})
# where a line's peers are looked for, most specific first: prices depend on origin
PRICE_LEVELS: tuple[str, ...] = ("hts10", "hs6", "hs4", "hs4_any")
# weight per unit is physical: the same article from any origin beats a wider heading
WEIGHT_LEVELS: tuple[str, ...] = ("hts10", "hts10_any", "hs6", "hs4", "hs4_any")
ANY_ORIGIN = "*"
# the statistics a line takes from its price level and from its weight level
PRICE_COLUMNS: tuple[str, ...] = ("code", "n", "luv_post_med", "luv_post_sig", "uv_p05",
                                  "uv_p95", "uv_min", "uv_max", "lvpk_n", "lvpk_post_med",
                                  "lvpk_post_sig")
WEIGHT_COLUMNS: tuple[str, ...] = ("lkpu_n", "lkpu_post_med", "lkpu_post_sig")
PEER_COLUMNS: tuple[str, ...] = PRICE_COLUMNS + WEIGHT_COLUMNS
MAD_TO_SIGMA = 1.4826
# Measures compared against peers: log unit value, log value per kilogram and log kilograms
# per declared unit (weight is hard to fake, so a quantity understated against an unchanged
# weight shows up as kg/unit far above the peers').
MEASURES = ("luv", "lvpk", "lkpu")

BASELINE_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.String(), "code": pl.String(), "origin": pl.String(), "unit": pl.String(),
    "n": pl.Int64(), "luv_med": pl.Float64(), "luv_sig": pl.Float64(),
    "uv_p05": pl.Float64(), "uv_p25": pl.Float64(), "uv_p75": pl.Float64(),
    "uv_p95": pl.Float64(), "uv_min": pl.Float64(), "uv_max": pl.Float64(),
    "lvpk_n": pl.Int64(), "lvpk_med": pl.Float64(),
    "lvpk_sig": pl.Float64(), "luv_post_med": pl.Float64(), "luv_post_sig": pl.Float64(),
    "luv_weight": pl.Float64(), "lvpk_post_med": pl.Float64(), "lvpk_post_sig": pl.Float64(),
    "lvpk_weight": pl.Float64(), "lkpu_n": pl.Int64(), "lkpu_med": pl.Float64(),
    "lkpu_sig": pl.Float64(), "lkpu_post_med": pl.Float64(), "lkpu_post_sig": pl.Float64(),
    "lkpu_weight": pl.Float64(), "window_from": pl.Date(), "window_to": pl.Date(),
}


@cache
def peer_levels(use_any_origin: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The levels a line's price and its weight per unit are compared at, most specific
    first (HS-4 of all origins only when ``use_any_origin``; kept: a request asks per line)."""
    def keep(lvl: str) -> bool:
        return lvl != "hs4_any" or use_any_origin

    return (tuple(lvl for lvl in PRICE_LEVELS if keep(lvl)),
            tuple(lvl for lvl in WEIGHT_LEVELS if keep(lvl)))


def value_measures(lines: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Add ``hts10``, ``origin``, ``unit``, ``luv`` (log $/unit), ``lvpk`` (log $/kg) and
    ``lkpu`` (log kg/unit).

    Lines without a positive value, quantity or weight get a null measure (never a zero), so
    they take no part in the statistics.
    """
    value = pl.col("entered_value_usd").cast(pl.Float64)
    qty = pl.col("quantity").cast(pl.Float64)
    frame = lines.lazy()
    weight = (
        pl.col("gross_weight_kg").cast(pl.Float64)
        if "gross_weight_kg" in frame.collect_schema().names()
        else pl.lit(None, dtype=pl.Float64)
    )
    return frame.with_columns(
        pl.col("hts_code").cast(pl.String).str.replace_all(r"\.", "").alias("hts10"),
        pl.col("country_of_origin").cast(pl.String).str.to_uppercase().alias("origin"),
        pl.col("quantity_unit").cast(pl.String).str.to_uppercase().alias("unit"),
        pl.when((value > 0) & (qty > 0)).then((value / qty).log()).alias("luv"),
        pl.when((value > 0) & (weight > 0)).then((value / weight).log()).alias("lvpk"),
        pl.when((qty > 0) & (weight > 0)).then((weight / qty).log()).alias("lkpu"),
    )


def _group_stats(prepared: pl.LazyFrame, level: str) -> pl.LazyFrame:
    origin = pl.lit(ANY_ORIGIN) if level in ANY_ORIGIN_LEVELS else pl.col("origin")
    keyed = prepared.with_columns(
        pl.lit(level).alias("level"),
        pl.col("hts10").str.slice(0, CODE_LENGTH[level]).alias("code"),
        origin.alias("origin"),
    )
    luv, lvpk, lkpu = pl.col("luv"), pl.col("lvpk"), pl.col("lkpu")
    return keyed.group_by("level", "code", "origin", "unit").agg(
        luv.count().alias("n"),
        luv.median().alias("luv_med"),
        ((luv - luv.median()).abs().median() * MAD_TO_SIGMA).alias("luv_sig"),
        luv.quantile(0.05, "linear").exp().alias("uv_p05"),
        luv.quantile(0.25, "linear").exp().alias("uv_p25"),
        luv.quantile(0.75, "linear").exp().alias("uv_p75"),
        luv.quantile(0.95, "linear").exp().alias("uv_p95"),
        luv.min().exp().alias("uv_min"),
        luv.max().exp().alias("uv_max"),
        lvpk.count().alias("lvpk_n"),
        lvpk.median().alias("lvpk_med"),
        ((lvpk - lvpk.median()).abs().median() * MAD_TO_SIGMA).alias("lvpk_sig"),
        lkpu.count().alias("lkpu_n"),
        lkpu.median().alias("lkpu_med"),
        ((lkpu - lkpu.median()).abs().median() * MAD_TO_SIGMA).alias("lkpu_sig"),
    ).filter(pl.col("n") > 0)


def _shrink(child: pl.DataFrame, parent: pl.DataFrame | None, level: str,
            sigma_floor: float) -> pl.DataFrame:
    """Empirical-Bayes posterior median and predictive spread of each group, per measure."""
    if parent is None:
        return child.with_columns(
            *[pl.col(f"{m}_med").alias(f"{m}_post_med") for m in MEASURES],
            *[pl.col(f"{m}_sig").clip(lower_bound=sigma_floor).alias(f"{m}_post_sig")
              for m in MEASURES],
            *[pl.lit(1.0).alias(f"{m}_weight") for m in MEASURES],
        )
    plen = CODE_LENGTH[PARENT[level]]
    porigin = pl.lit(ANY_ORIGIN) if PARENT[level] in ANY_ORIGIN_LEVELS else pl.col("origin")
    frame = child.with_columns(
        pl.col("code").str.slice(0, plen).alias("_pcode"), porigin.alias("_porigin")
    )
    keys = ["_pcode", "_porigin", "unit"]
    for m in MEASURES:
        med, sig = pl.col(f"{m}_med"), pl.col(f"{m}_sig")
        cnt = pl.col("n" if m == "luv" else f"{m}_n")
        # between-sibling spread of medians and typical within-group spread, per parent
        tau2 = (((med - med.median()).abs().median() * MAD_TO_SIGMA) ** 2).over(keys)
        within2 = (sig.clip(lower_bound=sigma_floor) ** 2).median().over(keys)
        frame = frame.with_columns(
            tau2.clip(lower_bound=sigma_floor**2).alias(f"_{m}_tau2"),
            within2.fill_null(sigma_floor**2).alias(f"_{m}_w2"),
            cnt.alias(f"_{m}_cnt"),
        )
    parent_cols = parent.select(
        pl.col("code").alias("_pcode"), pl.col("origin").alias("_porigin"), "unit",
        *[pl.col(f"{m}_post_med").alias(f"_{m}_pmed") for m in MEASURES],
        *[pl.col(f"{m}_post_sig").alias(f"_{m}_psig") for m in MEASURES],
    )
    frame = frame.join(parent_cols, on=keys, how="left")
    out = []
    for m in MEASURES:
        tau2, w2, cnt = pl.col(f"_{m}_tau2"), pl.col(f"_{m}_w2"), pl.col(f"_{m}_cnt")
        weight = (tau2 / (tau2 + (math.pi / 2) * w2 / cnt)).fill_null(1.0)
        own_sig2 = pl.col(f"{m}_sig").clip(lower_bound=sigma_floor) ** 2
        out += [
            weight.alias(f"{m}_weight"),
            (weight * pl.col(f"{m}_med") + (1 - weight) * pl.col(f"_{m}_pmed"))
            .fill_null(pl.col(f"{m}_med")).alias(f"{m}_post_med"),
            (weight * own_sig2 + (1 - weight) * pl.col(f"_{m}_psig") ** 2
             + weight * (math.pi / 2) * w2 / cnt)
            .sqrt().fill_null(pl.col(f"{m}_sig").clip(lower_bound=sigma_floor))
            .alias(f"{m}_post_sig"),
        ]
    return frame.with_columns(out)


def build_peer_baseline(
    history: pl.DataFrame | pl.LazyFrame,
    as_of: date,
    window_days: int = 730,
    sigma_floor: float = 0.05,
) -> pl.DataFrame:
    """Group statistics of past lines over ``window_days`` before ``as_of`` (inclusive).

    ``sigma_floor`` (log scale, 0.05 = about 5 %) stops groups of identical prices from
    turning every small difference into a huge robust z.
    """
    start = as_of - timedelta(days=window_days)
    prepared = value_measures(history)
    if "entry_date" in prepared.collect_schema().names():
        when = pl.col("entry_date").cast(pl.Date, strict=False)
        prepared = prepared.filter(when.is_null() | when.is_between(start, as_of))
    prepared = prepared.select("hts10", "origin", "unit", *MEASURES).filter(
        pl.col("luv").is_not_null() & (pl.col("hts10").str.len_chars() >= 4)
    )
    stats = pl.collect_all([_group_stats(prepared, lvl) for lvl in LEVELS])
    by_level = dict(zip(LEVELS, stats, strict=True))
    shrunk: dict[str, pl.DataFrame] = {}
    for level in ("hs4_any", "hs4", "hs6", "hts10", "hts10_any"):  # each after its parent
        parent = shrunk.get(PARENT[level]) if level in PARENT else None
        shrunk[level] = _shrink(by_level[level], parent, level, sigma_floor)
    frame = pl.concat(
        [shrunk[lvl].with_columns(pl.lit(start).alias("window_from"),
                                  pl.lit(as_of).alias("window_to")) for lvl in LEVELS],
        how="diagonal_relaxed",
    )
    return frame.select([pl.col(c).cast(t) for c, t in BASELINE_SCHEMA.items()])


def save_baseline(baseline: pl.DataFrame, path: Path) -> None:
    """Write the baseline to Parquet for reuse by later scoring jobs."""
    baseline.write_parquet(path)


def load_baseline(path: Path) -> pl.DataFrame:
    """Read a baseline, failing with the file and missing field if it is not one."""
    frame = pl.read_parquet(path)
    missing = [c for c in BASELINE_SCHEMA if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not a peer baseline, missing field(s) {missing}")
    return frame.select([pl.col(c).cast(t) for c, t in BASELINE_SCHEMA.items()])
