"""TreeSHAP rows remembered per tree and split pattern, across the batches a process scores.

Grouped TreeSHAP (:mod:`~tradeguard.model._treeshap`) evaluates each tree once per split pattern
of a batch, but a batch worker scores batch after batch of similar lines: on the 1M-line
benchmark, nine patterns in ten of a worker's fifth batch were met in its first four. A
pattern's contributions depend only on the tree and the pattern, so they are kept under a key
that, unlike a batch's own pattern codes, means the same in every batch: the row's interval
among the tree's thresholds for each numeric split feature and its value of each categorical
one. Only the columns of the features the tree splits on (and the bias) are kept; the others
are exact zeros, which is checked when a pattern is first evaluated (a tree for which they are
not is never remembered). The values are the ones evaluating the pattern again would give, so
results do not depend on what a process scored before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from tradeguard.model._treeshap import TreeSplits

#: Patterns kept over all trees before the memory starts afresh: about 210 bytes each, so at
#: most about 100 MB (a worker of the 1M-line benchmark keeps 240,000, 51 MB, after ten
#: batches).
MEMO_PATTERNS = 500_000

# (positions of the representatives to evaluate) -> their pred_contrib rows, every column
Evaluate = Callable[[np.ndarray], np.ndarray]


def pattern_keys(matrix: np.ndarray, bins: Mapping[int, np.ndarray], splits: TreeSplits,
                 rows: np.ndarray) -> list[bytes]:
    """One key per row of ``rows``: its interval for each numeric split feature of the tree
    (``bins`` are the model-wide intervals; 16 bits, 32 for a tree with more thresholds on one
    feature) and its value of each categorical one (missing read as -inf, as when patterns
    are grouped; 64 bits), as bytes."""
    numeric, categorical = splits.numeric, splits.categorical
    wide = max((radix for _, _, radix in numeric), default=0) > np.iinfo(np.uint16).max
    kind = np.dtype(np.uint32 if wide else np.uint16)
    n, cut = rows.size, kind.itemsize * len(numeric)
    width = cut + 8 * len(categorical)
    if width == 0:
        return [b""] * n
    block = np.empty((n, width), dtype=np.uint8)
    if numeric:
        intervals = np.empty((n, len(numeric)), dtype=kind)
        for j, (feature, table, _) in enumerate(numeric):
            intervals[:, j] = table[bins[feature][rows]]
        block[:, :cut] = intervals.view(np.uint8)
    if categorical:
        values = matrix[rows[:, None], np.array(categorical, dtype=np.int64)]
        block[:, cut:] = np.where(np.isnan(values), -np.inf, values).view(np.uint8)
    return cast("list[bytes]", block.view(np.dtype((np.void, width))).ravel().tolist())


def tree_columns(splits: TreeSplits, width: int) -> np.ndarray:
    """The contribution columns a tree can move: its split features and the bias (last)."""
    used = {feature for feature, _, _ in splits.numeric} | set(splits.categorical)
    return np.array([*sorted(used), width - 1], dtype=np.int64)


@dataclass
class _Tree:
    """One tree's remembered patterns: key -> row of ``phi`` (its ``columns`` only)."""

    columns: np.ndarray
    index: dict[bytes, int] = field(default_factory=dict)
    phi: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    rows: int = 0
    remembered: bool = True

    def add(self, keys: list[bytes], phi: np.ndarray) -> np.ndarray:
        """Append ``phi`` (``columns`` only) under ``keys``; their row numbers."""
        start, end = self.rows, self.rows + len(keys)
        if end > self.phi.shape[0]:
            grown = np.empty((max(2 * self.phi.shape[0], end), phi.shape[1]))
            if start:
                grown[:start] = self.phi[:start]
            self.phi = grown
        self.phi[start:end] = phi
        self.rows = end
        at = np.arange(start, end, dtype=np.int64)
        self.index.update(zip(keys, at.tolist(), strict=True))
        return at


class ContributionMemo:
    """Remembered TreeSHAP rows of one model, shared by the batches this process scores.

    Thread-safe; it does not travel: a pickled memo arrives empty.
    """

    def __init__(self, limit: int = MEMO_PATTERNS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._trees: dict[int, _Tree] = {}
        self._size = 0  # patterns kept over all trees

    def __len__(self) -> int:
        return self._size

    def __getstate__(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.limit = state["limit"]
        self._lock = threading.Lock()
        self._trees = {}
        self._size = 0

    def contributions(self, tree: int, keys: list[bytes], columns: np.ndarray,
                      evaluate: Evaluate) -> np.ndarray | None:
        """The contributions of the patterns ``keys`` to ``columns`` (rows x columns), those
        not yet remembered from ``evaluate``; None when the tree's other columns turned out
        not to be zero (the caller evaluates it whole, as it will from then on)."""
        with self._lock:
            if self._size >= self.limit:
                self._trees.clear()
                self._size = 0
            memo = self._trees.setdefault(tree, _Tree(columns))
            if not memo.remembered:
                return None
            index = memo.index
            at = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
            new = np.flatnonzero(at < 0)
            if new.size:
                rows = evaluate(new)
                others = np.ones(rows.shape[1], dtype=bool)
                others[columns] = False
                if rows[:, others].any():
                    self._size -= memo.rows
                    self._trees[tree] = _Tree(columns, remembered=False)
                    return None
                at[new] = memo.add([keys[i] for i in new.tolist()], rows[:, columns])
                self._size += new.size
            return memo.phi[at]
