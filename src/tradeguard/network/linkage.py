"""Entity resolution: a Fellegi-Sunter record-linkage model on blocked candidate pairs.

Candidate pairs share a blocking key within one party family (same importer-number root, same
address key, or a shared distinctive name word in the same country). Each pair is compared on
name (rapidfuzz similarity of the normalised name, legal form separated), on how rare the
rarest shared name word is (a term-frequency comparison: sharing "Everbright" says more than
sharing "Trading"), address, identifier and country. Each comparison level has an m
probability (among true matches) and a u probability (among non-matches); the match weight is
the sum of ``log2(m/u)`` and, with the prior, gives the match probability. Linked pairs form
clusters (connected components). All probabilities are configuration, so they can be
re-estimated on labelled pairs and the version of the model travels with every cluster.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tradeguard.network.address import address_key
from tradeguard.screening.normalise import normalise_names
from tradeguard.screening.vocabulary import ORG_COMMON, ORG_STOPWORDS

MODEL_NAME = "tradeguard-party-linkage"
MODEL_VERSION = "1.0.0"

# (m, u) per comparison level.  Name levels: exact / >=0.95 / >=0.85 / >=0.70 / else.
DEFAULT_LEVELS: dict[str, dict[str, tuple[float, float]]] = {
    "name": {"exact": (0.55, 0.0005), "high": (0.2, 0.002), "mid": (0.12, 0.01),
             "low": (0.08, 0.05), "else": (0.05, 0.9375)},
    "rare_word": {"very_rare": (0.6, 0.002), "rare": (0.25, 0.02), "none": (1.0, 1.0)},
    "address": {"exact": (0.6, 0.0005), "fuzzy": (0.2, 0.005), "else": (0.2, 0.9945),
                "missing": (1.0, 1.0)},
    "identifier": {"same": (0.98, 0.0001), "else": (0.02, 0.9999), "missing": (1.0, 1.0)},
    # MIDs are built from the name and address, so a factory that respells either gets a new
    # one: a different MID is weak evidence against, unlike a different importer number.
    "mid": {"same": (0.5, 0.0001), "else": (0.5, 0.9999), "missing": (1.0, 1.0)},
    "country": {"same": (0.97, 0.5), "else": (0.03, 0.5), "missing": (1.0, 1.0)},
}


class LinkageConfig(BaseModel):
    """Blocking limits, comparison probabilities, prior and link threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: dict[str, dict[str, tuple[float, float]]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_LEVELS.items()})
    prior: float = Field(0.01, gt=0, lt=1, description="Share of candidate pairs that match.")
    threshold: float = Field(0.9, gt=0, lt=1, description="Link pairs at this probability.")
    max_block: int = Field(200, ge=2, description="Blocking keys shared by more are skipped.")
    very_rare_words: int = Field(5, ge=1, description="A word in at most this many names.")
    rare_words: int = Field(50, ge=1, description="A word in at most this many names.")

    def version(self) -> str:
        """Model version plus a digest of its parameters."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return f"{MODEL_NAME} {MODEL_VERSION}+{hashlib.sha256(blob).hexdigest()[:10]}"


def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """Add ``rid`` (row index), ``name_key``, ``words``, ``addr_key``, ``id_key`` to records."""
    noise = sorted(ORG_COMMON | ORG_STOPWORDS)
    frame = normalise_names(records.with_row_index("rid"), "name").with_columns(
        pl.col("tokens").list.join(" ").alias("name_key"),
        pl.col("tokens").list.eval(pl.element().filter(
            (pl.element().str.len_chars() >= 3) & ~pl.element().is_in(noise))).list.unique()
        .alias("words"),
        address_key(pl.col("address")).alias("addr_key"),
        # An importer number is an EIN (9 digits) plus a 2-digit suffix: the EIN is the firm.
        pl.when(pl.col("kind") == "importer")
        .then(pl.col("identifier").str.replace_all(r"[^0-9A-Za-z]", "").str.slice(0, 9))
        .otherwise(pl.col("identifier").str.to_uppercase()).alias("id_key"),
    )
    return frame.drop("norm", "tokens", "keys", "legal_form")


def candidate_pairs(prepared: pl.DataFrame, cfg: LinkageConfig) -> pl.DataFrame:
    """Distinct (left, right) record pairs sharing a blocking key within a family."""
    base = prepared.select("rid", "family", "country", "kind", "addr_key", "id_key", "words")
    keys = pl.concat([
        base.filter(pl.col("kind") == "importer").drop_nulls("id_key").select(
            "rid", "family", pl.concat_str([pl.lit("id:"), "id_key"]).alias("key")),
        base.filter(pl.col("addr_key").str.len_chars() >= 8).select(
            "rid", "family", pl.concat_str([pl.lit("addr:"), "addr_key"]).alias("key")),
        base.explode("words").drop_nulls("words").select(
            "rid", "family", pl.concat_str([pl.lit("word:"), "words", pl.lit("|"),
                                            pl.col("country").fill_null("")]).alias("key")),
    ])
    sizes = keys.group_by("family", "key").agg(pl.len().alias("n"))
    keys = keys.join(sizes.filter((pl.col("n") >= 2) & (pl.col("n") <= cfg.max_block)),
                     on=["family", "key"])
    pairs = keys.join(keys, on=["family", "key"], suffix="_r").filter(
        pl.col("rid") < pl.col("rid_r"))
    return pairs.select(pl.col("rid").alias("left"), pl.col("rid_r").alias("right")).unique()


def _weight(name: str, level: pl.Expr, cfg: LinkageConfig) -> pl.Expr:
    table = {k: math.log2(m / u) for k, (m, u) in cfg.levels[name].items()}
    return level.replace_strict(table, return_dtype=pl.Float64).alias(f"w_{name}")


def score_pairs(prepared: pl.DataFrame, pairs: pl.DataFrame, cfg: LinkageConfig) -> pl.DataFrame:
    """Compare every candidate pair; adds comparison levels, match weight and probability."""
    cols = ["rid", "kind", "name_key", "words", "addr_key", "id_key", "country"]
    side = prepared.select(cols)
    df = pairs.join(side, left_on="left", right_on="rid").join(
        side, left_on="right", right_on="rid", suffix="_r")
    if df.is_empty():
        return df.with_columns(pl.lit(None, dtype=pl.Float64).alias("probability"))
    name_sim = process.cpdist(df["name_key"].to_list(), df["name_key_r"].to_list(),
                              scorer=fuzz.token_set_ratio, workers=-1)
    addr_sim = process.cpdist(df["addr_key"].fill_null("").to_list(),
                              df["addr_key_r"].fill_null("").to_list(),
                              scorer=fuzz.token_sort_ratio, workers=-1)
    freq = prepared.select("words").explode("words").drop_nulls().group_by("words").agg(
        pl.len().alias("df"))
    shared = df.select("left", "right", pl.col("words").list.set_intersection("words_r")
                       .alias("w")).explode("w").drop_nulls("w").join(
        freq, left_on="w", right_on="words").group_by("left", "right").agg(
        pl.col("df").min().alias("rarest"))
    df = df.with_columns(pl.Series("name_sim", name_sim, dtype=pl.Float64) / 100,
                         pl.Series("addr_sim", addr_sim, dtype=pl.Float64) / 100).join(
        shared, on=["left", "right"], how="left")
    sim, a = pl.col("name_sim"), pl.col("addr_sim")
    name_level = (pl.when(pl.col("name_key") == pl.col("name_key_r")).then(pl.lit("exact"))
                  .when(sim >= 0.95).then(pl.lit("high")).when(sim >= 0.85).then(pl.lit("mid"))
                  .when(sim >= 0.70).then(pl.lit("low")).otherwise(pl.lit("else")))
    # An exact name already says all a shared word could: counting both would count twice.
    rare = (pl.when(pl.col("name_key") == pl.col("name_key_r")).then(pl.lit("none"))
            .when(pl.col("rarest") <= cfg.very_rare_words).then(pl.lit("very_rare"))
            .when(pl.col("rarest") <= cfg.rare_words).then(pl.lit("rare"))
            .otherwise(pl.lit("none")))
    no_addr = (pl.col("addr_key").fill_null("") == "") | (pl.col("addr_key_r").fill_null("") == "")
    addr_level = (pl.when(no_addr).then(pl.lit("missing"))
                  .when(pl.col("addr_key") == pl.col("addr_key_r")).then(pl.lit("exact"))
                  .when(a >= 0.9).then(pl.lit("fuzzy")).otherwise(pl.lit("else")))
    ident = (pl.when(pl.col("id_key").is_null() | pl.col("id_key_r").is_null()
                     | (pl.col("kind") != pl.col("kind_r"))).then(pl.lit("missing"))
             .when(pl.col("id_key") == pl.col("id_key_r")).then(pl.lit("same"))
             .otherwise(pl.lit("else")))
    is_mid = (pl.col("kind") == "manufacturer") & (pl.col("kind_r") == "manufacturer")
    country = (pl.when(pl.col("country").is_null() | pl.col("country_r").is_null())
               .then(pl.lit("missing")).when(pl.col("country") == pl.col("country_r"))
               .then(pl.lit("same")).otherwise(pl.lit("else")))
    prior = math.log2(cfg.prior / (1 - cfg.prior))
    df = df.with_columns(
        name_level.alias("name_level"), rare.alias("rare_level"),
        addr_level.alias("address_level"), ident.alias("identifier_level"),
        country.alias("country_level"),
    ).with_columns(
        _weight("name", pl.col("name_level"), cfg),
        _weight("rare_word", pl.col("rare_level"), cfg),
        _weight("address", pl.col("address_level"), cfg),
        pl.when(is_mid).then(_weight("mid", pl.col("identifier_level"), cfg))
        .otherwise(_weight("identifier", pl.col("identifier_level"), cfg)).alias("w_identifier"),
        _weight("country", pl.col("country_level"), cfg),
    ).with_columns(
        pl.sum_horizontal("w_name", "w_rare_word", "w_address", "w_identifier", "w_country")
        .alias("match_weight"))
    return df.with_columns(
        (1 / (1 + (2.0 ** -(pl.col("match_weight") + prior)))).alias("probability")
    ).drop("words", "words_r")


def cluster_records(n: int, links: pl.DataFrame) -> np.ndarray:
    """Connected components over the linked pairs: a cluster id for each of ``n`` records."""
    left = links["left"].to_numpy().astype(np.int64)
    right = links["right"].to_numpy().astype(np.int64)
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def resolve_parties(records: pl.DataFrame, config: LinkageConfig | None = None
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Link and cluster party records; returns (records with ``cluster_id``, scored links)."""
    cfg = config or LinkageConfig()
    prepared = prepare_records(records)
    scored = score_pairs(prepared, candidate_pairs(prepared, cfg), cfg)
    links = scored.filter(pl.col("probability") >= cfg.threshold)
    labels = cluster_records(prepared.height, links)
    out = prepared.with_columns(pl.Series("cluster_id", labels)).with_columns(
        pl.col("cluster_id").min().over("cluster_id"))
    # A stable cluster name: the smallest record id in it, so reruns name clusters alike.
    names = out.group_by("cluster_id").agg(pl.col("record_id").min().alias("cluster"))
    out = out.join(names, on="cluster_id").drop("cluster_id").with_columns(
        pl.lit(cfg.version()).alias("linkage_version"))
    id_of = out.select("rid", "record_id")
    links = links.join(id_of.rename({"rid": "left", "record_id": "left_id"}), on="left").join(
        id_of.rename({"rid": "right", "record_id": "right_id"}), on="right")
    return out, links
