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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# LightGBM treats |x| <= 1e-35 as zero (its ``kZeroThreshold``) for zero-as-missing splits.
_ZERO = 1e-35
# Codes above this are compacted before another feature is folded in (int64 headroom).
_COMPACT_ABOVE = 2**40


@dataclass(frozen=True, slots=True)
class TreeSplits:
    """The features one tree splits on: numeric ones with their sorted thresholds, and the
    categorical ones (whose every distinct value is its own group)."""

    numeric: tuple[tuple[int, np.ndarray], ...]
    categorical: tuple[int, ...]


def tree_splits(booster: Any) -> tuple[TreeSplits, ...]:
    """Every tree's split features and thresholds, read once from the model's own dump."""
    out: list[TreeSplits] = []
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
        out.append(TreeSplits(
            tuple((f, np.array(sorted(t))) for f, t in sorted(numeric.items())),
            tuple(sorted(categorical))))
    return tuple(out)


def _fold(code: np.ndarray, part: np.ndarray, radix: int) -> np.ndarray:
    if int(code.max(initial=0)) * radix >= _COMPACT_ABOVE:
        code = np.unique(code, return_inverse=True)[1].astype(np.int64)
    folded: np.ndarray = code * radix + part
    return folded


def _numeric_bins(x: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, int]:
    """Interval index among ``thresholds`` (``x <= t`` decides alike inside one), with NaN and
    LightGBM's zero as groups of their own whatever a split's missing-value rule is."""
    k = thresholds.size
    bins = np.searchsorted(thresholds, x, side="left").astype(np.int64)
    bins[np.abs(x) <= _ZERO] = k + 1
    bins[np.isnan(x)] = k + 2
    return bins, k + 3


def _category_codes(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Each distinct value (NaN one value) as a dense code."""
    filled = np.where(np.isnan(x), -np.inf, x)
    values, inverse = np.unique(filled, return_inverse=True)
    return inverse.astype(np.int64), int(values.size)


def split_patterns(matrix: np.ndarray, splits: TreeSplits,
                   categories: dict[int, tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row; equal integers mean the same side of every split of the tree."""
    code = np.zeros(matrix.shape[0], dtype=np.int64)
    for feature, thresholds in splits.numeric:
        bins, radix = _numeric_bins(matrix[:, feature], thresholds)
        code = _fold(code, bins, radix)
    for feature in splits.categorical:
        if feature not in categories:
            categories[feature] = _category_codes(matrix[:, feature])
        values, radix = categories[feature]
        code = _fold(code, values, radix)
    return code


def contributions(booster: Any, matrix: np.ndarray, splits: tuple[TreeSplits, ...],
                  projection: np.ndarray) -> np.ndarray:
    """Rows x ``projection`` columns: TreeSHAP feature contributions summed over the trees,
    projected by ``projection`` (features x k; e.g. features -> reason codes, or identity).

    The bias term is left out: reasons rank features, and the raw score comes from the plain
    prediction.
    """
    n_features = projection.shape[0]
    total = np.zeros((matrix.shape[0], projection.shape[1]))
    if matrix.shape[0] == 0:
        return total
    categories: dict[int, tuple[np.ndarray, int]] = {}
    for tree, tree_split in enumerate(splits):
        code = split_patterns(matrix, tree_split, categories)
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        phi = np.asarray(booster.predict(matrix[first], start_iteration=tree, num_iteration=1,
                                         pred_contrib=True), dtype=float)
        total += (phi[:, :n_features] @ projection)[inverse]
    return total
