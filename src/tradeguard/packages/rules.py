"""The small-package rules, each a vectorised pass over the prepared batch.

Every rule returns hits: one row per (package, reason) with a plain-language text and the
evidence the reason rests on (JSON), so a parcel's lane can be explained to the importer.
Baselines (peer prices, the HS-6 and origins a description usually carries) come from the
batch itself plus any history of past packages, so no rule needs a list of goods.
"""

from __future__ import annotations

import polars as pl
from rapidfuzz import fuzz, process

from tradeguard.packages.config import PackageConfig
from tradeguard.screening.normalise import normalise_names

HIT_SCHEMA: dict[str, pl.DataType] = {
    "package_id": pl.String(),
    "category": pl.String(),
    "reason_code": pl.String(),
    "severity": pl.String(),
    "text": pl.String(),
    "evidence": pl.String(),
}


def empty_hits() -> pl.DataFrame:
    """A hits frame with no rows."""
    return pl.DataFrame(schema=HIT_SCHEMA)


def hits_frame(frame: pl.DataFrame, code: str, category: str, severity: str, text: pl.Expr,
               evidence: list[str]) -> pl.DataFrame:
    """One hit per row of ``frame`` with the reason, its text and the evidence columns."""
    if frame.is_empty():
        return empty_hits()
    return frame.select(
        pl.col("package_id"),
        pl.lit(category).alias("category"),
        pl.lit(code).alias("reason_code"),
        pl.lit(severity).alias("severity"),
        text.alias("text"),
        pl.struct(evidence).struct.json_encode().alias("evidence"),
    )


def _money(expr: pl.Expr) -> pl.Expr:
    return pl.format("${}", expr.round(2))


def split_shipments(batch: pl.DataFrame, cfg: PackageConfig) -> pl.DataFrame:
    """One consignee (address key, alike names) receiving several parcels from one sender
    within the window, each under a value threshold that their sum exceeds."""
    gap = pl.col("arrival_date").diff().over("addr_key", "sender").dt.total_days()
    ep = (
        batch.filter(pl.col("addr_key") != "")
        .select("package_id", "addr_key", "sender", "arrival_date", "declared_value_usd",
                "consignee_name")
        .sort("addr_key", "sender", "arrival_date")
        .with_columns(((gap.is_null()) | (gap > cfg.split_window_days)).cum_sum().alias("episode"))
    )
    # Cheap value screen first, so only plausible episodes reach name normalisation.
    low = min(cfg.value_thresholds_usd)
    sizes = ep.group_by("episode").agg(
        pl.len().alias("n"), pl.col("declared_value_usd").sum().alias("sum"),
        pl.col("declared_value_usd").median().alias("mid"))
    ep = ep.join(sizes.filter((pl.col("n") >= cfg.split_min_parcels) & (pl.col("sum") > low)
                              & (pl.col("mid") >= cfg.split_near_share * low)),
                 on="episode").drop("n", "sum", "mid")
    if ep.is_empty():
        return empty_hits()
    if ep.is_empty():
        return empty_hits()
    # Names: several parcels must go to one person, however respelled ("A. HILL", "ASHLEY HIL",
    # "HILL ASHLEY"): two names agree when some word of one (initials aside) is close to a
    # word of the other; a parcel stays when it agrees with enough others of its episode.
    names = normalise_names(ep.select("package_id", "consignee_name"), "consignee_name")
    words = names.select("package_id", pl.col("tokens").list.eval(
        pl.element().filter(pl.element().str.len_chars() >= 2)).alias("w")).explode("w")
    words = words.drop_nulls("w").join(ep.select("package_id", "episode"), on="package_id")
    pairs = words.join(words, on="episode", suffix="_o").filter(
        pl.col("package_id") != pl.col("package_id_o"))
    sim = process.cpdist(pairs["w"].to_list(), pairs["w_o"].to_list(), scorer=fuzz.ratio,
                         workers=-1)
    agree = (pairs.with_columns(pl.Series("s", sim, dtype=pl.Float64) / 100)
             .group_by("package_id", "package_id_o").agg(pl.col("s").max())
             .filter(pl.col("s") >= cfg.split_name_similarity)
             .group_by("package_id").agg(pl.len().alias("alike"), pl.col("s").mean()
                                         .alias("name_sim")))
    ep = ep.join(agree.filter(pl.col("alike") >= cfg.split_min_parcels - 1), on="package_id")
    agg = ep.group_by("episode").agg(
        pl.len().alias("parcels"), pl.col("declared_value_usd").sum().alias("total"),
        pl.col("declared_value_usd").max().alias("largest"),
        pl.col("declared_value_usd").median().alias("median"),
        pl.col("arrival_date").min().alias("first"), pl.col("arrival_date").max().alias("last"),
    )
    threshold = pl.lit(None, dtype=pl.Float64)
    for t in sorted(cfg.value_thresholds_usd, reverse=True):  # the lowest crossed line wins
        crossed = ((pl.col("parcels") >= cfg.split_min_parcels) & (pl.col("largest") <= t)
                   & (pl.col("total") > t) & (pl.col("median") >= cfg.split_near_share * t))
        threshold = pl.when(crossed).then(pl.lit(t)).otherwise(threshold)
    agg = agg.with_columns(threshold.alias("threshold")).drop_nulls("threshold")
    hit = ep.join(agg, on="episode").with_columns(
        pl.col("first").cast(pl.String), pl.col("last").cast(pl.String))
    text = pl.format(
        "{} parcels from one sender to one consignee between {} and {} total {}, each under "
        "the {} threshold (consignee name and address written several ways)",
        "parcels", "first", "last", _money(pl.col("total")), _money(pl.col("threshold")))
    return hits_frame(hit, "PKG_SPLIT_SHIPMENT", "small_package", "high", text,
                 ["sender", "addr_key", "parcels", "total", "threshold", "first", "last",
                  "name_sim"])


def peer_prices(baseline: pl.DataFrame, cfg: PackageConfig) -> dict[str, pl.DataFrame]:
    """Median value per kg by description (specific ones only) and by declared HS-6."""
    priced = baseline.filter(pl.col("per_kg").is_not_null())
    by_desc = (priced.filter(~pl.col("vague")).group_by("desc_key")
               .agg(pl.col("per_kg").median().alias("desc_median"), pl.len().alias("desc_n"))
               .filter(pl.col("desc_n") >= cfg.peer_min))
    by_hs6 = (priced.drop_nulls("hs6").group_by("hs6")
              .agg(pl.col("per_kg").median().alias("hs6_median"), pl.len().alias("hs6_n"))
              .filter(pl.col("hs6_n") >= cfg.peer_min))
    return {"desc": by_desc, "hs6": by_hs6}


def price_ratio(batch: pl.DataFrame, peers: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Add ``peer_median``, ``peer_basis``, ``peer_n`` and ``price_ratio`` (value per kg over
    the peer median; null without a baseline)."""
    out = batch.join(peers["desc"], on="desc_key", how="left").join(
        peers["hs6"], on="hs6", how="left")
    return out.with_columns(
        pl.coalesce(pl.when(~pl.col("vague")).then("desc_median"), "hs6_median")
        .alias("peer_median"),
        pl.when(~pl.col("vague") & pl.col("desc_median").is_not_null())
        .then(pl.lit("description")).when(pl.col("hs6_median").is_not_null())
        .then(pl.lit("hs6")).alias("peer_basis"),
        pl.when(~pl.col("vague") & pl.col("desc_median").is_not_null())
        .then("desc_n").otherwise("hs6_n").alias("peer_n"),
    ).with_columns((pl.col("per_kg") / pl.col("peer_median")).alias("price_ratio"))


def undervalued(batch: pl.DataFrame, cfg: PackageConfig) -> pl.DataFrame:
    """Declared value per kg far below the median of the same goods."""
    hit = batch.filter(pl.col("price_ratio") <= cfg.undervalue_ratio)
    text = pl.format(
        "declared {} ({} per kg) is {}% of the median per kg of {} parcels of the same goods "
        "(by {})", _money(pl.col("declared_value_usd")), _money(pl.col("per_kg")),
        (pl.col("price_ratio") * 100).round(1), "peer_n", "peer_basis")
    return hits_frame(hit, "PKG_UNDERVALUED_VS_PEERS", "valuation", "high", text,
                 ["declared_value_usd", "weight_kg", "per_kg", "peer_median", "peer_basis",
                  "peer_n", "price_ratio"])


def vague_description(batch: pl.DataFrame, cfg: PackageConfig) -> pl.DataFrame:
    """A description that names no goods on a parcel worth enough to matter."""
    floor = cfg.vague_value_share * min(cfg.value_thresholds_usd)
    hit = batch.filter(pl.col("vague") & (pl.col("declared_value_usd") >= floor))
    text = pl.format("description '{}' does not say what the goods are, on a parcel declared "
                     "at {}", "description", _money(pl.col("declared_value_usd")))
    return hits_frame(hit, "PKG_VAGUE_DESCRIPTION", "small_package", "medium", text,
                 ["description", "declared_value_usd"])


def hts_contradicts(batch: pl.DataFrame, baseline: pl.DataFrame,
                    cfg: PackageConfig) -> pl.DataFrame:
    """The declared HS-6 is (almost) never declared with any of the description's words,
    every word is common enough to judge, and one of them points clearly at another HS-6."""
    words = (baseline.drop_nulls("hs6").filter(~pl.col("vague"))
             .select("package_id", "hs6", "words").explode("words").drop_nulls("words"))
    per_word = words.group_by("words").agg(pl.len().alias("word_n"))
    per_pair = words.group_by("words", "hs6").agg(pl.len().alias("pair_n"))
    usual = (per_pair.sort("pair_n", descending=True).group_by("words").first()
             .join(per_word, on="words")
             .select("words", pl.col("hs6").alias("usual_hs6"),
                     (pl.col("pair_n") / pl.col("word_n")).alias("usual_share")))
    cand = (batch.drop_nulls("hs6").filter(~pl.col("vague"))
            .select("package_id", "hs6", "words").explode("words").drop_nulls("words")
            .join(per_word, on="words", how="left")
            .join(per_pair, on=["words", "hs6"], how="left")
            .join(usual, on="words", how="left")
            # leave-one-out: the parcel itself is part of the baseline
            .with_columns((pl.col("word_n").fill_null(1) - 1).alias("word_n"))
            .with_columns(((pl.col("pair_n").fill_null(1) - 1) / pl.col("word_n"))
                          .fill_nan(None).alias("share")))
    informative = (pl.col("usual_share") >= cfg.contradiction_min_dominance) & (
        pl.col("usual_hs6") != pl.col("hs6"))
    per_parcel = cand.sort("usual_share", descending=True, nulls_last=True).group_by(
        "package_id").agg(
        pl.col("share").max().alias("share"),
        pl.col("word_n").min().alias("least_support"),
        informative.any().alias("informative"),
        pl.col("words").filter(informative).first().alias("word"),
        pl.col("usual_hs6").filter(informative).first().alias("usual_hs6"),
        pl.col("word_n").filter(informative).first().alias("word_n"),
    )
    best = per_parcel.filter(
        pl.col("informative") & (pl.col("least_support") >= cfg.contradiction_min_peers)
        & (pl.col("share") <= cfg.contradiction_max_share))
    hit = batch.select("package_id", "description", "hs6").join(best, on="package_id")
    text = pl.format("declared HS-6 {} appears on at most {}% of parcels with the words of "
                     "'{}'; '{}' ({} parcels) is usually declared as {}", "hs6",
                     (pl.col("share") * 100).round(1), "description", "word", "word_n",
                     "usual_hs6")
    return hits_frame(hit, "PKG_HTS_CONTRADICTS_DESCRIPTION", "classification", "medium", text,
                 ["hs6", "word", "word_n", "share", "usual_hs6"])


def origin_contradicts(batch: pl.DataFrame, baseline: pl.DataFrame,
                       cfg: PackageConfig) -> pl.DataFrame:
    """Origin differs from the shipper's country and is almost never declared for goods
    shipped from there (the goods and their route say one country, the label another)."""
    known = baseline.drop_nulls(["country_of_origin", "shipper_country"])
    pool = known.group_by("shipper_country").agg(pl.len().alias("pool_n"))
    pairs = known.group_by("shipper_country", "country_of_origin").agg(pl.len().alias("pair_n"))
    hit = (batch.drop_nulls(["country_of_origin", "shipper_country"])
           .filter(pl.col("country_of_origin") != pl.col("shipper_country"))
           .join(pool.filter(pl.col("pool_n") > cfg.contradiction_min_peers),
                 on="shipper_country")
           .join(pairs, on=["shipper_country", "country_of_origin"], how="left")
           .with_columns(((pl.col("pair_n").fill_null(1) - 1) / (pl.col("pool_n") - 1))
                         .alias("share"))
           .filter(pl.col("share") <= cfg.origin_max_share))
    text = pl.format("origin {} declared on goods shipped from {}, where {}% of {} parcels "
                     "declare that origin", "country_of_origin", "shipper_country",
                     (pl.col("share") * 100).round(2), "pool_n")
    return hits_frame(hit, "PKG_ORIGIN_CONTRADICTS_DESCRIPTION", "origin", "medium", text,
                 ["country_of_origin", "shipper_country", "share", "pool_n"])
