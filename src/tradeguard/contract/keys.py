"""Duplicate natural keys within one file, across the batches it is read in, and key sets.

A key's first row wins; every later row with the same key is rejected, naming that first row.
The keys of earlier batches are kept twice: as a sorted array of 64-bit hashes, where a batch
looks its keys up by binary search (a hash table of every earlier key, rebuilt for each batch,
cost more with every batch of a large file), and as the keys themselves with their first row,
consulted only for the few rows whose hash is found, so two keys with the same hash are told
apart and the result is exact. Repeats within a batch are found the same way: only rows whose
hash repeats are grouped by key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

ROW = "__row"  # spreadsheet row number of each raw row
NATURAL_KEY = "natural_key"
FIRST_ROW = "__first_row"
_HASH = "__key_hash"
_AT = "__at"

Hashes = npt.NDArray[np.uint64]
Flags = npt.NDArray[np.bool_]
Rows = npt.NDArray[np.int64]


def key_hashes(keys: pl.Series) -> Hashes:
    """64-bit hashes of the keys (only compared within one run, so Polars' hash will do)."""
    return keys.hash().to_numpy()


def _lookup(ordered: Hashes, hashes: Hashes, order: npt.NDArray[np.intp]
            ) -> tuple[npt.NDArray[np.intp], Flags]:
    """Where each hash goes in the sorted array ``ordered``, and whether it is there.

    ``order`` sorts ``hashes``: binary searches in sorted order touch the array's cache lines
    in sequence, random ones miss the cache at every step and cost several times more.
    """
    ranked = hashes[order]
    at = np.searchsorted(ordered, ranked)
    hit = np.zeros(len(hashes), dtype=np.bool_)
    inside = at < len(ordered)
    hit[inside] = ordered[at[inside]] == ranked[inside]
    found = np.empty_like(hit)
    found[order] = hit
    where = np.empty_like(at)
    where[order] = at
    return where, found


class KeySet:
    """A fixed set of strings (say, the accepted entry numbers of a run) looked up batch by
    batch, with sorted hashes: a hash table of the whole set, built for every batch, cost
    more. A found hash is confirmed against the member stored there, so the answer is exact;
    a set with two members of the same hash is looked up with ``is_in`` instead."""

    def __init__(self, members: pl.Series) -> None:
        members = members.cast(pl.String).drop_nulls().unique()
        hashes = key_hashes(members)
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._members = members.gather(order)
        self._exact = bool((self._hashes[1:] != self._hashes[:-1]).all())

    def members_of(self, values: pl.Series) -> pl.Series:
        """Those of ``values`` (strings) that are in the set, in their order."""
        if not self._exact:
            return values.filter(values.is_in(self._members.implode()).fill_null(False))
        hashes = key_hashes(values)
        at, found = _lookup(self._hashes, hashes, np.argsort(hashes))
        if found.any():
            same = self._members.gather(at[found]) == values.filter(pl.Series(found))
            found[found] = same.fill_null(False).to_numpy()
        return values.filter(pl.Series(found))


def _no_keys() -> pl.DataFrame:
    return pl.DataFrame(schema={NATURAL_KEY: pl.String(), FIRST_ROW: pl.Int64(),
                                _HASH: pl.UInt64()})


@dataclass
class KeyTracker:
    """Natural keys already seen in the file being ingested, with the row that had each first."""

    seen: pl.DataFrame = field(default_factory=_no_keys)
    hashes: Hashes = field(default_factory=lambda: np.empty(0, np.uint64))

    def earlier(self, keys: pl.Series, hashes: Hashes, candidates: Flags) -> tuple[Rows, Flags]:
        """For the ``candidates`` (rows whose hash is known): the key's first row in an
        earlier batch, and whether there was one (a known hash may be another key's)."""
        rows = np.zeros(len(keys), dtype=np.int64)
        has = np.zeros(len(keys), dtype=np.bool_)
        if candidates.any():
            at = np.flatnonzero(candidates)
            wanted = pl.Series(_HASH, hashes[at])
            stored = self.seen.filter(pl.col(_HASH).is_in(wanted.implode()))
            maybe = pl.DataFrame({_AT: at, NATURAL_KEY: keys.gather(at)})
            same = maybe.join(stored.select(NATURAL_KEY, FIRST_ROW), on=NATURAL_KEY)
            index = same.get_column(_AT).to_numpy()
            rows[index] = same.get_column(FIRST_ROW).to_numpy()
            has[index] = True
        return rows, has

    def remember(self, keys: pl.Series, rows: Rows, hashes: Hashes,
                 where: npt.NDArray[np.intp], known: Flags) -> None:
        """Add keys first seen in this batch, with their first row and hash; ``where`` is
        each hash's place in the sorted array, ``known`` whether it is there already."""
        self.seen = pl.concat([self.seen, pl.DataFrame(
            {NATURAL_KEY: keys, FIRST_ROW: rows, _HASH: hashes})], how="vertical")
        fresh = ~known
        # In hash order, so hashes that go to the same place go in sorted (a repeated hash,
        # two keys colliding, does no harm).
        order = np.argsort(hashes[fresh])
        self.hashes = np.insert(self.hashes, where[fresh][order], hashes[fresh][order])


def _batch_firsts(narrow: pl.DataFrame, rows: Rows, hashes: Hashes, ok: Flags,
                  order: npt.NDArray[np.intp]) -> Rows:
    """Each usable key's first row within the batch (rows whose hash is unique in the batch
    are their key's first; only the others are grouped by key)."""
    firsts = rows.copy()
    usable = order[ok[order]]  # usable rows in hash order
    ranked = hashes[usable]
    repeat = ranked[1:] == ranked[:-1]
    shared = np.zeros(len(ranked), dtype=np.bool_)
    shared[1:] |= repeat
    shared[:-1] |= repeat
    if shared.any():
        at = np.sort(usable[shared])
        sub = narrow.select(ROW, NATURAL_KEY)[at]
        firsts[at] = sub.select(pl.col(ROW).min().over(NATURAL_KEY)).to_series().to_numpy()
    return firsts


def first_rows(frame: pl.DataFrame, key_ok: pl.Expr, tracker: KeyTracker) -> pl.Series:
    """For every row: the first row of the file with the same natural key (null when the key
    is broken, see ``key_ok``), remembering this batch's new keys in ``tracker``.

    Row numbers must be set on every row (readers number them).
    """
    narrow = frame.select(pl.col(ROW).cast(pl.Int64), NATURAL_KEY, key_ok.alias("__key_ok"))
    keys = narrow.get_column(NATURAL_KEY)
    rows = narrow.get_column(ROW).to_numpy()
    ok = narrow.get_column("__key_ok").to_numpy()
    hashes = key_hashes(keys)
    order = np.argsort(hashes)
    firsts = _batch_firsts(narrow, rows, hashes, ok, order)
    where, found = _lookup(tracker.hashes, hashes, order)
    earlier, has = tracker.earlier(keys, hashes, found & ok)
    new = ok & ~has & (rows == firsts)
    tracker.remember(keys.filter(pl.Series(new)), rows[new], hashes[new], where[new], found[new])
    first = np.where(has, earlier, firsts)
    return pl.Series("__first", first, dtype=pl.Int64).scatter(np.flatnonzero(~ok), None)
