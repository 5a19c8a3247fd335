"""TreeSHAP rows remembered per tree and split pattern, across the batches a process scores.

Grouped TreeSHAP (:mod:`~tradeguard.model._treeshap`) evaluates each tree once per split pattern
of a batch, but a batch worker scores batch after batch of similar lines: on the 1M-line
benchmark, nine patterns in ten of a worker's fifth batch were met in its first four. A
pattern's contributions and leaf depend only on the tree and the pattern, so they are kept
under a key that means the same in every batch: one integer holding the row's interval among
the tree's thresholds for each numeric split feature and the id of its value of each
categorical one (ids this memo hands out, the same for a value in every batch). A tree's keys
are kept sorted, so a batch's patterns are looked up all at once. Only the columns of the
features the tree splits on (and the bias) are kept; the others are exact zeros, which is
checked when a pattern is first evaluated (a tree for which they are not is never remembered).
The values are the ones evaluating the pattern again would give, so results do not depend on
what a process scored before.

A process that scores single entries also keeps every pattern's row, with its leaf value, in
one flat array under a dictionary key per tree (:meth:`ContributionMemo.entry_values`): the
few rows of a request then read all their trees in one gather instead of a call per tree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from tradeguard.model._splits import TreeSplits

#: Patterns kept over all trees before the memory starts afresh: about 110 bytes each (the
#: line model's trees keep ten or eleven columns; arrays grow by doubling), so at most about
#: 60-110 MB (a worker of the 1M-line benchmark keeps 171,000, 21 MB, after five batches).
#: A process scoring single entries keeps each row once more for them (about 200 bytes with
#: its dictionary entry); a request's entry meets some thousands of patterns, not batches'.
MEMO_PATTERNS = 500_000
#: Most bits of a category id in a tree's key: ids 0 (missing) to 65,535.
CATEGORY_BITS = 16

# (positions of the representatives to evaluate, all when None) -> their rows
Evaluate = Callable[..., np.ndarray]

# The single-entry index of a tree whose rows are not kept (it does not remember): never
# written to, every key missing.
_NEVER: dict[int, int] = {}


def tree_columns(splits: TreeSplits, width: int) -> np.ndarray:
    """The contribution columns a tree can move: its split features and the bias (last)."""
    used = {feature for feature, _, _ in splits.numeric} | set(splits.categorical)
    return np.array([*sorted(used), width - 1], dtype=np.int64)


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values other than NaN, sorted; each row's position among them, -1 for
    NaN). Values that compare equal (0.0 and -0.0) are one value, as they are to the trees."""
    missing = np.isnan(x)
    present = x[~missing] if missing.any() else x
    small = present.size > 0 and bool(
        ((present >= 0) & (present < 2**CATEGORY_BITS) & (present == np.floor(present))).all())
    if small:  # category codes: counted, not sorted
        code = present.astype(np.int64)
        seen = np.bincount(code, minlength=1) > 0
        values = np.flatnonzero(seen).astype(float)
        inverse = (np.cumsum(seen) - 1)[code]
    else:
        values, inverse = np.unique(present, return_inverse=True)
    if not missing.any():
        return values, inverse.astype(np.int64)
    out = np.full(x.size, -1, dtype=np.int64)
    out[~missing] = inverse
    return values, out


def batch_category_ids(matrix: np.ndarray, bits: Mapping[int, int]
                       ) -> dict[int, np.ndarray | None]:
    """Each categorical feature's values (``bits``: feature -> bits of an id) as ids for this
    batch only: 0 missing, then the distinct values in order (None when there are more than
    its bits hold)."""
    out: dict[int, np.ndarray | None] = {}
    for feature, width in bits.items():
        values, inverse = _distinct(matrix[:, feature])
        out[feature] = inverse + 1 if values.size < 2**width else None
    return out


@dataclass
class _Tree:
    """One tree's remembered patterns: sorted keys, their rows of ``phi`` (``columns`` only)
    and ``leaf`` (NaN until asked for)."""

    columns: np.ndarray
    keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    slots: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    phi: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    leaf: np.ndarray = field(default_factory=lambda: np.empty(0))
    rows: int = 0
    remembered: bool = True

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Each key's row, -1 for keys not remembered."""
        if not self.keys.size:
            return np.full(keys.size, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return np.where(self.keys[at] == keys, self.slots[at], -1)

    def add(self, keys: np.ndarray, phi: np.ndarray, leaf: np.ndarray) -> np.ndarray:
        """Remember ``phi`` and ``leaf`` under the new, distinct ``keys``; their rows."""
        start, end = self.rows, self.rows + keys.size
        if end > self.phi.shape[0]:
            capacity = max(2 * self.phi.shape[0], end)
            grown, grown_leaf = np.empty((capacity, phi.shape[1])), np.empty(capacity)
            if start:
                grown[:start], grown_leaf[:start] = self.phi[:start], self.leaf[:start]
            self.phi, self.leaf = grown, grown_leaf
        self.phi[start:end], self.leaf[start:end] = phi, leaf
        self.rows = end
        at = np.arange(start, end, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        place = np.searchsorted(self.keys, keys[order])
        self.keys = np.insert(self.keys, place, keys[order])
        self.slots = np.insert(self.slots, place, at[order])
        return at


class ContributionMemo:
    """Remembered TreeSHAP rows of one model, shared by the batches this process scores.

    Thread-safe; it does not travel: a pickled memo arrives empty.
    """

    def __init__(self, limit: int = MEMO_PATTERNS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._trees: dict[int, _Tree] = {}
        self._categories: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._size = 0  # patterns kept over all trees
        self._generation = 0
        # For single entries: per tree, key -> where its row (columns, then leaf) starts in
        # ``_store`` (None until a request first reads the tree; _NEVER if not remembering).
        self._indexes: list[dict[int, int] | None] = []
        self._store = np.empty(0)
        self._stored = 0
        # Patterns a request kept in ``_store`` only, per tree (key, where its row starts):
        # its :class:`_Tree` takes them the next time a batch reads the tree.
        self._pending: dict[int, list[tuple[int, int]]] = {}

    def __len__(self) -> int:
        return self._size

    def __getstate__(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["limit"])  # type: ignore[misc]

    def _forget(self) -> None:
        self._trees.clear()
        self._categories.clear()
        self._size = 0
        self._generation += 1
        self._indexes = []
        self._store = np.empty(0)
        self._stored = 0
        self._pending = {}

    def _keep(self, rows: np.ndarray, leaf: np.ndarray) -> np.ndarray:
        """Append ``rows`` (patterns x columns) and their ``leaf`` to the flat store; where
        each row starts."""
        start = self._append(np.column_stack([rows, leaf]).ravel())
        starts: np.ndarray = start + np.arange(rows.shape[0], dtype=np.int64) * (
            rows.shape[1] + 1)
        return starts

    def _append(self, block: np.ndarray) -> int:
        """Append ``block`` (flat) to the store; where it starts."""
        start, end = self._stored, self._stored + block.size
        if end > self._store.size:
            grown = np.empty(max(2 * self._store.size, end, 1024))
            grown[:start] = self._store[:start]
            self._store = grown
        self._store[start:end] = block
        self._stored = end
        return start

    def _absorb(self, tree: int, memo: _Tree) -> None:
        """Move tree ``tree``'s patterns kept for requests only into ``memo``."""
        pending = self._pending.pop(tree, None)
        if not pending or not memo.remembered:
            return
        width = memo.columns.size
        starts = np.array([start for _, start in pending], dtype=np.int64)
        block = self._store[starts[:, None] + np.arange(width + 1)]
        memo.add(np.array([key for key, _ in pending], dtype=np.int64), block[:, :width],
                 block[:, width])

    def _index(self, tree: int, columns: np.ndarray) -> dict[int, int]:
        """Tree ``tree``'s index for single entries, its remembered rows copied into the
        store (empty for a tree not met yet; :data:`_NEVER` for one that does not remember
        or keeps other ``columns`` than the caller reads)."""
        memo = self._trees.get(tree)
        if memo is None:
            return {}
        if not memo.remembered or not np.array_equal(memo.columns, columns):
            return _NEVER
        starts = self._keep(memo.phi[:memo.rows], memo.leaf[:memo.rows])
        return dict(zip(memo.keys.tolist(), starts[memo.slots].tolist(), strict=True))

    def _indexed(self, tree: int) -> dict[int, int] | None:
        return self._indexes[tree] if tree < len(self._indexes) else None

    def category_ids(self, matrix: np.ndarray, bits: Mapping[int, int]
                     ) -> tuple[dict[int, np.ndarray | None], int]:
        """Each categorical feature's values (``bits``: feature -> bits of an id) as the ids
        this memo gave them (0 missing; new values get the next ids), so a pattern's key is
        the same in every batch; None for a feature whose values outgrew its bits. With the
        memo's generation: the memory starts afresh here, between batches, and ids of an
        earlier generation are never looked up in a later one."""
        with self._lock:
            if self._size >= self.limit:
                self._forget()
            out: dict[int, np.ndarray | None] = {}
            for feature, width in bits.items():
                values, inverse = _distinct(matrix[:, feature])
                known, ids = self._categories.get(
                    feature, (np.empty(0), np.empty(0, dtype=np.int64)))
                given = np.full(values.size, -1, dtype=np.int64)
                if known.size:
                    at = np.minimum(np.searchsorted(known, values), known.size - 1)
                    given = np.where(known[at] == values, ids[at], -1)
                new = np.flatnonzero(given < 0)
                given[new] = np.arange(ids.size + 1, ids.size + 1 + new.size)
                if new.size:
                    place = np.searchsorted(known, values[new])
                    self._categories[feature] = (np.insert(known, place, values[new]),
                                                 np.insert(ids, place, given[new]))
                # Position -1 (missing) reads the 0 appended last.
                out[feature] = (np.append(given, 0)[inverse]
                                if ids.size + new.size < 2**width else None)
            return out, self._generation

    def _evaluate_whole(self, tree: int, columns: np.ndarray) -> None:
        """``tree`` turned out to add to columns other than ``columns``: drop what was kept
        of it (pending rows too) and evaluate it whole from now on (the lock is held)."""
        memo = self._trees.get(tree)
        self._size -= (memo.rows if memo is not None else 0) + len(self._pending.pop(tree, ()))
        self._trees[tree] = _Tree(columns, remembered=False)
        if self._indexed(tree) is not None:
            self._indexes[tree] = _NEVER

    def contributions(self, tree: int, keys: np.ndarray, columns: np.ndarray,
                      evaluate: Evaluate, leaves: Evaluate | None = None,
                      generation: int = 0) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The contributions of the patterns ``keys`` (of category ids from ``generation``)
        to ``columns`` (patterns x columns), those not yet remembered from ``evaluate``, and
        with ``leaves`` their leaf values; None when the tree's other columns turned out not
        to be zero (the caller evaluates it whole, as it will from then on) or the ids are of
        an earlier generation."""
        with self._lock:
            if generation != self._generation:
                return None
            memo = self._trees.setdefault(tree, _Tree(columns))
            if tree in self._pending:
                self._absorb(tree, memo)
            if not memo.remembered:
                return None
            at = memo.find(keys)
            new = np.flatnonzero(at < 0)
            if new.size:
                rows = evaluate(new)
                others = np.ones(rows.shape[1], dtype=bool)
                others[columns] = False
                if rows[:, others].any():
                    self._evaluate_whole(tree, columns)
                    return None
                leaf = leaves(new) if leaves is not None else np.full(new.size, np.nan)
                at[new] = memo.add(keys[new], rows[:, columns], leaf)
                self._size += new.size
                index = self._indexed(tree)
                if index is not None and index is not _NEVER:
                    starts = self._keep(rows[:, columns], leaf)
                    index.update(zip(keys[new].tolist(), starts.tolist(), strict=True))
            if leaves is None:
                return memo.phi[at], None
            unknown = np.flatnonzero(np.isnan(memo.leaf[at]))
            if unknown.size:
                memo.leaf[at[unknown]] = leaves(unknown)
            return memo.phi[at], memo.leaf[at]

    def entry_values(self, keys: Sequence[Sequence[int]], generation: int,
                     columns: Sequence[np.ndarray], tree_of: np.ndarray, inner: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray] | list[int] | None:
        """For the few rows of one entry (``keys``: per row, every tree's key, of category
        ids from ``generation``; ``columns``: each tree's :func:`tree_columns`): per row the
        values at ``tree_of``/``inner`` (a tree, a place in its row: columns, then the leaf
        value, NaN until known), with where each row's tree rows start. Else the trees with a
        pattern not remembered (they take :meth:`contributions`), or None when the ids are
        of an earlier generation."""
        with self._lock:
            if generation != self._generation:
                return None
            # the indexes are laid out all at once (none is left None), so a short list is
            # the only sign of trees not read yet
            if len(self._indexes) < len(columns):
                self._indexes.extend([None] * (len(columns) - len(self._indexes)))
                self._indexes = [self._index(tree, columns[tree]) if index is None else index
                                 for tree, index in enumerate(self._indexes)]
            indexes = cast(list[dict[int, int]], self._indexes)[:len(columns)]
            # every row's every tree's start, -1 for a key not kept (one C loop)
            found = list(map(dict.get, indexes * len(keys), chain.from_iterable(keys),
                             repeat(-1)))
            starts = np.array(found, dtype=np.int64).reshape(len(keys), len(indexes))
            if -1 in found:
                trees: list[int] = np.flatnonzero((starts < 0).any(axis=0)).tolist()
                return trees
            # ``take``: a fancy index along the rows' second axis costs several times more
            values: np.ndarray = self._store.take(starts.take(tree_of, axis=1) + inner)
            return values, starts

    def entry_remember(self, keys: Sequence[Sequence[int]], trees: Sequence[int],
                       generation: int, columns: Sequence[np.ndarray],
                       evaluate: Callable[[list[int]], np.ndarray]) -> bool:
        """Evaluate and keep, for the few rows of one entry, the patterns of ``trees`` (from
        :meth:`entry_values`) its rows' ``keys`` meet that are not kept yet, as
        :meth:`contributions` keeps them (leaf values unknown) but in one pass over the
        trees: ``evaluate(trees)`` gives their full rows (trees x rows x (features + 1)),
        and each new pattern keeps its last row's, the representative :func:`~tradeguard.
        model._treeshap.tree_terms` picks. The rows go to the flat store only; a tree's
        sorted arrays take them when a batch next reads it. False when a tree does not
        remember (its other columns are not zero) or the ids are of an earlier generation:
        the caller takes the general path."""
        with self._lock:
            if generation != self._generation:
                return False
            new: list[tuple[int, int, int, int]] = []  # (tree, its place, key, last row)
            for place, tree in enumerate(trees):
                index = self._indexed(tree)
                memo = self._trees.get(tree)
                if index is None or index is _NEVER or (memo is not None
                                                         and not memo.remembered):
                    return False
                at: dict[int, int] = {}
                for r, row in enumerate(keys):
                    if row[tree] not in index:
                        at[row[tree]] = r
                new.extend((tree, place, key, r) for key, r in at.items())
            if not new:
                return True
            values = evaluate(list(trees))
            width = values.shape[2]
            rows = values[[p for _, p, _, _ in new], [r for _, _, _, r in new]]
            # each pattern's own columns, then its leaf (NaN, read past the rows' end)
            own = [[i * width + c for c in columns[tree].tolist()]
                   for i, (tree, _, _, _) in enumerate(new)]
            moving = np.zeros(rows.size, dtype=bool)
            moving[[c for cs in own for c in cs]] = True
            stray: list[bool] = np.asarray(
                np.where(moving.reshape(rows.shape), 0.0, rows).any(axis=1)).tolist()
            if any(stray):
                for (tree, _, _, _), bad in zip(new, stray, strict=True):
                    if bad and self._indexes[tree] is not _NEVER:
                        self._evaluate_whole(tree, columns[tree])
                return False
            flat = np.append(rows.ravel(), np.nan)
            start = self._append(flat[[c for cs in own for c in (*cs, rows.size)]])
            for (tree, _, key, _), cs in zip(new, own, strict=True):
                cast(dict[int, int], self._indexes[tree])[key] = start
                self._pending.setdefault(tree, []).append((key, start))
                start += len(cs) + 1
            self._size += len(new)
            return True

    def note_leaves(self, at: np.ndarray, values: np.ndarray, generation: int) -> None:
        """Keep leaf values found for rows of :meth:`entry_values` (``at``: their places in
        the store, of ``generation``)."""
        with self._lock:
            if generation == self._generation:
                self._store[at] = values
