"""Corroboration across an entry and an importer's account: one scheme rarely covers one line.

Undervaluation is decided per shipment and per buyer, not per tariff line: a second invoice
covers the whole entry, and a buyer that under-declares does so across its purchases. A line
that is only somewhat low is weak evidence alone, and the same line next to a confirmed gap is
the same scheme's next line. Both reviews run over the lines being scored (score a rolling
window, not single entries, for the account review to see an importer's pattern; the batch
engines cut batches by importer, so an importer's whole account is always scored together):

* **Entry**: on an entry with at least ``entry_min_flagged`` other lines already flagged for
  undervaluation, a line is reported when EVERY price reference available for it (peers, and
  the importer's, the manufacturer's and the pair's own history) puts it at or below
  ``entry_ratio`` and its undervaluation score is at least ``entry_z``. Requiring all
  references keeps out the buyer whose contract is simply cheaper than the market but normal
  for itself; requiring two flagged lines keeps one false alarm from spreading over an entry.
* **Account**: an importer's contracts in the batch (HTS-10 x manufacturer) count as low when
  most of their lines are flagged, or score at least ``account_low_z`` at a ratio at or below
  ``account_low_ratio`` against some reference. Under the base rate p0 (the share of contracts
  that were low in recent history, measured when the detector is fitted, at least
  ``account_base_rate_floor``) an importer's number of
  low contracts is binomial(n, p0); when the tail probability of what is seen is at most
  ``account_alpha`` (a batch holds hundreds to thousands of importers, so about 1e-4 keeps
  the chance of a clean importer passing by luck small), its other lines at or below
  ``account_line_ratio`` of some reference with a score of at least ``account_z`` are
  reported. Contracts, not lines, are counted: ten lines of one cheap contract are one fact.
* **Combined**: the line's own evidence and its importer's OTHER contracts are two
  independent tests, so they are combined (Stouffer) instead of each being held to its own cut.
  The line's p-value is empirical: the share of recent history lines (scored when the
  detector is fitted; the batch's lines without history) whose undervaluation score is at
  least as high. Robust z's over peer groups that mix articles are heavy-tailed, so a normal
  p-value would overstate them. The account's is the binomial tail above with the line's own
  contract left out, so a line never corroborates itself. A line at or below
  ``account_line_ratio`` of some reference is reported when the combined p is at most
  ``account_alpha``, the account review's own level: a strong account needs less from the
  line, a strong line less from the account. (History scores are in-sample: a past line is
  part of its own peer group and party history, which makes them a little less extreme than a
  new line's, and the line's p-value a little small; the materiality cut bounds the effect.)
* **Related-party account**: the same test on the importer's related-party contracts alone,
  against the base rate of related-party contracts in history. Whether the relationship
  influenced the price (19 CFR 152.103(l)(1), circumstances of sale) is a question about the
  buyer's dealings with its affiliates, not about one line: related-party prices low as a rule
  across contracts is the transfer-pricing pattern. Its related lines at or below
  ``related_under_ratio`` of some reference with a score of at least ``account_z`` are reported.

Measured on eight demo seeds (bench/results/anomaly.md): the account reviews add 0-7 planted
cases per seed (35 in all) for 25 clean lines over the eight (21 of them on one importer with 20
planted cases); the entry review adds 0-3 per seed (4 in all) for 2 clean lines. The combined
test adds 8 planted cases over 13 demo sets for 35 clean lines (bench/results/anomaly.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import binom, norm

from tradeguard.detectors.valuation_evidence import ValuationConfig

# ratio columns of the price references a line may have (peer, and the parties' own)
REFERENCE_RATIOS: tuple[str, ...] = ("ratio_uv", "ratio_importer", "ratio_supplier",
                                     "ratio_manufacturer")
CONTRACT: tuple[str, ...] = ("importer_id", "hts10", "manufacturer_id")


@dataclass(frozen=True, slots=True)
class AccountBaseRates:
    """Shares of low contracts (all, and related-party only) in past trade: the p0 of the
    account reviews. Taken from history at fit time, so a line's findings do not depend on
    which other entries happen to be scored with it (batch size, engine, partitioning)."""

    overall: float | None
    related: float | None
    # undervaluation scores of the same history lines, sorted: how often past trade scores as
    # low as a line does (the line's own p-value in the combined account test)
    scores: npt.NDArray[np.float64] | None = None


def _contracts(frame: pl.DataFrame, low: pl.Expr, scope: pl.Expr) -> pl.DataFrame:
    keys = [c for c in CONTRACT if c in frame.columns]
    return frame.filter(scope & pl.col("_min_ratio").is_not_null()
                        & pl.col("importer_id").is_not_null()).group_by(keys).agg(
        (low.cast(pl.Float64).mean() >= 0.5).alias("_low"))


def _low(cfg: ValuationConfig) -> pl.Expr:
    return pl.col("_under") | ((pl.col("under_score") >= cfg.account_low_z)
                               & (pl.col("_min_ratio") <= cfg.account_low_ratio)).fill_null(False)


def _with_ratio_range(scored: pl.DataFrame) -> pl.DataFrame:
    refs = [pl.col(r) for r in REFERENCE_RATIOS if r in scored.columns]
    return scored.with_columns(pl.min_horizontal(refs).alias("_min_ratio"),
                               pl.max_horizontal(refs).alias("_max_ratio"))


def account_base_rates(scored: pl.DataFrame, cfg: ValuationConfig) -> AccountBaseRates:
    """The shares of low contracts among ``scored`` lines (evidence scores before
    corroboration), overall and related-party; None where there is no contract."""
    if "importer_id" not in scored.columns or scored.is_empty():
        return AccountBaseRates(None, None)
    frame = _with_ratio_range(scored)
    shares = []
    for scope in (pl.lit(True), pl.col("related")):
        share = _contracts(frame, _low(cfg), scope)["_low"].mean()
        shares.append(float(share) if isinstance(share, float) else None)
    scores = np.sort(scored["under_score"].drop_nulls().drop_nans().to_numpy().astype(np.float64))
    return AccountBaseRates(shares[0], shares[1], scores if len(scores) else None)


def line_p_values(score: npt.NDArray[np.float64],
                  reference: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Empirical one-sided p-value of each undervaluation score: the share of ``reference``
    scores (sorted) at least as high, (1 + count) / (1 + n). Rank-based, so it holds whatever
    the shape of the scores: peer groups that mix articles make robust z's heavy-tailed, and a
    normal-law p-value would overstate a line's evidence. No score: p = 1."""
    n = len(reference)
    at_least = n - np.searchsorted(reference, np.nan_to_num(score, nan=-np.inf), side="left")
    return np.where(np.isnan(score), 1.0, (1.0 + at_least) / (1.0 + n))


def _account(contracts: pl.DataFrame, floor: float, prefix: str,
             base_rate: float | None) -> pl.DataFrame:
    """importer_id -> ``<prefix>_low_contracts``, ``<prefix>_contracts`` and
    ``<prefix>_p_value``, the binomial tail probability of as many low contracts at the base
    rate ``base_rate`` (at least ``floor``; without one, the share of low ones among
    ``contracts``, :func:`_contracts` of the scope reviewed)."""
    names = [f"{prefix}_low_contracts", f"{prefix}_contracts", f"{prefix}_p_value"]
    if contracts.is_empty():
        return pl.DataFrame(schema={"importer_id": pl.String, names[0]: pl.Int64,
                                    names[1]: pl.Int64, names[2]: pl.Float64})
    share = contracts["_low"].mean() if base_rate is None else base_rate
    p0 = max(float(share) if isinstance(share, float) else 0.0, floor)
    account = contracts.group_by("importer_id").agg(
        pl.col("_low").sum().cast(pl.Int64).alias(names[0]),
        pl.len().cast(pl.Int64).alias(names[1]))
    k = account[names[0]].to_numpy()
    n = account[names[1]].to_numpy()
    return account.with_columns(
        pl.Series(names[2], np.asarray(binom.sf(k - 1, n, p0), dtype=np.float64)))


def _other_contracts(frame: pl.DataFrame, contracts: pl.DataFrame, floor: float,
                     base_rate: float | None) -> pl.DataFrame:
    """contract -> ``account_others_p_value``: the binomial tail of the low contracts among the
    importer's OTHER contracts (its own left out), so that it is independent of the line's own
    price and can be combined with the line's p-value (``contracts``: all of the frame's,
    :func:`_contracts`)."""
    keys = [c for c in CONTRACT if c in frame.columns]
    if contracts.is_empty():
        return pl.DataFrame(schema={**{k: frame.schema[k] for k in keys},
                                    "account_others_p_value": pl.Float64})
    share = contracts["_low"].mean() if base_rate is None else base_rate
    p0 = max(float(share) if isinstance(share, float) else 0.0, floor)
    low_int = pl.col("_low").cast(pl.Int64)
    counted = contracts.with_columns(
        (low_int.sum().over("importer_id") - low_int).alias("_k"),
        (pl.len().over("importer_id").cast(pl.Int64) - 1).alias("_n"))
    k = counted["_k"].to_numpy()
    n = counted["_n"].to_numpy()
    p = np.where(n > 0, binom.sf(k - 1, np.maximum(n, 1), p0), 1.0)
    return counted.select(*keys).with_columns(
        pl.Series("account_others_p_value", np.asarray(p, dtype=np.float64)))


def _combined(frame: pl.DataFrame, cfg: ValuationConfig, contracts: pl.DataFrame,
              rates: AccountBaseRates) -> pl.DataFrame:
    """Add ``line_p_value``, ``account_others_p_value`` and ``combined_p_value``: Stouffer's
    combination of the line's empirical p-value and the binomial tail of its importer's other
    contracts, two independent pieces of evidence. Stouffer, not Fisher: Fisher's product is
    carried by its smallest p alone, so an importer with a very improbable account would have
    every line at 0.8x of some reference reported whatever the line shows."""
    keys = [c for c in CONTRACT if c in frame.columns]
    others = _other_contracts(frame, contracts, cfg.account_base_rate_floor, rates.overall)
    frame = frame.join(others, on=keys, how="left", nulls_equal=True)
    score = frame["under_score"].cast(pl.Float64).to_numpy()
    reference = rates.scores
    if reference is None:  # no history scored: the batch itself is the reference
        reference = np.sort(score[~np.isnan(score)])
    p_line = line_p_values(score, reference)
    p_account = frame["account_others_p_value"].fill_null(1.0).to_numpy()
    z = (norm.isf(p_line) + norm.isf(p_account)) / np.sqrt(2.0)
    return frame.with_columns(pl.Series("line_p_value", p_line),
                              pl.Series("combined_p_value", norm.sf(z)))


def _no_account(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
    return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(f"{prefix}_low_contracts"),
                              pl.lit(None, dtype=pl.Int64).alias(f"{prefix}_contracts"),
                              pl.lit(None, dtype=pl.Float64).alias(f"{prefix}_p_value"))


def corroborate(scored: pl.DataFrame, cfg: ValuationConfig,
                base_rates: AccountBaseRates | None = None) -> pl.DataFrame:
    """Add ``entry_flagged_lines``, the account columns and ``_entry_corroborated`` /
    ``_account_corroborated``; corroborated lines join ``_under`` with their gap and duty.

    ``base_rates`` (from history, :func:`account_base_rates`) fix the account reviews' p0;
    without them p0 is the share of low contracts in ``scored`` itself.
    """
    refs = [pl.col(r) for r in REFERENCE_RATIOS if r in scored.columns]
    frame = _with_ratio_range(scored)
    rates = base_rates or AccountBaseRates(None, None)
    # a line whose weight, not price, is wrong (``_light``) is not open to a price review
    light = pl.col("_light") if "_light" in scored.columns else pl.lit(False)
    open_line = ~pl.col("_under") & ~pl.col("_over") & ~pl.col("_quantity") & ~light
    score = pl.col("under_score").fill_null(-1e9)
    if "entry_number" in frame.columns:
        frame = frame.with_columns(
            (pl.col("_under").cast(pl.Int64).sum().over("entry_number")
             - pl.col("_under").cast(pl.Int64)).alias("entry_flagged_lines"))
        entry = (open_line & (score >= cfg.entry_z)
                 & (pl.col("entry_flagged_lines") >= cfg.entry_min_flagged)
                 & (pl.col("_max_ratio") <= cfg.entry_ratio)).fill_null(False)
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("entry_flagged_lines"))
        entry = pl.lit(False)
    if "importer_id" in frame.columns:
        low = _low(cfg)
        # Every contract of the batch: the account review and the combined test both read them.
        every = _contracts(frame, low, pl.lit(True))
        frame = frame.join(_account(every, cfg.account_base_rate_floor, "account",
                                    rates.overall), on="importer_id", how="left")
        frame = frame.join(_account(_contracts(frame, low, pl.col("related")),
                                    cfg.account_base_rate_floor, "related_account",
                                    rates.related),
                           on="importer_id", how="left")
        frame = _combined(frame, cfg, every, rates)
        candidate = open_line & (score >= cfg.account_z)
        by_account = (
            (candidate & (pl.col("account_p_value") <= cfg.account_alpha)
             & (pl.col("_min_ratio") <= cfg.account_line_ratio)).fill_null(False)
            | (candidate & pl.col("related")
               & (pl.col("related_account_p_value") <= cfg.account_alpha)
               & (pl.col("_min_ratio") <= cfg.related_under_ratio)).fill_null(False)
            | (open_line & (pl.col("combined_p_value") <= cfg.account_alpha)
               & (pl.col("_min_ratio") <= cfg.account_line_ratio)).fill_null(False))
    else:
        frame = _no_account(_no_account(frame, "account"), "related_account").with_columns(
            pl.lit(None, dtype=pl.Float64).alias("account_others_p_value"),
            pl.lit(None, dtype=pl.Float64).alias("line_p_value"),
            pl.lit(None, dtype=pl.Float64).alias("combined_p_value"))
        by_account = pl.lit(False)
    frame = frame.with_columns(entry.alias("_entry_corroborated"),
                               (by_account & ~entry).alias("_account_corroborated"))
    new = pl.col("_entry_corroborated") | pl.col("_account_corroborated")
    # the least extreme reference at or below the cut that let the line in: a floor on the gap
    cut = pl.when(pl.col("_entry_corroborated")).then(cfg.entry_ratio).otherwise(
        pl.max_horizontal(pl.lit(cfg.account_line_ratio),
                          pl.when(pl.col("related")).then(cfg.related_under_ratio)))
    used = pl.max_horizontal([pl.when(r <= cut).then(r) for r in refs])
    value = pl.col("entered_value_usd").cast(pl.Float64)
    gap = value / used - value
    return frame.with_columns(
        (pl.col("_under") | new).alias("_under"),
        (pl.col("_under_uv") | new).alias("_under_uv"),
        pl.when(new).then(gap).otherwise(pl.col("value_gap_usd")).alias("value_gap_usd"),
        pl.when(new).then(gap * pl.col("ad_valorem_rate")).otherwise(pl.col("duty_at_risk_usd"))
        .alias("duty_at_risk_usd"),
    ).drop("_min_ratio", "_max_ratio")
