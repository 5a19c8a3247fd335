"""Candidate index over the watch lists: blocking keys weighted by rarity.

Scoring every declared name against every listed name costs names x list size. Instead each
listed word is indexed under a few keys (the word, its sound key, its one-letter-deleted
forms, which catch one typo) and every pair of words under a pair key; a declared name then
meets only listed names sharing a key, ranked by how rare the shared words are. Keys so common
they would pull in hundreds of names are skipped; pair keys keep such names reachable.

Ranking is fixed and documented (see :meth:`WatchlistIndex.candidates`), so the same names
against the same lists give the same candidates whatever the order of the list rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from tradeguard.screening.blocking import (
    DELETION,
    PAIR,
    SOUND,
    WORD,
    blocking_keys,
    ranked_pairs,
    spanning_keys,
    token_rows,
    word_hits,
    word_keys,
)
from tradeguard.screening.cache import NameForms, ScreeningCache, shared_name_forms
from tradeguard.screening.config import ScreeningConfig
from tradeguard.screening.entry_lookup import EntryLookup, LookupSlot
from tradeguard.screening.normalise import name_alternatives, normalise_names
from tradeguard.screening.quick import name_texts
from tradeguard.screening.scorer import PreparedName

WATCHLIST_COLUMNS: tuple[str, ...] = ("entity_id", "list", "name")
_PAIR_WEIGHT = 6.0
# A word met only through a sound key or a one-letter deletion counts this share of its weight,
# so an exact-word hit outranks a sound-alike hit on an equally rare word.
_FUZZY_SHARE = 0.5
# A word in this many firm names on the lists or more is an ordinary word (commonness 1).
_COMMON_DF = 50
#: Query keys up to this many are looked up by binary search in the sorted key table; more
#: join the whole table (hashing ~400,000 keys costs milliseconds, worth it only for batches).
_SEARCHED_KEYS = 20_000


@dataclass(frozen=True)
class WatchlistIndex:
    """Listed names (primary and aliases) ready for candidate search and exact scoring."""

    names: pl.DataFrame
    keys: pl.DataFrame  # bkey, name_row, pos, weight, exact; sorted by bkey
    prepared: tuple[PreparedName, ...]
    versions: Mapping[str, str] = field(default_factory=dict)
    commonness: Mapping[str, float] = field(default_factory=dict)
    # Matches per distinct party already screened against these lists (see cache.py).
    cache: ScreeningCache = field(default_factory=ScreeningCache, compare=False, repr=False)
    # Normal forms of declared names, shared with the other indexes (see cache.py).
    forms: NameForms = field(default_factory=shared_name_forms, compare=False, repr=False)
    # Key table and listed names as Python lists for one entry's few names (entry_lookup.py).
    entry: LookupSlot = field(default_factory=LookupSlot, compare=False, repr=False)

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
        # Canonical row order: candidate ties are broken by row, which must not depend on how
        # the list file happened to be ordered.
        wl = watchlists.sort(["list", "entity_id", "name"], maintain_order=True, nulls_last=True)
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
        named = named.with_columns(name_texts(pl.col("tokens")))
        keys = blocking_keys(named, "name_row")
        freq = keys.group_by("bkey").agg(pl.len().alias("df"))
        # Fuzzy keys (sound, one deletion) must be rarer than exact ones to be worth a join.
        cap = (
            pl.when(pl.col("bkey").str.starts_with(DELETION))
            .then(cfg.max_key_frequency // 8)
            .when(pl.col("bkey").str.starts_with(SOUND))
            .then(cfg.max_key_frequency // 4)
            .otherwise(cfg.max_key_frequency)
        )
        keys = keys.join(freq.filter(pl.col("df") <= cap), on="bkey")
        total = max(named.height, 1)
        word_df = (
            token_rows(named, "name_row")
            .group_by("token")
            .agg(pl.col("name_row").n_unique().alias("tdf"))
        )
        weights = (
            token_rows(named, "name_row")
            .join(word_df, on="token")
            .select("name_row", "pos", weight=(pl.lit(total) / pl.col("tdf")).log().clip(0.1))
        )
        exact = pl.col("bkey").str.starts_with(WORD) | pl.col("bkey").str.starts_with(PAIR)
        keys = (
            keys.join(weights, on=["name_row", "pos"], how="left")
            .with_columns(pl.col("weight").fill_null(_PAIR_WEIGHT), exact=exact)
            .with_columns(
                pl.col("weight") * pl.when(pl.col("exact")).then(1.0).otherwise(_FUZZY_SHARE)
            )
            .select("bkey", "name_row", "pos", "weight", "exact")
            # Sorted by key: a few query keys find their rows by binary search (see _keys_for).
            .sort("bkey", maintain_order=True)
        )
        prepared = tuple(
            PreparedName(text, tuple(tokens), tuple(sound), form, kind)
            for text, tokens, sound, form, kind in named.select(
                "variant", "tokens", "keys", "legal_form", "kind"
            ).iter_rows()
        )
        name_weight = weights.group_by("name_row").agg(name_weight=pl.col("weight").sum())
        named = (
            named.join(name_weight, on="name_row", how="left", maintain_order="left")
            .with_columns(pl.col("name_weight").fill_null(0.0).round(6))
            .with_row_index("slot")
        )
        return cls(named, keys, prepared, dict(versions or {}), _commonness(named))

    def candidates(self, queries: pl.DataFrame, config: ScreeningConfig) -> pl.DataFrame:
        """Top listed names per query by shared rare keys: ``qid, slot, block_score``.

        ``queries`` must hold ``qid``, ``tokens`` and ``keys`` (from normalise_names). Each
        listed word met counts its rarity weight, in full when met as the same word (or word
        pair) and at ``_FUZZY_SHARE`` when met only by sound key or one-letter deletion. The
        ``candidates_per_name`` best are kept in this order: block score (rounded to 1e-6 so
        float summation order cannot matter), then more exactly met words, then the lighter
        listed name (less left unexplained: "Saddam Hussein" before "Qusay Saddam Hussein"),
        then canonical list row order (list, entity id, name). The rows come in no particular
        order.
        """
        words = token_rows(queries.select("qid", "tokens", "keys"), "qid")
        single, spanning = word_keys(words), spanning_keys(words, "qid")
        listed = self._keys_for(pl.concat([single.get_column("bkey"),
                                           spanning.get_column("bkey")]))
        per_word = word_hits(words, spanning, single, listed)
        ranked = ranked_pairs(per_word, self.names.select("name_row", "name_weight"),
                              config.candidates_per_name)
        slots = self.names.select("slot", "name_row")
        return ranked.join(slots, on="name_row").select("qid", "slot", "block_score")

    def entry_lookup(self) -> EntryLookup:
        """The lookups that screen one entry's few names without frame queries (made once)."""
        return self.entry.get(self.names, self.keys)

    def _keys_for(self, wanted: pl.Series) -> pl.DataFrame:
        """The rows of :attr:`keys` whose key is one of ``wanted`` (all rows for big batches)."""
        distinct = wanted.unique()
        if distinct.len() > _SEARCHED_KEYS:
            return self.keys
        bkeys = self.keys.get_column("bkey")
        rows = pl.select(pl.int_ranges(bkeys.search_sorted(distinct, side="left"),
                                       bkeys.search_sorted(distinct, side="right"))
                         .explode().drop_nulls()).to_series()
        return self.keys[rows]


def _commonness(named: pl.DataFrame) -> dict[str, float]:
    """Commonness of each word in firm names: log(names with it) / log(_COMMON_DF), capped at 1.

    Person names are left out: a frequent given name is still a proper name, while a word
    frequent in firm names (shipping, steel, bank) is an ordinary word.
    """
    firms = named.filter(pl.col("kind") != "person")
    if firms.is_empty():
        return {}
    df = (
        firms.select("name_row", "tokens")
        .explode("tokens")
        .drop_nulls()
        .unique()
        .group_by("tokens")
        .agg(pl.len().alias("df"))
        .filter(pl.col("df") >= 2)
        .with_columns(c=(pl.col("df").log() / math.log(_COMMON_DF)).clip(0.0, 1.0))
    )
    return dict(zip(df["tokens"].to_list(), df["c"].to_list(), strict=True))
