"""Blocking keys of names, and the ranking of the listed names a declared name shares keys with.

Each word is keyed under the word itself, its sound key and its one-letter-deleted forms
(which catch one typo); adjacent words run together and every pair of words of a name are
keyed too. A word's own keys depend on the word alone, and a batch of declared names repeats
its words many times over (city names, trade words, legal words): ~7,000 words of 2,000 names
are ~750 distinct words. So single-word keys are made, and looked up in the list index, once
per distinct word; only the keys that span words are made per name.
"""

from __future__ import annotations

import polars as pl

_ROW_SPAN = 1 << 24  # listed names per index, at most
#: Key kinds: a word (or adjacent words run together), a sound key, a one-letter deletion,
#: a pair of words.
WORD, SOUND, DELETION, PAIR = "t:", "p:", "d:", "b:"
#: Sound keys are keys from this many letters; words are keyed by deletions from this many.
SOUND_KEY_MIN, DELETION_WORD_MIN = 2, 4
#: Decimals a block score is rounded to, so float summation order cannot matter.
BLOCK_SCORE_DECIMALS = 6


def token_rows(named: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """One row per (name, word position): the word and its sound key."""
    return (
        named.select(id_col, "tokens", "keys")
        .with_columns(pos=pl.int_ranges(0, pl.col("tokens").list.len()))
        .explode("tokens", "keys", "pos")
        .drop_nulls("tokens")
        .rename({"tokens": "token", "keys": "key"})
    )


def word_keys(words: pl.DataFrame) -> pl.DataFrame:
    """Keys of single words: ``token, bkey`` for each distinct ``token, key`` row of ``words``
    — the word, its sound key (two letters or more) and, for words of four letters or more,
    the word and each of its one-letter deletions in the typo space."""
    vocab = words.select("token", "key").unique()
    sound = vocab.filter(pl.col("key").str.len_chars() >= SOUND_KEY_MIN).select(
        "token", bkey=pl.lit(SOUND) + pl.col("key"))
    long_words = vocab.filter(pl.col("token").str.len_chars() >= DELETION_WORD_MIN)
    deletions = (
        long_words.with_columns(cut=pl.int_ranges(0, pl.col("token").str.len_chars()))
        .explode("cut")
        .select(
            "token",
            bkey=pl.lit(DELETION)
            + pl.col("token").str.slice(0, pl.col("cut"))
            + pl.col("token").str.slice(pl.col("cut") + 1),
        )
    )
    return pl.concat([
        vocab.select("token", bkey=pl.lit(WORD) + pl.col("token")),
        sound,
        deletions,
        long_words.select("token", bkey=pl.lit(DELETION) + pl.col("token")),
    ]).unique()


def spanning_keys(words: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Keys that span words: ``id_col, pos, bkey`` — each word run together with the next
    (at the first one's position) and every pair of words of a name (position -1)."""
    adjacent = words.join(
        words.select(id_col, "token", pos=pl.col("pos") - 1), on=[id_col, "pos"], suffix="_next"
    )
    # Adjacent words joined meet names written as one word (pinyin syllables, "van der").
    joined = adjacent.select(
        id_col, "pos", bkey=pl.lit(WORD) + pl.col("token") + pl.col("token_next")
    )
    pairs = (
        words.join(words, on=id_col, suffix="_b")
        .filter(pl.col("pos") < pl.col("pos_b"))
        .select(
            id_col,
            pos=pl.lit(-1, dtype=words.schema["pos"]),
            bkey=pl.lit(PAIR)
            + pl.min_horizontal("token", "token_b")
            + pl.lit("|")
            + pl.max_horizontal("token", "token_b"),
        )
    )
    return pl.concat([joined, pairs])


def blocking_keys(named: pl.DataFrame, id_col: str) -> pl.DataFrame:
    """Blocking keys of every name: ``id_col, pos, bkey`` (pos -1 for pair keys)."""
    words = token_rows(named, id_col)
    single = words.select(id_col, "pos", "token").join(word_keys(words), on="token")
    return pl.concat([single.drop("token"), spanning_keys(words, id_col)]).unique()


def word_hits(words: pl.DataFrame, spanning: pl.DataFrame, single: pl.DataFrame,
              listed: pl.DataFrame) -> pl.DataFrame:
    """Per (declared name, listed name, declared word): the best weight of a key they share
    and whether one was exact — ``word`` (name pair and word position in one u64),
    ``weight``, ``exact``.

    ``words``: :func:`token_rows` with ``qid``; ``spanning``: their :func:`spanning_keys`;
    ``single``: :func:`word_keys` of their words; ``listed``: the index key rows of all
    those keys (``bkey, name_row, weight, exact``). A word's single-word hits are reduced
    to their best per listed name once per distinct word, before they meet the names.
    """
    per_token = (
        single.join(listed, on="bkey")
        .group_by("token", "name_row")
        .agg(pl.col("weight").max(), pl.col("exact").any())
    )
    hits = pl.concat([
        words.select("qid", "pos", "token").join(per_token, on="token").drop("token"),
        spanning.join(listed.select("bkey", "name_row", "weight", "exact"), on="bkey")
        .drop("bkey"),
    ])
    # One integer per (query, listed name) and per (query, listed name, query word): joins
    # on many rows group far faster on a single u64 than on several columns.
    pair = pl.col("qid").cast(pl.UInt64) * _ROW_SPAN + pl.col("name_row").cast(pl.UInt64)
    return (
        hits.select(
            word=pair * 256 + (pl.col("pos") + 1).cast(pl.UInt64),
            weight=pl.col("weight"),
            exact=pl.col("exact"),
        )
        .group_by("word")
        .agg(pl.col("weight").max(), pl.col("exact").any())
    )


def ranked_pairs(per_word: pl.DataFrame, name_weight: pl.DataFrame, keep: int) -> pl.DataFrame:
    """The ``keep`` best listed names per declared name from :func:`word_hits`: ``qid,
    name_row, block_score``, in the order of :meth:`WatchlistIndex.candidates`.

    A declared name with ``keep`` candidates or fewer keeps them all, whatever their order,
    so only the names with more are ranked.
    """
    scored = (
        per_word.group_by(pair=pl.col("word") // 256)
        .agg(
            block_score=pl.col("weight").sum().round(BLOCK_SCORE_DECIMALS),
            exact_words=pl.col("exact").sum(),
        )
        .with_columns(
            qid=(pl.col("pair") // _ROW_SPAN).cast(pl.UInt32),
            name_row=(pl.col("pair") % _ROW_SPAN).cast(pl.UInt32),
        )
    )
    many = pl.len().over("qid") > keep
    few = scored.filter(~many).select("qid", "name_row", "block_score")
    ranked = (
        scored.filter(many)
        # cheap cut first (ties kept), then the full order on the few rows left
        .filter(pl.col("block_score").rank("min", descending=True).over("qid") <= keep)
        .join(name_weight, on="name_row")
        .sort(
            ["qid", "block_score", "exact_words", "name_weight", "name_row"],
            descending=[False, True, True, False, False],
        )
        .filter(pl.int_range(pl.len()).over("qid") < keep)
        .select("qid", "name_row", "block_score")
    )
    return pl.concat([few, ranked])
