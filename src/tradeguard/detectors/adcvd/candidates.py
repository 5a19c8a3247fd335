"""The lines of a run the AD/CVD detector must see, found without building its indicators.

Batch engines run the detector once over the run's candidate lines
(:mod:`tradeguard.engines.entry_batch`): the lines its deposit checks flag and the lines in
scope of an order from a third country (the only lines its first-seen dates, plant prices
and surges read). Every such line declares a case or has an HTS number under some order's
prefix, so :func:`may_be_candidate` keeps those first, testing each distinct HTS number once
rather than each line; :func:`candidate_keys` then applies the detector's own rules to that
share of the run. Each rule is a function of the line alone, so a line left out by the first
step could never have been a candidate.
"""

from __future__ import annotations

import polars as pl

from tradeguard.detectors.adcvd.baseline import third_country_scope
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.deposits import deposit_checks
from tradeguard.detectors.adcvd.scope import match_scope, normalise_hts, order_prefixes

# The declared fields (entry header and line) the candidate rules read, besides the keys.
CANDIDATE_FIELDS: tuple[str, ...] = (
    "entry_date", "entry_type", "hts_code", "country_of_origin", "entered_value_usd",
    "adcvd_deposit_usd", "adcvd_case_number",
)
_KEYS = ["entry_number", "line_number"]


def may_be_candidate(lines: pl.DataFrame, orders: pl.DataFrame) -> pl.Series:
    """Whether each line declares a case or has an HTS number under an order's prefix,
    whatever its origin and date: true for every candidate (null or false otherwise)."""
    codes = lines.select(pl.col("hts_code").cast(pl.String)).unique().drop_nulls()
    digits = codes.with_columns(normalise_hts().alias("_hts"))
    prefixes = order_prefixes(orders).select(
        "hts_prefix", pl.col("hts_prefix").str.len_chars().alias("_len")).unique()
    under = pl.lit(False)
    for length in sorted(prefixes["_len"].unique().to_list()):
        of_length = prefixes.filter(pl.col("_len") == length).get_column("hts_prefix")
        under = under | pl.col("_hts").str.slice(0, length).is_in(of_length.implode())
    scoped = digits.filter(under).get_column("hts_code")
    case = (pl.col("adcvd_case_number").is_not_null() if "adcvd_case_number" in lines.columns
            else pl.lit(False))
    return lines.select(pl.col("hts_code").cast(pl.String).is_in(scoped.implode()) | case
                        ).to_series()


def candidate_keys(decl: pl.DataFrame, orders: pl.DataFrame, cfg: AdcvdConfig
                   ) -> pl.DataFrame:
    """Keys of the declaration lines the deposit checks flag or that are in scope of an order
    from a third country (one HTS prefix match serves both)."""
    scope = match_scope(decl, orders)
    found = [deposit_checks(decl, orders, cfg, scope),
             third_country_scope(decl, orders, scope=scope)]
    return pl.concat([f.select(*_KEYS) for f in found]).unique(maintain_order=True)
