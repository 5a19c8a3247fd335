"""Candidate index over the watch lists: blocking keys weighted by rarity.

Scoring every declared name against every listed name costs names x list size. Instead each
listed word is indexed under a few keys (the word, its sound key, its one-letter-deleted
forms, which catch one typo) and every pair of words under a pair key; a declared name then
meets only listed names sharing a key, ranked by how rare the shared words are. Keys so common
they would pull in hundreds of names are skipped; pair keys keep such names reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from tradeguard.screening.config import ScreeningConfig
from tradeguard.screening.normalise import name_alternatives, normalise_names
from tradeguard.screening.scorer import PreparedName

WATCHLIST_COLUMNS: tuple[str, ...] = ("entity_id", "list", "name")
_PAIR_WEIGHT = 6.0
_ROW_SPAN = 1 << 24  # listed names per index, at most


def _token_rows(named: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """One row per (name, word position): the word and its sound key."""
    return (
        named.select(id_col, "tokens", "keys")
        .with_columns(pos=pl.int_ranges(0, pl.col("tokens").list.len()))
        .explode("tokens", "keys", "pos")
        .drop_nulls("tokens")
        .rename({"tokens": "token", "keys": "key"})
    )


def blocking_keys(named: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Blocking keys of every name: ``id_col, pos, bkey`` (pos -1 for pair keys)."""
    words = _token_rows(named, id_col)
    adjacent = words.join(
        words.select(id_col, "token", pos=pl.col("pos") - 1), on=[id_col, "pos"], suffix="_next"
    )
    # Adjacent words joined meet names written as one word (pinyin syllables, "van der").
    joined = adjacent.select(
        id_col, "pos", bkey=pl.lit("t:") + pl.col("token") + pl.col("token_next")
    )
    exact = pl.concat([words.select(id_col, "pos", bkey=pl.lit("t:") + pl.col("token")), joined])
    sound = words.filter(pl.col("key").str.len_chars() >= 2).select(
        id_col, "pos", bkey=pl.lit("p:") + pl.col("key")
    )
    long_words = words.filter(pl.col("token").str.len_chars() >= 4)
    deletions = (
        long_words.with_columns(cut=pl.int_ranges(0, pl.col("token").str.len_chars()))
        .explode("cut")
        .select(
            id_col,
            "pos",
            bkey=pl.lit("d:")
            + pl.col("token").str.slice(0, pl.col("cut"))
            + pl.col("token").str.slice(pl.col("cut") + 1),
        )
    )
    whole = long_words.select(id_col, "pos", bkey=pl.lit("d:") + pl.col("token"))
    pairs = (
        words.join(words, on=id_col, suffix="_b")
        .filter(pl.col("pos") < pl.col("pos_b"))
        .select(
            id_col,
            pos=pl.lit(-1, dtype=pl.Int64),
            bkey=pl.lit("b:")
            + pl.min_horizontal("token", "token_b")
            + pl.lit("|")
            + pl.max_horizontal("token", "token_b"),
        )
    )
    return pl.concat(
        [exact, sound, deletions, whole, pairs.with_columns(pl.col("pos").cast(words["pos"].dtype))]
    ).unique()


@dataclass(frozen=True)
class WatchlistIndex:
    """Listed names (primary and aliases) ready for candidate search and exact scoring."""

    names: pl.DataFrame
    keys: pl.DataFrame
    prepared: tuple[PreparedName, ...]
    versions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        watchlists: pl.DataFrame,
        versions: Mapping[str, str] | None = None,
        config: ScreeningConfig | None = None,
    ) -> WatchlistIndex:
        """Index a watch-list frame in the reference-data form (entity_id, list, name...)."""
        cfg = config or ScreeningConfig()
        missing = [c for c in WATCHLIST_COLUMNS if c not in watchlists.columns]
        if missing:
            raise ValueError(f"watch-list frame lacks columns: {missing}")
        wl = watchlists
        for col, dtype in (("aliases", pl.List(pl.String)), ("addresses", pl.List(pl.String))):
            if col not in wl.columns:
                wl = wl.with_columns(pl.lit([], dtype=dtype).alias(col))
        for col in ("country", "entity_type", "list_version"):
            if col not in wl.columns:
                wl = wl.with_columns(pl.lit(None, dtype=pl.String).alias(col))
        variants = (
            wl.select(
                "entity_id",
                "list",
                "country",
                "addresses",
                "list_version",
                kind=pl.col("entity_type").fill_null("").str.to_lowercase(),
                primary_name=pl.col("name"),
                variant=pl.concat_list(pl.col("name"), pl.col("aliases").fill_null([])),
                is_alias=pl.concat_list(
                    pl.lit(False), pl.col("aliases").fill_null([]).list.eval(pl.lit(True))
                ),
            )
            .explode("variant", "is_alias")
            .drop_nulls("variant")
            .with_columns(variant=name_alternatives(pl.col("variant")))
            .explode("variant")
            .with_columns(pl.col("variant").str.strip_chars())
            .filter(pl.col("variant").str.len_chars() > 0)
            .unique(["entity_id", "list", "variant"], keep="first", maintain_order=True)
            .with_row_index("name_row")
        )
        named = normalise_names(variants, "variant", "kind").filter(pl.col("tokens").list.len() > 0)
        named = named.with_columns(flat=pl.col("tokens").list.join(" "))
        keys = blocking_keys(named, "name_row")
        freq = keys.group_by("bkey").agg(pl.len().alias("df"))
        # Fuzzy keys (sound, one deletion) must be rarer than exact ones to be worth a join.
        cap = (
            pl.when(pl.col("bkey").str.starts_with("d:"))
            .then(cfg.max_key_frequency // 8)
            .when(pl.col("bkey").str.starts_with("p:"))
            .then(cfg.max_key_frequency // 4)
            .otherwise(cfg.max_key_frequency)
        )
        keys = keys.join(freq.filter(pl.col("df") <= cap), on="bkey")
        total = max(named.height, 1)
        word_df = (
            _token_rows(named, "name_row")
            .group_by("token")
            .agg(pl.col("name_row").n_unique().alias("tdf"))
        )
        weights = (
            _token_rows(named, "name_row")
            .join(word_df, on="token")
            .select("name_row", "pos", weight=(pl.lit(total) / pl.col("tdf")).log().clip(0.1))
        )
        keys = (
            keys.join(weights, on=["name_row", "pos"], how="left")
            .with_columns(pl.col("weight").fill_null(_PAIR_WEIGHT))
            .select("bkey", "name_row", "pos", "weight")
        )
        prepared = tuple(
            PreparedName(text, tuple(tokens), tuple(sound), form, kind)
            for text, tokens, sound, form, kind in named.select(
                "variant", "tokens", "keys", "legal_form", "kind"
            ).iter_rows()
        )
        named = named.with_row_index("slot")
        return cls(named, keys, prepared, dict(versions or {}))

    def candidates(self, queries: pl.DataFrame, config: ScreeningConfig) -> pl.DataFrame:
        """Top listed names per query by shared rare keys: ``qid, slot, block_score``.

        ``queries`` must hold ``qid``, ``tokens`` and ``keys`` (from normalise_names).
        """
        qkeys = blocking_keys(queries.select("qid", "tokens", "keys"), "qid")
        hits = qkeys.join(self.keys, on="bkey", how="inner")
        # One integer per (query, listed name) and per (query, listed name, query word): joins
        # on many rows group far faster on a single u64 than on several columns.
        pair = pl.col("qid").cast(pl.UInt64) * _ROW_SPAN + pl.col("name_row").cast(pl.UInt64)
        per_word = (
            hits.select(
                word=pair * 256 + (pl.col("pos") + 1).cast(pl.UInt64), weight=pl.col("weight")
            )
            .group_by("word")
            .agg(pl.col("weight").max())
        )
        ranked = (
            per_word.group_by(pair=pl.col("word") // 256)
            .agg(block_score=pl.col("weight").sum())
            .with_columns(
                qid=(pl.col("pair") // _ROW_SPAN).cast(pl.UInt32),
                name_row=(pl.col("pair") % _ROW_SPAN).cast(pl.UInt32),
            )
            .filter(
                pl.col("block_score").rank("ordinal", descending=True).over("qid")
                <= config.candidates_per_name
            )
        )
        slots = self.names.select("slot", "name_row")
        return ranked.join(slots, on="name_row").select("qid", "slot", "block_score")
