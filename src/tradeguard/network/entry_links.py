"""New spellings of a request that cannot link to anything, found without running Splink.

:func:`~tradeguard.network.incremental.link_new_records` scores, with Splink on DuckDB, only
the pairs a new record forms within a block (an importer-number root, an address key or a
distinctive name word, in one party family) that holds from 2 to ``max_block`` records of
the known and new records together (~55 ms for a request's few records, most of it fixed).
A new record whose every key is held by no other record, or by more than ``max_block``,
forms no pair at all: it links to nothing and is its own cluster, named by its own record
id. :class:`BlockCounts` keeps how many known records hold each key (counted once per fit)
so a request's new records are checked with a few lookups; whenever one might form a pair,
Splink decides.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from tradeguard.network.linkage import LinkageConfig, record_keys
from tradeguard.network.records import FAMILY, RECORD_SCHEMA

# The blocks of :data:`~tradeguard.network.linkage.BLOCKS`, keyed alike for known and new
# records: (block, family, key...).
BlockKey = tuple[str, ...]
# An address key shorter than this says too little to block on (as in linkage).
_MIN_ADDRESS_KEY = 8


@dataclass(frozen=True)
class BlockCounts:
    """How many known records hold each blocking key."""

    held: dict[BlockKey, int] = field(default_factory=dict)


def _keys(kind: str | None, family: str | None, country: str | None, words: list[str] | None,
          addr_key: str | None, id_key: str | None) -> set[BlockKey]:
    """The blocking keys of one record, as :func:`~tradeguard.network.linkage.
    _with_block_keys` reads them (before the block size check)."""
    fam = family or ""
    keys: set[BlockKey] = set()
    if kind == "importer" and id_key is not None:
        keys.add(("id", fam, id_key))
    if addr_key is not None and len(addr_key) >= _MIN_ADDRESS_KEY:
        keys.add(("addr", fam, addr_key))
    for word in words or []:
        if word is not None:
            keys.add(("word", fam, country or "", word))
    return keys


def _record_keys(frame: pl.DataFrame) -> list[set[BlockKey]]:
    return [_keys(*row) for row in frame.select(
        "kind", "family", "country", "words", "addr_key", "id_key").iter_rows()]


def block_counts(known: pl.DataFrame | None) -> BlockCounts:
    """The key counts of the resolved records (``KEY_COLUMNS``), built once per fit."""
    if known is None or known.is_empty():
        return BlockCounts()
    held: Counter[BlockKey] = Counter()
    for keys in _record_keys(known.with_columns(pl.col(pl.Categorical).cast(pl.String))):
        held.update(keys)
    return BlockCounts(dict(held))


def unlinkable(new: pl.DataFrame, counts: BlockCounts, config: LinkageConfig) -> bool:
    """Whether none of the ``new`` records (``record_id`` and the record fields, none of
    them known) shares a usable block with another record, known or new: then Splink
    scores no pair, and each is its own cluster."""
    keys = record_keys(new.select("record_id", *RECORD_SCHEMA)).with_columns(
        pl.col("kind").replace_strict(FAMILY, default="other").alias("family"))
    per_record = _record_keys(keys)
    fresh: Counter[BlockKey] = Counter()
    for own in per_record:
        fresh.update(own)
    for key, n in fresh.items():
        total = n + counts.held.get(key, 0)
        if 2 <= total <= config.max_block:
            return False
    return True
