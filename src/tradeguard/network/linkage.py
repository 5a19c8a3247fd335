"""Entity resolution: Splink (Fellegi-Sunter record linkage on DuckDB) over party records.

Records are prepared in Polars (normalised name, distinctive name words, address key,
identifier key) and handed to Splink's DuckDB backend, which generates candidate pairs on the
blocks, compares them, predicts a match probability per pair and clusters the pairs at or
above the configured threshold (connected components).

Blocks (each within one party family, and skipped when a key is shared by more than
``max_block`` records, because a key that common says nothing): the importer-number root (the
EIN of an importer number), the address key, and a distinctive name word in the same country.

Comparisons and their levels live in :mod:`~tradeguard.network.comparisons`. How the m and u
probabilities are set is configuration (:attr:`LinkageConfig.training`):

- ``priors`` (default): every m and u is the documented prior of
  :data:`~tradeguard.network.comparisons.PRIORS`. EM needs many true matches among the
  training pairs to be stable; declaration sets are mostly one spelling per firm, and a batch
  of a few dozen records (a test, a small importer's compliance run) gives it almost none.
- ``u_sampling``: u estimated by random sampling of record pairs (seeded), m from the priors.
  Sound once there are many thousands of records: random pairs are then almost all
  non-matches.
- ``em``: u by random sampling, then m by expectation maximisation on the identifier,
  address and name-word blocks (each block leaves the other comparisons free to train).

The version of the model (Splink version, parameters and a digest) travels with every
cluster so a finding can be traced to the model that formed it. A run's new spellings are
linked to the resolved records by :mod:`~tradeguard.network.incremental`; pairs that cannot
reach the threshold are left out of the blocks (:mod:`~tradeguard.network.bound`).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib.metadata import version as package_version
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.network.address import address_key
from tradeguard.network.bound import weight_bound_sql
from tradeguard.network.comparisons import PRIORS, level_labels, splink_comparisons
from tradeguard.screening.normalise import normalise_names
from tradeguard.screening.vocabulary import ORG_COMMON, ORG_STOPWORDS

MODEL_NAME = "tradeguard-party-linkage"
MODEL_VERSION = "2.1.0"

# Columns Splink sees: the id, the blocking keys and what the comparisons read.
SPLINK_COLUMNS: tuple[str, ...] = (
    "rid", "family", "kind", "country", "country_key", "name_key", "name_sorted", "name_head",
    "addr_key", "addr_numbers", "id_key", "very_rare_words", "rare_words", "id_block",
    "addr_block", "block_words",
)
LINK_LEVELS: dict[str, str] = {"name": "name_level", "name_head": "name_head_level",
                               "address": "address_level", "identifier": "identifier_level",
                               "country": "country_level"}


@cache
def _splink_version() -> str:
    """The installed Splink version (package metadata is read once, not per batch)."""
    return package_version("splink")


class LinkageConfig(BaseModel):
    """Blocking limits, comparison probabilities, how they are estimated, prior, threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    levels: dict[str, dict[str, tuple[float, float]]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in PRIORS.items()},
        description="Prior (m, u) per comparison level.")
    prior: float = Field(0.01, gt=0, lt=1, description="Share of candidate pairs that match.")
    threshold: float = Field(0.9, gt=0, lt=1, description="Link pairs at this probability.")
    max_block: int = Field(200, ge=2, description="Blocking keys shared by more are skipped.")
    very_rare_words: int = Field(5, ge=1, description="A word in at most this many names.")
    rare_words: int = Field(50, ge=1, description="A word in at most this many names.")
    training: Literal["priors", "u_sampling", "em"] = Field(
        "priors", description="How m and u are set: priors, u sampled, or u sampled + m by EM.")
    training_min_records: int = Field(
        20_000, ge=100, description="Fewer records than this always use the priors.")
    u_max_pairs: float = Field(2e6, gt=0, description="Random pairs sampled to estimate u.")
    seed: int = Field(20_240_601, description="Seed of the random sampling (reproducible).")

    def version(self) -> str:
        """Model version, Splink version and a digest of the parameters."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return (f"{MODEL_NAME} {MODEL_VERSION} (splink {_splink_version()})"
                f"+{hashlib.sha256(blob).hexdigest()[:10]}")


def prepare_records(records: pl.DataFrame, cfg: LinkageConfig | None = None) -> pl.DataFrame:
    """Add ``rid`` (row index), comparison keys and blocking keys to party records."""
    cfg = cfg or LinkageConfig()
    return _with_block_keys(_with_word_rarity(record_keys(records.with_row_index("rid")), cfg),
                            cfg)


def record_keys(records: pl.DataFrame) -> pl.DataFrame:
    """The comparison keys of each record on its own: normalised name, its words, address
    key and numbers, identifier key (what rarity and blocking are computed from).

    A name is declared under several kinds, addresses and numbers (a seller is often its
    own factory): names are normalised once each and their keys joined to the records."""
    noise = sorted(ORG_COMMON | ORG_STOPWORDS)
    tokens = pl.col("tokens")
    names = normalise_names(records.select("name").unique(), "name").select(
        "name",
        tokens.list.join(" ").alias("name_key"),
        tokens.list.sort().list.join(" ").alias("name_sorted"),
        tokens.list.first().alias("name_head"),
        tokens.list.eval(pl.element().filter(
            (pl.element().str.len_chars() >= 3) & ~pl.element().is_in(noise))).list.unique()
        .alias("words"),
    )
    return records.join(names, on="name", how="left", nulls_equal=True,
                        maintain_order="left").with_columns(
        address_key(pl.col("address")).alias("addr_key"),
    ).with_columns(
        # House, building and postal numbers: two factories on one road differ only here.
        pl.col("addr_key").str.extract_all(r"[0-9]+").list.join(" ").alias("addr_numbers"),
        pl.col("country").fill_null("").alias("country_key"),
        # An importer number is an EIN (9 digits) plus a 2-digit suffix: the EIN is the firm.
        pl.when(pl.col("kind") == "importer")
        .then(pl.col("identifier").str.replace_all(r"[^0-9A-Za-z]", "").str.slice(0, 9))
        .otherwise(pl.col("identifier").str.to_uppercase()).alias("id_key"),
    )


def _with_word_rarity(frame: pl.DataFrame, cfg: LinkageConfig) -> pl.DataFrame:
    """Split each record's words by how many names carry them: sharing a word few firms use
    ("Everbright") says more than sharing a common one ("Trading")."""
    exploded = frame.select("rid", "words").explode("words").drop_nulls("words")
    freq = exploded.group_by("words").agg(pl.len().alias("df"))
    rated = exploded.join(freq, on="words").group_by("rid").agg(
        pl.col("words").filter(pl.col("df") <= cfg.very_rare_words).alias("very_rare_words"),
        pl.col("words").filter(pl.col("df") <= cfg.rare_words).alias("rare_words"))
    return frame.join(rated, on="rid", how="left").with_columns(
        pl.col("very_rare_words").fill_null([]), pl.col("rare_words").fill_null([]))


def _with_block_keys(frame: pl.DataFrame, cfg: LinkageConfig) -> pl.DataFrame:
    """Blocking keys, null (or left out of the list) where a block would be too large."""
    usable = (pl.len() >= 2) & (pl.len() <= cfg.max_block)
    id_ok = (pl.col("kind") == "importer") & pl.col("id_key").is_not_null()
    addr_ok = pl.col("addr_key").str.len_chars() >= 8
    words = frame.select("rid", "family", "country_key", "words").explode("words").drop_nulls(
        "words").filter(usable.over("family", "country_key", "words")).group_by("rid").agg(
        pl.col("words").alias("block_words"))
    return frame.with_columns(
        pl.when(id_ok & usable.over("family", "id_key", id_ok)).then("id_key").alias("id_block"),
        pl.when(addr_ok & usable.over("family", "addr_key", addr_ok)).then("addr_key")
        .alias("addr_block"),
    ).join(words, on="rid", how="left")


# The prediction blocks: the columns a candidate pair agrees on, and the list column exploded.
BLOCKS: tuple[tuple[tuple[str, ...], list[str] | None], ...] = (
    (("family", "id_block"), None),
    (("family", "addr_block"), None),
    (("family", "country_key", "block_words"), ["block_words"]),
)


def _blocking_rules(new_only: bool, cfg: LinkageConfig, priors: bool) -> list[Any]:
    """Splink blocking rules of :data:`BLOCKS`; ``new_only`` keeps the pairs with a record
    flagged ``new`` (pairs of known records were scored when those were resolved). With the
    configured (m, u) in force (``priors``: no training replaces them), pairs that cannot
    reach the threshold are left out
    (:func:`~tradeguard.network.bound.weight_bound_sql`): the same links, far fewer pairs."""
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    if not new_only and not priors:
        return [block_on(*cols, arrays_to_explode=explode) for cols, explode in BLOCKS]
    new = ["(l.new OR r.new)"] if new_only else []
    # Only the word block is large; Splink parses every rule's SQL for each of its columns.
    bound = [weight_bound_sql(cfg.levels, cfg.prior, cfg.threshold)] if priors else []
    return [CustomRule(" AND ".join([*(f"l.{c} = r.{c}" for c in cols), *new,
                                     *(bound if explode else [])]), arrays_to_explode=explode)
            for cols, explode in BLOCKS]


def _linker(prepared: pl.DataFrame, cfg: LinkageConfig, connection: Any,
            new_only: bool = False) -> Any:
    """A Splink linker over ``prepared`` on ``connection`` (an in-memory DuckDB)."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        probability_two_random_records_match=cfg.prior,
        blocking_rules_to_generate_predictions=_blocking_rules(
            new_only, cfg, new_only or not _trains(cfg, prepared.height)),
        comparisons=splink_comparisons(cfg.levels, fix=cfg.training == "priors"),
        # Splink keeps the comparison levels (gamma_*) only with the matching columns; the
        # levels are how a link is explained.
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
    )
    table = prepared.select(*SPLINK_COLUMNS, *(["new"] if new_only else [])).to_arrow()
    # No basic logging: Splink would configure the root logger of the whole process.
    return Linker(table, settings, DuckDBAPI(connection=connection), set_up_basic_logging=False)


def _trains(cfg: LinkageConfig, n: int) -> bool:
    """Whether resolving ``n`` records estimates (m, u) rather than taking the priors."""
    return cfg.training != "priors" and n >= cfg.training_min_records


def _train(linker: Any, cfg: LinkageConfig, n: int) -> None:
    if not _trains(cfg, n):
        return
    from splink import block_on

    linker.training.estimate_u_using_random_sampling(max_pairs=cfg.u_max_pairs, seed=cfg.seed)
    if cfg.training == "em":
        # The prediction blocks, so no training block is larger than ``max_block`` (Splink
        # trains on no exploded block: the first distinctive word stands for the word block).
        for rule in (block_on("family", "id_block"), block_on("family", "addr_block"),
                     block_on("family", "country_key", "block_words[1]")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, fix_probability_two_random_records_match=True)


def _scored_links(linker: Any, cfg: LinkageConfig) -> tuple[pl.DataFrame, Any]:
    predictions = linker.inference.predict(threshold_match_probability=cfg.threshold)
    gammas = [f"gamma_{c}" for c in LINK_LEVELS]
    # ``pl()`` rather than Arrow: a batch without a single candidate pair has no record batch.
    links = predictions.as_duckdbpyrelation().select(
        "rid_l, rid_r, match_weight, match_probability, " + ", ".join(gammas)).pl()
    labels = level_labels()
    links = links.with_columns(
        *[pl.col(f"gamma_{c}").replace_strict(labels[c], return_dtype=pl.String).alias(level)
          for c, level in LINK_LEVELS.items()],
    ).select(pl.col("rid_l").cast(pl.UInt32).alias("left"),
             pl.col("rid_r").cast(pl.UInt32).alias("right"),
             "match_weight", pl.col("match_probability").alias("probability"),
             *LINK_LEVELS.values())
    return links, predictions


def resolve_parties(records: pl.DataFrame, config: LinkageConfig | None = None
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Link and cluster party records; returns (records with ``cluster``, scored links)."""
    import duckdb

    cfg = config or LinkageConfig()
    prepared = prepare_records(records, cfg)
    if prepared.is_empty():
        return (prepared.drop(*_POOLED).with_columns(
            pl.lit(None, dtype=pl.String).alias("cluster"),
            pl.lit(cfg.version()).alias("linkage_version")), _no_links())
    connection = duckdb.connect()
    try:
        linker = _linker(prepared, cfg, connection)
        _train(linker, cfg, prepared.height)
        links, predictions = _scored_links(linker, cfg)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=cfg.threshold)
        labels = pl.from_arrow(clusters.as_duckdbpyrelation().select(
            "CAST(rid AS UINTEGER) AS rid, CAST(cluster_id AS UINTEGER) AS cluster_id").arrow())
    finally:
        connection.close()
    assert isinstance(labels, pl.DataFrame)
    out = prepared.drop(*_POOLED).join(labels, on="rid", how="left")
    # A stable cluster name: the smallest record id in it, so reruns name clusters alike.
    out = out.with_columns(pl.col("record_id").min().over("cluster_id").alias("cluster")).drop(
        "cluster_id").with_columns(pl.lit(cfg.version()).alias("linkage_version"))
    id_of = out.select("rid", "record_id")
    links = links.join(id_of.rename({"rid": "left", "record_id": "left_id"}), on="left").join(
        id_of.rename({"rid": "right", "record_id": "right_id"}), on="right")
    return out, links


# Columns computed over a whole record set (word rarity, block sizes), not per record.
_POOLED: tuple[str, ...] = ("very_rare_words", "rare_words", "id_block", "addr_block",
                            "block_words", "country_key")
# The per-record keys a resolved record keeps, from which a later set is linked to it.
KEY_COLUMNS: tuple[str, ...] = (
    "record_id", "kind", "country", "family", "name_key", "name_sorted", "name_head", "words",
    "addr_key", "addr_numbers", "id_key",
)


def _no_links() -> pl.DataFrame:
    return pl.DataFrame(schema={"left_id": pl.String, "right_id": pl.String,
                                "probability": pl.Float64})
