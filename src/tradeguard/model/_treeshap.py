"""Exact TreeSHAP for many lines at the cost of few: one evaluation per tree and split pattern.

LightGBM's ``pred_contrib`` runs path-dependent TreeSHAP, which visits every node of every tree
for every row — about 90-170 µs a line for the line model, more than the rest of the chain put
together. A tree's contributions for a row depend only on which side of each of that tree's
splits the row falls. Rows that sit in the same interval between every threshold the tree uses
(and in the same category, missing or zero state) therefore get identical contributions from
it, and reach the same leaf. So, tree by tree, lines are grouped by that pattern,
``pred_contrib`` runs on one representative of each group with only that tree, and the result
is spread back to the group. The values are the trees' own TreeSHAP values — not an
approximation — summed in tree order; they differ from a single ``pred_contrib`` call only by
floating-point rounding.

Each feature is placed among the thresholds of *all* trees once per batch; a tree's own
interval is then a lookup in a small table. A tree's pattern is one integer key (its intervals
and category ids as digits, :mod:`~tradeguard.model._splits`) and groups are found by hashing,
not sorting. The same groups
give the raw score: each group's leaf value, added in tree order from zero as LightGBM's own
prediction adds them (:func:`explain`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from tradeguard.model._shap_memo import ContributionMemo, batch_category_ids, tree_columns
from tradeguard.model._splits import ModelSplits, TreeSplits, tree_splits

__all__ = ["ModelSplits", "TreeSplits", "contributions", "explain", "groups",
           "split_patterns", "tree_splits"]

#: Below this many rows LightGBM predicts on one thread: a few rows are done before an OpenMP
#: team would have started (and per-row results do not depend on the threads).
ONE_THREAD_BELOW = 1000

# Up to this many rows are grouped with a dictionary (as pandas groups them, first seen first).
_FEW_CODES = 64

# Codes above this are compacted before another feature is folded in (int64 headroom).
_COMPACT_ABOVE = 2**40


def _fold(code: np.ndarray, part: np.ndarray, radix: int) -> np.ndarray:
    if int(code.max(initial=0)) * radix >= _COMPACT_ABOVE:
        code = np.unique(code, return_inverse=True)[1].astype(np.int64)
    folded: np.ndarray = code * radix + part
    return folded


def _category_codes(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Each distinct value (NaN one value) as a dense code."""
    filled = np.where(np.isnan(x), -np.inf, x)
    values, inverse = np.unique(filled, return_inverse=True)
    return inverse.astype(np.int64), int(values.size)


def split_patterns(matrix: np.ndarray, bins: Mapping[int, np.ndarray], splits: TreeSplits,
                   categories: dict[int, tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row; equal integers mean the same side of every split of the tree.

    ``bins`` are the rows' model-wide intervals (:meth:`ModelSplits.bins`); ``categories``
    remembers categorical codes across the trees of one batch. For trees without a key.
    """
    code = np.zeros(matrix.shape[0], dtype=np.int64)
    for feature, table, radix in splits.numeric:
        code = _fold(code, table[bins[feature]], radix)
    for feature in splits.categorical:
        if feature not in categories:
            categories[feature] = _category_codes(matrix[:, feature])
        values, radix = categories[feature]
        code = _fold(code, values, radix)
    return code


def groups(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, one row of each group) for equal values of ``code``, by hashing.

    Any row of a group stands for it: its rows get identical contributions from the tree.
    """
    group, distinct = _factorize(code)
    representative = np.empty(distinct.size, dtype=np.int64)
    representative[group] = np.arange(code.size, dtype=np.int64)
    return group, representative


def _factorize(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group of each row, the distinct codes in group order: first seen first)."""
    if code.size <= _FEW_CODES:  # one entry's lines: a dictionary, not a hash table call
        seen: dict[int, int] = {}
        group = [seen.setdefault(c, len(seen)) for c in code.tolist()]
        return np.array(group, dtype=np.int64), np.array(list(seen), dtype=np.int64)
    import pandas as pd

    group, distinct = pd.factorize(code)
    return group.astype(np.int64, copy=False), np.asarray(distinct, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Terms:
    """One tree's part of a batch: each row's group, and per group its contributions to
    ``columns`` (groups x columns) and its leaf value (None when not asked for)."""

    group: np.ndarray
    columns: np.ndarray
    phi: np.ndarray
    leaf: np.ndarray | None


def _terms(booster: Any, matrix: np.ndarray, splits: ModelSplits,
           memo: ContributionMemo | None, leaves: bool) -> Iterator[_Terms]:
    """Each tree's :class:`_Terms`, in tree order; new patterns only are evaluated."""
    bins = splits.bins(matrix)
    bits = splits.category_bits
    ids, generation = (memo.category_ids(matrix, bits) if memo is not None
                       else (batch_category_ids(matrix, bits), 0))
    categories: dict[int, tuple[np.ndarray, int]] = {}
    for tree, tree_split in enumerate(splits.trees):
        key = tree_split.key(bins, ids)
        keyed = key is not None and memo is not None
        if key is None:
            key = split_patterns(matrix, bins, tree_split, categories)
        yield tree_terms(booster, matrix, tree, tree_split, key,
                         memo if keyed else None, generation, leaves)


def tree_terms(booster: Any, matrix: np.ndarray, tree: int, tree_split: TreeSplits,
               key: np.ndarray, memo: ContributionMemo | None, generation: int,
               leaves: bool) -> _Terms:
    """One tree's :class:`_Terms` for rows of split pattern ``key``: from ``memo`` (given for
    a key that means the same in every batch of its ``generation``) or evaluated."""
    width = matrix.shape[1] + 1
    group, distinct = _factorize(key)
    representative = np.empty(distinct.size, dtype=np.int64)
    representative[group] = np.arange(key.size, dtype=np.int64)
    evaluate = partial(_tree_contributions, booster, matrix, representative, tree, width)
    leaf_of = partial(_tree_leaves, booster, matrix, representative, tree,
                      tree_split.leaves) if leaves else None
    if memo is not None:
        columns = tree_columns(tree_split, width)
        found = memo.contributions(tree, distinct, columns, evaluate, leaf_of, generation)
        if found is not None:
            return _Terms(group, columns, *found)
    phi = evaluate()
    columns = np.flatnonzero(phi.any(axis=0))
    return _Terms(group, columns, phi[:, columns], None if leaf_of is None else leaf_of())


def explain(booster: Any, matrix: np.ndarray, splits: ModelSplits,
            memo: ContributionMemo | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rows x (features + 1) TreeSHAP contributions, bias last; the raw scores).

    The raw score of a row is its leaf values added in tree order from zero, as LightGBM's
    prediction adds them, so it equals ``predict(raw_score=True)`` bit for bit without
    walking every tree for every row again (for a model whose ``splits.leaf_sums``). ``memo``
    keeps each tree's contributions and leaf per split pattern for later calls
    (:mod:`~tradeguard.model._shap_memo`).
    """
    rows, width = matrix.shape[0], matrix.shape[1] + 1
    total = np.zeros((width, rows))
    if rows == 0:
        return total.T.copy(), np.zeros(0)
    raw = np.zeros(rows)
    for terms in _terms(booster, matrix, splits, memo, leaves=True):
        assert terms.leaf is not None
        raw += terms.leaf[terms.group]
        _accumulate(total, terms)
    return np.ascontiguousarray(total.T), raw


def contributions(booster: Any, matrix: np.ndarray, splits: ModelSplits,
                  projection: np.ndarray, memo: ContributionMemo | None = None) -> np.ndarray:
    """Rows x ``projection`` columns: TreeSHAP feature contributions summed over the trees,
    projected by ``projection`` (features x k; e.g. features -> reason codes, or identity).

    ``memo`` (identity projection only) keeps each tree's contributions per split pattern for
    later calls, so a pattern met before is not evaluated again.
    """
    n_features = projection.shape[0]
    if matrix.shape[0] == 0:
        return np.zeros((0, projection.shape[1]))
    identity = projection.shape == (n_features, n_features) and np.array_equal(
        projection, np.eye(n_features))
    total = np.zeros((projection.shape[1], matrix.shape[0]))
    for terms in _terms(booster, matrix, splits, memo if identity else None, leaves=False):
        if not identity:
            phi = np.zeros((terms.phi.shape[0], n_features))
            phi[:, terms.columns] = terms.phi
            phi = phi @ projection
            columns = np.flatnonzero(phi.any(axis=0))
            terms = _Terms(terms.group, columns, phi[:, columns], None)
        _accumulate(total, terms)
    return np.ascontiguousarray(total.T)


def _accumulate(total: np.ndarray, terms: _Terms) -> None:
    """Add one tree's contributions to ``total`` (columns x rows), column by column.

    A tree moves only the columns of the few features it splits on (and the bias); the others
    are exact zeros, and adding zero changes no sum, so they are skipped. A column equal for
    every group (as the bias is) is one number added to every row: the same sums.
    """
    phi = np.ascontiguousarray(terms.phi.T)
    for values, column in zip(phi, terms.columns.tolist(), strict=True):
        if (values == values[0]).all():
            total[column] += values[0]
        else:
            total[column] += values[terms.group]


def _tree_contributions(booster: Any, matrix: np.ndarray, representative: np.ndarray,
                        tree: int, n_features: int, at: np.ndarray | None = None) -> np.ndarray:
    """One tree's pred_contrib rows (feature columns and bias) for the representatives
    (those at positions ``at`` of them, when given)."""
    rows = representative if at is None else representative[at]
    phi = np.asarray(booster.predict(matrix[rows], start_iteration=tree, num_iteration=1,
                                     pred_contrib=True, **_threads(rows.size)), dtype=float)
    return phi[:, :n_features]


def _tree_leaves(booster: Any, matrix: np.ndarray, representative: np.ndarray, tree: int,
                 values: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
    """One tree's leaf value for the representatives (those at positions ``at``)."""
    rows = representative if at is None else representative[at]
    leaf = booster.predict(matrix[rows], start_iteration=tree, num_iteration=1, pred_leaf=True,
                           **_threads(rows.size))
    return values[np.asarray(leaf, dtype=np.int64).reshape(-1)]


def _threads(rows: int) -> dict[str, int]:
    """LightGBM's thread setting for predicting ``rows`` rows (:data:`ONE_THREAD_BELOW`)."""
    return {"num_threads": 1} if rows < ONE_THREAD_BELOW else {}
