"""Exact TreeSHAP for many lines at the cost of few: one evaluation per tree and split pattern.

LightGBM's ``pred_contrib`` runs path-dependent TreeSHAP, which visits every node of every tree
for every row — about 90-170 µs a line for the line model, more than the rest of the chain put
together. A tree's contributions for a row depend only on which side of each of that tree's
splits the row falls. Rows that sit in the same interval between every threshold the tree uses
(and in the same category, missing or zero state) therefore get identical contributions from
it. So, tree by tree, lines are grouped by that pattern, ``pred_contrib`` runs on one
representative of each group with only that tree, and the result is spread back to the group.
The values are the trees' own TreeSHAP values — not an approximation — summed in tree order;
they differ from a single ``pred_contrib`` call only by floating-point rounding.

Each feature is placed among the thresholds of *all* trees once per batch; a tree's own
interval is then a lookup in a small table, and groups are found by hashing, not sorting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from tradeguard.model._shap_memo import ContributionMemo, pattern_keys, tree_columns

# LightGBM treats |x| <= 1e-35 as zero (its ``kZeroThreshold``) for zero-as-missing splits.
_ZERO = 1e-35
# Codes above this are compacted before another feature is folded in (int64 headroom).
_COMPACT_ABOVE = 2**40


@dataclass(frozen=True, slots=True)
class TreeSplits:
    """The features one tree splits on. Numeric ones as (feature, table, radix): the table maps
    the feature's model-wide interval (:meth:`ModelSplits.bins`) to this tree's interval, zero
    and missing last; categorical ones have every distinct value as a group of its own."""

    numeric: tuple[tuple[int, np.ndarray, int], ...]
    categorical: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModelSplits:
    """Every threshold the model uses per numeric feature, and each tree's view of them."""

    thresholds: Mapping[int, np.ndarray]
    trees: tuple[TreeSplits, ...]

    def bins(self, matrix: np.ndarray) -> dict[int, np.ndarray]:
        """Each numeric feature's interval among all the model's thresholds for it (``x <= t``
        decides alike inside one), with LightGBM's zero and NaN as intervals of their own."""
        out: dict[int, np.ndarray] = {}
        for feature, thresholds in self.thresholds.items():
            x = matrix[:, feature]
            k = thresholds.size
            bins = np.searchsorted(thresholds, x, side="left").astype(np.int64)
            bins[np.abs(x) <= _ZERO] = k + 1
            bins[np.isnan(x)] = k + 2
            out[feature] = bins
        return out


def _tree_table(model_wide: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Model-wide interval -> this tree's interval. Interval ``g`` holds values in
    ``(T[g-1], T[g]]``; the tree's thresholds below such a value are those <= ``T[g-1]``."""
    k = model_wide.size
    table = np.empty(k + 3, dtype=np.int64)
    table[0] = 0
    table[1:k + 1] = np.searchsorted(own, model_wide, side="right")
    table[k + 1] = own.size + 1
    table[k + 2] = own.size + 2
    return table


def tree_splits(booster: Any) -> ModelSplits:
    """Every tree's split features and thresholds, read once from the model's own dump."""
    per_tree: list[tuple[dict[int, set[float]], set[int]]] = []
    for info in booster.dump_model()["tree_info"]:
        numeric: dict[int, set[float]] = {}
        categorical: set[int] = set()
        stack = [info["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" not in node:
                continue
            feature = int(node["split_feature"])
            if node["decision_type"] == "==":
                categorical.add(feature)
            else:
                numeric.setdefault(feature, set()).add(float(node["threshold"]))
            stack.extend((node["left_child"], node["right_child"]))
        per_tree.append((numeric, categorical))
    every: dict[int, set[float]] = {}
    for numeric, _ in per_tree:
        for feature, values in numeric.items():
            every.setdefault(feature, set()).update(values)
    thresholds = {f: np.array(sorted(v)) for f, v in sorted(every.items())}
    trees = tuple(TreeSplits(
        tuple((f, _tree_table(thresholds[f], np.array(sorted(t))), len(t) + 3)
              for f, t in sorted(numeric.items())),
        tuple(sorted(categorical))) for numeric, categorical in per_tree)
    return ModelSplits(thresholds, trees)


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
    remembers categorical codes across the trees of one batch.
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
    import pandas as pd

    group, distinct = pd.factorize(code)
    representative = np.empty(len(distinct), dtype=np.int64)
    representative[group] = np.arange(code.size, dtype=np.int64)
    return group.astype(np.int64, copy=False), representative


def contributions(booster: Any, matrix: np.ndarray, splits: ModelSplits,
                  projection: np.ndarray, memo: ContributionMemo | None = None) -> np.ndarray:
    """Rows x ``projection`` columns: TreeSHAP feature contributions summed over the trees,
    projected by ``projection`` (features x k; e.g. features -> reason codes, or identity).

    The bias term is left out: reasons rank features, and the raw score comes from the plain
    prediction. ``memo`` (identity projection only) keeps each tree's contributions per split
    pattern for later calls, so a pattern met before is not evaluated again
    (:mod:`~tradeguard.model._shap_memo`).
    """
    n_features = projection.shape[0]
    if matrix.shape[0] == 0:
        return np.zeros((0, projection.shape[1]))
    identity = projection.shape == (n_features, n_features) and np.array_equal(
        projection, np.eye(n_features))
    if not identity:
        memo = None
    bins = splits.bins(matrix)
    categories: dict[int, tuple[np.ndarray, int]] = {}
    # Column by column (each output column contiguous): a tree moves only the columns of the
    # few features it splits on (and the bias); the others are exact zeros, and adding zero
    # changes no sum, so they are skipped — same values, same order of additions.
    total = np.zeros((projection.shape[1], matrix.shape[0]))
    for tree, tree_split in enumerate(splits.trees):
        group, representative = groups(split_patterns(matrix, bins, tree_split, categories))
        phi = None
        if memo is not None:
            columns = tree_columns(tree_split, n_features)
            phi = memo.contributions(
                tree, pattern_keys(matrix, bins, tree_split, representative), columns,
                partial(_tree_contributions, booster, matrix, representative, tree,
                        n_features))
        if phi is None:
            phi = _tree_contributions(booster, matrix, representative, tree, n_features)
            if not identity:
                phi = phi @ projection
            columns = np.flatnonzero(phi.any(axis=0))
            phi = phi[:, columns]
        for j, column in enumerate(columns.tolist()):
            total[column] += phi[:, j][group]
    return np.ascontiguousarray(total.T)


def _tree_contributions(booster: Any, matrix: np.ndarray, representative: np.ndarray,
                        tree: int, n_features: int, at: np.ndarray | None = None) -> np.ndarray:
    """One tree's pred_contrib rows (feature columns and bias) for the representatives
    (those at positions ``at`` of them, when given)."""
    rows = representative if at is None else representative[at]
    phi = np.asarray(booster.predict(matrix[rows], start_iteration=tree, num_iteration=1,
                                     pred_contrib=True), dtype=float)
    return phi[:, :n_features]
