"""Each tree's splits, read once per model: thresholds, categories, leaves and key layout.

Grouped TreeSHAP (:mod:`~tradeguard.model._treeshap`) needs, per tree, the features it splits
on, where a row falls among the tree's thresholds and the tree's leaf values. Every numeric
feature is placed among the thresholds of *all* trees once per batch
(:meth:`ModelSplits.bins`); a tree's own interval is then a lookup in a small table. A tree's
split pattern is one integer key: its intervals and category ids as the digits of a mixed-radix
number, whose place values are worked out here once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tradeguard.model._shap_memo import CATEGORY_BITS

# LightGBM treats |x| <= 1e-35 as zero (its ``kZeroThreshold``) for zero-as-missing splits.
_ZERO = 1e-35
# Bits a tree's key may take: its fields as the digits of one non-negative int64.
_KEY_BITS = 62


@dataclass(frozen=True, slots=True)
class TreeSplits:
    """The features one tree splits on. Numeric ones as (feature, table, radix): the table maps
    the feature's model-wide interval (:meth:`ModelSplits.bins`) to this tree's interval, zero
    and missing last; categorical ones have every distinct value as a group of its own.
    ``leaves`` are the leaf values. The tree's key is each field times its place value, added
    up (mixed radix): ``placed`` are the numeric tables already multiplied, ``category_places``
    the place values of the category ids (no key: ``placed`` None, when the fields need more
    than :data:`_KEY_BITS`); int32 when the key fits one, half the memory traffic."""

    numeric: tuple[tuple[int, np.ndarray, int], ...]
    categorical: tuple[int, ...]
    leaves: np.ndarray
    placed: tuple[np.ndarray, ...] | None = None
    category_places: tuple[int, ...] = ()

    def key(self, bins: Mapping[int, np.ndarray],
            ids: Mapping[int, np.ndarray | None]) -> np.ndarray | None:
        """One integer per row; equal keys mean the same side of every split of the tree, and
        mean it in every batch when ``ids`` do (:meth:`ContributionMemo.category_ids`)."""
        if self.placed is None:
            return None
        dtype = self.placed[0].dtype if self.placed else np.dtype(np.int64)
        key: np.ndarray | None = None
        for (feature, _, _), table in zip(self.numeric, self.placed, strict=True):
            part = table[bins[feature]]
            key = part if key is None else np.add(key, part, out=key)
        for feature, place in zip(self.categorical, self.category_places, strict=True):
            category = ids.get(feature)
            if category is None:
                return None
            part = np.multiply(category, place, dtype=dtype)
            key = part if key is None else np.add(key, part, out=key)
        if key is None:  # a tree of one leaf: one pattern
            rows = next(iter(bins.values())).size if bins else next(
                (v.size for v in ids.values() if v is not None), 0)
            return np.zeros(rows, dtype=np.int64)
        return key


@dataclass(frozen=True, slots=True)
class ModelSplits:
    """Every threshold the model uses per numeric feature, and each tree's view of them;
    ``category_bits``: the bits of a category id in a key, per categorical split feature;
    ``leaf_sums``: whether the raw score is the trees' leaf values added up (one output, no
    averaging as a random forest does, no linear leaves)."""

    thresholds: Mapping[int, np.ndarray]
    trees: tuple[TreeSplits, ...]
    category_bits: Mapping[int, int] = field(default_factory=dict)
    leaf_sums: bool = False

    def bins(self, matrix: np.ndarray) -> dict[int, np.ndarray]:
        """Each numeric feature's interval among all the model's thresholds for it (``x <= t``
        decides alike inside one), with LightGBM's zero and NaN as intervals of their own."""
        out: dict[int, np.ndarray] = {}
        for feature, thresholds in self.thresholds.items():
            x = matrix[:, feature]
            k = thresholds.size
            bins = np.searchsorted(thresholds, x, side="left")
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


def _keyed(numeric: tuple[tuple[int, np.ndarray, int], ...], categorical: tuple[int, ...],
           leaves: np.ndarray, category_bits: Mapping[int, int]) -> TreeSplits:
    """A tree's splits with the layout of its key, when its fields fit one."""
    radices = [radix for _, _, radix in numeric] + [2 ** category_bits[f] for f in categorical]
    span = math.prod(radices)
    if span > 2**_KEY_BITS:
        return TreeSplits(numeric, categorical, leaves)
    dtype = np.int32 if span <= 2**31 else np.int64
    places = [math.prod(radices[:i]) for i in range(len(radices))]
    placed = tuple((table * place).astype(dtype)
                   for (_, table, _), place in zip(numeric, places, strict=False))
    return TreeSplits(numeric, categorical, leaves, placed, tuple(places[len(numeric):]))


def _category_bits(info: Any) -> int:
    """Bits for the ids of a categorical feature: room for the values it was trained on
    (``feature_infos`` of the model's dump) and as many again, 16 when they are not known."""
    values = info.get("values") if isinstance(info, dict) else None
    if not isinstance(values, list):
        return CATEGORY_BITS
    return min(CATEGORY_BITS, (len(values) + 1).bit_length() + 1)


def tree_splits(booster: Any) -> ModelSplits:
    """Every tree's split features, thresholds and leaf values, read once from the model."""
    dump = booster.dump_model()
    per_tree: list[tuple[dict[int, set[float]], set[int], int]] = []
    linear = False
    for info in dump["tree_info"]:
        numeric: dict[int, set[float]] = {}
        categorical: set[int] = set()
        stack = [info["tree_structure"]]
        while stack:
            node = stack.pop()
            if "split_feature" not in node:
                linear = linear or "leaf_coeff" in node
                continue
            feature = int(node["split_feature"])
            if node["decision_type"] == "==":
                categorical.add(feature)
            else:
                numeric.setdefault(feature, set()).add(float(node["threshold"]))
            stack.extend((node["left_child"], node["right_child"]))
        per_tree.append((numeric, categorical, int(info["num_leaves"])))
    every: dict[int, set[float]] = {}
    for numeric, _, _ in per_tree:
        for feature, values in numeric.items():
            every.setdefault(feature, set()).update(values)
    thresholds = {f: np.array(sorted(v)) for f, v in sorted(every.items())}
    names, infos = dump.get("feature_names", []), dump.get("feature_infos", {})
    category_bits = {
        f: _category_bits(infos.get(names[f]) if f < len(names) else None)
        for f in sorted({f for _, categorical, _ in per_tree for f in categorical})}
    # The booster's own doubles, as its prediction adds them.
    trees = tuple(_keyed(
        tuple((f, _tree_table(thresholds[f], np.array(sorted(t))), len(t) + 3)
              for f, t in sorted(numeric.items())),
        tuple(sorted(categorical)),
        np.array([booster.get_leaf_output(i, leaf) for leaf in range(leaves)], dtype=float),
        category_bits)
        for i, (numeric, categorical, leaves) in enumerate(per_tree))
    leaf_sums = (not linear and not dump.get("average_output", False)
                 and dump.get("num_tree_per_iteration", 1) == 1)
    return ModelSplits(thresholds, trees, category_bits, leaf_sums)
